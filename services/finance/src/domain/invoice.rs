//! Invoices (facturen) per municipality per quarter: the lumpsum instalment,
//! LKS per contract and pluspakket per service, as lines that add up.
//!
//! The rules, in one place:
//! - a municipality's yearly part of the lumpsum is paid in equal quarterly
//!   instalments over the quarters of that year in the budget period,
//!   divided to the cent by largest remainder so they add up to the part;
//! - every line names its `source` (what it charges for) and carries the
//!   inputs it came from (`trace`);
//! - an issued invoice never changes. Issuing again for the same quarter
//!   compares what is due now with what was invoiced per source, and
//!   charges the differences as correction lines (credit or debit);
//! - lines of zero are left out.

use std::collections::BTreeMap;

use partnership_platform::apportion::largest_remainder;
use rust_decimal::Decimal;

use super::calendar::Quarter;
use super::money::{from_cents, money_text, to_cents};

/// What a line charges for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineKind {
    /// Termijn lumpsum: the quarter's instalment of the lumpsum part.
    LumpsumInstalment,
    /// Loonkostensubsidie of one PW contract.
    Lks,
    /// Pluspakket participants of one service.
    Pluspakket,
}

impl LineKind {
    pub const ALL: [Self; 3] = [Self::LumpsumInstalment, Self::Lks, Self::Pluspakket];

    /// The code in the store and the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::LumpsumInstalment => "LUMPSUM_INSTALMENT",
            Self::Lks => "LKS",
            Self::Pluspakket => "PLUSPAKKET",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One invoice line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    /// The stable key of what is charged, e.g. `lks/HR-123`.
    pub source: String,
    /// Dutch, for people.
    pub description: String,
    pub quantity: Decimal,
    /// The amount per unit, where one applies.
    pub unit_amount: Option<Decimal>,
    /// Whole cents; negative for a credit.
    pub amount: Decimal,
    /// The inputs the amount was computed from.
    pub trace: String,
    /// A correction of earlier invoices.
    pub correction: bool,
}

/// The sum of the lines.
pub fn total(lines: &[Line]) -> Decimal {
    lines.iter().map(|l| l.amount).sum()
}

/// A yearly part paid in equal instalments over `quarters` (the quarters
/// of the year in the budget period): the instalment of `quarter`, or
/// `None` if it is not one of them. The instalments add up to the part.
pub fn instalment(yearly_part: Decimal, quarters: &[Quarter], quarter: Quarter) -> Option<Decimal> {
    let index = quarters.iter().position(|q| *q == quarter)?;
    let cents = to_cents(yearly_part).and_then(|c| u64::try_from(c).ok())?;
    let shares = largest_remainder(cents, &vec![1; quarters.len()]);
    shares.get(index).map(|&c| from_cents(c as i64))
}

/// The lines to issue now, given what is due now and what earlier invoices
/// of the same municipality and quarter charged. The first invoice holds
/// the lines due; later ones only the differences per source, as
/// corrections. Empty if there is nothing (more) to charge.
pub fn lines_to_issue(due: &[Line], invoiced: &[Line]) -> Vec<Line> {
    if invoiced.is_empty() {
        return due.iter().filter(|l| !l.amount.is_zero()).cloned().collect();
    }
    let mut by_source: BTreeMap<&str, (Option<&Line>, Decimal, Decimal, LineKind)> = BTreeMap::new();
    for line in due {
        let entry = by_source.entry(&line.source).or_insert((None, Decimal::ZERO, Decimal::ZERO, line.kind));
        entry.0 = Some(line);
        entry.1 += line.amount;
    }
    for line in invoiced {
        by_source.entry(&line.source).or_insert((None, Decimal::ZERO, Decimal::ZERO, line.kind)).2 += line.amount;
    }
    let mut corrections: Vec<Line> = by_source
        .into_iter()
        .filter(|(_, (_, due, invoiced, _))| due != invoiced)
        .map(|(source, (now, due, invoiced, kind))| {
            let what = now.map(|l| l.description.clone()).unwrap_or_else(|| source.to_owned());
            let why = match now {
                Some(l) => format!(
                    "nu verschuldigd € {} ({}); eerder gefactureerd € {}",
                    money_text(due),
                    l.trace,
                    money_text(invoiced)
                ),
                None => format!("niet meer verschuldigd; eerder gefactureerd € {}", money_text(invoiced)),
            };
            Line {
                kind,
                source: source.to_owned(),
                description: format!("Correctie: {what}"),
                quantity: Decimal::ONE,
                unit_amount: None,
                amount: due - invoiced,
                trace: why,
                correction: true,
            }
        })
        .collect();
    corrections.sort_by(|a, b| (a.kind, &a.source).cmp(&(b.kind, &b.source)));
    corrections
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::XorShift;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn line(kind: LineKind, source: &str, amount: &str) -> Line {
        Line {
            kind,
            source: source.into(),
            description: source.into(),
            quantity: Decimal::ONE,
            unit_amount: None,
            amount: dec(amount),
            trace: String::new(),
            correction: false,
        }
    }

    fn q(year: i32, n: u32) -> Quarter {
        Quarter::new(year, n).unwrap()
    }

    #[test]
    fn instalments_add_up_to_the_yearly_part() {
        // Oss's 2021 part over Q3 and Q4 (the period began in July).
        let quarters = [q(2021, 3), q(2021, 4)];
        let q3 = instalment(dec("952620.03"), &quarters, q(2021, 3)).unwrap();
        let q4 = instalment(dec("952620.03"), &quarters, q(2021, 4)).unwrap();
        assert_eq!((q3, q4), (dec("476310.02"), dec("476310.01")));
        assert_eq!(instalment(dec("952620.03"), &quarters, q(2021, 2)), None);
        let year = Quarter::of_year(2022);
        let mut rng = XorShift(77);
        for _ in 0..500 {
            let part = from_cents((rng.below(100_000_000)) as i64);
            let sum: Decimal = year.iter().map(|&x| instalment(part, &year, x).unwrap()).sum();
            assert_eq!(sum, part);
        }
    }

    #[test]
    fn the_first_invoice_holds_every_line_due_except_zeros() {
        let due = [line(LineKind::LumpsumInstalment, "lumpsum/1", "100.00"), line(LineKind::Lks, "lks/HR-1", "0")];
        let lines = lines_to_issue(&due, &[]);
        assert_eq!(lines.len(), 1);
        assert_eq!(total(&lines), dec("100"));
    }

    #[test]
    fn later_invoices_only_correct_what_changed() {
        let invoiced = [
            line(LineKind::LumpsumInstalment, "lumpsum/1", "100.00"),
            line(LineKind::Lks, "lks/HR-1", "50.00"),
            line(LineKind::Lks, "lks/HR-2", "20.00"),
        ];
        let due = [
            line(LineKind::LumpsumInstalment, "lumpsum/1", "100.00"),
            line(LineKind::Lks, "lks/HR-1", "65.50"),
            line(LineKind::Pluspakket, "pluspakket/Z_ROUTE/2022", "1250.00"),
        ];
        let lines = lines_to_issue(&due, &invoiced);
        let amounts: Vec<(&str, Decimal, bool)> =
            lines.iter().map(|l| (l.source.as_str(), l.amount, l.correction)).collect();
        assert_eq!(
            amounts,
            [
                ("lks/HR-1", dec("15.50"), true),
                ("lks/HR-2", dec("-20.00"), true),
                ("pluspakket/Z_ROUTE/2022", dec("1250.00"), true),
            ]
        );
        // What was invoiced plus the corrections is what is due now.
        assert_eq!(total(&invoiced) + total(&lines), total(&due));
        assert!(lines_to_issue(&due, &[invoiced.to_vec(), lines].concat()).is_empty());
    }
}
