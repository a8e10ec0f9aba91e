//! Indications beschut werk: granted by UWV, possibly for a term, ended by
//! expiry or withdrawal. An indication applies from its granted date up to
//! and including the last day of its term, and no longer from its end date.

use chrono::NaiveDate;
use partnership_platform::code_enum;

code_enum! {
    /// How an indication ended.
    pub enum IndicationEnd {
        /// Verlopen.
        Expired = "EXPIRED",
        /// Ingetrokken.
        Withdrawn = "WITHDRAWN",
    }
}

/// An indication's dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indication {
    pub granted_date: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    /// How it ended, and the first day it no longer applies.
    pub ended: Option<(IndicationEnd, NaiveDate)>,
}

impl Indication {
    /// Does the indication apply on this day?
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.granted_date <= day
            && self.valid_until.is_none_or(|last| day <= last)
            && self.ended.is_none_or(|(_, end)| day < end)
    }
}

/// Why an end is refused.
pub fn check_end(indication: &Indication, end_date: NaiveDate) -> Result<(), String> {
    if let Some((how, date)) = indication.ended {
        return Err(format!("ended already ({}, {date})", how.code()));
    }
    if end_date <= indication.granted_date {
        return Err(format!("must be after the granted date {}", indication.granted_date));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn an_expired_indication_stops_counting_on_its_end_date() {
        let mut i = Indication { granted_date: d("2021-03-01"), valid_until: None, ended: None };
        assert!(!i.active_on(d("2021-02-28")));
        assert!(i.active_on(d("2021-03-01")));
        i.ended = Some((IndicationEnd::Expired, d("2022-12-31")));
        assert!(i.active_on(d("2022-12-30")));
        assert!(!i.active_on(d("2022-12-31")));
    }

    #[test]
    fn a_term_ends_after_its_last_day() {
        let i = Indication { granted_date: d("2021-03-01"), valid_until: Some(d("2023-02-28")), ended: None };
        assert!(i.active_on(d("2023-02-28")));
        assert!(!i.active_on(d("2023-03-01")));
    }

    #[test]
    fn an_end_must_follow_the_grant_and_come_once() {
        let mut i = Indication { granted_date: d("2021-03-01"), valid_until: None, ended: None };
        assert!(check_end(&i, d("2021-03-01")).is_err());
        assert!(check_end(&i, d("2021-03-02")).is_ok());
        i.ended = Some((IndicationEnd::Withdrawn, d("2021-06-01")));
        assert!(check_end(&i, d("2021-07-01")).is_err());
    }
}
