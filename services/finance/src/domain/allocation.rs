//! Allocation of the lumpsum among the municipalities by an objective key
//! (verdeelsleutel): each municipality's share of the *Participatiebudget
//! nieuwe doelgroepen* it receives from the state, or (the older key) its
//! share of the social-assistance recipients by CBS. Keys are data per year.
//!
//! The parts are whole cents and add up to the total exactly: the cents are
//! divided by largest remainder (`partnership_platform::apportion`), so each
//! part differs from its exact proportional share by less than one cent.
//! Published tables round each share on its own and are off by a euro here
//! and there; these are not.

use std::collections::HashSet;

use partnership_platform::apportion::largest_remainder;
use rust_decimal::Decimal;

use super::RuleError;
use super::money::{from_cents, non_negative, round_dp, to_cents, whole_cents};

/// What the weights of a key are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    /// Participatiebudget nieuwe doelgroepen: euros from the state (since 2021).
    PBudgetNieuweDoelgroepen,
    /// Bijstandsontvangers: social-assistance recipients by CBS (the older key).
    Bijstandsontvangers,
}

impl KeyKind {
    pub const ALL: [Self; 2] = [Self::PBudgetNieuweDoelgroepen, Self::Bijstandsontvangers];

    /// The code in data files, the store and the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::PBudgetNieuweDoelgroepen => "P_BUDGET_NIEUWE_DOELGROEPEN",
            Self::Bijstandsontvangers => "BIJSTANDSONTVANGERS",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One municipality's weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// CBS gemeentecode as the key names it (pre-merger codes in 2021).
    pub municipality_code: String,
    pub weight: Decimal,
}

/// An allocation key: the weights of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationKey {
    /// The year of the figures; 0 for an ad-hoc key.
    pub year: i32,
    /// `None` for an ad-hoc key.
    pub kind: Option<KeyKind>,
    pub description: String,
    pub entries: Vec<KeyEntry>,
}

impl AllocationKey {
    /// Checks the key: at least one entry, each municipality once, no
    /// negative weight, and not all zero. `field` names the entries in the
    /// request (or data file), e.g. `key_entries`.
    pub fn check(&self, field: &str) -> Result<(), RuleError> {
        if self.entries.is_empty() {
            return Err(RuleError::invalid(field, "a key needs at least one municipality"));
        }
        let mut seen = HashSet::new();
        for (i, entry) in self.entries.iter().enumerate() {
            if entry.municipality_code.trim().is_empty() {
                return Err(RuleError::invalid(format!("{field}[{i}].municipality_code"), "is required"));
            }
            if !seen.insert(entry.municipality_code.as_str()) {
                return Err(RuleError::invalid(
                    format!("{field}[{i}].municipality_code"),
                    format!("{} is in the key twice", entry.municipality_code),
                ));
            }
            non_negative(&format!("{field}[{i}].weight"), entry.weight)?;
        }
        if self.total_weight().is_zero() {
            return Err(RuleError::invalid(field, "the weights add up to zero; there is nothing to allocate by"));
        }
        self.integer_weights(field).map(|_| ())
    }

    pub fn total_weight(&self) -> Decimal {
        self.entries.iter().map(|e| e.weight).sum()
    }

    /// The weights as whole numbers in the same proportion (all scaled by
    /// the largest number of decimals), for the largest-remainder method.
    fn integer_weights(&self, field: &str) -> Result<Vec<u64>, RuleError> {
        let scale = self.entries.iter().map(|e| e.weight.normalize().scale()).max().unwrap_or(0);
        self.entries
            .iter()
            .map(|e| {
                let mut w = e.weight.normalize();
                w.rescale(scale);
                u64::try_from(w.mantissa()).ok().filter(|_| w.scale() == scale)
            })
            .collect::<Option<Vec<u64>>>()
            .ok_or_else(|| RuleError::invalid(field, "the weights are too large or too precise to allocate by"))
    }
}

/// One municipality's part of an allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub municipality_code: String,
    pub weight: Decimal,
    /// total × weight ÷ total weight, to 10 decimals.
    pub exact_share: Decimal,
    /// Whole cents.
    pub amount: Decimal,
}

/// Allocates `total` (whole cents, not negative) over the key's entries by
/// largest remainder: the parts add up to `total` exactly.
pub fn allocate(total: Decimal, key: &AllocationKey) -> Result<Vec<Part>, RuleError> {
    key.check("key")?;
    let total = whole_cents("amount", non_negative("amount", total)?)?;
    let cents = to_cents(total)
        .and_then(|c| u64::try_from(c).ok())
        .ok_or_else(|| RuleError::invalid("amount", "is too large"))?;
    let weights = key.integer_weights("key")?;
    let total_weight = key.total_weight();
    let shares = largest_remainder(cents, &weights);
    Ok(key
        .entries
        .iter()
        .zip(shares)
        .map(|(entry, share)| Part {
            municipality_code: entry.municipality_code.clone(),
            weight: entry.weight,
            exact_share: round_dp(total * entry.weight / total_weight, 10),
            amount: from_cents(share as i64),
        })
        .collect())
}

/// A part as a percentage of the weight it came from: for a P-budget key,
/// the lumpsum as a share of the municipality's P-budget (≈51% in
/// 2021/2022), to 2 decimals. `None` for other keys or a zero weight.
pub fn p_budget_share_percent(kind: Option<KeyKind>, amount: Decimal, weight: Decimal) -> Option<Decimal> {
    if kind != Some(KeyKind::PBudgetNieuweDoelgroepen) || weight.is_zero() {
        return None;
    }
    Some(round_dp(amount / weight * Decimal::ONE_HUNDRED, 2))
}

/// The parts of the key entries that map onto one municipality, summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityPart {
    pub municipality_code: String,
    /// The sum of the weights of its key entries.
    pub weight: Decimal,
    /// The sum of their parts.
    pub amount: Decimal,
    /// (key entry's code, its part), for the trace.
    pub from: Vec<(String, Decimal)>,
}

/// Sums parts that map onto the same municipality (e.g. a 2021 key's Uden
/// and Landerd onto Maashorst in 2022), in the order first met. The sums
/// still add up to the total exactly: nothing is rounded again.
pub fn roll_up<E>(parts: &[Part], mut onto: impl FnMut(&str) -> Result<String, E>) -> Result<Vec<MunicipalityPart>, E> {
    let mut sums: Vec<MunicipalityPart> = Vec::new();
    for part in parts {
        let code = onto(&part.municipality_code)?;
        let index = match sums.iter().position(|m| m.municipality_code == code) {
            Some(index) => index,
            None => {
                let empty = MunicipalityPart {
                    municipality_code: code,
                    weight: Decimal::ZERO,
                    amount: Decimal::ZERO,
                    from: Vec::new(),
                };
                sums.push(empty);
                sums.len() - 1
            }
        };
        let sum = &mut sums[index];
        sum.weight += part.weight;
        sum.amount += part.amount;
        sum.from.push((part.municipality_code.clone(), part.amount));
    }
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::XorShift;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// The 2021 key of domain.md §5: P-budget nieuwe doelgroepen in euros.
    pub(crate) fn key_2021() -> AllocationKey {
        let entries = [
            ("GM1721", "295299"),  // Bernheze
            ("GM0755", "108215"),  // Boekel
            ("GM0756", "341240"),  // Boxmeer
            ("GM1684", "359625"),  // Cuijk
            ("GM0786", "122758"),  // Grave
            ("GM1685", "137264"),  // Landerd
            ("GM1948", "411248"),  // Meierijstad
            ("GM0815", "147594"),  // Mill en Sint Hubert
            ("GM0828", "1883249"), // Oss
            ("GM1702", "76855"),   // Sint Anthonis
            ("GM0856", "557447"),  // Uden
        ];
        AllocationKey {
            year: 2021,
            kind: Some(KeyKind::PBudgetNieuweDoelgroepen),
            description: "P-budget 2021".into(),
            entries: entries
                .iter()
                .map(|(code, w)| KeyEntry { municipality_code: (*code).into(), weight: dec(w) })
                .collect(),
        }
    }

    fn part<'a>(parts: &'a [Part], code: &str) -> &'a Part {
        parts.iter().find(|p| p.municipality_code == code).unwrap()
    }

    #[test]
    fn the_2021_worked_example_is_reproduced_to_the_cent() {
        let parts = allocate(dec("2246325"), &key_2021()).unwrap();
        assert_eq!(part(&parts, "GM0828").amount, dec("952620.03"));
        assert_eq!(part(&parts, "GM1721").amount, dec("149373.63"));
        assert_eq!(parts.iter().map(|p| p.amount).sum::<Decimal>(), dec("2246325"));
        // Each within €1 of the published rounded table (Oss 952,620; Bernheze 149,374).
        assert!((part(&parts, "GM0828").amount - dec("952620")).abs() < Decimal::ONE);
        assert!((part(&parts, "GM1721").amount - dec("149374")).abs() < Decimal::ONE);
        let expected = [
            ("GM0755", "54739.32"),
            ("GM0756", "172612.36"),
            ("GM1684", "181912.21"),
            ("GM0786", "62095.73"),
            ("GM1685", "69433.43"),
            ("GM1948", "208025.11"),
            ("GM0815", "74658.74"),
            ("GM1702", "38876.23"),
            ("GM0856", "281978.21"),
        ];
        for (code, amount) in expected {
            assert_eq!(part(&parts, code).amount, dec(amount), "{code}");
        }
    }

    #[test]
    fn the_lumpsum_is_about_51_percent_of_the_p_budget_in_2021() {
        let key = key_2021();
        let parts = allocate(dec("2246325"), &key).unwrap();
        let oss = part(&parts, "GM0828");
        assert_eq!(p_budget_share_percent(key.kind, oss.amount, oss.weight), Some(dec("50.58")));
        assert_eq!(p_budget_share_percent(Some(KeyKind::Bijstandsontvangers), oss.amount, oss.weight), None);
    }

    #[test]
    fn pre_merger_parts_roll_up_onto_todays_municipalities_exactly() {
        let parts = allocate(dec("2246325"), &key_2021()).unwrap();
        let today = |code: &str| -> Result<String, ()> {
            Ok(match code {
                "GM0856" | "GM1685" => "GM1991",
                "GM0756" | "GM1684" | "GM0786" | "GM0815" | "GM1702" => "GM1982",
                other => other,
            }
            .to_owned())
        };
        let sums = roll_up(&parts, today).unwrap();
        assert_eq!(sums.len(), 6);
        let maashorst = sums.iter().find(|m| m.municipality_code == "GM1991").unwrap();
        assert_eq!(maashorst.amount, dec("281978.21") + dec("69433.43"));
        assert_eq!(maashorst.weight, dec("557447") + dec("137264"));
        assert_eq!(maashorst.from.len(), 2);
        assert_eq!(sums.iter().map(|m| m.amount).sum::<Decimal>(), dec("2246325"));
    }

    #[test]
    fn bad_keys_are_refused() {
        let mut key = key_2021();
        key.entries.iter_mut().for_each(|e| e.weight = Decimal::ZERO);
        assert!(key.check("key_entries").unwrap_err().to_string().contains("zero"));
        let mut key = key_2021();
        key.entries[3].weight = dec("-5");
        assert_eq!(key.check("key_entries").unwrap_err().field(), "key_entries[3].weight");
        let mut key = key_2021();
        key.entries[4].municipality_code = "GM0828".into();
        assert_eq!(key.check("key_entries").unwrap_err().field(), "key_entries[8].municipality_code");
        let empty = AllocationKey { entries: Vec::new(), ..key_2021() };
        assert!(empty.check("key_entries").is_err());
        assert_eq!(allocate(dec("-1"), &key_2021()).unwrap_err().field(), "amount");
        assert_eq!(allocate(dec("0.001"), &key_2021()).unwrap_err().field(), "amount");
    }

    #[test]
    fn decimal_weights_allocate_in_proportion() {
        let key = AllocationKey {
            year: 2022,
            kind: Some(KeyKind::Bijstandsontvangers),
            description: String::new(),
            entries: vec![
                KeyEntry { municipality_code: "A".into(), weight: dec("1.5") },
                KeyEntry { municipality_code: "B".into(), weight: dec("3") },
                KeyEntry { municipality_code: "C".into(), weight: dec("0") },
            ],
        };
        let parts = allocate(dec("100"), &key).unwrap();
        let amounts: Vec<Decimal> = parts.iter().map(|p| p.amount).collect();
        assert_eq!(amounts, [dec("33.33"), dec("66.67"), dec("0")]);
    }

    #[test]
    fn allocations_are_exact_for_random_keys_and_totals() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..3000 {
            let n = rng.below(15) as usize + 1;
            let entries: Vec<KeyEntry> = (0..n)
                .map(|i| KeyEntry {
                    municipality_code: format!("GM{i:04}"),
                    // Whole euros, cents, or counts; some zeros.
                    weight: Decimal::new((rng.below(5_000_000) * rng.below(2)) as i64, (rng.below(3)) as u32),
                })
                .collect();
            let key = AllocationKey { year: 2021, kind: None, description: String::new(), entries };
            if key.total_weight().is_zero() {
                assert!(allocate(dec("1"), &key).is_err());
                continue;
            }
            let total = Decimal::new(rng.below(1_000_000_000_000) as i64, 2);
            let parts = allocate(total, &key).unwrap();
            assert_eq!(parts.iter().map(|p| p.amount).sum::<Decimal>(), total, "round {round}");
            for p in &parts {
                assert!(p.amount >= Decimal::ZERO, "round {round}");
                let exact = total * p.weight / key.total_weight();
                assert!((p.amount - exact).abs() < dec("0.01"), "round {round}: {} vs {exact}", p.amount);
            }
        }
    }
}
