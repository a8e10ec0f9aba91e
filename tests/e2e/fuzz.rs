//! Bad input, generated: every create/update RPC of the suite gets requests
//! that differ from a valid one in one field — malformed BSNs, impossible or
//! out-of-range dates, enum values the server does not know, strings of odd
//! sizes and encodings, batches over the documented maxima. For each the
//! server must answer (no panic, no INTERNAL), refuse with INVALID_ARGUMENT
//! and a `google.rpc.BadRequest` naming that field (or NOT_FOUND where a
//! well-formed id refers to nothing), and leave its store unchanged.
//!
//! Cases come from proptest strategies, drawn with a fixed seed so every run
//! (and CI) sees the same ones; `PROPTEST_CASES` sets how many per RPC
//! (default 64). A failure prints the RPC, the field and the value.

use std::future::Future;

use partnership_e2e::*;
use partnership_intake::domain::bsn::Bsn;
use partnership_proto::beschut as bpb;
use partnership_proto::employment as epb;
use partnership_proto::finance as fpb;
use partnership_proto::google::r#type::{Date, Decimal};
use partnership_proto::intake as ipb;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tonic::Code;

// ------------------------------------------------------------- bad values

/// One generated bad value, whatever the field's type.
#[derive(Debug, Clone)]
enum Bad {
    Text(String),
    Date(Option<Date>),
    Int(i32),
    Decimal(Option<Decimal>),
}

impl Bad {
    fn text(self) -> String {
        match self {
            Bad::Text(t) => t,
            other => panic!("not text: {other:?}"),
        }
    }
    fn date(self) -> Option<Date> {
        match self {
            Bad::Date(d) => d,
            other => panic!("not a date: {other:?}"),
        }
    }
    fn int(self) -> i32 {
        match self {
            Bad::Int(n) => n,
            other => panic!("not an int: {other:?}"),
        }
    }
    fn decimal(self) -> Option<Decimal> {
        match self {
            Bad::Decimal(d) => d,
            other => panic!("not a decimal: {other:?}"),
        }
    }
}

/// How the server must refuse a bad value of a field.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// INVALID_ARGUMENT naming the field.
    Invalid,
    /// INVALID_ARGUMENT naming the field, or NOT_FOUND: an id that may be
    /// well-formed but refers to nothing.
    InvalidOrNotFound,
    /// INVALID_ARGUMENT or FAILED_PRECONDITION naming the field: a value
    /// that is fine in itself but out of range for the stored state.
    InvalidOrPrecondition,
}

/// Text no server may accept where any text goes: control characters and
/// sizes far over any sensible limit. (Printable Unicode of any script is
/// fine in free text and is not generated here.)
fn unacceptable_text() -> BoxedStrategy<String> {
    prop_oneof![
        Just("\0".to_owned()),
        Just("a\0b".to_owned()),
        "[a-z]{1,8}".prop_map(|s| format!("{s}\u{1b}[31m")),
        "[a-z]{0,4}[\u{1}-\u{8}\u{e}-\u{1f}\u{7f}][a-z]{0,4}",
        (2_000usize..6_000).prop_map(|n| "x".repeat(n)),
        (600usize..1_500).prop_map(|n| "é😀".repeat(n)),
        Just("y".repeat(1 << 20)),
    ]
    .boxed()
}

/// A required free-text field: also blank.
fn bad_required_text() -> BoxedStrategy<String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => "[ \t\n\r]{1,6}",
        1 => Just("\u{3000}\u{a0}".to_owned()),
        4 => unacceptable_text(),
    ]
    .boxed()
}

/// A code from reference data (municipality, pluspakket service): anything
/// that is not one, in odd sizes and encodings.
fn bad_code() -> BoxedStrategy<String> {
    prop_oneof![
        bad_required_text(),
        Just("GM9999".to_owned()),
        Just("gm08 28".to_owned()),
        Just("GM０８２８".to_owned()),
        Just("\u{202e}8280MG".to_owned()),
        Just("GM0828\u{301}".to_owned()),
        Just("GM0828\u{200b}".to_owned()),
        Just("🏳️‍🌈".to_owned()),
        "GM[0-9]{5,8}",
        "[A-Z]{1,3}[0-9]{1,3}",
        "\\PC{1,12}".prop_filter("not blank", |s| !s.trim().is_empty()),
    ]
    .boxed()
}

/// An id of a stored resource: blank, unacceptable, or one that is not there.
fn bad_id() -> BoxedStrategy<String> {
    prop_oneof![
        bad_required_text(),
        "[a-zA-Z0-9-]{1,40}",
        "\\PC{1,20}".prop_filter("not blank", |s| !s.trim().is_empty()),
        Just("00000000-0000-0000-0000-000000000000".to_owned()),
        Just("\u{202e}dі".to_owned()),
    ]
    .boxed()
}

/// A BSN that is not one: wrong length, not digits, failing the elfproef.
fn bad_bsn() -> BoxedStrategy<String> {
    prop_oneof![
        "[0-9]{0,8}",
        "[0-9]{10,14}",
        "[0-9]{3}[a-zA-Z .\\-][0-9]{5}",
        "[0-9]{9}".prop_filter("fails the elfproef", |s| Bsn::parse(s).is_err()),
        Just("000000000".to_owned()),
        Just("１１１２２２３３３".to_owned()),
        Just("-11222333".to_owned()),
        Just("+11222333".to_owned()),
        bad_required_text(),
    ]
    .boxed()
}

fn ymd(year: i32, month: i32, day: i32) -> Date {
    Date { year, month, day }
}

/// Dates that are no calendar date, or out of range.
fn impossible_date() -> BoxedStrategy<Date> {
    prop_oneof![
        Just(ymd(2023, 13, 1)),
        Just(ymd(2023, 0, 1)),
        Just(ymd(2023, 1, 0)),
        Just(ymd(2023, 2, 30)),
        Just(ymd(2023, 2, 29)),
        Just(ymd(2023, 4, 31)),
        Just(ymd(0, 1, 1)),
        Just(ymd(10_000, 1, 1)),
        Just(ymd(-1, 12, 31)),
        Just(ymd(i32::MAX, i32::MAX, i32::MAX)),
        Just(ymd(i32::MIN, 1, 1)),
        (1i32..=9999, 13i32..=i32::MAX, 1i32..=28).prop_map(|(y, m, d)| ymd(y, m, d)),
        (1i32..=9999, 1i32..=12, 32i32..=i32::MAX).prop_map(|(y, m, d)| ymd(y, m, d)),
        (1i32..=9999, i32::MIN..=0, 1i32..=28).prop_map(|(y, m, d)| ymd(y, m, d)),
        (1i32..=9999, 1i32..=12, i32::MIN..=0).prop_map(|(y, m, d)| ymd(y, m, d)),
        (prop_oneof![i32::MIN..=0, 10_000i32..=i32::MAX], 1i32..=12, 1i32..=28).prop_map(|(y, m, d)| ymd(y, m, d)),
    ]
    .prop_filter("all zeros means unset", |d| *d != ymd(0, 0, 0))
    .boxed()
}

/// A required date: unset, impossible, or (if it may not lie in the
/// future) a future one.
fn bad_required_date(not_in_future: bool) -> BoxedStrategy<Option<Date>> {
    let future = if not_in_future { (2100i32..=9999).prop_map(|y| Some(ymd(y, 1, 1))).boxed() } else { impossible_date().prop_map(Some).boxed() };
    prop_oneof![1 => Just(None), 1 => Just(Some(ymd(0, 0, 0))), 4 => impossible_date().prop_map(Some), 1 => future].boxed()
}

fn bad_optional_date() -> BoxedStrategy<Option<Date>> {
    impossible_date().prop_map(Some).boxed()
}

/// Enum values the server does not know (`max` is the highest defined);
/// for a required enum also UNSPECIFIED.
fn bad_enum(max: i32, required: bool) -> BoxedStrategy<i32> {
    let unknown = prop_oneof![i32::MIN..0, (max + 1)..=i32::MAX, Just(max + 1), Just(-1)];
    if required { prop_oneof![1 => Just(0), 4 => unknown].boxed() } else { unknown.boxed() }
}

/// Decimals that are no number, or out of the field's range (`extra` are
/// well-formed numbers out of range for this field).
fn bad_decimal(extra: &'static [&'static str]) -> BoxedStrategy<Option<Decimal>> {
    let malformed = prop_oneof![
        Just(String::new()),
        Just("abc".to_owned()),
        Just("1,5".to_owned()),
        Just("1e3".to_owned()),
        Just("NaN".to_owned()),
        Just("Infinity".to_owned()),
        Just("--1".to_owned()),
        Just("1.2.3".to_owned()),
        Just(" ".to_owned()),
        Just("٣".to_owned()),
        Just("9".repeat(100)),
        Just("0.".to_owned() + &"1".repeat(60)),
        unacceptable_text(),
    ];
    let out_of_range = proptest::sample::select(extra).prop_map(str::to_owned);
    prop_oneof![1 => Just(None), 3 => malformed.prop_map(|v| Some(Decimal { value: v })), 3 => out_of_range.prop_map(|v| Some(Decimal { value: v }))].boxed()
}

/// Real calendar dates from `from` through `to` (both `YYYY-MM-DD`): out of
/// range where the field needs another range.
fn date_between(from: &str, to: &str) -> BoxedStrategy<Bad> {
    let (from, to): (chrono::NaiveDate, chrono::NaiveDate) = (from.parse().unwrap(), to.parse().unwrap());
    (0..=(to - from).num_days())
        .prop_map(move |d| Bad::Date(Some(partnership_platform::dates::to_proto(from + chrono::Days::new(d as u64)))))
        .boxed()
}

/// Real dates that are neither the first nor the last of their month.
fn date_mid_month() -> BoxedStrategy<Bad> {
    (2019i32..=2030, 1i32..=12, 2i32..=27).prop_map(|(y, m, d)| Bad::Date(Some(ymd(y, m, d)))).boxed()
}

fn text(s: BoxedStrategy<String>) -> BoxedStrategy<Bad> {
    s.prop_map(Bad::Text).boxed()
}
fn req_date(not_in_future: bool) -> BoxedStrategy<Bad> {
    bad_required_date(not_in_future).prop_map(Bad::Date).boxed()
}
fn opt_date() -> BoxedStrategy<Bad> {
    bad_optional_date().prop_map(Bad::Date).boxed()
}
fn enum_value(max: i32, required: bool) -> BoxedStrategy<Bad> {
    bad_enum(max, required).prop_map(Bad::Int).boxed()
}
fn dec(extra: &'static [&'static str]) -> BoxedStrategy<Bad> {
    bad_decimal(extra).prop_map(Bad::Decimal).boxed()
}
fn int(s: BoxedStrategy<i32>) -> BoxedStrategy<Bad> {
    s.prop_map(Bad::Int).boxed()
}

// ------------------------------------------------------------- the runner

/// One field of a request and how to spoil it.
struct Field<R> {
    name: &'static str,
    values: BoxedStrategy<Bad>,
    expect: Expect,
    set: fn(&mut R, Bad),
}

fn field<R>(name: &'static str, values: BoxedStrategy<Bad>, expect: Expect, set: fn(&mut R, Bad)) -> Field<R> {
    Field { name, values, expect, set }
}

/// How many cases per RPC: `PROPTEST_CASES`, else 64.
fn cases() -> usize {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64)
}

/// A server's answer, reduced to what the checks need.
#[derive(Debug)]
enum Answer {
    /// Accepted: what came back.
    Accepted(String),
    /// Refused: the code, the fields named, the message.
    Refused(Code, Vec<String>, String),
}

fn answer<T: std::fmt::Debug>(result: Result<tonic::Response<T>, tonic::Status>) -> Answer {
    match result {
        Ok(r) => Answer::Accepted(format!("{:?}", r.into_inner())),
        Err(s) => Answer::Refused(s.code(), bad_fields(&s), s.message().to_owned()),
    }
}

/// A short, printable form of a bad value for failure messages.
fn shown(bad: &Bad) -> String {
    let text = format!("{bad:?}");
    if text.len() > 120 { format!("{}… ({} bytes)", &text[..text.char_indices().nth(100).map(|(i, _)| i).unwrap_or(100)], text.len()) } else { text }
}

/// What went wrong, over every RPC: reported together at the end.
static FAILURES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn fail(what: String) {
    eprintln!("FAILED: {what}");
    FAILURES.lock().unwrap().push(what);
}

/// Runs `cases()` spoiled variants of `baseline(i)` through `call`, one
/// field at a time (every field in turn, values drawn from its strategy),
/// and checks each answer and that `snapshot` reads the same store after.
async fn fuzz<R, C, CF, S, SF>(rpc: &str, seed: u64, baseline: impl Fn(usize) -> R, fields: Vec<Field<R>>, call: C, snapshot: S)
where
    R: Clone + std::fmt::Debug,
    C: Fn(R) -> CF,
    CF: Future<Output = Answer>,
    S: Fn() -> SF,
    SF: Future<Output = String>,
{
    let config = Config { cases: cases() as u32, failure_persistence: None, ..Config::default() };
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes));
    let before = snapshot().await;
    let started = std::time::Instant::now();
    for i in 0..cases() {
        let field = &fields[i % fields.len()];
        let bad = field.values.new_tree(&mut runner).expect("a value").current();
        let mut request = baseline(i);
        (field.set)(&mut request, bad.clone());
        let what = format!("{rpc} with {} = {}", field.name, shown(&bad));
        match call(request).await {
            Answer::Accepted(reply) => fail(format!("{what}: accepted: {}", &reply[..reply.char_indices().nth(300).map(|(i, _)| i).unwrap_or(reply.len())])),
            Answer::Refused(Code::InvalidArgument, fields, message) => {
                if fields != [field.name] {
                    fail(format!("{what}: INVALID_ARGUMENT must name the field, named {fields:?} ({message})"));
                }
            }
            Answer::Refused(Code::NotFound, _, _) if field.expect == Expect::InvalidOrNotFound => {}
            Answer::Refused(Code::FailedPrecondition, fields, message) if field.expect == Expect::InvalidOrPrecondition => {
                if fields != [field.name] {
                    fail(format!("{what}: FAILED_PRECONDITION must name the field, named {fields:?} ({message})"));
                }
            }
            Answer::Refused(code, fields, message) => fail(format!("{what}: {code:?} {fields:?} {}", &message[..message.len().min(300)])),
        }
        let after = snapshot().await;
        if after != before {
            fail(format!("{what}: the store changed"));
            return;
        }
    }
    eprintln!("{rpc}: {} cases in {:?}", cases(), started.elapsed());
}

// ------------------------------------------------------------- the suite

const HERE: &str = "GM0828";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_to_every_create_and_update_is_refused_by_field_and_changes_nothing() {
    let started = std::time::Instant::now();
    let suite = spawn_suite_with(|c| c.employment.deliver_outbox = false).await;
    let intake = suite.intake().await;
    let employment = suite.employment().await;
    let beschut = suite.beschut().await;
    let finance = suite.controller().await.finance;

    // A valid world to start from.
    let mut i = intake.clone();
    let candidate = |n: u32| {
        let mut i = i.clone();
        async move {
            let request = ipb::CreateCandidateRequest { request_id: format!("c{n}"), bsn: bsn(n), birth_date: date("1990-01-01"), municipality_code: HERE.into() };
            i.create_candidate(request).await.expect("candidate").into_inner().id
        }
    };
    let (alice, bob) = (candidate(1).await, candidate(2).await);
    let registration = i
        .create_registration(ipb::CreateRegistrationRequest {
            request_id: "r1".into(),
            candidate_id: alice.clone(),
            municipality_code: HERE.into(),
            kind: ipb::RegistrationKind::Dienstverband as i32,
            voortraject_kind: 0,
            registration_date: date("2023-01-01"),
        })
        .await
        .expect("registration")
        .into_inner()
        .id;
    i.change_registration_status(ipb::ChangeRegistrationStatusRequest {
        request_id: "s1".into(),
        registration_id: registration.clone(),
        status: ipb::RegistrationStatus::Voortraject as i32,
        effective_date: date("2023-02-01"),
        terugmelding_reason: 0,
        note: String::new(),
    })
    .await
    .expect("status");

    let pw_contract = |hr_id: String| epb::ContractInput {
        hr_contract_id: hr_id,
        bsn: bsn(2),
        kind: epb::ContractKind::Pw as i32,
        start_date: date("2023-01-01"),
        end_date: None,
        hours_per_week: decimal("32"),
        pw: Some(epb::PwClassification {
            soort_plaatsing: epb::SoortPlaatsing::Aanbodgestuurd as i32,
            doelgroep: epb::Doelgroep::NieuwRegulier as i32,
            uitstroomprofiel: epb::Uitstroomprofiel::MetUitstroomprofielRegulier as i32,
            loonwaarde: Some(epb::Loonwaarde { value: Some(epb::loonwaarde::Value::MeasuredPercent(Decimal { value: "45".into() })) }),
            werkladder_step: epb::WerkladderStep::WerkenBinnenIbn as i32,
            paying_municipality_code: HERE.into(),
        }),
        municipality_code: String::new(),
    };
    let mut e = employment.clone();
    let pushed = e.push_contracts(epb::PushContractsRequest { contracts: vec![pw_contract("HR-PW-1".into())] }).await.expect("push").into_inner();
    assert_eq!(pushed.created, 1, "{pushed:?}");
    let trajectory = e.list_trajectories(epb::ListTrajectoriesRequest::default()).await.expect("trajectories").into_inner().trajectories[0].id.clone();

    let mut b = beschut.clone();
    let indication = b
        .grant_indication(bpb::GrantIndicationRequest {
            request_id: "i1".into(),
            candidate_id: alice.clone(),
            municipality_code: HERE.into(),
            uwv_reference: "UWV-1".into(),
            granted_date: date("2023-01-01"),
            valid_until: None,
        })
        .await
        .expect("indication")
        .into_inner()
        .id;
    let placement = b
        .create_placement(bpb::CreatePlacementRequest {
            request_id: "p1".into(),
            candidate_id: alice.clone(),
            municipality_code: HERE.into(),
            employer: "Bakkerij".into(),
            start_date: date("2023-03-01"),
            end_date: None,
            hours_per_week: decimal("20"),
        })
        .await
        .expect("placement")
        .into_inner()
        .id;
    let schakeltraject = b
        .create_schakeltraject(bpb::CreateSchakeltrajectRequest {
            request_id: "st1".into(),
            candidate_id: bob.clone(),
            municipality_code: HERE.into(),
            start_date: date("2023-03-01"),
            end_date: None,
        })
        .await
        .expect("schakeltraject")
        .into_inner()
        .id;

    let mut f = finance.clone();
    let period = f
        .create_budget_period(fpb::CreateBudgetPeriodRequest {
            request_id: "bp1".into(),
            first_day: date("2021-07-01"),
            last_day: date("2022-12-31"),
            description: "2021–2022".into(),
        })
        .await
        .expect("period")
        .into_inner()
        .id;
    let lumpsum = f
        .create_lumpsum(fpb::CreateLumpsumRequest { request_id: "l1".into(), budget_period_id: period.clone(), year: 2021, base: decimal("2180898.06"), key: None })
        .await
        .expect("lumpsum")
        .into_inner()
        .id;

    // What each service holds, read back.
    let intake_store = || {
        let (mut i, registration) = (intake.clone(), registration.clone());
        async move {
            let list = i.list_registrations(ipb::ListRegistrationsRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
            let one = i.get_registration(ipb::GetRegistrationRequest { id: registration }).await.expect("get").into_inner();
            let plus = i.list_pluspakket_registrations(ipb::ListPluspakketRegistrationsRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
            let known = i.batch_resolve_candidates(ipb::BatchResolveCandidatesRequest { bsns: (1..4).map(bsn).collect() }).await.expect("resolve").into_inner();
            format!("{list:?}{one:?}{plus:?}{known:?}")
        }
    };
    let employment_store = || {
        let mut e = employment.clone();
        async move {
            let contracts = e.list_contracts(epb::ListContractsRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
            let one = e.get_contract(epb::GetContractRequest { hr_contract_id: "HR-PW-1".into() }).await.expect("get").into_inner();
            let trajectories = e.list_trajectories(epb::ListTrajectoriesRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
            let period = Some(epb::Period { first_day: date("2000-01-01"), last_day: date("2099-12-31") });
            let activities = e.get_activity_figures(epb::GetActivityFiguresRequest { scope: partnership(), period }).await.expect("figures").into_inner();
            let steps = e.list_beschut_employees(epb::ListBeschutEmployeesRequest { on: date("2024-01-01"), ..Default::default() }).await.expect("list").into_inner();
            format!("{contracts:?}{one:?}{trajectories:?}{activities:?}{steps:?}")
        }
    };
    let beschut_store = || {
        let mut b = beschut.clone();
        async move {
            let indications = b.list_indications(bpb::ListIndicationsRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
            let placements = b.list_placements(bpb::ListPlacementsRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
            let st = b
                .get_schakeltraject_figures(bpb::GetSchakeltrajectFiguresRequest { scope: partnership(), first_day: date("2000-01-01"), last_day: date("2099-12-31") })
                .await
                .expect("figures")
                .into_inner();
            format!("{indications:?}{placements:?}{st:?}")
        }
    };
    let finance_store = || {
        let mut f = finance.clone();
        async move {
            let periods = f.list_budget_periods(fpb::ListBudgetPeriodsRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
            let lumpsums = f.list_lumpsums(fpb::ListLumpsumsRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
            let invoices = f.list_invoices(fpb::ListInvoicesRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
            format!("{periods:?}{lumpsums:?}{invoices:?}")
        }
    };
    use Expect::*;

    // ---------------------------------------------------------------- intake
    fuzz(
        "CreateCandidate",
        1,
        |i| ipb::CreateCandidateRequest { request_id: format!("fuzz-c-{i}"), bsn: bsn(100 + i as u32), birth_date: date("1990-01-01"), municipality_code: HERE.into() },
        vec![
            field("bsn", text(bad_bsn()), Invalid, |r: &mut ipb::CreateCandidateRequest, v| r.bsn = v.text()),
            field("birth_date", req_date(true), Invalid, |r, v| r.birth_date = v.date()),
            field("municipality_code", text(bad_code()), Invalid, |r, v| r.municipality_code = v.text()),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = intake.clone();
            async move { answer(c.create_candidate(r).await) }
        },
        intake_store,
    )
    .await;

    let registration_request = |i: usize| ipb::CreateRegistrationRequest {
        request_id: format!("fuzz-r-{i}"),
        candidate_id: alice.clone(),
        municipality_code: HERE.into(),
        kind: ipb::RegistrationKind::Arbeidsvoorbereiding as i32,
        voortraject_kind: ipb::VoortrajectKind::StageVsoPro as i32,
        registration_date: date("2023-06-01"),
    };
    fuzz(
        "CreateRegistration",
        2,
        registration_request,
        vec![
            field("candidate_id", text(bad_id()), InvalidOrNotFound, |r: &mut ipb::CreateRegistrationRequest, v| r.candidate_id = v.text()),
            field("municipality_code", text(bad_code()), Invalid, |r, v| r.municipality_code = v.text()),
            field("kind", enum_value(2, true), Invalid, |r, v| r.kind = v.int()),
            field("voortraject_kind", enum_value(3, false), Invalid, |r, v| r.voortraject_kind = v.int()),
            field("registration_date", req_date(true), Invalid, |r, v| r.registration_date = v.date()),
            field("registration_date", date_between("1900-01-01", "1989-12-31"), InvalidOrPrecondition, |r, v| r.registration_date = v.date()),
            field("municipality_code", text(Just("GM1991".to_owned()).boxed()), Invalid, |r, v| {
                // Maashorst exists from 2022; not on a 2021 registration date.
                r.municipality_code = v.text();
                r.registration_date = date("2021-06-01");
            }),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = intake.clone();
            async move { answer(c.create_registration(r).await) }
        },
        intake_store,
    )
    .await;

    fuzz(
        "ChangeRegistrationStatus",
        3,
        |i| ipb::ChangeRegistrationStatusRequest {
            request_id: format!("fuzz-s-{i}"),
            registration_id: registration.clone(),
            status: ipb::RegistrationStatus::Teruggemeld as i32,
            effective_date: date("2023-03-01"),
            terugmelding_reason: ipb::TerugmeldingReason::Overig as i32,
            note: "fuzz".into(),
        },
        vec![
            field("registration_id", text(bad_id()), InvalidOrNotFound, |r: &mut ipb::ChangeRegistrationStatusRequest, v| r.registration_id = v.text()),
            field("status", enum_value(9, true), Invalid, |r, v| r.status = v.int()),
            field("effective_date", req_date(true), Invalid, |r, v| r.effective_date = v.date()),
            field("effective_date", date_between("1990-01-01", "2023-01-31"), InvalidOrPrecondition, |r, v| r.effective_date = v.date()),
            field("terugmelding_reason", enum_value(6, false), Invalid, |r, v| r.terugmelding_reason = v.int()),
            field("terugmelding_reason", enum_value(0, false).prop_map(|_| Bad::Int(0)).boxed(), InvalidOrPrecondition, |r, v| r.terugmelding_reason = v.int()),
            field("note", text(unacceptable_text()), Invalid, |r, v| r.note = v.text()),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = intake.clone();
            async move { answer(c.change_registration_status(r).await) }
        },
        intake_store,
    )
    .await;

    fuzz(
        "CorrectRegistrationStatus",
        4,
        |_| ipb::CorrectRegistrationStatusRequest {
            registration_id: registration.clone(),
            sequence: 2,
            effective_date: date("2023-02-15"),
            status: ipb::RegistrationStatus::Proefplaatsing as i32,
            terugmelding_reason: 0,
            correction_reason: "wrong date".into(),
        },
        vec![
            field("registration_id", text(bad_id()), InvalidOrNotFound, |r: &mut ipb::CorrectRegistrationStatusRequest, v| r.registration_id = v.text()),
            field("sequence", int(prop_oneof![i32::MIN..=0, Just(0), Just(-1)].boxed()), Invalid, |r, v| r.sequence = v.int()),
            field("effective_date", req_date(true), Invalid, |r, v| r.effective_date = v.date()),
            field("status", enum_value(9, false), Invalid, |r, v| r.status = v.int()),
            field("terugmelding_reason", enum_value(6, false), Invalid, |r, v| r.terugmelding_reason = v.int()),
            field("correction_reason", text(bad_required_text()), Invalid, |r, v| r.correction_reason = v.text()),
        ],
        |r| {
            let mut c = intake.clone();
            async move { answer(c.correct_registration_status(r).await) }
        },
        intake_store,
    )
    .await;

    fuzz(
        "RecordEmploymentOutcome",
        5,
        |i| ipb::RecordEmploymentOutcomeRequest { request_id: format!("fuzz-o-{i}"), candidate_id: alice.clone(), effective_date: date("2023-04-01") },
        vec![
            field("request_id", text(bad_required_text()), Invalid, |r: &mut ipb::RecordEmploymentOutcomeRequest, v| r.request_id = v.text()),
            field("candidate_id", text(bad_id()), InvalidOrNotFound, |r, v| r.candidate_id = v.text()),
            field("effective_date", req_date(true), Invalid, |r, v| r.effective_date = v.date()),
        ],
        |r| {
            let mut c = intake.clone();
            async move {
                match c.record_employment_outcome(r).await {
                    // "Answered (not failed) when there is nothing to apply": fine, if nothing was.
                    Ok(answer) if !answer.get_ref().applied && answer.get_ref().registration_id.is_empty() => Answer::Refused(Code::NotFound, vec![], answer.into_inner().detail),
                    other => answer(other),
                }
            }
        },
        intake_store,
    )
    .await;

    fuzz(
        "CreatePluspakketRegistration",
        6,
        |i| ipb::CreatePluspakketRegistrationRequest {
            request_id: format!("fuzz-pp-{i}"),
            candidate_id: alice.clone(),
            municipality_code: HERE.into(),
            service_code: "Z_ROUTE".into(),
            registration_date: date("2023-06-01"),
        },
        vec![
            field("candidate_id", text(bad_id()), InvalidOrNotFound, |r: &mut ipb::CreatePluspakketRegistrationRequest, v| r.candidate_id = v.text()),
            field("municipality_code", text(bad_code()), Invalid, |r, v| r.municipality_code = v.text()),
            field("service_code", text(bad_code()), Invalid, |r, v| r.service_code = v.text()),
            field("registration_date", req_date(true), Invalid, |r, v| r.registration_date = v.date()),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = intake.clone();
            async move { answer(c.create_pluspakket_registration(r).await) }
        },
        intake_store,
    )
    .await;

    // Import: one batch per call; a refused batch is answered (not failed)
    // with its errors, field paths relative to the request.
    let imported = |n: u32| ipb::ImportedRegistration {
        bsn: bsn(n),
        birth_date: date("1985-05-05"),
        municipality_code: "GM0856".into(),
        kind: ipb::RegistrationKind::Dienstverband as i32,
        voortraject_kind: 0,
        registration_date: date("2021-03-01"),
        history: vec![ipb::ImportedStatus {
            status: ipb::RegistrationStatus::Voortraject as i32,
            effective_date: date("2021-04-01"),
            terugmelding_reason: 0,
            note: "import".into(),
        }],
    };
    let import = |r: ipb::ImportRegistrationsRequest| {
        let mut c = intake.clone();
        async move {
            let mut answers = match c.import_registrations(tokio_stream::iter(vec![r])).await {
                Ok(a) => a.into_inner(),
                Err(s) => return answer::<()>(Err(s)),
            };
            match answers.message().await {
                Ok(Some(a)) if a.imported => Answer::Accepted(format!("{:?}", a.registration_ids)),
                Ok(Some(a)) => Answer::Refused(Code::InvalidArgument, a.errors.iter().map(|e| e.field.clone()).collect(), format!("{:?}", a.errors)),
                Ok(None) => panic!("no answer to a batch"),
                Err(s) => answer::<()>(Err(s)),
            }
        }
    };
    fuzz(
        "ImportRegistrations",
        7,
        |i| ipb::ImportRegistrationsRequest { request_id: format!("fuzz-import-{i}"), registrations: vec![imported(200), imported(201 + i as u32)] },
        vec![
            field("registrations[1].bsn", text(bad_bsn()), Invalid, |r: &mut ipb::ImportRegistrationsRequest, v| r.registrations[1].bsn = v.text()),
            field("registrations[1].birth_date", req_date(true), Invalid, |r, v| r.registrations[1].birth_date = v.date()),
            field("registrations[1].municipality_code", text(bad_code()), Invalid, |r, v| r.registrations[1].municipality_code = v.text()),
            field("registrations[1].kind", enum_value(2, true), Invalid, |r, v| r.registrations[1].kind = v.int()),
            field("registrations[1].voortraject_kind", enum_value(3, false), Invalid, |r, v| r.registrations[1].voortraject_kind = v.int()),
            field("registrations[1].registration_date", req_date(true), Invalid, |r, v| r.registrations[1].registration_date = v.date()),
            field("registrations[1].history[0].status", enum_value(9, true), Invalid, |r, v| r.registrations[1].history[0].status = v.int()),
            field("registrations[1].history[0].effective_date", req_date(true), Invalid, |r, v| r.registrations[1].history[0].effective_date = v.date()),
            field("registrations[1].history[0].terugmelding_reason", enum_value(6, false), Invalid, |r, v| r.registrations[1].history[0].terugmelding_reason = v.int()),
            field("registrations[1].history[0].note", text(unacceptable_text()), Invalid, |r, v| r.registrations[1].history[0].note = v.text()),
            field("request_id", text(bad_required_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        import,
        intake_store,
    )
    .await;
    // A batch over the maximum (5000), every registration in it valid.
    let before = intake_store().await;
    let huge = ipb::ImportRegistrationsRequest { request_id: "fuzz-import-huge".into(), registrations: (0..5001).map(|n| imported(10_000 + n)).collect() };
    match import(huge).await {
        Answer::Refused(Code::InvalidArgument, fields, _) => assert_eq!(fields, ["registrations"]),
        other => fail(format!("an import batch of 5001: {other:?}")),
    }
    assert!(intake_store().await == before, "a refused huge batch changed the store");

    // ------------------------------------------------------------ employment
    // A push answers per contract: a bad contract is REJECTED with its field.
    let push = |r: epb::PushContractsRequest| {
        let mut c = employment.clone();
        async move {
            match c.push_contracts(r).await {
                Ok(a) => {
                    let a = a.into_inner();
                    match a.results.as_slice() {
                        [one] if one.outcome == epb::ContractOutcome::Rejected as i32 => {
                            Answer::Refused(Code::InvalidArgument, vec![format!("contracts[0].{}", one.field)], one.reason.clone())
                        }
                        _ => Answer::Accepted(format!("{a:?}")),
                    }
                }
                Err(s) => answer::<()>(Err(s)),
            }
        }
    };
    fuzz(
        "PushContracts",
        8,
        |i| epb::PushContractsRequest { contracts: vec![pw_contract(format!("HR-FUZZ-{i}"))] },
        vec![
            field("contracts[0].hr_contract_id", text(bad_required_text()), Invalid, |r: &mut epb::PushContractsRequest, v| r.contracts[0].hr_contract_id = v.text()),
            field("contracts[0].bsn", text(bad_bsn()), Invalid, |r, v| r.contracts[0].bsn = v.text()),
            field("contracts[0].kind", enum_value(4, true), Invalid, |r, v| r.contracts[0].kind = v.int()),
            field("contracts[0].start_date", req_date(false), Invalid, |r, v| r.contracts[0].start_date = v.date()),
            field("contracts[0].end_date", opt_date(), Invalid, |r, v| r.contracts[0].end_date = v.date()),
            field("contracts[0].end_date", date_between("1990-01-01", "2022-12-31"), Invalid, |r, v| r.contracts[0].end_date = v.date()),
            field("contracts[0].hours_per_week", dec(&["0", "-1", "40.01", "41", "1000000", "-0.5"]), Invalid, |r, v| r.contracts[0].hours_per_week = v.decimal()),
            field("contracts[0].pw.soort_plaatsing", enum_value(2, true), Invalid, |r, v| r.contracts[0].pw.as_mut().unwrap().soort_plaatsing = v.int()),
            field("contracts[0].pw.doelgroep", enum_value(3, true), Invalid, |r, v| r.contracts[0].pw.as_mut().unwrap().doelgroep = v.int()),
            field("contracts[0].pw.uitstroomprofiel", enum_value(5, true), Invalid, |r, v| r.contracts[0].pw.as_mut().unwrap().uitstroomprofiel = v.int()),
            field("contracts[0].pw.werkladder_step", enum_value(5, true), Invalid, |r, v| r.contracts[0].pw.as_mut().unwrap().werkladder_step = v.int()),
            field("contracts[0].pw.paying_municipality_code", text(bad_code()), Invalid, |r, v| r.contracts[0].pw.as_mut().unwrap().paying_municipality_code = v.text()),
            field("contracts[0].pw.loonwaarde.measured_percent", dec(&["-1", "100.5", "101", "-0.01"]), Invalid, |r, v| {
                r.contracts[0].pw.as_mut().unwrap().loonwaarde =
                    Some(epb::Loonwaarde { value: Some(epb::loonwaarde::Value::MeasuredPercent(v.decimal().unwrap_or(Decimal { value: String::new() }))) })
            }),
        ],
        push,
        employment_store,
    )
    .await;
    // A push over the maximum (10,000), every contract in it valid.
    let before = employment_store().await;
    let huge = epb::PushContractsRequest { contracts: (0..10_001).map(|n| pw_contract(format!("HR-HUGE-{n}"))).collect() };
    match push(huge).await {
        Answer::Refused(Code::InvalidArgument, fields, _) => assert_eq!(fields, ["contracts"]),
        other => fail(format!("a push of 10,001: {:.300}", format!("{other:?}"))),
    }
    assert!(employment_store().await == before, "a refused huge push changed the store");

    fuzz(
        "CompleteTrajectory",
        9,
        |_| epb::CompleteTrajectoryRequest { trajectory_id: trajectory.clone(), completion_date: date("2023-09-01"), result: epb::TrajectoryResult::Opleiding as i32 },
        vec![
            field("trajectory_id", text(bad_id()), InvalidOrNotFound, |r: &mut epb::CompleteTrajectoryRequest, v| r.trajectory_id = v.text()),
            field("completion_date", req_date(true), Invalid, |r, v| r.completion_date = v.date()),
            field("completion_date", date_between("1990-01-01", "2022-12-31"), InvalidOrPrecondition, |r, v| r.completion_date = v.date()),
            field("result", enum_value(7, true), Invalid, |r, v| r.result = v.int()),
        ],
        |r| {
            let mut c = employment.clone();
            async move { answer(c.complete_trajectory(r).await) }
        },
        employment_store,
    )
    .await;

    use epb::development_event::Change;
    fuzz(
        "RecordDevelopment",
        10,
        |i| epb::RecordDevelopmentRequest {
            request_id: format!("fuzz-d-{i}"),
            event: Some(epb::DevelopmentEvent {
                hr_contract_id: "HR-PW-1".into(),
                effective_date: date("2023-05-01"),
                change: Some(Change::WerkladderStep(epb::WerkladderStep::WerkenOpLocatie as i32)),
            }),
        },
        vec![
            field("event.hr_contract_id", text(bad_id()), InvalidOrNotFound, |r: &mut epb::RecordDevelopmentRequest, v| r.event.as_mut().unwrap().hr_contract_id = v.text()),
            field("event.effective_date", req_date(true), Invalid, |r, v| r.event.as_mut().unwrap().effective_date = v.date()),
            field("event.effective_date", date_between("1990-01-01", "2022-12-31"), InvalidOrPrecondition, |r, v| r.event.as_mut().unwrap().effective_date = v.date()),
            field("event.werkladder_step", enum_value(5, true), Invalid, |r, v| r.event.as_mut().unwrap().change = Some(Change::WerkladderStep(v.int()))),
            field("event.uitstroomprofiel", enum_value(5, true), Invalid, |r, v| r.event.as_mut().unwrap().change = Some(Change::Uitstroomprofiel(v.int()))),
            field("event.loonwaarde_percent", dec(&["-1", "100.01", "250"]), Invalid, |r, v| {
                r.event.as_mut().unwrap().change = Some(Change::LoonwaardePercent(v.decimal().unwrap_or(Decimal { value: String::new() })))
            }),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = employment.clone();
            async move { answer(c.record_development(r).await) }
        },
        employment_store,
    )
    .await;

    fuzz(
        "RecordActivity",
        11,
        |i| epb::RecordActivityRequest {
            request_id: format!("fuzz-a-{i}"),
            kind: epb::ActivityKind::Jobcoaching as i32,
            candidate_id: bob.clone(),
            municipality_code: HERE.into(),
            date: date("2023-05-01"),
        },
        vec![
            field("kind", enum_value(4, true), Invalid, |r: &mut epb::RecordActivityRequest, v| r.kind = v.int()),
            field("municipality_code", text(bad_code()), Invalid, |r, v| r.municipality_code = v.text()),
            field("date", req_date(true), Invalid, |r, v| r.date = v.date()),
            field("candidate_id", text(unacceptable_text()), InvalidOrNotFound, |r, v| r.candidate_id = v.text()),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = employment.clone();
            async move { answer(c.record_activity(r).await) }
        },
        employment_store,
    )
    .await;

    // --------------------------------------------------------------- beschut
    fuzz(
        "GrantIndication",
        12,
        |i| bpb::GrantIndicationRequest {
            request_id: format!("fuzz-gi-{i}"),
            candidate_id: bob.clone(),
            municipality_code: HERE.into(),
            uwv_reference: format!("UWV-F-{i}"),
            granted_date: date("2023-02-01"),
            valid_until: date("2025-01-31"),
        },
        vec![
            field("candidate_id", text(bad_id()), InvalidOrNotFound, |r: &mut bpb::GrantIndicationRequest, v| r.candidate_id = v.text()),
            field("municipality_code", text(bad_code()), Invalid, |r, v| r.municipality_code = v.text()),
            field("uwv_reference", text(bad_required_text()), Invalid, |r, v| r.uwv_reference = v.text()),
            field("granted_date", req_date(true), Invalid, |r, v| r.granted_date = v.date()),
            field("valid_until", opt_date(), Invalid, |r, v| r.valid_until = v.date()),
            field("valid_until", date_between("1990-01-01", "2023-01-31"), Invalid, |r, v| r.valid_until = v.date()),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = beschut.clone();
            async move { answer(c.grant_indication(r).await) }
        },
        beschut_store,
    )
    .await;

    fuzz(
        "EndIndication",
        13,
        |_| bpb::EndIndicationRequest { indication_id: indication.clone(), end: bpb::IndicationEnd::Withdrawn as i32, end_date: date("2024-01-01") },
        vec![
            field("indication_id", text(bad_id()), InvalidOrNotFound, |r: &mut bpb::EndIndicationRequest, v| r.indication_id = v.text()),
            field("end", enum_value(2, true), Invalid, |r, v| r.end = v.int()),
            field("end_date", req_date(false), Invalid, |r, v| r.end_date = v.date()),
            field("end_date", date_between("1990-01-01", "2023-01-01"), InvalidOrPrecondition, |r, v| r.end_date = v.date()),
        ],
        |r| {
            let mut c = beschut.clone();
            async move { answer(c.end_indication(r).await) }
        },
        beschut_store,
    )
    .await;

    fuzz(
        "CreatePlacement",
        14,
        |i| bpb::CreatePlacementRequest {
            request_id: format!("fuzz-pl-{i}"),
            candidate_id: bob.clone(),
            municipality_code: HERE.into(),
            employer: "Garage".into(),
            start_date: date("2023-04-01"),
            end_date: None,
            hours_per_week: decimal("24"),
        },
        vec![
            field("candidate_id", text(bad_id()), InvalidOrNotFound, |r: &mut bpb::CreatePlacementRequest, v| r.candidate_id = v.text()),
            field("municipality_code", text(bad_code()), Invalid, |r, v| r.municipality_code = v.text()),
            field("employer", text(bad_required_text()), Invalid, |r, v| r.employer = v.text()),
            field("start_date", req_date(true), Invalid, |r, v| r.start_date = v.date()),
            field("end_date", opt_date(), Invalid, |r, v| r.end_date = v.date()),
            field("end_date", date_between("1990-01-01", "2023-03-31"), Invalid, |r, v| r.end_date = v.date()),
            field("hours_per_week", dec(&["0", "-1", "40.01", "41", "1000000"]), Invalid, |r, v| r.hours_per_week = v.decimal()),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = beschut.clone();
            async move { answer(c.create_placement(r).await) }
        },
        beschut_store,
    )
    .await;

    fuzz(
        "EndPlacement",
        15,
        |_| bpb::EndPlacementRequest { placement_id: placement.clone(), end_date: date("2024-01-01") },
        vec![
            field("placement_id", text(bad_id()), InvalidOrNotFound, |r: &mut bpb::EndPlacementRequest, v| r.placement_id = v.text()),
            field("end_date", req_date(false), Invalid, |r, v| r.end_date = v.date()),
            field("end_date", date_between("1990-01-01", "2023-02-28"), InvalidOrPrecondition, |r, v| r.end_date = v.date()),
        ],
        |r| {
            let mut c = beschut.clone();
            async move { answer(c.end_placement(r).await) }
        },
        beschut_store,
    )
    .await;

    fuzz(
        "CreateSchakeltraject",
        16,
        |i| bpb::CreateSchakeltrajectRequest {
            request_id: format!("fuzz-st-{i}"),
            candidate_id: alice.clone(),
            municipality_code: HERE.into(),
            start_date: date("2023-04-01"),
            end_date: None,
        },
        vec![
            field("candidate_id", text(bad_id()), InvalidOrNotFound, |r: &mut bpb::CreateSchakeltrajectRequest, v| r.candidate_id = v.text()),
            field("municipality_code", text(bad_code()), Invalid, |r, v| r.municipality_code = v.text()),
            field("start_date", req_date(true), Invalid, |r, v| r.start_date = v.date()),
            field("end_date", opt_date(), Invalid, |r, v| r.end_date = v.date()),
            field("end_date", date_between("1990-01-01", "2023-03-31"), Invalid, |r, v| r.end_date = v.date()),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = beschut.clone();
            async move { answer(c.create_schakeltraject(r).await) }
        },
        beschut_store,
    )
    .await;

    fuzz(
        "EndSchakeltraject",
        17,
        |_| bpb::EndSchakeltrajectRequest { schakeltraject_id: schakeltraject.clone(), end_date: date("2024-01-01") },
        vec![
            field("schakeltraject_id", text(bad_id()), InvalidOrNotFound, |r: &mut bpb::EndSchakeltrajectRequest, v| r.schakeltraject_id = v.text()),
            field("end_date", req_date(false), Invalid, |r, v| r.end_date = v.date()),
            field("end_date", date_between("1990-01-01", "2023-02-28"), InvalidOrPrecondition, |r, v| r.end_date = v.date()),
        ],
        |r| {
            let mut c = beschut.clone();
            async move { answer(c.end_schakeltraject(r).await) }
        },
        beschut_store,
    )
    .await;

    // --------------------------------------------------------------- finance
    fuzz(
        "CreateBudgetPeriod",
        18,
        |i| fpb::CreateBudgetPeriodRequest { request_id: format!("fuzz-bp-{i}"), first_day: date("2023-01-01"), last_day: date("2024-12-31"), description: "2023–2024".into() },
        vec![
            field("first_day", req_date(false), Invalid, |r: &mut fpb::CreateBudgetPeriodRequest, v| r.first_day = v.date()),
            field("last_day", req_date(false), Invalid, |r, v| r.last_day = v.date()),
            field("first_day", date_mid_month(), Invalid, |r, v| r.first_day = v.date()),
            field("last_day", date_mid_month(), Invalid, |r, v| r.last_day = v.date()),
            field("last_day", (1990i32..=2022).prop_map(|y| Bad::Date(Some(ymd(y, 12, 31)))).boxed(), Invalid, |r, v| r.last_day = v.date()),
            field("last_day", (2025i32..=2100).prop_map(|y| Bad::Date(Some(ymd(y, 1, 31)))).boxed(), Invalid, |r, v| r.last_day = v.date()),
            field("description", text(unacceptable_text()), Invalid, |r, v| r.description = v.text()),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = finance.clone();
            async move { answer(c.create_budget_period(r).await) }
        },
        finance_store,
    )
    .await;

    fuzz(
        "CreateLumpsum",
        19,
        |i| fpb::CreateLumpsumRequest { request_id: format!("fuzz-l-{i}"), budget_period_id: period.clone(), year: 2022, base: decimal("1000000.00"), key: None },
        vec![
            field("budget_period_id", text(bad_id()), InvalidOrNotFound, |r: &mut fpb::CreateLumpsumRequest, v| r.budget_period_id = v.text()),
            field("year", int(prop_oneof![Just(0), i32::MIN..0, 10_000..=i32::MAX].boxed()), Invalid, |r, v| r.year = v.int()),
            field("year", int(prop_oneof![1900..=2020, 2023..=9999].boxed()), InvalidOrPrecondition, |r, v| r.year = v.int()),
            field("base", dec(&["-0.01", "-1", "0.001", "1.234"]), Invalid, |r, v| r.base = v.decimal()),
            field("key.kind", enum_value(2, false), Invalid, |r, v| r.key = Some(fpb::AllocationKeyRef { year: 2022, kind: v.int() })),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = finance.clone();
            async move { answer(c.create_lumpsum(r).await) }
        },
        finance_store,
    )
    .await;

    use fpb::allocate_lumpsum_request::AmountSource;
    fuzz(
        "AllocateLumpsum",
        20,
        |_| fpb::AllocateLumpsumRequest { amount_source: Some(AmountSource::LumpsumId(lumpsum.clone())), key: None, key_entries: vec![] },
        vec![
            field("lumpsum_id", text(bad_id()), InvalidOrNotFound, |r: &mut fpb::AllocateLumpsumRequest, v| r.amount_source = Some(AmountSource::LumpsumId(v.text()))),
            field("amount", dec(&["-0.01", "-5", "0.001"]), Invalid, |r, v| {
                r.amount_source = Some(AmountSource::Amount(v.decimal().unwrap_or(Decimal { value: String::new() })))
            }),
            field("key.kind", enum_value(2, false), Invalid, |r, v| r.key = Some(fpb::AllocationKeyRef { year: 2021, kind: v.int() })),
            field("key_entries[0].municipality_code", text(bad_code()), Invalid, |r, v| {
                r.amount_source = Some(AmountSource::Amount(Decimal { value: "100.00".into() }));
                r.key_entries = vec![fpb::KeyEntry { municipality_code: v.text(), weight: decimal("1") }];
            }),
            field("key_entries[0].weight", dec(&["-1", "-0.0001"]), Invalid, |r, v| {
                r.amount_source = Some(AmountSource::Amount(Decimal { value: "100.00".into() }));
                r.key_entries = vec![fpb::KeyEntry { municipality_code: HERE.into(), weight: v.decimal() }, fpb::KeyEntry { municipality_code: "GM0845".into(), weight: decimal("1") }];
            }),
        ],
        |r| {
            let mut c = finance.clone();
            async move { answer(c.allocate_lumpsum(r).await) }
        },
        finance_store,
    )
    .await;

    fuzz(
        "IssueInvoice",
        21,
        |i| fpb::IssueInvoiceRequest { request_id: format!("fuzz-inv-{i}"), municipality_code: HERE.into(), year: 2021, quarter: 3 },
        vec![
            field("municipality_code", text(bad_code()), Invalid, |r: &mut fpb::IssueInvoiceRequest, v| r.municipality_code = v.text()),
            field("year", int(prop_oneof![Just(0), i32::MIN..0, 10_000..=i32::MAX, 2100..=9999].boxed()), Invalid, |r, v| r.year = v.int()),
            field("quarter", int(prop_oneof![Just(0), Just(5), i32::MIN..0, 5..=i32::MAX].boxed()), Invalid, |r, v| r.quarter = v.int()),
            field("request_id", text(unacceptable_text()), Invalid, |r, v| r.request_id = v.text()),
        ],
        |r| {
            let mut c = finance.clone();
            async move { answer(c.issue_invoice(r).await) }
        },
        finance_store,
    )
    .await;

    // Printable text of any script is no bad input: free text with RTL
    // marks, combining accents, emoji and CJK is stored and read back as sent.
    let odd = "Bakkerij \u{202e}عربي\u{202c} cafe\u{301} 😀👩\u{200d}💻 東京 Ω≈ç";
    let mut b = beschut.clone();
    let stored = b
        .create_placement(bpb::CreatePlacementRequest {
            request_id: format!("odd-{odd}"),
            candidate_id: bob.clone(),
            municipality_code: HERE.into(),
            employer: odd.into(),
            start_date: date("2023-05-01"),
            end_date: None,
            hours_per_week: decimal("12.5"),
        })
        .await
        .expect("printable Unicode is accepted")
        .into_inner();
    let listed = b.list_placements(bpb::ListPlacementsRequest { page_size: 1000, ..Default::default() }).await.expect("list").into_inner();
    let read = listed.placements.iter().find(|p| p.id == stored.id).expect("stored");
    assert_eq!(read.employer, odd);

    // Still answering after all that.
    for service in [partnership_suite::Service::Intake, partnership_suite::Service::Employment, partnership_suite::Service::Beschut, partnership_suite::Service::Finance] {
        use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
        let status = HealthClient::new(suite.channel(service).await).check(HealthCheckRequest { service: String::new() }).await.expect("health").into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    eprintln!("fuzz: {:?} in all", started.elapsed());
    let failures = FAILURES.lock().unwrap();
    assert!(failures.is_empty(), "{} bad answers:\n{}", failures.len(), failures.join("\n"));
}
