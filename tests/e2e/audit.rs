//! The processing log (AVG verwerkingenlogging): every read and change of a
//! person's data is logged — who, which person (candidate id, never the
//! BSN), what, when, why — and an administrator reads it per person and
//! per period. No API alters it.

use partnership_e2e::{bsn, date, decimal, spawn_suite};
use partnership_platform::auth::Principal;
use partnership_proto::audit as apb;
use partnership_proto::employment as epb;
use partnership_proto::intake as ipb;
use partnership_suite::Service;

fn today() -> Option<partnership_proto::google::r#type::Date> {
    Some(partnership_platform::dates::to_proto(chrono::Utc::now().date_naive()))
}

#[tokio::test]
async fn every_processing_of_a_persons_data_is_logged_and_readable_per_person_and_period() {
    let suite = spawn_suite().await;
    let mut oss = suite.municipality("GM0828").await;
    let candidate = oss.register_candidate(1, "1990-01-01").await;
    let registration = oss.register(&candidate, "GM0828", "2023-02-01").await;
    oss.intake.get_registration(ipb::GetRegistrationRequest { id: registration.clone() }).await.unwrap();
    let mut maashorst = suite.municipality("GM1991").await;
    let stranger = maashorst.register_candidate(2, "1991-01-01").await;
    // A refused look at another municipality's resident is logged too.
    let refused = oss.intake.get_candidate(ipb::GetCandidateRequest { id: stranger.clone() }).await;
    assert_eq!(refused.unwrap_err().code(), tonic::Code::NotFound);
    // Figures are not personal data: not logged.
    suite.dashboard().await.cohort(partnership_e2e::partnership(), 2023, "2023-12-31").await;

    let mut log = apb::audit_log_service_client::AuditLogServiceClient::new(suite.admin_channel(Service::Intake).await);
    let of_person = apb::ListAuditRecordsRequest { data_subject_id: candidate.clone(), ..Default::default() };
    let records = log.list_audit_records(of_person).await.unwrap().into_inner().records;
    let operations: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| (r.operation.rsplit('/').next().unwrap(), r.action.as_str(), r.principal_id.as_str()))
        .collect();
    assert_eq!(
        operations,
        vec![
            ("GetRegistration", "read", "municipality:GM0828"),
            ("CreateRegistration", "change", "municipality:GM0828"),
            ("CreateCandidate", "change", "municipality:GM0828"),
        ],
        "newest first"
    );
    for record in &records {
        assert_eq!(record.service, "intake");
        assert_eq!(record.principal_kind, "municipality");
        assert_eq!(record.status_code, 0);
        assert!(!record.processing_activity.is_empty(), "every record says why");
        assert!(record.start_time <= record.end_time);
        assert_eq!(record.data_subject_ids, vec![candidate.clone()]);
        let text = format!("{record:?}");
        assert!(!text.contains(&bsn(1)), "the BSN is never in the log");
    }

    // Per period: today's records, and none before.
    let today_only = apb::ListAuditRecordsRequest { from: today(), to: today(), ..Default::default() };
    let all_today = log.list_audit_records(today_only).await.unwrap().into_inner().records;
    assert!(all_today.iter().all(|r| r.operation.ends_with("Candidate") || r.operation.ends_with("Registration")));
    let denied = all_today.iter().find(|r| r.operation.ends_with("/GetCandidate")).expect("the refused read is logged");
    assert_eq!((denied.principal_id.as_str(), denied.status_code), ("municipality:GM0828", tonic::Code::NotFound as i32));
    assert!(denied.data_subject_ids.is_empty(), "nothing was disclosed about anyone");
    let before = apb::ListAuditRecordsRequest { to: date("2020-01-01"), ..Default::default() };
    assert!(log.list_audit_records(before).await.unwrap().into_inner().records.is_empty());

    // Pages: one record at a time, newest first, until the end.
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = apb::ListAuditRecordsRequest { page_size: 1, page_token, ..Default::default() };
        let page = log.list_audit_records(request).await.unwrap().into_inner();
        seen.extend(page.records.into_iter().map(|r| r.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen.len(), all_today.len());

    // HR's push is logged in employment's log, with the person it names.
    suite.hr().await.push(&[epb::ContractInput {
        hr_contract_id: "HR-1".into(),
        bsn: bsn(1),
        kind: epb::ContractKind::Regulier as i32,
        start_date: date("2023-05-01"),
        end_date: None,
        hours_per_week: decimal("20"),
        pw: None,
        municipality_code: "GM0828".into(),
    }], 10).await;
    let mut employment_log =
        apb::audit_log_service_client::AuditLogServiceClient::new(suite.admin_channel(Service::Employment).await);
    let of_person = apb::ListAuditRecordsRequest { data_subject_id: candidate.clone(), ..Default::default() };
    let pushes = employment_log.list_audit_records(of_person).await.unwrap().into_inner().records;
    assert_eq!(pushes.len(), 1, "one record per push, committed with its contracts");
    assert_eq!((pushes[0].principal_id.as_str(), pushes[0].action.as_str()), ("hr", "change"));
    assert_eq!((pushes[0].status_code, pushes[0].data_subject_ids.as_slice()), (0, std::slice::from_ref(&candidate)));
    // Employment resolved the BSN through intake as a peer: logged there.
    let of_person = apb::ListAuditRecordsRequest { data_subject_id: candidate.clone(), ..Default::default() };
    let intake_records = log.list_audit_records(of_person).await.unwrap().into_inner().records;
    assert!(intake_records.iter().any(|r| r.principal_id == "peer:employment" && r.operation.ends_with("/BatchResolveCandidates")));
}

#[tokio::test]
async fn a_new_registration_is_logged_once_with_its_commit_and_every_other_outcome_by_the_layer() {
    let suite = spawn_suite().await;
    let mut oss = suite.municipality("GM0828").await;
    let candidate = oss.register_candidate(1, "1990-01-01").await;
    let request = |request_id: &str, day: &str| ipb::CreateRegistrationRequest {
        request_id: request_id.into(),
        candidate_id: candidate.clone(),
        municipality_code: "GM0828".into(),
        kind: ipb::RegistrationKind::Dienstverband as i32,
        voortraject_kind: 0,
        registration_date: date(day),
    };
    // New: its record is committed with it (by the handler).
    let first = oss.intake.create_registration(request("reg-1", "2023-02-01")).await.unwrap().into_inner();
    // Sent again: answered from the first, and logged as a call of its own.
    let again = oss.intake.create_registration(request("reg-1", "2023-02-01")).await.unwrap().into_inner();
    assert_eq!(again.id, first.id);
    // Refused after the candidate was looked at: logged with its status.
    let refused = oss.intake.create_registration(request("reg-2", "1989-12-31")).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);

    let mut log = apb::audit_log_service_client::AuditLogServiceClient::new(suite.admin_channel(Service::Intake).await);
    let of_person = apb::ListAuditRecordsRequest { data_subject_id: candidate.clone(), ..Default::default() };
    let records = log.list_audit_records(of_person).await.unwrap().into_inner().records;
    let registrations: Vec<i32> = records
        .iter()
        .filter(|r| r.operation.ends_with("/CreateRegistration"))
        .map(|r| r.status_code)
        .collect();
    assert_eq!(registrations, [tonic::Code::InvalidArgument as i32, 0, 0], "one record per call, newest first");
    for record in records.iter().filter(|r| r.operation.ends_with("/CreateRegistration")) {
        assert_eq!((record.principal_id.as_str(), record.action.as_str()), ("municipality:GM0828", "change"));
        assert_eq!(record.data_subject_ids, std::slice::from_ref(&candidate));
        assert!(record.start_time <= record.end_time);
    }
}

#[tokio::test]
async fn the_log_is_for_administrators_and_offers_no_way_to_change_it() {
    let suite = spawn_suite().await;
    for principal in [Principal::Municipality { code: "GM0828".into() }, Principal::Dashboard, Principal::Hr] {
        let mut log = apb::audit_log_service_client::AuditLogServiceClient::new(suite.channel_as(Service::Intake, &principal).await);
        let refused = log.list_audit_records(apb::ListAuditRecordsRequest::default()).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{principal:?}");
    }
    // The API has one method, and it reads.
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(partnership_proto::FILE_DESCRIPTOR_SET).unwrap();
    let audit = set.file.iter().find(|f| f.package() == "partnership.audit.v1").expect("the audit proto");
    let methods: Vec<&str> = audit.service.iter().flat_map(|s| s.method.iter().map(|m| m.name())).collect();
    assert_eq!(methods, vec!["ListAuditRecords"]);
}
