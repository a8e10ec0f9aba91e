//! Quarters and months: the units finance invoices and reports in. The
//! partnership is monitored every quarter; LKS is computed per month.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::RuleError;

/// The first year the partnership's data can refer to, and the last.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A year a client sent, within [`YEARS`].
pub fn check_year(field: &str, year: i32) -> Result<i32, RuleError> {
    if YEARS.contains(&year) {
        Ok(year)
    } else if year == 0 {
        Err(RuleError::invalid(field, "is required"))
    } else {
        Err(RuleError::invalid(field, format!("{year} is not a year from {} to {}", YEARS.start(), YEARS.end())))
    }
}

/// A calendar quarter (kwartaal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    /// 1–4.
    pub number: u32,
}

impl Quarter {
    /// The quarter, if `year` is in range and `number` is 1–4.
    pub fn new(year: i32, number: u32) -> Option<Self> {
        (YEARS.contains(&year) && (1..=4).contains(&number)).then_some(Self { year, number })
    }

    /// Checks a year and quarter a client sent.
    pub fn parse(year_field: &str, quarter_field: &str, year: i32, number: i32) -> Result<Self, RuleError> {
        let year = check_year(year_field, year)?;
        u32::try_from(number)
            .ok()
            .and_then(|n| Self::new(year, n))
            .ok_or_else(|| RuleError::invalid(quarter_field, format!("{number} is not a quarter 1–4")))
    }

    /// The quarter a date falls in.
    pub fn of(date: NaiveDate) -> Self {
        Self { year: date.year(), number: (date.month() - 1) / 3 + 1 }
    }

    pub fn first_day(self) -> NaiveDate {
        month_first(self.year, (self.number - 1) * 3 + 1)
    }

    pub fn last_day(self) -> NaiveDate {
        month_last(self.year, self.number * 3)
    }

    /// Its three months, as (year, month).
    pub fn months(self) -> [(i32, u32); 3] {
        let first = (self.number - 1) * 3 + 1;
        [(self.year, first), (self.year, first + 1), (self.year, first + 2)]
    }

    /// The four quarters of a year.
    pub fn of_year(year: i32) -> [Self; 4] {
        [1, 2, 3, 4].map(|number| Self { year, number })
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

/// The first day of a month. `month` must be 1–12 and the year in range.
pub fn month_first(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
}

/// The last day of a month.
pub fn month_last(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 { month_first(year + 1, 1) } else { month_first(year, month + 1) };
    next.pred_opt().unwrap_or(NaiveDate::MIN)
}

/// The number of days in a month.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    month_last(year, month).day()
}

/// The days from `first` to `last`, both included (0 if last < first).
pub fn days_between(first: NaiveDate, last: NaiveDate) -> u32 {
    u32::try_from((last - first).num_days() + 1).unwrap_or(0)
}

/// True if the date is the first of its month.
pub fn is_month_first(date: NaiveDate) -> bool {
    date.day() == 1
}

/// True if the date is the last of its month.
pub fn is_month_last(date: NaiveDate) -> bool {
    date == month_last(date.year(), date.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn quarters_have_their_days_and_months() {
        let q = Quarter::new(2021, 3).unwrap();
        assert_eq!(q.first_day(), d("2021-07-01"));
        assert_eq!(q.last_day(), d("2021-09-30"));
        assert_eq!(q.months(), [(2021, 7), (2021, 8), (2021, 9)]);
        assert_eq!(Quarter::of(d("2021-12-31")), Quarter::new(2021, 4).unwrap());
        assert_eq!(Quarter::new(2024, 1).unwrap().to_string(), "2024-Q1");
        assert!(Quarter::new(2021, 5).is_none());
        assert_eq!(Quarter::parse("year", "quarter", 2021, 0).unwrap_err().field(), "quarter");
        assert_eq!(Quarter::parse("year", "quarter", 0, 1).unwrap_err().field(), "year");
    }

    #[test]
    fn months_know_their_length() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2021, 12), 31);
        assert_eq!(days_between(d("2021-08-16"), d("2021-08-31")), 16);
        assert_eq!(days_between(d("2021-08-16"), d("2021-08-15")), 0);
        assert!(is_month_last(d("2022-12-31")) && is_month_first(d("2021-07-01")));
    }
}
