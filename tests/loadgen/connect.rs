//! The one place the load generator and the benchmarks make gRPC clients.
//!
//! Every client is `SomeServiceClient<Transport>`, built from [`connect`]:
//! a channel that presents the bearer token set with [`use_token`] (the
//! administrator's of the suite under test) on every call.

use partnership_proto::intake::intake_service_client::IntakeServiceClient;
use partnership_proto::reporting::reporting_service_client::ReportingServiceClient;
use tonic_health::pb::health_client::HealthClient;

/// What every client of the benchmarks talks through.
pub type Transport = partnership_platform::peer::PeerChannel;

static TOKEN: std::sync::RwLock<String> = std::sync::RwLock::new(String::new());

/// Clients made from now on call with `token`.
pub fn use_token(token: &str) {
    if let Ok(mut current) = TOKEN.write() {
        *current = token.trim().to_owned();
    }
}

/// A connection to `url` (`http://host:port`), opened on first use. Each
/// call gives a connection of its own: the benchmarks' concurrent clients
/// do not share one HTTP/2 connection.
pub fn connect(url: &str) -> anyhow::Result<Transport> {
    let token = TOKEN.read().map(|t| t.clone()).unwrap_or_default();
    partnership_platform::peer::channel(url, &token)
}

/// Large answers (bulk imports, listings) need more than tonic's 4 MB.
const MAX_MESSAGE: usize = 64 << 20;

pub fn intake(url: &str) -> anyhow::Result<IntakeServiceClient<Transport>> {
    Ok(IntakeServiceClient::new(connect(url)?).max_decoding_message_size(MAX_MESSAGE).max_encoding_message_size(MAX_MESSAGE))
}

pub fn reporting(url: &str) -> anyhow::Result<ReportingServiceClient<Transport>> {
    Ok(ReportingServiceClient::new(connect(url)?).max_decoding_message_size(MAX_MESSAGE))
}

pub fn health(url: &str) -> anyhow::Result<HealthClient<Transport>> {
    Ok(HealthClient::new(connect(url)?))
}

/// The demo loader's clients, made here like every other.
pub fn demo_clients(intake: &str, employment: &str, beschut: &str, finance: &str) -> anyhow::Result<partnership_suite::demo::Clients> {
    let token = TOKEN.read().map(|t| t.clone()).unwrap_or_default();
    partnership_suite::demo::Clients::connect(intake, employment, beschut, finance, &token)
}
