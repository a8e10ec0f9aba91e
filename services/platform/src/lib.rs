//! What every service of the partnership suite needs, written once:
//! configuration ([`config`]), telemetry ([`telemetry`]), the store
//! ([`store`]), errors mapped onto gRPC statuses ([`error`]), serving with
//! health checks, reflection and graceful shutdown ([`serve`]), calendar
//! dates ([`dates`]) and the rounding rule for figures that must add up
//! ([`apportion`]). Services depend on this crate; it depends on none of them.

pub mod apportion;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod codes;
pub mod config;
pub mod dates;
pub mod decimals;
pub mod error;
pub mod fields;
pub mod group_commit;
pub mod limits;
pub mod metrics;
pub mod peer;
pub mod serve;
pub mod store;
pub mod tally;
pub mod telemetry;
pub mod testing;
pub mod upkeep;

pub use error::{FieldViolation, ServiceError, Violations};
pub use store::{Backend, Db, Migration, Sql, WriteTx};
pub use tokio_util::sync::CancellationToken;
