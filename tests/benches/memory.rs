//! Benchmark (not a test): idle and peak memory of each service, run as
//! the real `partnership --service NAME` binary, one process per service,
//! read from `/proc/<pid>/status`: VmRSS when started and idle, VmHWM (the
//! peak resident set) after loading the demo data at `MEMORY_SCALE`
//! through the APIs, composing reports and taking registration writes
//! from 64 clients, and VmRSS once idle again.
//!
//! `cargo build --release -p partnership-suite && cargo bench -p partnership-e2e --bench memory`
//! (the binary is looked up next to the benchmark's own target directory,
//! or at `PARTNERSHIP_BIN`). `MEMORY_SCALE` defaults to 1 (a smoke run).

#[path = "../loadgen/connect.rs"]
#[allow(dead_code)]
mod connect;
#[path = "../loadgen/cpu.rs"]
#[allow(dead_code)]
mod cpu;
#[path = "../loadgen/writes.rs"]
#[allow(dead_code)]
mod writes;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

const SERVICES: [&str; 5] = ["intake", "employment", "beschut", "finance", "reporting"];

fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PARTNERSHIP_BIN") {
        return Some(path.into());
    }
    // target/release/deps/memory-… → target/release/partnership
    let exe = std::env::current_exe().ok()?;
    let candidate = exe.parent()?.parent()?.join("partnership");
    candidate.exists().then_some(candidate)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// kB of a `/proc/<pid>/status` field (VmRSS, VmHWM).
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or_else(|| "?".into(), |kb| format!("{:.1}", kb as f64 / 1024.0))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(bin) = binary() else {
        println!("memory: no `partnership` binary found; run `cargo build --release -p partnership-suite` first (or set PARTNERSHIP_BIN)");
        return Ok(());
    };
    let scale: u32 = std::env::var("MEMORY_SCALE").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let dir = tempfile::tempdir()?;
    let ports: Vec<u16> = (0..6).map(|_| free_port()).collect::<anyhow::Result<_>>()?;
    let url = |k: usize| format!("http://127.0.0.1:{}", ports[k]);
    let config = format!(
        "data_dir = {data:?}
[intake]
listen = \"127.0.0.1:{p0}\"
[employment]
listen = \"127.0.0.1:{p1}\"
intake_url = {u0:?}
[beschut]
listen = \"127.0.0.1:{p2}\"
intake_url = {u0:?}
employment_url = {u1:?}
[finance]
listen = \"127.0.0.1:{p3}\"
intake_url = {u0:?}
employment_url = {u1:?}
peer_deadline_ms = 300000
[reporting]
listen = \"127.0.0.1:{p4}\"
web_listen = \"127.0.0.1:{p5}\"
intake_url = {u0:?}
employment_url = {u1:?}
beschut_url = {u2:?}
finance_url = {u3:?}
call_timeout_ms = 300000
",
        data = dir.path().join("data"),
        p0 = ports[0], p1 = ports[1], p2 = ports[2], p3 = ports[3], p4 = ports[4], p5 = ports[5],
        u0 = url(0), u1 = url(1), u2 = url(2), u3 = url(3),
    );
    let config_file = dir.path().join("suite.toml");
    std::fs::write(&config_file, config)?;
    // The dev credentials, made once before the five processes share them.
    let issuer = partnership_platform::auth::dev::ensure(&dir.path().join("data"), &Default::default(), &[])?;
    connect::use_token(&issuer.issue(&partnership_platform::auth::Principal::Administrator, Duration::from_secs(3600)));
    let mut children: Vec<(&str, Child)> = Vec::new();
    for service in SERVICES {
        let child = Command::new(&bin)
            .args(["--service", service, "--config"])
            .arg(&config_file)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        children.push((service, child));
    }
    // Ready when every service answers its health check.
    let deadline = Instant::now() + Duration::from_secs(30);
    for k in 0..5 {
        let mut health = connect::health(&url(k))?;
        while health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "{} did not start", SERVICES[k]);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pids: Vec<u32> = children.iter().map(|(_, c)| c.id().unwrap_or(0)).collect();
    let idle: Vec<Option<u64>> = pids.iter().map(|&p| status_kb(p, "VmRSS:")).collect();

    // Load: the demo data, reports, and concurrent writes.
    let started = Instant::now();
    let plan = partnership_suite::demo::Plan::generate(scale, 2021);
    let mut clients = connect::demo_clients(&url(0), &url(1), &url(2), &url(3))?;
    partnership_suite::demo::load(&plan, &mut clients).await?;
    let mut reporting = connect::reporting(&url(4))?;
    for _ in 0..3 {
        let request = partnership_proto::reporting::GetReportRequest { year: 2024, quarter: 4, scope: partnership_e2e::partnership(), strict: false };
        reporting.get_report(request).await?;
    }
    let candidates = writes::candidates(&url(0), 4_500_000, 1000).await?;
    let written = writes::registrations(&url(0), &candidates, "memory", 64, Duration::from_secs(3)).await?;
    println!(
        "load at scale {scale}: {} registrations, {} contracts loaded, 3 reports, {} writes from 64 clients, in {:.1} s",
        plan.registrations.len(),
        plan.contracts.len(),
        written.calls,
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peak: Vec<Option<u64>> = pids.iter().map(|&p| status_kb(p, "VmHWM:")).collect();
    let after: Vec<Option<u64>> = pids.iter().map(|&p| status_kb(p, "VmRSS:")).collect();
    println!("{:<12} {:>12} {:>12} {:>14}   (MB; target < 30 MB idle)", "service", "idle RSS", "peak (HWM)", "RSS after load");
    for (k, service) in SERVICES.iter().enumerate() {
        println!("{service:<12} {:>12} {:>12} {:>14}", mb(idle[k]), mb(peak[k]), mb(after[k]));
    }
    for (_, mut child) in children {
        child.kill().await?;
    }
    Ok(())
}
