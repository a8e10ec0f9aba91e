//! Load shedding on the way in: a service handles at most so many requests
//! at once (over all connections); the next one is refused at once with
//! RESOURCE_EXHAUSTED and a `google.rpc.RetryInfo` saying when to try
//! again, rather than waiting in a queue that grows without bound while
//! its caller's deadline runs out. (tonic's own limit is per connection.)

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::codegen::http;
use tonic_types::{ErrorDetails, StatusExt};

/// What a refused caller is told to wait before retrying.
pub const RETRY_AFTER: Duration = Duration::from_millis(200);

/// Caps the requests in flight in one service.
#[derive(Clone, Debug)]
pub struct InFlightLimitLayer {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl InFlightLimitLayer {
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self { permits: Arc::new(Semaphore::new(limit)), limit }
    }
}

impl<S> tower::Layer<S> for InFlightLimitLayer {
    type Service = InFlightLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InFlightLimit { inner, permits: self.permits.clone(), limit: self.limit }
    }
}

#[derive(Clone, Debug)]
pub struct InFlightLimit<S> {
    inner: S,
    permits: Arc<Semaphore>,
    limit: usize,
}

/// The status a shed request gets.
pub fn overloaded(limit: usize) -> tonic::Status {
    let details = ErrorDetails::with_retry_info(Some(RETRY_AFTER));
    tonic::Status::with_error_details(
        tonic::Code::ResourceExhausted,
        format!("the service is handling its maximum of {limit} requests; retry after {} ms", RETRY_AFTER.as_millis()),
        details,
    )
}

/// A response body holding its request's slot until the body is done, so
/// a streaming RPC counts as in flight for as long as it streams.
pub struct Guarded<B> {
    inner: B,
    _permit: Option<OwnedSemaphorePermit>,
}

impl<B: Default> Default for Guarded<B> {
    fn default() -> Self {
        Self { inner: B::default(), _permit: None }
    }
}

impl<B: http_body::Body + Unpin> http_body::Body for Guarded<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for InFlightLimit<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<Guarded<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let health = request.uri().path().starts_with("/grpc.health.v1.Health/");
        let permit = self.permits.clone().try_acquire_owned();
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limit = self.limit;
        Box::pin(async move {
            // Probes always get through: a busy service is not a dead one.
            let permit = match permit {
                Ok(permit) => Some(permit),
                Err(_) if health => None,
                Err(_) => return Ok(overloaded(limit).into_http()),
            };
            let response = inner.call(request).await?;
            Ok(response.map(|inner| Guarded { inner, _permit: permit }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::{Layer, Service, ServiceExt};

    #[tokio::test]
    async fn the_request_over_the_limit_is_refused_with_a_retry_delay() {
        let gate = Arc::new(tokio::sync::Notify::new());
        let waiting = gate.clone();
        let slow = tower::service_fn(move |_: http::Request<()>| {
            let waiting = waiting.clone();
            async move {
                waiting.notified().await;
                Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
            }
        });
        let mut service = InFlightLimitLayer::new(1).layer(slow);
        let request = || http::Request::builder().uri("/p.v1.S/Call").body(()).unwrap();
        let first = tokio::spawn(service.clone().oneshot(request()));
        tokio::task::yield_now().await;
        let refused = service.ready().await.unwrap().call(request()).await.unwrap();
        let status = tonic::Status::from_header_map(refused.headers()).expect("a status");
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert_eq!(status.get_details_retry_info().and_then(|r| r.retry_delay), Some(RETRY_AFTER));
        gate.notify_one();
        first.await.unwrap().unwrap();
        // The slot is free again.
        let again = tokio::spawn(service.clone().oneshot(request()));
        tokio::task::yield_now().await;
        gate.notify_one();
        assert!(tonic::Status::from_header_map(again.await.unwrap().unwrap().headers()).is_none());
    }
}
