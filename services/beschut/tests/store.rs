//! Beschut's store on SQLite and, when `PARTNERSHIP_TEST_DATABASE_URL` is
//! set, PostgreSQL.

use chrono::NaiveDate;
use partnership_beschut::domain::indication::{Indication, IndicationEnd};
use partnership_beschut::store::{self, Filter, IndicationRow, PlacementRow, SchakeltrajectRow, Subject};
use partnership_beschut::{Beschut, BeschutConfig, Taakstelling};
use partnership_platform::testing::test_stores;
use rust_decimal::Decimal;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn subject(candidate: &str, municipality: &str) -> Subject {
    Subject { candidate_id: candidate.into(), municipality_code: municipality.into() }
}

#[tokio::test]
async fn records_keep_their_dates_and_history_on_every_store() {
    for test_store in test_stores("beschut").await.unwrap() {
        let label = test_store.label;
        let beschut = Beschut::open(&BeschutConfig::default(), &test_store.url, "no-peer-token", Taakstelling::embedded().unwrap()).await.unwrap();
        let mut tx = beschut.db().begin_write().await.unwrap();
        let granted = IndicationRow {
            id: "i1".into(),
            subject: subject("c1", "GM0828"),
            uwv_reference: "UWV-1".into(),
            dates: Indication { granted_date: d("2021-09-01"), valid_until: Some(d("2024-08-31")), ended: None },
        };
        store::insert_indication(tx.conn(), &granted, Some("r1"), "t1").await.unwrap();
        store::end_indication(tx.conn(), "i1", IndicationEnd::Withdrawn, d("2022-07-01"), "t2").await.unwrap();
        let placement = PlacementRow {
            id: "p1".into(),
            subject: subject("c2", "GM1721"),
            employer: "Garage Jansen".into(),
            start_date: d("2022-01-01"),
            end_date: None,
            hours_per_week: "27.5".parse::<Decimal>().unwrap(),
        };
        store::insert_placement(tx.conn(), &placement, Some("r2"), "t").await.unwrap();
        let schakel = SchakeltrajectRow { id: "s1".into(), subject: subject("c3", "GM0828"), start_date: d("2022-02-01"), end_date: None };
        store::insert_schakeltraject(tx.conn(), &schakel, None, "t").await.unwrap();
        store::end_schakeltraject(tx.conn(), "s1", d("2022-04-30")).await.unwrap();
        tx.commit().await.unwrap();

        let mut conn = beschut.db().pool().acquire().await.unwrap();
        let got = store::indication_by(&mut conn, "request_id", "r1").await.unwrap().unwrap();
        assert_eq!(got.dates.ended, Some((IndicationEnd::Withdrawn, d("2022-07-01"))), "{label}");
        assert!(got.dates.active_on(d("2022-06-30")) && !got.dates.active_on(d("2022-07-01")));
        let events: Vec<String> = store::indication_events(&mut conn, "i1").await.unwrap().into_iter().map(|e| e.0).collect();
        assert_eq!(events, ["GRANTED", "WITHDRAWN"], "{label}");
        let oss = Filter { municipality_codes: Some(vec!["GM0828".into()]), ..Default::default() };
        assert!(store::placements(&mut conn, &oss, None).await.unwrap().is_empty(), "{label}");
        let all = store::placements(&mut conn, &Filter::default(), None).await.unwrap();
        assert_eq!(all, vec![placement], "{label}");
        let schakel = store::schakeltrajecten(&mut conn, &oss).await.unwrap();
        assert_eq!(schakel[0].end_date, Some(d("2022-04-30")), "{label}");
    }
}
