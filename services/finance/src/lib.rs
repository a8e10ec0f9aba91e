//! # Finance
//!
//! Owns the budget periods and their yearly lumpsums (base and 3% surcharge
//! apart), and the invoices issued to the municipalities; computes the
//! allocation of the lumpsum by the year's key, the loonkostensubsidie
//! (LKS) per PW contract, the historical trajectkostenvergoeding, and the
//! pluspakket revenue. Allocation keys, LKS parameters and prices are
//! reference data in a data file (domain.md §5).
//!
//! Finance learns about municipalities, scopes and pluspakket registrations
//! from intake and about PW contracts from employment, over gRPC
//! ([`peers`]); it never reads their stores.
//!
//! Layout: [`domain`] holds the rules (no I/O); [`store`] the SQL; the
//! operations live in one module per resource (`periods`, `allocations`,
//! `statements`, `invoices`, `figures`); [`api`] maps them onto gRPC.

mod allocations;
pub mod access;
pub mod api;
pub mod domain;
mod figures;
mod invoices;
pub mod peers;
mod periods;
mod statements;
pub mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use partnership_platform::audit::AuditLog;
use partnership_platform::auth::{Jurisdictions, ServiceAuth};
use partnership_platform::serve::ServiceRoutes;
use partnership_platform::{CancellationToken, Db, ServiceError};
use partnership_proto::finance::finance_service_server::{FinanceServiceServer, SERVICE_NAME};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

pub use allocations::{AllocationRequest, AllocationView, AmountSource, KeyChoice};
pub use domain::RuleError;
pub use domain::reference::FinanceReference;
pub use figures::{Figures, LksFigure, LumpsumFigure};
pub use invoices::{BudgetRealisation, InvoiceView};
pub use peers::{FixedPeers, GrpcPeers, Peers, Scope};
pub use periods::{NewLumpsum, NewPeriod};
pub use statements::ContractStatement;

/// The port finance listens on by default.
pub const DEFAULT_PORT: u16 = 50054;

/// Finance's settings (the `[finance]` table of the suite's configuration).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FinanceConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `postgres://…` for PostgreSQL; unset for `finance.db` (SQLite) in the
    /// data directory.
    pub database_url: Option<String>,
    /// A reference data file (keys, wage bases, prices) to use instead of
    /// the one built in.
    pub reference_data: Option<PathBuf>,
    /// The intake service (municipalities, scopes, pluspakket registrations).
    pub intake_url: String,
    /// The employment service (PW contracts, for LKS).
    pub employment_url: String,
    /// The deadline of every call to a peer, in milliseconds.
    pub peer_deadline_ms: u64,
    /// Requests handled at once; more are refused with RESOURCE_EXHAUSTED.
    pub max_in_flight: usize,
}

impl Default for FinanceConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            database_url: None,
            reference_data: None,
            intake_url: "http://127.0.0.1:50051".into(),
            employment_url: "http://127.0.0.1:50052".into(),
            peer_deadline_ms: 10_000,
            max_in_flight: partnership_platform::serve::DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// The finance service's state: its store, its reference data, its peers.
#[derive(Clone)]
pub struct Finance {
    db: Db,
    reference: Arc<FinanceReference>,
    peers: Arc<dyn Peers>,
}

impl Finance {
    /// Opens the store (applying migrations).
    pub async fn open(database_url: &str, reference: FinanceReference, peers: Arc<dyn Peers>) -> anyhow::Result<Self> {
        let db = Db::connect(database_url, store::MIGRATIONS).await.context("opening finance's store")?;
        Ok(Self { db, reference: Arc::new(reference), peers })
    }

    pub fn reference(&self) -> &FinanceReference {
        &self.reference
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Loads the configured reference data file, or the built-in one.
pub fn load_reference(config: &FinanceConfig) -> anyhow::Result<FinanceReference> {
    match &config.reference_data {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            FinanceReference::from_toml(&text).with_context(|| format!("loading {}", path.display()))
        }
        None => Ok(FinanceReference::embedded()?),
    }
}

/// Runs finance on `listener` until `shutdown` is cancelled.
pub async fn serve(
    config: &FinanceConfig,
    data_dir: &Path,
    auth: ServiceAuth,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let reference = load_reference(config)?;
    let deadline = Duration::from_millis(config.peer_deadline_ms.max(1));
    let peer_token = auth.peer_token()?;
    let peers = GrpcPeers::new(&config.intake_url, &config.employment_url, peer_token, deadline).context("finance's peers")?;
    let intake = peers.intake();
    let url =
        config.database_url.clone().unwrap_or_else(|| partnership_platform::store::sqlite_url(data_dir, "finance"));
    let finance = Finance::open(&url, reference, Arc::new(peers)).await?;
    let routes = tonic::service::Routes::new(FinanceServiceServer::new(api::FinanceApi::new(finance.clone())));
    let service = ServiceRoutes {
        service_name: SERVICE_NAME,
        file_descriptor_set: partnership_proto::FILE_DESCRIPTOR_SET,
        routes,
        policy: access::POLICY,
        jurisdictions: Some(Jurisdictions::through_intake(partnership_platform::peer::Scopes::new(intake))),
        audit: Some(AuditLog::new(finance.db.clone(), "finance")),
        auth,
        max_in_flight: config.max_in_flight,
    };
    let served = partnership_platform::serve::serve(service, listener, shutdown).await;
    finance.db.close().await;
    served
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl From<RuleError> for ServiceError {
    fn from(err: RuleError) -> Self {
        match err {
            RuleError::Invalid { field, reason } => Self::invalid(field, reason),
            RuleError::Refused { field, subject, reason } => Self::precondition(field, subject, reason),
        }
    }
}
