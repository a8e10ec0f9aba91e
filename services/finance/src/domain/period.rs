//! Budget periods (begrotingsperiodes): the partnership fixes scope, targets
//! and cost of the basispakket per period of (at most) two years; the first
//! ran 2021-07-01 – 2022-12-31, one and a half years.
//!
//! The rules: a period runs from the first of a month to the last of a
//! month, at most 24 months; periods never overlap.

use chrono::{Datelike, NaiveDate};

use super::RuleError;
use super::calendar::{Quarter, is_month_first, is_month_last};

/// The longest a budget period may run, in months.
pub const MAX_MONTHS: u32 = 24;

/// A budget period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetPeriod {
    pub id: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub description: String,
}

impl BudgetPeriod {
    /// The calendar years with at least one day in the period.
    pub fn years(&self) -> std::ops::RangeInclusive<i32> {
        self.first_day.year()..=self.last_day.year()
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first_day <= date && date <= self.last_day
    }

    /// The quarters of `year` that lie in the period (a period begins and
    /// ends at a month's edge, so a quarter lies in it if its first month
    /// does or its last does).
    pub fn quarters_in(&self, year: i32) -> Vec<Quarter> {
        Quarter::of_year(year)
            .into_iter()
            .filter(|q| self.contains(q.first_day()) || self.contains(q.last_day()))
            .collect()
    }

    pub fn overlaps(&self, first_day: NaiveDate, last_day: NaiveDate) -> bool {
        self.first_day <= last_day && first_day <= self.last_day
    }
}

/// Checks the dates of a new period on their own.
pub fn check_dates(first_day: NaiveDate, last_day: NaiveDate) -> Result<(), RuleError> {
    if !is_month_first(first_day) {
        return Err(RuleError::invalid("first_day", format!("{first_day} is not the first day of a month")));
    }
    if !is_month_last(last_day) {
        return Err(RuleError::invalid("last_day", format!("{last_day} is not the last day of a month")));
    }
    if last_day < first_day {
        return Err(RuleError::invalid("last_day", format!("{last_day} is before first_day {first_day}")));
    }
    let months = (last_day.year() - first_day.year()) * 12 + last_day.month() as i32 - first_day.month() as i32 + 1;
    if months > MAX_MONTHS as i32 {
        return Err(RuleError::invalid(
            "last_day",
            format!("the period would run {months} months; a budget period runs at most {MAX_MONTHS}"),
        ));
    }
    Ok(())
}

/// Refuses a new period that overlaps one of the existing ones.
pub fn check_no_overlap(existing: &[BudgetPeriod], first_day: NaiveDate, last_day: NaiveDate) -> Result<(), RuleError> {
    match existing.iter().find(|p| p.overlaps(first_day, last_day)) {
        Some(other) => Err(RuleError::refused(
            "first_day",
            format!("budgetPeriods/{}", other.id),
            format!(
                "{first_day} – {last_day} overlaps the budget period {} – {}; periods may not overlap",
                other.first_day, other.last_day
            ),
        )),
        None => Ok(()),
    }
}

/// The period that contains a date.
pub fn period_on(periods: &[BudgetPeriod], date: NaiveDate) -> Option<&BudgetPeriod> {
    periods.iter().find(|p| p.contains(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn first() -> BudgetPeriod {
        BudgetPeriod {
            id: "p1".into(),
            first_day: d("2021-07-01"),
            last_day: d("2022-12-31"),
            description: String::new(),
        }
    }

    #[test]
    fn the_first_period_is_one_and_a_half_years() {
        assert!(check_dates(d("2021-07-01"), d("2022-12-31")).is_ok());
        let p = first();
        assert_eq!(p.years(), 2021..=2022);
        assert_eq!(p.quarters_in(2021), [Quarter::new(2021, 3).unwrap(), Quarter::new(2021, 4).unwrap()]);
        assert_eq!(p.quarters_in(2022).len(), 4);
        assert!(p.quarters_in(2023).is_empty());
    }

    #[test]
    fn periods_run_from_month_edge_to_month_edge_at_most_two_years() {
        assert_eq!(check_dates(d("2021-07-02"), d("2022-12-31")).unwrap_err().field(), "first_day");
        assert_eq!(check_dates(d("2021-07-01"), d("2022-12-30")).unwrap_err().field(), "last_day");
        assert_eq!(check_dates(d("2023-01-01"), d("2022-12-31")).unwrap_err().field(), "last_day");
        assert!(check_dates(d("2023-01-01"), d("2024-12-31")).is_ok());
        assert!(check_dates(d("2023-01-01"), d("2025-01-31")).unwrap_err().to_string().contains("25 months"));
    }

    #[test]
    fn overlapping_periods_are_refused() {
        let existing = [first()];
        assert!(check_no_overlap(&existing, d("2023-01-01"), d("2024-12-31")).is_ok());
        assert!(check_no_overlap(&existing, d("2019-07-01"), d("2021-06-30")).is_ok());
        let err = check_no_overlap(&existing, d("2022-12-01"), d("2024-11-30")).unwrap_err();
        assert!(matches!(&err, RuleError::Refused { subject, .. } if subject == "budgetPeriods/p1"), "{err:?}");
        assert!(check_no_overlap(&existing, d("2020-01-01"), d("2021-07-31")).is_err());
        assert!(check_no_overlap(&existing, d("2021-09-01"), d("2021-09-30")).is_err());
    }
}
