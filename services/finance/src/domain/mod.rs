//! The rules of finance (domain.md §5), as plain Rust: no gRPC, no SQL.
//! Every amount is a `rust_decimal::Decimal` in euros excl. VAT; rounding
//! happens only where a rule says so, to the cent.
//!
//! - [`money`]: parsing and rounding euro amounts, cents;
//! - [`calendar`]: quarters and months;
//! - [`period`]: budget periods (begrotingsperiodes) and their overlap rule;
//! - [`lumpsum`]: base plus the surcharge (opslag);
//! - [`allocation`]: allocation keys (verdeelsleutels) and the allocation to the cent;
//! - [`lks`]: loonkostensubsidie per PW contract per month;
//! - [`trajectkosten`]: the historical trajectkostenvergoeding;
//! - [`pluspakket`]: prices per participant and revenue;
//! - [`invoice`]: instalments, invoice lines and corrections;
//! - [`municipality`]: the municipalities as the intake service knows them;
//! - [`reference`]: the reference data file that holds keys, wage bases and prices.

pub mod allocation;
pub mod calendar;
pub mod invoice;
pub mod lks;
pub mod lumpsum;
pub mod money;
pub mod municipality;
pub mod period;
pub mod pluspakket;
pub mod reference;
pub mod trajectkosten;

/// Why a rule refuses its input. The field is the request field at fault,
/// so that the API can tell the client what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The input itself is wrong (INVALID_ARGUMENT); nothing changes.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Well-formed but not allowed given what is stored or configured
    /// (FAILED_PRECONDITION), e.g. an overlapping period; nothing changes.
    #[error("{field}: {reason}")]
    Refused { field: String, subject: String, reason: String },
}

impl RuleError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), reason: reason.into() }
    }

    pub fn refused(field: impl Into<String>, subject: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Refused { field: field.into(), subject: subject.into(), reason: reason.into() }
    }

    /// The request field at fault.
    pub fn field(&self) -> &str {
        match self {
            Self::Invalid { field, .. } | Self::Refused { field, .. } => field,
        }
    }

    /// The same error for a field nested in a request, e.g. `entries[2].`.
    pub fn within(self, prefix: &str) -> Self {
        match self {
            Self::Invalid { field, reason } => Self::Invalid { field: format!("{prefix}{field}"), reason },
            Self::Refused { field, subject, reason } => {
                Self::Refused { field: format!("{prefix}{field}"), subject, reason }
            }
        }
    }
}

/// A small deterministic xorshift generator for the property tests (as in
/// `partnership_platform::apportion`), so the build needs no test crate.
#[cfg(test)]
pub(crate) struct XorShift(pub u64);

#[cfg(test)]
impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
