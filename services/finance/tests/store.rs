//! Finance's operations against a real store: a fresh SQLite file always,
//! and a fresh PostgreSQL database too when `PARTNERSHIP_TEST_DATABASE_URL`
//! names a server (CI does). Every test runs on each store it gets. The
//! peers (intake, employment) are fixed facts here; the end-to-end tests
//! talk to the real ones.

use std::sync::Arc;

use chrono::NaiveDate;
use partnership_finance::domain::allocation::KeyKind;
use partnership_finance::domain::calendar::Quarter;
use partnership_finance::domain::invoice::LineKind;
use partnership_finance::domain::lks::ContractFacts;
use partnership_finance::domain::municipality::{Directory, Municipality};
use partnership_finance::domain::pluspakket::Registration;
use partnership_finance::store::{InvoiceFilter, LumpsumFilter};
use partnership_finance::{
    AllocationRequest, AmountSource, Finance, FinanceReference, FixedPeers, KeyChoice, NewLumpsum, NewPeriod, Scope,
};
use partnership_platform::ServiceError;
use partnership_platform::testing::{TestStore, test_stores};
use rust_decimal::Decimal;
use serde::Deserialize;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The municipalities of intake's reference data file, as intake would
/// list them.
fn directory() -> Directory {
    #[derive(Deserialize)]
    struct File {
        municipalities: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        code: String,
        name: String,
        valid_from: Option<NaiveDate>,
        valid_to: Option<NaiveDate>,
        successor: Option<String>,
    }
    let file: File = toml::from_str(include_str!("../../intake/reference/municipalities.toml")).unwrap();
    Directory::new(
        file.municipalities
            .into_iter()
            .map(|m| Municipality {
                code: m.code,
                name: m.name,
                valid_from: m.valid_from,
                valid_to: m.valid_to,
                successor: m.successor,
            })
            .collect(),
    )
}

async fn each_store(test: impl AsyncFn(Finance, Arc<FixedPeers>, &TestStore)) {
    for store in test_stores("finance").await.expect("test stores") {
        let peers = Arc::new(FixedPeers { directory: directory(), ..FixedPeers::default() });
        let finance =
            Finance::open(&store.url, FinanceReference::embedded().unwrap(), peers.clone()).await.expect("open store");
        test(finance, peers, &store).await;
    }
}

fn first_period() -> NewPeriod {
    NewPeriod {
        request_id: Some("period-2021".into()),
        first_day: d("2021-07-01"),
        last_day: d("2022-12-31"),
        description: "2021–2022".into(),
    }
}

/// The first period with the 2021 lumpsum of 2,246,325 (base 2,180,898.06)
/// and a 2022 lumpsum allocated by the 2021 key too.
async fn first_period_with_lumpsums(finance: &Finance) -> (String, String, String) {
    let period = finance.create_period(first_period()).await.unwrap().period.id;
    let l2021 = finance
        .create_lumpsum(NewLumpsum {
            request_id: Some("lumpsum-2021".into()),
            budget_period_id: period.clone(),
            year: 2021,
            base: dec("2180898.06"),
            key: None,
        })
        .await
        .unwrap();
    let l2022 = finance
        .create_lumpsum(NewLumpsum {
            request_id: None,
            budget_period_id: period.clone(),
            year: 2022,
            base: dec("2180898.06"),
            key: Some((2021, KeyKind::PBudgetNieuweDoelgroepen)),
        })
        .await
        .unwrap();
    (period, l2021.id, l2022.id)
}

fn beschut_contract(id: &str, municipality: &str, start: &str) -> ContractFacts {
    ContractFacts {
        contract_id: id.into(),
        candidate_id: format!("candidate-{id}"),
        paying_municipality_code: municipality.into(),
        start: d(start),
        end: None,
        hours_per_week: dec("36"),
        beschut: true,
        initial_loonwaarde: Some(dec("40")),
        measurements: Vec::new(),
    }
}

fn registration(id: &str, municipality: &str, service: &str, date: &str) -> Registration {
    Registration { id: id.into(), municipality_code: municipality.into(), service_code: service.into(), date: d(date) }
}

fn code(err: ServiceError) -> (&'static str, String) {
    match err {
        ServiceError::InvalidArgument(v) => ("invalid", v[0].field.clone()),
        ServiceError::FailedPrecondition { field, .. } => ("precondition", field),
        other => ("other", other.to_string()),
    }
}

#[tokio::test]
async fn budget_periods_never_overlap_and_a_refused_one_changes_nothing() {
    each_store(async |finance, _, store| {
        let first = finance.create_period(first_period()).await.unwrap();
        let again = finance.create_period(first_period()).await.unwrap();
        assert_eq!(first.period.id, again.period.id, "{}: idempotent by request id", store.label);

        let overlapping = NewPeriod {
            request_id: None,
            first_day: d("2022-07-01"),
            last_day: d("2024-06-30"),
            description: String::new(),
        };
        let err = finance.create_period(overlapping).await.unwrap_err();
        assert_eq!(code(err), ("precondition", "first_day".into()), "{}", store.label);
        let not_a_month_edge = NewPeriod {
            request_id: None,
            first_day: d("2023-01-02"),
            last_day: d("2024-12-31"),
            description: String::new(),
        };
        assert_eq!(code(finance.create_period(not_a_month_edge).await.unwrap_err()).1, "first_day");
        assert_eq!(finance.periods().await.unwrap().len(), 1, "{}: nothing was added", store.label);

        let next = NewPeriod {
            request_id: None,
            first_day: d("2023-01-01"),
            last_day: d("2024-12-31"),
            description: "2023–2024".into(),
        };
        finance.create_period(next).await.unwrap();
        let periods = finance.list_periods(None, 10).await.unwrap();
        assert_eq!(periods.iter().map(|p| p.period.first_day).collect::<Vec<_>>(), [d("2021-07-01"), d("2023-01-01")]);
    })
    .await;
}

#[tokio::test]
async fn lumpsums_keep_base_and_surcharge_apart_and_bad_ones_change_nothing() {
    each_store(async |finance, _, store| {
        let (period, l2021, _) = first_period_with_lumpsums(&finance).await;
        let stored = finance.lumpsum(&l2021).await.unwrap();
        assert_eq!(stored.amounts.base, dec("2180898.06"), "{}", store.label);
        assert_eq!(stored.amounts.surcharge, dec("65426.94"));
        assert_eq!(stored.amounts.surcharge_percent, dec("3"));
        assert_eq!(stored.amounts.total(), dec("2246325"));

        let new = |year: i32, base: &str| NewLumpsum {
            request_id: None,
            budget_period_id: period.clone(),
            year,
            base: dec(base),
            key: None,
        };
        assert_eq!(code(finance.create_lumpsum(new(2023, "-1")).await.unwrap_err()), ("invalid", "base".into()));
        assert_eq!(code(finance.create_lumpsum(new(2023, "100")).await.unwrap_err()), ("invalid", "year".into()));
        assert_eq!(code(finance.create_lumpsum(new(2021, "100")).await.unwrap_err()), ("precondition", "year".into()));
        let mut unknown_period = new(2021, "100");
        unknown_period.budget_period_id = "nope".into();
        assert_eq!(code(finance.create_lumpsum(unknown_period).await.unwrap_err()).1, "budget_period_id");
        let mut no_key = new(2022, "100");
        no_key.key = Some((2019, KeyKind::Bijstandsontvangers));
        assert_eq!(code(finance.create_lumpsum(no_key).await.unwrap_err()), ("precondition", "key".into()));

        let all = finance.list_lumpsums(&LumpsumFilter::default(), 100).await.unwrap();
        assert_eq!(all.iter().map(|l| l.year).collect::<Vec<_>>(), [2021, 2022], "{}: nothing was added", store.label);
    })
    .await;
}

#[tokio::test]
async fn a_stored_lumpsum_allocates_to_the_cent_as_in_the_worked_example() {
    each_store(async |finance, _, store| {
        let (_, l2021, _) = first_period_with_lumpsums(&finance).await;
        let request = AllocationRequest { amount: AmountSource::Lumpsum(l2021), key: KeyChoice::OfLumpsum };
        let view = finance.allocate(request).await.unwrap();
        let amount = |code: &str| view.parts.iter().find(|p| p.municipality_code == code).unwrap().amount;
        assert_eq!(amount("GM0828"), dec("952620.03"), "{}", store.label);
        assert_eq!(amount("GM1721"), dec("149373.63"));
        assert_eq!(view.parts.iter().map(|p| p.amount).sum::<Decimal>(), dec("2246325"));

        let unknown = AllocationRequest {
            amount: AmountSource::Amount(dec("100")),
            key: KeyChoice::AdHoc(vec![partnership_finance::domain::allocation::KeyEntry {
                municipality_code: "GM9999".into(),
                weight: dec("1"),
            }]),
        };
        assert_eq!(
            code(finance.allocate(unknown).await.unwrap_err()),
            ("invalid", "key_entries[0].municipality_code".into())
        );
    })
    .await;
}

#[tokio::test]
async fn issued_invoices_never_change_and_corrections_come_as_new_lines() {
    each_store(async |finance, peers, store| {
        first_period_with_lumpsums(&finance).await;
        peers.contracts.lock().unwrap().push(beschut_contract("HR-1", "GM0828", "2021-01-01"));
        peers.registrations.lock().unwrap().extend([
            registration("r1", "GM0828", "Z_ROUTE", "2021-07-15"),
            registration("r2", "GM0828", "Z_ROUTE", "2021-09-01"),
            registration("r3", "GM0828", "Z_ROUTE", "2021-10-01"),
        ]);
        let q3 = Quarter::new(2021, 3).unwrap();

        let preview = finance.preview_invoice("GM0828", q3).await.unwrap();
        let first = finance.issue_invoice(Some("inv-oss-q3".into()), "GM0828", q3).await.unwrap();
        assert_eq!(first.lines, preview.lines, "{}: the preview is what was issued", store.label);
        assert_eq!((first.seq, first.number.as_str()), (1, "2021-Q3-GM0828-1"));
        let kinds: Vec<LineKind> = first.lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, [LineKind::LumpsumInstalment, LineKind::Lks, LineKind::Pluspakket]);
        // Oss's 2021 part over Q3 and Q4: 952,620.03 = 476,310.02 + 476,310.01.
        assert_eq!(first.lines[0].amount, dec("476310.02"));
        assert!(first.lines[0].trace.contains("GM0828 € 952620.03"), "{}", first.lines[0].trace);
        // Beschut, full time, July–September 2021: 3 × 1,701.00 × 70% × 1.23.
        assert_eq!(first.lines[1].amount, dec("1464.56") * dec("3"));
        // Two Z-route participants in Q3 at the 2021 price of 4,800.
        assert_eq!((first.lines[2].quantity, first.lines[2].amount), (dec("2"), dec("9600")));
        assert_eq!(first.total, first.lines.iter().map(|l| l.amount).sum::<Decimal>());
        let again = finance.issue_invoice(Some("inv-oss-q3".into()), "GM0828", q3).await.unwrap();
        assert_eq!(again.id, first.id, "idempotent by request id");

        let nothing_new = finance.issue_invoice(None, "GM0828", q3).await.unwrap_err();
        assert_eq!(code(nothing_new), ("precondition", "quarter".into()));

        // A contract HR pushed late, and a contract that ended earlier than
        // invoiced: the second invoice corrects, the first stays as it was.
        {
            let mut contracts = peers.contracts.lock().unwrap();
            contracts[0].end = Some(d("2021-08-31"));
            contracts.push(beschut_contract("HR-2", "GM0828", "2021-09-16"));
        }
        let second = finance.issue_invoice(None, "GM0828", q3).await.unwrap();
        assert_eq!(second.seq, 2, "{}", store.label);
        assert!(second.lines.iter().all(|l| l.correction));
        let sources: Vec<(&str, Decimal)> = second.lines.iter().map(|l| (l.source.as_str(), l.amount)).collect();
        // 1,464.56 × 15/30 = 732.2805 → 732.28.
        assert_eq!(sources, [("lks/HR-1", dec("-1464.56")), ("lks/HR-2", dec("732.28"))]);
        assert_eq!(finance.invoice(&first.id).await.unwrap(), first, "the issued invoice is unchanged");

        let listed =
            finance.list_invoices(&InvoiceFilter { year: Some(2021), ..InvoiceFilter::default() }, 10).await.unwrap();
        assert_eq!(listed.len(), 2);

        let budget = finance.budget_realisation("GM0828", 2021).await.unwrap();
        let lumpsum = budget.kinds.iter().find(|k| k.0 == LineKind::LumpsumInstalment).unwrap();
        assert_eq!((lumpsum.1, lumpsum.2), (dec("952620.03"), dec("476310.02")));
        let lks = budget.kinds.iter().find(|k| k.0 == LineKind::Lks).unwrap();
        assert_eq!(lks.2, dec("1464.56") * dec("3") - dec("1464.56") + dec("732.28"));
    })
    .await;
}

#[tokio::test]
async fn after_the_merger_the_2021_key_is_invoiced_to_todays_municipalities() {
    each_store(async |finance, peers, store| {
        first_period_with_lumpsums(&finance).await;
        // Contracts recorded under Uden keep being paid by Maashorst.
        peers.contracts.lock().unwrap().push(beschut_contract("HR-U", "GM0856", "2021-01-01"));
        let mut maashorst_year = Decimal::ZERO;
        for quarter in Quarter::of_year(2022) {
            let invoice = finance.issue_invoice(None, "GM1991", quarter).await.unwrap();
            let lumpsum = invoice.lines.iter().find(|l| l.kind == LineKind::LumpsumInstalment).unwrap();
            assert!(lumpsum.trace.contains("GM0856") && lumpsum.trace.contains("GM1685"), "{}", lumpsum.trace);
            assert!(invoice.lines.iter().any(|l| l.source == "lks/HR-U"), "{}", store.label);
            maashorst_year += lumpsum.amount;
        }
        // Uden 281,978.21 + Landerd 69,433.43, in four instalments that add up.
        assert_eq!(maashorst_year, dec("351411.64"), "{}", store.label);

        let uden = finance.issue_invoice(None, "GM0856", Quarter::new(2022, 1).unwrap()).await.unwrap_err();
        assert_eq!(code(uden), ("precondition", "municipality_code".into()));
        let unknown = finance.issue_invoice(None, "GM9999", Quarter::new(2022, 1).unwrap()).await.unwrap_err();
        assert_eq!(code(unknown), ("invalid", "municipality_code".into()));
        let before_the_period =
            finance.issue_invoice(None, "GM0828", Quarter::new(2021, 1).unwrap()).await.unwrap_err();
        assert_eq!(code(before_the_period), ("precondition", "quarter".into()));
        let invoices = finance.list_invoices(&InvoiceFilter::default(), 100).await.unwrap();
        assert_eq!(invoices.len(), 4, "{}: refused invoices left nothing behind", store.label);

        let figures = finance.figures(&Scope::Municipality("GM1991".into()), 2022, 2).await.unwrap();
        let lumpsum = &figures.lumpsum[0];
        assert_eq!((lumpsum.municipality_code.as_str(), lumpsum.yearly_amount), ("GM1991", dec("351411.64")));
        assert_eq!(lumpsum.through_quarter_amount, dec("175705.82"));
        assert_eq!(figures.lks.len(), 1);
        assert!(figures.unavailable.is_empty());
    })
    .await;
}
