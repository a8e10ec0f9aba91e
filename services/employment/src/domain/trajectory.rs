//! Development trajectories (ontwikkeltrajecten): started by a PW
//! dienstverband, at most 23 months, completed with a result (domain.md §3).

use chrono::{Months, NaiveDate};
use partnership_platform::code_enum;

/// A trajectory lasts at most this many months.
pub const MAX_MONTHS: u32 = 23;

code_enum! {
    /// The result of a completed trajectory.
    pub enum TrajectoryResult {
        Opleiding = "OPLEIDING",
        DvbReguliereWerkgever = "DVB_REGULIERE_WERKGEVER",
        /// Dvb IBN (regulier contract).
        DvbIbnRegulierContract = "DVB_IBN_REGULIER_CONTRACT",
        /// Dvb IBN (kernbezetting PW): a permanent PW contract at IBN.
        DvbIbnKernbezetting = "DVB_IBN_KERNBEZETTING",
        OpEigenVerzoek = "OP_EIGEN_VERZOEK",
        /// Traject (nog) niet passend.
        NietPassend = "NIET_PASSEND",
        Verhuisd = "VERHUISD",
    }
}

code_enum! {
    /// The group of a result.
    pub enum ResultGroup {
        /// Afgerond, naar werk of opleiding.
        NaarWerkOfOpleiding = "NAAR_WERK_OF_OPLEIDING",
        /// Afgerond, overig.
        Overig = "OVERIG",
    }
}

impl TrajectoryResult {
    pub fn group(self) -> ResultGroup {
        match self {
            Self::Opleiding | Self::DvbReguliereWerkgever | Self::DvbIbnRegulierContract | Self::DvbIbnKernbezetting => {
                ResultGroup::NaarWerkOfOpleiding
            }
            Self::OpEigenVerzoek | Self::NietPassend | Self::Verhuisd => ResultGroup::Overig,
        }
    }
}

/// The last day a trajectory started on `start` may run.
pub fn max_end_date(start: NaiveDate) -> NaiveDate {
    let end = start.checked_add_months(Months::new(MAX_MONTHS)).unwrap_or(NaiveDate::MAX);
    end.pred_opt().unwrap_or(end)
}

/// Is an open trajectory past its maximum on `day`?
pub fn past_maximum(start: NaiveDate, day: NaiveDate) -> bool {
    day > max_end_date(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_trajectory_runs_23_months() {
        assert_eq!(max_end_date(d("2022-01-01")), d("2023-11-30"));
        assert!(!past_maximum(d("2022-01-01"), d("2023-11-30")));
        assert!(past_maximum(d("2022-01-01"), d("2023-12-01")));
        assert_eq!(max_end_date(d("2022-03-31")), d("2024-02-28"));
    }

    #[test]
    fn every_result_has_its_group() {
        let to_work = TrajectoryResult::ALL.iter().filter(|r| r.group() == ResultGroup::NaarWerkOfOpleiding).count();
        assert_eq!((to_work, TrajectoryResult::ALL.len() - to_work), (4, 3));
    }
}
