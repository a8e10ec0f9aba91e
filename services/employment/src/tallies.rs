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
//! - [`EMPLOYED`], keyed by what the headcount counts a person in (a
//!   contract kind, or BESCHUT): a person once from the first day of each
//!   spell of employment up to the day after its last ([`person_counts`]).
//! - [`PW_INFLOW`] and [`PW_OUTFLOW`], per calendar year (the part): a
//!   person once, on the first day in the year a PW spell began (ended).
//!   A year-to-date sum is then the persons whose employment began (ended)
//!   in that period, as `figures::headcount` counts them.
//!
//! The headcount figures count persons, not contracts, so they are kept
//! per person (`crate::headcount`): of one category only for a person whose
//! contracts of it are in one municipality. A person with contracts of one
//! category in several ("apart") is counted from those contracts when
//! asked: over a scope holding two of them the person counts once, which
//! no sum over municipalities can say.
//!
//! Each counts in the municipality of its contract (or activity); a
//! contract without one counts under [`NO_MUNICIPALITY`], which only the
//! whole partnership's figures read. A change to a contract with a
//! trajectory takes back what the trajectory counted with the old contract
//! and adds what it counts with the new one ([`trajectory`], −1 and +1).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use partnership_platform::tally::Tallies;

use crate::domain::contract::{Contract, ContractKind, Uitstroomprofiel};
use crate::domain::figures::{self, Counted};
use crate::domain::trajectory::TrajectoryResult;
use crate::store;

/// Trajectories by the start date of their contract, keyed by its classification.
pub const STARTED: &str = "started";
/// Completed trajectories by completion date, keyed "result|uitstroomprofiel".
pub const COMPLETED: &str = "completed";
/// Activities by date, keyed by kind.
pub const ACTIVITIES: &str = "activities";

/// Persons employed per category (`figures::Counted`), by the days of their spells.
pub const EMPLOYED: &str = "employed";
/// Persons per calendar year whose PW employment began, on the first such day.
pub const PW_INFLOW: &str = "pw_inflow";
/// Persons per calendar year whose PW employment ended, on the first such day.
pub const PW_OUTFLOW: &str = "pw_outflow";

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

/// One person's share of the headcount figures.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PersonCounts {
    /// (figure, part, municipality, key, day, n).
    pub cells: Vec<(&'static str, String, String, String, NaiveDate, i64)>,
    /// The categories the person is counted in from the contracts when
    /// asked instead (contracts of it in more than one municipality).
    pub apart: Vec<Counted>,
}

/// What one person's contracts (all of them) add to the headcount figures.
pub fn person_counts<'a>(contracts: impl IntoIterator<Item = &'a Contract>) -> PersonCounts {
    let mut counts = PersonCounts::default();
    for (counted, per_municipality) in figures::person_employment(contracts) {
        if per_municipality.len() > 1 {
            counts.apart.push(counted);
            continue;
        }
        let Some((municipality, spells)) = per_municipality.into_iter().next() else { continue };
        let municipality = municipality.unwrap_or(NO_MUNICIPALITY);
        let mut cell = |figure: &'static str, part: String, key: &str, day: NaiveDate, n: i64| {
            counts.cells.push((figure, part, municipality.to_owned(), key.to_owned(), day, n));
        };
        for (first, last) in &spells {
            cell(EMPLOYED, String::new(), counted.code(), *first, 1);
            if let Some(after) = last.and_then(|last| last.succ_opt()) {
                cell(EMPLOYED, String::new(), counted.code(), after, -1);
            }
        }
        if counted == Counted::Kind(ContractKind::Pw) {
            let mut began: BTreeMap<i32, NaiveDate> = BTreeMap::new();
            let mut ended: BTreeMap<i32, NaiveDate> = BTreeMap::new();
            for (first, last) in &spells {
                let earliest = began.entry(first.year()).or_insert(*first);
                *earliest = (*earliest).min(*first);
                if let Some(last) = last {
                    let earliest = ended.entry(last.year()).or_insert(*last);
                    *earliest = (*earliest).min(*last);
                }
            }
            for (year, day) in began {
                cell(PW_INFLOW, year.to_string(), "", day, 1);
            }
            for (year, day) in ended {
                cell(PW_OUTFLOW, year.to_string(), "", day, 1);
            }
        }
    }
    counts
}

/// Adds a person's counts (`sign` 1), or takes them back (-1).
pub fn add_person(tallies: &mut Tallies, counts: &PersonCounts, sign: i64) {
    for (figure, part, municipality, key, day, n) in &counts.cells {
        tallies.add(figure, part, municipality, key, *day, n * sign);
    }
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

    /// A small generator, so the test needs no dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    #[test]
    fn the_headcount_kept_per_person_is_the_headcount_of_the_contracts() {
        use crate::domain::figures::{Period, apart_pw_flows, apart_running, headcount};
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let municipalities = [Some("GM0828"), Some("GM1721"), Some("GM1948"), None];
        let kinds = [ContractKind::Pw, ContractKind::Pw, ContractKind::Pw, ContractKind::Wsw, ContractKind::Regulier];
        let mut rng = Rng(2024);
        let mut contracts = Vec::new();
        for person in 0..400 {
            // Mostly one municipality per person; some in two (counted apart).
            let home = municipalities[rng.below(3) as usize];
            let mut start = d("2021-01-01") + chrono::Duration::days(rng.below(700) as i64);
            for k in 0..1 + rng.below(3) {
                let kind = kinds[rng.below(kinds.len() as u64) as usize];
                let mut c = pw(&format!("HR-{person}-{k}"), &format!("p{person}"), &start.to_string());
                c.kind = kind;
                if kind == ContractKind::Pw {
                    if rng.below(3) == 0 {
                        c.pw.as_mut().unwrap().doelgroep = crate::domain::contract::Doelgroep::NieuwBeschut;
                    }
                    c.municipality_code = if rng.below(10) == 0 { municipalities[rng.below(3) as usize] } else { home }.map(str::to_owned);
                } else {
                    c.pw = None;
                    c.municipality_code = if rng.below(4) == 0 { None } else { home.map(str::to_owned) };
                }
                let length = 20 + rng.below(500) as i64;
                c.end_date = (rng.below(4) != 0).then(|| start + chrono::Duration::days(length));
                // The next one overlaps, follows the next day (a renewal) or comes after a gap.
                start = start + chrono::Duration::days(length + [-30, 1, 90][rng.below(3) as usize]);
                contracts.push(c);
            }
        }
        let mut people: BTreeMap<&str, Vec<&Contract>> = BTreeMap::new();
        for c in &contracts {
            people.entry(c.candidate_id.as_str()).or_default().push(c);
        }
        let counts: Vec<(&str, PersonCounts)> = people.iter().map(|(p, cs)| (*p, person_counts(cs.iter().copied()))).collect();
        let apart_persons = counts.iter().filter(|(_, c)| !c.apart.is_empty()).count();
        assert!(apart_persons > 10 && apart_persons < 200, "{apart_persons} persons counted apart");

        let scopes: [&[Option<&str>]; 4] = [&municipalities, &[Some("GM0828")], &[Some("GM1721"), Some("GM1948")], &[Some("GM1948"), None]];
        let mut compared = 0;
        for scope in scopes {
            let in_scope: Vec<Contract> = contracts.iter().filter(|c| scope.contains(&c.municipality_code.as_deref())).cloned().collect();
            let apart: Vec<(Vec<Counted>, &Contract)> = in_scope
                .iter()
                .filter_map(|c| {
                    let (_, kept) = counts.iter().find(|(p, _)| *p == c.candidate_id)?;
                    (!kept.apart.is_empty()).then(|| (kept.apart.clone(), c))
                })
                .collect();
            let apart = || apart.iter().map(|(k, c)| (k.as_slice(), *c));
            for on in ["2021-06-30", "2022-03-31", "2022-12-31", "2023-09-30"].map(d) {
                let period = Period { first: NaiveDate::from_ymd_opt(on.year(), 1, 1).unwrap(), last: on };
                let expected = headcount(&in_scope, on, period);
                let sum = |figure: &str, part: &str, key: &str, from: NaiveDate| -> u64 {
                    let n: i64 = counts
                        .iter()
                        .flat_map(|(_, c)| &c.cells)
                        .filter(|(f, p, m, k, day, _)| {
                            *f == figure && p == part && k == key && from <= *day && *day <= on
                                && scope.contains(&Some(m.as_str()).filter(|m| !m.is_empty()))
                        })
                        .map(|cell| cell.5)
                        .sum();
                    u64::try_from(n).unwrap()
                };
                let running = apart_running(apart(), on);
                let employed = |counted: Counted| {
                    sum(EMPLOYED, "", counted.code(), NaiveDate::MIN) + running.get(&counted).copied().unwrap_or(0)
                };
                for (kind, n) in &expected.by_kind {
                    assert_eq!(employed(Counted::Kind(*kind)), *n, "{scope:?} {on} {kind:?}");
                }
                assert_eq!(employed(Counted::Beschut), expected.pw_beschut, "{scope:?} {on} beschut");
                let (apart_in, apart_out) = apart_pw_flows(apart(), period);
                let year = on.year().to_string();
                assert_eq!(sum(PW_INFLOW, &year, "", period.first) + apart_in, expected.pw_inflow, "{scope:?} {on} inflow");
                assert_eq!(sum(PW_OUTFLOW, &year, "", period.first) + apart_out, expected.pw_outflow, "{scope:?} {on} outflow");
                compared += expected.pw_persons + expected.pw_inflow + expected.pw_outflow;
            }
        }
        assert!(compared > 1000, "{compared}");
    }
}
