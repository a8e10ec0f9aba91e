//! `loadgen`: load for a running suite, through its public gRPC APIs only.
//!
//! ```text
//! loadgen writes [--intake URL] [--clients 1,16,64] [--seconds 10] [--candidates 2000]
//!     durable registration writes at each concurrency, against the RPC
//!     ceiling (a health check on a bare tonic server and on intake itself)
//! loadgen data --scale N [--intake URL] [--employment URL] [--beschut URL] [--finance URL]
//!     the national-scale dataset: the demo plan at scale N (1: the
//!     partnership, ~1,000 registrations; 1000: ~1,000,000 registrations,
//!     ~700,000 contracts), loaded as municipalities (bulk import), HR (bulk
//!     push) and staff would
//! loadgen report [--reporting URL] [--year 2024] [--quarter 4] [--scope partnership|area:X|municipality:X]
//!     the time of one report (median of five after a warm-up)
//! ```
//!
//! URLs default to the suite's default ports on 127.0.0.1. Calls carry the
//! administrator's token: `$PARTNERSHIP_TOKEN`, or the dev token in
//! `data/credentials/administrator.token` (`--token-file` for another). The benchmarks
//! (`cargo bench -p partnership-e2e --bench writes|report|memory`) run the
//! same code against a suite they start themselves.

mod connect;
mod cpu;
mod writes;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;

fn flags() -> anyhow::Result<(String, HashMap<String, String>)> {
    let mut args = std::env::args().skip(1);
    let command = args.next().context("usage: loadgen writes|data|report [--flag value]…")?;
    let mut flags = HashMap::new();
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value"))?;
        flags.insert(flag.trim_start_matches("--").to_owned(), value);
    }
    Ok((command, flags))
}

fn flag<T: std::str::FromStr>(flags: &HashMap<String, String>, name: &str, default: T) -> anyhow::Result<T> {
    match flags.get(name) {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_| anyhow::anyhow!("--{name} {text:?} is not valid")),
    }
}

fn url(flags: &HashMap<String, String>, name: &str, port: u16) -> String {
    flags.get(name).cloned().unwrap_or_else(|| format!("http://127.0.0.1:{port}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (command, flags) = flags()?;
    let token = match std::env::var("PARTNERSHIP_TOKEN") {
        Ok(token) => token,
        Err(_) => {
            let file = flags.get("token-file").cloned().unwrap_or_else(|| "data/credentials/administrator.token".into());
            std::fs::read_to_string(&file).with_context(|| format!("no $PARTNERSHIP_TOKEN and no token in {file}"))?
        }
    };
    connect::use_token(&token);
    match command.as_str() {
        "writes" => {
            let intake = url(&flags, "intake", 50051);
            let seconds: u64 = flag(&flags, "seconds", 10)?;
            let count: u32 = flag(&flags, "candidates", 2000)?;
            let levels: Vec<usize> = flag::<String>(&flags, "clients", "1,16,64".into())?
                .split(',')
                .map(|c| c.trim().parse().context("--clients: numbers separated by commas"))
                .collect::<anyhow::Result<_>>()?;
            // A number range of its own per run, so runs never collide,
            // above the demo data's (scale 1000 uses up to ~1,000,000) and
            // below the end of the synthetic BSN range (4,999,999).
            anyhow::ensure!(count <= 2000, "--candidates: at most 2000");
            let first = 4_000_000 + (std::process::id() % 400) * 2000;
            let candidates = writes::candidates(&intake, first, count).await?;
            let bare = writes::bare_server().await?;
            println!("{}", writes::table_header());
            for clients in levels {
                let duration = Duration::from_secs(seconds);
                let ceiling = writes::ceiling(&bare, "bench", clients, duration).await?;
                let same = writes::ceiling(&intake, "partnership.intake.v1.IntakeService", clients, duration).await?;
                let tag = format!("loadgen-{first}");
                let written = writes::registrations(&intake, &candidates, &tag, clients, duration).await?;
                for (what, run) in [("empty call, bare tonic", &ceiling), ("empty call, intake server", &same), ("CreateRegistration", &written)] {
                    println!("{}", writes::table_row(what, run, &ceiling));
                }
            }
        }
        "data" => {
            let scale: u32 = flag(&flags, "scale", 1)?;
            let mut clients = connect::demo_clients(
                &url(&flags, "intake", 50051),
                &url(&flags, "employment", 50052),
                &url(&flags, "beschut", 50053),
                &url(&flags, "finance", 50054),
            )?;
            let plan = partnership_suite::demo::Plan::generate(scale, 2021);
            let started = Instant::now();
            for line in partnership_suite::demo::load(&plan, &mut clients).await? {
                println!("{line}");
            }
            println!("scale {scale} loaded in {:.1} s", started.elapsed().as_secs_f64());
        }
        "report" => {
            let mut reporting = connect::reporting(&url(&flags, "reporting", 50055))?;
            let scope = scope(&flag::<String>(&flags, "scope", "partnership".into())?)?;
            let request = partnership_proto::reporting::GetReportRequest {
                year: flag(&flags, "year", 2024)?,
                quarter: flag(&flags, "quarter", 4)?,
                scope: Some(scope),
                strict: false,
            };
            reporting.get_report(request.clone()).await?;
            let mut times = Vec::new();
            for _ in 0..5 {
                let started = Instant::now();
                reporting.get_report(request.clone()).await?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            println!("report median {:.1} ms (min {:.1}, max {:.1})", times[2], times[0], times[4]);
        }
        other => anyhow::bail!("unknown command {other:?}: writes, data or report"),
    }
    Ok(())
}

fn scope(text: &str) -> anyhow::Result<partnership_proto::common::Scope> {
    use partnership_proto::common::{Scope, ScopeLevel};
    let (level, code) = match text.split_once(':') {
        None if text == "partnership" => (ScopeLevel::Partnership, ""),
        Some(("area", code)) => (ScopeLevel::Area, code),
        Some(("municipality", code)) => (ScopeLevel::Municipality, code),
        _ => anyhow::bail!("--scope: partnership, area:CODE or municipality:CODE"),
    };
    Ok(Scope { level: level as i32, code: code.to_owned() })
}
