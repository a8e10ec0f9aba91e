//! Telemetry you can follow: the suite exports over OTLP to a receiver in
//! this test. One report request is one trace, holding the spans of every
//! service it fanned out to, each with its parent; and the key metrics
//! (requests, errors and latency per RPC, store commits, outbox backlog)
//! arrive too.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{MetricsService, MetricsServiceServer};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use partnership_e2e::*;
use partnership_platform::telemetry::{self, TelemetryConfig};
use partnership_proto::reporting as pb;
use tokio_stream::wrappers::TcpListenerStream;

/// An OTLP trace receiver keeping every span it gets.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Span>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(&self, request: tonic::Request<ExportTraceServiceRequest>) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request.into_inner().resource_spans.into_iter().flat_map(|r| r.scope_spans).flat_map(|s| s.spans);
        self.0.lock().unwrap().extend(spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

/// An OTLP metrics receiver keeping the names of the metrics it gets.
#[derive(Clone, Default)]
struct MetricNames(Arc<Mutex<HashSet<String>>>);

#[tonic::async_trait]
impl MetricsService for MetricNames {
    async fn export(&self, request: tonic::Request<ExportMetricsServiceRequest>) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let names = request.into_inner().resource_metrics.into_iter().flat_map(|r| r.scope_metrics).flat_map(|s| s.metrics).map(|m| m.name);
        self.0.lock().unwrap().extend(names);
        Ok(tonic::Response::new(ExportMetricsServiceResponse { partial_success: None }))
    }
}

/// The `rpc` attribute of a request span: the gRPC path.
fn rpc(span: &Span) -> Option<String> {
    span.attributes.iter().find(|a| a.key == "rpc").and_then(|a| match a.value.as_ref()?.value.as_ref()? {
        Value::StringValue(s) => Some(s.clone()),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_report_request_is_one_trace_and_the_key_metrics_arrive() {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let metrics = MetricNames::default();
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(receiver.clone()))
        .add_service(MetricsServiceServer::new(metrics.clone()))
        .serve_with_incoming(TcpListenerStream::new(listener));
    tokio::spawn(server);

    let guard = telemetry::init(&TelemetryConfig { log: "warn".into(), otlp_endpoint: Some(endpoint), service_name: "partnership-test".into() })
        .expect("telemetry starts");
    let suite = spawn_suite().await;
    let mut reporting = suite.reporting().await;
    let report = reporting
        .get_report(pb::GetReportRequest { year: 2023, quarter: 4, scope: area("MAASHORST"), strict: true })
        .await
        .expect("a report")
        .into_inner();
    assert_eq!(report.sections.len(), 9);

    // Wait (boundedly) for the batch exporter to deliver everything.
    let wanted = ["IntakeService", "EmploymentService", "BeschutService", "FinanceService", "ReportingService"];
    let mut waited = Duration::ZERO;
    let spans = loop {
        guard.flush();
        let spans = receiver.0.lock().unwrap().clone();
        let seen: HashSet<&str> = spans.iter().filter_map(rpc).filter_map(|r| wanted.iter().copied().find(|w| r.contains(w))).collect();
        if seen.len() == wanted.len() || waited > Duration::from_secs(20) {
            break spans;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        waited += Duration::from_millis(200);
    };

    let root = spans
        .iter()
        .find(|s| rpc(s).is_some_and(|r| r.ends_with("ReportingService/GetReport")))
        .expect("the report request's span");
    assert!(root.parent_span_id.is_empty(), "the report request starts the trace");
    let trace: Vec<&Span> = spans.iter().filter(|s| s.trace_id == root.trace_id).collect();
    let services: HashSet<&str> = trace.iter().filter_map(|s| rpc(s)).filter_map(|r| wanted.iter().copied().find(|w| r.contains(w))).collect();
    assert_eq!(services.len(), wanted.len(), "spans of every service in the report's trace: {services:?}");
    // Every span but the root hangs under another span of the same trace.
    let ids: HashMap<&[u8], &Span> = trace.iter().map(|s| (s.span_id.as_slice(), *s)).collect();
    for span in trace.iter().filter(|s| s.span_id != root.span_id && rpc(s).is_some()) {
        assert!(!span.parent_span_id.is_empty(), "{:?} has a parent", rpc(span));
        assert!(ids.contains_key(span.parent_span_id.as_slice()), "{:?}: its parent is a span of the same trace", rpc(span));
    }
    eprintln!("trace of {} spans from {services:?}", trace.len());
    let fan_out = trace.iter().filter(|s| rpc(s).is_some_and(|r| !r.contains("ReportingService"))).count();
    assert!(fan_out >= 14, "the fan-out calls are all in the trace ({fan_out})");

    // The metrics: a write (a store commit) and an error, then a flush.
    let mut intake = suite.intake().await;
    intake
        .create_candidate(partnership_proto::intake::CreateCandidateRequest { request_id: "m".into(), bsn: bsn(1), birth_date: date("1990-01-01"), municipality_code: "GM0828".into() })
        .await
        .unwrap();
    intake.get_candidate(partnership_proto::intake::GetCandidateRequest { id: "missing".into() }).await.unwrap_err();
    tokio::time::sleep(Duration::from_millis(300)).await;
    guard.flush();
    let names = metrics.0.lock().unwrap().clone();
    for name in ["rpc.server.requests", "rpc.server.errors", "rpc.server.duration", "partnership.store.commit.duration", "partnership.outbox.pending"] {
        assert!(names.contains(name), "metric {name} exported (got {names:?})");
    }
}
