//! # The partnership suite
//!
//! Runs every service in one process (`--service all`, the embedded
//! default: each service on its own port with its own SQLite file, talking
//! gRPC to the others) or any single one (`--service intake`, one
//! container per service in production) — the same code either way.
//!
//! [`start`] is what the binary and the end-to-end tests call.

pub mod demo;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use partnership_beschut::BeschutConfig;
use partnership_reporting::ReportingConfig;
use partnership_employment::EmploymentConfig;
use partnership_finance::FinanceConfig;
use partnership_intake::IntakeConfig;
use partnership_platform::CancellationToken;
use partnership_platform::auth::{self, AuthConfig, Issuer, Principal, ServiceAuth, Verifier};
use std::sync::Arc;
use partnership_platform::telemetry::TelemetryConfig;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The suite's configuration: defaults, then the file, then `PARTNERSHIP__…`
/// environment variables (see `partnership_platform::config`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuiteConfig {
    /// Where the SQLite files live when a service has no `database_url`.
    pub data_dir: PathBuf,
    pub telemetry: TelemetryConfig,
    pub auth: AuthConfig,
    pub intake: IntakeConfig,
    pub employment: EmploymentConfig,
    pub beschut: BeschutConfig,
    pub reporting: ReportingConfig,
    pub finance: FinanceConfig,
}

impl Default for SuiteConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            telemetry: TelemetryConfig::default(),
            auth: AuthConfig::default(),
            intake: IntakeConfig::default(),
            employment: EmploymentConfig::default(),
            beschut: BeschutConfig::default(),
            reporting: ReportingConfig::default(),
            finance: FinanceConfig::default(),
        }
    }
}

/// A service the suite can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    Intake,
    Employment,
    Beschut,
    Finance,
    Reporting,
}

impl Service {
    pub const ALL: [Self; 5] = [Self::Intake, Self::Employment, Self::Beschut, Self::Finance, Self::Reporting];

    pub fn name(self) -> &'static str {
        match self {
            Self::Intake => "intake",
            Self::Employment => "employment",
            Self::Beschut => "beschut",
            Self::Finance => "finance",
            Self::Reporting => "reporting",
        }
    }

    /// `all` or one service's name.
    pub fn parse_selection(text: &str) -> anyhow::Result<Vec<Self>> {
        if text == "all" {
            return Ok(Self::ALL.to_vec());
        }
        Self::ALL.into_iter().find(|s| s.name() == text).map(|s| vec![s]).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|s| s.name()).collect();
            anyhow::anyhow!("unknown service {text:?}; use all or one of {}", names.join(", "))
        })
    }

    /// The address the service listens on in this configuration.
    pub fn listen(self, config: &SuiteConfig) -> SocketAddr {
        match self {
            Self::Intake => config.intake.listen,
            Self::Employment => config.employment.listen,
            Self::Beschut => config.beschut.listen,
            Self::Finance => config.finance.listen,
            Self::Reporting => config.reporting.listen,
        }
    }
}

struct Running {
    addr: SocketAddr,
    /// The pages for people, for the services that serve them (reporting).
    web_addr: Option<SocketAddr>,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

/// How the services of this process authenticate callers and each other:
/// with the configured public key and peer token, or — when no key is
/// configured — with the local dev setup in `<data_dir>/credentials`.
pub enum Credentials {
    Configured { verifier: Verifier, peer_token: Option<String> },
    Dev { issuer: Arc<Issuer>, revoked: Vec<String> },
}

/// How long a dev peer token (made at every start) is valid.
const DEV_PEER_TOKEN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

impl Credentials {
    pub fn load(config: &SuiteConfig) -> anyhow::Result<Self> {
        match &config.auth.verify_key {
            Some(key) => Ok(Self::Configured {
                verifier: Verifier::from_encoded(key, config.auth.issuer.clone())?
                    .revoking(config.auth.revoked_tokens.iter().cloned()),
                peer_token: config.auth.peer_token.clone(),
            }),
            None => {
                let reference = partnership_intake::load_reference(&config.intake)?;
                let codes: Vec<String> = reference.municipalities.iter().map(|m| m.code.clone()).collect();
                let issuer = auth::dev::ensure(&config.data_dir, &config.auth, &codes).context("the local dev credentials")?;
                Ok(Self::Dev { issuer: Arc::new(issuer), revoked: config.auth.revoked_tokens.clone() })
            }
        }
    }

    /// What `service` needs: the verifier, and its own token for its peers.
    pub fn for_service(&self, service: Service) -> ServiceAuth {
        match self {
            Self::Configured { verifier, peer_token } => {
                ServiceAuth { verifier: verifier.clone(), peer_token: peer_token.clone() }
            }
            Self::Dev { issuer, revoked } => ServiceAuth {
                verifier: issuer.verifier().revoking(revoked.iter().cloned()),
                peer_token: Some(issuer.issue(&Principal::Peer { service: service.name().to_owned() }, DEV_PEER_TOKEN_LIFETIME)),
            },
        }
    }

    /// The dev issuer, when this is the dev setup (tests mint tokens with it).
    pub fn dev_issuer(&self) -> Option<&Issuer> {
        match self {
            Self::Dev { issuer, .. } => Some(issuer),
            Self::Configured { .. } => None,
        }
    }
}

/// The services started, with their addresses.
pub struct RunningSuite {
    config: SuiteConfig,
    credentials: Credentials,
    shutdown: CancellationToken,
    services: BTreeMap<Service, Running>,
}

/// Binds every selected service's port, then serves them. Ports are bound
/// first so a taken port fails the start, and port 0 picks a free one.
pub async fn start(config: SuiteConfig, services: &[Service]) -> anyhow::Result<RunningSuite> {
    let credentials = Credentials::load(&config)?;
    let mut suite = RunningSuite { config, credentials, shutdown: CancellationToken::new(), services: BTreeMap::new() };
    for &service in services {
        suite.start_service(service).await?;
    }
    Ok(suite)
}

impl RunningSuite {
    /// The configuration services are (re)started with; change it before
    /// `start_service` to restart a service differently.
    pub fn config_mut(&mut self) -> &mut SuiteConfig {
        &mut self.config
    }

    /// Where the SQLite files and the dev credentials live.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.config.data_dir
    }

    /// How this suite's services authenticate.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The address a service listens on.
    pub fn addr(&self, service: Service) -> Option<SocketAddr> {
        self.services.get(&service).map(|r| r.addr)
    }

    /// The address of a service's pages for people, if it serves them.
    pub fn web_addr(&self, service: Service) -> Option<SocketAddr> {
        self.services.get(&service).and_then(|r| r.web_addr)
    }

    /// Starts one service (again) on its configured address, or on the
    /// address it had before if it ran already, so clients find it back.
    pub async fn start_service(&mut self, service: Service) -> anyhow::Result<SocketAddr> {
        let addr = self.services.get(&service).map(|r| r.addr).unwrap_or_else(|| service.listen(&self.config));
        let listener =
            TcpListener::bind(addr).await.with_context(|| format!("{}: binding {addr}", service.name()))?;
        let addr = listener.local_addr()?;
        let web_listener = match service {
            Service::Reporting => {
                let web = self.web_addr(service).unwrap_or(self.config.reporting.web_listen);
                Some(TcpListener::bind(web).await.with_context(|| format!("reporting pages: binding {web}"))?)
            }
            _ => None,
        };
        let web_addr = web_listener.as_ref().map(TcpListener::local_addr).transpose()?;
        let stop = self.shutdown.child_token();
        let config = self.with_local_peers();
        let token = stop.clone();
        let auth = self.credentials.for_service(service);
        let task = tokio::spawn(async move {
            let dir = &config.data_dir;
            match service {
                Service::Intake => partnership_intake::serve(&config.intake, dir, auth, listener, token).await,
                Service::Employment => partnership_employment::serve(&config.employment, dir, auth, listener, token).await,
                Service::Beschut => partnership_beschut::serve(&config.beschut, dir, auth, listener, token).await,
                Service::Finance => partnership_finance::serve(&config.finance, dir, auth, listener, token).await,
                Service::Reporting => {
                    partnership_reporting::serve(&config.reporting, dir, auth, listener, web_listener, token).await
                }
            }
        });
        self.services.insert(service, Running { addr, web_addr, stop, task });
        Ok(addr)
    }

    /// The configuration, with every peer that runs in this process reached
    /// at the address it really listens on (port 0 picks a free one).
    fn with_local_peers(&self) -> SuiteConfig {
        let mut config = self.config.clone();
        if let Some(intake) = self.addr(Service::Intake) {
            let url = format!("http://{intake}");
            config.employment.intake_url = url.clone();
            config.beschut.intake_url = url.clone();
            config.finance.intake_url = url.clone();
            config.reporting.intake_url = url;
        }
        if let Some(employment) = self.addr(Service::Employment) {
            let url = format!("http://{employment}");
            config.beschut.employment_url = url.clone();
            config.finance.employment_url = url.clone();
            config.reporting.employment_url = url;
        }
        if let Some(beschut) = self.addr(Service::Beschut) {
            config.reporting.beschut_url = format!("http://{beschut}");
        }
        if let Some(finance) = self.addr(Service::Finance) {
            config.reporting.finance_url = format!("http://{finance}");
        }
        config
    }

    /// Stops one service gracefully and waits until it has.
    pub async fn stop_service(&mut self, service: Service) -> anyhow::Result<()> {
        if let Some(running) = self.services.get(&service) {
            running.stop.cancel();
            let task = &mut self.services.get_mut(&service).expect("present").task;
            task.await.context("service task panicked")??;
        }
        Ok(())
    }

    /// Runs until `signal` fires, then stops every service gracefully. If a
    /// service stops by itself first (a failure), the others are stopped
    /// and its error is returned.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        let tasks = self.services.values_mut().map(|r| &mut r.task);
        tokio::select! {
            () = signal => {
                tracing::info!("shutdown requested");
                self.stop().await
            }
            (result, index, _) = futures::future::select_all(tasks) => {
                let service = *self.services.keys().nth(index).expect("index of a running service");
                self.services.remove(&service);
                let stopped = self.stop().await;
                let result = result.context("service task panicked").and_then(|r| r);
                result.with_context(|| format!("{} stopped", service.name()))?;
                stopped.and(Err(anyhow::anyhow!("{} stopped unexpectedly", service.name())))
            }
        }
    }

    /// Stops every service gracefully.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        for (service, running) in std::mem::take(&mut self.services) {
            running.task.await.context("service task panicked")?.with_context(|| service.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example configuration in deploy/ is what the binary really reads:
    /// every table and key parses, and it names every service's port.
    #[test]
    fn the_example_configuration_matches_the_binary() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/partnership.example.toml");
        let config: SuiteConfig = partnership_platform::config::load_from(Some(&path), Vec::new()).expect("the example loads");
        let defaults = SuiteConfig::default();
        for service in Service::ALL {
            assert_eq!(service.listen(&config), service.listen(&defaults), "{}", service.name());
        }
        assert_eq!(config.reporting.web_listen, defaults.reporting.web_listen);
        let text = std::fs::read_to_string(&path).unwrap();
        for service in Service::ALL {
            assert!(text.contains(&format!("[{}]", service.name())), "deploy example lacks [{}]", service.name());
        }
    }

    #[test]
    fn service_selection_is_all_or_one_by_name() {
        assert_eq!(Service::parse_selection("all").unwrap().len(), Service::ALL.len());
        assert_eq!(Service::parse_selection("finance").unwrap(), vec![Service::Finance]);
        assert!(Service::parse_selection("payroll").is_err());
    }
}
