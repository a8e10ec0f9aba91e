//! The beschut figures of domain.md §4 on a date: persons with an active
//! indication; of them, who works (in dienst bij IBN per werkladder step,
//! or regulier met vangnet); the plaatsingspercentage against the target;
//! nieuw-beschut fte against the taakstelling. Percentages come from exact
//! counts and are rounded only for showing.

use chrono::NaiveDate;
use foldhash::HashSet;
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

/// What the figures are made from: this service's indications and
/// placements, and employment's counts of who of them works at IBN.
/// The candidates' ids are borrowed from the rows they were read from.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    /// Candidates with an active indication.
    pub indicated: HashSet<&'a str>,
    /// Candidates with a running placement, and the placements' hours.
    pub placed: Vec<(&'a str, Decimal)>,
    /// Of the indicated persons, those employed beschut at IBN, per
    /// werkladder step (from employment).
    pub indicated_at_ibn: Vec<(String, u64)>,
    /// Of the persons [`placed_and_indicated`], those employed beschut at
    /// IBN, per werkladder step (from employment).
    pub placed_at_ibn: Vec<(String, u64)>,
    /// Fte of the nieuw-beschut contracts at IBN (from employment).
    pub fte_at_ibn: Decimal,
    pub taakstelling: Option<Decimal>,
}

/// The persons with an active indication and a running placement, each
/// once, in order: they work met vangnet unless they are in dienst bij
/// IBN, which employment is asked about.
pub fn placed_and_indicated<'a>(indicated: &HashSet<&str>, placed: &[(&'a str, Decimal)]) -> Vec<&'a str> {
    let mut both: Vec<&'a str> = placed.iter().map(|&(c, _)| c).filter(|c| indicated.contains(c)).collect();
    both.sort_unstable();
    both.dedup();
    both
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
    let persons_on = |counts: &[(String, u64)], step: &str| counts.iter().filter(|(s, _)| s == step).map(|(_, n)| n).sum::<u64>();
    let mut by_step: Vec<(String, u64)> = IBN_STEPS.iter().map(|&s| (s.to_owned(), persons_on(&inputs.indicated_at_ibn, s))).collect();
    let at_ibn: u64 = by_step.iter().map(|(_, n)| n).sum();
    let placed_at_ibn: u64 = IBN_STEPS.iter().map(|s| persons_on(&inputs.placed_at_ibn, s)).sum();
    let vangnet = (placed_and_indicated(&inputs.indicated, &inputs.placed).len() as u64).saturating_sub(placed_at_ibn);
    by_step.push((VANGNET_STEP.to_owned(), vangnet));

    let indications = inputs.indicated.len() as u64;
    let working = at_ibn + vangnet;
    let placement = percent(Decimal::from(working), Decimal::from(indications));
    let fte_elsewhere = fte(inputs.placed.iter().map(|(_, h)| *h).sum());
    let fte_total = inputs.fte_at_ibn + fte_elsewhere;
    Figures {
        active_indications: indications,
        working_by_step: by_step,
        working_at_ibn: at_ibn,
        working_vangnet: vangnet,
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
        let names: Vec<String> = (0..283).map(|i| format!("c{i}")).collect();
        let indicated: HashSet<&str> = names.iter().map(String::as_str).collect();
        // 116 of them in dienst bij IBN (as employment counts them), 78
        // placed at regular employers.
        let indicated_at_ibn = vec![(IBN_STEPS[0].to_owned(), 44), (IBN_STEPS[1].to_owned(), 46), (IBN_STEPS[2].to_owned(), 26)];
        let placed: Vec<(&str, Decimal)> = (116..194).map(|i| (names[i].as_str(), Decimal::from(if i < 164 { 29 } else { 28 }))).collect();
        let inputs = Inputs {
            indicated,
            placed,
            indicated_at_ibn,
            placed_at_ibn: Vec::new(),
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
        // a works at IBN with an indication (b works there without one:
        // employment counts only the indicated); c is placed without one.
        let inputs = Inputs {
            indicated: ["a"].into_iter().collect(),
            indicated_at_ibn: vec![(IBN_STEPS[0].into(), 1)],
            placed: vec![("c", Decimal::from(20))],
            ..Inputs::default()
        };
        assert!(placed_and_indicated(&inputs.indicated, &inputs.placed).is_empty());
        let f = figures(&inputs);
        assert_eq!((f.working, f.active_indications), (1, 1));
        assert_eq!(f.plaatsingspercentage, Decimal::ONE_HUNDRED);
        assert_eq!(f.fte_elsewhere, "0.645161".parse().unwrap(), "20 hours is 20/31 fte");
    }

    #[test]
    fn a_person_placed_and_at_ibn_works_at_ibn_once() {
        // a and b are placed (b twice); a is also in dienst bij IBN; c is
        // at IBN on the vangnet step, which is not in dienst bij IBN.
        let indicated: HashSet<&str> = ["a", "b", "c"].into_iter().collect();
        let placed = vec![("a", Decimal::from(10)), ("b", Decimal::from(10)), ("b", Decimal::from(5)), ("c", Decimal::from(8))];
        assert_eq!(placed_and_indicated(&indicated, &placed), ["a", "b", "c"]);
        let inputs = Inputs {
            indicated,
            placed,
            indicated_at_ibn: vec![(IBN_STEPS[1].into(), 1), (VANGNET_STEP.into(), 1)],
            placed_at_ibn: vec![(IBN_STEPS[1].into(), 1), (VANGNET_STEP.into(), 1)],
            ..Inputs::default()
        };
        let f = figures(&inputs);
        assert_eq!((f.working_at_ibn, f.working_vangnet, f.working), (1, 2, 3));
        assert_eq!(f.working_by_step[1], (IBN_STEPS[1].to_owned(), 1));
        assert_eq!(f.working_by_step[3], (VANGNET_STEP.to_owned(), 2));
    }

    #[test]
    fn no_indications_no_division_by_zero() {
        let f = figures(&Inputs::default());
        assert_eq!((f.plaatsingspercentage, f.distance_to_target), (Decimal::ZERO, Decimal::from(-75)));
        assert_eq!(f.realisation_percent, None);
    }
}
