//! Graceful shutdown and load on the way in: a stopping service finishes
//! what is in flight, refuses what is new, and closes its store so nothing
//! acknowledged is lost; a busy service refuses at once with a retry delay
//! instead of queueing without bound; clients' deadlines hold on the server.

use std::time::Duration;

use partnership_e2e::*;
use partnership_proto::intake as pb;
use partnership_suite::Service;
use tokio_stream::wrappers::ReceiverStream;

fn batch(request_id: &str, first: u32, count: u32) -> pb::ImportRegistrationsRequest {
    let registrations = (first..first + count)
        .map(|n| pb::ImportedRegistration {
            bsn: bsn(n),
            birth_date: date("1980-01-01"),
            municipality_code: "GM0828".into(),
            kind: pb::RegistrationKind::Dienstverband as i32,
            voortraject_kind: 0,
            registration_date: date("2023-01-01"),
            history: Vec::new(),
        })
        .collect();
    pb::ImportRegistrationsRequest { request_id: request_id.into(), registrations }
}

#[tokio::test]
async fn a_stopping_service_finishes_in_flight_work_refuses_new_work_and_loses_nothing() {
    let mut suite = spawn_suite().await;
    let mut importing = suite.intake().await;
    let (batches, outbound) = tokio::sync::mpsc::channel(4);
    let mut answers = importing.import_registrations(ReceiverStream::new(outbound)).await.unwrap().into_inner();
    batches.send(batch("before", 1, 50)).await.unwrap();
    assert!(answers.message().await.unwrap().unwrap().imported);
    // A second client, connected before the stop, sends its request after.
    let mut latecomer = suite.intake().await;
    latecomer.get_municipality(pb::GetMunicipalityRequest { code: "GM0828".into(), as_of: None }).await.unwrap();

    let stopping = suite.suite.stop_service(Service::Intake);
    let during = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let refused = latecomer.get_municipality(pb::GetMunicipalityRequest { code: "GM0828".into(), as_of: None }).await;
        assert!(refused.is_err(), "a new request to a stopping service is refused");
        // The import in flight goes on to its end.
        batches.send(batch("during", 51, 50)).await.unwrap();
        let answer = answers.message().await.unwrap().expect("the in-flight stream is answered");
        assert!(answer.imported, "{:?}", answer.errors);
        drop(batches);
        assert!(answers.message().await.unwrap().is_none(), "the stream ends cleanly");
    };
    let (stopped, ()) = tokio::join!(stopping, during);
    stopped.expect("intake stops cleanly, its store closed");

    // Restarted on the same store: everything acknowledged is there.
    suite.suite.start_service(Service::Intake).await.unwrap();
    let mut intake = suite.intake().await;
    let ids = candidate_ids(&mut intake, 1, 100).await;
    assert!(ids.iter().all(|id| !id.is_empty()), "all 100 imported candidates survived the stop");
}

#[tokio::test]
async fn a_busy_service_refuses_at_once_with_a_retry_delay() {
    use tonic_types::StatusExt;
    let suite = spawn_suite_with(|c| c.intake.max_in_flight = 1).await;
    let mut holding = suite.intake().await;
    // One streaming import holds the only slot while its stream is open.
    let (batches, outbound) = tokio::sync::mpsc::channel(1);
    let mut answers = holding.import_registrations(ReceiverStream::new(outbound)).await.unwrap().into_inner();
    let mut other = suite.intake().await;
    let refused = other.get_municipality(pb::GetMunicipalityRequest { code: "GM0828".into(), as_of: None }).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
    assert!(refused.get_details_retry_info().and_then(|r| r.retry_delay).is_some(), "the refusal says when to retry");
    // Health checks still answer: a busy service is not a dead one.
    let mut health = tonic_health::pb::health_client::HealthClient::new(suite.channel(Service::Intake).await);
    health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.expect("probes pass");
    drop(batches);
    assert!(answers.message().await.unwrap().is_none());
    // The slot is free again.
    other.get_municipality(pb::GetMunicipalityRequest { code: "GM0828".into(), as_of: None }).await.expect("served");
}

#[tokio::test]
async fn the_clients_deadline_holds_on_the_server() {
    use partnership_platform::auth::Principal;
    use partnership_proto::employment as epb;
    let suite = spawn_suite().await;
    import_candidates(&mut suite.intake().await, 1, 2000, "GM0828").await;
    let contract = |n: u32| epb::ContractInput {
        hr_contract_id: format!("HR-{n}"),
        bsn: bsn(n),
        kind: epb::ContractKind::Regulier as i32,
        start_date: date("2023-01-01"),
        end_date: None,
        hours_per_week: decimal("32"),
        pw: None,
        municipality_code: "GM0828".into(),
    };
    let contracts: Vec<epb::ContractInput> = (1..=2000).map(contract).collect();

    // A plain HTTP/2 client: it sends the deadline as `grpc-timeout` but,
    // unlike tonic's channel, does not enforce it — so whatever stops the
    // push is the server.
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<tonic::body::Body>();
    let origin = format!("http://{}", suite.suite.addr(Service::Employment).unwrap()).parse().unwrap();
    let mut hr = epb::employment_service_client::EmploymentServiceClient::with_origin(http, origin)
        .max_encoding_message_size(64 << 20);
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {}", suite.token(&Principal::Hr)).parse().unwrap();
    let mut request = tonic::Request::new(epb::PushContractsRequest { contracts: contracts.clone() });
    request.set_timeout(Duration::from_millis(5));
    request.metadata_mut().insert("authorization", bearer.clone());
    let refused = hr.push_contracts(request).await.unwrap_err();
    assert!(
        matches!(refused.code(), tonic::Code::Cancelled | tonic::Code::DeadlineExceeded),
        "the server gave up at the deadline: {refused:?}"
    );
    // It gave up as a whole: nothing of the push was stored.
    let mut employment = suite.employment().await;
    let listed = employment.list_contracts(epb::ListContractsRequest { page_size: 10, ..Default::default() }).await.unwrap();
    assert!(listed.into_inner().contracts.is_empty(), "a push cut off by its deadline stores nothing");

    // With time enough, the same push goes through.
    let mut request = tonic::Request::new(epb::PushContractsRequest { contracts });
    request.metadata_mut().insert("authorization", bearer);
    assert_eq!(hr.push_contracts(request).await.unwrap().into_inner().created, 2000);
}
