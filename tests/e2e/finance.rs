//! Finance end to end: the suite runs on free ports; a controller fixes the
//! budget period and lumpsum, allocates it, issues invoices and reads the
//! figures — through gRPC only. Municipalities register pluspakket
//! participants at intake and IBN's HR system pushes PW contracts to
//! employment; finance learns of both from those services.

use partnership_e2e::*;
use partnership_proto::employment as epb;
use partnership_proto::finance as fpb;
use partnership_proto::google::r#type::Decimal;
use partnership_proto::intake as ipb;
use tonic::Code;

/// Whole cents of a money amount as finance sends it ("952620.03").
fn cents(amount: &Option<Decimal>) -> i64 {
    let text = &amount.as_ref().expect("an amount").value;
    let (whole, fraction) = text.split_once('.').expect("money has two decimals");
    assert_eq!(fraction.len(), 2, "{text}");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    let whole: i64 = whole.trim_start_matches('-').parse().unwrap();
    sign * (whole * 100 + fraction.parse::<i64>().unwrap())
}

fn text(amount: &Option<Decimal>) -> &str {
    &amount.as_ref().expect("a decimal").value
}

fn first_period() -> fpb::CreateBudgetPeriodRequest {
    fpb::CreateBudgetPeriodRequest {
        request_id: "period-2021-2022".into(),
        first_day: date("2021-07-01"),
        last_day: date("2022-12-31"),
        description: "2021–2022".into(),
    }
}

/// The first budget period and its 2021 lumpsum: base 2,180,898.06 plus 3%
/// gives the worked example's 2,246,325.
async fn fix_2021_lumpsum(controller: &mut Controller) -> fpb::Lumpsum {
    let period = controller.finance.create_budget_period(first_period()).await.expect("period").into_inner();
    let request = fpb::CreateLumpsumRequest {
        request_id: "lumpsum-2021".into(),
        budget_period_id: period.id,
        year: 2021,
        base: decimal("2180898.06"),
        key: None,
    };
    controller.finance.create_lumpsum(request).await.expect("lumpsum").into_inner()
}

fn part<'a>(allocation: &'a fpb::Allocation, code: &str) -> &'a fpb::AllocationPart {
    allocation.parts.iter().find(|p| p.municipality_code == code).unwrap_or_else(|| panic!("no part for {code}"))
}

#[tokio::test]
async fn the_2021_allocation_worked_example_is_reproduced_to_the_cent() {
    let suite = spawn_suite().await;
    let mut controller = suite.controller().await;
    let lumpsum = fix_2021_lumpsum(&mut controller).await;
    assert_eq!(text(&lumpsum.base), "2180898.06");
    assert_eq!(text(&lumpsum.surcharge), "65426.94");
    assert_eq!(text(&lumpsum.total), "2246325.00");

    let by_lumpsum = fpb::AllocateLumpsumRequest {
        amount_source: Some(fpb::allocate_lumpsum_request::AmountSource::LumpsumId(lumpsum.id.clone())),
        ..Default::default()
    };
    let allocation = controller.finance.allocate_lumpsum(by_lumpsum).await.expect("allocation").into_inner();
    assert_eq!(allocation.parts.len(), 11, "the 2021 key names the municipalities before the merger");
    assert_eq!(text(&part(&allocation, "GM0828").amount), "952620.03");
    assert_eq!(text(&part(&allocation, "GM1721").amount), "149373.63");
    assert_eq!(allocation.parts.iter().map(|p| cents(&p.amount)).sum::<i64>(), 224_632_500, "the parts add up exactly");
    // Within €1 of the published (rounded) table: Oss 952,620, Bernheze 149,374.
    assert!((cents(&part(&allocation, "GM0828").amount) - 95_262_000).abs() < 100);
    assert!((cents(&part(&allocation, "GM1721").amount) - 14_937_400).abs() < 100);
    let uden = part(&allocation, "GM0856");
    assert_eq!((uden.municipality_name.as_str(), uden.current_municipality_code.as_str()), ("Uden", "GM1991"));
    assert_eq!(text(&part(&allocation, "GM0828").p_budget_share_percent), "50.58");

    let by_amount = fpb::AllocateLumpsumRequest {
        amount_source: Some(fpb::allocate_lumpsum_request::AmountSource::Amount(decimal("2246325").unwrap())),
        key: Some(fpb::AllocationKeyRef { year: 2021, kind: fpb::AllocationKeyKind::PBudgetNieuweDoelgroepen as i32 }),
        key_entries: Vec::new(),
    };
    let again = controller.finance.allocate_lumpsum(by_amount).await.expect("allocation").into_inner();
    assert_eq!(again.parts, allocation.parts);

    let keys = controller
        .finance
        .list_allocation_keys(fpb::ListAllocationKeysRequest { year: 2021, ..Default::default() })
        .await
        .expect("keys")
        .into_inner();
    assert_eq!(keys.keys[0].entries.len(), 11);
    assert_eq!(text(&keys.keys[0].total_weight), "4440794");
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    let suite = spawn_suite().await;
    let mut controller = suite.controller().await;
    let period = controller.finance.create_budget_period(first_period()).await.expect("period").into_inner();

    // A negative lumpsum.
    let negative = fpb::CreateLumpsumRequest {
        budget_period_id: period.id.clone(),
        year: 2021,
        base: decimal("-100.00"),
        ..Default::default()
    };
    let err = controller.finance.create_lumpsum(negative).await.unwrap_err();
    assert_eq!((err.code(), bad_fields(&err)), (Code::InvalidArgument, vec!["base".to_owned()]));
    let lumpsums = controller.finance.list_lumpsums(fpb::ListLumpsumsRequest::default()).await.unwrap().into_inner();
    assert!(lumpsums.lumpsums.is_empty(), "nothing was stored");

    // A key whose weights add up to zero, and one naming an unknown municipality.
    let amount = || Some(fpb::allocate_lumpsum_request::AmountSource::Amount(decimal("1000").unwrap()));
    let entry = |code: &str, weight: &str| fpb::KeyEntry { municipality_code: code.into(), weight: decimal(weight) };
    let zero = fpb::AllocateLumpsumRequest {
        amount_source: amount(),
        key: None,
        key_entries: vec![entry("GM0828", "0"), entry("GM1721", "0")],
    };
    let err = controller.finance.allocate_lumpsum(zero).await.unwrap_err();
    assert_eq!((err.code(), bad_fields(&err)), (Code::InvalidArgument, vec!["key_entries".to_owned()]));
    assert!(err.message().contains("zero"), "{}", err.message());
    let unknown = fpb::AllocateLumpsumRequest {
        amount_source: amount(),
        key: None,
        key_entries: vec![entry("GM9999", "10"), entry("GM0828", "5")],
    };
    let err = controller.finance.allocate_lumpsum(unknown).await.unwrap_err();
    assert_eq!(bad_fields(&err), ["key_entries[0].municipality_code"]);
    let negative_amount = fpb::AllocateLumpsumRequest {
        amount_source: Some(fpb::allocate_lumpsum_request::AmountSource::Amount(decimal("-5").unwrap())),
        key: Some(fpb::AllocationKeyRef { year: 2021, kind: fpb::AllocationKeyKind::PBudgetNieuweDoelgroepen as i32 }),
        key_entries: Vec::new(),
    };
    assert_eq!(bad_fields(&controller.finance.allocate_lumpsum(negative_amount).await.unwrap_err()), ["amount"]);

    // An overlapping period.
    let overlapping = fpb::CreateBudgetPeriodRequest {
        request_id: String::new(),
        first_day: date("2022-01-01"),
        last_day: date("2023-12-31"),
        description: String::new(),
    };
    let err = controller.finance.create_budget_period(overlapping).await.unwrap_err();
    assert_eq!((err.code(), bad_fields(&err)), (Code::FailedPrecondition, vec!["first_day".to_owned()]));
    let periods =
        controller.finance.list_budget_periods(fpb::ListBudgetPeriodsRequest::default()).await.unwrap().into_inner();
    assert_eq!(periods.budget_periods.len(), 1, "nothing was stored");

    // An invoice for an unknown municipality, and for one merged away.
    let issue = |code: &str, year: i32, quarter: i32| fpb::IssueInvoiceRequest {
        request_id: String::new(),
        municipality_code: code.into(),
        year,
        quarter,
    };
    let err = controller.finance.issue_invoice(issue("GM9999", 2021, 3)).await.unwrap_err();
    assert_eq!((err.code(), bad_fields(&err)), (Code::InvalidArgument, vec!["municipality_code".to_owned()]));
    let err = controller.finance.issue_invoice(issue("GM0856", 2022, 1)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("merged into GM1991"), "{}", err.message());
    let err = controller.finance.issue_invoice(issue("GM0828", 2021, 5)).await.unwrap_err();
    assert_eq!(bad_fields(&err), ["quarter"]);
    let invoices = controller.finance.list_invoices(fpb::ListInvoicesRequest::default()).await.unwrap().into_inner();
    assert!(invoices.invoices.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn pluspakket_participants_and_revenue_come_from_intakes_registrations() {
    let suite = spawn_suite().await;
    let mut controller = suite.controller().await;
    let registrations = [
        ("GM0828", "Z_ROUTE", "2022-01-10"),
        ("GM0828", "Z_ROUTE", "2022-02-20"),
        ("GM0828", "Z_ROUTE", "2022-05-02"),
        ("GM0828", "OAD", "2022-03-15"),
        ("GM1721", "Z_ROUTE", "2022-03-01"),
        ("GM0828", "Z_ROUTE", "2021-12-01"),
    ];
    for (n, (code, service, day)) in registrations.iter().enumerate() {
        let mut system = suite.municipality(code).await;
        let candidate = system.register_candidate(500 + n as u32, "1985-04-01").await;
        let request = ipb::CreatePluspakketRegistrationRequest {
            request_id: format!("plus-{n}"),
            candidate_id: candidate,
            municipality_code: (*code).into(),
            service_code: (*service).into(),
            registration_date: date(day),
        };
        system.intake.create_pluspakket_registration(request).await.expect("pluspakket registration");
    }
    let prices = controller
        .finance
        .list_pluspakket_prices(fpb::ListPluspakketPricesRequest { year: 2022, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .prices;
    let price =
        |service: &str| cents(&prices.iter().find(|p| p.service_code == service).unwrap().price_per_participant);

    let figures = |scope, through_quarter| fpb::GetFinanceFiguresRequest { scope, year: 2022, through_quarter };
    let year = controller.finance.get_finance_figures(figures(partnership(), 4)).await.unwrap().into_inner();
    let figure = |f: &fpb::FinanceFigures, code: &str, service: &str| {
        f.pluspakket
            .iter()
            .find(|p| p.municipality_code == code && p.service_code == service)
            .map(|p| (p.participants, cents(&p.revenue)))
    };
    assert_eq!(
        figure(&year, "GM0828", "Z_ROUTE"),
        Some((3, 3 * price("Z_ROUTE"))),
        "the 2021 registration is not in 2022"
    );
    assert_eq!(figure(&year, "GM0828", "OAD"), Some((1, price("OAD"))));
    assert_eq!(figure(&year, "GM1721", "Z_ROUTE"), Some((1, price("Z_ROUTE"))));
    assert_eq!(year.pluspakket_participants, 5);
    assert_eq!(cents(&year.pluspakket_revenue), 4 * price("Z_ROUTE") + price("OAD"));

    let q1 = controller.finance.get_finance_figures(figures(partnership(), 1)).await.unwrap().into_inner();
    assert_eq!(figure(&q1, "GM0828", "Z_ROUTE"), Some((2, 2 * price("Z_ROUTE"))));
    let bernheze =
        controller.finance.get_finance_figures(figures(municipality("GM1721"), 4)).await.unwrap().into_inner();
    assert_eq!(bernheze.pluspakket_participants, 1);

    // Intake counts them for the figures, per municipality and service in
    // that order (no person leaves it), for a dashboard as for finance.
    let mut dashboard = suite.dashboard().await;
    let count = |municipality_code: &str, first: &str, last: &str| ipb::CountPluspakketRegistrationsRequest {
        municipality_code: municipality_code.into(),
        first_day: date(first),
        last_day: date(last),
    };
    let counted = |c: ipb::PluspakketRegistrationCounts| {
        c.counts.into_iter().map(|c| (c.municipality_code, c.service_code, c.registrations)).collect::<Vec<_>>()
    };
    let all = dashboard.intake.count_pluspakket_registrations(count("", "2022-01-01", "2022-12-31")).await.unwrap().into_inner();
    let row = |m: &str, s: &str, n| (m.to_owned(), s.to_owned(), n);
    assert_eq!(counted(all), [row("GM0828", "OAD", 1), row("GM0828", "Z_ROUTE", 3), row("GM1721", "Z_ROUTE", 1)]);
    let oss_q1 = dashboard.intake.count_pluspakket_registrations(count("GM0828", "2022-01-01", "2022-03-31")).await.unwrap().into_inner();
    assert_eq!(counted(oss_q1), [row("GM0828", "OAD", 1), row("GM0828", "Z_ROUTE", 2)]);
    let refused = |request| {
        let mut intake = dashboard.intake.clone();
        async move { bad_fields(&intake.count_pluspakket_registrations(request).await.unwrap_err()) }
    };
    assert_eq!(refused(ipb::CountPluspakketRegistrationsRequest::default()).await, ["first_day", "last_day"]);
    assert_eq!(refused(count("GM9999", "2022-01-01", "2022-03-31")).await, ["municipality_code"]);
    assert_eq!(refused(count("", "2022-03-31", "2022-01-01")).await, ["last_day"]);
    assert_eq!(refused(count("", "2021-12-01", "2022-03-31")).await, ["last_day"], "a price is per year");

    // Oss is invoiced per service for the participants registered in Q1.
    let request = fpb::IssueInvoiceRequest {
        request_id: "oss-2022-q1".into(),
        municipality_code: "GM0828".into(),
        year: 2022,
        quarter: 1,
    };
    let invoice = controller.finance.issue_invoice(request).await.expect("invoice").into_inner();
    let z_route = invoice.lines.iter().find(|l| l.source == "pluspakket/Z_ROUTE/GM0828").expect("Z-route line");
    assert_eq!((text(&z_route.quantity), cents(&z_route.amount)), ("2", 2 * price("Z_ROUTE")));
    assert_eq!(z_route.trace.matches(", ").count(), 1, "two registrations traced: {}", z_route.trace);
    assert_eq!(cents(&invoice.total), invoice.lines.iter().map(|l| cents(&l.amount)).sum::<i64>());
}

/// A PW contract as IBN's HR system pushes it.
fn pw_contract(
    id: &str,
    n: u32,
    start: &str,
    end: Option<&str>,
    hours: &str,
    beschut: bool,
    loonwaarde: &str,
) -> epb::ContractInput {
    let doelgroep = if beschut { epb::Doelgroep::NieuwBeschut } else { epb::Doelgroep::NieuwRegulier };
    epb::ContractInput {
        hr_contract_id: id.into(),
        bsn: bsn(n),
        kind: epb::ContractKind::Pw as i32,
        start_date: date(start),
        end_date: end.and_then(date),
        hours_per_week: decimal(hours),
        pw: Some(epb::PwClassification {
            soort_plaatsing: epb::SoortPlaatsing::Aanbodgestuurd as i32,
            doelgroep: doelgroep as i32,
            uitstroomprofiel: epb::Uitstroomprofiel::NietBekend as i32,
            loonwaarde: Some(epb::Loonwaarde {
                value: Some(epb::loonwaarde::Value::MeasuredPercent(decimal(loonwaarde).unwrap())),
            }),
            werkladder_step: epb::WerkladderStep::WerkenBinnenIbn as i32,
            paying_municipality_code: "GM0828".into(),
        }),
        municipality_code: String::new(),
    }
}

#[tokio::test]
async fn lks_from_employments_contracts_is_invoiced_and_corrected_by_new_lines() {
    let suite = spawn_suite().await;
    let mut controller = suite.controller().await;
    fix_2021_lumpsum(&mut controller).await;
    let mut oss = suite.municipality("GM0828").await;
    oss.register_candidate(901, "1990-01-01").await;
    oss.register_candidate(902, "1995-01-01").await;
    let beschut = pw_contract("HR-901", 901, "2021-01-01", None, "36", true, "40");
    let part_time = pw_contract("HR-902", 902, "2021-08-16", None, "24", false, "45");
    let pushed = suite.hr().await.push(&[beschut.clone(), part_time], 10).await;
    assert_eq!(pushed[0].created, 2, "{:?}", pushed[0].results);

    let lks = controller
        .finance
        .compute_lks(fpb::ComputeLksRequest { municipality_code: "GM0828".into(), year: 2021, quarter: 3 })
        .await
        .expect("lks")
        .into_inner();
    let amount = |id: &str| cents(&lks.contracts.iter().find(|c| c.hr_contract_id == id).unwrap().amount);
    // Beschut: 70% whatever the loonwaarde: 3 × 1,701.00 × 70% × 1.23.
    assert_eq!(amount("HR-901"), 3 * 146_456);
    // Loonwaarde 45, 24 of 36 hours, from 16 August: 395.95 + 767.15.
    assert_eq!(amount("HR-902"), 39_595 + 76_715);
    let august = &lks.contracts.iter().find(|c| c.hr_contract_id == "HR-902").unwrap().months[0];
    assert_eq!((august.month, august.days_covered, august.days_in_month), (8, 16, 31));
    assert_eq!(text(&august.segments[0].subsidy_percent), "55");

    let issue = |request_id: &str| fpb::IssueInvoiceRequest {
        request_id: request_id.into(),
        municipality_code: "GM0828".into(),
        year: 2021,
        quarter: 3,
    };
    let first = controller.finance.issue_invoice(issue("oss-q3-a")).await.expect("invoice").into_inner();
    let kinds: Vec<i32> = first.lines.iter().map(|l| l.kind).collect();
    let (instalment, lks_kind) = (fpb::InvoiceLineKind::LumpsumInstalment as i32, fpb::InvoiceLineKind::Lks as i32);
    assert_eq!(kinds, [instalment, lks_kind, lks_kind]);
    assert_eq!(cents(&first.lines[0].amount), 47_631_002, "half of Oss's 952,620.03");
    assert_eq!(cents(&first.total), 47_631_002 + 3 * 146_456 + 39_595 + 76_715);

    // HR ends the beschut contract on 31 August: the next invoice credits September.
    let mut ended = beschut;
    ended.end_date = date("2021-08-31");
    suite.hr().await.push(&[ended], 10).await;
    let correction = controller.finance.issue_invoice(issue("oss-q3-b")).await.expect("correction").into_inner();
    assert_eq!(correction.sequence, 2);
    assert_eq!(correction.lines.len(), 1);
    assert!(correction.lines[0].correction);
    assert_eq!((correction.lines[0].source.as_str(), cents(&correction.lines[0].amount)), ("lks/HR-901", -146_456));
    let reread =
        controller.finance.get_invoice(fpb::GetInvoiceRequest { id: first.id.clone() }).await.unwrap().into_inner();
    assert_eq!(reread, first, "an issued invoice never changes");

    let budget = controller
        .finance
        .get_budget_realisation(fpb::GetBudgetRealisationRequest { municipality_code: "GM0828".into(), year: 2021 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cents(&budget.budget_total), 95_262_003);
    assert_eq!(cents(&budget.invoiced_total), cents(&first.total) + cents(&correction.total));

    let figures = controller
        .finance
        .get_finance_figures(fpb::GetFinanceFiguresRequest {
            scope: municipality("GM0828"),
            year: 2021,
            through_quarter: 3,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(figures.unavailable.is_empty(), "{:?}", figures.unavailable);
    assert_eq!(figures.lks[0].contracts, 2);
    // January–August beschut, and the part-time contract from 16 August.
    assert_eq!(cents(&figures.lks_total), cents(&lks_for_year_to_august()) + 39_595 + 76_715);
    assert_eq!(cents(&figures.lumpsum[0].through_quarter_amount), 47_631_002);
}

/// Beschut, full time, January–June at 1,684.80 and July–August at 1,701.00.
fn lks_for_year_to_august() -> Option<Decimal> {
    // 1,684.80 × 70% × 1.23 = 1,450.6128 → 1,450.61 a month.
    let cents = 6 * 145_061 + 2 * 146_456;
    decimal(&format!("{}.{:02}", cents / 100, cents % 100))
}

#[tokio::test]
async fn without_employment_lks_figures_say_so_and_no_invoice_is_issued() {
    let mut suite = spawn_suite().await;
    let mut controller = suite.controller().await;
    fix_2021_lumpsum(&mut controller).await;
    suite.suite.stop_service(partnership_suite::Service::Employment).await.expect("employment stops");

    let request = fpb::GetFinanceFiguresRequest { scope: partnership(), year: 2021, through_quarter: 4 };
    let figures = controller.finance.get_finance_figures(request).await.expect("figures").into_inner();
    assert_eq!(figures.unavailable.len(), 1, "{:?}", figures.unavailable);
    assert!(figures.unavailable[0].starts_with("employment"), "{:?}", figures.unavailable);
    assert!(figures.lks.is_empty(), "no estimate stands in for LKS");
    assert_eq!(cents(&figures.lumpsum_total), 224_632_500, "the lumpsum does not depend on employment");

    let issue = fpb::IssueInvoiceRequest {
        request_id: String::new(),
        municipality_code: "GM0828".into(),
        year: 2021,
        quarter: 3,
    };
    let err = controller.finance.issue_invoice(issue).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    let invoices = controller.finance.list_invoices(fpb::ListInvoicesRequest::default()).await.unwrap().into_inner();
    assert!(invoices.invoices.is_empty(), "an invoice without its LKS is not issued");
}

/// The year's LKS figures come from contracts grouped by their LKS facts in
/// employment; a quarter's statement is computed contract by contract.
/// Over generated contracts — many sharing facts, some starting or ending
/// in the year, some measured again — the two agree to the cent.
#[tokio::test]
async fn lks_figures_from_grouped_contracts_equal_the_contract_statements() {
    let suite = spawn_suite().await;
    let mut controller = suite.controller().await;
    let mut intake = suite.intake().await;
    import_candidates(&mut intake, 1, 80, "GM0828").await;
    let mut rng = Rng::new(2021);
    let mut contracts = Vec::new();
    let mut running_in_2021 = 0;
    for n in 1..=80u32 {
        let start = rng.pick(&["2019-05-01", "2020-01-01", "2020-01-01", "2021-02-15", "2021-07-01", "2021-11-30"]);
        let end = rng.pick(&[None, None, Some("2020-12-31"), Some("2021-03-31"), Some("2021-09-14"), Some("2022-06-30")]);
        let end = end.filter(|e| *e >= start);
        let hours = rng.pick(&["36", "36", "24", "18.5"]);
        let loonwaarde = rng.pick(&["40", "40", "65", "90"]);
        contracts.push(pw_contract(&format!("G-{n}"), n, start, end, hours, rng.below(3) == 0, loonwaarde));
        if end.is_none_or(|e| e >= "2021-01-01") {
            running_in_2021 += 1;
        }
    }
    let pushed = suite.hr().await.push(&contracts, 100).await;
    assert_eq!(pushed[0].created, 80, "{:?}", pushed[0].results);
    let mut employment = suite.employment().await;
    for (n, (when, percent)) in [(3, ("2021-05-01", "55")), (7, ("2020-06-01", "70")), (11, ("2021-12-01", "30"))] {
        let change = epb::development_event::Change::LoonwaardePercent(decimal(percent).unwrap());
        let event = epb::DevelopmentEvent { hr_contract_id: format!("G-{n}"), effective_date: date(when), change: Some(change) };
        let recorded = employment
            .record_development(epb::RecordDevelopmentRequest { request_id: format!("m-{n}"), event: Some(event) })
            .await;
        // A measurement before a contract's start is refused; the others count.
        if let Err(status) = recorded {
            assert_eq!(bad_fields(&status), ["event.effective_date"], "{status:?}");
        }
    }

    let mut by_statements = 0;
    for quarter in 1..=4 {
        let statement = controller
            .finance
            .compute_lks(fpb::ComputeLksRequest { municipality_code: "GM0828".into(), year: 2021, quarter })
            .await
            .expect("statement")
            .into_inner();
        by_statements += cents(&statement.total);
    }
    let figures = controller
        .finance
        .get_finance_figures(fpb::GetFinanceFiguresRequest { scope: municipality("GM0828"), year: 2021, through_quarter: 4 })
        .await
        .unwrap()
        .into_inner();
    assert!(figures.unavailable.is_empty(), "{:?}", figures.unavailable);
    assert!(by_statements > 0);
    assert_eq!(cents(&figures.lks_total), by_statements);
    assert_eq!(figures.lks.len(), 1);
    assert_eq!(figures.lks[0].contracts, running_in_2021);
}
