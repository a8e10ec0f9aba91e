//! The rules of beschut werk (domain.md §4), as plain Rust.

pub mod figures;
pub mod indication;
pub mod taakstelling;
