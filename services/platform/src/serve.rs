//! Serving one service's gRPC API, the same way for every service: the
//! service's routes plus `grpc.health.v1` and server reflection, a span per
//! request, a deadline and load shedding on the way in, and a graceful
//! shutdown that finishes in-flight requests.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic_health::ServingStatus;

use crate::audit::AuditLog;
use crate::auth::{AuthLayer, Jurisdictions, Policy, ServiceAuth};

/// The longest a request may take before the server answers
/// DEADLINE_EXCEEDED (clients may set shorter deadlines).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Requests handled at once per connection before new ones queue.
pub const CONCURRENCY_PER_CONNECTION: usize = 256;

/// Requests handled at once by one service unless configured otherwise.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

/// What a service hands the platform to be served.
pub struct ServiceRoutes {
    /// The full protobuf name of the service, e.g.
    /// `partnership.intake.v1.IntakeService`, as health checks ask for it.
    pub service_name: &'static str,
    /// The encoded file descriptor set its protos are in, for reflection.
    pub file_descriptor_set: &'static [u8],
    /// The service's gRPC routes.
    pub routes: Routes,
    /// Who may call which of its RPCs.
    pub policy: Policy,
    /// How callers are authenticated.
    pub auth: ServiceAuth,
    /// The municipalities' jurisdictions, for services with personal data.
    pub jurisdictions: Option<Jurisdictions>,
    /// The service's processing log, for services with personal data (its
    /// reading RPC is served alongside, to administrators only).
    pub audit: Option<AuditLog>,
    /// Requests handled at once by the whole service; more are refused
    /// with RESOURCE_EXHAUSTED and a retry delay instead of queueing.
    pub max_in_flight: usize,
}

/// The audit log's RPC: administrators only; reading the log is not itself
/// a processing of the persons in it that needs logging.
const AUDIT_POLICY: Policy = Policy {
    service: "partnership.audit.v1.AuditLogService",
    rules: &[crate::auth::policy::restricted("ListAuditRecords", crate::auth::policy::IBN, crate::audit::Action::Read)],
};

/// Serves `service` on `listener` until `shutdown` is cancelled, then stops
/// accepting, reports NOT_SERVING and lets in-flight requests finish.
pub async fn serve(service: ServiceRoutes, listener: TcpListener, shutdown: CancellationToken) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status(service.service_name, ServingStatus::Serving).await;
    health.set_service_status("", ServingStatus::Serving).await;
    let reflection_v1 = reflection(&service).build_v1()?;
    // grpcio's reflection client still speaks v1alpha.
    let reflection_v1alpha = reflection(&service).build_v1alpha()?;
    let mut routes = service.routes.add_service(health_service).add_service(reflection_v1).add_service(reflection_v1alpha);
    let mut policies = vec![service.policy];
    if let Some(log) = &service.audit {
        routes = routes.add_service(crate::audit::AuditApi::new(log.clone()).server());
        policies.push(AUDIT_POLICY);
    }
    let auth = AuthLayer::new(service.auth.verifier.clone(), policies, service.jurisdictions.clone(), service.audit.clone());

    let addr = listener.local_addr()?;
    tracing::info!(service = service.service_name, %addr, "serving");
    let stopping = shutdown.clone();
    let health_on_stop = health.clone();
    let name = service.service_name;
    Server::builder()
        .trace_fn(crate::telemetry::request_span)
        .timeout(REQUEST_TIMEOUT)
        .concurrency_limit_per_connection(CONCURRENCY_PER_CONNECTION)
        .load_shed(true)
        .layer(crate::metrics::RpcMetricsLayer)
        .layer(crate::limits::InFlightLimitLayer::new(service.max_in_flight))
        .layer(auth)
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming(listener), async move {
            stopping.cancelled().await;
            health_on_stop.set_service_status(name, ServingStatus::NotServing).await;
            health_on_stop.set_service_status("", ServingStatus::NotServing).await;
            tracing::info!(service = name, "shutting down; finishing in-flight requests");
        })
        .await?;
    tracing::info!(service = name, "stopped");
    Ok(())
}

/// Accepted connections with Nagle's algorithm off: small gRPC messages
/// would otherwise wait for the peer's delayed ACK (~40 ms a call).
fn incoming(listener: TcpListener) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    TcpListenerStream::new(listener).map(|accepted| {
        accepted.inspect(|stream| {
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(%err, "could not set TCP_NODELAY");
            }
        })
    })
}

fn reflection(service: &ServiceRoutes) -> tonic_reflection::server::Builder<'static> {
    let builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(service.file_descriptor_set)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .with_service_name(service.service_name)
        .with_service_name("grpc.health.v1.Health");
    if service.audit.is_some() { builder.with_service_name(AUDIT_POLICY.service) } else { builder }
}
