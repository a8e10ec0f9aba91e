//! Trajectkostenvergoeding: the per-trajectory fee of the model before the
//! lumpsum (€4,100 for low, €5,500 for mid-high development potential). It
//! no longer applies to new trajectories but must stay computable for
//! historical periods, so the tariffs are data with the period they were in
//! force, and a trajectory is priced by the tariff in force on its start.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::RuleError;

/// The development potential (ontwikkelpotentieel) a trajectory was priced by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Potential {
    /// Laag.
    Low,
    /// Midden-hoog.
    MidHigh,
}

/// The fees in force over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// First day in force; `None` for "since before the data begins".
    pub from: Option<NaiveDate>,
    /// Last day in force.
    pub to: NaiveDate,
    pub low: Decimal,
    pub mid_high: Decimal,
}

impl Tariff {
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= date) && date <= self.to
    }

    pub fn fee(&self, potential: Potential) -> Decimal {
        match potential {
            Potential::Low => self.low,
            Potential::MidHigh => self.mid_high,
        }
    }
}

/// Checks the tariffs of the data file: fees not negative, periods not
/// overlapping.
pub fn check_tariffs(tariffs: &[Tariff]) -> Result<(), RuleError> {
    for (i, t) in tariffs.iter().enumerate() {
        if t.low < Decimal::ZERO || t.mid_high < Decimal::ZERO {
            return Err(RuleError::invalid(format!("trajectkosten[{i}]"), "fees may not be negative"));
        }
        if t.from.is_some_and(|from| from > t.to) {
            return Err(RuleError::invalid(format!("trajectkosten[{i}].to"), "is before from"));
        }
        for other in &tariffs[i + 1..] {
            let overlap = t.from.is_none_or(|f| f <= other.to) && other.from.is_none_or(|f| f <= t.to);
            if overlap {
                return Err(RuleError::invalid(format!("trajectkosten[{i}]"), "overlaps another tariff"));
            }
        }
    }
    Ok(())
}

/// One priced trajectory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    pub fee: Decimal,
    /// The first day of the tariff used (`None`: since the data begins).
    pub tariff_from: Option<NaiveDate>,
}

/// The fee of a trajectory started on `start`. Refused for a start no
/// tariff covers (e.g. after the lumpsum replaced the model).
pub fn fee(tariffs: &[Tariff], start: NaiveDate, potential: Potential) -> Result<Fee, RuleError> {
    let tariff = tariffs.iter().find(|t| t.in_force(start)).ok_or_else(|| {
        let last = tariffs.iter().map(|t| t.to).max();
        let why = match last {
            Some(last) if start > last => {
                format!("no trajectkostenvergoeding on {start}: the model ended on {last} (the lumpsum applies since)")
            }
            _ => format!("no trajectkostenvergoeding tariff is in force on {start}"),
        };
        RuleError::refused("start_date", "reference/trajectkosten", why)
    })?;
    Ok(Fee { fee: tariff.fee(potential), tariff_from: tariff.from })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn tariffs() -> Vec<Tariff> {
        vec![Tariff { from: None, to: d("2021-06-30"), low: Decimal::new(4100, 0), mid_high: Decimal::new(5500, 0) }]
    }

    #[test]
    fn historical_trajectories_are_priced_by_potential() {
        assert_eq!(fee(&tariffs(), d("2019-03-01"), Potential::Low).unwrap().fee, Decimal::new(4100, 0));
        assert_eq!(fee(&tariffs(), d("2021-06-30"), Potential::MidHigh).unwrap().fee, Decimal::new(5500, 0));
    }

    #[test]
    fn trajectories_after_the_model_ended_are_refused() {
        let err = fee(&tariffs(), d("2021-07-01"), Potential::Low).unwrap_err();
        assert_eq!(err.field(), "start_date");
        assert!(err.to_string().contains("ended on 2021-06-30"), "{err}");
    }

    #[test]
    fn overlapping_or_negative_tariffs_are_refused() {
        assert!(check_tariffs(&tariffs()).is_ok());
        let mut two = tariffs();
        two.push(Tariff { from: Some(d("2021-01-01")), to: d("2021-12-31"), ..tariffs()[0].clone() });
        assert!(check_tariffs(&two).is_err());
        let negative = vec![Tariff { low: Decimal::NEGATIVE_ONE, ..tariffs()[0].clone() }];
        assert!(check_tariffs(&negative).is_err());
    }
}
