//! The fan-out: every figure the report needs, asked of its service
//! concurrently, each call with a deadline and timed. A service that could
//! not take a call is asked once more (these are idempotent reads); a slow
//! or failing call is not waited for twice. A failure is kept as the
//! reason, so the section that needed it can say why it is missing.

use std::future::Future;
use std::time::{Duration, Instant};

use partnership_platform::peer;
use partnership_proto::reporting as pb;

/// A figure fetched, or why not, with the call's timing.
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    pub result: Result<T, String>,
    pub fetch: pb::Fetch,
}

impl<T> Fetched<T> {
    pub fn ok(&self) -> Option<&T> {
        self.result.as_ref().ok()
    }
}

/// Calls `rpc` (made anew per attempt with the deadline) as `name`: a
/// read, asked once more if the service could not take it ([`peer::read`]).
pub async fn call<T, F, Fut>(name: &str, deadline: Duration, rpc: F) -> Fetched<T>
where
    F: Fn(Duration) -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let started = Instant::now();
    let (result, attempts) = peer::read(|| rpc(deadline)).await;
    let result = result.map_err(|status| format!("{name}: {:?}: {}", status.code(), status.message()));
    let fetch = pb::Fetch {
        call: name.to_owned(),
        elapsed_micros: started.elapsed().as_micros() as i64,
        ok: result.is_ok(),
        attempts: attempts as i32,
    };
    Fetched { result, fetch }
}

/// An outbound request: deadline and trace context.
pub fn request<T>(message: T, deadline: Duration) -> tonic::Request<T> {
    peer::request(message, deadline)
}
