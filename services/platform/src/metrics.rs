//! The suite's key metrics, exported over OTLP with the traces when an
//! endpoint is configured (and no-ops otherwise): requests, latency and
//! errors per RPC (one tower layer in front of every service), the store's
//! commit latency, and whatever a service adds (employment: the outbox
//! backlog) through [`meter`].

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter};
use tonic::codegen::http;

/// The meter every instrument of the suite hangs from.
pub fn meter() -> Meter {
    opentelemetry::global::meter("partnership")
}

struct RpcInstruments {
    requests: Counter<u64>,
    errors: Counter<u64>,
    duration: Histogram<f64>,
}

fn rpc_instruments() -> &'static RpcInstruments {
    static INSTRUMENTS: OnceLock<RpcInstruments> = OnceLock::new();
    INSTRUMENTS.get_or_init(|| {
        let meter = meter();
        RpcInstruments {
            requests: meter.u64_counter("rpc.server.requests").with_description("gRPC requests handled").build(),
            errors: meter.u64_counter("rpc.server.errors").with_description("gRPC requests answered with a non-OK status").build(),
            duration: meter.f64_histogram("rpc.server.duration").with_unit("s").with_description("time to answer a gRPC request").build(),
        }
    })
}

/// Records a store commit's duration.
pub fn record_commit(started: Instant, ok: bool) {
    static COMMIT: OnceLock<Histogram<f64>> = OnceLock::new();
    let histogram = COMMIT.get_or_init(|| {
        meter().f64_histogram("partnership.store.commit.duration").with_unit("s").with_description("time to commit a write transaction").build()
    });
    histogram.record(started.elapsed().as_secs_f64(), &[KeyValue::new("ok", ok)]);
}

/// The tower layer measuring every request of a service.
#[derive(Clone, Copy, Debug, Default)]
pub struct RpcMetricsLayer;

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics { inner }
    }
}

#[derive(Clone, Debug)]
pub struct RpcMetrics<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for RpcMetrics<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let rpc = request.uri().path().to_owned();
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            // A failed unary call answers "trailers-only": the status is a header.
            let failed = match &result {
                Ok(response) => response.headers().get("grpc-status").is_some_and(|code| code != "0"),
                Err(_) => true,
            };
            let instruments = rpc_instruments();
            let attributes = [KeyValue::new("rpc", rpc)];
            instruments.requests.add(1, &attributes);
            if failed {
                instruments.errors.add(1, &attributes);
            }
            instruments.duration.record(started.elapsed().as_secs_f64(), &attributes);
            result
        })
    }
}
