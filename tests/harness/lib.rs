//! The end-to-end harness: starts the whole suite in-process on free ports
//! with fresh stores, and hands out clients that act as the suite's real
//! users do — a municipality's system, and a reporting dashboard. Tests talk
//! gRPC only, exactly as those systems would.

use chrono::NaiveDate;
use partnership_intake::domain::bsn::Bsn;
use partnership_proto::common as cpb;
use partnership_proto::google::r#type::Date;
use partnership_proto::intake as pb;
use partnership_proto::intake::intake_service_server::SERVICE_NAME as INTAKE;
use partnership_proto::beschut::beschut_service_client::BeschutServiceClient;
use partnership_proto::employment as epb;
use partnership_proto::reporting::reporting_service_client::ReportingServiceClient;
use partnership_proto::employment::employment_service_client::EmploymentServiceClient;
use partnership_proto::intake::intake_service_client::IntakeServiceClient;
use partnership_platform::auth::Principal;
use partnership_suite::{RunningSuite, Service, SuiteConfig};
use tonic::transport::Channel;

pub use pb::RegistrationStatus as Status;
pub use pb::TerugmeldingReason as Reason;

/// A running suite with its own data directory.
pub struct TestSuite {
    pub suite: RunningSuite,
    _data: tempfile::TempDir,
}

/// Set (with `PARTNERSHIP_TEST_DATABASE_URL`) to run the end-to-end tests
/// on PostgreSQL instead of SQLite; `.ci/run` runs them both ways.
pub const E2E_ON_POSTGRES: &str = "PARTNERSHIP_E2E_ON_POSTGRES";

/// Starts every service on a free port with fresh stores (SQLite, or
/// PostgreSQL with `PARTNERSHIP_E2E_ON_POSTGRES`).
pub async fn spawn_suite() -> TestSuite {
    spawn_suite_with(|_| {}).await
}

/// Starts every service on a free port with fresh SQLite stores, after
/// `adjust` had its say on the configuration.
pub async fn spawn_suite_with(adjust: impl FnOnce(&mut SuiteConfig)) -> TestSuite {
    let data = tempfile::tempdir().expect("temporary data directory");
    let mut config = SuiteConfig { data_dir: data.path().to_owned(), ..SuiteConfig::default() };
    let any_port: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    config.intake.listen = any_port;
    config.employment.listen = any_port;
    config.beschut.listen = any_port;
    config.reporting.listen = any_port;
    config.reporting.web_listen = any_port;
    config.finance.listen = any_port;
    config.employment.outbox_interval_ms = 100;
    if std::env::var_os(E2E_ON_POSTGRES).is_some() {
        // Every service on its own fresh PostgreSQL database.
        let fresh = || async {
            partnership_platform::testing::postgres_store().await.expect("a test database").expect("PARTNERSHIP_TEST_DATABASE_URL is set")
        };
        config.intake.database_url = Some(fresh().await);
        config.employment.database_url = Some(fresh().await);
        config.beschut.database_url = Some(fresh().await);
        config.finance.database_url = Some(fresh().await);
    }
    adjust(&mut config);
    let suite = partnership_suite::start(config, &Service::ALL).await.expect("suite starts");
    TestSuite { suite, _data: data }
}

/// A channel that presents a caller's bearer token on every call.
pub type Authed = partnership_platform::peer::PeerChannel;

impl TestSuite {
    /// A channel to a service with no credentials, as an outsider opens one.
    pub async fn channel(&self, service: Service) -> Channel {
        let addr = self.suite.addr(service).expect("service is running");
        Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.expect("connects")
    }

    /// A token for `principal`, signed with the suite's dev key.
    pub fn token(&self, principal: &Principal) -> String {
        self.token_valid_for(principal, std::time::Duration::from_secs(3600))
    }

    /// A token for `principal` that holds for `valid_for` (a load longer
    /// than the hour of [`Self::token`]).
    pub fn token_valid_for(&self, principal: &Principal, valid_for: std::time::Duration) -> String {
        let issuer = self.suite.credentials().dev_issuer().expect("the test suite runs on dev credentials");
        issuer.issue(principal, valid_for)
    }

    /// A channel to a service acting as `principal`.
    pub async fn channel_as(&self, service: Service, principal: &Principal) -> Authed {
        let bearer = partnership_platform::auth::Bearer::new(&self.token(principal)).expect("a token is ASCII");
        Authed::new(self.channel(service).await, bearer)
    }

    /// A channel to a service as IBN's administrator (full access, audited).
    pub async fn admin_channel(&self, service: Service) -> Authed {
        self.channel_as(service, &Principal::Administrator).await
    }

    /// The system of a municipality (by CBS code).
    pub async fn municipality(&self, code: &str) -> Municipality {
        let principal = Principal::Municipality { code: code.to_owned() };
        Municipality { code: code.to_owned(), intake: IntakeServiceClient::new(self.channel_as(Service::Intake, &principal).await) }
    }

    /// A reporting dashboard: figures only.
    pub async fn dashboard(&self) -> Dashboard {
        Dashboard { intake: IntakeServiceClient::new(self.channel_as(Service::Intake, &Principal::Dashboard).await) }
    }

    /// Intake, as IBN's administrator.
    pub async fn intake(&self) -> IntakeServiceClient<Authed> {
        IntakeServiceClient::new(self.admin_channel(Service::Intake).await)
    }

    /// IBN's HR system.
    pub async fn hr(&self) -> Hr {
        let channel = self.channel_as(Service::Employment, &Principal::Hr).await;
        Hr { employment: EmploymentServiceClient::new(channel).max_encoding_message_size(64 << 20).max_decoding_message_size(64 << 20) }
    }

    /// A dashboard's reporting client.
    pub async fn reporting(&self) -> ReportingServiceClient<Authed> {
        ReportingServiceClient::new(self.channel_as(Service::Reporting, &Principal::Dashboard).await).max_decoding_message_size(64 << 20)
    }

    /// Beschut, as IBN's administrator.
    pub async fn beschut(&self) -> BeschutServiceClient<Authed> {
        BeschutServiceClient::new(self.admin_channel(Service::Beschut).await)
    }

    /// Employment, as IBN's administrator.
    pub async fn employment(&self) -> EmploymentServiceClient<Authed> {
        EmploymentServiceClient::new(self.admin_channel(Service::Employment).await)
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20)
    }

    /// The administrator's token, for clients made elsewhere (the demo loader).
    pub fn admin_token(&self) -> String {
        self.token(&Principal::Administrator)
    }
}

/// IBN's HR system, pushing contracts.
pub struct Hr {
    pub employment: EmploymentServiceClient<Authed>,
}

impl Hr {
    /// Pushes contracts, a batch at a time; the answers in order.
    pub async fn push(&mut self, contracts: &[epb::ContractInput], batch: usize) -> Vec<epb::PushContractsResponse> {
        self.push_in_flight(contracts, batch, 1).await
    }

    /// Pushes contracts a batch per call with up to `in_flight` calls under
    /// way at once, as an export job with several connections would; the
    /// answers in the order of the batches. A call answered ABORTED (on
    /// PostgreSQL, a push under way at the same time stored one of its
    /// contracts first) is sent again, as the API asks.
    pub async fn push_in_flight(&self, contracts: &[epb::ContractInput], batch: usize, in_flight: usize) -> Vec<epb::PushContractsResponse> {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(in_flight.max(1)));
        let mut calls = tokio::task::JoinSet::new();
        for (n, chunk) in contracts.chunks(batch).enumerate() {
            let permit = permits.clone().acquire_owned().await.expect("the semaphore stays open");
            let mut employment = self.employment.clone();
            let request = epb::PushContractsRequest { contracts: chunk.to_vec() };
            calls.spawn(async move {
                let mut attempts = 0;
                let answer = loop {
                    attempts += 1;
                    match employment.push_contracts(request.clone()).await {
                        Err(status) if status.code() == tonic::Code::Aborted && attempts < 5 => continue,
                        answer => break answer.expect("push accepted").into_inner(),
                    }
                };
                drop(permit);
                (n, answer)
            });
        }
        let mut answers = calls.join_all().await;
        answers.sort_by_key(|(n, _)| *n);
        answers.into_iter().map(|(_, answer)| answer).collect()
    }

    /// Pushes contracts over one `PushContractBatches` stream, a batch per
    /// message; the answers in order, or the status the stream ended with
    /// (after the answers before it).
    pub async fn push_stream(&self, contracts: &[epb::ContractInput], batch: usize) -> (Vec<epb::PushContractsResponse>, Option<tonic::Status>) {
        let batches: Vec<epb::PushContractsRequest> = contracts.chunks(batch).map(|c| epb::PushContractsRequest { contracts: c.to_vec() }).collect();
        self.push_batches(batches).await
    }

    /// Sends these batches over one `PushContractBatches` stream.
    pub async fn push_batches(&self, batches: Vec<epb::PushContractsRequest>) -> (Vec<epb::PushContractsResponse>, Option<tonic::Status>) {
        use tokio_stream::StreamExt;
        let mut answers = Vec::new();
        let mut stream = match self.employment.clone().push_contract_batches(tokio_stream::iter(batches)).await {
            Ok(stream) => stream.into_inner(),
            Err(status) => return (answers, Some(status)),
        };
        while let Some(answer) = stream.next().await {
            match answer {
                Ok(answer) => answers.push(answer),
                Err(status) => return (answers, Some(status)),
            }
        }
        (answers, None)
    }
}

/// An exact decimal for a request.
pub fn decimal(text: &str) -> Option<partnership_proto::google::r#type::Decimal> {
    Some(partnership_proto::google::r#type::Decimal { value: text.to_owned() })
}

/// The protobuf date of `YYYY-MM-DD`.
pub fn date(text: &str) -> Option<Date> {
    let d: NaiveDate = text.parse().expect("a test date");
    Some(partnership_platform::dates::to_proto(d))
}

/// The `n`-th synthetic valid BSN.
pub fn bsn(n: u32) -> String {
    Bsn::synthetic(n).as_str().to_owned()
}

/// A municipality's system registering and following its residents.
pub struct Municipality {
    pub code: String,
    pub intake: IntakeServiceClient<Authed>,
}

impl Municipality {
    /// Registers a candidate (BSN number `n`); returns the candidate id.
    pub async fn register_candidate(&mut self, n: u32, birth_date: &str) -> String {
        let request = pb::CreateCandidateRequest {
            request_id: format!("candidate-{n}"),
            bsn: bsn(n),
            birth_date: date(birth_date),
            municipality_code: self.code.clone(),
        };
        self.intake.create_candidate(request).await.expect("candidate registered").into_inner().id
    }

    /// Registers the candidate for a basispakket service, recorded under
    /// `municipality_code` (an old code for backdated registrations).
    pub async fn register(&mut self, candidate_id: &str, municipality_code: &str, registration_date: &str) -> String {
        let request = pb::CreateRegistrationRequest {
            request_id: String::new(),
            candidate_id: candidate_id.to_owned(),
            municipality_code: municipality_code.to_owned(),
            kind: pb::RegistrationKind::Dienstverband as i32,
            voortraject_kind: 0,
            registration_date: date(registration_date),
        };
        self.intake.create_registration(request).await.expect("registration created").into_inner().id
    }

    /// Moves a registration to a status as of a date.
    pub async fn move_to(
        &mut self,
        registration_id: &str,
        status: Status,
        effective_date: &str,
        reason: Option<Reason>,
    ) -> Result<pb::Registration, tonic::Status> {
        let request = pb::ChangeRegistrationStatusRequest {
            request_id: String::new(),
            registration_id: registration_id.to_owned(),
            status: status as i32,
            effective_date: date(effective_date),
            terugmelding_reason: reason.map(|r| r as i32).unwrap_or(0),
            note: String::new(),
        };
        self.intake.change_registration_status(request).await.map(|r| r.into_inner())
    }

    /// Every registration of this municipality (walking all pages).
    pub async fn all_registrations(&mut self) -> Vec<pb::Registration> {
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = pb::ListRegistrationsRequest {
                page_size: 1000,
                page_token,
                municipality_code: self.code.clone(),
                ..Default::default()
            };
            let page = self.intake.list_registrations(request).await.expect("list").into_inner();
            all.extend(page.registrations);
            if page.next_page_token.is_empty() {
                return all;
            }
            page_token = page.next_page_token;
        }
    }
}

/// A dashboard asking for figures.
pub struct Dashboard {
    pub intake: IntakeServiceClient<Authed>,
}

/// The scope of the whole partnership, an area, or a municipality.
pub fn partnership() -> Option<cpb::Scope> {
    Some(cpb::Scope { level: cpb::ScopeLevel::Partnership as i32, code: String::new() })
}

pub fn area(code: &str) -> Option<cpb::Scope> {
    Some(cpb::Scope { level: cpb::ScopeLevel::Area as i32, code: code.to_owned() })
}

pub fn municipality(code: &str) -> Option<cpb::Scope> {
    Some(cpb::Scope { level: cpb::ScopeLevel::Municipality as i32, code: code.to_owned() })
}

impl Dashboard {
    pub async fn cohort(&mut self, scope: Option<cpb::Scope>, year: i32, as_of: &str) -> pb::CohortFigures {
        let request = pb::GetCohortFiguresRequest { scope, cohort_year: year, as_of: date(as_of) };
        self.intake.get_cohort_figures(request).await.expect("cohort figures").into_inner()
    }

    pub async fn area_counts(&mut self, scope: Option<cpb::Scope>, from: i32, to: i32, as_of: &str) -> pb::AreaRegistrationCounts {
        let request = pb::GetAreaRegistrationCountsRequest { scope, from_year: from, to_year: to, as_of: date(as_of) };
        self.intake.get_area_registration_counts(request).await.expect("area counts").into_inner()
    }
}

/// Reading figures back: the share of a status, a group or a reason.
pub trait BreakdownExt {
    fn status(&self, status: Status) -> cpb::Share;
    fn group(&self, group: pb::StatusGroup) -> cpb::Share;
    fn reason(&self, reason: Reason) -> cpb::Share;
}

impl BreakdownExt for pb::StatusBreakdown {
    fn status(&self, status: Status) -> cpb::Share {
        self.groups
            .iter()
            .flat_map(|g| &g.statuses)
            .find(|s| s.status == status as i32)
            .and_then(|s| s.share)
            .unwrap_or_else(|| panic!("no figure for {status:?}"))
    }

    fn group(&self, group: pb::StatusGroup) -> cpb::Share {
        self.groups.iter().find(|g| g.group == group as i32).and_then(|g| g.share).expect("group figure")
    }

    fn reason(&self, reason: Reason) -> cpb::Share {
        self.terugmelding_reasons
            .iter()
            .find(|r| r.reason == reason as i32)
            .and_then(|r| r.share)
            .expect("reason figure")
    }
}

/// The protobuf name of the intake service, as health checks ask for it.
pub const INTAKE_SERVICE: &str = INTAKE;

/// The field violations of an error's `google.rpc.BadRequest`.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// A small deterministic random generator (xorshift), so generated test
/// data is the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of the items.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Imports `count` candidates (BSN numbers `first..first+count`), each with
/// an open basispakket registration, through intake's bulk import.
pub async fn import_candidates(intake: &mut IntakeServiceClient<Authed>, first: u32, count: u32, municipality: &str) {
    let mut batches = Vec::new();
    let numbers: Vec<u32> = (first..first + count).collect();
    for (k, chunk) in numbers.chunks(5000).enumerate() {
        let registrations = chunk
            .iter()
            .map(|&n| pb::ImportedRegistration {
                bsn: bsn(n),
                birth_date: date("1990-01-01"),
                municipality_code: municipality.to_owned(),
                kind: pb::RegistrationKind::Dienstverband as i32,
                voortraject_kind: 0,
                registration_date: date("2020-06-01"),
                history: Vec::new(),
            })
            .collect();
        batches.push(pb::ImportRegistrationsRequest { request_id: format!("import-{first}-{k}"), registrations });
    }
    let mut answers = intake.import_registrations(tokio_stream::iter(batches)).await.expect("import").into_inner();
    while let Some(answer) = answers.message().await.expect("import answer") {
        assert!(answer.imported, "import refused: {:?}", answer.errors);
    }
}

/// The candidate ids of BSN numbers `first..first+count`, through intake.
pub async fn candidate_ids(intake: &mut IntakeServiceClient<Authed>, first: u32, count: u32) -> Vec<String> {
    let bsns = (first..first + count).map(bsn).collect();
    let answer = intake.batch_resolve_candidates(pb::BatchResolveCandidatesRequest { bsns }).await.expect("resolve");
    answer.into_inner().resolutions.into_iter().map(|r| r.candidate_id).collect()
}

/// A controller (of a municipality or of IBN) working with the finance
/// service: budget periods, lumpsums, allocations, invoices, figures.
pub struct Controller {
    pub finance: partnership_proto::finance::finance_service_client::FinanceServiceClient<Authed>,
}

impl TestSuite {
    /// A controller's finance client.
    pub async fn controller(&self) -> Controller {
        let channel = self.admin_channel(Service::Finance).await;
        Controller { finance: partnership_proto::finance::finance_service_client::FinanceServiceClient::new(channel) }
    }
}
