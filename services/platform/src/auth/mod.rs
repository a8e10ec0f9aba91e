//! Who is calling, and what they may do.
//!
//! Every call carries a principal in a signed bearer token ([`token`]): a
//! municipality's system (bound to its CBS code), IBN's HR system, a
//! dashboard, a peer service of the suite, or IBN's administrator. One tower
//! layer ([`layer`]) in front of every service authenticates the token,
//! checks the service's [`policy`] (which principal kinds may call which
//! RPC) and hands the handler a [`Caller`]. The handler applies the per-RPC
//! rule that needs the data: a municipality reads and writes only its own
//! residents — its own code and the codes of the municipalities merged into
//! it — and another municipality's resident is NOT_FOUND, as if absent.
//!
//! Without a configured key the suite makes a local dev setup ([`dev`]).

pub mod dev;
pub mod layer;
pub mod policy;
pub mod token;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::ServiceError;

pub use layer::{AuthLayer, Jurisdictions};
pub use policy::{Data, Policy, Rule};
pub use token::{Claims, Issuer, TokenError, Verifier};

/// The kinds of principal, as tokens and policies name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A municipality's system, bound to one CBS code.
    Municipality,
    /// IBN's HR system: pushes contracts.
    Hr,
    /// A reporting dashboard: figures and reports, never a person.
    Dashboard,
    /// Another service of the suite.
    Peer,
    /// IBN's functional administrator (functioneel beheer): IBN's own
    /// records and the audit log; everything it reads is logged.
    Administrator,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Municipality, Kind::Hr, Kind::Dashboard, Kind::Peer, Kind::Administrator];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Municipality => "municipality",
            Kind::Hr => "hr",
            Kind::Dashboard => "dashboard",
            Kind::Peer => "peer",
            Kind::Administrator => "administrator",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Municipality { code: String },
    Hr,
    Dashboard,
    Peer { service: String },
    Administrator,
}

impl Principal {
    pub fn kind(&self) -> Kind {
        match self {
            Principal::Municipality { .. } => Kind::Municipality,
            Principal::Hr => Kind::Hr,
            Principal::Dashboard => Kind::Dashboard,
            Principal::Peer { .. } => Kind::Peer,
            Principal::Administrator => Kind::Administrator,
        }
    }

    /// A readable id for logs and the audit log: `municipality:1991`, `peer:employment`, `hr`.
    pub fn subject(&self) -> String {
        match self {
            Principal::Municipality { code } => format!("municipality:{code}"),
            Principal::Peer { service } => format!("peer:{service}"),
            other => other.kind().as_str().to_owned(),
        }
    }

    pub fn municipality(&self) -> Option<&str> {
        match self {
            Principal::Municipality { code } => Some(code),
            _ => None,
        }
    }

    fn from_claims(claims: &Claims) -> Result<Self, String> {
        let nonempty = |value: &Option<String>, what: &str| {
            value.clone().filter(|v| !v.trim().is_empty()).ok_or_else(|| format!("a {} token needs `{what}`", claims.kind.as_str()))
        };
        Ok(match claims.kind {
            Kind::Municipality => Principal::Municipality { code: nonempty(&claims.municipality, "municipality")? },
            Kind::Peer => Principal::Peer { service: nonempty(&claims.service, "service")? },
            Kind::Hr => Principal::Hr,
            Kind::Dashboard => Principal::Dashboard,
            Kind::Administrator => Principal::Administrator,
        })
    }
}

/// A client's credentials: adds `authorization: Bearer <token>` to every
/// call made through the channel it intercepts.
#[derive(Clone)]
pub struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl Bearer {
    pub fn new(token: &str) -> anyhow::Result<Self> {
        let value = format!("Bearer {}", token.trim())
            .parse()
            .map_err(|_| anyhow::anyhow!("a token must be printable ASCII"))?;
        Ok(Self(value))
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// The `[auth]` table of the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// The Ed25519 public key (base64url) tokens are verified with. Unset:
    /// the local dev setup in `<data_dir>/credentials` is used (made on
    /// first start).
    pub verify_key: Option<String>,
    /// The token this process presents when it calls its peers (kind
    /// `peer`). Required with `verify_key` when the service has peers.
    pub peer_token: Option<String>,
    /// The file with the signing key (for `partnership credentials`); unset:
    /// the dev key in `<data_dir>/credentials/signing.key`.
    pub signing_key_file: Option<std::path::PathBuf>,
    /// The `iss` every token must carry.
    pub issuer: String,
    /// Ids (`jti`, printed by `partnership credentials`) of tokens refused
    /// before they expire, e.g. of a lost laptop's.
    pub revoked_tokens: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            verify_key: None,
            peer_token: None,
            signing_key_file: None,
            issuer: "partnership".into(),
            revoked_tokens: Vec::new(),
        }
    }
}

/// What one service needs to take part: the verifier for incoming tokens
/// and its own token for outgoing calls.
#[derive(Clone)]
pub struct ServiceAuth {
    pub verifier: Verifier,
    pub peer_token: Option<String>,
}

impl ServiceAuth {
    /// The token for calls to peers, or an error naming the setting.
    pub fn peer_token(&self) -> anyhow::Result<&str> {
        self.peer_token.as_deref().ok_or_else(|| anyhow::anyhow!("auth.peer_token is required to call the other services"))
    }
}

/// The caller of the request being handled, put there by the auth layer:
/// who it is, what it may see, and the persons the handler reports having
/// touched (for the audit log).
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The municipality codes a municipality may see (its own and its
    /// predecessors'); `None` for principals not bound to a municipality.
    pub jurisdiction: Option<Arc<Vec<String>>>,
    subjects: Arc<Mutex<Vec<String>>>,
    /// How this call is audited, for a handler that writes the record
    /// itself; `None` for calls that touch no personal data.
    pub(crate) audit: Option<HandlerAudit>,
}

#[derive(Debug, Clone)]
pub(crate) struct HandlerAudit {
    pub(crate) log: crate::audit::AuditLog,
    pub(crate) operation: String,
    pub(crate) rule: &'static Rule,
    pub(crate) started: chrono::DateTime<chrono::Utc>,
    /// The handler committed the call's record with its change
    /// ([`Caller::success_record`]), so the layer writes none.
    pub(crate) committed: Arc<AtomicBool>,
}

impl Caller {
    pub fn new(principal: Principal, jurisdiction: Option<Arc<Vec<String>>>) -> Self {
        Self { principal, jurisdiction, subjects: Arc::default(), audit: None }
    }

    /// For streaming RPCs that audit themselves: writes the record of one
    /// batch (the persons it touched, how it ended) before its answer is
    /// sent. Fails (UNAVAILABLE) when the log cannot be written.
    pub async fn audit_batch(&self, subjects: Vec<String>, status_code: i32, started: chrono::DateTime<chrono::Utc>) -> Result<(), ServiceError> {
        let Some(audit) = &self.audit else { return Ok(()) };
        let entry = layer::audit_entry(audit.log.service(), &audit.operation, audit.rule, self, subjects, status_code, started);
        audit.log.append(&entry).await.map(drop).map_err(|err| {
            tracing::error!(%err, "writing the audit record failed");
            ServiceError::Unavailable("the audit log could not be written; retry".into())
        })
    }

    /// The caller of one batch of a streaming call that audits itself: the
    /// same principal and jurisdiction, but its own persons touched and its
    /// own start, so the batch's [`Caller::success_record`] names only
    /// the batch's persons — and batches prepared while an earlier one is
    /// still being written do not mix theirs.
    pub fn batch(&self) -> Caller {
        let audit = self.audit.as_ref().map(|a| HandlerAudit {
            started: chrono::Utc::now(),
            committed: Arc::default(),
            ..a.clone()
        });
        Caller { principal: self.principal.clone(), jurisdiction: self.jurisdiction.clone(), subjects: Arc::default(), audit }
    }

    /// The audit record this call will have if it succeeds — the persons
    /// touched so far, status OK, ending now — for a handler that commits
    /// it in the same transaction as the change it describes: one durable
    /// commit per write instead of the change's and then the record's.
    /// Write its rows ([`crate::audit::record_rows`]) with the handler's
    /// own and call
    /// [`Caller::record_committed`] once that commit is durable; the layer
    /// then writes no record of its own. A call that fails anyway (or whose
    /// commit fails) is recorded by the layer as usual. `None` when the
    /// call is not audited.
    pub fn success_record(&self) -> Option<crate::audit::AuditRecord> {
        let audit = self.audit.as_ref()?;
        let entry = layer::audit_entry(audit.log.service(), &audit.operation, audit.rule, self, self.subjects(), 0, audit.started);
        Some(crate::audit::AuditRecord::new(entry))
    }

    /// The record from [`Caller::success_record`] is durable.
    pub fn record_committed(&self) {
        if let Some(audit) = &self.audit {
            audit.committed.store(true, Ordering::SeqCst);
        }
    }

    /// Did the handler commit the record of this call's success?
    pub(crate) fn success_recorded(&self) -> bool {
        self.audit.as_ref().is_some_and(|a| a.committed.load(Ordering::SeqCst))
    }

    /// The caller of `request`. A request that did not pass the auth layer
    /// is a wiring fault (INTERNAL), never an open door.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Caller, ServiceError> {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ServiceError::Internal("the request has no authenticated caller".into()))
    }

    /// May the caller see residents of `municipality_code`?
    pub fn may_see(&self, municipality_code: &str) -> bool {
        self.jurisdiction.as_ref().is_none_or(|codes| codes.iter().any(|c| c == municipality_code))
    }

    /// A record of `municipality_code` the caller may not see is NOT_FOUND,
    /// exactly as a record that does not exist.
    pub fn check_visible(&self, municipality_code: &str, resource: &'static str, id: &str) -> Result<(), ServiceError> {
        if self.may_see(municipality_code) { Ok(()) } else { Err(ServiceError::not_found(resource, id)) }
    }

    /// A caller naming a municipality it does not act for
    /// (PERMISSION_DENIED on `field`).
    pub fn check_acts_for(&self, field: &str, municipality_code: &str) -> Result<(), ServiceError> {
        if self.may_see(municipality_code) {
            Ok(())
        } else {
            Err(ServiceError::PermissionDenied(format!(
                "{field}: {} may not act for municipality {municipality_code}",
                self.principal.subject()
            )))
        }
    }

    /// The municipality codes a list may show: what the caller asked for
    /// (empty: all) narrowed to what it may see. Asking for another
    /// municipality is PERMISSION_DENIED on `field`.
    pub fn narrow(&self, field: &str, requested: Option<Vec<String>>) -> Result<Option<Vec<String>>, ServiceError> {
        let Some(own) = &self.jurisdiction else { return Ok(requested) };
        match requested {
            None => Ok(Some(own.as_ref().clone())),
            Some(codes) => {
                for code in &codes {
                    self.check_acts_for(field, code)?;
                }
                Ok(Some(codes))
            }
        }
    }

    /// Notes that the handler read or changed this person's data.
    pub fn touched(&self, candidate_id: &str) {
        if let Ok(mut subjects) = self.subjects.lock() {
            subjects.push(candidate_id.to_owned());
        }
    }

    /// Notes several persons at once.
    pub fn touched_all<'a>(&self, candidate_ids: impl IntoIterator<Item = &'a str>) {
        if let Ok(mut subjects) = self.subjects.lock() {
            subjects.extend(candidate_ids.into_iter().map(str::to_owned));
        }
    }

    /// The persons touched so far, each once, in first-touched order.
    pub fn subjects(&self) -> Vec<String> {
        let subjects = self.subjects.lock().map(|s| s.clone()).unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        subjects.into_iter().filter(|s| seen.insert(s.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn municipality(codes: &[&str]) -> Caller {
        Caller::new(
            Principal::Municipality { code: codes[0].into() },
            Some(Arc::new(codes.iter().map(|c| c.to_string()).collect())),
        )
    }

    #[test]
    fn a_merged_municipality_sees_its_predecessors() {
        let maashorst = municipality(&["1991", "0856", "1685"]);
        assert!(maashorst.may_see("0856"));
        assert!(!maashorst.may_see("0796"));
        assert!(Caller::new(Principal::Administrator, None).may_see("0796"));
    }

    #[test]
    fn another_municipalitys_record_is_not_found() {
        let err = municipality(&["0796"]).check_visible("1991", "candidate", "c-1").unwrap_err();
        assert!(matches!(err, ServiceError::NotFound { .. }));
    }

    #[test]
    fn lists_narrow_to_the_jurisdiction() {
        let caller = municipality(&["1991", "0856"]);
        assert_eq!(caller.narrow("municipality_code", None).unwrap(), Some(vec!["1991".into(), "0856".into()]));
        assert!(matches!(
            caller.narrow("municipality_code", Some(vec!["0796".into()])),
            Err(ServiceError::PermissionDenied(_))
        ));
        assert_eq!(Caller::new(Principal::Dashboard, None).narrow("m", None).unwrap(), None);
    }

    #[test]
    fn subjects_are_listed_once() {
        let caller = municipality(&["0796"]);
        caller.touched("a");
        caller.touched_all(["b", "a"]);
        assert_eq!(caller.subjects(), vec!["a".to_owned(), "b".to_owned()]);
    }
}
