//! Employment's store on SQLite and, when `PARTNERSHIP_TEST_DATABASE_URL`
//! is set, PostgreSQL: contract versions, listings, trajectories, events,
//! activities and the outbox's bookkeeping.

use chrono::NaiveDate;
use partnership_employment::domain::contract::{
    Contract, ContractKind, Doelgroep, Loonwaarde, PwClassification, SoortPlaatsing, Uitstroomprofiel, WerkladderStep,
};
use partnership_employment::domain::figures::Period;
use partnership_employment::domain::trajectory::TrajectoryResult;
use partnership_employment::store::{self, ActivityRow, ContractFilter, EventRow, OutboxRow, TrajectoryFilter};
use partnership_employment::{Employment, Norms};
use partnership_platform::testing::test_stores;
use rust_decimal::Decimal;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn pw(id: &str, candidate: &str, start: &str, municipality: &str) -> Contract {
    Contract {
        hr_contract_id: id.into(),
        candidate_id: candidate.into(),
        kind: ContractKind::Pw,
        start_date: d(start),
        end_date: None,
        hours_per_week: Decimal::from(20),
        municipality_code: Some(municipality.into()),
        pw: Some(PwClassification {
            soort_plaatsing: SoortPlaatsing::Vraaggestuurd,
            doelgroep: Doelgroep::NieuwBeschut,
            uitstroomprofiel: Uitstroomprofiel::Forfaitair,
            loonwaarde: Loonwaarde::Forfaitair,
            werkladder_step: WerkladderStep::WerkenOpLocatie,
        }),
    }
}

async fn ids(employment: &Employment, filter: ContractFilter) -> Vec<String> {
    let mut conn = employment.db().pool().acquire().await.unwrap();
    let listed = store::list_contracts(&mut conn, &filter, None).await.unwrap();
    listed.into_iter().map(|l| l.contract.hr_contract_id).collect()
}

/// Computes the figures kept on write again from the stored rows, as the
/// migration does for a store written before they were kept.
async fn recompute_kept_figures(employment: &Employment) {
    let pool = employment.db().pool();
    sqlx::raw_sql("DELETE FROM tally_days WHERE figure IN ('started', 'completed', 'activities')").execute(pool).await.unwrap();
    for migration in store::MIGRATIONS.iter().filter(|m| (6..=7).contains(&m.version)) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(migration.sql)).execute(pool).await.unwrap();
    }
}

async fn each_store(test: impl AsyncFn(Employment, &str)) {
    for store in test_stores("employment").await.expect("test stores") {
        // Intake is not needed by the store; its URL is never called here.
        let employment = Employment::open(&store.url, "http://127.0.0.1:9", "no-peer-token", Norms::embedded().unwrap()).await.unwrap();
        test(employment, store.label).await;
    }
}

#[tokio::test]
async fn a_replaced_contract_keeps_its_versions() {
    each_store(async |employment, label| {
        let mut tx = employment.db().begin_write().await.unwrap();
        let first = pw("HR-1", "c1", "2022-01-01", "GM0828");
        store::insert_contract(tx.conn(), &first, &first.fingerprint(), "t1").await.unwrap();
        let mut second = first.clone();
        second.end_date = Some(d("2022-12-31"));
        second.hours_per_week = "24.5".parse().unwrap();
        store::replace_contract(tx.conn(), &first, 1, &second, &second.fingerprint(), "t2").await.unwrap();
        tx.commit().await.unwrap();

        let mut conn = employment.db().pool().acquire().await.unwrap();
        let ids = ["HR-1".to_owned()];
        let (now, version, fingerprint) = store::contracts_by_ids(&mut conn, &ids).await.unwrap().remove("HR-1").unwrap();
        assert_eq!((now, version), (second.clone(), 2), "{label}");
        assert_eq!(fingerprint, second.fingerprint());
        let versions = store::contract_versions(&mut conn, "HR-1").await.unwrap();
        assert_eq!(versions, vec![(1, first, "t2".to_owned())], "{label}");
    })
    .await;
}

#[tokio::test]
async fn listings_filter_by_kind_municipality_and_running_days() {
    each_store(async |employment, label| {
        let mut tx = employment.db().begin_write().await.unwrap();
        let mut ended = pw("HR-1", "c1", "2021-01-01", "GM0828");
        ended.end_date = Some(d("2021-12-31"));
        let running = pw("HR-2", "c2", "2022-03-01", "GM0828");
        let elsewhere = pw("HR-3", "c3", "2022-03-01", "GM1721");
        let mut wsw = pw("HR-4", "c4", "2010-01-01", "GM0828");
        wsw.kind = ContractKind::Wsw;
        wsw.pw = None;
        for c in [&ended, &running, &elsewhere, &wsw] {
            store::insert_contract(tx.conn(), c, &c.fingerprint(), "t").await.unwrap();
        }
        store::insert_trajectory(tx.conn(), "t-2", "c2", "HR-2").await.unwrap();
        tx.commit().await.unwrap();

        let mut conn = employment.db().pool().acquire().await.unwrap();
        let in_2022 = ContractFilter { active_from: Some(d("2022-01-01")), active_to: Some(d("2022-12-31")), ..Default::default() };
        assert_eq!(ids(&employment, in_2022.clone()).await, ["HR-2", "HR-3", "HR-4"], "{label}");
        let oss_pw = ContractFilter { kind: Some(ContractKind::Pw), municipality_codes: Some(vec!["GM0828".into()]), ..in_2022 };
        assert_eq!(ids(&employment, oss_pw).await, ["HR-2"], "{label}");
        let listed = store::list_contracts(&mut conn, &ContractFilter::default(), Some(2)).await.unwrap();
        assert_eq!(listed[1].trajectory_id.as_deref(), Some("t-2"));
        let open = TrajectoryFilter { open_only: true, ..Default::default() };
        let open: Vec<String> = store::list_trajectories(&mut conn, &open, None).await.unwrap().into_iter().map(|t| t.contract.candidate_id).collect();
        assert_eq!(open, ["c2"]);
    })
    .await;
}

#[tokio::test]
async fn trajectories_complete_once_and_count_in_their_period() {
    each_store(async |employment, label| {
        let mut tx = employment.db().begin_write().await.unwrap();
        let c = pw("HR-1", "c1", "2021-06-01", "GM0828");
        store::insert_contract(tx.conn(), &c, &c.fingerprint(), "t").await.unwrap();
        store::insert_trajectory(tx.conn(), "t-1", "c1", "HR-1").await.unwrap();
        assert!(store::complete_trajectory(tx.conn(), "t-1", d("2022-05-01"), TrajectoryResult::DvbIbnKernbezetting).await.unwrap());
        assert!(!store::complete_trajectory(tx.conn(), "t-1", d("2022-06-01"), TrajectoryResult::Verhuisd).await.unwrap());
        tx.commit().await.unwrap();
        // Written below the operations, so counted only once the kept
        // figures are computed from the rows (as for an older store).
        let mut conn = employment.db().pool().acquire().await.unwrap();
        let year = |y: i32| Period { first: NaiveDate::from_ymd_opt(y, 1, 1).unwrap(), last: NaiveDate::from_ymd_opt(y, 12, 31).unwrap() };
        assert!(store::completions(&mut conn, None, year(2022)).await.unwrap().is_empty(), "{label}");
        recompute_kept_figures(&employment).await;
        let done = store::completions(&mut conn, None, year(2022)).await.unwrap();
        assert_eq!(done.len(), 1, "{label}");
        assert_eq!(done[0].result, TrajectoryResult::DvbIbnKernbezetting);
        assert_eq!(done[0].uitstroomprofiel_at_start, Some(Uitstroomprofiel::Forfaitair));
        assert!(store::completions(&mut conn, None, year(2021)).await.unwrap().is_empty());
        let open = TrajectoryFilter { open_only: true, ..Default::default() };
        assert!(store::list_trajectories(&mut conn, &open, None).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_person_has_one_open_trajectory_at_a_time() {
    each_store(async |employment, label| {
        let mut tx = employment.db().begin_write().await.unwrap();
        for (id, start) in [("HR-1", "2021-06-01"), ("HR-2", "2022-06-01"), ("HR-3", "2023-06-01")] {
            let c = pw(id, "c1", start, "GM0828");
            store::insert_contract(tx.conn(), &c, &c.fingerprint(), "t").await.unwrap();
        }
        store::insert_trajectory(tx.conn(), "t-1", "c1", "HR-1").await.unwrap();
        tx.commit().await.unwrap();
        // What two pushes at once could do: open a second one beside it.
        let mut tx = employment.db().begin_write().await.unwrap();
        let second = store::insert_trajectory(tx.conn(), "t-2", "c1", "HR-2").await.unwrap_err();
        assert!(matches!(second, partnership_platform::ServiceError::Aborted(_)), "{label}: {second:?}");
        drop(tx);
        // Once the first is completed, the next may open.
        let mut tx = employment.db().begin_write().await.unwrap();
        store::complete_trajectory(tx.conn(), "t-1", d("2022-05-01"), TrajectoryResult::Verhuisd).await.unwrap();
        store::insert_trajectory(tx.conn(), "t-3", "c1", "HR-3").await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = employment.db().pool().acquire().await.unwrap();
        let open = TrajectoryFilter { open_only: true, ..Default::default() };
        let open: Vec<String> = store::list_trajectories(&mut conn, &open, None).await.unwrap().into_iter().map(|t| t.id).collect();
        assert_eq!(open, ["t-3"], "{label}");
    })
    .await;
}

#[tokio::test]
async fn a_push_opens_a_trajectory_only_for_a_person_without_an_open_one() {
    each_store(async |employment, label| {
        let mut tx = employment.db().begin_write().await.unwrap();
        for (id, candidate) in [("HR-1", "c1"), ("HR-2", "c1"), ("HR-3", "c2"), ("HR-4", "c2"), ("HR-5", "c3"), ("HR-6", "c3")] {
            let c = pw(id, candidate, "2022-06-01", "GM0828");
            store::insert_contract(tx.conn(), &c, &c.fingerprint(), "t").await.unwrap();
        }
        store::insert_trajectory(tx.conn(), "t-1", "c1", "HR-1").await.unwrap();
        store::insert_trajectory(tx.conn(), "t-5", "c3", "HR-5").await.unwrap();
        store::complete_trajectory(tx.conn(), "t-5", d("2022-09-01"), TrajectoryResult::Verhuisd).await.unwrap();
        tx.commit().await.unwrap();
        // c1's is open; c2 has two new contracts in one push; c3's ended.
        let opened = [("t-2", "c1", "HR-2"), ("t-3", "c2", "HR-3"), ("t-4", "c2", "HR-4"), ("t-6", "c3", "HR-6")]
            .map(|(t, c, hr)| (t.to_owned(), c.to_owned(), hr.to_owned()));
        let mut tx = employment.db().begin_write().await.unwrap();
        store::insert_rows(tx.conn(), &store::opened_trajectory_rows(&opened)).await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = employment.db().pool().acquire().await.unwrap();
        let open = TrajectoryFilter { open_only: true, ..Default::default() };
        let mut open: Vec<String> = store::list_trajectories(&mut conn, &open, None).await.unwrap().into_iter().map(|t| t.id).collect();
        open.sort();
        assert_eq!(open, ["t-1", "t-3", "t-6"], "{label}: c1 keeps its own, c2 gets the first of its two, c3 a new one");
    })
    .await;
}

#[tokio::test]
async fn events_and_activities_are_idempotent_by_request_id() {
    each_store(async |employment, label| {
        let mut tx = employment.db().begin_write().await.unwrap();
        let c = pw("HR-1", "c1", "2022-01-01", "GM0828");
        store::insert_contract(tx.conn(), &c, &c.fingerprint(), "t").await.unwrap();
        let event = EventRow { id: "e1".into(), hr_contract_id: "HR-1".into(), effective_date: d("2022-03-01"), kind: "LOONWAARDE".into(), value: "42.5".into() };
        store::insert_event(tx.conn(), &event, Some("r1"), "t").await.unwrap();
        let again = EventRow { id: "e2".into(), ..event.clone() };
        let err = store::insert_event(tx.conn(), &again, Some("r1"), "t").await.unwrap_err();
        assert!(partnership_platform::store::is_unique_violation(&err), "{label}: {err}");
        drop(tx);

        let mut tx = employment.db().begin_write().await.unwrap();
        store::insert_contract(tx.conn(), &c, &c.fingerprint(), "t").await.unwrap();
        store::insert_event(tx.conn(), &event, Some("r1"), "t").await.unwrap();
        let activity = ActivityRow { id: "a1".into(), kind: "JOBCOACHING".into(), candidate_id: None, municipality_code: "GM0828".into(), date: d("2022-04-01") };
        store::insert_activity(tx.conn(), &activity, Some("r2"), "t").await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = employment.db().pool().acquire().await.unwrap();
        assert_eq!(store::event_by_request_id(&mut conn, "r1").await.unwrap(), Some(event), "{label}");
        assert_eq!(store::activity_by_request_id(&mut conn, "r2").await.unwrap(), Some(activity));
        let q2 = Period { first: d("2022-04-01"), last: d("2022-06-30") };
        recompute_kept_figures(&employment).await;
        assert_eq!(store::activity_counts(&mut conn, Some(&["GM0828".into()]), q2).await.unwrap(), [("JOBCOACHING".into(), 1)]);
        assert!(store::activity_counts(&mut conn, Some(&["GM1721".into()]), q2).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_outbox_hands_out_what_is_due_until_it_is_delivered() {
    each_store(async |employment, label| {
        let mut tx = employment.db().begin_write().await.unwrap();
        for (id, date) in [("m1", "2022-01-01"), ("m2", "2999-01-01")] {
            let message = OutboxRow { id: id.into(), hr_contract_id: format!("HR-{id}"), candidate_id: "c".into(), effective_date: d(date), attempts: 0 };
            store::insert_outbox(tx.conn(), &message, "t").await.unwrap();
        }
        tx.commit().await.unwrap();
        let mut conn = employment.db().pool().acquire().await.unwrap();
        let due = store::pending_outbox(&mut conn, d("2026-01-01"), 10).await.unwrap();
        assert_eq!(due.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["m1"], "{label}: future starts wait");
        store::mark_failed_attempt(&mut conn, "m1", "intake down").await.unwrap();
        assert_eq!(store::pending_outbox(&mut conn, d("2026-01-01"), 10).await.unwrap()[0].attempts, 1);
        store::mark_delivered(&mut conn, "m1", "applied", "t").await.unwrap();
        assert!(store::pending_outbox(&mut conn, d("2026-01-01"), 10).await.unwrap().is_empty());
        assert_eq!(store::outbox_counts(&mut conn).await.unwrap(), (1, 1), "{label}");
    })
    .await;
}

#[tokio::test]
async fn the_figures_kept_on_write_are_those_of_the_stored_rows() {
    each_store(async |employment, label| {
        let year = |y: i32| Period { first: NaiveDate::from_ymd_opt(y, 1, 1).unwrap(), last: NaiveDate::from_ymd_opt(y, 12, 31).unwrap() };
        let oss = ["GM0828".to_owned()];
        // Stored as a push stores them, with what the push keeps: three
        // starters (one in Bernheze, one forfaitair, one WSW without a
        // municipality, which counts for no started figure).
        let mut tx = employment.db().begin_write().await.unwrap();
        let mut measured = pw("HR-1", "c1", "2022-03-01", "GM0828");
        measured.pw.as_mut().unwrap().loonwaarde = Loonwaarde::Measured("42.50".parse().unwrap());
        let bernheze = pw("HR-2", "c2", "2022-04-01", "GM1721");
        let forfaitair = pw("HR-3", "c3", "2023-01-15", "GM0828");
        let mut wsw = pw("HR-4", "c4", "2022-05-01", "GM0828");
        (wsw.kind, wsw.pw, wsw.municipality_code) = (ContractKind::Wsw, None, None);
        let mut kept = partnership_platform::tally::Tallies::new();
        for (k, c) in [&measured, &bernheze, &forfaitair, &wsw].into_iter().enumerate() {
            store::insert_contract(tx.conn(), c, &c.fingerprint(), "t").await.unwrap();
            store::insert_trajectory(tx.conn(), &format!("t-{k}"), &c.candidate_id, &c.hr_contract_id).await.unwrap();
            partnership_employment::tallies::trajectory(&mut kept, c, None, 1);
        }
        kept.write(tx.conn()).await.unwrap();
        let activity = ActivityRow { id: "a1".into(), kind: "JOBCOACHING".into(), candidate_id: None, municipality_code: "GM0828".into(), date: d("2022-04-01") };
        store::insert_activity(tx.conn(), &activity, None, "t").await.unwrap();
        tx.commit().await.unwrap();
        // Kept on write by the operations themselves.
        employment.complete_trajectory("t-0", d("2022-11-30"), TrajectoryResult::DvbIbnKernbezetting).await.unwrap();
        employment.complete_trajectory("t-3", d("2022-12-01"), TrajectoryResult::Verhuisd).await.unwrap();
        let mut kept = partnership_platform::tally::Tallies::new();
        partnership_employment::tallies::activity(&mut kept, "GM0828", "JOBCOACHING", d("2022-04-01"));
        kept.write(&mut *employment.db().pool().acquire().await.unwrap()).await.unwrap();

        let figures = async || {
            let mut conn = employment.db().pool().acquire().await.unwrap();
            let mut started = store::started_pw_classifications(&mut conn, None, year(2022)).await.unwrap();
            started.sort_by_key(|(c, _)| store::classification_key(c));
            let started_oss = store::started_pw_classifications(&mut conn, Some(&oss), year(2022)).await.unwrap();
            let started_2023 = store::started_pw_classifications(&mut conn, Some(&oss), year(2023)).await.unwrap();
            let mut done = store::completions(&mut conn, None, year(2022)).await.unwrap();
            done.sort_by_key(|c| (c.result.code(), c.uitstroomprofiel_at_start.map(|p| p.code())));
            let done_oss = store::completions(&mut conn, Some(&oss), Period { first: d("2022-12-01"), last: d("2022-12-31") }).await.unwrap();
            let activities = store::activity_counts(&mut conn, Some(&oss), year(2022)).await.unwrap();
            (started, started_oss, started_2023, done, done_oss, activities)
        };
        let on_write = figures().await;
        let (started, started_oss, started_2023, done, done_oss, activities) = on_write.clone();
        assert_eq!(started.len(), 2, "{label}: the two 2022 starters, each its own classification");
        assert!(started.iter().any(|(c, n)| *n == 1 && c.loonwaarde == Loonwaarde::Measured("42.5".parse().unwrap())));
        assert_eq!(started_oss.iter().map(|(_, n)| n).sum::<u64>(), 1, "{label}: Bernheze's is not Oss's");
        assert_eq!(started_2023.iter().map(|(_, n)| n).sum::<u64>(), 1);
        assert_eq!(done.len(), 2, "{label}");
        assert_eq!((done[0].result, done[0].uitstroomprofiel_at_start, done[0].count), (TrajectoryResult::DvbIbnKernbezetting, Some(Uitstroomprofiel::Forfaitair), 1));
        assert_eq!((done[1].result, done[1].uitstroomprofiel_at_start, done[1].count), (TrajectoryResult::Verhuisd, None, 1), "{label}: the WSW contract has no profile");
        assert!(done_oss.is_empty(), "{label}: the WSW contract has no municipality, and Oss's completion was in November");
        assert_eq!(activities, [("JOBCOACHING".to_owned(), 1)]);

        recompute_kept_figures(&employment).await;
        assert_eq!(figures().await, on_write, "{label}: the migration computes from the rows what was kept on write");
    })
    .await;
}

#[tokio::test]
async fn a_store_written_before_the_headcount_was_kept_counts_everybody_when_it_opens() {
    use partnership_employment::domain::figures::headcount;
    use partnership_proto::common::{Scope, ScopeLevel};
    each_store(async |employment, label| {
        // Contracts as an older build stored them: nobody counted, nobody due.
        let mut renewed = pw("HR-1", "c1", "2021-03-01", "GM0828");
        renewed.end_date = Some(d("2022-02-28"));
        let renewal = pw("HR-2", "c1", "2022-03-01", "GM0828");
        let mut moved = pw("HR-3", "c2", "2021-05-01", "GM0828");
        moved.end_date = Some(d("2022-06-30"));
        let moved_on = pw("HR-4", "c2", "2022-07-01", "GM1721");
        let mut leaver = pw("HR-5", "c3", "2022-02-01", "GM1721");
        leaver.end_date = Some(d("2022-10-31"));
        let mut wsw = pw("HR-6", "c3", "2020-01-01", "GM1721");
        (wsw.kind, wsw.pw, wsw.municipality_code) = (ContractKind::Wsw, None, None);
        let contracts = [renewed, renewal, moved, moved_on, leaver, wsw];
        let mut tx = employment.db().begin_write().await.unwrap();
        for c in &contracts {
            store::insert_contract(tx.conn(), c, &c.fingerprint(), "t").await.unwrap();
        }
        tx.commit().await.unwrap();
        let pool = employment.db().pool();
        sqlx::raw_sql("DROP TABLE headcount_apart; DROP TABLE headcount_due").execute(pool).await.unwrap();
        let migration = store::MIGRATIONS.iter().find(|m| m.version == 8).unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(migration.sql)).execute(pool).await.unwrap();

        let partnership = Scope { level: ScopeLevel::Partnership as i32, code: String::new() };
        let year = Period { first: d("2022-01-01"), last: d("2022-12-31") };
        let counted = employment.headcount_figures(&partnership, d("2022-12-31"), year).await.unwrap();
        assert_eq!(counted, headcount(&contracts, d("2022-12-31"), year), "{label}");
        assert_eq!((counted.pw_persons, counted.pw_inflow, counted.pw_outflow), (2, 1, 1), "{label}: c2 moved without a gap");
        // Not a period from 1 January: counted from the contracts.
        let across = Period { first: d("2021-04-01"), last: d("2022-03-31") };
        assert_eq!(employment.headcount_figures(&partnership, d("2022-03-31"), across).await.unwrap(), headcount(&contracts, d("2022-03-31"), across));
        let mut conn = pool.acquire().await.unwrap();
        assert!(!store::any_due(&mut conn).await.unwrap(), "{label}: everybody was counted");
    })
    .await;
}

#[tokio::test]
async fn lks_groups_take_the_measured_contracts_out_of_their_groups() {
    each_store(async |employment, label| {
        let mut tx = employment.db().begin_write().await.unwrap();
        // Three contracts with one set of facts in 2022, one of them
        // measured twice; one elsewhere; one ended before the year.
        let mut ended = pw("HR-5", "c5", "2020-01-01", "GM0828");
        ended.end_date = Some(d("2021-12-31"));
        let contracts = [pw("HR-1", "c1", "2021-01-01", "GM0828"), pw("HR-2", "c2", "2021-06-01", "GM0828"), pw("HR-3", "c3", "2020-01-01", "GM0828"), pw("HR-4", "c4", "2021-01-01", "GM1721"), ended];
        for c in &contracts {
            store::insert_contract(tx.conn(), c, &c.fingerprint(), "t").await.unwrap();
        }
        for (id, day) in [("e1", "2022-03-01"), ("e2", "2022-05-01")] {
            let event = EventRow { id: id.into(), hr_contract_id: "HR-2".into(), effective_date: d(day), kind: "LOONWAARDE".into(), value: "42.5".into() };
            store::insert_event(tx.conn(), &event, None, "t").await.unwrap();
        }
        tx.commit().await.unwrap();
        let mut conn = employment.db().pool().acquire().await.unwrap();
        let year = Period { first: d("2022-01-01"), last: d("2022-12-31") };
        let (groups, measured) = store::lks_groups(&mut conn, &["GM0828".into()], year).await.unwrap();
        let facts = |g: &store::LksGroup| (g.paying_municipality_code.clone(), g.first_day, g.last_day, g.contracts);
        assert_eq!(groups.iter().map(facts).collect::<Vec<_>>(), [("GM0828".into(), d("2022-01-01"), d("2022-12-31"), 2)], "{label}");
        assert_eq!(measured.iter().map(|(id, g)| (id.as_str(), facts(g))).collect::<Vec<_>>(), [("HR-2", ("GM0828".into(), d("2022-01-01"), d("2022-12-31"), 1))], "{label}: once, however often measured");
        let (both, _) = store::lks_groups(&mut conn, &["GM0828".into(), "GM1721".into()], year).await.unwrap();
        assert_eq!(both.iter().map(|g| g.contracts).sum::<u64>(), 3, "{label}");
    })
    .await;
}
