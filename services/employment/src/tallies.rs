//! What employment's facts add to the figures kept on write
//! (`partnership_platform::tally`), so that started dienstverbanden,
//! completed trajectories and activities over a period are sums of a few
//! thousand rows, not a read of every contract and trajectory.
//!
//! - [`STARTED`]: a trajectory counts once, on the start date of the PW
//!   contract that started it, keyed by that contract's classification
//!   (`store::classification_key`). A contract no longer PW counts nothing.
//! - [`COMPLETED`]: a completed trajectory counts once, on its completion
//!   date, keyed "result|uitstroomprofiel" of its contract (empty when the
//!   contract has none).
//! - [`ACTIVITIES`]: an activity counts once, on its date, keyed by kind.
//!
//! Each counts in the municipality of its contract (or activity); a
//! contract without one counts under [`NO_MUNICIPALITY`], which only the
//! whole partnership's figures read. A change to a contract with a
//! trajectory takes back what the trajectory counted with the old contract
//! and adds what it counts with the new one ([`trajectory`], −1 and +1).

use chrono::NaiveDate;
use partnership_platform::tally::Tallies;

use crate::domain::contract::{Contract, ContractKind, Uitstroomprofiel};
use crate::domain::trajectory::TrajectoryResult;
use crate::store;

/// Trajectories by the start date of their contract, keyed by its classification.
pub const STARTED: &str = "started";
/// Completed trajectories by completion date, keyed "result|uitstroomprofiel".
pub const COMPLETED: &str = "completed";
/// Activities by date, keyed by kind.
pub const ACTIVITIES: &str = "activities";

/// The municipality of what has none (a contract of another kind than PW
/// may lack one).
pub const NO_MUNICIPALITY: &str = "";

/// The key of a [`COMPLETED`] tally.
pub fn completed_key(result: TrajectoryResult, uitstroomprofiel: Option<Uitstroomprofiel>) -> String {
    format!("{}|{}", result.code(), uitstroomprofiel.map(|p| p.code()).unwrap_or(""))
}

/// A [`COMPLETED`] key read back; None for a key this build does not know.
pub fn parse_completed_key(key: &str) -> Option<(TrajectoryResult, Option<Uitstroomprofiel>)> {
    let (result, profile) = key.split_once('|')?;
    let profile = match profile {
        "" => None,
        code => Some(Uitstroomprofiel::from_code(code)?),
    };
    Some((TrajectoryResult::from_code(result)?, profile))
}

/// A trajectory with the contract that started it and its completion, if
/// any: `n` in each figure it counts in.
pub fn trajectory(tallies: &mut Tallies, contract: &Contract, completion: Option<(NaiveDate, TrajectoryResult)>, n: i64) {
    let municipality = contract.municipality_code.as_deref().unwrap_or(NO_MUNICIPALITY);
    if let (ContractKind::Pw, Some(pw)) = (contract.kind, &contract.pw) {
        tallies.add(STARTED, "", municipality, &store::classification_key(pw), contract.start_date, n);
    }
    if let Some((day, result)) = completion {
        let key = completed_key(result, contract.pw.as_ref().map(|p| p.uitstroomprofiel));
        tallies.add(COMPLETED, "", municipality, &key, day, n);
    }
}

/// A trajectory of this contract completed on `day` with `result`.
pub fn completed(tallies: &mut Tallies, contract: &Contract, day: NaiveDate, result: TrajectoryResult) {
    trajectory(tallies, contract, None, -1);
    trajectory(tallies, contract, Some((day, result)), 1);
}

/// A new activity.
pub fn activity(tallies: &mut Tallies, municipality: &str, kind: &str, day: NaiveDate) {
    tallies.add(ACTIVITIES, "", municipality, kind, day, 1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contract::tests::pw;

    #[test]
    fn a_completed_key_reads_back() {
        for result in TrajectoryResult::ALL {
            for profile in Uitstroomprofiel::ALL.iter().copied().map(Some).chain([None]) {
                assert_eq!(parse_completed_key(&completed_key(*result, profile)), Some((*result, profile)));
            }
        }
        assert_eq!(parse_completed_key("NO_SUCH_RESULT|"), None);
    }

    #[test]
    fn a_classification_key_reads_back() {
        let contract = pw("HR-1", "p1", "2024-02-01");
        let pw = contract.pw.unwrap();
        assert_eq!(store::classification_of_key(&store::classification_key(&pw)).unwrap(), pw);
        assert!(store::classification_of_key("AANBODGESTUURD|x").is_err());
    }

    #[test]
    fn a_completion_adds_to_the_completed_and_leaves_the_started() {
        let contract = pw("HR-1", "p1", "2024-02-01");
        let day = "2024-11-30".parse().unwrap();
        let mut opened_then_completed = Tallies::new();
        trajectory(&mut opened_then_completed, &contract, None, 1);
        completed(&mut opened_then_completed, &contract, day, TrajectoryResult::Verhuisd);
        let mut at_once = Tallies::new();
        trajectory(&mut at_once, &contract, Some((day, TrajectoryResult::Verhuisd)), 1);
        assert_eq!(opened_then_completed, at_once);
    }
}
