//! Reporting end to end: the demo dataset is loaded through the public APIs
//! as municipalities, HR and controllers would; a dashboard asks for the
//! report; every section must equal what this test computes itself from
//! the dataset's plan — for the partnership, an area and a municipality.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use partnership_e2e::*;
use partnership_proto::common::Scope;
use partnership_proto::employment as epb;
use partnership_proto::intake as ipb;
use partnership_proto::reporting as pb;
use partnership_suite::Service;
use partnership_suite::demo::{self, Plan, current_code};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn load_demo(suite: &TestSuite) -> Plan {
    let url = |s: Service| format!("http://{}", suite.suite.addr(s).unwrap());
    let mut clients = demo::Clients::connect(&url(Service::Intake), &url(Service::Employment), &url(Service::Beschut), &url(Service::Finance), &suite.admin_token()).unwrap();
    let plan = Plan::generate(1, 2021);
    demo::load(&plan, &mut clients).await.expect("demo data loads");
    plan
}

async fn report(suite: &TestSuite, year: i32, quarter: i32, scope: Option<Scope>, strict: bool) -> Result<pb::Report, tonic::Status> {
    let mut reporting = suite.reporting().await;
    reporting.get_report(pb::GetReportRequest { year, quarter, scope, strict }).await.map(|r| r.into_inner())
}

fn section<'a>(report: &'a pb::Report, key: &str) -> &'a pb::SectionBody {
    let section = report.sections.iter().find(|s| s.key == key).unwrap_or_else(|| panic!("no section {key}"));
    match &section.content {
        Some(pb::section::Content::Body(body)) => body,
        other => panic!("section {key} is not available: {other:?}"),
    }
}

/// The count in a cell of a table, by row key and column (0 = first value column).
fn count(report: &pb::Report, section_key: &str, table: &str, row: &str, column: usize) -> i64 {
    let body = section(report, section_key);
    let table = body.tables.iter().find(|t| t.key == table).unwrap_or_else(|| panic!("no table {section_key}.{table}"));
    let row = table.rows.iter().find(|r| r.key == row).unwrap_or_else(|| panic!("no row {section_key}.{}.{row}", table.key));
    row.cells[column].count.unwrap_or_else(|| panic!("no count in {section_key}.{}.{}.{column}", table.key, row.key))
}

/// What a scope holds: today's municipality codes in it.
struct ScopeCodes(Option<HashSet<&'static str>>);

impl ScopeCodes {
    fn holds(&self, code: &str) -> bool {
        self.0.as_ref().is_none_or(|codes| codes.contains(current_code(code)))
    }
}

fn status_code(s: ipb::RegistrationStatus) -> &'static str {
    s.as_str_name().trim_start_matches("REGISTRATION_STATUS_")
}

/// Checks every section of the 2023 annual report against the plan.
fn check_report(report: &pb::Report, plan: &Plan, scope: &ScopeCodes) {
    let end = d("2023-12-31");
    let within = |day: NaiveDate, year: i32| day >= NaiveDate::from_ymd_opt(year, 1, 1).unwrap() && day <= NaiveDate::from_ymd_opt(year, 12, 31).unwrap();

    // 1. Cohorts 2023, 2022, 2021 as of 2023-12-31, all and youth.
    for (column, year) in [2023, 2022, 2021].into_iter().enumerate() {
        let cohort: Vec<_> = plan.registrations.iter().filter(|r| within(r.registration_date, year) && scope.holds(&r.municipality_code)).collect();
        assert_eq!(count(report, "aanmeldingen", "alle", "total", column), cohort.len() as i64, "cohort {year}");
        let mut by_status: HashMap<&str, i64> = HashMap::new();
        let mut youth_by_status: HashMap<&str, i64> = HashMap::new();
        for r in &cohort {
            *by_status.entry(status_code(r.status_on(end))).or_default() += 1;
            if r.youth() {
                *youth_by_status.entry(status_code(r.status_on(end))).or_default() += 1;
            }
        }
        for status in ["INTAKE", "VOORTRAJECT", "PROEFPLAATSING", "OPLEIDING", "DVB_REGULIERE_WERKGEVER", "DVB_IBN", "VERHUISD", "ON_HOLD", "TERUGGEMELD"] {
            let expected = by_status.get(status).copied().unwrap_or(0);
            assert_eq!(count(report, "aanmeldingen", "alle", status, column), expected, "cohort {year} {status}");
            let youth = youth_by_status.get(status).copied().unwrap_or(0);
            assert_eq!(count(report, "aanmeldingen", "jongeren", status, column), youth, "youth cohort {year} {status}");
        }
    }

    // 2. Registrations per area per year (2021, 2022, 2023).
    let areas = [("OSS", &["GM0828"][..]), ("MEIERIJSTAD_BERNHEZE_BOEKEL", &["GM1721", "GM0755", "GM1948"][..]), ("MAASHORST", &["GM1991"][..]), ("LAND_VAN_CUIJK", &["GM1982"][..])];
    for (area, members) in areas {
        if !members.iter().any(|m| scope.holds(m)) {
            continue;
        }
        for (column, year) in [2021, 2022, 2023].into_iter().enumerate() {
            let expected = plan.registrations.iter().filter(|r| within(r.registration_date, year) && members.contains(&current_code(&r.municipality_code))).count();
            assert_eq!(count(report, "gebieden", "per_gebied", area, column), expected as i64, "{area} {year}");
        }
    }

    // 3. Trajectories completed in 2023, by result.
    let contract_of: HashMap<&str, &demo::PlannedContract> = plan.contracts.iter().map(|c| (c.hr_contract_id.as_str(), c)).collect();
    let completed: Vec<_> = plan.completions.iter().filter(|(hr, day, _)| within(*day, 2023) && scope.holds(&contract_of[hr.as_str()].municipality_code)).collect();
    assert_eq!(count(report, "trajecten", "resultaten", "completed", 0), completed.len() as i64);
    for result in [epb::TrajectoryResult::DvbIbnKernbezetting, epb::TrajectoryResult::NietPassend, epb::TrajectoryResult::DvbReguliereWerkgever] {
        let key = result.as_str_name().trim_start_matches("TRAJECTORY_RESULT_");
        let expected = completed.iter().filter(|c| c.2 == result).count() as i64;
        assert_eq!(count(report, "trajecten", "resultaten", key, 0), expected, "{key}");
    }

    // 4. PW dienstverbanden started in 2023 (each person has one).
    let pw_in_scope: Vec<_> = plan.contracts.iter().filter(|c| c.kind == epb::ContractKind::Pw && scope.holds(&c.municipality_code)).collect();
    let started: Vec<_> = pw_in_scope.iter().filter(|c| within(c.start, 2023)).collect();
    assert_eq!(count(report, "gestart", "normen", "total", 0), started.len() as i64);
    let beschut_started = started.iter().filter(|c| c.beschut()).count() as i64;
    assert_eq!(count(report, "gestart", "doelgroep", "NIEUW_BESCHUT", 0), beschut_started);

    // 5. PW persons on 2023-12-31.
    let running: Vec<_> = pw_in_scope.iter().filter(|c| c.runs_on(end)).collect();
    assert_eq!(count(report, "pw", "stand", "pw_persons", 1), running.len() as i64);
    assert_eq!(count(report, "pw", "stand", "pw_beschut", 1), running.iter().filter(|c| c.beschut()).count() as i64);
    let wsw = plan.contracts.iter().filter(|c| c.kind == epb::ContractKind::Wsw && c.runs_on(end) && scope.holds(&c.municipality_code)).count();
    assert_eq!(count(report, "pw", "soort_dienstverband", "WSW", 1), wsw as i64);
    // Quarter on quarter: the previous quarter's end beside it.
    let q3 = d("2023-09-30");
    let before = pw_in_scope.iter().filter(|c| c.runs_on(q3)).count();
    assert_eq!(count(report, "pw", "stand", "pw_persons", 0), before as i64);

    // 6. Beschut on 2023-12-31: indications, and who of them works.
    let indicated: HashSet<u32> = plan.indications.iter().filter(|i| i.active_on(end) && scope.holds(&i.municipality_code)).map(|i| i.n).collect();
    let at_ibn: HashSet<u32> = plan.contracts.iter().filter(|c| c.beschut() && c.runs_on(end) && indicated.contains(&c.n)).map(|c| c.n).collect();
    let vangnet: HashSet<u32> = plan.placements.iter().filter(|p| p.start <= end && indicated.contains(&p.n) && !at_ibn.contains(&p.n)).map(|p| p.n).collect();
    assert_eq!(count(report, "beschut", "werkladder", "active_indications", 2), indicated.len() as i64);
    assert_eq!(count(report, "beschut", "werkladder", "working_at_ibn", 2), at_ibn.len() as i64);
    assert_eq!(count(report, "beschut", "werkladder", "REGULIER_WERKEN_MET_VANGNET", 2), vangnet.len() as i64);
    assert_eq!(count(report, "beschut", "werkladder", "working", 2), (at_ibn.len() + vangnet.len()) as i64);

    // 7. Activities and pluspakket participants in 2023.
    let jobcoaching = plan.activities.iter().filter(|(k, m, day)| *k == epb::ActivityKind::Jobcoaching && within(*day, 2023) && scope.holds(m)).count();
    assert_eq!(count(report, "expertise", "activiteiten", "JOBCOACHING", 0), jobcoaching as i64);
    let participants = plan.pluspakket.iter().filter(|(_, m, _, day)| within(*day, 2023) && scope.holds(m)).count();
    assert_eq!(count(report, "expertise", "pluspakket", "total", 0), participants as i64);

    // 9. Finance: the participants again, and a lumpsum that adds up.
    assert_eq!(count(report, "financien", "pluspakket_omzet", "total", 0), participants as i64);
}

#[tokio::test]
async fn the_report_equals_the_figures_of_the_loaded_data() {
    let suite = spawn_suite().await;
    let plan = load_demo(&suite).await;

    let partnership_report = report(&suite, 2023, 4, partnership(), true).await.expect("a complete report");
    assert_eq!(partnership_report.title, "Jaarverslag 2023");
    assert_eq!(partnership_report.sections.len(), 9);
    check_report(&partnership_report, &plan, &ScopeCodes(None));
    // The lumpsum 2023: base 2,330,000 + 3% = 2,399,900.00, allocated to the cent.
    let lumpsum = &section(&partnership_report, "financien").tables[0];
    let total = lumpsum.rows.iter().find(|r| r.key == "total").unwrap().cells[0].number.clone().unwrap().value;
    assert_eq!(total.parse::<rust_decimal::Decimal>().unwrap(), "2399900".parse().unwrap());
    let parts: rust_decimal::Decimal = lumpsum.rows.iter().filter(|r| r.key != "total").map(|r| r.cells[0].number.clone().unwrap().value.parse::<rust_decimal::Decimal>().unwrap()).sum();
    assert_eq!(parts, "2399900".parse().unwrap(), "the parts add up to the cent");

    let maashorst = report(&suite, 2023, 4, area("MAASHORST"), true).await.unwrap();
    assert_eq!(maashorst.scope_name, "Maashorst");
    check_report(&maashorst, &plan, &ScopeCodes(Some(["GM1991"].into())));

    let oss = report(&suite, 2023, 4, municipality("GM0828"), true).await.unwrap();
    assert_eq!(oss.scope_name, "Oss");
    check_report(&oss, &plan, &ScopeCodes(Some(["GM0828"].into())));

    // Areas side by side: the areas add up to the partnership.
    let areas = &section(&partnership_report, "gebieden").tables[0];
    for column in 0..3 {
        let sum: i64 = areas.rows.iter().filter(|r| r.key != "total").map(|r| r.cells[column].count.unwrap()).sum();
        assert_eq!(sum, areas.rows.iter().find(|r| r.key == "total").unwrap().cells[column].count.unwrap());
    }
    // Every fan-out call is timed.
    assert!(partnership_report.sections.iter().flat_map(|s| &s.fetches).all(|f| f.ok && f.elapsed_micros > 0));
}

#[tokio::test]
async fn a_stopped_service_marks_exactly_its_section_unavailable() {
    let mut suite = spawn_suite().await;
    load_demo(&suite).await;
    suite.suite.stop_service(Service::Beschut).await.unwrap();

    let report = report(&suite, 2024, 2, partnership(), false).await.expect("a report with a gap");
    let unavailable: Vec<&str> = report
        .sections
        .iter()
        .filter(|s| matches!(s.content, Some(pb::section::Content::Unavailable(_))))
        .map(|s| s.key.as_str())
        .collect();
    assert_eq!(unavailable, ["beschut"]);
    let Some(pb::section::Content::Unavailable(why)) = &report.sections.iter().find(|s| s.key == "beschut").unwrap().content else { unreachable!() };
    assert!(why.reason.starts_with("beschut.BatchGetBeschutFigures"), "{}", why.reason);
    // The targets section says which of its rows it could not fill, and shows no zero for it.
    let targets = &section(&report, "doelen").tables[0];
    let beschut_row = targets.rows.iter().find(|r| r.key == "beschut_placement").unwrap();
    assert_eq!(beschut_row.cells[0].text, "niet beschikbaar");
    assert!(beschut_row.cells[0].count.is_none() && beschut_row.cells[0].number.is_none());

    let strict = report_strict(&suite).await;
    assert_eq!(strict.code(), tonic::Code::Unavailable);
    assert!(strict.message().contains("Beschut werk"), "{}", strict.message());
}

async fn report_strict(suite: &TestSuite) -> tonic::Status {
    report(suite, 2024, 2, partnership(), true).await.expect_err("strict mode fails")
}

#[tokio::test]
async fn a_report_needs_a_valid_quarter_and_scope() {
    let suite = spawn_suite().await;
    let status = report(&suite, 2023, 5, partnership(), false).await.unwrap_err();
    assert_eq!((status.code(), bad_fields(&status)), (tonic::Code::InvalidArgument, vec!["quarter".to_owned()]));
    let status = report(&suite, 2023, 4, area("NOWHERE"), false).await.unwrap_err();
    assert_eq!(bad_fields(&status), ["scope.code"]);
}

/// The page in a real browser: Debian's chromium, headless. `.ci/run`
/// installs it and sets PARTNERSHIP_REQUIRE_BROWSER, so there it cannot be
/// skipped; on a machine without chromium the test says so and passes.
#[tokio::test]
async fn the_report_page_renders_in_a_browser_with_the_reports_numbers() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|b| which(b)) else {
        assert!(std::env::var_os("PARTNERSHIP_REQUIRE_BROWSER").is_none(), "chromium is required but not installed");
        eprintln!("SKIPPED: no chromium on this machine (`.ci/run` installs it)");
        return;
    };
    let suite = spawn_suite().await;
    load_demo(&suite).await;
    let report = report(&suite, 2023, 4, area("LAND_VAN_CUIJK"), true).await.unwrap();
    let web = suite.suite.web_addr(Service::Reporting).unwrap();
    // A dashboard logs in once; the cookie carries it to the report.
    let token = suite.token(&partnership_platform::auth::Principal::Dashboard);
    let next = "%2Freport%3Fyear%3D2023%26quarter%3D4%26scope%3Darea%3ALAND_VAN_CUIJK";
    let url = format!("http://{web}/login?token={token}&next={next}");
    let profile = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", &url])
        .output()
        .await
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(dom.contains("Jaarverslag 2023"), "the page rendered: {}", String::from_utf8_lossy(&output.stderr));
    assert!(dom.matches("<svg").count() >= 5, "charts: funnels per cohort, bars per area, the beschut trend");
    assert!(dom.contains("data-chart=\"line\"") && dom.contains("data-chart=\"funnel\"") && dom.contains("data-chart=\"bars\""));
    // Every number on the page equals the protobuf report's.
    let mut compared = 0;
    for section in &report.sections {
        let Some(pb::section::Content::Body(body)) = &section.content else { continue };
        for table in &body.tables {
            for row in &table.rows {
                for (i, cell) in row.cells.iter().enumerate() {
                    let raw = match (&cell.count, &cell.number) {
                        (Some(n), _) => n.to_string(),
                        (None, Some(d)) => d.value.clone(),
                        _ => continue,
                    };
                    let needle = format!("data-cell=\"{}.{}.{}.{i}\" data-value=\"{raw}\"", section.key, table.key, row.key);
                    assert!(dom.contains(&needle), "page lacks {needle}");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 100, "compared {compared} numbers");
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()))
}

/// A plain HTTP/1.1 GET: the status line's code, the head, and the body.
async fn http_get(addr: std::net::SocketAddr, target: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// The pages are for the callers of GetReport too: no token, no page.
#[tokio::test]
async fn the_pages_ask_for_a_token_and_a_login_keeps_it_in_a_cookie() {
    use partnership_platform::auth::Principal;
    let suite = spawn_suite().await;
    let web = suite.suite.web_addr(Service::Reporting).unwrap();
    assert_eq!(http_get(web, "/healthz", &[]).await.0, 200, "probes need no token");
    assert_eq!(http_get(web, "/", &[]).await.0, 401);
    assert_eq!(http_get(web, "/", &[("Authorization", "Bearer forged.token.here")]).await.0, 401);
    let hr = format!("Bearer {}", suite.token(&Principal::Hr));
    assert_eq!(http_get(web, "/", &[("Authorization", &hr)]).await.0, 403, "HR reads no reports");
    let dashboard = suite.token(&Principal::Dashboard);
    let bearer = format!("Bearer {dashboard}");
    assert_eq!(http_get(web, "/", &[("Authorization", &bearer)]).await.0, 200);

    let (status, head, _) = http_get(web, &format!("/login?token={dashboard}&next=%2Freport%3Fyear%3D2023%26quarter%3D4"), &[]).await;
    assert_eq!(status, 303);
    assert!(head.contains("Location: /report?year=2023&quarter=4"), "{head}");
    assert!(head.contains(&format!("Set-Cookie: partnership_token={dashboard}; HttpOnly")), "{head}");
    let cookie = format!("partnership_token={dashboard}");
    assert_eq!(http_get(web, "/", &[("Cookie", &cookie)]).await.0, 200, "the cookie lets the browser in");
    let (status, head, _) = http_get(web, &format!("/login?token={dashboard}&next=%2F%2Fevil.example"), &[]).await;
    assert_eq!(status, 303);
    assert!(head.contains("Location: /\r\n"), "never to another site: {head}");
    assert_eq!(http_get(web, "/login?token=nonsense", &[]).await.0, 401);
}
