//! The tower layer in front of every service: authenticate the bearer
//! token, apply the service's policy, hand the handler its [`Caller`], and
//! write the audit record of every call that touches personal data before
//! the answer leaves.
//!
//! Health checks and reflection (the API's shape, no data) stay open, so
//! probes and `grpcurl describe` work without a token.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use chrono::Utc;
use futures::future::BoxFuture;
use opentelemetry::trace::TraceContextExt;
use partnership_proto::common::{Scope, ScopeLevel};
use tonic::codegen::http;
use tonic::Status;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::policy::{Data, Policy, Rule};
use super::{Caller, Principal, Verifier};
use crate::audit::{AuditEntry, AuditLog};
use crate::error::ServiceError;

type Resolve = Arc<dyn Fn(String) -> BoxFuture<'static, Result<Vec<String>, ServiceError>> + Send + Sync>;

/// The municipality codes each municipality may see, from whoever owns the
/// merger history: intake itself, or intake's answers as the service keeps
/// them ([`crate::peer::Scopes`]).
#[derive(Clone)]
pub struct Jurisdictions {
    resolve: Resolve,
}

impl Jurisdictions {
    pub fn new<F, Fut>(resolve: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<String>, ServiceError>> + Send + 'static,
    {
        Self { resolve: Arc::new(move |code| Box::pin(resolve(code))) }
    }

    /// Asks intake's ResolveScope (for every service but intake itself),
    /// through the service's kept answers, which its figures share.
    pub fn through_intake(scopes: crate::peer::Scopes) -> Self {
        Self::new(move |code| {
            let scopes = scopes.clone();
            async move { scopes.resolve(Scope { level: ScopeLevel::Municipality as i32, code }).await }
        })
    }

    /// The codes `code` may see.
    pub async fn of(&self, code: &str) -> Result<Arc<Vec<String>>, ServiceError> {
        (self.resolve)(code.to_owned()).await.map(Arc::new)
    }
}

struct Shared {
    verifier: Verifier,
    policies: Vec<Policy>,
    jurisdictions: Option<Jurisdictions>,
    audit: Option<AuditLog>,
}

/// Authentication, authorisation and the audit record, for one service.
#[derive(Clone)]
pub struct AuthLayer {
    shared: Arc<Shared>,
}

impl AuthLayer {
    /// `policies`: the service's own and any extra services it serves (the
    /// audit log's). `jurisdictions` is needed by services with personal
    /// data; `audit` by services that keep it.
    pub fn new(
        verifier: Verifier,
        policies: Vec<Policy>,
        jurisdictions: Option<Jurisdictions>,
        audit: Option<AuditLog>,
    ) -> Self {
        Self { shared: Arc::new(Shared { verifier, policies, jurisdictions, audit }) }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth { inner, shared: self.shared.clone() }
    }
}

#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    shared: Arc<Shared>,
}

/// Paths that need no token: liveness/readiness probes and the API's shape.
fn is_public(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for Auth<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        let shared = self.shared.clone();
        // The ready service handles this request; its clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            if is_public(&path) {
                return inner.call(request).await;
            }
            let started = Utc::now();
            let rule = shared.policies.iter().find_map(|p| p.rule(&path));
            let caller = match shared.admit(&path, rule, request.headers(), started).await {
                Ok(caller) => caller,
                Err((status, principal)) => {
                    if let (Some(rule), Some(principal)) = (rule, principal) {
                        let caller = Caller::new(principal, None);
                        // A refused attempt at personal data is logged too.
                        if shared.write_audit(&path, rule, &caller, status.code() as i32, started).await.is_err() {
                            return Ok(audit_unavailable());
                        }
                    }
                    return Ok(status.into_http());
                }
            };
            let rule = rule.expect("admitted calls have a rule");
            request.extensions_mut().insert(caller.clone());
            let response = inner.call(request).await?;
            if rule.data == Data::Personal && !rule.handler_audits {
                // A failed unary call answers "trailers-only": the status is a header.
                let code = response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if code == 0 && caller.success_recorded() {
                    // The handler committed the record with its change.
                    return Ok(response);
                }
                if shared.write_audit(&path, rule, &caller, code, started).await.is_err() {
                    return Ok(audit_unavailable());
                }
            }
            Ok(response)
        })
    }
}

fn audit_unavailable<B: Default>() -> http::Response<B> {
    Status::unavailable("the audit log could not be written, so nothing is returned; retry").into_http()
}

impl Shared {
    /// The caller, or the status refusing it (with the principal, when the
    /// token was good, so a refusal can be logged).
    async fn admit(
        &self,
        path: &str,
        rule: Option<&'static Rule>,
        headers: &http::HeaderMap,
        started: chrono::DateTime<Utc>,
    ) -> Result<Caller, (Status, Option<Principal>)> {
        let token = bearer(headers).map_err(|why| (Status::unauthenticated(why), None))?;
        let (principal, _claims) = self
            .verifier
            .verify(token)
            .map_err(|err| (Status::unauthenticated(err.to_string()), None))?;
        let Some(rule) = rule else {
            let status = Status::permission_denied(format!("{path} is not open to any caller"));
            return Err((status, Some(principal)));
        };
        if !rule.allowed.contains(&principal.kind()) {
            let status = Status::permission_denied(format!("{} may not call {}", principal.subject(), rule.method));
            return Err((status, Some(principal)));
        }
        let jurisdiction = match (&principal, rule.data) {
            (Principal::Municipality { code }, Data::Personal) => {
                let Some(jurisdictions) = &self.jurisdictions else {
                    return Err((Status::internal("this service cannot resolve jurisdictions"), Some(principal)));
                };
                match jurisdictions.of(code).await {
                    Ok(codes) => Some(codes),
                    Err(ServiceError::InvalidArgument(_)) => {
                        let status = Status::permission_denied(format!("the token's municipality {code} is not known"));
                        return Err((status, Some(principal)));
                    }
                    Err(err) => return Err((Status::from(err), Some(principal))),
                }
            }
            _ => None,
        };
        let mut caller = Caller::new(principal, jurisdiction);
        if let (Some(log), Data::Personal) = (&self.audit, rule.data) {
            caller.audit = Some(super::HandlerAudit {
                log: log.clone(),
                operation: path.to_owned(),
                rule,
                started,
                committed: Arc::default(),
            });
        }
        Ok(caller)
    }

    async fn write_audit(
        &self,
        path: &str,
        rule: &Rule,
        caller: &Caller,
        status_code: i32,
        started: chrono::DateTime<Utc>,
    ) -> Result<(), ()> {
        if rule.data != Data::Personal {
            return Ok(());
        }
        let Some(log) = &self.audit else { return Ok(()) };
        let entry = audit_entry(log.service(), path, rule, caller, caller.subjects(), status_code, started);
        log.append(&entry).await.map(drop).map_err(|err| {
            tracing::error!(%err, rpc = path, "writing the audit record failed");
        })
    }
}

/// The audit record of one call (the layer's, or a streaming handler's per batch).
pub(crate) fn audit_entry(
    service: &str,
    path: &str,
    rule: &Rule,
    caller: &Caller,
    subjects: Vec<String>,
    status_code: i32,
    started: chrono::DateTime<Utc>,
) -> AuditEntry {
    let (trace_id, span_id) = current_trace();
    AuditEntry {
        trace_id,
        span_id,
        service: service.to_owned(),
        operation: path.to_owned(),
        action: rule.action,
        processing_activity: rule.purpose.to_owned(),
        principal_kind: caller.principal.kind().as_str().to_owned(),
        principal_id: caller.principal.subject(),
        data_subject_ids: subjects,
        status_code,
        start_time: started,
        end_time: Utc::now(),
    }
}

/// The trace and span of the request being handled (empty when untraced).
fn current_trace() -> (String, String) {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    if span_context.is_valid() {
        (span_context.trace_id().to_string(), span_context.span_id().to_string())
    } else {
        (String::new(), String::new())
    }
}

fn bearer(headers: &http::HeaderMap) -> Result<&str, String> {
    let value = headers.get(http::header::AUTHORIZATION).ok_or("no `authorization: Bearer <token>` metadata")?;
    let value = value.to_str().map_err(|_| "the authorization metadata is not text")?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or("the authorization metadata must be `Bearer <token>`")?;
    Ok(token.trim())
}
