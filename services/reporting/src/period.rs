//! The dates a report is about: the quarter's last day, the year through
//! that quarter, and the year-ends before it.

use chrono::NaiveDate;

/// A report's period: year Y through quarter Q.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPeriod {
    pub year: i32,
    pub quarter: u32,
}

impl ReportPeriod {
    pub fn new(year: i32, quarter: u32) -> Option<Self> {
        ((1..=4).contains(&quarter) && (2000..=2100).contains(&year)).then_some(Self { year, quarter })
    }

    /// The last day of the quarter: figures are as of this date.
    pub fn end(&self) -> NaiveDate {
        let (month, day) = match self.quarter {
            1 => (3, 31),
            2 => (6, 30),
            3 => (9, 30),
            _ => (12, 31),
        };
        NaiveDate::from_ymd_opt(self.year, month, day).expect("a quarter's last day")
    }

    pub fn year_start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, 1, 1).expect("1 January")
    }

    /// 31 December of an earlier year.
    pub fn year_end(year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, 12, 31).expect("31 December")
    }

    /// The dates beschut werk is shown on (section 6), oldest first: the
    /// ends of Y−2 and Y−1, then the quarter's end.
    pub fn beschut_dates(&self) -> [NaiveDate; 3] {
        [Self::year_end(self.year - 2), Self::year_end(self.year - 1), self.end()]
    }

    /// The Q4 report is the jaarverslag.
    pub fn is_annual(&self) -> bool {
        self.quarter == 4
    }

    pub fn title(&self) -> String {
        if self.is_annual() {
            format!("Jaarverslag {}", self.year)
        } else {
            format!("Kwartaalrapportage Q{} {}", self.quarter, self.year)
        }
    }

    /// "2023 t/m Q2", or "2023" for a whole year.
    pub fn year_to_date_label(&self) -> String {
        if self.is_annual() { self.year.to_string() } else { format!("{} t/m Q{}", self.year, self.quarter) }
    }

    /// The quarter before this one (Q4 of last year before Q1).
    pub fn previous(&self) -> Self {
        if self.quarter == 1 { Self { year: self.year - 1, quarter: 4 } } else { Self { year: self.year, quarter: self.quarter - 1 } }
    }

    /// The share of the year the period covers, in quarters (for pro-rata norms).
    pub fn quarters(&self) -> u32 {
        self.quarter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_end_on_their_last_day() {
        assert_eq!(ReportPeriod::new(2024, 1).unwrap().end(), "2024-03-31".parse().unwrap());
        assert_eq!(ReportPeriod::new(2024, 4).unwrap().end(), "2024-12-31".parse().unwrap());
        assert!(ReportPeriod::new(2024, 5).is_none());
        assert_eq!(ReportPeriod::new(2023, 4).unwrap().title(), "Jaarverslag 2023");
        assert_eq!(ReportPeriod::new(2023, 2).unwrap().title(), "Kwartaalrapportage Q2 2023");
        assert_eq!(ReportPeriod::new(2024, 1).unwrap().previous().end(), "2023-12-31".parse().unwrap());
        assert_eq!(ReportPeriod::new(2024, 3).unwrap().previous().end(), "2024-06-30".parse().unwrap());
    }
}
