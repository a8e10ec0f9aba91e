//! Beschut end to end: municipalities' residents get indications, HR pushes
//! the beschut contracts at IBN, placements at regular employers are
//! recorded, and a dashboard reads the figures against the taakstelling.

use partnership_e2e::*;
use partnership_proto::beschut as pb;
use partnership_proto::employment as epb;
use tonic::Code;

fn indication(candidate_id: &str, n: usize) -> pb::GrantIndicationRequest {
    pb::GrantIndicationRequest {
        request_id: format!("indication-{n}"),
        candidate_id: candidate_id.to_owned(),
        municipality_code: if n % 2 == 0 { "GM0828".into() } else { "GM1721".into() },
        uwv_reference: format!("UWV-2021-{n:05}"),
        granted_date: date("2021-09-01"),
        valid_until: None,
    }
}

fn beschut_contract(n: u32, step: epb::WerkladderStep, hours: u32) -> epb::ContractInput {
    epb::ContractInput {
        hr_contract_id: format!("B-{n}"),
        bsn: bsn(n),
        kind: epb::ContractKind::Pw as i32,
        start_date: date("2022-06-01"),
        end_date: None,
        hours_per_week: decimal(&hours.to_string()),
        pw: Some(epb::PwClassification {
            soort_plaatsing: epb::SoortPlaatsing::Aanbodgestuurd as i32,
            doelgroep: epb::Doelgroep::NieuwBeschut as i32,
            uitstroomprofiel: epb::Uitstroomprofiel::ZonderUitstroomprofielRegulier as i32,
            loonwaarde: Some(epb::Loonwaarde { value: Some(epb::loonwaarde::Value::MeasuredPercent(decimal("30").unwrap())) }),
            werkladder_step: step as i32,
            paying_municipality_code: "GM0828".into(),
        }),
        municipality_code: String::new(),
    }
}

fn placement(candidate_id: &str, n: usize, hours: u32) -> pb::CreatePlacementRequest {
    pb::CreatePlacementRequest {
        request_id: format!("placement-{n}"),
        candidate_id: candidate_id.to_owned(),
        municipality_code: if n % 2 == 0 { "GM0828".into() } else { "GM1721".into() },
        employer: "Bakkerij Van Dijk".into(),
        start_date: date("2022-03-01"),
        end_date: None,
        hours_per_week: decimal(&hours.to_string()),
    }
}

#[tokio::test]
async fn reproduces_the_2022_beschut_worked_example() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 290, "GM0828").await;
    let ids = candidate_ids(&mut intake, 1, 290).await;
    let mut beschut = suite.beschut().await;

    // 284 indications; one expires on 2022-12-31, leaving 283 that day.
    let mut indications = Vec::new();
    for (n, id) in ids.iter().take(284).enumerate() {
        indications.push(beschut.grant_indication(indication(id, n)).await.expect("granted").into_inner());
    }
    let expiring = &indications[283];
    beschut
        .end_indication(pb::EndIndicationRequest { indication_id: expiring.id.clone(), end: pb::IndicationEnd::Expired as i32, end_date: date("2022-12-31") })
        .await
        .expect("expired");
    // A person in dienst at IBN whose indication expired does not count as working.
    let mut contracts = vec![beschut_contract(284, epb::WerkladderStep::WerkenBinnenIbn, 20)];

    // 116 in dienst bij IBN: 44 binnen, 46 op locatie, 26 zelfstandig; 2,883 hours (93 fte).
    for n in 1..=116u32 {
        let step = match n {
            1..=44 => epb::WerkladderStep::WerkenBinnenIbn,
            45..=90 => epb::WerkladderStep::WerkenOpLocatie,
            _ => epb::WerkladderStep::ZelfstandigWerkenOpLocatie,
        };
        contracts.push(beschut_contract(n, step, if n <= 99 { 25 } else { 24 }));
    }
    suite.hr().await.push(&contracts, 1000).await;
    // 78 regulier met vangnet: 2,232 hours (72 fte).
    for (k, id) in ids[116..194].iter().enumerate() {
        beschut.create_placement(placement(id, k, if k < 48 { 29 } else { 28 })).await.expect("placed");
    }

    let figures = |on: &str| pb::GetBeschutFiguresRequest { scope: partnership(), on: date(on) };
    let f = beschut.get_beschut_figures(figures("2022-12-31")).await.unwrap().into_inner();
    let step = |name: &str| f.working_by_step.iter().find(|s| s.step == name).unwrap().persons;
    assert_eq!(
        (step("WERKEN_BINNEN_IBN"), step("WERKEN_OP_LOCATIE"), step("ZELFSTANDIG_WERKEN_OP_LOCATIE")),
        (44, 46, 26)
    );
    assert_eq!((f.working_at_ibn, f.working_regulier_met_vangnet, f.working), (116, 78, 194));
    assert_eq!(f.active_indications, 283);
    assert_eq!(f.plaatsingspercentage_rounded, 69);
    assert_eq!(f.plaatsingspercentage.as_ref().unwrap().value, "68.551237");
    assert_eq!(f.distance_to_target.as_ref().unwrap().value, "-6.448763");
    assert_eq!(f.fte_elsewhere.as_ref().unwrap().value, "72");
    // At IBN, the 20 hours of the person whose indication expired are still a
    // nieuw-beschut dienstverband: 2,883 + 20 hours.
    assert_eq!(f.fte_at_ibn.as_ref().unwrap().value, "93.645161");
    assert_eq!(f.taakstelling_fte.as_ref().unwrap().value, "352");

    // The day before, the expiring indication still counts, and its holder works.
    let before = beschut.get_beschut_figures(figures("2022-12-30")).await.unwrap().into_inner();
    assert_eq!((before.active_indications, before.working), (284, 195));

    // A report's dates in one call: the same figures as asked one by one.
    // Employment answers in counts: it hands out (and logs) no person.
    let employment_log =
        partnership_proto::audit::audit_log_service_client::AuditLogServiceClient::new(suite.admin_channel(partnership_suite::Service::Employment).await);
    let employment_records = || {
        let mut log = employment_log.clone();
        async move { log.list_audit_records(partnership_proto::audit::ListAuditRecordsRequest { page_size: 1000, ..Default::default() }).await.unwrap().into_inner().records }
    };
    let year_before = beschut.get_beschut_figures(figures("2021-12-31")).await.unwrap().into_inner();
    let dates = ["2022-12-31", "2022-12-30", "2021-12-31"].map(|d| date(d).unwrap()).to_vec();
    let batch = beschut.batch_get_beschut_figures(pb::BatchGetBeschutFiguresRequest { scope: partnership(), dates }).await.unwrap().into_inner();
    assert_eq!(batch.figures, vec![f.clone(), before, year_before], "in the order asked");
    let records = employment_records().await;
    assert!(records.iter().any(|r| r.operation.ends_with("/PushContracts")), "employment's log is read");
    let persons_handed_out: Vec<_> = records.iter().filter(|r| !r.operation.ends_with("/PushContracts")).map(|r| &r.operation).collect();
    assert!(persons_handed_out.is_empty(), "no person left employment for the figures: {persons_handed_out:?}");

    // A person placed at a regular employer who is also in dienst bij IBN
    // works at IBN, once; the placement's hours still count elsewhere.
    beschut.create_placement(placement(&ids[0], 1000, 31)).await.expect("placed");
    let also_placed = beschut.get_beschut_figures(figures("2022-12-31")).await.unwrap().into_inner();
    assert_eq!((also_placed.working_at_ibn, also_placed.working_regulier_met_vangnet, also_placed.working), (116, 78, 194));
    assert_eq!(also_placed.fte_elsewhere.as_ref().unwrap().value, "73", "2,232 + 31 hours");

    let oss = |dates: Vec<_>| pb::BatchGetBeschutFiguresRequest { scope: municipality("GM0828"), dates };
    let oss_batch = beschut.batch_get_beschut_figures(oss(vec![date("2022-12-31").unwrap()])).await.unwrap().into_inner();
    let oss_alone = beschut.get_beschut_figures(pb::GetBeschutFiguresRequest { scope: municipality("GM0828"), on: date("2022-12-31") }).await.unwrap().into_inner();
    assert_eq!(oss_batch.figures, vec![oss_alone]);
    let none = beschut.batch_get_beschut_figures(oss(vec![])).await.unwrap_err();
    assert_eq!((none.code(), bad_fields(&none)), (Code::InvalidArgument, vec!["dates".to_owned()]));
    let thirteen = beschut.batch_get_beschut_figures(oss(vec![date("2022-12-31").unwrap(); 13])).await.unwrap_err();
    assert_eq!(bad_fields(&thirteen), ["dates"]);
}

#[tokio::test]
async fn fte_of_93_and_72_make_47_percent_of_352() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 194, "GM0828").await;
    let ids = candidate_ids(&mut intake, 1, 194).await;
    let mut beschut = suite.beschut().await;
    for (n, id) in ids.iter().enumerate() {
        beschut.grant_indication(indication(id, n)).await.unwrap();
    }
    let contracts: Vec<_> = (1..=116u32).map(|n| beschut_contract(n, epb::WerkladderStep::WerkenOpLocatie, if n <= 99 { 25 } else { 24 })).collect();
    suite.hr().await.push(&contracts, 1000).await;
    for (k, id) in ids[116..194].iter().enumerate() {
        beschut.create_placement(placement(id, k, if k < 48 { 29 } else { 28 })).await.unwrap();
    }
    let f = beschut
        .get_beschut_figures(pb::GetBeschutFiguresRequest { scope: partnership(), on: date("2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((f.fte_at_ibn.unwrap().value.as_str(), f.fte_elsewhere.unwrap().value.as_str()), ("93", "72"));
    assert_eq!(f.fte_total.unwrap().value, "165");
    assert_eq!((f.realisation_percent.unwrap().value.as_str(), f.realisation_percent_rounded), ("46.875", 47));

    // Per municipality: no taakstelling in the data, so none is invented.
    let oss = beschut
        .get_beschut_figures(pb::GetBeschutFiguresRequest { scope: municipality("GM0828"), on: date("2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(oss.active_indications, 97);
    assert!(oss.taakstelling_fte.is_none() && oss.realisation_percent.is_none());
}

#[tokio::test]
async fn a_20_hour_placement_is_20_31_fte() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 1, "GM0828").await;
    let id = candidate_ids(&mut intake, 1, 1).await.remove(0);
    let mut beschut = suite.beschut().await;
    beschut.grant_indication(indication(&id, 0)).await.unwrap();
    beschut.create_placement(placement(&id, 0, 20)).await.unwrap();
    let f = beschut
        .get_beschut_figures(pb::GetBeschutFiguresRequest { scope: partnership(), on: date("2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(f.fte_elsewhere.unwrap().value, "0.645161");
    assert_eq!((f.working, f.plaatsingspercentage_rounded), (1, 100));
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 1, "GM0828").await;
    let id = candidate_ids(&mut intake, 1, 1).await.remove(0);
    let mut beschut = suite.beschut().await;

    let mut backwards = placement(&id, 0, 20);
    backwards.end_date = date("2022-02-28");
    let mut negative = placement(&id, 1, 20);
    negative.hours_per_week = decimal("-4");
    let unknown = placement("no-such-candidate", 2, 20);
    let mut elsewhere = placement(&id, 3, 20);
    elsewhere.municipality_code = "GM9999".into();
    for (request, field) in [(backwards, "end_date"), (negative, "hours_per_week"), (unknown, "candidate_id"), (elsewhere, "municipality_code")] {
        let status = beschut.create_placement(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(bad_fields(&status), [field]);
    }
    let mut no_reference = indication(&id, 0);
    no_reference.uwv_reference.clear();
    let status = beschut.grant_indication(no_reference).await.unwrap_err();
    assert_eq!(bad_fields(&status), ["uwv_reference"]);

    let placements = beschut.list_placements(pb::ListPlacementsRequest::default()).await.unwrap().into_inner();
    let indications = beschut.list_indications(pb::ListIndicationsRequest::default()).await.unwrap().into_inner();
    assert!(placements.placements.is_empty() && indications.indications.is_empty(), "nothing was stored");

    // Ending an indication twice is refused; the first end stands.
    let granted = beschut.grant_indication(indication(&id, 5)).await.unwrap().into_inner();
    let end = |date_text: &str| pb::EndIndicationRequest { indication_id: granted.id.clone(), end: pb::IndicationEnd::Withdrawn as i32, end_date: date(date_text) };
    beschut.end_indication(end("2022-01-01")).await.unwrap();
    let twice = beschut.end_indication(end("2022-02-01")).await.unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    let got = beschut.get_indication(pb::GetIndicationRequest { id: granted.id.clone() }).await.unwrap().into_inner();
    assert_eq!((got.end_date, got.history.len()), (date("2022-01-01"), 2));
}

#[tokio::test]
async fn schakeltrajecten_are_counted_per_period() {
    let suite = spawn_suite().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 3, "GM0828").await;
    let ids = candidate_ids(&mut intake, 1, 3).await;
    let mut beschut = suite.beschut().await;
    for (k, (start, end)) in [("2022-02-01", Some("2022-05-31")), ("2022-11-01", None), ("2021-10-01", Some("2022-01-31"))].iter().enumerate() {
        beschut
            .create_schakeltraject(pb::CreateSchakeltrajectRequest {
                request_id: format!("s-{k}"),
                candidate_id: ids[k].clone(),
                municipality_code: "GM0828".into(),
                start_date: date(start),
                end_date: end.and_then(date),
            })
            .await
            .unwrap();
    }
    let f = beschut
        .get_schakeltraject_figures(pb::GetSchakeltrajectFiguresRequest { scope: partnership(), first_day: date("2022-01-01"), last_day: date("2022-12-31") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((f.started, f.ended, f.running), (2, 2, 1));
}
