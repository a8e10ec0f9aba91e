//! Intake end to end: the suite runs on free ports; municipalities register
//! and move their residents through gRPC; a dashboard reads the figures.

use chrono::{Duration, NaiveDate};
use partnership_e2e::*;
use partnership_proto::intake as pb;
use tonic::Code;

fn d(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Where a cohort-2022 registration ends up by 2023-12-31.
#[derive(Clone, Copy, Debug)]
enum Path {
    Opleiding,
    Regulier,
    Ibn,
    Voortraject,
    Intake,
    Verhuisd,
    OnHold,
    Teruggemeld(Reason),
}

/// Cohort 2022 as the annual report 2023 gives it (domain.md §2): 236
/// registrations, 90 of them youth.
const COHORT_2022: &[(bool, Path, u32)] = &[
    (false, Path::Opleiding, 1),
    (true, Path::Regulier, 9),
    (false, Path::Regulier, 16),
    (true, Path::Ibn, 60),
    (false, Path::Ibn, 83),
    (true, Path::Voortraject, 1),
    (false, Path::Voortraject, 5),
    (false, Path::Intake, 1),
    (false, Path::Verhuisd, 1),
    (false, Path::OnHold, 2),
    (true, Path::Teruggemeld(Reason::TijdelijkNietInStaat), 10),
    (false, Path::Teruggemeld(Reason::TijdelijkNietInStaat), 6),
    (true, Path::Teruggemeld(Reason::VoldoetNietAanInstroomeisen), 5),
    (false, Path::Teruggemeld(Reason::VoldoetNietAanInstroomeisen), 6),
    (true, Path::Teruggemeld(Reason::OpVerzoekVanGemeente), 5),
    (false, Path::Teruggemeld(Reason::OpVerzoekVanGemeente), 12),
    (false, Path::Teruggemeld(Reason::Overig), 6),
    (false, Path::Teruggemeld(Reason::NietUitDeDataAfTeLeiden), 7),
];

/// Today's municipalities, registering in turn.
const TODAY: [&str; 6] = ["GM0828", "GM1721", "GM0755", "GM1948", "GM1991", "GM1982"];

fn area_of(code: &str) -> &'static str {
    match code {
        "GM0828" => "OSS",
        "GM1721" | "GM0755" | "GM1948" => "MEIERIJSTAD_BERNHEZE_BOEKEL",
        "GM1991" | "GM0856" | "GM1685" => "MAASHORST",
        _ => "LAND_VAN_CUIJK",
    }
}

fn plus(date: NaiveDate, days: i64) -> String {
    (date + Duration::days(days)).to_string()
}

#[tokio::test]
async fn figures_reproduce_the_cohort_2022_worked_example() {
    let suite = spawn_suite().await;
    let mut systems = Vec::new();
    for code in TODAY {
        systems.push(suite.municipality(code).await);
    }

    // Backdated 2021 registrations, recorded under the old municipalities.
    let backdated: [(usize, &str, u32); 4] = [(4, "GM0856", 5), (4, "GM1685", 3), (0, "GM0828", 4), (5, "GM0756", 2)];
    let mut n = 10_000;
    for (system, old_code, count) in backdated {
        for k in 0..count {
            n += 1;
            let reg_date = d("2021-02-01") + Duration::days(i64::from(k) * 30);
            let c = systems[system].register_candidate(n, &plus(reg_date, -(30 * 365))).await;
            systems[system].register(&c, old_code, &reg_date.to_string()).await;
        }
    }

    // Cohort 2022, as the municipalities lived it.
    let mut expected_area_2022: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
    let mut later_changes = Vec::new();
    let mut teruggemeld_to_correct = None;
    let mut index = 0usize;
    for &(youth, path, count) in COHORT_2022 {
        for k in 0..count {
            let system = index % TODAY.len();
            let reg_date = d("2022-01-03") + Duration::days((index as i64 * 363) / 236);
            let birth = if youth {
                plus(reg_date, -(22 * 365))
            } else if index == 0 {
                // Exactly 27 on the registration date: no longer youth.
                (reg_date - chrono::Months::new(27 * 12)).to_string()
            } else {
                plus(reg_date, -(45 * 365))
            };
            index += 1;
            let m = &mut systems[system];
            let c = m.register_candidate(index as u32, &birth).await;
            let id = m.register(&c, TODAY[system], &reg_date.to_string()).await;
            let area = expected_area_2022.entry(area_of(TODAY[system])).or_default();
            area.0 += 1;
            area.1 += i64::from(youth);
            let ok = |r: Result<pb::Registration, tonic::Status>| r.expect("a legal move");
            match path {
                Path::Opleiding => ok(m.move_to(&id, Status::Opleiding, &plus(reg_date, 45), None).await),
                Path::Regulier => ok(m.move_to(&id, Status::DvbReguliereWerkgever, &plus(reg_date, 60), None).await),
                Path::Ibn => {
                    ok(m.move_to(&id, Status::Voortraject, &plus(reg_date, 14), None).await);
                    ok(m.move_to(&id, Status::DvbIbn, &plus(reg_date, 60), None).await)
                }
                Path::Voortraject => {
                    if k < 2 {
                        later_changes.push((system, id.clone(), Status::DvbIbn, "2024-02-01"));
                    }
                    ok(m.move_to(&id, Status::Voortraject, &plus(reg_date, 20), None).await)
                }
                Path::Intake => {
                    later_changes.push((system, id.clone(), Status::Voortraject, "2024-01-15"));
                    continue;
                }
                Path::Verhuisd => ok(m.move_to(&id, Status::Verhuisd, &plus(reg_date, 30), None).await),
                Path::OnHold => {
                    ok(m.move_to(&id, Status::Voortraject, &plus(reg_date, 10), None).await);
                    ok(m.move_to(&id, Status::OnHold, &plus(reg_date, 40), None).await)
                }
                Path::Teruggemeld(reason) if teruggemeld_to_correct.is_none() => {
                    // Entered with the wrong date (after the report date) ...
                    let r = ok(m.move_to(&id, Status::Teruggemeld, "2024-01-10", Some(reason)).await);
                    teruggemeld_to_correct = Some((system, id.clone(), r.history.last().unwrap().sequence));
                    r
                }
                Path::Teruggemeld(reason) => {
                    ok(m.move_to(&id, Status::Teruggemeld, &plus(reg_date, 50), Some(reason)).await)
                }
            };
        }
    }
    assert_eq!(index, 236);

    // ... and corrected to the date it really happened.
    let (system, id, sequence) = teruggemeld_to_correct.unwrap();
    let corrected = systems[system]
        .intake
        .correct_registration_status(pb::CorrectRegistrationStatusRequest {
            registration_id: id,
            sequence,
            effective_date: date("2023-11-10"),
            status: 0,
            terugmelding_reason: 0,
            correction_reason: "entered with the date of the letter, not of the decision".into(),
        })
        .await
        .expect("correction")
        .into_inner();
    assert_eq!(corrected.history.len(), 3);
    assert_eq!(corrected.status_date, date("2023-11-10"));

    // What happened after the report date must not change the report.
    for (system, id, status, when) in later_changes {
        systems[system].move_to(&id, status, when, None).await.expect("a legal move");
    }

    // Pluspakket participants are registered too, but never counted here.
    for k in 0..21 {
        let m = &mut systems[k % TODAY.len()];
        let c = m.register_candidate(20_000 + k as u32, "1980-01-01").await;
        m.intake
            .create_pluspakket_registration(pb::CreatePluspakketRegistrationRequest {
                request_id: format!("plus-{k}"),
                candidate_id: c,
                municipality_code: m.code.clone(),
                service_code: "Z_ROUTE".into(),
                registration_date: date("2022-06-01"),
            })
            .await
            .expect("pluspakket registration");
    }

    let mut dashboard = suite.dashboard().await;
    let figures = dashboard.cohort(partnership(), 2022, "2023-12-31").await;
    let all = figures.all.as_ref().unwrap();
    let share = |count, percent| partnership_proto::common::Share { count, percent };
    assert_eq!(all.total, 236);
    assert_eq!(all.group(pb::StatusGroup::AanHetWerkOpleiding), share(169, 72));
    assert_eq!(all.status(Status::Opleiding), share(1, 0));
    assert_eq!(all.status(Status::DvbReguliereWerkgever), share(25, 11));
    assert_eq!(all.status(Status::DvbIbn), share(143, 61));
    assert_eq!(all.group(pb::StatusGroup::NogInTraject), share(7, 3));
    assert_eq!(all.status(Status::Proefplaatsing).count, 0);
    assert_eq!(all.status(Status::Voortraject).count, 6);
    assert_eq!(all.status(Status::Intake).count, 1);
    assert_eq!(all.group(pb::StatusGroup::NietInTraject), share(60, 25));
    assert_eq!(all.status(Status::Verhuisd).count, 1);
    assert_eq!(all.status(Status::OnHold).count, 2);
    assert_eq!(all.status(Status::Teruggemeld), share(57, 24));
    assert_eq!(all.reason(Reason::TijdelijkNietInStaat), share(16, 28));
    assert_eq!(all.reason(Reason::VoldoetNietAanInstroomeisen), share(11, 19));
    assert_eq!(all.reason(Reason::OpVerzoekVanGemeente), share(17, 30));
    assert_eq!(all.reason(Reason::OpVerzoekVanKandidaat), share(0, 0));
    assert_eq!(all.reason(Reason::Overig), share(6, 11));
    assert_eq!(all.reason(Reason::NietUitDeDataAfTeLeiden), share(7, 12));
    let percents: i32 = all.groups.iter().map(|g| g.share.unwrap().percent).sum();
    assert_eq!(percents, 100);

    let youth = figures.youth.as_ref().unwrap();
    assert_eq!(figures.youth_share, Some(share(90, 38)));
    assert_eq!(youth.total, 90);
    assert_eq!(youth.group(pb::StatusGroup::AanHetWerkOpleiding).count, 69);
    assert_eq!(youth.status(Status::DvbReguliereWerkgever).count, 9);
    assert_eq!(youth.status(Status::DvbIbn).count, 60);
    assert_eq!(youth.group(pb::StatusGroup::NogInTraject).count, 1);
    assert_eq!(youth.group(pb::StatusGroup::NietInTraject).count, 20);

    // A year later the same cohort shows what happened since.
    let later = dashboard.cohort(partnership(), 2022, "2024-12-31").await;
    let later = later.all.unwrap();
    // Three in voortraject got a job at IBN in 2024, the one in intake moved on.
    assert_eq!(later.status(Status::DvbIbn).count, 146);
    assert_eq!(later.status(Status::Voortraject).count, 6 - 3 + 1);
    assert_eq!(later.status(Status::Intake).count, 0);

    // Per area per year, old municipalities counted for today's areas.
    let counts = dashboard.area_counts(partnership(), 2021, 2022, "2023-12-31").await;
    let row = |code: &str| counts.areas.iter().find(|a| a.area_code == code).expect("area row");
    assert_eq!(row("MAASHORST").area_name, "Maashorst");
    assert_eq!(row("MAASHORST").years[0].count, 8, "5 from Uden and 3 from Landerd");
    assert_eq!(row("OSS").years[0].count, 4);
    assert_eq!(row("LAND_VAN_CUIJK").years[0].count, 2);
    assert_eq!(row("MEIERIJSTAD_BERNHEZE_BOEKEL").years[0].count, 0);
    for (area, (count, youth)) in &expected_area_2022 {
        assert_eq!(row(area).years[1].count, *count, "{area}");
        assert_eq!(row(area).years[1].youth, *youth, "{area}");
    }
    assert_eq!(counts.totals[0].count, 14);
    assert_eq!(counts.totals[1].count, 236);
    assert_eq!(counts.totals[1].youth, 90);

    // The cohort of one area and of one municipality come from the same data.
    let maashorst_2021 = dashboard.cohort(municipality("GM1991"), 2021, "2021-12-31").await;
    assert_eq!(maashorst_2021.all.unwrap().total, 8);
    let oss_2022 = dashboard.cohort(area("OSS"), 2022, "2023-12-31").await;
    assert_eq!(oss_2022.all.unwrap().total, expected_area_2022["OSS"].0);

    suite.suite.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_and_changes_nothing() {
    let suite = spawn_suite().await;
    let mut oss = suite.municipality("GM0828").await;
    let candidate = oss.register_candidate(1, "1990-01-01").await;
    let registration = oss.register(&candidate, "GM0828", "2022-03-01").await;
    oss.move_to(&registration, Status::Teruggemeld, "2022-04-01", Some(Reason::Overig)).await.unwrap();
    let before = oss.all_registrations().await;

    let expect = |result: Result<tonic::Response<pb::Candidate>, tonic::Status>, code: Code, field: &str| {
        let status = result.expect_err("refused");
        assert_eq!(status.code(), code, "{status:?}");
        assert!(bad_fields(&status).contains(&field.to_owned()), "{field} in {:?}", bad_fields(&status));
    };
    let mut request = pb::CreateCandidateRequest {
        request_id: String::new(),
        bsn: "123456789".into(),
        birth_date: date("1990-01-01"),
        municipality_code: "GM0828".into(),
    };
    expect(oss.intake.create_candidate(request.clone()).await, Code::InvalidArgument, "bsn");
    request.bsn = bsn(2);
    request.municipality_code = "GM9999".into();
    expect(oss.intake.create_candidate(request.clone()).await, Code::InvalidArgument, "municipality_code");
    // Uden merged into Maashorst: no new candidates there, even for Maashorst,
    // which acts for Uden's records (for Oss, Uden is not its own).
    request.municipality_code = "GM0856".into();
    let mut maashorst = suite.municipality("GM1991").await;
    expect(maashorst.intake.create_candidate(request.clone()).await, Code::InvalidArgument, "municipality_code");
    assert_eq!(oss.intake.create_candidate(request.clone()).await.unwrap_err().code(), Code::PermissionDenied);
    request.municipality_code = "GM0828".into();
    request.birth_date = None;
    expect(oss.intake.create_candidate(request.clone()).await, Code::InvalidArgument, "birth_date");
    let tomorrow = (partnership_platform::dates::today() + Duration::days(1)).to_string();
    request.birth_date = date(&tomorrow);
    expect(oss.intake.create_candidate(request.clone()).await, Code::InvalidArgument, "birth_date");
    let missing = oss.intake.resolve_candidate(pb::ResolveCandidateRequest { bsn: bsn(2) }).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "nothing was stored");

    let register = |registration_date: Option<partnership_proto::google::r#type::Date>, municipality: &str| {
        pb::CreateRegistrationRequest {
            request_id: String::new(),
            candidate_id: candidate.clone(),
            municipality_code: municipality.into(),
            kind: pb::RegistrationKind::Dienstverband as i32,
            voortraject_kind: 0,
            registration_date,
        }
    };
    let status = oss.intake.create_registration(register(date(&tomorrow), "GM0828")).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["registration_date"]);
    // Oss may not act for Uden at all; for anybody who may (here IBN's
    // administrator), Uden no longer existed in 2022.
    let status = oss.intake.create_registration(register(date("2022-05-01"), "GM0856")).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = suite.intake().await.create_registration(register(date("2022-05-01"), "GM0856")).await.unwrap_err();
    assert_eq!(bad_fields(&status), ["municipality_code"], "Uden no longer existed in 2022");
    let mut no_kind = register(date("2022-05-01"), "");
    no_kind.kind = 0;
    let status = oss.intake.create_registration(no_kind).await.unwrap_err();
    assert_eq!(bad_fields(&status), ["municipality_code", "kind"], "every missing field at once");

    let status = oss.move_to(&registration, Status::Voortraject, "2022-05-01", None).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(bad_fields(&status), ["status"]);
    assert!(status.message().contains("TERUGGEMELD is final"), "{}", status.message());
    let other = oss.register(&candidate, "GM0828", "2022-06-01").await;
    let status = oss.move_to(&other, Status::Teruggemeld, "2022-07-01", None).await.unwrap_err();
    assert_eq!((status.code(), bad_fields(&status)), (Code::InvalidArgument, vec!["terugmelding_reason".to_owned()]));
    let status = oss.move_to(&other, Status::Voortraject, &tomorrow, None).await.unwrap_err();
    assert_eq!(bad_fields(&status), ["effective_date"]);

    let after = oss.all_registrations().await;
    assert_eq!(after.len(), before.len() + 1, "only the one valid registration was added");
    let unchanged = after.iter().find(|r| r.id == registration).unwrap();
    assert_eq!(unchanged.status, Status::Teruggemeld as i32);
    let got = oss.intake.get_registration(pb::GetRegistrationRequest { id: other }).await.unwrap().into_inner();
    assert_eq!(got.history.len(), 1, "refused moves left no trace");
}

#[tokio::test]
async fn a_repeated_create_returns_the_first_result() {
    let suite = spawn_suite().await;
    let mut boekel = suite.municipality("GM0755").await;
    let candidate = boekel.register_candidate(7, "2001-02-03").await;
    let again = boekel.register_candidate(7, "2001-02-03").await;
    assert_eq!(candidate, again, "same request_id, same candidate");

    let request = pb::CreateRegistrationRequest {
        request_id: "boekel-2023-0001".into(),
        candidate_id: candidate,
        municipality_code: "GM0755".into(),
        kind: pb::RegistrationKind::Arbeidsvoorbereiding as i32,
        voortraject_kind: pb::VoortrajectKind::StageVsoPro as i32,
        registration_date: date("2023-09-01"),
    };
    let first = boekel.intake.create_registration(request.clone()).await.unwrap().into_inner();
    let second = boekel.intake.create_registration(request).await.unwrap().into_inner();
    assert_eq!(first.id, second.id);
    assert!(first.youth);
    assert_eq!(first.voortraject_kind, pb::VoortrajectKind::StageVsoPro as i32);
    assert_eq!(boekel.all_registrations().await.len(), 1);
}

fn imported(n: u32, municipality: &str, registration_date: &str, history: Vec<pb::ImportedStatus>) -> pb::ImportedRegistration {
    pb::ImportedRegistration {
        bsn: bsn(n),
        birth_date: date("1970-01-01"),
        municipality_code: municipality.into(),
        kind: pb::RegistrationKind::Dienstverband as i32,
        voortraject_kind: 0,
        registration_date: date(registration_date),
        history,
    }
}

fn entry(status: Status, effective_date: &str, reason: Option<Reason>) -> pb::ImportedStatus {
    pb::ImportedStatus {
        status: status as i32,
        effective_date: date(effective_date),
        terugmelding_reason: reason.map(|r| r as i32).unwrap_or(0),
        note: "from the 2020 spreadsheet".into(),
    }
}

#[tokio::test]
async fn import_takes_each_batch_whole_or_not_at_all() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    let good = pb::ImportRegistrationsRequest {
        request_id: "sheet-2020-a".into(),
        registrations: vec![
            imported(1, "GM1684", "2020-03-01", vec![entry(Status::Voortraject, "2020-04-01", None), entry(Status::DvbIbn, "2020-09-01", None)]),
            imported(2, "GM0786", "2020-05-01", vec![entry(Status::Teruggemeld, "2020-06-01", Some(Reason::NietUitDeDataAfTeLeiden))]),
        ],
    };
    let bad = pb::ImportRegistrationsRequest {
        request_id: "sheet-2020-b".into(),
        registrations: vec![
            imported(3, "GM0815", "2020-01-01", vec![]),
            imported(4, "GM1982", "2020-01-01", vec![]),
            imported(5, "GM1702", "2020-02-01", vec![entry(Status::Teruggemeld, "2020-03-01", Some(Reason::Overig)), entry(Status::Intake, "2020-04-01", None)]),
        ],
    };
    let batches = vec![good.clone(), bad, good];
    let mut answers = intake.import_registrations(tokio_stream::iter(batches)).await.unwrap().into_inner();
    let mut results = Vec::new();
    while let Some(answer) = answers.message().await.unwrap() {
        results.push(answer);
    }
    assert_eq!(results.len(), 3);
    assert!(results[0].imported && !results[0].already_imported);
    assert_eq!(results[0].registration_ids.len(), 2);
    assert!(!results[1].imported);
    let fields: Vec<(i32, &str)> = results[1].errors.iter().map(|e| (e.index, e.field.as_str())).collect();
    assert_eq!(
        fields,
        [(1, "registrations[1].municipality_code"), (2, "registrations[2].history[1].status")],
        "Land van Cuijk did not exist in 2020; nothing leaves TERUGGEMELD"
    );
    assert!(results[2].imported && results[2].already_imported);
    assert_eq!(results[2].registration_ids, results[0].registration_ids);

    let all = intake.list_registrations(pb::ListRegistrationsRequest::default()).await.unwrap().into_inner();
    assert_eq!(all.registrations.len(), 2, "the refused batch left nothing, the repeat added nothing");
    let cuijk = all.registrations.iter().find(|r| r.municipality_code == "GM1684").unwrap();
    assert_eq!(cuijk.status, Status::DvbIbn as i32);
    assert_eq!(cuijk.outcome, Status::DvbIbn as i32);
    let full = intake.get_registration(pb::GetRegistrationRequest { id: cuijk.id.clone() }).await.unwrap().into_inner();
    assert_eq!(full.history.len(), 3);
    assert_eq!(full.history[1].note, "from the 2020 spreadsheet");
    let candidate = intake.resolve_candidate(pb::ResolveCandidateRequest { bsn: bsn(1) }).await.unwrap().into_inner();
    assert_eq!(candidate.municipality_code, "GM1982", "the candidate belongs to today's municipality");
}

#[tokio::test]
async fn reference_data_answers_questions_about_the_past() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    let uden = intake
        .get_municipality(pb::GetMunicipalityRequest { code: "GM0856".into(), as_of: date("2021-05-01") })
        .await
        .unwrap()
        .into_inner();
    let area = uden.area.unwrap();
    assert_eq!((area.code.as_str(), area.name.as_str()), ("MAASHORST", "Uden/Landerd"));
    assert_eq!(area.municipality_codes, ["GM0856", "GM1685"]);
    assert_eq!(uden.successor_code, "GM1991");
    assert_eq!(uden.current_municipality_code, "GM1991");

    let gone = intake
        .get_municipality(pb::GetMunicipalityRequest { code: "GM0856".into(), as_of: date("2022-05-01") })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::FailedPrecondition);

    let then = intake.list_municipalities(pb::ListMunicipalitiesRequest { as_of: date("2021-12-31") }).await.unwrap();
    assert_eq!(then.into_inner().municipalities.len(), 11);
    let now = intake.list_areas(pb::ListAreasRequest { as_of: None }).await.unwrap().into_inner();
    let maashorst = now.areas.iter().find(|a| a.code == "MAASHORST").unwrap();
    assert_eq!((maashorst.name.as_str(), maashorst.municipality_codes.clone()), ("Maashorst", vec!["GM1991".to_owned()]));
}

#[tokio::test]
async fn every_service_answers_health_checks_and_reflection() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::{ServerReflectionRequest, server_reflection_client::ServerReflectionClient};

    let suite = spawn_suite().await;
    let channel = suite.channel(partnership_suite::Service::Intake).await;
    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest { service: INTAKE_SERVICE.into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);

    let request = ServerReflectionRequest { host: String::new(), message_request: Some(MessageRequest::ListServices(String::new())) };
    let mut answers = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) = answers.message().await.unwrap().unwrap().message_response else {
        panic!("a list of services")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.contains(&INTAKE_SERVICE.to_owned()), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health".to_owned()), "{names:?}");
}
