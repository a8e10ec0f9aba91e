//! # Beschut
//!
//! Owns the indications beschut werk (granted, expired, withdrawn, with
//! their history), the placements at regular employers with IBN as the
//! safety net (regulier werken met vangnet), the schakeltrajecten and the
//! yearly taakstelling. Its figures combine these with who is employed
//! beschut at IBN, which it asks the employment service; candidates and
//! scopes it checks with intake.
//!
//! Layout: [`domain`] holds the rules; [`store`] the SQL; `records` and
//! `figures` the operations; [`api`] maps them onto gRPC.

pub mod access;
pub mod api;
pub mod domain;
mod figures;
mod records;
pub mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use partnership_platform::audit::AuditLog;
use partnership_platform::auth::{Jurisdictions, ServiceAuth};
use partnership_platform::serve::ServiceRoutes;
use partnership_platform::{CancellationToken, Db, peer};
use partnership_proto::beschut::beschut_service_server::{BeschutServiceServer, SERVICE_NAME};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

pub use domain::taakstelling::Taakstelling;

/// The port beschut listens on by default.
pub const DEFAULT_PORT: u16 = 50053;

/// Beschut's settings (the `[beschut]` table of the configuration).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BeschutConfig {
    pub listen: SocketAddr,
    /// `postgres://…`, or unset for `beschut.db` in the data directory.
    pub database_url: Option<String>,
    pub intake_url: String,
    pub employment_url: String,
    /// A taakstelling file to use instead of the one built in.
    pub taakstelling: Option<PathBuf>,
    /// Requests handled at once; more are refused with RESOURCE_EXHAUSTED.
    pub max_in_flight: usize,
}

impl Default for BeschutConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            database_url: None,
            intake_url: "http://127.0.0.1:50051".into(),
            employment_url: "http://127.0.0.1:50052".into(),
            taakstelling: None,
            max_in_flight: partnership_platform::serve::DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// The beschut service's state.
#[derive(Clone)]
pub struct Beschut {
    db: Db,
    intake: peer::IntakeClient,
    /// Scopes resolved by intake, kept (every figure of a scope asks).
    scopes: peer::Scopes,
    employment: peer::EmploymentClient,
    taakstelling: Arc<Taakstelling>,
}

impl Beschut {
    pub async fn open(config: &BeschutConfig, database_url: &str, peer_token: &str, taakstelling: Taakstelling) -> anyhow::Result<Self> {
        let db = Db::connect(database_url, store::MIGRATIONS).await.context("opening beschut's store")?;
        let intake = peer::intake(&config.intake_url, peer_token)?;
        Ok(Self {
            db,
            scopes: peer::Scopes::new(intake.clone()),
            intake,
            employment: peer::employment(&config.employment_url, peer_token)?,
            taakstelling: Arc::new(taakstelling),
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Runs beschut on `listener` until `shutdown` is cancelled.
pub async fn serve(
    config: &BeschutConfig,
    data_dir: &Path,
    auth: ServiceAuth,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let taakstelling = match &config.taakstelling {
        Some(path) => Taakstelling::from_toml(&std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)?,
        None => Taakstelling::embedded()?,
    };
    let url = config.database_url.clone().unwrap_or_else(|| partnership_platform::store::sqlite_url(data_dir, "beschut"));
    let beschut = Beschut::open(config, &url, auth.peer_token()?, taakstelling).await?;
    let service = ServiceRoutes {
        service_name: SERVICE_NAME,
        file_descriptor_set: partnership_proto::FILE_DESCRIPTOR_SET,
        routes: tonic::service::Routes::new(BeschutServiceServer::new(api::BeschutApi::new(beschut.clone()))),
        policy: access::POLICY,
        jurisdictions: Some(Jurisdictions::through_intake(beschut.scopes.clone())),
        audit: Some(AuditLog::new(beschut.db.clone(), "beschut")),
        auth,
        max_in_flight: config.max_in_flight,
    };
    let served = partnership_platform::serve::serve(service, listener, shutdown).await;
    beschut.db.close().await;
    served
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
