//! The rules of intake (domain.md §1–2), as plain Rust: no gRPC, no SQL.
//! Everything here is tested on its own, fast.

pub mod bsn;
pub mod cohort;
pub mod reference;
pub mod registration;
pub mod status;
