//! `partnership`: runs the suite (`--service all`, the default) or one
//! service (`--service intake`). Configuration comes from defaults, an
//! optional `--config file.toml`, and `PARTNERSHIP__…` environment variables.

use std::path::PathBuf;

use anyhow::Context;
use partnership_platform::{config, telemetry};
use partnership_suite::{Service, SuiteConfig};

const USAGE: &str = "\
usage: partnership [--service all|intake|employment|beschut|finance] [--config FILE]

  --service   which service to run; `all` runs the whole suite in one
              process, each service on its own port (default: all)
  --config    a TOML file overriding the defaults; PARTNERSHIP__SECTION__KEY
              environment variables override both
              (e.g. PARTNERSHIP__INTAKE__LISTEN=0.0.0.0:50051)
";

struct Args {
    services: Vec<Service>,
    config: Option<PathBuf>,
}

fn parse_args() -> anyhow::Result<Option<Args>> {
    let mut args = Args { services: Service::ALL.to_vec(), config: None };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| argv.next()).with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--service" | "-s" => args.services = Service::parse_selection(&value()?)?,
            "--config" | "-c" => args.config = Some(PathBuf::from(value()?)),
            "--help" | "-h" => return Ok(None),
            other => anyhow::bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    Ok(Some(args))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(args) = parse_args()? else {
        print!("{USAGE}");
        return Ok(());
    };
    let config: SuiteConfig = config::load(args.config.as_deref())?;
    let _telemetry = telemetry::init(&config.telemetry)?;
    tracing::info!("configuration:\n{}", config::redacted(&config));

    let suite = partnership_suite::start(config, &args.services).await?;
    for service in &args.services {
        if let Some(addr) = suite.addr(*service) {
            tracing::info!(service = service.name(), %addr, "listening");
        }
    }
    suite.run_until(shutdown_signal()).await
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
