//! Benchmark (not a test): report latency on the demo data and on a dataset
//! 100× larger, with the time each fan-out call took, measured in one run.
//!
//! `cargo bench -p partnership-e2e --bench report` (release; the suite runs
//! in-process on SQLite). `REPORT_SCALES=1,10` to choose the sizes.

use std::time::Instant;

use partnership_e2e::*;
use partnership_proto::reporting as pb;
use partnership_suite::Service;
use partnership_suite::demo::{self, Plan};

async fn timed_report(suite: &TestSuite, scope: Option<partnership_proto::common::Scope>, label: &str) -> f64 {
    let mut reporting = suite.reporting().await;
    // One warm-up, then the median of five.
    let request = pb::GetReportRequest { year: 2024, quarter: 4, scope, strict: false };
    let report = reporting.get_report(request.clone()).await.expect("report").into_inner();
    for section in &report.sections {
        if let Some(pb::section::Content::Unavailable(u)) = &section.content {
            println!("  ! section {} unavailable: {}", section.number, u.reason);
        }
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        reporting.get_report(request.clone()).await.expect("report");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let median = times[2];
    println!("  report {label:<28} median {median:>8.1} ms  (min {:.1}, max {:.1})", times[0], times[4]);
    if label == "partnership" {
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
        .unwrap_or_else(|| vec![1, 100]);
    let mut baseline = None;
    for scale in scales {
        // A long deadline: measure what each call really costs at this size.
        let suite = spawn_suite_with(|c| {
            c.employment.deliver_outbox = false;
            c.reporting.call_timeout_ms = 300_000;
        })
        .await;
        let url = |s: Service| format!("http://{}", suite.suite.addr(s).unwrap());
        let mut clients = demo::Clients::connect(&url(Service::Intake), &url(Service::Employment), &url(Service::Beschut), &url(Service::Finance), &suite.admin_token()).unwrap();
        let plan = Plan::generate(scale, 2021);
        let started = Instant::now();
        demo::load(&plan, &mut clients).await.expect("demo data");
        println!(
            "scale {scale}: {} registrations, {} contracts, {} indications loaded through the APIs in {:.1} s",
            plan.registrations.len(),
            plan.contracts.len(),
            plan.indications.len(),
            started.elapsed().as_secs_f64()
        );
        let partnership_ms = timed_report(&suite, partnership(), "partnership").await;
        timed_report(&suite, area("MAASHORST"), "area Maashorst").await;
        timed_report(&suite, municipality("GM0828"), "municipality Oss").await;
        match baseline {
            None => baseline = Some(partnership_ms),
            Some(base) => println!("  ratio partnership report, scale {scale} / scale 1: {:.1}", partnership_ms / base),
        }
        suite.suite.stop().await.expect("clean shutdown");
    }
}
