//! Durable registration writes against the RPC ceiling, measured in one
//! run on one machine: `clients` concurrent callers, each on its own
//! connection, call for a fixed time; the figures are calls per second and
//! the p50/p99 latency of a call.
//!
//! A write is intake's `CreateRegistration` for an existing candidate (a
//! registration and its first status entry, committed durably). The
//! ceiling is the cheapest unary call tonic serves: a `grpc.health.v1`
//! check, both on a bare tonic server started here and on the intake
//! server itself (same process, same layers, no store).

use std::future::Future;
use std::time::{Duration, Instant};

use partnership_proto::intake as pb;
use tonic_health::pb::HealthCheckRequest;

use crate::{connect, cpu};

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Run {
    pub clients: usize,
    pub calls: u64,
    pub failures: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// CPU this process used during the run (client and server, when the
    /// suite runs in it), if known.
    pub cpu: Option<Duration>,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.calls as f64 / self.seconds
    }

    /// CPU per call, in µs.
    pub fn cpu_micros_per_call(&self) -> Option<f64> {
        self.cpu.and_then(|spent| cpu::micros_each(spent, self.calls))
    }

    /// Cores kept busy on average: near the machine's count, the run was
    /// bound by the CPU; well below, by waiting.
    pub fn cores_busy(&self) -> Option<f64> {
        self.cpu.map(|cpu| cpu.as_secs_f64() / self.seconds)
    }
}

/// Runs `call(client, n)` from `clients` concurrent tasks for `duration`
/// (after a short warm-up that is not counted).
pub async fn drive<C, F, Fut>(clients: usize, duration: Duration, setup: impl Fn(usize) -> anyhow::Result<C>, call: F) -> anyhow::Result<Run>
where
    C: Send + 'static,
    F: Fn(&mut C, usize, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let warm_up = Duration::from_millis(500);
    let start = Instant::now() + warm_up;
    let stop = start + duration;
    let cpu_spent = tokio::spawn(async move {
        tokio::time::sleep_until(start.into()).await;
        let before = cpu::used();
        tokio::time::sleep_until(stop.into()).await;
        cpu::since(before)
    });
    let mut tasks = Vec::new();
    for k in 0..clients {
        let mut client = setup(k)?;
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut failures, mut n) = (Vec::with_capacity(4096), 0u64, 0u64);
            loop {
                let began = Instant::now();
                if began >= stop {
                    break;
                }
                let ok = call(&mut client, k, n).await;
                n += 1;
                if began >= start {
                    latencies.push(began.elapsed().as_micros() as u32);
                    failures += u64::from(!ok);
                }
            }
            (latencies, failures)
        }));
    }
    let mut all = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (latencies, failed) = task.await?;
        all.extend(latencies);
        failures += failed;
    }
    let cpu = cpu_spent.await?;
    all.sort_unstable();
    let at = |q: f64| all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1))).map_or(0.0, |&us| f64::from(us) / 1000.0);
    Ok(Run { clients, calls: all.len() as u64, failures, seconds: duration.as_secs_f64(), p50_ms: at(0.50), p99_ms: at(0.99), cpu })
}

/// Health checks against the server at `url`.
pub async fn ceiling(url: &str, service: &str, clients: usize, duration: Duration) -> anyhow::Result<Run> {
    let service = service.to_owned();
    drive(clients, duration, |_| connect::health(url), move |client, _, _| {
        let request = HealthCheckRequest { service: service.clone() };
        let mut client = client.clone();
        async move { client.check(request).await.is_ok() }
    })
    .await
}

/// A bare tonic server serving only `grpc.health.v1` on a free port: the
/// ceiling of a unary call on this machine. Returns its URL.
pub async fn bare_server() -> anyhow::Result<String> {
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter.set_service_status("bench", tonic_health::ServingStatus::Serving).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tokio::spawn(async move {
        // Keeps the reporter alive as long as the server.
        let _reporter = reporter;
        tonic::transport::Server::builder().add_service(service).serve_with_incoming(incoming).await
    });
    Ok(format!("http://{addr}"))
}

/// Candidates to register, made through intake's bulk import (BSN numbers
/// `first..first + count`, synthetic numbers, which end below 5,000,000);
/// returns their ids.
pub async fn candidates(intake_url: &str, first: u32, count: u32) -> anyhow::Result<Vec<String>> {
    let mut intake = connect::intake(intake_url)?;
    let numbers: Vec<u32> = (first..first + count).collect();
    let bsn = |n: u32| partnership_intake::domain::bsn::Bsn::synthetic(n).as_str().to_owned();
    let date = |text: &str| -> anyhow::Result<_> { Ok(Some(partnership_platform::dates::to_proto(text.parse()?))) };
    let mut batches = Vec::new();
    for (k, chunk) in numbers.chunks(5000).enumerate() {
        let mut registrations = Vec::with_capacity(chunk.len());
        for &n in chunk {
            registrations.push(pb::ImportedRegistration {
                bsn: bsn(n),
                birth_date: date("1990-01-01")?,
                municipality_code: "GM0828".into(),
                kind: pb::RegistrationKind::Dienstverband as i32,
                voortraject_kind: 0,
                registration_date: date("2023-01-02")?,
                history: Vec::new(),
            });
        }
        batches.push(pb::ImportRegistrationsRequest { request_id: format!("loadgen-candidates-{first}-{k}"), registrations });
    }
    let mut answers = intake.import_registrations(tokio_stream::iter(batches)).await?.into_inner();
    while let Some(answer) = answers.message().await? {
        anyhow::ensure!(answer.imported, "import refused: {:?}", answer.errors.first());
    }
    let mut ids = Vec::with_capacity(numbers.len());
    for chunk in numbers.chunks(10_000) {
        let bsns = chunk.iter().map(|&n| bsn(n)).collect();
        let answer = intake.batch_resolve_candidates(pb::BatchResolveCandidatesRequest { bsns }).await?.into_inner();
        ids.extend(answer.resolutions.into_iter().map(|r| r.candidate_id));
    }
    Ok(ids)
}

/// `CreateRegistration` calls, each a new registration (its own request
/// id) of one of the candidates. `tag` keeps request ids of runs apart.
pub async fn registrations(intake_url: &str, candidates: &[String], tag: &str, clients: usize, duration: Duration) -> anyhow::Result<Run> {
    anyhow::ensure!(!candidates.is_empty(), "no candidates to register");
    let candidates = std::sync::Arc::new(candidates.to_vec());
    let tag = tag.to_owned();
    let day = Some(partnership_platform::dates::to_proto("2024-06-03".parse()?));
    drive(clients, duration, |_| connect::intake(intake_url), move |client, k, n| {
        let candidate = candidates[(k * 7919 + n as usize) % candidates.len()].clone();
        let request = pb::CreateRegistrationRequest {
            request_id: format!("{tag}-{clients}-{k}-{n}"),
            candidate_id: candidate,
            municipality_code: "GM0828".into(),
            kind: pb::RegistrationKind::Dienstverband as i32,
            voortraject_kind: 0,
            registration_date: day,
        };
        let mut client = client.clone();
        async move { client.create_registration(request).await.is_ok() }
    })
    .await
}

/// The header of the figures table.
pub fn table_header() -> String {
    format!(
        "{:<28} {:>7} {:>10} {:>9} {:>9} {:>9} {:>10} {:>12} {:>6}",
        "call", "clients", "calls/s", "p50 ms", "p99 ms", "failures", "vs ceiling", "CPU µs/call", "cores"
    )
}

/// One line of the figures table, with throughput relative to `ceiling`.
pub fn table_row(what: &str, run: &Run, ceiling: &Run) -> String {
    format!(
        "{what:<28} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>9} {:>9.0}% {:>12} {:>6}",
        run.clients,
        run.per_second(),
        run.p50_ms,
        run.p99_ms,
        run.failures,
        100.0 * run.per_second() / ceiling.per_second(),
        run.cpu_micros_per_call().map_or("-".into(), |us| format!("{us:.0}")),
        run.cores_busy().map_or("-".into(), |c| format!("{c:.2}"))
    )
}
