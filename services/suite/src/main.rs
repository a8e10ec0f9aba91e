//! `partnership`: runs the suite (`--service all`, the default) or one
//! service; loads the demo data into a running suite; prints a report.
//! Configuration comes from defaults, an optional `--config file.toml`, and
//! `PARTNERSHIP__…` environment variables.

use std::path::PathBuf;

use anyhow::Context;
use partnership_platform::{config, telemetry};
use partnership_suite::{Service, SuiteConfig, demo};

const USAGE: &str = "\
usage: partnership [--service all|intake|employment|beschut|finance|reporting] [--config FILE]
       partnership demo-data [--scale N] [--config FILE]
       partnership report --year Y --quarter Q [--scope partnership|area:CODE|municipality:CODE]
                          [--out DIR] [--config FILE]

  --service   which service to run; `all` runs the whole suite in one
              process, each service on its own port (default: all)
  --config    a TOML file overriding the defaults; PARTNERSHIP__SECTION__KEY
              environment variables override both
              (e.g. PARTNERSHIP__INTAKE__LISTEN=0.0.0.0:50051)
  demo-data   loads a realistic 2021–2024 dataset into the running suite
              through its gRPC APIs (scale 1: the partnership's size)
  report      composes a report from the running services, prints it, and
              writes it as JSON and HTML into --out (default: .)
";

enum Command {
    Run(Vec<Service>),
    DemoData { scale: u32 },
    Report { year: i32, quarter: u32, scope: String, out: PathBuf },
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
        tracing::info!("reports for people: http://{web}/");
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
    )?;
    let plan = demo::Plan::generate(scale, 2021);
    for line in demo::load(&plan, &mut clients).await.context("loading the demo data (is the suite running?)")? {
        println!("{line}");
    }
    println!("demo data loaded; reports at http://{}/", config.reporting.web_listen);
    Ok(())
}

async fn report(config: &SuiteConfig, year: i32, quarter: u32, scope: &str, out: &std::path::Path) -> anyhow::Result<()> {
    let reporting = partnership_reporting::Reporting::new(config.reporting.clone())?;
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
