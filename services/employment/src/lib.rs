//! # Employment
//!
//! Owns the contracts IBN's HR system pushes (every kind), the development
//! trajectories PW contracts start and their results, the development of
//! people (werkladder steps, loonwaarde measurements, uitstroomprofiel) and
//! the expertise and development activities. People are intake's opaque
//! candidate ids: a pushed BSN is resolved through intake and not stored.
//!
//! A new PW dienstverband must reach intake (the registration's outcome
//! becomes "Dvb IBN"); it is written to an outbox with the contract and
//! delivered by a task beside the server ([`outbox`]) until intake answers.
//!
//! The headcount is kept on write, per person ([`headcount`]): a push
//! counts the persons whose contracts it changes again.
//!
//! Layout: [`domain`] holds the rules; [`store`] the SQL; `push`,
//! `development`, `figures`, [`headcount`] and [`outbox`] the operations;
//! [`api`] maps them onto gRPC.

pub mod access;
pub mod api;
mod contracts;
mod development;
pub mod domain;
mod figures;
pub mod headcount;
pub mod outbox;
mod push;
pub use push::MAX_PUSH_BYTES;
pub mod store;
pub mod tallies;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use partnership_platform::audit::AuditLog;
use partnership_platform::auth::{Jurisdictions, ServiceAuth};
use partnership_platform::serve::ServiceRoutes;
use partnership_platform::{CancellationToken, Db, peer};
use partnership_proto::employment::employment_service_server::{EmploymentServiceServer, SERVICE_NAME};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use development::Development;
pub use domain::norms::Norms;
pub use push::{Outcome, Pushed};

/// The port employment listens on by default.
pub const DEFAULT_PORT: u16 = 50052;

/// Employment's settings (the `[employment]` table of the configuration).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmploymentConfig {
    pub listen: SocketAddr,
    /// `postgres://…`, or unset for `employment.db` in the data directory.
    pub database_url: Option<String>,
    /// Where the intake service answers.
    pub intake_url: String,
    /// A norms file to use instead of the one built in.
    pub norms: Option<PathBuf>,
    /// How often the outbox is retried when nothing wakes it, in ms.
    pub outbox_interval_ms: u64,
    /// Deliver the outbox to intake. Operators may pause delivery (messages
    /// keep accumulating, nothing is lost) and resume it with a restart.
    pub deliver_outbox: bool,
    /// Requests handled at once; more are refused with RESOURCE_EXHAUSTED.
    pub max_in_flight: usize,
}

impl Default for EmploymentConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            database_url: None,
            intake_url: format!("http://127.0.0.1:{}", 50051),
            norms: None,
            outbox_interval_ms: 2000,
            deliver_outbox: true,
            max_in_flight: partnership_platform::serve::DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// The employment service's state.
#[derive(Clone)]
pub struct Employment {
    db: Db,
    intake: peer::IntakeClient,
    /// Scopes resolved by intake, kept (every figure of a scope asks).
    scopes: peer::Scopes,
    norms: Arc<Norms>,
    outbox_wake: Arc<Notify>,
}

impl Employment {
    /// Opens the store (applying migrations); intake is reached lazily.
    pub async fn open(database_url: &str, intake_url: &str, peer_token: &str, norms: Norms) -> anyhow::Result<Self> {
        let db = Db::connect(database_url, store::MIGRATIONS).await.context("opening employment's store")?;
        let intake = peer::intake(intake_url, peer_token)?;
        let scopes = peer::Scopes::new(intake.clone());
        Ok(Self { db, intake, scopes, norms: Arc::new(norms), outbox_wake: Arc::new(Notify::new()) })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Runs employment on `listener` until `shutdown` is cancelled.
pub async fn serve(
    config: &EmploymentConfig,
    data_dir: &Path,
    auth: ServiceAuth,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let norms = match &config.norms {
        Some(path) => Norms::from_toml(&std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)?,
        None => Norms::embedded()?,
    };
    let url = config
        .database_url
        .clone()
        .unwrap_or_else(|| partnership_platform::store::sqlite_url(data_dir, "employment"));
    let employment = Employment::open(&url, &config.intake_url, auth.peer_token()?, norms).await?;
    let delivery = config.deliver_outbox.then(|| {
        let interval = Duration::from_millis(config.outbox_interval_ms.max(10));
        tokio::spawn(outbox::deliver_until(employment.clone(), interval, shutdown.clone()))
    });
    let counting = tokio::spawn(headcount::count_listed_until(employment.clone(), shutdown.clone()));
    let server = EmploymentServiceServer::new(api::EmploymentApi::new(employment.clone()))
        .max_decoding_message_size(push::MAX_PUSH_BYTES)
        .max_encoding_message_size(peer::MAX_ANSWER_BYTES);
    let service = ServiceRoutes {
        service_name: SERVICE_NAME,
        file_descriptor_set: partnership_proto::FILE_DESCRIPTOR_SET,
        routes: tonic::service::Routes::new(server),
        policy: access::POLICY,
        jurisdictions: Some(Jurisdictions::through_intake(employment.scopes.clone())),
        audit: Some(AuditLog::new(employment.db.clone(), "employment")),
        auth,
        max_in_flight: config.max_in_flight,
    };
    let served = partnership_platform::serve::serve(service, listener, shutdown.clone()).await;
    shutdown.cancel();
    if let Some(delivery) = delivery {
        let _ = delivery.await;
    }
    let _ = counting.await;
    employment.db.close().await;
    served
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
