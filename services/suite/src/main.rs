//! `partnership`: runs the suite (`--service all`, the default) or one
//! service; loads the demo data into a running suite; prints a report.
//! Configuration comes from defaults, an optional `--config file.toml`, and
//! `PARTNERSHIP__…` environment variables.

use std::path::PathBuf;

use anyhow::Context;
use std::time::Duration;

use partnership_platform::auth::{Kind, Principal};
use partnership_platform::{config, telemetry};
use partnership_suite::{Service, SuiteConfig, demo};

const USAGE: &str = "\
usage: partnership [--service all|intake|employment|beschut|finance|reporting] [--config FILE]
       partnership demo-data [--scale N] [--config FILE]
       partnership report --year Y --quarter Q [--scope partnership|area:CODE|municipality:CODE]
                          [--out DIR] [--config FILE]
       partnership credentials --kind municipality|hr|dashboard|administrator|peer
                               [--municipality CODE] [--service NAME] [--days N] [--config FILE]
       partnership credentials --new-key FILE
       partnership audit [--candidate ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--config FILE]

  --service   which service to run; `all` runs the whole suite in one
              process, each service on its own port (default: all)
  --config    a TOML file overriding the defaults; PARTNERSHIP__SECTION__KEY
              environment variables override both
              (e.g. PARTNERSHIP__INTAKE__LISTEN=0.0.0.0:50051)
  demo-data   loads a realistic 2021–2024 dataset into the running suite
              through its gRPC APIs (scale 1: the partnership's size)
  report      composes a report from the running services, prints it, and
              writes it as JSON and HTML into --out (default: .)
  credentials prints a bearer token for a caller, signed with auth.signing_key_file
              (default: the dev key in <data_dir>/credentials); --new-key writes a
              fresh signing key to FILE and prints its public auth.verify_key
  audit       prints the processing log of every service (administrator only)

  demo-data and audit call as the administrator: $PARTNERSHIP_TOKEN, or the dev
  token in <data_dir>/credentials/administrator.token
";

enum Command {
    Run(Vec<Service>),
    DemoData { scale: u32 },
    Report { year: i32, quarter: u32, scope: String, out: PathBuf },
    Credentials { kind: String, municipality: Option<String>, service: Option<String>, days: u64 },
    NewKey { file: PathBuf },
    Audit { candidate: Option<String>, from: Option<String>, to: Option<String> },
}

fn parse_args() -> anyhow::Result<Option<(Command, Option<PathBuf>)>> {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    let sub = argv.first().filter(|a| !a.starts_with('-')).cloned();
    if sub.is_some() {
        argv.remove(0);
    }
    let mut flags = std::collections::HashMap::new();
    let mut args = argv.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(None);
        }
        let (flag, value) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), value.to_owned()),
            None => (arg.clone(), args.next().with_context(|| format!("{arg} needs a value\n\n{USAGE}"))?),
        };
        flags.insert(flag, value);
    }
    let mut take = |names: &[&str]| names.iter().find_map(|n| flags.remove(*n));
    let config = take(&["--config", "-c"]).map(PathBuf::from);
    let command = match sub.as_deref() {
        None => Command::Run(Service::parse_selection(&take(&["--service", "-s"]).unwrap_or_else(|| "all".into()))?),
        Some("demo-data") => Command::DemoData { scale: take(&["--scale"]).map(|s| s.parse()).transpose()?.unwrap_or(1) },
        Some("report") => Command::Report {
            year: take(&["--year"]).context("--year is required")?.parse()?,
            quarter: take(&["--quarter"]).context("--quarter is required")?.parse()?,
            scope: take(&["--scope"]).unwrap_or_else(|| "partnership".into()),
            out: PathBuf::from(take(&["--out"]).unwrap_or_else(|| ".".into())),
        },
        Some("credentials") => match take(&["--new-key"]) {
            Some(file) => Command::NewKey { file: PathBuf::from(file) },
            None => Command::Credentials {
                kind: take(&["--kind"]).context("--kind is required")?,
                municipality: take(&["--municipality"]),
                service: take(&["--service"]),
                days: take(&["--days"]).map(|d| d.parse()).transpose()?.unwrap_or(90),
            },
        },
        Some("audit") => Command::Audit { candidate: take(&["--candidate"]), from: take(&["--from"]), to: take(&["--to"]) },
        Some(other) => anyhow::bail!("unknown command {other:?}\n\n{USAGE}"),
    };
    if let Some(flag) = flags.keys().next() {
        anyhow::bail!("unknown argument {flag:?}\n\n{USAGE}");
    }
    Ok(Some((command, config)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some((command, config_file)) = parse_args()? else {
        print!("{USAGE}");
        return Ok(());
    };
    let config: SuiteConfig = config::load(config_file.as_deref())?;
    let _telemetry = telemetry::init(&config.telemetry)?;
    match command {
        Command::Run(services) => run(config, &services).await,
        Command::DemoData { scale } => demo_data(&config, scale).await,
        Command::Report { year, quarter, scope, out } => report(&config, year, quarter, &scope, &out).await,
        Command::Credentials { kind, municipality, service, days } => credentials(&config, &kind, municipality, service, days),
        Command::NewKey { file } => new_key(&config, &file),
        Command::Audit { candidate, from, to } => audit(&config, candidate, from, to).await,
    }
}

async fn run(config: SuiteConfig, services: &[Service]) -> anyhow::Result<()> {
    tracing::info!("configuration:\n{}", config::redacted(&config));
    let suite = partnership_suite::start(config, services).await?;
    for service in services {
        if let Some(addr) = suite.addr(*service) {
            tracing::info!(service = service.name(), %addr, "listening");
        }
    }
    if let Some(web) = suite.web_addr(Service::Reporting) {
        tracing::info!("reports for people: http://{web}/ (log in once with /login?token=…)");
    }
    if suite.credentials().dev_issuer().is_some() {
        let dir = partnership_platform::auth::dev::credentials_dir(suite.data_dir());
        let intake = suite.addr(Service::Intake).map(|a| a.to_string()).unwrap_or_else(|| "127.0.0.1:50051".into());
        tracing::info!(
            "no auth.verify_key configured: using the local dev credentials in {dir}/ (signing.key, and a token per caller:\n  \
             administrator.token, hr.token, dashboard.token, municipality-<CBS code>.token). Call with e.g.\n  \
             grpcurl -plaintext -H \"authorization: Bearer $(cat {dir}/municipality-GM1991.token)\" \\\n    \
             -d '{{\"municipality_code\": \"GM1991\"}}' {intake} partnership.intake.v1.IntakeService/ListRegistrations",
            dir = dir.display()
        );
    }
    suite.run_until(shutdown_signal()).await
}

async fn demo_data(config: &SuiteConfig, scale: u32) -> anyhow::Result<()> {
    let url = |addr: std::net::SocketAddr| format!("http://{addr}");
    let mut clients = demo::Clients::connect(
        &url(config.intake.listen),
        &url(config.employment.listen),
        &url(config.beschut.listen),
        &url(config.finance.listen),
        &administrator_token(config)?,
    )?;
    let plan = demo::Plan::generate(scale, 2021);
    for line in demo::load(&plan, &mut clients).await.context("loading the demo data (is the suite running?)")? {
        println!("{line}");
    }
    let dashboard = partnership_platform::auth::dev::token_file(&config.data_dir, &Principal::Dashboard);
    println!(
        "demo data loaded; reports at http://{}/login?token=$(cat {})",
        config.reporting.web_listen,
        dashboard.display()
    );
    Ok(())
}

async fn report(config: &SuiteConfig, year: i32, quarter: u32, scope: &str, out: &std::path::Path) -> anyhow::Result<()> {
    let peer_token = match &config.auth.peer_token {
        Some(token) => token.clone(),
        None => partnership_platform::auth::dev::issuer_for(&config.auth, &config.data_dir)?
            .issue(&Principal::Peer { service: "reporting".into() }, Duration::from_secs(3600)),
    };
    let reporting = partnership_reporting::Reporting::new(config.reporting.clone(), &peer_token)?;
    let scope = partnership_reporting::web::parse_scope(scope)?;
    let report = reporting.report(year, quarter, scope, false).await?;
    print!("{}", partnership_reporting::render::text::report(&report));
    std::fs::create_dir_all(out)?;
    let name = format!("rapportage-{}-q{}-{}", year, quarter, partnership_reporting::render::html::scope_param(report.scope.as_ref().context("scope")?).replace(':', "-"));
    let json = out.join(format!("{name}.json"));
    let html = out.join(format!("{name}.html"));
    std::fs::write(&json, serde_json::to_string_pretty(&report)?)?;
    std::fs::write(&html, partnership_reporting::render::html::page(&report))?;
    eprintln!("written: {} and {}", json.display(), html.display());
    Ok(())
}

/// The token the CLI's own calls carry: `$PARTNERSHIP_TOKEN`, or the dev
/// administrator's.
fn administrator_token(config: &SuiteConfig) -> anyhow::Result<String> {
    if let Ok(token) = std::env::var("PARTNERSHIP_TOKEN") {
        return Ok(token);
    }
    let file = partnership_platform::auth::dev::token_file(&config.data_dir, &Principal::Administrator);
    std::fs::read_to_string(&file)
        .map(|t| t.trim().to_owned())
        .with_context(|| format!("no $PARTNERSHIP_TOKEN and no dev token at {} (start the suite once first)", file.display()))
}

fn credentials(config: &SuiteConfig, kind: &str, municipality: Option<String>, service: Option<String>, days: u64) -> anyhow::Result<()> {
    let principal = match (Kind::parse(kind), municipality, service) {
        (Some(Kind::Municipality), Some(code), _) => Principal::Municipality { code },
        (Some(Kind::Municipality), None, _) => anyhow::bail!("a municipality's token needs --municipality CODE"),
        (Some(Kind::Peer), _, Some(service)) => Principal::Peer { service },
        (Some(Kind::Peer), _, None) => anyhow::bail!("a peer token needs --service NAME"),
        (Some(Kind::Hr), ..) => Principal::Hr,
        (Some(Kind::Dashboard), ..) => Principal::Dashboard,
        (Some(Kind::Administrator), ..) => Principal::Administrator,
        (None, ..) => anyhow::bail!("unknown --kind {kind:?}: municipality, hr, dashboard, administrator or peer"),
    };
    let issuer = partnership_platform::auth::dev::issuer_for(&config.auth, &config.data_dir)?;
    let token = issuer.issue(&principal, Duration::from_secs(days * 24 * 3600));
    let (_, claims) = issuer.verifier().verify(&token).context("the new token verifies")?;
    println!("{token}");
    eprintln!("a token for {} valid {days} days; its id (for auth.revoked_tokens): {}", principal.subject(), claims.jti);
    Ok(())
}

fn new_key(config: &SuiteConfig, file: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(!file.exists(), "{} exists; not overwriting a signing key", file.display());
    let issuer = partnership_platform::auth::Issuer::generate(config.auth.issuer.clone())?;
    partnership_platform::auth::dev::write_private(file, &issuer.encoded_seed())?;
    eprintln!("signing key written to {} (keep it away from the services)", file.display());
    println!("{}", issuer.encoded_verify_key());
    Ok(())
}

async fn audit(config: &SuiteConfig, candidate: Option<String>, from: Option<String>, to: Option<String>) -> anyhow::Result<()> {
    use partnership_proto::audit as apb;
    let date = |text: Option<String>, flag: &str| -> anyhow::Result<_> {
        text.map(|t| t.parse::<chrono::NaiveDate>().with_context(|| format!("{flag} must be YYYY-MM-DD")))
            .transpose()
            .map(|d| d.map(partnership_platform::dates::to_proto))
    };
    let (from, to) = (date(from, "--from")?, date(to, "--to")?);
    let token = administrator_token(config)?;
    for service in [Service::Intake, Service::Employment, Service::Beschut, Service::Finance] {
        let url = format!("http://{}", service.listen(config));
        let mut client = apb::audit_log_service_client::AuditLogServiceClient::new(partnership_platform::peer::channel(&url, &token)?);
        let mut page_token = String::new();
        loop {
            let request = apb::ListAuditRecordsRequest {
                data_subject_id: candidate.clone().unwrap_or_default(),
                from,
                to,
                page_size: 1000,
                page_token,
            };
            let page = client.list_audit_records(request).await.with_context(|| format!("{}'s audit log", service.name()))?.into_inner();
            for r in &page.records {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\tstatus {}\t{}\t[{}]",
                    r.start_time, r.service, r.principal_id, r.action, r.operation.rsplit('/').next().unwrap_or_default(),
                    r.processing_activity, r.status_code, r.trace_id, r.data_subject_ids.join(",")
                );
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM as Kubernetes sends it.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
