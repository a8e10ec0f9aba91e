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

/// The longest a request may take before the server answers
/// DEADLINE_EXCEEDED (clients may set shorter deadlines).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Requests handled at once per connection before new ones queue.
pub const CONCURRENCY_PER_CONNECTION: usize = 256;

/// What a service hands the platform to be served.
pub struct ServiceRoutes {
    /// The full protobuf name of the service, e.g.
    /// `partnership.intake.v1.IntakeService`, as health checks ask for it.
    pub service_name: &'static str,
    /// The encoded file descriptor set its protos are in, for reflection.
    pub file_descriptor_set: &'static [u8],
    /// The service's gRPC routes.
    pub routes: Routes,
}

/// Serves `service` on `listener` until `shutdown` is cancelled, then stops
/// accepting, reports NOT_SERVING and lets in-flight requests finish.
pub async fn serve(service: ServiceRoutes, listener: TcpListener, shutdown: CancellationToken) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status(service.service_name, ServingStatus::Serving).await;
    health.set_service_status("", ServingStatus::Serving).await;
    let reflection_v1 = reflection(&service).build_v1()?;
    // grpcio's reflection client still speaks v1alpha.
    let reflection_v1alpha = reflection(&service).build_v1alpha()?;
    let routes = service.routes.add_service(health_service).add_service(reflection_v1).add_service(reflection_v1alpha);

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
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(service.file_descriptor_set)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .with_service_name(service.service_name)
        .with_service_name("grpc.health.v1.Health")
}
