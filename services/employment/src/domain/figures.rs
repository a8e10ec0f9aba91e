//! The employment figures of domain.md §3, computed from contract and
//! trajectory facts: started dienstverbanden by classification, completed
//! trajectories by result (and by the uitstroomprofiel at their start),
//! persons employed on a date with in- and outflow, and beschut persons per
//! werkladder step with their fte. Plain functions over plain data.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use partnership_platform::decimals::fte;
use rust_decimal::Decimal;

use super::contract::{
    Contract, ContractKind, Doelgroep, Loonwaardeklasse, PwClassification, SoortPlaatsing, Uitstroomprofiel,
    WerkladderStep,
};
use super::trajectory::{ResultGroup, TrajectoryResult};

/// A period of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first <= day && day <= self.last
    }

    /// From 1 January into the same year (a report's period to date).
    pub fn is_year_to_date(&self) -> bool {
        use chrono::Datelike;
        self.first.ordinal() == 1 && self.last.year() == self.first.year() && self.first <= self.last
    }
}

/// Counts per value, every value present (zero included), in order.
fn tally<T: Copy + Ord>(all: &[T], values: impl Iterator<Item = T>) -> Vec<(T, u64)> {
    let mut counts: BTreeMap<T, u64> = all.iter().map(|&v| (v, 0)).collect();
    for value in values {
        *counts.entry(value).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// Started PW dienstverbanden by the five classifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub total: u64,
    pub by_soort_plaatsing: Vec<(SoortPlaatsing, u64)>,
    pub by_doelgroep: Vec<(Doelgroep, u64)>,
    pub by_uitstroomprofiel: Vec<(Uitstroomprofiel, u64)>,
    pub by_loonwaardeklasse: Vec<(Loonwaardeklasse, u64)>,
    pub by_instroom_trede: Vec<(WerkladderStep, u64)>,
}

/// Classifies the PW contracts that started a dienstverband (a trajectory)
/// in the period.
pub fn started<'a>(starters: impl Iterator<Item = &'a Contract> + Clone, period: Period) -> Started {
    let pw = starters.filter(move |c| period.contains(c.start_date)).filter_map(|c| c.pw.as_ref());
    Started {
        total: pw.clone().count() as u64,
        by_soort_plaatsing: tally(SoortPlaatsing::ALL, pw.clone().map(|p| p.soort_plaatsing)),
        by_doelgroep: tally(Doelgroep::ALL, pw.clone().map(|p| p.doelgroep)),
        by_uitstroomprofiel: tally(Uitstroomprofiel::ALL, pw.clone().map(|p| p.uitstroomprofiel)),
        by_loonwaardeklasse: tally(Loonwaardeklasse::ALL, pw.clone().map(|p| p.loonwaarde.class())),
        by_instroom_trede: tally(WerkladderStep::ALL, pw.map(|p| p.werkladder_step)),
    }
}

/// Counts per value of weighted values, every value present, in order.
fn tally_counted<T: Copy + Ord>(all: &[T], values: impl Iterator<Item = (T, u64)>) -> Vec<(T, u64)> {
    let mut counts: BTreeMap<T, u64> = all.iter().map(|&v| (v, 0)).collect();
    for (value, n) in values {
        *counts.entry(value).or_default() += n;
    }
    counts.into_iter().collect()
}

/// [`started`] from classifications already counted (by the store), each
/// with the number of starters that have it.
pub fn started_counted(groups: &[(PwClassification, u64)]) -> Started {
    let all = || groups.iter();
    Started {
        total: all().map(|(_, n)| n).sum(),
        by_soort_plaatsing: tally_counted(SoortPlaatsing::ALL, all().map(|(p, n)| (p.soort_plaatsing, *n))),
        by_doelgroep: tally_counted(Doelgroep::ALL, all().map(|(p, n)| (p.doelgroep, *n))),
        by_uitstroomprofiel: tally_counted(Uitstroomprofiel::ALL, all().map(|(p, n)| (p.uitstroomprofiel, *n))),
        by_loonwaardeklasse: tally_counted(Loonwaardeklasse::ALL, all().map(|(p, n)| (p.loonwaarde.class(), *n))),
        by_instroom_trede: tally_counted(WerkladderStep::ALL, all().map(|(p, n)| (p.werkladder_step, *n))),
    }
}

/// Trajectories completed in a period with one result and one
/// uitstroomprofiel at their start, counted (by the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    pub result: TrajectoryResult,
    pub uitstroomprofiel_at_start: Option<Uitstroomprofiel>,
    pub count: u64,
}

/// Completed trajectories by group and result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Results {
    pub completed: u64,
    pub groups: Vec<(ResultGroup, u64, Vec<(TrajectoryResult, u64)>)>,
}

fn results<'a>(completions: impl Iterator<Item = &'a Completion> + Clone) -> Results {
    let by_result = tally_counted(TrajectoryResult::ALL, completions.clone().map(|c| (c.result, c.count)));
    let groups = ResultGroup::ALL
        .iter()
        .map(|&group| {
            let results: Vec<(TrajectoryResult, u64)> =
                by_result.iter().filter(|(r, _)| r.group() == group).copied().collect();
            (group, results.iter().map(|(_, n)| n).sum(), results)
        })
        .collect();
    Results { completed: completions.map(|c| c.count).sum(), groups }
}

/// Trajectories completed in a period (counted by the store), in all and
/// per uitstroomprofiel set at their start (the development KPI).
pub fn completed(completions: &[Completion]) -> (Results, Vec<(Uitstroomprofiel, Results)>) {
    let in_period = completions.iter();
    let by_profile = Uitstroomprofiel::ALL
        .iter()
        .map(|&profile| {
            let of_profile = in_period.clone().filter(move |c| c.uitstroomprofiel_at_start == Some(profile));
            (profile, results(of_profile))
        })
        .collect();
    (results(in_period), by_profile)
}

/// Persons employed on a date, and PW in- and outflow over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headcount {
    pub pw_persons: u64,
    pub pw_beschut: u64,
    pub pw_niet_beschut: u64,
    pub pw_inflow: u64,
    pub pw_outflow: u64,
    pub by_kind: Vec<(ContractKind, u64)>,
}

pub fn headcount(contracts: &[Contract], on: NaiveDate, period: Period) -> Headcount {
    let running: Vec<&Contract> = contracts.iter().filter(|c| c.runs_on(on)).collect();
    let persons = |kind: ContractKind| -> HashSet<&str> {
        running.iter().filter(|c| c.kind == kind).map(|c| c.candidate_id.as_str()).collect()
    };
    let pw = persons(ContractKind::Pw);
    let beschut: HashSet<&str> = running
        .iter()
        .filter(|c| c.pw.as_ref().is_some_and(|p| p.is_beschut()))
        .map(|c| c.candidate_id.as_str())
        .collect();
    let spells: Vec<(&str, NaiveDate, Option<NaiveDate>)> = contracts
        .iter()
        .filter(|c| c.kind == ContractKind::Pw)
        .map(|c| (c.candidate_id.as_str(), c.start_date, c.end_date))
        .collect();
    let (inflow, outflow) = pw_flows(spells, period);
    Headcount {
        pw_persons: pw.len() as u64,
        pw_beschut: beschut.len() as u64,
        pw_niet_beschut: (pw.len() - beschut.len()) as u64,
        pw_inflow: inflow,
        pw_outflow: outflow,
        by_kind: ContractKind::ALL.iter().map(|&k| (k, persons(k).len() as u64)).collect(),
    }
}

/// PW (inflow, outflow) in the period from PW contracts (candidate, start,
/// end): see [`headcount`].
pub fn flows_of(pw_spells: &[(String, NaiveDate, Option<NaiveDate>)], period: Period) -> (u64, u64) {
    pw_flows(pw_spells.iter().map(|(c, s, e)| (c.as_str(), *s, *e)), period)
}

/// The headcount from persons counted per kind, beschut persons, and the
/// PW (inflow, outflow).
pub fn headcount_counted(persons_by_kind: &[(ContractKind, u64)], beschut_persons: u64, (inflow, outflow): (u64, u64)) -> Headcount {
    let persons = |kind: ContractKind| persons_by_kind.iter().filter(|(k, _)| *k == kind).map(|(_, n)| n).sum::<u64>();
    let pw = persons(ContractKind::Pw);
    Headcount {
        pw_persons: pw,
        pw_beschut: beschut_persons,
        pw_niet_beschut: pw.saturating_sub(beschut_persons),
        pw_inflow: inflow,
        pw_outflow: outflow,
        by_kind: ContractKind::ALL.iter().map(|&k| (k, persons(k))).collect(),
    }
}

/// Persons whose PW employment began, and ended, in the period. Contracts
/// of one person that overlap or follow on the next day are one spell of
/// employment: a renewal is neither outflow nor inflow.
fn pw_flows<'a>(spells: impl IntoIterator<Item = (&'a str, NaiveDate, Option<NaiveDate>)>, period: Period) -> (u64, u64) {
    let mut by_person: HashMap<&str, Vec<Spell>> = HashMap::new();
    for (candidate_id, start, end) in spells {
        by_person.entry(candidate_id).or_default().push((start, end));
    }
    let (mut inflow, mut outflow) = (0, 0);
    for spells in by_person.into_values() {
        let merged = merged(spells);
        inflow += u64::from(merged.iter().any(|(start, _)| period.contains(*start)));
        outflow += u64::from(merged.iter().any(|(_, end)| end.is_some_and(|e| period.contains(e))));
    }
    (inflow, outflow)
}

/// Days of employment from a first day through a last one (None: open).
pub type Spell = (NaiveDate, Option<NaiveDate>);

/// Of the persons counted apart in some categories (each contract with the
/// categories its person is apart in), per category: those with a
/// contract of it running on the day.
pub fn apart_running<'a>(apart: impl IntoIterator<Item = (&'a [Counted], &'a Contract)>, on: NaiveDate) -> BTreeMap<Counted, u64> {
    let mut running: BTreeMap<Counted, HashSet<&str>> = BTreeMap::new();
    for (categories, c) in apart {
        if c.runs_on(on) {
            for counted in Counted::of(c).filter(|k| categories.contains(k)) {
                running.entry(counted).or_default().insert(c.candidate_id.as_str());
            }
        }
    }
    running.into_iter().map(|(counted, persons)| (counted, persons.len() as u64)).collect()
}

/// The PW (inflow, outflow) in the period of the persons counted apart in
/// PW, from their PW contracts (as [`apart_running`] takes them).
pub fn apart_pw_flows<'a>(apart: impl IntoIterator<Item = (&'a [Counted], &'a Contract)>, period: Period) -> (u64, u64) {
    let pw = Counted::Kind(ContractKind::Pw);
    let spells = apart
        .into_iter()
        .filter(|(categories, c)| categories.contains(&pw) && c.kind == ContractKind::Pw)
        .map(|(_, c)| (c.candidate_id.as_str(), c.start_date, c.end_date));
    pw_flows(spells, period)
}

/// One person's contracts as spells of employment: those that overlap or
/// follow on the next day are one. In order of their first day.
pub fn merged(mut spells: Vec<Spell>) -> Vec<Spell> {
    spells.sort();
    let mut merged: Vec<Spell> = Vec::new();
    for (start, end) in spells {
        match merged.last_mut() {
            Some((_, last_end)) if last_end.is_none_or(|e| e.succ_opt().is_none_or(|next| start <= next)) => {
                *last_end = match (*last_end, end) {
                    (None, _) | (_, None) => None,
                    (Some(a), Some(b)) => Some(a.max(b)),
                };
            }
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// What the headcount counts a person in on a day: a contract kind, or a
/// nieuw beschut PW classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counted {
    Kind(ContractKind),
    Beschut,
}

impl Counted {
    pub fn code(self) -> &'static str {
        match self {
            Self::Kind(kind) => kind.code(),
            Self::Beschut => "BESCHUT",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "BESCHUT" => Some(Self::Beschut),
            code => ContractKind::from_code(code).map(Self::Kind),
        }
    }

    /// What a contract counts in.
    pub fn of(contract: &Contract) -> impl Iterator<Item = Counted> {
        let beschut = contract.pw.as_ref().is_some_and(|p| p.is_beschut());
        std::iter::once(Self::Kind(contract.kind)).chain(beschut.then_some(Self::Beschut))
    }
}

/// One person's employment as the headcount counts it: per category, per
/// municipality of the contracts (None: without one), the spells.
pub fn person_employment<'a>(contracts: impl IntoIterator<Item = &'a Contract>) -> BTreeMap<Counted, BTreeMap<Option<&'a str>, Vec<Spell>>> {
    let mut runs: BTreeMap<Counted, BTreeMap<Option<&str>, Vec<Spell>>> = BTreeMap::new();
    for c in contracts {
        for counted in Counted::of(c) {
            runs.entry(counted).or_default().entry(c.municipality_code.as_deref()).or_default().push((c.start_date, c.end_date));
        }
    }
    for per_municipality in runs.values_mut() {
        for spells in per_municipality.values_mut() {
            *spells = merged(std::mem::take(spells));
        }
    }
    runs
}

/// Beschut persons at IBN on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beschut {
    pub by_step: Vec<(WerkladderStep, u64)>,
    pub persons: u64,
    pub hours_per_week: Decimal,
    /// hours ÷ 31, to 6 decimals.
    pub fte: Decimal,
}

/// One person employed beschut at IBN on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeschutEmployee {
    pub candidate_id: String,
    pub step: WerkladderStep,
    pub hours_per_week: Decimal,
}

/// A nieuw beschut PW contract, as far as the beschut figures need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeschutContract {
    pub hr_contract_id: String,
    pub candidate_id: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub hours_per_week: Decimal,
    pub municipality_code: Option<String>,
    /// The instroom trede: the step until a later one is recorded.
    pub werkladder_step: WerkladderStep,
}

impl BeschutContract {
    pub fn runs_on(&self, day: NaiveDate) -> bool {
        super::contract::runs_on(self.start_date, self.end_date, day)
    }
}

/// The persons with a beschut (nieuw beschut) PW contract running on the
/// date, in no particular order: their werkladder step (the latest
/// recorded on or before the date on their most recent contract, else its
/// instroom trede) and their hours (all their running beschut contracts
/// together).
pub fn beschut_employees<'a>(
    contracts: impl IntoIterator<Item = &'a BeschutContract>,
    steps: &HashMap<String, Vec<(NaiveDate, WerkladderStep)>>,
    on: NaiveDate,
) -> Vec<BeschutEmployee> {
    let mut per_person: foldhash::HashMap<&str, (&BeschutContract, Decimal)> = foldhash::HashMap::default();
    for c in contracts.into_iter().filter(|c| c.runs_on(on)) {
        let entry = per_person.entry(&c.candidate_id).or_insert((c, Decimal::ZERO));
        entry.1 += c.hours_per_week;
        if c.start_date > entry.0.start_date {
            entry.0 = c;
        }
    }
    let step_of = |c: &BeschutContract| {
        steps
            .get(&c.hr_contract_id)
            .and_then(|s| s.iter().filter(|(d, _)| *d <= on).max_by_key(|(d, _)| *d).map(|(_, step)| *step))
            .unwrap_or(c.werkladder_step)
    };
    per_person
        .into_iter()
        .map(|(id, (c, hours))| BeschutEmployee { candidate_id: id.to_owned(), step: step_of(c), hours_per_week: hours })
        .collect()
}

/// The persons a caller names, each by a place in one list for all its
/// groups and dates: at national volume a report's three dates name the
/// same ~250,000 persons each, so each id travels and is hashed once. A
/// person named at several places is one person.
#[derive(Debug, Clone, Default)]
pub struct Named {
    /// Each person's first place.
    places: foldhash::HashMap<String, u32>,
    /// Each place's person, by their first place.
    first_place: Vec<u32>,
}

impl Named {
    pub fn new(ids: Vec<String>) -> Self {
        let mut named = Self { places: foldhash::HashMap::default(), first_place: Vec::with_capacity(ids.len()) };
        named.places.reserve(ids.len());
        for (place, id) in ids.into_iter().enumerate() {
            let first = *named.places.entry(id).or_insert(place as u32);
            named.first_place.push(first);
        }
        named
    }

    /// How many places.
    pub fn len(&self) -> usize {
        self.first_place.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first_place.is_empty()
    }

    /// Every person named, each once, in no particular order.
    pub fn persons(&self) -> impl Iterator<Item = &str> {
        self.places.keys().map(String::as_str)
    }
}

/// Of each group of persons (places in `named`), those among `employees`
/// (employed beschut on one date), per werkladder step: every step, in
/// order, zeros included. A person named twice in a group counts once.
/// The employees are looked up among the named, not the other way round:
/// there are fewer of them, and a group is then walked by place, without
/// hashing an id. A place beyond the list names nobody.
pub fn beschut_in_groups(employees: &[BeschutEmployee], named: &Named, groups: &[Vec<u32>]) -> Vec<Vec<(WerkladderStep, u64)>> {
    // The step of each person named (at their first place) who is employed.
    let mut step_at: Vec<Option<WerkladderStep>> = vec![None; named.len()];
    for e in employees {
        if let Some(&place) = named.places.get(e.candidate_id.as_str()) {
            step_at[place as usize] = Some(e.step);
        }
    }
    // The last group that counted the person at a first place.
    let mut counted_in: Vec<usize> = vec![usize::MAX; named.len()];
    groups
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let counted = group.iter().filter_map(|&place| {
                let first = *named.first_place.get(place as usize)? as usize;
                let step = step_at[first]?;
                (counted_in[first] != g).then(|| {
                    counted_in[first] = g;
                    step
                })
            });
            tally(WerkladderStep::ALL, counted)
        })
        .collect()
}

/// Beschut persons at IBN on a date per werkladder step, and their fte.
pub fn beschut<'a>(
    contracts: impl IntoIterator<Item = &'a BeschutContract>,
    steps: &HashMap<String, Vec<(NaiveDate, WerkladderStep)>>,
    on: NaiveDate,
) -> Beschut {
    beschut_of(&beschut_employees(contracts, steps, on))
}

/// [`beschut`] of the persons employed beschut on the date.
pub fn beschut_of(employees: &[BeschutEmployee]) -> Beschut {
    let hours: Decimal = employees.iter().map(|e| e.hours_per_week).sum();
    Beschut {
        by_step: tally(WerkladderStep::ALL, employees.iter().map(|e| e.step)),
        persons: employees.len() as u64,
        hours_per_week: hours,
        fte: fte(hours),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contract::tests::pw;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn year(y: i32) -> Period {
        Period { first: NaiveDate::from_ymd_opt(y, 1, 1).unwrap(), last: NaiveDate::from_ymd_opt(y, 12, 31).unwrap() }
    }

    #[test]
    fn reproduces_the_trajectories_completed_in_2022() {
        use TrajectoryResult::*;
        let mut completions = Vec::new();
        for (result, n) in [(DvbReguliereWerkgever, 20), (DvbIbnRegulierContract, 2), (DvbIbnKernbezetting, 55), (OpEigenVerzoek, 14), (NietPassend, 26), (Verhuisd, 3)] {
            // Counted in two groups, as the store may (two profiles).
            completions.push(Completion { result, uitstroomprofiel_at_start: None, count: n - n / 2 });
            completions.push(Completion { result, uitstroomprofiel_at_start: Some(Uitstroomprofiel::NietBekend), count: n / 2 });
        }
        let (all, by_profile) = completed(&completions);
        assert_eq!(all.completed, 120);
        assert_eq!((all.groups[0].0, all.groups[0].1), (ResultGroup::NaarWerkOfOpleiding, 77));
        assert_eq!((all.groups[1].0, all.groups[1].1), (ResultGroup::Overig, 43));
        assert_eq!(all.groups[0].2[0], (Opleiding, 0));
        let niet_bekend = by_profile.iter().find(|(p, _)| *p == Uitstroomprofiel::NietBekend).unwrap();
        assert_eq!(niet_bekend.1.completed, 10 + 1 + 27 + 7 + 13 + 1);
    }

    #[test]
    fn counted_classifications_give_the_same_figures_as_the_contracts() {
        let mut contracts = Vec::new();
        for (k, doelgroep) in [Doelgroep::NieuwBeschut, Doelgroep::NieuwRegulier, Doelgroep::NieuwRegulier].into_iter().enumerate() {
            let mut c = pw(&format!("HR-{k}"), &format!("p{k}"), "2022-03-01");
            c.pw.as_mut().unwrap().doelgroep = doelgroep;
            contracts.push(c);
        }
        let mut groups: Vec<(PwClassification, u64)> = Vec::new();
        for p in contracts.iter().filter_map(|c| c.pw.clone()) {
            match groups.iter_mut().find(|(g, _)| *g == p) {
                Some((_, n)) => *n += 1,
                None => groups.push((p, 1)),
            }
        }
        assert_eq!(groups.len(), 2);
        assert_eq!(started_counted(&groups), started(contracts.iter(), year(2022)));
    }

    #[test]
    fn headcount_from_counts_matches_the_whole_contracts() {
        let mut first = pw("HR-1", "p1", "2021-03-01");
        first.end_date = Some(d("2022-02-28"));
        let renewal = pw("HR-2", "p1", "2022-03-01");
        let mut leaver = pw("HR-3", "p2", "2022-05-01");
        leaver.end_date = Some(d("2022-10-31"));
        let contracts = [first, renewal, leaver];
        let on = d("2022-12-31");
        let whole = headcount(&contracts, on, year(2022));
        let spells: Vec<(String, NaiveDate, Option<NaiveDate>)> =
            contracts.iter().map(|c| (c.candidate_id.clone(), c.start_date, c.end_date)).collect();
        let counted = headcount_counted(&[(ContractKind::Pw, 1)], 0, flows_of(&spells, year(2022)));
        assert_eq!(counted, whole);
    }

    #[test]
    fn renewals_are_neither_inflow_nor_outflow() {
        let mut first = pw("HR-1", "p1", "2021-03-01");
        first.end_date = Some(d("2022-02-28"));
        let renewal = pw("HR-2", "p1", "2022-03-01");
        let mut leaver = pw("HR-3", "p2", "2022-05-01");
        leaver.end_date = Some(d("2022-10-31"));
        let h = headcount(&[first, renewal, leaver], d("2022-12-31"), year(2022));
        assert_eq!((h.pw_persons, h.pw_inflow, h.pw_outflow), (1, 1, 1));
    }

    #[test]
    fn beschut_groups_count_each_employed_person_once_per_group() {
        use WerkladderStep::*;
        let employee = |id: &str, step| BeschutEmployee { candidate_id: id.to_owned(), step, hours_per_week: Decimal::from(20) };
        let employees = [employee("p1", WerkenBinnenIbn), employee("p2", WerkenOpLocatie), employee("p3", WerkenBinnenIbn)];
        // p1 is named at two places, and twice at one of them.
        let named = Named::new(["p1", "p2", "p1", "nobody", "p3"].map(str::to_owned).to_vec());
        let groups = vec![vec![0, 1, 2, 3, 0], vec![1, 4, 99], vec![]];
        let counted = beschut_in_groups(&employees, &named, &groups);
        let n = |g: usize, step| counted[g].iter().find(|(s, _)| *s == step).map(|(_, n)| *n).unwrap();
        assert_eq!((n(0, WerkenBinnenIbn), n(0, WerkenOpLocatie), n(0, ZelfstandigWerkenOpLocatie)), (1, 1, 0), "p1 named twice, once counted");
        assert_eq!((n(1, WerkenBinnenIbn), n(1, WerkenOpLocatie)), (1, 1), "p2 counted again in another group; 99 names nobody");
        let mut persons: Vec<&str> = named.persons().collect();
        persons.sort();
        assert_eq!(persons, ["nobody", "p1", "p2", "p3"]);
        assert!(counted[2].iter().all(|(_, n)| *n == 0));
        assert_eq!(counted[2].len(), WerkladderStep::ALL.len(), "every step, zeros included");
    }

    #[test]
    fn beschut_persons_follow_their_latest_step_on_the_date() {
        let contract = |id: &str, candidate: &str, hours: u32| BeschutContract {
            hr_contract_id: id.to_owned(),
            candidate_id: candidate.to_owned(),
            start_date: d("2022-01-01"),
            end_date: None,
            hours_per_week: Decimal::from(hours),
            municipality_code: Some("GM0828".to_owned()),
            werkladder_step: WerkladderStep::WerkenBinnenIbn,
        };
        let contracts = [contract("HR-1", "p1", 20), contract("HR-2", "p2", 31)];
        let steps = HashMap::from([("HR-1".to_owned(), vec![(d("2022-06-01"), WerkladderStep::WerkenOpLocatie)])]);
        let before = beschut(&contracts, &steps, d("2022-05-31"));
        assert_eq!(before.by_step[0], (WerkladderStep::WerkenBinnenIbn, 2));
        let after = beschut(&contracts, &steps, d("2022-12-31"));
        assert_eq!(after.by_step[0], (WerkladderStep::WerkenBinnenIbn, 1));
        assert_eq!(after.by_step[1], (WerkladderStep::WerkenOpLocatie, 1));
        assert_eq!(after.hours_per_week, Decimal::from(51));
        assert_eq!(after.fte, "1.645161".parse().unwrap());
    }
}
