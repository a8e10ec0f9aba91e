//! Benchmark (not a test): how long IBN's HR system waits for a push of
//! 100,000 contracts, and how long the same push takes again (the
//! idempotent path: every contract unchanged), with their ratio measured in
//! the same run, and a push in which 1% changed; then a push of 100,000
//! other contracts and its repeat with two calls under way at once; then
//! 100,000 more and their repeat over one `PushContractBatches` stream.
//!
//! `cargo bench -p partnership-e2e --bench hr_push` (release build; the
//! suite runs in-process on SQLite, outbox delivery paused so only the push
//! is measured). `PUSH_CONTRACTS=20000` for a smaller run;
//! `PUSH_IN_FLIGHT=3` for three calls at once in the second half (default 2).

#[path = "../loadgen/cpu.rs"]
mod cpu;

use std::time::{Duration, Instant};

use partnership_e2e::*;
use partnership_proto::employment as pb;

fn contract(n: u32, hours: u32) -> pb::ContractInput {
    let pw = n % 4 != 0;
    pb::ContractInput {
        hr_contract_id: format!("HR-{n:06}"),
        bsn: bsn(n),
        kind: if pw { pb::ContractKind::Pw as i32 } else { pb::ContractKind::Wsw as i32 },
        start_date: date(&format!("202{}-{:02}-01", 1 + n % 3, 1 + n % 12)),
        end_date: None,
        hours_per_week: decimal(&hours.to_string()),
        pw: pw.then(|| pb::PwClassification {
            soort_plaatsing: pb::SoortPlaatsing::Aanbodgestuurd as i32,
            doelgroep: if n % 3 == 0 { pb::Doelgroep::NieuwBeschut as i32 } else { pb::Doelgroep::NieuwRegulier as i32 },
            uitstroomprofiel: pb::Uitstroomprofiel::NietBekend as i32,
            loonwaarde: Some(pb::Loonwaarde { value: Some(pb::loonwaarde::Value::MeasuredPercent(decimal("45").unwrap())) }),
            werkladder_step: pb::WerkladderStep::WerkenBinnenIbn as i32,
            paying_municipality_code: "GM0828".into(),
        }),
        municipality_code: if pw { String::new() } else { "GM0828".into() },
    }
}

/// The push in calls of 10,000 contracts, `in_flight` of them under way at
/// once (1: one after another).
async fn timed_push(hr: &Hr, contracts: &[pb::ContractInput], in_flight: usize) -> (Timed, [i64; 4]) {
    let started = Timed::start();
    let answers = hr.push_in_flight(contracts, 10_000, in_flight).await;
    let elapsed = started.stop();
    (elapsed, totals(&answers))
}

/// Created, updated, unchanged and rejected, over all answers.
fn totals(answers: &[pb::PushContractsResponse]) -> [i64; 4] {
    let mut totals = [0i64; 4];
    for a in answers {
        totals[0] += i64::from(a.created);
        totals[1] += i64::from(a.updated);
        totals[2] += i64::from(a.unchanged);
        totals[3] += i64::from(a.rejected);
    }
    totals
}

/// The push over one `PushContractBatches` stream, 10,000 a batch.
async fn timed_stream(hr: &Hr, contracts: &[pb::ContractInput]) -> (Timed, [i64; 4]) {
    let started = Timed::start();
    let (answers, ended) = hr.push_stream(contracts, 10_000).await;
    let elapsed = started.stop();
    assert!(ended.is_none(), "the stream failed: {ended:?}");
    (elapsed, totals(&answers))
}

/// Wall time and the CPU this process (HR and the suite) used meanwhile.
struct Timed {
    wall: Duration,
    cpu: Option<Duration>,
}

struct Started(Instant, Option<Duration>);

impl Timed {
    fn start() -> Started {
        Started(Instant::now(), cpu::used())
    }

    fn secs(&self) -> f64 {
        self.wall.as_secs_f64()
    }

    /// "CPU 4.10 s (41 µs/contract)", or nothing if unknown.
    fn cpu_figure(&self, n: usize) -> String {
        let Some(cpu) = self.cpu else { return String::new() };
        let each = cpu::micros_each(cpu, n as u64).unwrap_or(0.0);
        format!("CPU {:.2} s ({each:.0} µs/contract)", cpu.as_secs_f64())
    }
}

impl Started {
    fn stop(self) -> Timed {
        Timed { wall: self.0.elapsed(), cpu: cpu::since(self.1) }
    }
}

fn report(what: &str, n: usize, elapsed: &Timed, totals: [i64; 4]) {
    println!(
        "{what:<28} {n:>7} contracts in {:>8.2} s  {:>9.0} contracts/s  {:>6.1} µs/contract  {}  (created {}, updated {}, unchanged {}, rejected {})",
        elapsed.secs(),
        n as f64 / elapsed.secs(),
        elapsed.secs() * 1e6 / n as f64,
        elapsed.cpu_figure(n),
        totals[0],
        totals[1],
        totals[2],
        totals[3]
    );
}

#[tokio::main]
async fn main() {
    let n: u32 = std::env::var("PUSH_CONTRACTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let in_flight: usize = std::env::var("PUSH_IN_FLIGHT").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let suite = spawn_suite_with(|config| config.employment.deliver_outbox = false).await;
    let mut intake = suite.intake().await;
    let started = Instant::now();
    import_candidates(&mut intake, 1, n, "GM0828").await;
    println!("setup: {n} candidates imported into intake in {:.2} s", started.elapsed().as_secs_f64());

    let contracts: Vec<pb::ContractInput> = (1..=n).map(|k| contract(k, 32)).collect();
    let hr = suite.hr().await;
    let (first, totals) = timed_push(&hr, &contracts, 1).await;
    report("first push (all new)", contracts.len(), &first, totals);
    let (again, totals) = timed_push(&hr, &contracts, 1).await;
    report("same push again (unchanged)", contracts.len(), &again, totals);
    let changed: Vec<pb::ContractInput> =
        (1..=n).map(|k| if k % 100 == 0 { contract(k, 24) } else { contract(k, 32) }).collect();
    let (third, totals) = timed_push(&hr, &changed, 1).await;
    report("push with 1% changed", changed.len(), &third, totals);
    // The first two again with calls under way at once (two, or
    // PUSH_IN_FLIGHT): while one call's BSNs are resolved in intake,
    // another's contracts are stored.
    let also: Vec<pb::ContractInput> = (n + 1..=2 * n).map(|k| contract(k, 32)).collect();
    import_candidates(&mut intake, n + 1, n, "GM0828").await;
    let (first2, totals) = timed_push(&hr, &also, in_flight).await;
    report(&format!("first push, {in_flight} calls at once"), also.len(), &first2, totals);
    let (again2, totals) = timed_push(&hr, &also, in_flight).await;
    report(&format!("again, {in_flight} calls at once"), also.len(), &again2, totals);
    // And 100,000 more over one PushContractBatches stream: each batch is
    // planned while the one before it is written, and answered in order.
    let streamed: Vec<pb::ContractInput> = (2 * n + 1..=3 * n).map(|k| contract(k, 32)).collect();
    import_candidates(&mut intake, 2 * n + 1, n, "GM0828").await;
    let (first3, totals) = timed_stream(&hr, &streamed).await;
    report("first push, one stream", streamed.len(), &first3, totals);
    let (again3, totals) = timed_stream(&hr, &streamed).await;
    report("again, one stream", streamed.len(), &again3, totals);
    // The part of the repeat that is intake's: resolving the BSNs.
    let started = Timed::start();
    let bsns: Vec<String> = (1..=n).map(bsn).collect();
    for chunk in bsns.chunks(10_000) {
        let request = partnership_proto::intake::BatchResolveCandidatesRequest { bsns: chunk.to_vec() };
        intake.batch_resolve_candidates(request).await.expect("resolve");
    }
    let resolving = started.stop();
    println!(
        "of which BSN resolution in intake alone (BatchResolveCandidates, 10,000 a call): {:.2} s ({:.0}% of the repeat)  {}",
        resolving.secs(),
        100.0 * resolving.secs() / again.secs(),
        resolving.cpu_figure(n as usize)
    );
    println!(
        "ratio idempotent / first push: {:.2}   ratio 1%-changed / first push: {:.2}   ratio {in_flight} at once / 1 at a time: first {:.2}, again {:.2}",
        again.secs() / first.secs(),
        third.secs() / first.secs(),
        first2.secs() / first.secs(),
        again2.secs() / again.secs()
    );
    println!(
        "ratio one stream / 1 call at a time: first {:.2}, again {:.2}",
        first3.secs() / first.secs(),
        again3.secs() / again.secs()
    );
    suite.suite.stop().await.expect("clean shutdown");
}
