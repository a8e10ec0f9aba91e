//! Who may call what: every RPC of every service, called as every kind of
//! principal, against a matrix written here independently of the services'
//! policies. The RPCs are read from the protobuf descriptors the services
//! serve, so a new RPC without a row here fails this test.

use std::collections::BTreeMap;

use partnership_e2e::{Authed, TestSuite, spawn_suite};
use partnership_platform::auth::{Bearer, Kind, Principal};
use partnership_suite::Service;
use prost::Message;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;

use Kind::{Administrator as A, Dashboard as D, Hr as H, Municipality as M, Peer as P};

/// Who may call each RPC, as the issue and the domain say it.
const MATRIX: &[(&str, &[Kind])] = &[
    // intake: reference data for everybody; residents for their municipality
    ("partnership.intake.v1.IntakeService/GetMunicipality", &[M, H, D, P, A]),
    ("partnership.intake.v1.IntakeService/ListMunicipalities", &[M, H, D, P, A]),
    ("partnership.intake.v1.IntakeService/ListAreas", &[M, H, D, P, A]),
    ("partnership.intake.v1.IntakeService/ResolveScope", &[M, H, D, P, A]),
    ("partnership.intake.v1.IntakeService/CreateCandidate", &[M, A]),
    ("partnership.intake.v1.IntakeService/GetCandidate", &[M, P, A]),
    ("partnership.intake.v1.IntakeService/ResolveCandidate", &[M, P, A]),
    ("partnership.intake.v1.IntakeService/BatchResolveCandidates", &[P, A]),
    ("partnership.intake.v1.IntakeService/CreateRegistration", &[M, A]),
    ("partnership.intake.v1.IntakeService/GetRegistration", &[M, A]),
    ("partnership.intake.v1.IntakeService/ListRegistrations", &[M, A]),
    ("partnership.intake.v1.IntakeService/ChangeRegistrationStatus", &[M, A]),
    ("partnership.intake.v1.IntakeService/CorrectRegistrationStatus", &[M, A]),
    ("partnership.intake.v1.IntakeService/RecordEmploymentOutcome", &[P, A]),
    ("partnership.intake.v1.IntakeService/ImportRegistrations", &[M, A]),
    ("partnership.intake.v1.IntakeService/CreatePluspakketRegistration", &[M, A]),
    ("partnership.intake.v1.IntakeService/ListPluspakketRegistrations", &[M, P, A]),
    ("partnership.intake.v1.IntakeService/GetCohortFigures", &[M, D, P, A]),
    ("partnership.intake.v1.IntakeService/GetAreaRegistrationCounts", &[M, D, P, A]),
    ("partnership.intake.v1.IntakeService/CountPluspakketRegistrations", &[M, D, P, A]),
    // employment: HR pushes contracts only
    ("partnership.employment.v1.EmploymentService/PushContracts", &[H, A]),
    ("partnership.employment.v1.EmploymentService/PushContractBatches", &[H, A]),
    ("partnership.employment.v1.EmploymentService/GetContract", &[M, P, A]),
    ("partnership.employment.v1.EmploymentService/ListContracts", &[M, P, A]),
    ("partnership.employment.v1.EmploymentService/ListTrajectories", &[M, A]),
    ("partnership.employment.v1.EmploymentService/CompleteTrajectory", &[A]),
    ("partnership.employment.v1.EmploymentService/RecordDevelopment", &[A]),
    ("partnership.employment.v1.EmploymentService/ListForfaitairOverdue", &[M, A]),
    ("partnership.employment.v1.EmploymentService/RecordActivity", &[A]),
    ("partnership.employment.v1.EmploymentService/GetStartedContractFigures", &[M, D, P, A]),
    ("partnership.employment.v1.EmploymentService/GetTrajectoryResultFigures", &[M, D, P, A]),
    ("partnership.employment.v1.EmploymentService/GetHeadcountFigures", &[M, D, P, A]),
    ("partnership.employment.v1.EmploymentService/GetBeschutFigures", &[M, D, P, A]),
    ("partnership.employment.v1.EmploymentService/GetActivityFigures", &[M, D, P, A]),
    ("partnership.employment.v1.EmploymentService/ListBeschutEmployees", &[P, A]),
    ("partnership.employment.v1.EmploymentService/CountBeschutEmployees", &[P, A]),
    ("partnership.employment.v1.EmploymentService/GetLksContractGroups", &[P, A]),
    // beschut: a municipality's decisions about its residents
    ("partnership.beschut.v1.BeschutService/GrantIndication", &[M, A]),
    ("partnership.beschut.v1.BeschutService/EndIndication", &[M, A]),
    ("partnership.beschut.v1.BeschutService/GetIndication", &[M, A]),
    ("partnership.beschut.v1.BeschutService/ListIndications", &[M, A]),
    ("partnership.beschut.v1.BeschutService/CreatePlacement", &[M, A]),
    ("partnership.beschut.v1.BeschutService/EndPlacement", &[M, A]),
    ("partnership.beschut.v1.BeschutService/ListPlacements", &[M, A]),
    ("partnership.beschut.v1.BeschutService/CreateSchakeltraject", &[M, A]),
    ("partnership.beschut.v1.BeschutService/EndSchakeltraject", &[M, A]),
    ("partnership.beschut.v1.BeschutService/GetBeschutFigures", &[M, D, P, A]),
    ("partnership.beschut.v1.BeschutService/BatchGetBeschutFigures", &[M, D, P, A]),
    ("partnership.beschut.v1.BeschutService/GetSchakeltrajectFigures", &[M, D, P, A]),
    // finance: IBN keeps the books; municipalities see their own bills
    ("partnership.finance.v1.FinanceService/CreateBudgetPeriod", &[A]),
    ("partnership.finance.v1.FinanceService/ListBudgetPeriods", &[M, H, D, P, A]),
    ("partnership.finance.v1.FinanceService/CreateLumpsum", &[A]),
    ("partnership.finance.v1.FinanceService/ListLumpsums", &[M, H, D, P, A]),
    ("partnership.finance.v1.FinanceService/ListAllocationKeys", &[M, H, D, P, A]),
    ("partnership.finance.v1.FinanceService/AllocateLumpsum", &[M, H, D, P, A]),
    ("partnership.finance.v1.FinanceService/ComputeLks", &[M, A]),
    ("partnership.finance.v1.FinanceService/ComputeTrajectkostenvergoeding", &[M, D, P, A]),
    ("partnership.finance.v1.FinanceService/ListPluspakketPrices", &[M, H, D, P, A]),
    ("partnership.finance.v1.FinanceService/PreviewInvoice", &[M, A]),
    ("partnership.finance.v1.FinanceService/IssueInvoice", &[A]),
    ("partnership.finance.v1.FinanceService/GetInvoice", &[M, A]),
    ("partnership.finance.v1.FinanceService/ListInvoices", &[M, A]),
    ("partnership.finance.v1.FinanceService/GetBudgetRealisation", &[M, D, P, A]),
    ("partnership.finance.v1.FinanceService/GetFinanceFigures", &[M, D, P, A]),
    // reporting: reports are figures
    ("partnership.reporting.v1.ReportingService/GetReport", &[M, D, P, A]),
    ("partnership.reporting.v1.ReportingService/ListReports", &[M, D, P, A]),
    // the processing log: the administrator only
    ("partnership.audit.v1.AuditLogService/ListAuditRecords", &[A]),
];

/// The services serving each protobuf service (the audit log is served by
/// every service that keeps personal data).
fn hosts(proto_service: &str) -> Vec<Service> {
    match proto_service {
        "partnership.intake.v1.IntakeService" => vec![Service::Intake],
        "partnership.employment.v1.EmploymentService" => vec![Service::Employment],
        "partnership.beschut.v1.BeschutService" => vec![Service::Beschut],
        "partnership.finance.v1.FinanceService" => vec![Service::Finance],
        "partnership.reporting.v1.ReportingService" => vec![Service::Reporting],
        "partnership.audit.v1.AuditLogService" => vec![Service::Intake, Service::Employment, Service::Beschut, Service::Finance],
        other => panic!("no host known for {other}"),
    }
}

struct Method {
    path: String,
    client_streaming: bool,
    server_streaming: bool,
}

/// Every RPC the partnership's protos define.
fn methods() -> Vec<Method> {
    let set = prost_types::FileDescriptorSet::decode(partnership_proto::FILE_DESCRIPTOR_SET).expect("the descriptor set");
    let mut methods = Vec::new();
    for file in set.file.iter().filter(|f| f.package().starts_with("partnership.")) {
        for service in &file.service {
            for method in &service.method {
                methods.push(Method {
                    path: format!("{}.{}/{}", file.package(), service.name(), method.name()),
                    client_streaming: method.client_streaming(),
                    server_streaming: method.server_streaming(),
                });
            }
        }
    }
    methods
}

fn principal(kind: Kind) -> Principal {
    match kind {
        M => Principal::Municipality { code: "GM1991".into() },
        H => Principal::Hr,
        D => Principal::Dashboard,
        P => Principal::Peer { service: "reporting".into() },
        A => Principal::Administrator,
    }
}

/// Sends an empty message (valid protobuf for every request type) and
/// gives the status the server answers with.
async fn call<T>(channel: T, method: &Method) -> Code
where
    T: tonic::client::GrpcService<tonic::body::Body> + Send,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let mut grpc = tonic::client::Grpc::new(channel);
    if grpc.ready().await.is_err() {
        return Code::Unavailable;
    }
    let path = PathAndQuery::try_from(format!("/{}", method.path)).expect("a path");
    let result = if method.client_streaming || method.server_streaming {
        let outbound = tokio_stream::iter(Vec::<Vec<u8>>::new());
        match grpc.streaming(tonic::Request::new(outbound), path, Raw).await {
            Ok(response) => {
                let mut stream = response.into_inner();
                stream.message().await.map(drop)
            }
            Err(status) => Err(status),
        }
    } else {
        grpc.unary(tonic::Request::new(Vec::new()), path, Raw).await.map(drop)
    };
    match result {
        Ok(()) => Code::Ok,
        Err(status) => status.code(),
    }
}

async fn channel_as(suite: &TestSuite, service: Service, kind: Kind) -> Authed {
    suite.channel_as(service, &principal(kind)).await
}

#[tokio::test]
async fn every_rpc_admits_exactly_the_principals_of_the_matrix() {
    let suite = spawn_suite().await;
    let expected: BTreeMap<&str, &[Kind]> = MATRIX.iter().copied().collect();
    let methods = methods();
    let defined: Vec<&str> = methods.iter().map(|m| m.path.as_str()).collect();
    for method in &defined {
        assert!(expected.contains_key(method), "{method} has no row in the access matrix");
    }
    for row in expected.keys() {
        assert!(defined.contains(row), "the matrix names {row}, which no proto defines");
    }

    let mut wrong = Vec::new();
    for method in &methods {
        let proto_service = method.path.split('/').next().expect("a service");
        for service in hosts(proto_service) {
            for kind in Kind::ALL {
                let code = call(channel_as(&suite, service, kind).await, method).await;
                let allowed = expected[method.path.as_str()].contains(&kind);
                let ok = if allowed {
                    !matches!(code, Code::PermissionDenied | Code::Unauthenticated | Code::Unimplemented | Code::Internal)
                } else {
                    code == Code::PermissionDenied
                };
                if !ok {
                    wrong.push(format!("{} on {} as {}: {code:?}", method.path, service.name(), kind.as_str()));
                }
            }
            // No token, or a token not signed by the partnership: nobody.
            let anonymous = call(suite.channel(service).await, method).await;
            if anonymous != Code::Unauthenticated {
                wrong.push(format!("{} on {} without a token: {anonymous:?}", method.path, service.name()));
            }
        }
    }
    assert!(wrong.is_empty(), "calls answered against the matrix:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_forged_or_foreign_token_is_unauthenticated() {
    let suite = spawn_suite().await;
    let stranger = partnership_platform::auth::Issuer::generate("partnership").unwrap();
    let forged = stranger.issue(&Principal::Administrator, std::time::Duration::from_secs(600));
    let method = Method {
        path: "partnership.intake.v1.IntakeService/ListRegistrations".into(),
        client_streaming: false,
        server_streaming: false,
    };
    for token in [forged.as_str(), "not-a-token", ""] {
        let channel = Authed::new(suite.channel(Service::Intake).await, Bearer::new(token).unwrap());
        assert_eq!(call(channel, &method).await, Code::Unauthenticated, "token {token:?}");
    }
    // Health checks and reflection stay open (probes carry no token).
    let mut health = tonic_health::pb::health_client::HealthClient::new(suite.channel(Service::Intake).await);
    let serving = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(serving.into_inner().status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
}

/// Passes request and response bytes through untouched.
#[derive(Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Self::Encoder {
        Raw
    }

    fn decoder(&mut self) -> Self::Decoder {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf;
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}

/// The code of a refused call (None when it was answered).
fn code<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Option<Code> {
    result.err().map(|s| s.code())
}

/// A municipality reads and writes only its own residents — and those of
/// the municipalities merged into it; another's are NOT_FOUND, as if absent.
#[tokio::test]
async fn a_municipality_sees_only_its_own_residents() {
    use partnership_e2e::{bsn, date, decimal};
    use partnership_proto::beschut as bpb;
    use partnership_proto::employment as epb;
    use partnership_proto::intake as ipb;

    let suite = spawn_suite().await;
    let mut oss = suite.municipality("GM0828").await;
    let mut maashorst = suite.municipality("GM1991").await;
    let own = oss.register_candidate(1, "1990-01-01").await;
    let own_registration = oss.register(&own, "GM0828", "2023-02-01").await;
    let other = maashorst.register_candidate(2, "1991-01-01").await;
    // Maashorst registers a backdated case under Uden, merged into it in 2022.
    let uden_registration = maashorst.register(&other, "GM0856", "2021-05-01").await;

    // Reading another municipality's resident: NOT_FOUND, never the data.
    let get = ipb::GetCandidateRequest { id: other.clone() };
    assert_eq!(code(oss.intake.get_candidate(get).await), Some(Code::NotFound));
    let get = ipb::GetRegistrationRequest { id: uden_registration.clone() };
    assert_eq!(code(oss.intake.get_registration(get).await), Some(Code::NotFound));
    let resolve = ipb::ResolveCandidateRequest { bsn: bsn(2) };
    assert_eq!(code(oss.intake.resolve_candidate(resolve).await), Some(Code::NotFound));

    // Changing it: NOT_FOUND, and nothing changes.
    let change = oss.move_to(&uden_registration, partnership_e2e::Status::OnHold, "2023-03-01", None).await;
    assert_eq!(change.unwrap_err().code(), Code::NotFound);
    let mut admin = suite.intake().await;
    let unchanged = admin.get_registration(ipb::GetRegistrationRequest { id: uden_registration.clone() }).await.unwrap();
    assert_eq!(unchanged.into_inner().history.len(), 1, "only the intake entry");
    let register = ipb::CreateRegistrationRequest {
        candidate_id: other.clone(),
        municipality_code: "GM0828".into(),
        kind: ipb::RegistrationKind::Dienstverband as i32,
        registration_date: date("2023-04-01"),
        ..Default::default()
    };
    assert_eq!(code(oss.intake.create_registration(register).await), Some(Code::NotFound));

    // Acting for another municipality: PERMISSION_DENIED, nothing stored.
    let candidate = ipb::CreateCandidateRequest {
        request_id: "foreign".into(),
        bsn: bsn(3),
        birth_date: date("1992-01-01"),
        municipality_code: "GM1991".into(),
    };
    assert_eq!(code(oss.intake.create_candidate(candidate).await), Some(Code::PermissionDenied));
    assert_eq!(code(admin.resolve_candidate(ipb::ResolveCandidateRequest { bsn: bsn(3) }).await), Some(Code::NotFound));
    let foreign_list = ipb::ListRegistrationsRequest { municipality_code: "GM1991".into(), ..Default::default() };
    assert_eq!(code(oss.intake.list_registrations(foreign_list).await), Some(Code::PermissionDenied));

    // Lists show only the jurisdiction; the merged municipality sees its predecessor's.
    let ids = |list: Vec<ipb::Registration>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let listed = oss.intake.list_registrations(ipb::ListRegistrationsRequest::default()).await.unwrap().into_inner();
    assert_eq!(ids(listed.registrations), vec![own_registration.clone()]);
    let listed = maashorst.intake.list_registrations(ipb::ListRegistrationsRequest::default()).await.unwrap().into_inner();
    assert_eq!(ids(listed.registrations), vec![uden_registration.clone()]);
    let get = ipb::GetRegistrationRequest { id: uden_registration.clone() };
    assert!(maashorst.intake.get_registration(get).await.is_ok(), "Maashorst sees Uden's registration");

    // Employment: HR pushes both; each municipality reads only its own contracts.
    let detachering = |id: &str, n: u32, municipality: &str| epb::ContractInput {
        hr_contract_id: id.into(),
        bsn: bsn(n),
        kind: epb::ContractKind::Regulier as i32,
        start_date: date("2023-05-01"),
        end_date: None,
        hours_per_week: decimal("20"),
        pw: None,
        municipality_code: municipality.into(),
    };
    let mut hr = suite.hr().await;
    hr.push(&[detachering("HR-OSS", 1, "GM0828"), detachering("HR-MH", 2, "GM1991")], 10).await;
    let oss_employment = epb::employment_service_client::EmploymentServiceClient::new(
        suite.channel_as(Service::Employment, &Principal::Municipality { code: "GM0828".into() }).await,
    );
    let contracts = oss_employment.clone().list_contracts(epb::ListContractsRequest::default()).await.unwrap().into_inner();
    let contract_ids: Vec<String> = contracts.contracts.into_iter().map(|c| c.hr_contract_id).collect();
    assert_eq!(contract_ids, vec!["HR-OSS".to_owned()]);
    let get = epb::GetContractRequest { hr_contract_id: "HR-MH".into() };
    assert_eq!(code(oss_employment.clone().get_contract(get).await), Some(Code::NotFound));

    // Beschut: an indication is its municipality's decision.
    let mut oss_beschut = bpb::beschut_service_client::BeschutServiceClient::new(
        suite.channel_as(Service::Beschut, &Principal::Municipality { code: "GM0828".into() }).await,
    );
    let grant = bpb::GrantIndicationRequest {
        request_id: "i-1".into(),
        candidate_id: other.clone(),
        municipality_code: "GM1991".into(),
        uwv_reference: "UWV-1".into(),
        granted_date: date("2023-01-01"),
        valid_until: None,
    };
    assert_eq!(code(oss_beschut.grant_indication(grant).await), Some(Code::PermissionDenied));
    let indications = oss_beschut.list_indications(bpb::ListIndicationsRequest::default()).await.unwrap().into_inner();
    assert!(indications.indications.is_empty());

    // A dashboard gets figures, never a person.
    let mut dashboard = suite.dashboard().await;
    let figures = dashboard.cohort(partnership_e2e::partnership(), 2023, "2023-12-31").await;
    assert_eq!(figures.all.map(|b| b.total), Some(1), "Oss's 2023 registration is counted");
    let get = ipb::GetCandidateRequest { id: own.clone() };
    assert_eq!(code(dashboard.intake.get_candidate(get).await), Some(Code::PermissionDenied));
}

/// A token withdrawn before its expiry (`auth.revoked_tokens`) is refused;
/// the caller's other tokens still work.
#[tokio::test]
async fn a_revoked_token_is_unauthenticated() {
    use partnership_platform::auth::Claims;
    let suite = partnership_e2e::spawn_suite_with(|c| c.auth.revoked_tokens = vec!["lost-laptop".into()]).await;
    let issuer = suite.suite.credentials().dev_issuer().expect("dev credentials");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let claims = |jti: &str| Claims {
        iss: "partnership".into(),
        sub: "municipality:GM0828".into(),
        kind: Kind::Municipality,
        municipality: Some("GM0828".into()),
        service: None,
        iat: now,
        exp: now + 600,
        jti: jti.into(),
    };
    let method = Method {
        path: "partnership.intake.v1.IntakeService/ListRegistrations".into(),
        client_streaming: false,
        server_streaming: false,
    };
    for (jti, expected) in [("lost-laptop", Code::Unauthenticated), ("new-laptop", Code::Ok)] {
        let bearer = Bearer::new(&issuer.sign(&claims(jti))).unwrap();
        let channel = Authed::new(suite.channel(Service::Intake).await, bearer);
        assert_eq!(call(channel, &method).await, expected, "token {jti}");
    }
}
