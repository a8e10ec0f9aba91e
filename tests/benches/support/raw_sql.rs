//! The baseline of the report benchmark: the raw SQL aggregate queries a
//! hand-written report for a year through its fourth quarter would run,
//! straight on the services' SQLite stores (same files, same sqlx driver),
//! one after another on one connection per store. No gRPC, no domain
//! rules: what the stores cost, to hold the report's time against.
//!
//! The LKS baseline is the aggregate its computation starts from (PW
//! contracts running in the year per paying municipality, with their
//! hours); the per-month subsidy rules are not expressible as one query.

use std::path::Path;
use std::time::Instant;

use sqlx::{AnyConnection, Connection};

/// (store, what, query): the aggregates behind the figures the annual
/// report shows (partnership scope, 2024 through Q4, as of 2024-12-31) —
/// as many as it shows: three cohorts, three years of trajectory results,
/// beschut at three year ends, the headcount at this and the previous
/// quarter's end.
fn queries() -> Vec<(&'static str, String, String)> {
    let mut q: Vec<(&'static str, String, String)> = Vec::new();
    for y in [2024, 2023, 2022] {
        q.push(("intake", format!("cohort {y}: latest status per registration"), format!(
            "SELECT r.youth, e.status, e.terugmelding_reason, COUNT(*) AS n FROM registrations r
             JOIN status_entries e ON e.registration_id = r.id AND e.superseded_by_seq IS NULL
              AND e.ordinal = (SELECT MAX(x.ordinal) FROM status_entries x WHERE x.registration_id = r.id
                               AND x.superseded_by_seq IS NULL AND x.effective_date <= '2024-12-31')
             WHERE r.registration_date >= '{y}-01-01' AND r.registration_date <= '{y}-12-31'
             GROUP BY r.youth, e.status, e.terugmelding_reason")));
    }
    q.push(("intake", "registrations per municipality per year".into(),
        "SELECT municipality_code, substr(registration_date, 1, 4) AS y, COUNT(*) AS n, SUM(youth) AS youth
         FROM registrations WHERE registration_date >= '2022-01-01' AND registration_date <= '2024-12-31'
         GROUP BY municipality_code, substr(registration_date, 1, 4)".into()));
    q.push(("intake", "pluspakket per municipality and service".into(),
        "SELECT municipality_code, service_code, COUNT(*) AS n FROM pluspakket_registrations
         WHERE registration_date >= '2024-01-01' AND registration_date <= '2024-12-31' GROUP BY municipality_code, service_code".into()));
    q.push(("employment", "started PW contracts by classification".into(),
        "SELECT c.soort_plaatsing, c.doelgroep, c.uitstroomprofiel, c.loonwaarde, c.werkladder_step, COUNT(*) AS n
         FROM contracts c JOIN trajectories t ON t.hr_contract_id = c.hr_contract_id
         WHERE c.kind = 'PW' AND c.start_date >= '2024-01-01' AND c.start_date <= '2024-12-31'
         GROUP BY c.soort_plaatsing, c.doelgroep, c.uitstroomprofiel, c.loonwaarde, c.werkladder_step".into()));
    for y in [2024, 2023, 2022] {
        q.push(("employment", format!("trajectories completed in {y} by result and profile"), format!(
            "SELECT t.result, c.uitstroomprofiel, COUNT(*) AS n FROM trajectories t
             JOIN contracts c ON c.hr_contract_id = t.hr_contract_id
             WHERE t.completion_date >= '{y}-01-01' AND t.completion_date <= '{y}-12-31'
             GROUP BY t.result, c.uitstroomprofiel")));
    }
    for (on, first) in [("2024-12-31", "2024-01-01"), ("2024-09-30", "2024-01-01")] {
        q.push(("employment", format!("persons employed per kind on {on}"), format!(
            "SELECT kind, COUNT(DISTINCT candidate_id) AS n FROM contracts WHERE start_date <= '{on}'
             AND (end_date IS NULL OR end_date >= '{on}') GROUP BY kind")));
        q.push(("employment", format!("PW starts and ends {first}..{on}"), format!(
            "SELECT COUNT(DISTINCT candidate_id) AS n FROM contracts WHERE kind = 'PW'
             AND ((start_date >= '{first}' AND start_date <= '{on}') OR (end_date >= '{first}' AND end_date <= '{on}'))")));
    }
    q.push(("employment", "activities by kind".into(),
        "SELECT kind, COUNT(*) AS n FROM activities WHERE activity_date >= '2024-01-01' AND activity_date <= '2024-12-31' GROUP BY kind".into()));
    q.push(("employment", "LKS base: PW contracts in the year per paying municipality".into(),
        "SELECT municipality_code, COUNT(*) AS n, SUM(CAST(hours_per_week AS REAL)) AS hours FROM contracts
         WHERE kind = 'PW' AND start_date <= '2024-12-31' AND (end_date IS NULL OR end_date >= '2024-01-01')
         GROUP BY municipality_code".into()));
    for on in ["2024-12-31", "2023-12-31", "2022-12-31"] {
        q.push(("employment", format!("beschut persons and hours on {on}"), format!(
            "SELECT werkladder_step, COUNT(DISTINCT candidate_id) AS n, SUM(CAST(hours_per_week AS REAL)) AS hours FROM contracts
             WHERE kind = 'PW' AND doelgroep = 'NIEUW_BESCHUT' AND start_date <= '{on}'
             AND (end_date IS NULL OR end_date >= '{on}') GROUP BY werkladder_step")));
        q.push(("beschut", format!("indications active on {on}"), format!(
            "SELECT municipality_code, COUNT(*) AS n FROM indications WHERE granted_date <= '{on}'
             AND (valid_until IS NULL OR valid_until >= '{on}') AND (end_date IS NULL OR end_date > '{on}')
             GROUP BY municipality_code")));
        q.push(("beschut", format!("placements running on {on}"), format!(
            "SELECT municipality_code, COUNT(*) AS n, SUM(CAST(hours_per_week AS REAL)) AS hours FROM placements
             WHERE start_date <= '{on}' AND (end_date IS NULL OR end_date >= '{on}') GROUP BY municipality_code")));
    }
    q.push(("finance", "lumpsums of the year".into(), "SELECT budget_period_id, base_cents, surcharge_cents FROM lumpsums WHERE year = 2024".into()));
    q
}

/// Runs every query once to warm the caches, then times five rounds and
/// returns the median total in milliseconds, printing each query's time.
pub async fn baseline(data_dir: &Path) -> anyhow::Result<f64> {
    sqlx::any::install_default_drivers();
    let mut conns: Vec<(&str, AnyConnection)> = Vec::new();
    for store in ["intake", "employment", "beschut", "finance"] {
        let url = format!("sqlite://{}?mode=ro", data_dir.join(format!("{store}.db")).display());
        conns.push((store, AnyConnection::connect(&url).await?));
    }
    let queries = queries();
    let mut rounds: Vec<(f64, Vec<f64>)> = Vec::new();
    for round in 0..6 {
        let mut each = Vec::new();
        let started = Instant::now();
        for (store, _, query) in &queries {
            let conn = &mut conns.iter_mut().find(|(s, _)| s == store).expect("a store").1;
            let began = Instant::now();
            sqlx::query(sqlx::AssertSqlSafe(query.clone())).fetch_all(&mut *conn).await?;
            each.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        if round > 0 {
            rounds.push((started.elapsed().as_secs_f64() * 1000.0, each));
        }
    }
    rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (total, each) = &rounds[rounds.len() / 2];
    for ((store, what, _), ms) in queries.iter().zip(each) {
        println!("      raw SQL {store:<10} {what:<58} {ms:>8.1} ms");
    }
    Ok(*total)
}
