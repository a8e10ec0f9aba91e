//! Loonkostensubsidie (LKS, wage-cost subsidy) for PW employees at IBN, per
//! contract per month. The paying municipality reimburses it to IBN in full.
//!
//! The rules, in one place:
//! - beschut werk in IBN's caseload (doelgroep *nieuw beschut*): always the
//!   beschut percentage (70%), whatever the measured loonwaarde;
//! - otherwise the gap between the minimum wage and the loonwaarde:
//!   100% − loonwaarde, at most the statutory cap (70%), never below 0;
//! - a forfaitair contract not yet measured counts with the forfaitaire
//!   loonwaarde of the reference data; a measurement counts from its
//!   effective date (day by day within a month);
//! - the wage base is the statutory minimum wage per month for a full-time
//!   week (wettelijk minimumloon), in force on the month's first day, pro
//!   rata the contract's hours over the full-time hours;
//! - an employer-cost allowance (werkgeverslasten, 23%) comes on top;
//! - a month the contract runs only partly (it starts or ends in it) counts
//!   the days it runs over the month's days; so a contract starting
//!   mid-quarter counts from its start;
//! - each month is rounded to the cent; a quarter is the sum of its months.
//!
//! Wage bases, full-time hours, the allowance and the percentages are
//! reference data with the date they apply from, not code.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::RuleError;
use super::calendar::{days_between, days_in_month, month_first, month_last};
use super::money::{round_cents, round_dp};

/// The LKS parameters in force from a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LksRules {
    /// The first day these apply.
    pub from: NaiveDate,
    /// Wettelijk minimumloon per month for a full-time week, excl. holiday
    /// allowance.
    pub wage_base_month: Decimal,
    /// The hours of a full-time week the wage base is for.
    pub full_time_hours: Decimal,
    /// Werkgeverslasten allowance on top of the subsidy, in percent.
    pub employer_cost_percent: Decimal,
    /// The statutory maximum subsidy, in percent of the minimum wage.
    pub cap_percent: Decimal,
    /// What IBN receives for beschut werk, in percent, whatever the loonwaarde.
    pub beschut_percent: Decimal,
    /// The loonwaarde a forfaitair contract counts with until it is measured.
    pub forfaitair_loonwaarde_percent: Decimal,
}

impl LksRules {
    /// Checks one set of parameters, `field` naming it in the data file.
    pub fn check(&self, field: &str) -> Result<(), RuleError> {
        let positive = [("wage_base_month", self.wage_base_month), ("full_time_hours", self.full_time_hours)];
        for (name, value) in positive {
            if value <= Decimal::ZERO {
                return Err(RuleError::invalid(format!("{field}.{name}"), "must be greater than 0"));
            }
        }
        let percents = [
            ("employer_cost_percent", self.employer_cost_percent),
            ("cap_percent", self.cap_percent),
            ("beschut_percent", self.beschut_percent),
            ("forfaitair_loonwaarde_percent", self.forfaitair_loonwaarde_percent),
        ];
        for (name, value) in percents {
            if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
                return Err(RuleError::invalid(format!("{field}.{name}"), "must be a percentage from 0 to 100"));
            }
        }
        Ok(())
    }
}

/// The LKS parameters over time, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LksSchedule {
    rules: Vec<LksRules>,
}

impl LksSchedule {
    /// Sorts and checks the parameters; two sets may not start on one day.
    pub fn new(mut rules: Vec<LksRules>) -> Result<Self, RuleError> {
        rules.sort_by_key(|r| r.from);
        for (i, r) in rules.iter().enumerate() {
            r.check(&format!("lks[{i}]"))?;
        }
        if let Some(pair) = rules.windows(2).find(|w| w[0].from == w[1].from) {
            return Err(RuleError::invalid("lks", format!("two sets of LKS parameters start on {}", pair[0].from)));
        }
        Ok(Self { rules })
    }

    /// The parameters in force on a date.
    pub fn in_force(&self, date: NaiveDate) -> Option<&LksRules> {
        self.rules.iter().rev().find(|r| r.from <= date)
    }

    pub fn all(&self) -> &[LksRules] {
        &self.rules
    }
}

/// What finance needs to know of a PW contract (from the employment
/// service's `ListContracts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFacts {
    /// HR's contract id.
    pub contract_id: String,
    /// The employee, as the intake service knows them.
    pub candidate_id: String,
    /// CBS code of the municipality that pays.
    pub paying_municipality_code: String,
    pub start: NaiveDate,
    /// Unset for an open-ended contract.
    pub end: Option<NaiveDate>,
    pub hours_per_week: Decimal,
    /// Doelgroep nieuw beschut: beschut werk in IBN's caseload.
    pub beschut: bool,
    /// The loonwaarde at the start: measured in percent, or `None` for a
    /// forfaitair contract.
    pub initial_loonwaarde: Option<Decimal>,
    /// Later measurements: effective date and percent.
    pub measurements: Vec<(NaiveDate, Decimal)>,
}

impl ContractFacts {
    /// Checks facts received from elsewhere before computing with them.
    pub fn check(&self) -> Result<(), RuleError> {
        let field = |name: &str| format!("contracts[{}].{name}", self.contract_id);
        if self.hours_per_week <= Decimal::ZERO {
            return Err(RuleError::invalid(field("hours_per_week"), "must be greater than 0"));
        }
        if self.end.is_some_and(|end| end < self.start) {
            return Err(RuleError::invalid(field("end_date"), "is before the start date"));
        }
        let percents = self.initial_loonwaarde.iter().chain(self.measurements.iter().map(|(_, p)| p));
        for p in percents {
            if *p < Decimal::ZERO || *p > Decimal::ONE_HUNDRED {
                return Err(RuleError::invalid(field("loonwaarde"), format!("{p} is not a percentage 0–100")));
            }
        }
        Ok(())
    }

    /// The loonwaarde in effect on a date: the latest measurement effective
    /// on or before it, else the one at the start (`None`: forfaitair).
    pub fn loonwaarde_on(&self, date: NaiveDate) -> Option<Decimal> {
        self.measurements
            .iter()
            .filter(|(from, _)| *from <= date)
            .max_by_key(|(from, _)| *from)
            .map(|(_, p)| *p)
            .or(self.initial_loonwaarde)
    }

    /// The days of a month the contract runs, if any.
    fn days_in(&self, year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
        let first = self.start.max(month_first(year, month));
        let last = self.end.map_or(month_last(year, month), |end| end.min(month_last(year, month)));
        (first <= last).then_some((first, last))
    }
}

/// Why a subsidy percentage applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LksBasis {
    /// Beschut werk: the fixed percentage.
    Beschut,
    /// From a measured loonwaarde.
    Measured,
    /// From the forfaitaire loonwaarde, not yet measured.
    Forfaitair,
}

/// The percentage of the minimum wage subsidised, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubsidyPercent {
    pub basis: LksBasis,
    /// The loonwaarde it follows from (`None` for beschut).
    pub loonwaarde: Option<Decimal>,
    pub percent: Decimal,
}

/// The one rule for the subsidy percentage.
pub fn subsidy_percent(rules: &LksRules, beschut: bool, loonwaarde: Option<Decimal>) -> SubsidyPercent {
    if beschut {
        return SubsidyPercent { basis: LksBasis::Beschut, loonwaarde: None, percent: rules.beschut_percent };
    }
    let (basis, loonwaarde) = match loonwaarde {
        Some(measured) => (LksBasis::Measured, measured),
        None => (LksBasis::Forfaitair, rules.forfaitair_loonwaarde_percent),
    };
    let gap = (Decimal::ONE_HUNDRED - loonwaarde).max(Decimal::ZERO);
    SubsidyPercent { basis, loonwaarde: Some(loonwaarde), percent: gap.min(rules.cap_percent) }
}

/// Days of a month with one subsidy percentage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub subsidy: SubsidyPercent,
}

impl Segment {
    pub fn days(&self) -> u32 {
        days_between(self.first, self.last)
    }
}

/// One month of one contract's LKS, with everything it was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthLks {
    pub year: i32,
    pub month: u32,
    pub wage_base: Decimal,
    pub full_time_hours: Decimal,
    pub hours_per_week: Decimal,
    pub employer_cost_percent: Decimal,
    pub days_in_month: u32,
    pub segments: Vec<Segment>,
    /// Rounded to the cent.
    pub amount: Decimal,
}

impl MonthLks {
    pub fn days_covered(&self) -> u32 {
        self.segments.iter().map(Segment::days).sum()
    }

    /// Hours per week ÷ full-time hours, to 6 decimals (shown; the amount
    /// is computed with the exact fraction).
    pub fn part_time_factor(&self) -> Decimal {
        round_dp(self.hours_per_week / self.full_time_hours, 6)
    }
}

/// The LKS of a contract in one month; `None` if it does not run in it.
pub fn month_lks(
    facts: &ContractFacts,
    schedule: &LksSchedule,
    year: i32,
    month: u32,
) -> Result<Option<MonthLks>, RuleError> {
    let Some((first, last)) = facts.days_in(year, month) else { return Ok(None) };
    let month_start = month_first(year, month);
    let rules = schedule.in_force(month_start).ok_or_else(|| {
        RuleError::refused("year", "reference/lks", format!("no LKS wage base is in force on {month_start}"))
    })?;
    let segments = segments(facts, rules, first, last);
    let days_in_month = days_in_month(year, month);
    // wage × (hours ÷ full time) × Σ(percent × days) ÷ 100 ÷ days in month
    // × (100 + allowance) ÷ 100: multiplied out first, divided once.
    let percent_days: Decimal = segments.iter().map(|s| s.subsidy.percent * Decimal::from(s.days())).sum();
    let numerator = rules.wage_base_month
        * facts.hours_per_week
        * percent_days
        * (Decimal::ONE_HUNDRED + rules.employer_cost_percent);
    let denominator = rules.full_time_hours * Decimal::from(days_in_month) * Decimal::from(10_000);
    Ok(Some(MonthLks {
        year,
        month,
        wage_base: rules.wage_base_month,
        full_time_hours: rules.full_time_hours,
        hours_per_week: facts.hours_per_week,
        employer_cost_percent: rules.employer_cost_percent,
        days_in_month,
        segments,
        amount: round_cents(numerator / denominator),
    }))
}

/// The days from `first` to `last` cut where the percentage changes.
fn segments(facts: &ContractFacts, rules: &LksRules, first: NaiveDate, last: NaiveDate) -> Vec<Segment> {
    if facts.measurements.is_empty() {
        // Never measured since the start: one percentage for every day.
        let subsidy = subsidy_percent(rules, facts.beschut, facts.initial_loonwaarde);
        return vec![Segment { first, last, subsidy }];
    }
    let mut segments: Vec<Segment> = Vec::new();
    for day in first.iter_days().take_while(|d| *d <= last) {
        let subsidy = subsidy_percent(rules, facts.beschut, facts.loonwaarde_on(day));
        match segments.last_mut() {
            Some(s) if s.subsidy == subsidy => s.last = day,
            _ => segments.push(Segment { first: day, last: day, subsidy }),
        }
    }
    segments
}

/// The LKS of a contract over some months (e.g. a quarter's three), for the
/// months it runs in.
pub fn contract_lks(
    facts: &ContractFacts,
    schedule: &LksSchedule,
    months: &[(i32, u32)],
) -> Result<Vec<MonthLks>, RuleError> {
    facts.check()?;
    let mut result = Vec::new();
    for &(year, month) in months {
        if let Some(m) = month_lks(facts, schedule, year, month)? {
            result.push(m);
        }
    }
    Ok(result)
}

/// The LKS of many contracts over the same months, each distinct month
/// worked out once. A contract never measured since its start has one
/// percentage for every day, so its month depends only on the days it runs
/// in it, its hours, its doelgroep and its loonwaarde at the start: at
/// national volume a year's 1.45 million contract months are a few hundred
/// whole months and the partial ones. Contracts with measurements are
/// worked out day by day, as [`contract_lks`] does.
pub struct MonthAmounts<'s> {
    schedule: &'s LksSchedule,
    months: &'s [(i32, u32)],
    known: foldhash::HashMap<(NaiveDate, NaiveDate, Decimal, bool, Option<Decimal>), Decimal>,
}

impl<'s> MonthAmounts<'s> {
    pub fn new(schedule: &'s LksSchedule, months: &'s [(i32, u32)]) -> Self {
        Self { schedule, months, known: Default::default() }
    }

    /// The sum of a contract's months (each rounded to the cent), `None` if
    /// it runs in none of them.
    pub fn total(&mut self, facts: &ContractFacts) -> Result<Option<Decimal>, RuleError> {
        if !facts.measurements.is_empty() {
            let months = contract_lks(facts, self.schedule, self.months)?;
            return Ok((!months.is_empty()).then(|| months.iter().map(|m| m.amount).sum()));
        }
        facts.check()?;
        let mut total = None;
        for &(year, month) in self.months {
            let Some((first, last)) = facts.days_in(year, month) else { continue };
            let key = (first, last, facts.hours_per_week, facts.beschut, facts.initial_loonwaarde);
            let amount = match self.known.get(&key) {
                Some(amount) => *amount,
                None => {
                    let amount = month_lks(facts, self.schedule, year, month)?.map_or(Decimal::ZERO, |m| m.amount);
                    *self.known.entry(key).or_insert(amount)
                }
            };
            *total.get_or_insert(Decimal::ZERO) += amount;
        }
        Ok(total)
    }
}

/// The months of a year from `first_month` to `last_month`.
pub fn months(year: i32, first_month: u32, last_month: u32) -> Vec<(i32, u32)> {
    (first_month..=last_month).map(|m| (year, m)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Quarter;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn rules(from: &str, wage: &str) -> LksRules {
        LksRules {
            from: d(from),
            wage_base_month: dec(wage),
            full_time_hours: dec("36"),
            employer_cost_percent: dec("23"),
            cap_percent: dec("70"),
            beschut_percent: dec("70"),
            forfaitair_loonwaarde_percent: dec("50"),
        }
    }

    fn schedule() -> LksSchedule {
        LksSchedule::new(vec![rules("2021-07-01", "1701.00"), rules("2021-01-01", "1684.80")]).unwrap()
    }

    fn contract(start: &str, hours: &str, beschut: bool, loonwaarde: Option<&str>) -> ContractFacts {
        ContractFacts {
            contract_id: "HR-1".into(),
            candidate_id: "c1".into(),
            paying_municipality_code: "GM0828".into(),
            start: d(start),
            end: None,
            hours_per_week: dec(hours),
            beschut,
            initial_loonwaarde: loonwaarde.map(dec),
            measurements: Vec::new(),
        }
    }

    fn quarter_total(facts: &ContractFacts, q: Quarter) -> Decimal {
        contract_lks(facts, &schedule(), &q.months()).unwrap().iter().map(|m| m.amount).sum()
    }

    fn q3() -> Quarter {
        Quarter::new(2021, 3).unwrap()
    }

    #[test]
    fn beschut_gets_70_percent_whatever_the_loonwaarde() {
        for loonwaarde in [Some("10"), Some("45"), Some("90"), None] {
            let facts = contract("2021-01-01", "36", true, loonwaarde);
            let july = month_lks(&facts, &schedule(), 2021, 7).unwrap().unwrap();
            assert_eq!(july.segments.len(), 1);
            assert_eq!(july.segments[0].subsidy.basis, LksBasis::Beschut);
            assert_eq!(july.segments[0].subsidy.percent, dec("70"));
            // 1,701.00 × 70% × 1.23 = 1,464.561
            assert_eq!(july.amount, dec("1464.56"), "{loonwaarde:?}");
        }
    }

    #[test]
    fn a_measured_loonwaarde_gives_the_gap_to_the_minimum_wage_up_to_the_cap() {
        let r = rules("2021-01-01", "1701");
        assert_eq!(subsidy_percent(&r, false, Some(dec("45"))).percent, dec("55"));
        assert_eq!(subsidy_percent(&r, false, Some(dec("20"))).percent, dec("70"), "capped");
        assert_eq!(subsidy_percent(&r, false, Some(dec("100"))).percent, dec("0"));
        assert_eq!(subsidy_percent(&r, false, None).basis, LksBasis::Forfaitair);
        assert_eq!(subsidy_percent(&r, false, None).percent, dec("50"));
        let facts = contract("2021-01-01", "36", false, Some("45"));
        // 1,701.00 × 55% × 1.23 = 1,150.7265 a month.
        assert_eq!(quarter_total(&facts, q3()), dec("1150.73") * dec("3"));
        // Before July the lower wage base: 1,684.80 × 55% × 1.23 = 1,139.7672.
        assert_eq!(month_lks(&facts, &schedule(), 2021, 6).unwrap().unwrap().amount, dec("1139.77"));
    }

    #[test]
    fn a_part_time_contract_gets_its_hours_share() {
        let facts = contract("2021-01-01", "24", false, Some("45"));
        let july = month_lks(&facts, &schedule(), 2021, 7).unwrap().unwrap();
        // 1,701.00 × 24/36 × 55% × 1.23 = 767.151
        assert_eq!(july.amount, dec("767.15"));
        assert_eq!(july.part_time_factor(), dec("0.666667"));
        let odd = contract("2021-01-01", "20", true, None);
        // 1,701.00 × 20/36 × 70% × 1.23 = 813.645 exactly: rounds up.
        assert_eq!(month_lks(&odd, &schedule(), 2021, 7).unwrap().unwrap().amount, dec("813.65"));
    }

    #[test]
    fn a_contract_starting_mid_quarter_counts_from_its_start() {
        let facts = contract("2021-08-16", "36", false, Some("45"));
        let months = contract_lks(&facts, &schedule(), &q3().months()).unwrap();
        assert_eq!(months.len(), 2, "July does not count");
        assert_eq!((months[0].month, months[0].days_covered(), months[0].days_in_month), (8, 16, 31));
        // 1,701.00 × 55% × 16/31 × 1.23 = 593.9234…
        assert_eq!(months[0].amount, dec("593.92"));
        assert_eq!(months[1].amount, dec("1150.73"));
        assert_eq!(quarter_total(&facts, q3()), dec("1744.65"));
    }

    #[test]
    fn a_contract_ending_mid_month_counts_to_its_end() {
        let mut facts = contract("2021-01-01", "36", true, None);
        facts.end = Some(d("2021-07-10"));
        let months = contract_lks(&facts, &schedule(), &q3().months()).unwrap();
        assert_eq!(months.len(), 1);
        // 1,464.561 × 10/31 = 472.4390…
        assert_eq!(months[0].amount, dec("472.44"));
    }

    #[test]
    fn a_measurement_counts_from_its_effective_date() {
        let mut facts = contract("2021-07-01", "36", false, None);
        facts.measurements.push((d("2021-07-11"), dec("40")));
        let july = month_lks(&facts, &schedule(), 2021, 7).unwrap().unwrap();
        assert_eq!(july.segments.len(), 2);
        assert_eq!((july.segments[0].subsidy.basis, july.segments[0].days()), (LksBasis::Forfaitair, 10));
        assert_eq!((july.segments[1].subsidy.percent, july.segments[1].days()), (dec("60"), 21));
        // 1,701 × (50% × 10 + 60% × 21) ÷ 31 × 1.23 = 1,187.8467…
        assert_eq!(july.amount, dec("1187.85"));
    }

    #[test]
    fn worked_out_once_a_month_is_the_same_as_contract_by_contract() {
        let months = months(2021, 1, 12);
        let schedule = schedule_from_january();
        let mut amounts = MonthAmounts::new(&schedule, &months);
        let mut contracts = Vec::new();
        for (start, end, hours, beschut, loonwaarde) in [
            ("2021-01-01", None, "36", false, Some("45")),
            ("2020-06-01", None, "36", false, Some("45")),
            ("2021-03-17", Some("2021-09-04"), "24", true, None),
            ("2021-03-17", Some("2021-09-04"), "24", false, None),
            ("2021-03-18", Some("2021-09-04"), "24", false, None),
            ("2021-05-02", Some("2021-05-20"), "20", false, Some("85")),
            ("2019-01-01", Some("2020-12-31"), "36", false, Some("45")),
        ] {
            let mut facts = contract(start, hours, beschut, loonwaarde);
            facts.end = end.map(d);
            contracts.push(facts);
        }
        let mut measured = contract("2021-02-10", "32", false, None);
        measured.measurements.push((d("2021-04-11"), dec("40")));
        contracts.push(measured);
        for facts in &contracts {
            let one_by_one = contract_lks(facts, &schedule, &months).unwrap();
            let expected = (!one_by_one.is_empty()).then(|| one_by_one.iter().map(|m| m.amount).sum::<Decimal>());
            // Asked twice: the second answer comes from the months known.
            assert_eq!(amounts.total(facts).unwrap(), expected, "{facts:?}");
            assert_eq!(amounts.total(facts).unwrap(), expected, "{facts:?}");
        }
        assert_eq!(amounts.total(&contracts[6]).unwrap(), None, "ended before the year");
        let mut bad = contract("2021-01-01", "0", false, None);
        assert!(amounts.total(&bad).is_err(), "checked even when its months are known");
        bad.hours_per_week = dec("36");
        bad.initial_loonwaarde = Some(dec("120"));
        assert!(amounts.total(&bad).is_err());
    }

    fn schedule_from_january() -> LksSchedule {
        LksSchedule::new(vec![rules("2021-07-01", "1701.00"), rules("2019-01-01", "1684.80")]).unwrap()
    }

    #[test]
    fn months_without_a_wage_base_are_refused() {
        let facts = contract("2020-01-01", "36", true, None);
        let err = month_lks(&facts, &schedule(), 2020, 12).unwrap_err();
        assert!(matches!(err, RuleError::Refused { .. }), "{err:?}");
    }

    #[test]
    fn bad_facts_and_bad_parameters_are_refused() {
        let facts = contract("2021-01-01", "0", false, Some("45"));
        assert!(contract_lks(&facts, &schedule(), &q3().months()).is_err());
        let facts = contract("2021-01-01", "36", false, Some("120"));
        assert!(contract_lks(&facts, &schedule(), &q3().months()).is_err());
        let mut bad = rules("2021-01-01", "1701");
        bad.cap_percent = dec("170");
        assert!(LksSchedule::new(vec![bad]).is_err());
        assert!(LksSchedule::new(vec![rules("2021-01-01", "1"), rules("2021-01-01", "2")]).is_err());
    }
}
