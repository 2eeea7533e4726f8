//! gRPC telemetry for `tonic`: a server layer and a client layer that propagate
//! trace context through metadata, open a span per call and record
//! `rpc.server.call.duration` / `rpc.client.call.duration`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! # use tonic_health::pb::health_client::HealthClient;
//! // Server: every call gets a span and a duration, labelled by method and status.
//! let (_reporter, health) = tonic_health::server::health_reporter();
//! tonic::transport::Server::builder()
//!     .layer(ferrotel::grpc::ServerLayer::new())
//!     .add_service(health)
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//!
//! // Client: the channel wrapped in the client layer injects `traceparent`.
//! let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:50051").connect().await?;
//! let channel = tower::ServiceBuilder::new().layer(ferrotel::grpc::ClientLayer::new()).service(channel);
//! let mut client = HealthClient::new(channel);
//! # Ok(()) }
//! ```
//!
//! Labels: `rpc.system.name` (`grpc`), `rpc.method` (`package.Service/Method`),
//! `rpc.response.status_code` (`OK`, `UNAVAILABLE`, …) and `error.type` (the status code)
//! when the call failed. The status is read from the response headers or, for a normal
//! response, its trailers: the measurement ends with the response stream. A method the
//! server does not implement (`UNIMPLEMENTED`) is labelled `_OTHER`, so a scanner
//! calling random paths creates no series.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::http::{HeaderMap, Request, Response};
use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::trace::TraceContextExt;
use opentelemetry::KeyValue;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::http::body::{complete, Measure, Observer};
use crate::http::ResponseBody;
use crate::{catalog, names};

/// gRPC status codes by number, as `rpc.response.status_code` spells them.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

fn code_name(code: i32) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|c| CODES.get(c))
        .copied()
        .unwrap_or("UNKNOWN")
}

/// Whether a status is a failure of the side recording it: on the server only the
/// codes that mean the server failed; on the client every code but OK.
fn is_error(side: Side, code: i32) -> bool {
    match side {
        Side::Client => code != 0,
        Side::Server => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Server,
    Client,
}

#[derive(Debug)]
struct Shared {
    side: Side,
    duration: Histogram<f64>,
    /// Client side: the `server.address` label when the request URI has no host.
    server_address: Option<String>,
}

impl Shared {
    fn new(meter: &Meter, side: Side) -> Arc<Shared> {
        let spec = match side {
            Side::Server => &catalog::RPC_SERVER_CALL_DURATION,
            Side::Client => &catalog::RPC_CLIENT_CALL_DURATION,
        };
        Arc::new(Shared {
            side,
            duration: spec.f64_histogram(meter, crate::http::DURATION_BUCKETS.to_vec()),
            server_address: None,
        })
    }
}

/// One call's measurement; records when dropped, however the call ended.
#[derive(Debug)]
pub(crate) struct CallRecorder {
    shared: Arc<Shared>,
    start: Instant,
    method: String,
    server_address: Option<String>,
    status: Option<i32>,
    failure: Option<&'static str>,
    span: tracing::Span,
}

impl CallRecorder {
    pub(crate) fn status_from(&mut self, headers: &HeaderMap) {
        if let Some(code) = headers
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            self.status = Some(code);
        }
    }

    pub(crate) fn body_failed(&mut self, error_type: &'static str) {
        self.failure = Some(error_type);
    }
}

impl Measure for CallRecorder {
    fn on_response<B>(&mut self, response: &Response<B>) {
        // A trailers-only response carries its status in the headers.
        self.status_from(response.headers());
    }

    fn on_error(&mut self, error_type: &'static str) {
        self.failure = Some(error_type);
        // The transport failed: the client saw no status; UNAVAILABLE is what tonic reports.
        self.status = Some(14);
    }

    fn into_observer(self) -> Observer {
        Observer::Grpc(self)
    }
}

impl Drop for CallRecorder {
    fn drop(&mut self) {
        // No status at all: the stream was cut (CANCELLED) or the transport failed.
        let code = self.status.unwrap_or(1);
        let status = code_name(code);
        let method = if code == 12 {
            "_OTHER"
        } else {
            self.method.as_str()
        };
        let mut attrs = Vec::with_capacity(5);
        attrs.push(KeyValue::new(names::RPC_SYSTEM_NAME, "grpc"));
        attrs.push(KeyValue::new(names::RPC_METHOD, method.to_string()));
        attrs.push(KeyValue::new(names::RPC_RESPONSE_STATUS_CODE, status));
        if let Some(addr) = &self.server_address {
            attrs.push(KeyValue::new(names::SERVER_ADDRESS, addr.clone()));
        }
        self.span.record("rpc.response.status_code", status);
        let error = match self.failure {
            Some(e) => Some(e),
            None if is_error(self.shared.side, code) || self.status.is_none() => Some(status),
            None => None,
        };
        if let Some(e) = error {
            attrs.push(KeyValue::new(names::ERROR_TYPE, e));
            self.span.record("error.type", e);
            self.span.record("otel.status_code", "error");
        }
        self.shared
            .duration
            .record(self.start.elapsed().as_secs_f64(), &attrs);
    }
}

fn method_of<B>(req: &Request<B>) -> String {
    req.uri().path().trim_start_matches('/').to_string()
}

/// A tower layer for `tonic` servers (`Server::builder().layer(..)`).
///
/// ```
/// let layer = ferrotel::grpc::ServerLayer::new();
/// ```
#[derive(Debug, Clone)]
pub struct ServerLayer {
    shared: Arc<Shared>,
}

impl Default for ServerLayer {
    fn default() -> Self {
        ServerLayer::new()
    }
}

impl ServerLayer {
    /// Records through the global meter provider (the one `init` installed).
    pub fn new() -> Self {
        ServerLayer::with_meter(&opentelemetry::global::meter("ferrotel"))
    }

    /// Records through `meter`.
    pub fn with_meter(meter: &Meter) -> Self {
        ServerLayer {
            shared: Shared::new(meter, Side::Server),
        }
    }
}

impl<S> tower_layer::Layer<S> for ServerLayer {
    type Service = Instrumented<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Instrumented {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// A tower layer for `tonic` clients: wrap the `Channel` with it.
///
/// ```
/// let layer = ferrotel::grpc::ClientLayer::new();
/// ```
#[derive(Debug, Clone)]
pub struct ClientLayer {
    shared: Arc<Shared>,
}

impl Default for ClientLayer {
    fn default() -> Self {
        ClientLayer::new()
    }
}

impl ClientLayer {
    /// Records through the global meter provider (the one `init` installed).
    pub fn new() -> Self {
        ClientLayer::with_meter(&opentelemetry::global::meter("ferrotel"))
    }

    /// Records through `meter`.
    pub fn with_meter(meter: &Meter) -> Self {
        ClientLayer {
            shared: Shared::new(meter, Side::Client),
        }
    }

    /// The `server.address` label: the host the channel connects to. tonic adds the
    /// endpoint's host to requests only below this layer, so name it here.
    ///
    /// ```
    /// let layer = ferrotel::grpc::ClientLayer::new().with_server_address("orders.internal");
    /// ```
    pub fn with_server_address(self, host: impl Into<String>) -> Self {
        ClientLayer {
            shared: Arc::new(Shared {
                side: Side::Client,
                duration: self.shared.duration.clone(),
                server_address: Some(host.into()),
            }),
        }
    }
}

impl<S> tower_layer::Layer<S> for ClientLayer {
    type Service = Instrumented<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Instrumented {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// A gRPC service or channel wrapped by [`ServerLayer`] or [`ClientLayer`].
#[derive(Debug, Clone)]
pub struct Instrumented<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S, ReqB, ResB> tower_service::Service<Request<ReqB>> for Instrumented<S>
where
    S: tower_service::Service<Request<ReqB>, Response = Response<ResB>>,
{
    type Response = Response<ResponseBody<ResB>>;
    type Error = S::Error;
    type Future = CallFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqB>) -> Self::Future {
        let method = method_of(&req);
        let side = self.shared.side;
        let span = tracing::info_span!(
            target: "ferrotel::grpc",
            "gRPC call",
            otel.name = %method,
            otel.kind = if side == Side::Server { "server" } else { "client" },
            otel.status_code = tracing::field::Empty,
            rpc.system.name = "grpc",
            rpc.method = %method,
            rpc.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let server_address = match side {
            Side::Server => {
                let parent = crate::propagation::extract(req.headers());
                if parent.span().span_context().is_valid() {
                    let _ = span.set_parent(parent);
                }
                None
            }
            Side::Client => {
                crate::propagation::inject_context(&span.context(), req.headers_mut());
                req.uri()
                    .host()
                    .map(str::to_string)
                    .or_else(|| self.shared.server_address.clone())
            }
        };
        let recorder = CallRecorder {
            shared: self.shared.clone(),
            start: Instant::now(),
            method,
            server_address,
            status: None,
            failure: None,
            span: span.clone(),
        };
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        CallFuture {
            inner,
            span,
            recorder: Some(recorder),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of an [`Instrumented`] call.
    #[derive(Debug)]
    pub struct CallFuture<F> {
        #[pin]
        inner: F,
        span: tracing::Span,
        recorder: Option<CallRecorder>,
    }
}

impl<F, B, E> Future for CallFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        Poll::Ready(complete(result, this.recorder.take()))
    }
}

/// A `tonic` interceptor that injects the current span's context into the request
/// metadata, for clients built with `with_interceptor` instead of [`ClientLayer`].
///
/// ```
/// let req = ferrotel::grpc::inject_context(tonic::Request::new(())).unwrap();
/// ```
#[allow(clippy::result_large_err)]
pub fn inject_context<T>(mut req: tonic::Request<T>) -> Result<tonic::Request<T>, tonic::Status> {
    let mut headers = std::mem::take(req.metadata_mut()).into_headers();
    crate::propagation::inject(&mut headers);
    *req.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers);
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_and_error_sides() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(14), "UNAVAILABLE");
        assert_eq!(code_name(16), "UNAUTHENTICATED");
        assert_eq!(code_name(99), "UNKNOWN");
        assert_eq!(code_name(-1), "UNKNOWN");
        assert!(
            !is_error(Side::Server, 5),
            "NOT_FOUND is the client's problem"
        );
        assert!(is_error(Side::Client, 5));
        assert!(is_error(Side::Server, 13));
        assert!(!is_error(Side::Client, 0));
    }
}
