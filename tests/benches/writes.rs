//! Benchmark (not a test): durable registration writes per second and
//! their p50/p99 latency at 1, 16 and 64 concurrent clients, against the
//! RPC ceiling (an empty unary call: a health check on a bare tonic server,
//! and on the intake server itself), measured in the same run.
//!
//! `cargo bench -p partnership-e2e --bench writes` (release; the suite runs
//! in-process on SQLite in a temporary directory, so client and server
//! share the machine, as they do for the ceiling). `WRITE_SECONDS=2` and
//! `WRITE_CLIENTS=1,4` for a smoke run. The same code is the load
//! generator's `loadgen writes` against a running suite.

#[path = "../loadgen/connect.rs"]
#[allow(dead_code)]
mod connect;
#[path = "../loadgen/cpu.rs"]
mod cpu;
#[path = "../loadgen/writes.rs"]
mod writes;

use std::time::Duration;

use partnership_e2e::*;
use partnership_suite::Service;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::var("WRITE_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let levels: Vec<usize> = std::env::var("WRITE_CLIENTS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 16, 64]);
    let suite = spawn_suite_with(|c| c.employment.deliver_outbox = false).await;
    connect::use_token(&suite.admin_token());
    let intake = format!("http://{}", suite.suite.addr(Service::Intake).expect("intake runs"));
    let candidates = writes::candidates(&intake, 1, 2000).await?;
    let bare = writes::bare_server().await?;
    println!("{seconds} s per run, after 0.5 s warm-up; ratios against the bare tonic ceiling at the same concurrency");
    println!("{}", writes::table_header());
    let mut summary = Vec::new();
    for clients in levels {
        let duration = Duration::from_secs(seconds);
        let ceiling = writes::ceiling(&bare, "bench", clients, duration).await?;
        let same = writes::ceiling(&intake, "partnership.intake.v1.IntakeService", clients, duration).await?;
        let written = writes::registrations(&intake, &candidates, "bench", clients, duration).await?;
        for (what, run) in [("empty call, bare tonic", &ceiling), ("empty call, intake server", &same), ("CreateRegistration", &written)] {
            println!("{}", writes::table_row(what, run, &ceiling));
        }
        let cpu_ratio = written.cpu_micros_per_call().zip(ceiling.cpu_micros_per_call()).map(|(w, e)| w / e);
        summary.push((clients, written.per_second() / ceiling.per_second(), written.per_second() / same.per_second(), cpu_ratio));
    }
    for (clients, bare, same, cpu_ratio) in summary {
        println!(
            "ratio writes / ceiling at {clients:>2} clients: {:.2} of bare tonic, {:.2} of the intake server's empty call; a write's CPU {} that of a bare empty call",
            bare,
            same,
            cpu_ratio.map_or("(not measured)".into(), |r| format!("{r:.1}×"))
        );
    }
    suite.suite.stop().await?;
    Ok(())
}
