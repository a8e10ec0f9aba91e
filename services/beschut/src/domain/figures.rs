//! The beschut figures of domain.md §4 on a date: persons with an active
//! indication; of them, who works (in dienst bij IBN per werkladder step,
//! or regulier met vangnet); the plaatsingspercentage against the target;
//! nieuw-beschut fte against the taakstelling. Percentages come from exact
//! counts and are rounded only for showing.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use partnership_platform::decimals::fte;
use rust_decimal::{Decimal, RoundingStrategy};

/// The werkladder steps on which a person is in dienst bij IBN, in report
/// order, and the step of a placement at a regular employer.
pub const IBN_STEPS: [&str; 3] = ["WERKEN_BINNEN_IBN", "WERKEN_OP_LOCATIE", "ZELFSTANDIG_WERKEN_OP_LOCATIE"];
pub const VANGNET_STEP: &str = "REGULIER_WERKEN_MET_VANGNET";

/// The partnership's target: 75% placed at the end of 2024.
pub const TARGET_PERCENT: u32 = 75;
pub fn target_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).expect("a date")
}

/// A person employed beschut at IBN on the date (from employment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbnEmployee {
    pub candidate_id: String,
    pub step: String,
}

/// What the figures are made from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Candidates with an active indication.
    pub indicated: HashSet<String>,
    pub ibn: Vec<IbnEmployee>,
    /// Candidates with a running placement, and the placements' hours.
    pub placed: Vec<(String, Decimal)>,
    /// Fte of the nieuw-beschut contracts at IBN (from employment).
    pub fte_at_ibn: Decimal,
    pub taakstelling: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub active_indications: u64,
    pub working_by_step: Vec<(String, u64)>,
    pub working_at_ibn: u64,
    pub working_vangnet: u64,
    pub working: u64,
    /// working ÷ indications × 100, to 6 decimals (0 without indications).
    pub plaatsingspercentage: Decimal,
    /// Percentage points from the target (negative: below it).
    pub distance_to_target: Decimal,
    pub fte_at_ibn: Decimal,
    pub fte_elsewhere: Decimal,
    pub fte_total: Decimal,
    pub taakstelling: Option<Decimal>,
    pub realisation_percent: Option<Decimal>,
}

/// A share in percent, exact to 6 decimals.
pub fn percent(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() { Decimal::ZERO } else { (part * Decimal::ONE_HUNDRED / whole).round_dp(6) }
}

/// A percentage as shown: whole, halves away from zero.
pub fn rounded(percent: Decimal) -> i32 {
    percent.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).try_into().unwrap_or(0)
}

pub fn figures(inputs: &Inputs) -> Figures {
    // Of the persons with an indication: one place of work each, IBN first.
    let mut step_of: BTreeMap<&str, &str> = BTreeMap::new();
    for e in inputs.ibn.iter().filter(|e| inputs.indicated.contains(&e.candidate_id)) {
        if IBN_STEPS.contains(&e.step.as_str()) {
            step_of.insert(&e.candidate_id, &e.step);
        }
    }
    let at_ibn = step_of.len() as u64;
    let vangnet: HashSet<&str> = inputs
        .placed
        .iter()
        .map(|(c, _)| c.as_str())
        .filter(|c| inputs.indicated.contains(*c) && !step_of.contains_key(c))
        .collect();
    let mut by_step: Vec<(String, u64)> = IBN_STEPS
        .iter()
        .map(|&s| (s.to_owned(), step_of.values().filter(|&&v| v == s).count() as u64))
        .collect();
    by_step.push((VANGNET_STEP.to_owned(), vangnet.len() as u64));

    let indications = inputs.indicated.len() as u64;
    let working = at_ibn + vangnet.len() as u64;
    let placement = percent(Decimal::from(working), Decimal::from(indications));
    let fte_elsewhere = fte(inputs.placed.iter().map(|(_, h)| *h).sum());
    let fte_total = inputs.fte_at_ibn + fte_elsewhere;
    Figures {
        active_indications: indications,
        working_by_step: by_step,
        working_at_ibn: at_ibn,
        working_vangnet: vangnet.len() as u64,
        working,
        plaatsingspercentage: placement,
        distance_to_target: placement - Decimal::from(TARGET_PERCENT),
        fte_at_ibn: inputs.fte_at_ibn,
        fte_elsewhere,
        fte_total,
        taakstelling: inputs.taakstelling,
        realisation_percent: inputs.taakstelling.map(|t| percent(fte_total, t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of domain.md §4, on 2022-12-31.
    #[test]
    fn reproduces_the_2022_worked_example() {
        let indicated: HashSet<String> = (0..283).map(|i| format!("c{i}")).collect();
        let mut ibn = Vec::new();
        for (range, step) in [(0..44, IBN_STEPS[0]), (44..90, IBN_STEPS[1]), (90..116, IBN_STEPS[2])] {
            ibn.extend(range.map(|i| IbnEmployee { candidate_id: format!("c{i}"), step: step.to_owned() }));
        }
        let placed: Vec<(String, Decimal)> = (116..194)
            .map(|i| (format!("c{i}"), Decimal::from(if i < 164 { 29 } else { 28 })))
            .collect();
        let inputs = Inputs {
            indicated,
            ibn,
            placed,
            fte_at_ibn: Decimal::from(93),
            taakstelling: Some(Decimal::from(352)),
        };
        let f = figures(&inputs);
        assert_eq!(f.working_by_step[0], ("WERKEN_BINNEN_IBN".to_owned(), 44));
        assert_eq!(f.working_by_step[1].1, 46);
        assert_eq!(f.working_by_step[2].1, 26);
        assert_eq!((f.working_at_ibn, f.working_vangnet, f.working, f.active_indications), (116, 78, 194, 283));
        assert_eq!(rounded(f.plaatsingspercentage), 69);
        assert_eq!(f.fte_elsewhere, Decimal::from(72));
        assert_eq!(f.fte_total, Decimal::from(165));
        assert_eq!(rounded(f.realisation_percent.unwrap()), 47);
        assert_eq!(f.realisation_percent.unwrap(), "46.875".parse().unwrap());
    }

    #[test]
    fn only_persons_with_an_active_indication_count_as_working() {
        let inputs = Inputs {
            indicated: ["a".to_owned()].into(),
            ibn: vec![
                IbnEmployee { candidate_id: "a".into(), step: IBN_STEPS[0].into() },
                IbnEmployee { candidate_id: "b".into(), step: IBN_STEPS[0].into() },
            ],
            placed: vec![("c".into(), Decimal::from(20))],
            ..Inputs::default()
        };
        let f = figures(&inputs);
        assert_eq!((f.working, f.active_indications), (1, 1));
        assert_eq!(f.plaatsingspercentage, Decimal::ONE_HUNDRED);
        assert_eq!(f.fte_elsewhere, "0.645161".parse().unwrap(), "20 hours is 20/31 fte");
    }

    #[test]
    fn no_indications_no_division_by_zero() {
        let f = figures(&Inputs::default());
        assert_eq!((f.plaatsingspercentage, f.distance_to_target), (Decimal::ZERO, Decimal::from(-75)));
        assert_eq!(f.realisation_percent, None);
    }
}
