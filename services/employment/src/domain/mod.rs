//! The rules of employment (domain.md §3), as plain Rust: no gRPC, no SQL.

pub mod activity;
pub mod contract;
pub mod figures;
pub mod norms;
pub mod trajectory;
