//! Calling another service of the suite: a lazily connecting channel (a
//! peer that is down at start-up is fine; calls fail with UNAVAILABLE until
//! it is up) and requests that always carry a deadline and the caller's
//! trace context.

use std::time::Duration;

use anyhow::Context;
use partnership_proto::beschut::beschut_service_client::BeschutServiceClient;
use partnership_proto::common::Scope;
use partnership_proto::employment::employment_service_client::EmploymentServiceClient;
use partnership_proto::finance::finance_service_client::FinanceServiceClient;
use partnership_proto::intake as ipb;
use partnership_proto::intake::intake_service_client::IntakeServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::auth::Bearer;
use crate::error::ServiceError;

/// A channel to a peer that presents this service's peer token on every call.
pub type PeerChannel = InterceptedService<Channel, Bearer>;

/// Intake, as the other services call it.
pub type IntakeClient = IntakeServiceClient<PeerChannel>;
pub type EmploymentClient = EmploymentServiceClient<PeerChannel>;
pub type BeschutClient = BeschutServiceClient<PeerChannel>;
pub type FinanceClient = FinanceServiceClient<PeerChannel>;

/// The largest answer a service takes from a peer: tonic's default of 4 MiB
/// is too small at national scale (employment's LKS groups for a year, its
/// beschut employees, intake's BSN resolutions).
pub const MAX_ANSWER_BYTES: usize = 64 << 20;

/// The deadline of an outbound call unless the caller gives another.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// A channel to a peer at `url` (e.g. `http://127.0.0.1:50051`), connecting
/// on first use and reconnecting after failures, presenting `token`.
pub fn channel(url: &str, token: &str) -> anyhow::Result<PeerChannel> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid peer URL {url:?}"))?
        .connect_timeout(Duration::from_secs(2))
        .tcp_nodelay(true);
    Ok(InterceptedService::new(endpoint.connect_lazy(), Bearer::new(token)?))
}

/// A client of each peer ([`channel`]) that takes answers up to
/// [`MAX_ANSWER_BYTES`]: every service calls its peers through these, so
/// none keeps tonic's 4 MiB by accident.
macro_rules! peer_clients {
    ($($name:ident => $client:ty,)*) => {$(
        pub fn $name(url: &str, token: &str) -> anyhow::Result<$client> {
            Ok(<$client>::new(channel(url, token)?).max_decoding_message_size(MAX_ANSWER_BYTES))
        }
    )*};
}

peer_clients! {
    intake => IntakeClient,
    employment => EmploymentClient,
    beschut => BeschutClient,
    finance => FinanceClient,
}

/// An outbound request with a deadline and the current trace context.
pub fn request<T>(message: T, deadline: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(deadline);
    crate::telemetry::inject_context(&mut request);
    request
}

/// The pause before a read is asked once more ([`read`]).
pub const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// A read from a peer (safe to repeat), asked once more after
/// [`RETRY_PAUSE`] if the peer could not take it — UNAVAILABLE (not up,
/// connection refused) or RESOURCE_EXHAUSTED (shedding load). A slow call
/// is not waited for twice: a DEADLINE_EXCEEDED is the answer. `call` makes
/// the request anew for each attempt; the answer comes with the number of
/// attempts made.
pub async fn read<T, F, Fut>(mut call: F) -> (Result<T, tonic::Status>, u32)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        match call().await {
            Ok(response) => return (Ok(response.into_inner()), attempts),
            Err(status) if attempts == 1 && matches!(status.code(), tonic::Code::Unavailable | tonic::Code::ResourceExhausted) => {
                tracing::debug!(code = ?status.code(), "peer could not take the read; asking once more");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(status) => return (Err(status), attempts),
        }
    }
}

/// Is this failure worth retrying later (the peer is down, slow or busy)?
pub fn is_transient(status: &tonic::Status) -> bool {
    use tonic::Code::*;
    matches!(status.code(), Unavailable | DeadlineExceeded | ResourceExhausted | Aborted | Unknown | Cancelled)
}

/// The municipality codes of a scope (merged municipalities included), as
/// intake — the owner of the merger history — answers them. A scope intake
/// refuses is INVALID_ARGUMENT on `scope`; intake unreachable is UNAVAILABLE.
pub async fn resolve_scope(intake: &IntakeClient, scope: Scope) -> Result<Vec<String>, ServiceError> {
    let message = ipb::ResolveScopeRequest { scope: Some(scope) };
    match intake.clone().resolve_scope(request(message, DEFAULT_DEADLINE)).await {
        Ok(resolved) => Ok(resolved.into_inner().municipality_codes),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            Err(ServiceError::invalid("scope", status.message().to_owned()))
        }
        Err(status) => Err(ServiceError::Unavailable(format!(
            "resolving the scope with intake: {:?}: {}",
            status.code(),
            status.message()
        ))),
    }
}

/// How long a resolved scope — a municipality's jurisdiction too — is
/// kept ([`Scopes`]): intake answers from its reference data
/// (municipalities, areas, mergers), which changes with a release, not
/// between calls. Mergers take effect on a date announced years ahead.
pub const SCOPE_TTL: Duration = Duration::from_secs(600);

/// Intake's answers to ResolveScope ([`resolve_scope`]), kept for
/// [`SCOPE_TTL`]. Every figure of a municipality's or an area's report
/// starts by resolving its scope, and a report asks employment alone for
/// seven figures: without this, each was one more call to intake on the
/// report's critical path. Refusals and failures are not kept.
#[derive(Clone)]
pub struct Scopes {
    intake: IntakeClient,
    kept: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<(i32, String), (std::time::Instant, Vec<String>)>>>,
}

impl std::fmt::Debug for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scopes").finish_non_exhaustive()
    }
}

impl Scopes {
    pub fn new(intake: IntakeClient) -> Self {
        Self { intake, kept: Default::default() }
    }

    /// The municipality codes of `scope`, as [`resolve_scope`] answers them.
    pub async fn resolve(&self, scope: Scope) -> Result<Vec<String>, ServiceError> {
        let key = (scope.level, scope.code.clone());
        if let Ok(kept) = self.kept.lock()
            && let Some((at, codes)) = kept.get(&key)
            && at.elapsed() < SCOPE_TTL
        {
            return Ok(codes.clone());
        }
        let codes = resolve_scope(&self.intake, scope).await?;
        if let Ok(mut kept) = self.kept.lock() {
            kept.insert(key, (std::time::Instant::now(), codes.clone()));
        }
        Ok(codes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read` of a peer answering `statuses` in turn (then OK): the answer
    /// and the number of calls made.
    async fn read_of(statuses: &[tonic::Status]) -> (Result<u32, tonic::Code>, u32, usize) {
        let mut calls = 0;
        let (answer, attempts) = read(|| {
            calls += 1;
            let answer = statuses.get(calls - 1).cloned().map_or(Ok(tonic::Response::new(7)), Err);
            std::future::ready(answer)
        })
        .await;
        (answer.map_err(|s| s.code()), attempts, calls)
    }

    #[tokio::test]
    async fn a_read_is_asked_once_more_only_of_a_peer_that_could_not_take_it() {
        use tonic::{Code, Status};
        assert_eq!(read_of(&[]).await, (Ok(7), 1, 1));
        assert_eq!(read_of(&[Status::unavailable("down")]).await, (Ok(7), 2, 2), "up again");
        assert_eq!(read_of(&[Status::resource_exhausted("shedding")]).await, (Ok(7), 2, 2));
        let down = Status::unavailable("down");
        assert_eq!(read_of(&[down.clone(), down]).await, (Err(Code::Unavailable), 2, 2), "once more, not twice");
        assert_eq!(read_of(&[Status::deadline_exceeded("slow")]).await, (Err(Code::DeadlineExceeded), 1, 1));
        assert_eq!(read_of(&[Status::invalid_argument("scope")]).await, (Err(Code::InvalidArgument), 1, 1));
    }
}
