//! Benchmark (not a test): the annual report (2024 through Q4) for the
//! whole partnership, an area and one municipality, with the time each
//! fan-out call took, against the raw SQL aggregate queries on the same
//! stores (see `raw_sql.rs`), measured in one run.
//!
//! `cargo bench -p partnership-e2e --bench report` (release; the suite runs
//! in-process on SQLite). `REPORT_SCALES=1,100,1000` chooses the sizes
//! (default 1, a smoke run): scale 1 is the partnership (~1,000
//! registrations), scale 1000 is national (~1,000,000 registrations,
//! ~700,000 contracts), loaded through the public APIs by the demo loader.
//!
//! `REPORT_DATA_DIR=/some/dir` keeps each scale's stores in
//! `/some/dir/scale-N` and loads them only once: a later run (of this or a
//! newer build) opens them again, migrations and all, and measures the
//! report straight away. The national load takes about an hour.

#[path = "../loadgen/connect.rs"]
#[allow(dead_code)]
mod connect;
#[path = "support/raw_sql.rs"]
mod raw_sql;

use std::time::{Duration, Instant};

use partnership_e2e::*;
use partnership_platform::auth::Principal;
use partnership_proto::reporting as pb;
use partnership_suite::Service;
use partnership_suite::demo::{self, Plan};

async fn timed_report(suite: &TestSuite, scope: Option<partnership_proto::common::Scope>, label: &str) -> f64 {
    let mut reporting = suite.reporting().await;
    // One warm-up, then the median of `REPORT_RUNS` (five unless told;
    // more for a profile).
    let runs: usize = std::env::var("REPORT_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let request = pb::GetReportRequest { year: 2024, quarter: 4, scope, strict: false };
    let report = reporting.get_report(request.clone()).await.expect("report").into_inner();
    for section in &report.sections {
        if let Some(pb::section::Content::Unavailable(u)) = &section.content {
            println!("  ! section {} unavailable: {}", section.number, u.reason);
        }
    }
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        reporting.get_report(request.clone()).await.expect("report");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[runs / 2];
    println!("  report {label:<28} median {median:>8.1} ms  (min {:.1}, max {:.1})", times[0], times[runs - 1]);
    // Where the time went: each fan-out call of the whole partnership's
    // report and of one municipality's (the two targets).
    if label == "partnership" || label.starts_with("municipality") {
        let mut calls: Vec<&pb::Fetch> = report.sections.iter().flat_map(|s| &s.fetches).collect();
        calls.sort_by_key(|f| std::cmp::Reverse(f.elapsed_micros));
        calls.dedup_by(|a, b| a.call == b.call && a.elapsed_micros == b.elapsed_micros);
        for f in calls {
            println!("      fan-out {:<42} {:>8.1} ms", f.call, f.elapsed_micros as f64 / 1000.0);
        }
    }
    median
}

#[tokio::main]
async fn main() {
    let scales: Vec<u32> = std::env::var("REPORT_SCALES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1]);
    let mut baseline = None;
    for scale in scales {
        // A long deadline: measure what each call really costs at this size.
        let mut data_dir = None;
        let kept = std::env::var_os("REPORT_DATA_DIR").map(|d| std::path::PathBuf::from(d).join(format!("scale-{scale}")));
        let loaded = kept.as_ref().map(|d| d.join("loaded"));
        let suite = spawn_suite_with(|c| {
            if let Some(dir) = &kept {
                c.data_dir = dir.clone();
            }
            data_dir = Some(c.data_dir.clone());
            c.employment.deliver_outbox = false;
            c.reporting.call_timeout_ms = 300_000;
        })
        .await;
        let url = |s: Service| format!("http://{}", suite.suite.addr(s).unwrap());
        // The national load takes an hour or more: a token of one hour
        // expired during it once (and the load resumes where it stopped:
        // every step of it is idempotent).
        connect::use_token(&suite.token_valid_for(&Principal::Administrator, Duration::from_secs(24 * 3600)));
        let mut clients =
            connect::demo_clients(&url(Service::Intake), &url(Service::Employment), &url(Service::Beschut), &url(Service::Finance)).unwrap();
        let plan = Plan::generate(scale, 2021);
        let counts = format!(
            "scale {scale}: {} registrations, {} contracts, {} indications",
            plan.registrations.len(),
            plan.contracts.len(),
            plan.indications.len()
        );
        if loaded.as_ref().is_some_and(|l| l.exists()) {
            println!("{counts} loaded before, in {}", data_dir.as_ref().unwrap().display());
        } else {
            let started = Instant::now();
            demo::load(&plan, &mut clients).await.expect("demo data");
            println!("{counts} loaded through the APIs in {:.1} s", started.elapsed().as_secs_f64());
            if let Some(l) = &loaded {
                std::fs::write(l, format!("{counts}\n")).expect("the load is marked");
            }
        }
        let partnership_ms = timed_report(&suite, partnership(), "partnership").await;
        timed_report(&suite, area("MAASHORST"), "area Maashorst").await;
        timed_report(&suite, municipality("GM0828"), "municipality Oss").await;
        let raw = raw_sql::baseline(data_dir.as_deref().expect("the suite's data directory")).await.expect("raw SQL");
        println!("  raw SQL aggregates, all stores, one after another: {raw:.1} ms");
        println!("  ratio partnership report / raw SQL at scale {scale}: {:.2}", partnership_ms / raw);
        match baseline {
            None => baseline = Some(partnership_ms),
            Some(base) => println!("  ratio partnership report, scale {scale} / scale 1: {:.1}", partnership_ms / base),
        }
        suite.suite.stop().await.expect("clean shutdown");
    }
}
