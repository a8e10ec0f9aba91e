//! # Intake
//!
//! Owns the candidates (with their BSN, stored nowhere else), the
//! basispakket registrations with their status history, the pluspakket
//! registrations, and the reference data on municipalities and areas.
//! Municipalities register and follow their residents here; peer services
//! resolve a BSN to an opaque candidate id; reporting asks for figures,
//! which never contain a person.
//!
//! Layout: [`domain`] holds the rules (no I/O); [`store`] the SQL; the
//! operations live in one module per resource (`candidates`,
//! `registrations`, `import`, `pluspakket`, `figures`); [`api`] maps them
//! onto gRPC.

pub mod access;
pub mod api;
mod candidates;
pub mod domain;
mod figures;
mod import;
mod pluspakket;
mod registrations;
pub mod store;
mod tallies;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use partnership_platform::audit::AuditLog;
use partnership_platform::batch::Batcher;
use partnership_platform::auth::{Jurisdictions, ServiceAuth};
use partnership_platform::serve::ServiceRoutes;
use partnership_platform::{CancellationToken, Db};
use partnership_proto::intake::intake_service_server::{IntakeServiceServer, SERVICE_NAME};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

pub use candidates::NewCandidate;
pub use domain::reference::ReferenceData;
pub use import::{ImportOutcome, ImportedRegistration};
pub use pluspakket::NewPluspakket;
pub use registrations::{Correction, EmploymentOutcome, NewRegistration, NewStatus, RegistrationView};

/// The port intake listens on by default.
pub const DEFAULT_PORT: u16 = 50051;

/// Intake's settings (the `[intake]` table of the suite's configuration).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntakeConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `postgres://…` for PostgreSQL; unset for `intake.db` (SQLite) in the
    /// data directory.
    pub database_url: Option<String>,
    /// A reference data file to use instead of the one built in.
    pub reference_data: Option<PathBuf>,
    /// Requests handled at once; more are refused with RESOURCE_EXHAUSTED.
    pub max_in_flight: usize,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            database_url: None,
            reference_data: None,
            max_in_flight: partnership_platform::serve::DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// The intake service's state: its store and its reference data.
#[derive(Clone)]
pub struct Intake {
    db: Db,
    reference: Arc<ReferenceData>,
    /// New registrations from concurrent requests, written together.
    new_registrations: Batcher<store::NewRegistrations>,
    birth_dates: candidates::BirthDates,
}

/// The most new registrations one write carries.
const REGISTRATIONS_PER_BATCH: usize = 128;

impl Intake {
    /// Opens the store (applying migrations) with the given reference data.
    pub async fn open(database_url: &str, reference: ReferenceData) -> anyhow::Result<Self> {
        let db = Db::connect(database_url, store::MIGRATIONS).await.context("opening intake's store")?;
        let new_registrations = Batcher::new(db.clone(), store::NewRegistrations, REGISTRATIONS_PER_BATCH);
        Ok(Self { db, reference: Arc::new(reference), new_registrations, birth_dates: Default::default() })
    }

    pub fn reference(&self) -> &ReferenceData {
        &self.reference
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Loads the configured reference data file, or the built-in one.
pub fn load_reference(config: &IntakeConfig) -> anyhow::Result<ReferenceData> {
    match &config.reference_data {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            ReferenceData::from_toml(&text).with_context(|| format!("loading {}", path.display()))
        }
        None => Ok(ReferenceData::embedded()?),
    }
}

/// Runs intake on `listener` until `shutdown` is cancelled.
pub async fn serve(
    config: &IntakeConfig,
    data_dir: &Path,
    auth: ServiceAuth,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let reference = load_reference(config)?;
    let url = config.database_url.clone().unwrap_or_else(|| partnership_platform::store::sqlite_url(data_dir, "intake"));
    let intake = Intake::open(&url, reference).await?;
    let routes = tonic::service::Routes::new(
        IntakeServiceServer::new(api::IntakeApi::new(intake.clone())).max_decoding_message_size(api::MAX_REQUEST_BYTES),
    );
    // Intake owns the merger history, so it answers jurisdictions itself.
    let reference = intake.reference.clone();
    let jurisdictions = Jurisdictions::new(move |code| {
        let codes = reference
            .codes_in_scope(&domain::reference::Scope::Municipality(code))
            .map_err(|e| partnership_platform::ServiceError::invalid("municipality", e.to_string()));
        std::future::ready(codes)
    });
    let service = ServiceRoutes {
        service_name: SERVICE_NAME,
        file_descriptor_set: partnership_proto::FILE_DESCRIPTOR_SET,
        routes,
        policy: access::POLICY,
        auth,
        jurisdictions: Some(jurisdictions),
        audit: Some(AuditLog::new(intake.db.clone(), "intake")),
        max_in_flight: config.max_in_flight,
    };
    let served = partnership_platform::serve::serve(service, listener, shutdown).await;
    intake.db.close().await;
    served
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
