//! Acknowledged writes survive `kill -9`.
//!
//! Starts the real `partnership` binary on a fresh SQLite data directory,
//! drives concurrent writes (registrations at intake, HR pushes at
//! employment), kills the process with SIGKILL mid-load, starts it again on
//! the same data directory and ports, and checks that every write that was
//! acknowledged is there, and that retrying every write that was sent (with
//! the same request id / HR contract id) creates nothing twice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use partnership_intake::domain::bsn::Bsn;
use partnership_proto::employment as epb;
use partnership_proto::employment::employment_service_client::EmploymentServiceClient;
use partnership_proto::google::r#type::{Date, Decimal};
use partnership_proto::intake as ipb;
use partnership_proto::intake::intake_service_client::IntakeServiceClient;
use tokio::process::{Child, Command};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// Candidates the writes are spread over.
const CANDIDATES: u32 = 24;
/// Candidates with one registration each whose PW contracts (pushed by one
/// more pusher) make employment tell intake through its outbox.
const PW_CANDIDATES: u32 = 8;
/// Concurrent registration writers and HR pushers (plus one PW pusher).
const REGISTRATION_WRITERS: usize = 4;
const HR_PUSHERS: usize = 2;
/// Contracts per HR push.
const PUSH_BATCH: usize = 25;
/// Acknowledged writes to wait for before the kill, so the kill lands mid-load.
const ACKED_REGISTRATIONS_BEFORE_KILL: usize = 200;
const ACKED_PUSHES_BEFORE_KILL: usize = 20;

/// A port free right now (the OS picks it; the listener is closed again).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Where the suite listens (intake and employment; the rest on any port).
#[derive(Clone, Copy)]
struct Ports {
    intake: u16,
    employment: u16,
}

/// Starts the binary on `data_dir`; its log goes to `data_dir/run-<n>.log`.
fn start(data_dir: &Path, ports: Ports, run: u32) -> Child {
    let log = std::fs::File::create(data_dir.join(format!("run-{run}.log"))).expect("log file");
    let any = "127.0.0.1:0";
    Command::new(env!("CARGO_BIN_EXE_partnership"))
        .args(["--service", "all"])
        .env("PARTNERSHIP__DATA_DIR", data_dir)
        .env("PARTNERSHIP__INTAKE__LISTEN", format!("127.0.0.1:{}", ports.intake))
        .env("PARTNERSHIP__EMPLOYMENT__LISTEN", format!("127.0.0.1:{}", ports.employment))
        .env("PARTNERSHIP__BESCHUT__LISTEN", any)
        .env("PARTNERSHIP__FINANCE__LISTEN", any)
        .env("PARTNERSHIP__REPORTING__LISTEN", any)
        .env("PARTNERSHIP__REPORTING__WEB_LISTEN", any)
        .env("PARTNERSHIP__EMPLOYMENT__OUTBOX_INTERVAL_MS", "100")
        .env("PARTNERSHIP__TELEMETRY__LOG", "warn")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("the partnership binary starts")
}

async fn channel(port: u16) -> Channel {
    let endpoint = Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30));
    endpoint.connect().await.expect("connects")
}

/// Polls grpc.health.v1 until both services say SERVING.
async fn wait_until_serving(child: &mut Child, data_dir: &Path, ports: Ports, run: u32) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for port in [ports.intake, ports.employment] {
        loop {
            if let Some(exit) = child.try_wait().unwrap() {
                let log = std::fs::read_to_string(data_dir.join(format!("run-{run}.log"))).unwrap_or_default();
                panic!("the suite exited with {exit} before serving:\n{log}");
            }
            let endpoint = Channel::from_shared(format!("http://127.0.0.1:{port}")).unwrap();
            if let Ok(channel) = endpoint.connect_timeout(Duration::from_millis(500)).connect().await {
                let answer = HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await;
                if answer.is_ok_and(|a| a.into_inner().status == ServingStatus::Serving as i32) {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "port {port} not SERVING within 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Adds the administrator's bearer token to every call, when the suite wrote
/// one (authorisation on, no signing key configured); otherwise nothing.
#[derive(Clone)]
struct Credentials(Option<MetadataValue<Ascii>>);

impl Interceptor for Credentials {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(token) = &self.0 {
            request.metadata_mut().insert("authorization", token.clone());
        }
        Ok(request)
    }
}

type Intake = IntakeServiceClient<InterceptedService<Channel, Credentials>>;
type Employment = EmploymentServiceClient<InterceptedService<Channel, Credentials>>;

/// The clients of one run of the suite: the one place that knows about
/// credentials.
async fn clients(data_dir: &Path, ports: Ports) -> (Intake, Employment) {
    let token_file: PathBuf = data_dir.join("credentials").join("administrator.token");
    let credentials = Credentials(std::fs::read_to_string(&token_file).ok().map(|token| {
        format!("Bearer {}", token.trim()).parse().expect("a token is ASCII")
    }));
    let intake = IntakeServiceClient::with_interceptor(channel(ports.intake).await, credentials.clone());
    let employment = EmploymentServiceClient::with_interceptor(channel(ports.employment).await, credentials)
        .max_decoding_message_size(64 << 20);
    (intake, employment)
}

fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date { year: y, month: m, day: d })
}

fn bsn(n: u32) -> String {
    Bsn::synthetic(700_000 + n).as_str().to_owned()
}

fn registration_request(request_id: &str, candidate_id: &str) -> ipb::CreateRegistrationRequest {
    ipb::CreateRegistrationRequest {
        request_id: request_id.to_owned(),
        candidate_id: candidate_id.to_owned(),
        municipality_code: "GM0828".into(),
        kind: ipb::RegistrationKind::Dienstverband as i32,
        voortraject_kind: 0,
        registration_date: date(2023, 3, 1),
    }
}

/// A PW contract: a development trajectory, and an outbox message telling
/// intake the person's registration has the outcome DVB_IBN.
fn pw_contract(hr_id: &str, candidate: u32) -> epb::ContractInput {
    epb::ContractInput {
        hr_contract_id: hr_id.to_owned(),
        bsn: bsn(candidate),
        kind: epb::ContractKind::Pw as i32,
        start_date: date(2022, 6, 1),
        end_date: None,
        hours_per_week: Some(Decimal { value: "32".into() }),
        pw: Some(epb::PwClassification {
            soort_plaatsing: epb::SoortPlaatsing::Aanbodgestuurd as i32,
            doelgroep: epb::Doelgroep::NieuwRegulier as i32,
            uitstroomprofiel: epb::Uitstroomprofiel::MetUitstroomprofielRegulier as i32,
            loonwaarde: Some(epb::Loonwaarde { value: Some(epb::loonwaarde::Value::MeasuredPercent(Decimal { value: "45".into() })) }),
            werkladder_step: epb::WerkladderStep::WerkenBinnenIbn as i32,
            paying_municipality_code: "GM0828".into(),
        }),
        municipality_code: String::new(),
    }
}

fn contract(hr_id: &str, candidate: u32) -> epb::ContractInput {
    epb::ContractInput {
        hr_contract_id: hr_id.to_owned(),
        bsn: bsn(candidate),
        kind: epb::ContractKind::Wsw as i32,
        start_date: date(2022, 1, 1),
        end_date: None,
        hours_per_week: Some(Decimal { value: "24".into() }),
        pw: None,
        municipality_code: "GM0828".into(),
    }
}

/// What the writers sent and what was acknowledged.
#[derive(Default)]
struct Ledger {
    /// Every registration request sent: request id → candidate id.
    registrations_sent: BTreeMap<String, String>,
    /// Acknowledged: request id → registration id.
    registrations_acked: BTreeMap<String, String>,
    /// Every push sent, whole (a push is retried whole).
    pushes_sent: Vec<Vec<epb::ContractInput>>,
    /// HR contract ids of acknowledged pushes.
    contracts_acked: BTreeSet<String>,
    pushes_acked: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_and_retries_create_nothing_twice() {
    let started = Instant::now();
    let data = tempfile::tempdir().expect("temporary data directory");
    let data_dir = data.path().to_owned();
    let ports = Ports { intake: free_port(), employment: free_port() };

    // Run 1: candidates first, then the load, then SIGKILL mid-load.
    let mut child = start(&data_dir, ports, 1);
    wait_until_serving(&mut child, &data_dir, ports, 1).await;
    let (mut intake, employment) = clients(&data_dir, ports).await;
    let mut candidate_ids = Vec::new();
    for n in 0..CANDIDATES {
        let request = ipb::CreateCandidateRequest {
            request_id: format!("candidate-{n}"),
            bsn: bsn(n),
            birth_date: date(1995, 5, 17),
            municipality_code: "GM0828".into(),
        };
        candidate_ids.push(intake.create_candidate(request).await.expect("candidate").into_inner().id);
    }
    // The PW candidates, each with an open registration from before the contracts.
    let mut pw_registrations = BTreeMap::new();
    for n in CANDIDATES..CANDIDATES + PW_CANDIDATES {
        let request = ipb::CreateCandidateRequest {
            request_id: format!("candidate-{n}"),
            bsn: bsn(n),
            birth_date: date(1999, 9, 9),
            municipality_code: "GM0828".into(),
        };
        let candidate_id = intake.create_candidate(request).await.expect("candidate").into_inner().id;
        let mut request = registration_request(&format!("pw-registration-{n}"), &candidate_id);
        request.registration_date = date(2022, 1, 1);
        pw_registrations.insert(n, intake.create_registration(request).await.expect("registration").into_inner().id);
    }

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    // Set just before the kill: an error before it is a failure, after it expected.
    let killed = Arc::new(AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..REGISTRATION_WRITERS {
        let (ledger, killed, mut intake, candidate_ids) = (ledger.clone(), killed.clone(), intake.clone(), candidate_ids.clone());
        writers.spawn(async move {
            for k in 0usize.. {
                let request_id = format!("registration-{writer}-{k}");
                let candidate_id = candidate_ids[(writer * 7 + k) % candidate_ids.len()].clone();
                ledger.lock().unwrap().registrations_sent.insert(request_id.clone(), candidate_id.clone());
                match intake.create_registration(registration_request(&request_id, &candidate_id)).await {
                    Ok(answer) => {
                        ledger.lock().unwrap().registrations_acked.insert(request_id, answer.into_inner().id);
                    }
                    Err(e) if killed.load(Ordering::SeqCst) => return drop(e), // the suite is gone
                    Err(e) => panic!("registration {request_id} failed before the kill: {e}"),
                }
            }
        });
    }
    for pusher in 0..=HR_PUSHERS {
        let (ledger, killed, mut employment) = (ledger.clone(), killed.clone(), employment.clone());
        writers.spawn(async move {
            for batch in 0usize.. {
                let contracts: Vec<_> = if pusher == HR_PUSHERS {
                    // Every PW candidate gets a contract in the first batch, then more.
                    (0..PUSH_BATCH)
                        .map(|i| pw_contract(&format!("PW-{batch}-{i}"), CANDIDATES + ((batch * PUSH_BATCH + i) as u32) % PW_CANDIDATES))
                        .collect()
                } else {
                    (0..PUSH_BATCH)
                        .map(|i| contract(&format!("HR-{pusher}-{batch}-{i}"), ((batch * PUSH_BATCH + i) as u32) % CANDIDATES))
                        .collect()
                };
                ledger.lock().unwrap().pushes_sent.push(contracts.clone());
                match employment.push_contracts(epb::PushContractsRequest { contracts: contracts.clone() }).await {
                    Ok(answer) => {
                        let answer = answer.into_inner();
                        assert_eq!(answer.created as usize, PUSH_BATCH, "a fresh push creates every contract: {:?}", answer.results);
                        let mut ledger = ledger.lock().unwrap();
                        ledger.contracts_acked.extend(contracts.into_iter().map(|c| c.hr_contract_id));
                        ledger.pushes_acked += 1;
                    }
                    Err(e) if killed.load(Ordering::SeqCst) => return drop(e),
                    Err(e) => panic!("push {pusher}-{batch} failed before the kill: {e}"),
                }
            }
        });
    }

    // Kill once enough has been acknowledged, while the writers keep going.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        {
            let ledger = ledger.lock().unwrap();
            if ledger.registrations_acked.len() >= ACKED_REGISTRATIONS_BEFORE_KILL
                && ledger.pushes_acked >= ACKED_PUSHES_BEFORE_KILL
            {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the load did not get going within 60 s");
        assert!(child.try_wait().unwrap().is_none(), "the suite stopped by itself");
        if let Some(done) = writers.try_join_next() {
            done.expect("a writer failed before the kill");
            panic!("a writer stopped before the kill");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    killed.store(true, Ordering::SeqCst);
    child.start_kill().expect("SIGKILL");
    let exit = child.wait().await.expect("the killed process is reaped");
    assert!(!exit.success(), "killed, not exited: {exit}");
    while let Some(done) = writers.join_next().await {
        done.expect("a writer panicked");
    }
    drop((intake, employment));
    let ledger = Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap();
    eprintln!(
        "killed after {:?}: {} of {} registrations and {} of {} pushes acknowledged",
        started.elapsed(),
        ledger.registrations_acked.len(),
        ledger.registrations_sent.len(),
        ledger.pushes_acked,
        ledger.pushes_sent.len(),
    );

    // Run 2: same data directory, same ports.
    let mut child = start(&data_dir, ports, 2);
    wait_until_serving(&mut child, &data_dir, ports, 2).await;
    let (mut intake, mut employment) = clients(&data_dir, ports).await;

    // Every acknowledged write is there.
    for (request_id, id) in &ledger.registrations_acked {
        let found = intake.get_registration(ipb::GetRegistrationRequest { id: id.clone() }).await;
        let found = found.unwrap_or_else(|e| panic!("acknowledged registration {request_id} ({id}) lost: {e}"));
        assert_eq!(found.into_inner().candidate_id, ledger.registrations_sent[request_id]);
    }
    for hr_id in &ledger.contracts_acked {
        let found = employment.get_contract(epb::GetContractRequest { hr_contract_id: hr_id.clone() }).await;
        let found = found.unwrap_or_else(|e| panic!("acknowledged contract {hr_id} lost: {e}"));
        assert_eq!(found.into_inner().version, 1, "{hr_id}");
    }

    // Retry every write that was sent, with the same ids: the acknowledged
    // ones answer with what they answered before, nothing is made twice.
    for (request_id, candidate_id) in &ledger.registrations_sent {
        let again = intake.create_registration(registration_request(request_id, candidate_id)).await;
        let again = again.unwrap_or_else(|e| panic!("retry of {request_id}: {e}")).into_inner();
        if let Some(first) = ledger.registrations_acked.get(request_id) {
            assert_eq!(&again.id, first, "a retry of {request_id} returns the first registration");
        }
    }
    let mut contracts_sent = BTreeSet::new();
    for push in &ledger.pushes_sent {
        let answer = employment.push_contracts(epb::PushContractsRequest { contracts: push.clone() }).await;
        let answer = answer.expect("retried push").into_inner();
        assert_eq!(answer.rejected + answer.updated, 0, "a retried push only creates or leaves unchanged: {:?}", answer.results);
        for (contract, result) in push.iter().zip(&answer.results) {
            let acked = ledger.contracts_acked.contains(&contract.hr_contract_id);
            if acked {
                assert_eq!(result.outcome, epb::ContractOutcome::Unchanged as i32, "{}", contract.hr_contract_id);
            }
            contracts_sent.insert(contract.hr_contract_id.clone());
        }
    }

    // Counts: one registration per distinct request id, per candidate.
    let mut expected_per_candidate: BTreeMap<&str, usize> = BTreeMap::new();
    for candidate_id in ledger.registrations_sent.values() {
        *expected_per_candidate.entry(candidate_id).or_default() += 1;
    }
    for candidate_id in &candidate_ids {
        let mut count = 0;
        let mut page_token = String::new();
        loop {
            let request = ipb::ListRegistrationsRequest {
                page_size: 1000,
                page_token,
                candidate_id: candidate_id.clone(),
                ..Default::default()
            };
            let page = intake.list_registrations(request).await.expect("list registrations").into_inner();
            count += page.registrations.len();
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let expected = expected_per_candidate.get(candidate_id.as_str()).copied().unwrap_or(0);
        assert_eq!(count, expected, "registrations of candidate {candidate_id}");
    }

    // Contracts: exactly the distinct HR ids sent, each in its first version.
    let mut stored = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = epb::ListContractsRequest { page_size: 1000, page_token, ..Default::default() };
        let page = employment.list_contracts(request).await.expect("list contracts").into_inner();
        stored.extend(page.contracts);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let stored_ids: Vec<&str> = stored.iter().map(|c| c.hr_contract_id.as_str()).collect();
    let distinct: BTreeSet<&str> = stored_ids.iter().copied().collect();
    assert_eq!(stored_ids.len(), distinct.len(), "no contract listed twice");
    assert_eq!(distinct, contracts_sent.iter().map(String::as_str).collect(), "the contracts stored are those sent");
    assert!(stored.iter().all(|c| c.version == 1), "no contract got a second version");

    // PW contracts: one trajectory per person however often pushed, and
    // the outbox (written with the contract) tells intake exactly once.
    let pw_candidates: BTreeSet<String> =
        stored.iter().filter(|c| c.kind == epb::ContractKind::Pw as i32).map(|c| c.candidate_id.clone()).collect();
    assert_eq!(pw_candidates.len(), PW_CANDIDATES as usize, "every PW candidate got a contract before the kill");
    let request = epb::ListTrajectoriesRequest { page_size: 1000, ..Default::default() };
    let trajectories = employment.list_trajectories(request).await.expect("trajectories").into_inner().trajectories;
    assert_eq!(trajectories.len(), pw_candidates.len(), "one trajectory per PW candidate: {trajectories:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    for (n, registration_id) in &pw_registrations {
        loop {
            let request = ipb::GetRegistrationRequest { id: registration_id.clone() };
            let registration = intake.get_registration(request).await.expect("registration").into_inner();
            if registration.outcome == ipb::RegistrationStatus::DvbIbn as i32 {
                let dvb_ibn = registration.history.iter().filter(|e| e.status == ipb::RegistrationStatus::DvbIbn as i32);
                assert_eq!(dvb_ibn.count(), 1, "candidate {n}: the outcome recorded once: {:?}", registration.history);
                break;
            }
            assert!(Instant::now() < deadline, "candidate {n}: the outbox did not deliver within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    child.start_kill().expect("stop");
    child.wait().await.expect("reaped");
    eprintln!("crash test took {:?}", started.elapsed());
}
