//! Intake's operations against a real store: a fresh SQLite file always,
//! and a fresh PostgreSQL database too when `PARTNERSHIP_TEST_DATABASE_URL`
//! names a server (CI does). Every test runs on each store it gets.

use chrono::NaiveDate;
use partnership_intake::domain::bsn::Bsn;
use partnership_intake::domain::reference::Scope;
use partnership_intake::domain::registration::RegistrationKind;
use partnership_intake::domain::status::{RegistrationStatus, StatusChange, TerugmeldingReason};
use partnership_intake::store::RegistrationFilter;
use partnership_intake::{Correction, Intake, NewCandidate, NewPluspakket, NewRegistration, NewStatus, ReferenceData};
use partnership_platform::ServiceError;
use partnership_platform::testing::{TestStore, test_stores};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn bsn(n: u32) -> Bsn {
    Bsn::synthetic(n)
}

async fn each_store(test: impl AsyncFn(Intake, &TestStore)) {
    for store in test_stores("intake").await.expect("test stores") {
        let intake = Intake::open(&store.url, ReferenceData::embedded().unwrap()).await.expect("open store");
        test(intake, &store).await;
    }
}

async fn candidate(intake: &Intake, n: u32, birth: &str, municipality: &str) -> String {
    let new = NewCandidate {
        request_id: None,
        bsn: bsn(n),
        birth_date: d(birth),
        municipality_code: municipality.into(),
    };
    intake.create_candidate(new).await.unwrap().id
}

async fn register(intake: &Intake, candidate_id: &str, municipality: &str, date: &str) -> String {
    let new = NewRegistration {
        request_id: None,
        candidate_id: candidate_id.into(),
        municipality_code: municipality.into(),
        kind: RegistrationKind::Dienstverband,
        voortraject_kind: None,
        registration_date: d(date),
    };
    intake.create_registration(new, None).await.unwrap().row.id
}

fn change(id: &str, status: RegistrationStatus, date: &str) -> NewStatus {
    let reason = (status == RegistrationStatus::Teruggemeld).then_some(TerugmeldingReason::Overig);
    NewStatus {
        request_id: None,
        registration_id: id.into(),
        change: StatusChange { status, effective_date: d(date), reason },
        note: String::new(),
    }
}

async fn count(intake: &Intake) -> usize {
    intake.list_registrations(&RegistrationFilter::default(), 10_000).await.unwrap().len()
}

#[tokio::test]
async fn registrations_keep_their_history_and_answer_as_of_a_date() {
    each_store(async |intake, store| {
        let c = candidate(&intake, 1, "1990-05-01", "GM1991").await;
        let id = register(&intake, &c, "GM0856", "2021-03-01").await;
        intake.change_status(change(&id, RegistrationStatus::Voortraject, "2021-06-01")).await.unwrap();
        let view = intake.change_status(change(&id, RegistrationStatus::DvbIbn, "2022-02-01")).await.unwrap();
        assert_eq!(view.current.status, RegistrationStatus::DvbIbn, "{}", store.label);
        assert_eq!(view.history.len(), 3);
        assert!(view.row.youth == false);

        let codes = intake.reference().codes_in_scope(&Scope::Municipality("GM1991".into())).unwrap();
        let on = |status, date: &str| RegistrationFilter {
            municipality_codes: Some(codes.clone()),
            status_on: Some((status, d(date))),
            ..Default::default()
        };
        let found = intake.list_registrations(&on(RegistrationStatus::Voortraject, "2021-12-31"), 10).await.unwrap();
        assert_eq!(found.len(), 1, "{}", store.label);
        let found = intake.list_registrations(&on(RegistrationStatus::Voortraject, "2022-12-31"), 10).await.unwrap();
        assert!(found.is_empty(), "{}", store.label);
        let found = intake.list_registrations(&on(RegistrationStatus::Intake, "2021-03-01"), 10).await.unwrap();
        assert_eq!(found.len(), 1, "{}", store.label);
    })
    .await;
}

#[tokio::test]
async fn an_illegal_move_is_refused_and_changes_nothing() {
    each_store(async |intake, store| {
        let c = candidate(&intake, 2, "1980-01-01", "GM0828").await;
        let id = register(&intake, &c, "GM0828", "2022-01-10").await;
        intake.change_status(change(&id, RegistrationStatus::Teruggemeld, "2022-02-01")).await.unwrap();
        let before = intake.registration(&id).await.unwrap();
        let err = intake.change_status(change(&id, RegistrationStatus::Voortraject, "2022-03-01")).await.unwrap_err();
        assert!(matches!(err, ServiceError::FailedPrecondition { ref field, .. } if field == "status"), "{err:?}");
        let err = intake.change_status(change(&id, RegistrationStatus::Teruggemeld, "2022-01-01")).await.unwrap_err();
        assert!(matches!(err, ServiceError::FailedPrecondition { .. }), "{}: {err:?}", store.label);
        let after = intake.registration(&id).await.unwrap();
        assert_eq!(before.history, after.history, "{}", store.label);
    })
    .await;
}

#[tokio::test]
async fn a_correction_replaces_the_entry_and_keeps_both_in_history() {
    each_store(async |intake, store| {
        let c = candidate(&intake, 3, "2000-01-01", "GM0828").await;
        let id = register(&intake, &c, "GM0828", "2022-01-10").await;
        let view = intake.change_status(change(&id, RegistrationStatus::DvbIbn, "2022-05-01")).await.unwrap();
        let wrong = view.history.last().unwrap().seq;
        let fix = correction(&id, wrong, "2022-04-01");
        let view = intake.correct_status(fix).await.unwrap();
        assert_eq!(view.current.effective_date, d("2022-04-01"), "{}", store.label);
        assert_eq!(view.history.len(), 3);
        let old = view.history.iter().find(|e| e.seq == wrong).unwrap();
        let new = view.history.iter().find(|e| e.corrects_seq == Some(wrong)).unwrap();
        assert_eq!(old.superseded_by_seq, Some(new.seq));
        assert_eq!(new.correction_reason.as_deref(), Some("typed May for April"));

        // As of 2022-04-15 it now counts as DVB_IBN.
        let figures = intake.cohort_figures(&Scope::Partnership, 2022, d("2022-04-15")).await.unwrap();
        assert_eq!(figures.all.status(RegistrationStatus::DvbIbn).count, 1, "{}", store.label);

        // A correction that would break the history is refused.
        let bad = correction(&id, new.seq, "2021-12-31");
        assert!(intake.correct_status(bad).await.is_err());
        // A superseded entry cannot be corrected again.
        assert!(intake.correct_status(correction(&id, wrong, "2022-04-02")).await.is_err());
    })
    .await;
}

fn correction(id: &str, seq: i64, date: &str) -> Correction {
    Correction {
        registration_id: id.into(),
        seq,
        effective_date: d(date),
        status: None,
        reason: None,
        correction_reason: "typed May for April".into(),
    }
}

#[tokio::test]
async fn repeated_creates_with_one_request_id_create_once() {
    each_store(async |intake, store| {
        let c = candidate(&intake, 4, "1999-09-09", "GM1721").await;
        let new = NewRegistration {
            request_id: Some("req-1".into()),
            candidate_id: c.clone(),
            municipality_code: "GM1721".into(),
            kind: RegistrationKind::Arbeidsvoorbereiding,
            voortraject_kind: None,
            registration_date: d("2023-03-03"),
        };
        let first = intake.create_registration(new.clone(), None).await.unwrap();
        let second = intake.create_registration(new, None).await.unwrap();
        assert_eq!(first.row.id, second.row.id, "{}", store.label);
        assert_eq!(count(&intake).await, 1);

        let status = NewStatus { request_id: Some("move-1".into()), ..change(&first.row.id, RegistrationStatus::OnHold, "2023-04-01") };
        intake.change_status(status.clone()).await.unwrap();
        let again = intake.change_status(status).await.unwrap();
        assert_eq!(again.history.len(), 2, "{}", store.label);
    })
    .await;
}

#[tokio::test]
async fn pluspakket_registrations_are_counted_per_municipality_and_service_in_the_period() {
    each_store(async |intake, store| {
        let dated = [("GM1721", "Z_ROUTE", "2022-03-31"), ("GM0828", "Z_ROUTE", "2022-01-01"), ("GM0828", "OAD", "2022-02-02"), ("GM0828", "Z_ROUTE", "2022-02-02"), ("GM0828", "Z_ROUTE", "2022-04-01")];
        for (n, (municipality, service, date)) in dated.into_iter().enumerate() {
            let candidate_id = candidate(&intake, 40 + n as u32, "1990-01-01", municipality).await;
            let new = NewPluspakket { request_id: None, candidate_id, municipality_code: municipality.into(), service_code: service.into(), registration_date: d(date) };
            intake.create_pluspakket(new).await.unwrap();
        }
        let row = |m: &str, s: &str, n: u64| (m.to_owned(), s.to_owned(), n);
        let q1 = intake.count_pluspakket(None, d("2022-01-01"), d("2022-03-31")).await.unwrap();
        assert_eq!(q1, [row("GM0828", "OAD", 1), row("GM0828", "Z_ROUTE", 2), row("GM1721", "Z_ROUTE", 1)], "{}", store.label);
        let oss = intake.count_pluspakket(Some(&["GM0828".to_owned()]), d("2022-02-02"), d("2022-12-31")).await.unwrap();
        assert_eq!(oss, [row("GM0828", "OAD", 1), row("GM0828", "Z_ROUTE", 2)], "{}: both ends of the period count", store.label);
        assert!(intake.count_pluspakket(None, d("2023-01-01"), d("2023-12-31")).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_bsn_is_registered_once() {
    each_store(async |intake, store| {
        candidate(&intake, 5, "1970-01-01", "GM0828").await;
        let again = NewCandidate { request_id: None, bsn: bsn(5), birth_date: d("1970-01-01"), municipality_code: "GM0755".into() };
        let err = intake.create_candidate(again).await.unwrap_err();
        assert!(matches!(err, ServiceError::AlreadyExists(_)), "{}: {err:?}", store.label);
        assert_eq!(intake.resolve_candidate(&bsn(5)).await.unwrap().municipality_code, "GM0828");
    })
    .await;
}

#[tokio::test]
async fn figures_map_old_municipalities_and_skip_later_registrations() {
    each_store(async |intake, store| {
        let young = candidate(&intake, 6, "2000-01-01", "GM1991").await;
        let old = candidate(&intake, 7, "1960-01-01", "GM1982").await;
        register(&intake, &young, "GM0856", "2021-05-01").await;
        register(&intake, &old, "GM1685", "2021-07-01").await;
        register(&intake, &old, "GM0756", "2021-08-01").await;
        register(&intake, &young, "GM1991", "2022-02-01").await;
        register(&intake, &young, "GM1991", "2022-11-01").await;

        let maashorst = Scope::Area("MAASHORST".into());
        let areas = intake.area_counts(&maashorst, 2021, 2022, d("2022-06-30")).await.unwrap();
        assert_eq!(areas[0].years, vec![(2021, 2, 1), (2022, 1, 1)], "{}", store.label);
        let all = intake.area_counts(&Scope::Partnership, 2021, 2022, d("2023-01-01")).await.unwrap();
        let cuijk = all.iter().find(|a| a.area_code == "LAND_VAN_CUIJK").unwrap();
        assert_eq!(cuijk.years, vec![(2021, 1, 0), (2022, 0, 0)]);

        let figures = intake.cohort_figures(&Scope::Municipality("GM1991".into()), 2021, d("2021-12-31")).await.unwrap();
        assert_eq!(figures.all.total, 2, "{}", store.label);
        assert_eq!(figures.youth_share.count, 1);
        let ytd = intake.cohort_figures(&maashorst, 2022, d("2022-06-30")).await.unwrap();
        assert_eq!(ytd.all.total, 1, "{}", store.label);
    })
    .await;
}

#[tokio::test]
async fn pagination_walks_every_registration_once() {
    each_store(async |intake, store| {
        let c = candidate(&intake, 8, "1985-01-01", "GM0828").await;
        let mut ids = Vec::new();
        for day in 1..=7 {
            ids.push(register(&intake, &c, "GM0828", &format!("2022-03-0{day}")).await);
        }
        let mut seen = Vec::new();
        let mut filter = RegistrationFilter::default();
        loop {
            let page = intake.list_registrations(&filter, 3).await.unwrap();
            let Some(last) = page.last() else { break };
            filter.after = Some((last.row.registration_date, last.row.id.clone()));
            seen.extend(page.iter().map(|r| r.row.id.clone()));
        }
        assert_eq!(seen, ids, "{}", store.label);
    })
    .await;
}

#[tokio::test]
async fn an_employment_outcome_is_applied_once_however_often_it_arrives() {
    use partnership_intake::EmploymentOutcome;
    each_store(async |intake, store| {
        let c = candidate(&intake, 9, "1995-01-01", "GM0828").await;
        let old = register(&intake, &c, "GM0828", "2021-01-10").await;
        intake.change_status(change(&old, RegistrationStatus::Teruggemeld, "2021-03-01")).await.unwrap();
        let open = register(&intake, &c, "GM0828", "2022-01-10").await;
        intake.change_status(change(&open, RegistrationStatus::Voortraject, "2022-02-01")).await.unwrap();

        for _ in 0..3 {
            let outcome = intake.record_employment_outcome("employment-contract:HR-1", &c, d("2022-04-01")).await.unwrap();
            assert_eq!(outcome, EmploymentOutcome::Applied { registration_id: open.clone() }, "{}", store.label);
        }
        let view = intake.registration(&open).await.unwrap();
        let dvb = view.history.iter().filter(|e| e.change.status == RegistrationStatus::DvbIbn).count();
        assert_eq!(dvb, 1, "{}", store.label);
        assert_eq!(view.current.effective_date, d("2022-04-01"));

        // Nothing open any more: answered, not failed, and nothing changes.
        let again = intake.record_employment_outcome("employment-contract:HR-2", &c, d("2022-05-01")).await.unwrap();
        assert!(matches!(again, EmploymentOutcome::NotApplied(_)), "{again:?}");
        assert!(intake.record_employment_outcome("x", "no-such-candidate", d("2022-05-01")).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn many_bsns_resolve_in_one_call() {
    each_store(async |intake, store| {
        let a = candidate(&intake, 10, "1990-01-01", "GM0828").await;
        let b = candidate(&intake, 11, "1990-01-01", "GM0828").await;
        let ids = intake.resolve_candidates(&[bsn(11), bsn(12), bsn(10)]).await.unwrap();
        assert_eq!(ids, vec![Some(b), None, Some(a)], "{}", store.label);
    })
    .await;
}

/// A small deterministic generator (the test must fail the same way twice).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The cohort figures and the registrations per year are sums of figures
/// kept on write (`tallies`). Whatever the writes — new registrations, moves,
/// corrections (of dates and of statuses), an outcome from employment, an
/// import — they must equal, on every date, what the stored histories say.
#[tokio::test]
async fn kept_figures_equal_what_the_histories_say_on_every_date() {
    use partnership_intake::domain::registration::is_youth;
    use partnership_intake::{ImportOutcome, ImportedRegistration};
    use RegistrationStatus::*;

    each_store(async |intake, store| {
        let mut dice = Dice(7);
        let moves = [Voortraject, Proefplaatsing, OnHold, Intake, Opleiding, DvbIbn, Teruggemeld, Verhuisd, DvbRegulierWerkgever];
        // (id, municipality, registration date, youth)
        let mut registrations: Vec<(String, String, NaiveDate, bool)> = Vec::new();
        for n in 0..60u32 {
            let birth = d("1965-01-01") + chrono::Days::new(dice.roll(40 * 365));
            let date = d("2021-01-01") + chrono::Days::new(dice.roll(4 * 365));
            let municipality = match (dice.roll(2), date < d("2022-01-01")) {
                (0, _) => "GM0828",
                (_, true) => "GM0856",
                (_, false) => "GM1991",
            };
            let c = candidate(&intake, 1000 + n, &birth.to_string(), "GM0828").await;
            let id = register(&intake, &c, municipality, &date.to_string()).await;
            registrations.push((id.clone(), municipality.into(), date, is_youth(birth, date)));
            let mut on = date;
            for _ in 0..dice.roll(5) {
                on = on + chrono::Days::new(dice.roll(150));
                let status = moves[dice.roll(moves.len() as u64) as usize];
                // Refused moves (the state machine) change nothing.
                let _ = intake.change_status(change(&id, status, &on.to_string())).await;
            }
            if dice.roll(3) == 0 {
                let _ = intake.record_employment_outcome(&format!("outcome-{n}"), &c, on + chrono::Days::new(10)).await;
            }
        }
        // Corrections of dates and statuses, some of them refused.
        for n in 0..40 {
            let (id, _, date, _) = registrations[dice.roll(registrations.len() as u64) as usize].clone();
            let history = intake.registration(&id).await.unwrap().history;
            let open: Vec<_> = history.iter().filter(|e| e.ordinal > 1 && e.superseded_by_seq.is_none()).collect();
            if open.is_empty() {
                continue;
            }
            let target = open[dice.roll(open.len() as u64) as usize];
            let status = (dice.roll(2) == 0).then(|| moves[dice.roll(moves.len() as u64) as usize]);
            let correction = Correction {
                registration_id: id.clone(),
                seq: target.seq,
                effective_date: date + chrono::Days::new(dice.roll(400)),
                reason: (status == Some(Teruggemeld)).then_some(TerugmeldingReason::OpVerzoekVanKandidaat),
                status,
                correction_reason: format!("correction {n}"),
            };
            let _ = intake.correct_status(correction).await;
        }
        // An import of registrations with their histories.
        let imported: Vec<ImportedRegistration> = (0..20u32)
            .map(|n| {
                let date = d("2022-01-01") + chrono::Days::new(dice.roll(3 * 365));
                let v = date + chrono::Days::new(dice.roll(90));
                let t = v + chrono::Days::new(dice.roll(200));
                ImportedRegistration {
                    bsn: bsn(5000 + n),
                    birth_date: d("1990-01-01") + chrono::Days::new(dice.roll(3650)),
                    municipality_code: "GM1991".into(),
                    kind: RegistrationKind::Dienstverband,
                    voortraject_kind: None,
                    registration_date: date,
                    history: vec![
                        (StatusChange { status: Voortraject, effective_date: v, reason: None }, String::new()),
                        (StatusChange { status: Teruggemeld, effective_date: t, reason: Some(TerugmeldingReason::Overig) }, String::new()),
                    ],
                }
            })
            .collect();
        let ImportOutcome::Imported { registration_ids, .. } = intake.import_batch("kept-figures", imported.clone()).await.unwrap() else {
            panic!("the import is refused ({})", store.label)
        };
        for (id, item) in registration_ids.iter().zip(&imported) {
            let youth = is_youth(item.birth_date, item.registration_date);
            registrations.push((id.clone(), item.municipality_code.clone(), item.registration_date, youth));
        }

        // What the histories say, per scope, cohort and date.
        let mut histories = Vec::new();
        for (id, municipality, date, youth) in &registrations {
            let mut effective: Vec<_> =
                intake.registration(id).await.unwrap().history.into_iter().filter(|e| e.superseded_by_seq.is_none()).collect();
            effective.sort_by_key(|e| e.ordinal);
            histories.push((municipality.clone(), *date, *youth, effective));
        }
        let compared = assert_figures_follow(&intake, &histories, &format!("{}, kept on write", store.label)).await;
        // The generator made histories worth comparing.
        assert!(compared > 200, "{compared} status counts compared");

        // The migration that fills the tallies of a store written before
        // they were kept computes the same figures from the histories.
        let pool = intake.db().pool();
        sqlx::raw_sql("DELETE FROM tally_days; DELETE FROM tally_months").execute(pool).await.unwrap();
        assert_eq!(intake.cohort_figures(&Scope::Partnership, 2022, d("2024-12-31")).await.unwrap().all.total, 0);
        for migration in partnership_intake::store::MIGRATIONS.iter().filter(|m| m.version >= 4) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(migration.sql)).execute(pool).await.unwrap();
        }
        assert_figures_follow(&intake, &histories, &format!("{}, from the stored histories", store.label)).await;
    })
    .await;
}

/// Each registration's municipality, registration date, youth and
/// effective history (by ordinal).
type Histories = Vec<(String, NaiveDate, bool, Vec<partnership_intake::store::EntryRow>)>;

/// Asserts that the cohort figures and registrations per year of every scope
/// on many dates are what the histories say; returns how many status counts
/// it compared.
async fn assert_figures_follow(intake: &Intake, histories: &Histories, label: &str) -> usize {
    use partnership_intake::domain::cohort::{StatusCount, cohort_figures};
        let scopes = [Scope::Partnership, Scope::Area("MAASHORST".into()), Scope::Municipality("GM0828".into())];
        let dates = ["2021-06-15", "2021-12-31", "2022-03-31", "2022-07-04", "2023-02-28", "2023-12-31", "2024-09-30", "2025-05-17", "2026-12-31"];
        let mut compared = 0;
        for scope in &scopes {
            let codes = intake.reference().codes_in_scope(scope).unwrap();
            for year in 2021..=2024 {
                for as_of in dates.map(d) {
                    let mut counts: Vec<StatusCount> = Vec::new();
                    for (municipality, date, youth, effective) in histories {
                        if !codes.contains(municipality) || chrono::Datelike::year(date) != year {
                            continue;
                        }
                        let Some(on) = effective.iter().rev().find(|e| e.change.effective_date <= as_of) else { continue };
                        let (status, reason) = (on.change.status, on.change.reason);
                        match counts.iter_mut().find(|c| (c.youth, c.status, c.reason) == (*youth, status, reason)) {
                            Some(c) => c.count += 1,
                            None => counts.push(StatusCount { youth: *youth, status, reason, count: 1 }),
                        }
                    }
                    compared += counts.len();
                    let figures = intake.cohort_figures(scope, year, as_of).await.unwrap();
                    assert_eq!(figures, cohort_figures(&counts), "{}: {scope:?} cohort {year} on {as_of}", label);
                }
            }
            // Registrations per area and year, the last year cut at a date.
            for as_of in ["2023-12-31", "2024-05-12", "2024-12-31"].map(d) {
                let areas = intake.area_counts(scope, 2021, 2024, as_of).await.unwrap();
                let dated: Vec<_> = histories.iter().filter(|(m, date, _, _)| codes.contains(m) && *date <= as_of).collect();
                for year in 2021..=2024 {
                    let expected = dated.iter().filter(|(_, date, _, _)| chrono::Datelike::year(date) == year).count() as u64;
                    let youth = dated.iter().filter(|(_, date, y, _)| chrono::Datelike::year(date) == year && *y).count() as u64;
                    let counted: (u64, u64) = areas
                        .iter()
                        .flat_map(|a| a.years.iter().filter(|y| y.0 == year).map(|y| (y.1, y.2)))
                        .fold((0, 0), |(n, y), (a, b)| (n + a, y + b));
                    assert_eq!(counted, (expected, youth), "{}: {scope:?} registered in {year} by {as_of}", label);
                }
            }
        }
    compared
}
