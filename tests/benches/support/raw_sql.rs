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

/// (store, what, query) — partnership scope, year 2024, as of 2024-12-31.
const QUERIES: &[(&str, &str, &str)] = &[
    ("intake", "cohort: latest status per registration of 2024",
     "SELECT r.youth, e.status, e.terugmelding_reason, COUNT(*) AS n FROM registrations r
      JOIN status_entries e ON e.registration_id = r.id AND e.superseded_by_seq IS NULL
       AND e.ordinal = (SELECT MAX(x.ordinal) FROM status_entries x WHERE x.registration_id = r.id
                        AND x.superseded_by_seq IS NULL AND x.effective_date <= '2024-12-31')
      WHERE r.registration_date >= '2024-01-01' AND r.registration_date <= '2024-12-31'
      GROUP BY r.youth, e.status, e.terugmelding_reason"),
    ("intake", "registrations per municipality per year",
     "SELECT municipality_code, substr(registration_date, 1, 4) AS y, COUNT(*) AS n, SUM(youth) AS youth
      FROM registrations WHERE registration_date >= '2015-01-01' AND registration_date <= '2024-12-31'
      GROUP BY municipality_code, substr(registration_date, 1, 4)"),
    ("intake", "pluspakket per municipality and service",
     "SELECT municipality_code, service_code, COUNT(*) AS n FROM pluspakket_registrations
      WHERE registration_date >= '2024-01-01' AND registration_date <= '2024-12-31' GROUP BY municipality_code, service_code"),
    ("employment", "started PW contracts by classification",
     "SELECT c.soort_plaatsing, c.doelgroep, c.uitstroomprofiel, c.loonwaarde, c.werkladder_step, COUNT(*) AS n
      FROM contracts c JOIN trajectories t ON t.hr_contract_id = c.hr_contract_id
      WHERE c.kind = 'PW' AND c.start_date >= '2024-01-01' AND c.start_date <= '2024-12-31'
      GROUP BY c.soort_plaatsing, c.doelgroep, c.uitstroomprofiel, c.loonwaarde, c.werkladder_step"),
    ("employment", "completed trajectories by result",
     "SELECT result, COUNT(*) AS n FROM trajectories WHERE completion_date >= '2024-01-01'
      AND completion_date <= '2024-12-31' GROUP BY result"),
    ("employment", "persons employed per kind",
     "SELECT kind, COUNT(DISTINCT candidate_id) AS n FROM contracts WHERE start_date <= '2024-12-31'
      AND (end_date IS NULL OR end_date >= '2024-12-31') GROUP BY kind"),
    ("employment", "PW starts and ends in the year",
     "SELECT COUNT(DISTINCT candidate_id) AS n FROM contracts WHERE kind = 'PW'
      AND ((start_date >= '2024-01-01' AND start_date <= '2024-12-31') OR (end_date >= '2024-01-01' AND end_date <= '2024-12-31'))"),
    ("employment", "beschut persons and hours",
     "SELECT werkladder_step, COUNT(DISTINCT candidate_id) AS n, SUM(CAST(hours_per_week AS REAL)) AS hours FROM contracts
      WHERE kind = 'PW' AND doelgroep = 'NIEUW_BESCHUT' AND start_date <= '2024-12-31'
      AND (end_date IS NULL OR end_date >= '2024-12-31') GROUP BY werkladder_step"),
    ("employment", "activities by kind",
     "SELECT kind, COUNT(*) AS n FROM activities WHERE activity_date >= '2024-01-01' AND activity_date <= '2024-12-31' GROUP BY kind"),
    ("employment", "LKS base: PW contracts in the year per paying municipality",
     "SELECT municipality_code, COUNT(*) AS n, SUM(CAST(hours_per_week AS REAL)) AS hours FROM contracts
      WHERE kind = 'PW' AND start_date <= '2024-12-31' AND (end_date IS NULL OR end_date >= '2024-01-01')
      GROUP BY municipality_code"),
    ("beschut", "indications active at the end of the year",
     "SELECT municipality_code, COUNT(*) AS n FROM indications WHERE granted_date <= '2024-12-31'
      AND (valid_until IS NULL OR valid_until >= '2024-12-31') AND (end_date IS NULL OR end_date > '2024-12-31')
      GROUP BY municipality_code"),
    ("beschut", "placements running at the end of the year",
     "SELECT municipality_code, COUNT(*) AS n, SUM(CAST(hours_per_week AS REAL)) AS hours FROM placements
      WHERE start_date <= '2024-12-31' AND (end_date IS NULL OR end_date >= '2024-12-31') GROUP BY municipality_code"),
    ("finance", "lumpsums of the year", "SELECT budget_period_id, base_cents, surcharge_cents FROM lumpsums WHERE year = 2024"),
];

/// Runs every query once to warm the caches, then times five rounds and
/// returns the median total in milliseconds, printing each query's time.
pub async fn baseline(data_dir: &Path) -> anyhow::Result<f64> {
    sqlx::any::install_default_drivers();
    let mut conns: Vec<(&str, AnyConnection)> = Vec::new();
    for store in ["intake", "employment", "beschut", "finance"] {
        let url = format!("sqlite://{}?mode=ro", data_dir.join(format!("{store}.db")).display());
        conns.push((store, AnyConnection::connect(&url).await?));
    }
    let mut rounds: Vec<(f64, Vec<f64>)> = Vec::new();
    for round in 0..6 {
        let mut each = Vec::new();
        let started = Instant::now();
        for (store, _, query) in QUERIES {
            let conn = &mut conns.iter_mut().find(|(s, _)| s == store).expect("a store").1;
            let began = Instant::now();
            sqlx::query(sqlx::AssertSqlSafe(*query)).fetch_all(&mut *conn).await?;
            each.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        if round > 0 {
            rounds.push((started.elapsed().as_secs_f64() * 1000.0, each));
        }
    }
    rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (total, each) = &rounds[rounds.len() / 2];
    for ((store, what, _), ms) in QUERIES.iter().zip(each) {
        println!("      raw SQL {store:<10} {what:<58} {ms:>8.1} ms");
    }
    Ok(*total)
}
