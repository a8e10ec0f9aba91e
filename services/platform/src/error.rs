//! The errors every service returns, and their one mapping onto
//! `tonic::Status` with the rich error model: `google.rpc.BadRequest` field
//! violations for bad input, `google.rpc.PreconditionFailure` for a request
//! that is well-formed but not allowed in the current state. A client can
//! always tell which field to fix and why.

use std::fmt;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field path in the request, e.g. `registrations[3].bsn`.
    pub field: String,
    /// What is wrong, in words a client developer understands.
    pub description: String,
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// What went wrong while handling a request.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request itself is wrong (INVALID_ARGUMENT); nothing was changed.
    #[error("invalid argument: {}", join(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// The request is well-formed but not allowed in the current state
    /// (FAILED_PRECONDITION), e.g. an illegal status move; nothing changed.
    #[error("{field}: {description}")]
    FailedPrecondition {
        /// The request field that cannot be honoured.
        field: String,
        /// The resource whose state refuses it, e.g. `registrations/…`.
        subject: String,
        /// Why.
        description: String,
    },
    /// The resource does not exist (NOT_FOUND).
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: String },
    /// The resource exists already (ALREADY_EXISTS).
    #[error("{0}")]
    AlreadyExists(String),
    /// A concurrent change got there first (ABORTED); safe to retry.
    #[error("{0}")]
    Aborted(String),
    /// The caller may not do this (PERMISSION_DENIED).
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A dependency is down (UNAVAILABLE); safe to retry later.
    #[error("{0}")]
    Unavailable(String),
    /// A fault on our side (INTERNAL). The detail is logged, not returned.
    #[error("internal error: {0}")]
    Internal(String),
}

fn join(violations: &[FieldViolation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl ServiceError {
    /// One invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation { field: field.into(), description: description.into() }])
    }

    /// A request refused by the state of `subject`.
    pub fn precondition(
        field: impl Into<String>,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self::FailedPrecondition { field: field.into(), subject: subject.into(), description: description.into() }
    }

    /// A resource that does not exist.
    pub fn not_found(resource: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound { resource, id: id.into() }
    }

    /// The field violations, if this is an INVALID_ARGUMENT.
    pub fn violations(&self) -> &[FieldViolation] {
        match self {
            Self::InvalidArgument(v) => v,
            _ => &[],
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    /// A unique-key violation that no operation expected is a race another
    /// request won (e.g. two pushes creating one contract at once), and so
    /// is a transaction PostgreSQL broke off for a deadlock or a
    /// serialization failure: ABORTED, which a client may retry. No free
    /// connection within [`crate::store::CONNECTION_WAIT`] is an overloaded
    /// store: UNAVAILABLE, retry later. Anything else from the store is
    /// INTERNAL.
    fn from(err: sqlx::Error) -> Self {
        if crate::store::is_lost_race(&err) {
            Self::Aborted("a concurrent change came first; retry".into())
        } else if matches!(err, sqlx::Error::PoolTimedOut) {
            Self::Unavailable(format!(
                "store busy: no connection came free within {} s; retry later",
                crate::store::CONNECTION_WAIT.as_secs()
            ))
        } else {
            Self::Internal(format!("store: {err}"))
        }
    }
}

/// The most bytes of a status message or of one violation's description.
/// Both travel in HTTP/2 headers (percent-encoded, or base64 in the
/// details), which a peer refuses past 16 KiB: a description that quotes a
/// huge bad value must not turn a clear INVALID_ARGUMENT into a broken stream.
const MAX_MESSAGE_BYTES: usize = 1024;

fn clamp(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

impl From<ServiceError> for Status {
    fn from(err: ServiceError) -> Self {
        let message = clamp(err.to_string(), MAX_MESSAGE_BYTES);
        let mut details = ErrorDetails::new();
        let code = match err {
            ServiceError::InvalidArgument(violations) => {
                for v in violations {
                    details.add_bad_request_violation(v.field, clamp(v.description, MAX_MESSAGE_BYTES / 2));
                }
                Code::InvalidArgument
            }
            ServiceError::FailedPrecondition { field, subject, description } => {
                let description = clamp(description, MAX_MESSAGE_BYTES / 2);
                details.add_precondition_failure_violation("STATE", subject, description.clone());
                details.add_bad_request_violation(field, description);
                Code::FailedPrecondition
            }
            ServiceError::NotFound { .. } => Code::NotFound,
            ServiceError::AlreadyExists(_) => Code::AlreadyExists,
            ServiceError::Aborted(_) => Code::Aborted,
            ServiceError::PermissionDenied(_) => Code::PermissionDenied,
            ServiceError::Unavailable(_) => Code::Unavailable,
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                return Status::internal("internal error; the request may be retried");
            }
        };
        Status::with_error_details(code, message, details)
    }
}

/// Collects the violations of a request so that a client learns of every
/// bad field at once, not one per round trip.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation of `field`.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation { field: field.into(), description: description.into() });
    }

    /// Keeps the value of a check, or records its violation and gives `None`.
    pub fn check<T>(&mut self, result: Result<T, ServiceError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(ServiceError::InvalidArgument(mut v)) => {
                self.0.append(&mut v);
                None
            }
            Err(other) => {
                self.add("", other.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok if nothing was recorded, else INVALID_ARGUMENT with every violation.
    pub fn finish(self) -> Result<(), ServiceError> {
        if self.0.is_empty() { Ok(()) } else { Err(ServiceError::InvalidArgument(self.0)) }
    }

    pub fn into_vec(self) -> Vec<FieldViolation> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_bad_request_field_violations() {
        let status: Status = ServiceError::invalid("bsn", "fails the elfproef").into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let bad = details.bad_request().expect("bad request detail");
        assert_eq!(bad.field_violations[0].field, "bsn");
        assert_eq!(bad.field_violations[0].description, "fails the elfproef");
    }

    #[test]
    fn failed_precondition_names_field_and_subject() {
        let status: Status =
            ServiceError::precondition("status", "registrations/r1", "TERUGGEMELD is final").into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        let details = status.get_error_details();
        assert_eq!(details.precondition_failure().unwrap().violations[0].subject, "registrations/r1");
        assert_eq!(details.bad_request().unwrap().field_violations[0].field, "status");
    }

    #[tokio::test]
    async fn a_lost_race_on_a_unique_key_is_aborted_not_internal() {
        let dir = tempfile::tempdir().unwrap();
        let migration = crate::Migration { version: 1, name: "t", sql: "CREATE TABLE t (k TEXT PRIMARY KEY);" };
        let db = crate::Db::connect(&crate::store::sqlite_url(dir.path(), "t"), &[migration]).await.unwrap();
        let insert = || sqlx::query("INSERT INTO t (k) VALUES ('x')").execute(db.pool());
        insert().await.unwrap();
        let err: ServiceError = insert().await.unwrap_err().into();
        assert!(matches!(err, ServiceError::Aborted(_)), "{err:?}");
        assert_eq!(Status::from(err).code(), Code::Aborted);
    }

    #[test]
    fn a_store_with_no_free_connection_is_unavailable_not_internal() {
        let status: Status = ServiceError::from(sqlx::Error::PoolTimedOut).into();
        assert_eq!(status.code(), Code::Unavailable);
        assert!(status.message().contains("store busy"), "{}", status.message());
        let other: Status = ServiceError::from(sqlx::Error::RowNotFound).into();
        assert_eq!(other.code(), Code::Internal);
    }

    #[test]
    fn a_huge_bad_value_quoted_in_a_description_is_cut_short() {
        let status: Status = ServiceError::invalid("amount", format!("{:?} is not a number", "é😀".repeat(100_000))).into();
        assert!(status.message().len() <= MAX_MESSAGE_BYTES + '…'.len_utf8());
        let details = status.get_error_details();
        let violation = &details.bad_request().unwrap().field_violations[0];
        assert_eq!(violation.field, "amount");
        assert!(violation.description.len() <= MAX_MESSAGE_BYTES / 2 + '…'.len_utf8());
    }

    #[test]
    fn internal_errors_do_not_leak_their_detail() {
        let status: Status = ServiceError::Internal("password=secret".into()).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret"));
    }
}
