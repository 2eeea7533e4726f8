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
//! Spans carry `rpc.system.name` and `rpc.method` when the sampler keeps them, and
//! `rpc.response.status_code` (and `error.type` on failure) always. The response path is
//! the one HTTP uses (`ResponseFuture`, `ResponseBody`), measured by [`Measurement`].
//!
//! Labels: `rpc.system.name` (`grpc`), `rpc.method` (`package.Service/Method`),
//! `rpc.response.status_code` (`OK`, `UNAVAILABLE`, …) and `error.type` (the status code)
//! when the call failed. The status is read from the response headers or, for a normal
//! response, its trailers: the measurement ends with the response stream. A method the
//! server does not implement (`UNIMPLEMENTED`) is labelled `_OTHER`; so is any method
//! past the first [`METHOD_LIMIT`] distinct ones, or outside the list given to
//! [`ServerLayer::with_methods`], so a scanner calling random paths (rejected by an
//! interceptor before routing, say) cannot grow the series.
//!
//! Span names (the method, `package.Service/Method`) are shared once a call to the method
//! has succeeded (`OK`), for the first 1,024 methods of the process: a call to a known
//! method copies no name.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{HeaderMap, Request, Response};
use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::trace::{SpanKind, TraceContextExt};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SdkTracer;
use tonic::Code;

use crate::instrument::labels::{self, Admitted};
use crate::instrument::Bound;
use crate::middleware::span::{self, Spans};
use crate::middleware::{Measure, ResponseBody, ResponseFuture};
use crate::{catalog, names};

/// `rpc.response.status_code`: the status as the gRPC specification spells it.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Whether a status is a failure of the side recording it: on the server only the
/// codes that mean the server failed (the RPC conventions' list); on the client every
/// code but OK.
fn is_error(side: Side, code: Code) -> bool {
    match side {
        Side::Client => code != Code::Ok,
        Side::Server => matches!(
            code,
            Code::Unknown
                | Code::DeadlineExceeded
                | Code::Unimplemented
                | Code::Internal
                | Code::Unavailable
                | Code::DataLoss
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Server,
    Client,
}

/// Distinct `rpc.method` label values a layer records by default before later ones
/// share `_OTHER` (see [`ServerLayer::with_method_limit`]).
pub const METHOD_LIMIT: usize = 100;

/// Which methods get their own `rpc.method` label.
#[derive(Debug)]
enum Methods {
    /// The first `limit` distinct methods seen.
    Budget(Admitted, usize),
    /// Exactly these.
    Known(HashSet<String>),
}

impl Methods {
    fn label(&self, method: &str) -> Arc<str> {
        match self {
            Methods::Budget(admitted, limit) => admitted.label(method, *limit),
            Methods::Known(known) if known.contains(method) => Arc::from(method),
            Methods::Known(_) => Arc::from(labels::OTHER),
        }
    }
}

#[derive(Debug, Clone)]
struct Shared {
    side: Side,
    spans: Spans,
    duration: Arc<Bound<Histogram<f64>>>,
    /// Client side: the `server.address` label when the request URI has no host.
    server_address: Option<String>,
    methods: Arc<Methods>,
}

impl Shared {
    /// `meter` `None` is the global one (bound on first use after `init`).
    fn new(meter: Option<&Meter>, side: Side) -> Arc<Shared> {
        let spec = match side {
            Side::Server => &catalog::RPC_SERVER_CALL_DURATION,
            Side::Client => &catalog::RPC_CLIENT_CALL_DURATION,
        };
        let duration =
            move |m: &Meter| spec.f64_histogram(m, crate::http::DURATION_BUCKETS.to_vec());
        Arc::new(Shared {
            side,
            spans: Spans::Global,
            duration: Arc::new(Bound::new("grpc", meter, duration)),
            server_address: None,
            methods: Arc::new(Methods::Budget(Admitted::new(labels::OTHER), METHOD_LIMIT)),
        })
    }

    /// The same layer with `change` applied to its settings.
    fn with(&self, change: impl FnOnce(&mut Shared)) -> Arc<Shared> {
        let mut shared = self.clone();
        change(&mut shared);
        Arc::new(shared)
    }

    /// The same layer with `methods` deciding the `rpc.method` labels.
    fn with_methods(&self, methods: Methods) -> Arc<Shared> {
        self.with(|s| s.methods = Arc::new(methods))
    }
}

/// One call's measurement: span, duration and status. It records when dropped, however
/// the call ended.
#[derive(Debug)]
pub struct Measurement {
    shared: Arc<Shared>,
    start: Instant,
    /// `package.Service/Method`: shared once a call to it succeeded (see [`NAMES`]).
    method: Cow<'static, str>,
    server_address: Option<String>,
    status: Option<Code>,
    failure: Option<&'static str>,
    /// The call's context: its span, ended with the measurement.
    cx: opentelemetry::Context,
}

impl Measurement {
    fn status_from(&mut self, headers: &HeaderMap) {
        if let Some(code) = headers
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i32>().ok())
        {
            self.status = Some(Code::from_i32(code));
        }
    }
}

impl Measure for Measurement {
    fn on_response<B>(&mut self, response: &Response<B>) {
        // A trailers-only response carries its status in the headers.
        self.status_from(response.headers());
    }

    fn on_error(&mut self, error_type: &'static str) {
        self.failure = Some(error_type);
        // The transport failed: the client saw no status; UNAVAILABLE is what tonic reports.
        self.status = Some(Code::Unavailable);
    }

    fn on_trailers(&mut self, trailers: &HeaderMap) {
        self.status_from(trailers);
    }

    fn on_body_error(&mut self, error_type: &'static str) {
        self.failure = Some(error_type);
    }
}

impl Drop for Measurement {
    fn drop(&mut self) {
        // No status at all: the stream was cut (CANCELLED) or the transport failed.
        let code = self.status.unwrap_or(Code::Cancelled);
        let status = code_name(code);
        if let (Code::Ok, Cow::Owned(m)) = (code, &self.method) {
            NAMES.learn(m);
        }
        let method = if code == Code::Unimplemented {
            Arc::from(labels::OTHER)
        } else {
            self.shared.methods.label(&self.method)
        };
        let mut attrs = Vec::with_capacity(5);
        attrs.push(KeyValue::new(names::RPC_SYSTEM_NAME, "grpc"));
        attrs.push(KeyValue::new(names::RPC_METHOD, method));
        attrs.push(KeyValue::new(names::RPC_RESPONSE_STATUS_CODE, status));
        if let Some(addr) = &self.server_address {
            attrs.push(KeyValue::new(names::SERVER_ADDRESS, addr.clone()));
        }
        let error = match self.failure {
            Some(e) => Some(e),
            None if is_error(self.shared.side, code) || self.status.is_none() => Some(status),
            None => None,
        };
        if let Some(e) = error {
            attrs.push(KeyValue::new(names::ERROR_TYPE, e));
        }
        let ended = || {
            let mut a = vec![KeyValue::new(names::RPC_RESPONSE_STATUS_CODE, status)];
            if let Some(e) = error {
                a.push(KeyValue::new(names::ERROR_TYPE, e));
            }
            a
        };
        span::end(&self.cx, ended, error.is_some());
        if let Some(b) = self.shared.duration.get() {
            b.instruments
                .record(self.start.elapsed().as_secs_f64(), &attrs);
        }
    }
}

/// The method a request calls, `package.Service/Method`: shared when it is known.
fn method_of<B>(req: &Request<B>) -> Cow<'static, str> {
    let path = req.uri().path().trim_start_matches('/');
    match NAMES.get(path) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(path.to_string()),
    }
}

/// Method names that span names share, so a call copies none. A name is learned when a
/// call to it succeeds (`OK`: the method exists and answered, so a client sending random
/// paths — refused as `UNIMPLEMENTED`, or by an interceptor before routing — adds none).
static NAMES: span::Names = span::Names::new();

macro_rules! call_layer {
    ($(#[$doc:meta])* $name:ident, $side:expr, $example:literal) => {
        $(#[$doc])*
        #[doc = concat!("\n```\nlet layer = ", $example, ";\n```")]
        #[derive(Debug, Clone)]
        pub struct $name {
            shared: Arc<Shared>,
        }

        impl Default for $name {
            fn default() -> Self {
                $name::new()
            }
        }

        impl $name {
            /// Records through the global meter provider (the one `init` installed; a
            /// layer built before `init` binds on its first call after it).
            #[must_use]
            pub fn new() -> Self {
                $name {
                    shared: Shared::new(None, $side),
                }
            }

            /// Records through `meter`.
            #[must_use]
            pub fn with_meter(meter: &Meter) -> Self {
                $name {
                    shared: Shared::new(Some(meter), $side),
                }
            }

            /// Starts spans with `tracer` instead of the tracer of the pipeline `init`
            /// installed globally (for a pipeline built with `without_global_subscriber`).
            #[doc = concat!("\n```\nuse ferrotel::opentelemetry::trace::TracerProvider as _;\nlet provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();\nlet layer = ", $example, ".with_tracer(provider.tracer(\"ferrotel\"));\n```")]
            #[must_use]
            pub fn with_tracer(self, tracer: SdkTracer) -> Self {
                $name {
                    shared: self.shared.with(|s| s.spans = Spans::To(tracer)),
                }
            }

            /// Only these methods (`package.Service/Method`) get their own `rpc.method`
            /// label; any other is `_OTHER`. Without it, the first [`METHOD_LIMIT`]
            /// distinct methods do (a method the server does not implement never counts).
            #[doc = concat!("\n```\nlet layer = ", $example, ".with_methods([\"grpc.health.v1.Health/Check\"]);\n```")]
            #[must_use]
            pub fn with_methods<I, S>(self, methods: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                let known = methods.into_iter().map(Into::into).collect();
                $name {
                    shared: self.shared.with_methods(Methods::Known(known)),
                }
            }

            /// How many distinct methods get their own `rpc.method` label before later
            /// ones share `_OTHER` (default [`METHOD_LIMIT`]).
            #[doc = concat!("\n```\nlet layer = ", $example, ".with_method_limit(20);\n```")]
            #[must_use]
            pub fn with_method_limit(self, distinct: usize) -> Self {
                let budget = Methods::Budget(Admitted::new(labels::OTHER), distinct);
                $name {
                    shared: self.shared.with_methods(budget),
                }
            }
        }

        impl<S> tower_layer::Layer<S> for $name {
            type Service = Instrumented<S>;
            fn layer(&self, inner: S) -> Self::Service {
                Instrumented {
                    inner,
                    shared: self.shared.clone(),
                }
            }
        }
    };
}

call_layer!(
    /// A tower layer for `tonic` servers (`Server::builder().layer(..)`).
    ServerLayer,
    Side::Server,
    "ferrotel::grpc::ServerLayer::new()"
);

call_layer!(
    /// A tower layer for `tonic` clients: wrap the `Channel` with it.
    ClientLayer,
    Side::Client,
    "ferrotel::grpc::ClientLayer::new()"
);

impl ClientLayer {
    /// The `server.address` label: the host the channel connects to. tonic adds the
    /// endpoint's host to requests only below this layer, so name it here.
    ///
    /// ```
    /// let layer = ferrotel::grpc::ClientLayer::new().with_server_address("orders.internal");
    /// ```
    #[must_use]
    pub fn with_server_address(self, host: impl Into<String>) -> Self {
        let host = host.into();
        ClientLayer {
            shared: self.shared.with(|s| s.server_address = Some(host)),
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
    type Response = Response<ResponseBody<ResB, Measurement>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, Measurement>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqB>) -> Self::Future {
        let method = method_of(&req);
        let side = self.shared.side;
        let (kind, parent, server_address) = match side {
            Side::Server => {
                // An incoming traceparent, else whatever surrounds the layer.
                let remote = crate::propagation::extract(req.headers());
                let parent = if remote.span().span_context().is_valid() {
                    remote
                } else {
                    opentelemetry::Context::current()
                };
                (SpanKind::Server, parent, None)
            }
            Side::Client => {
                let address = req
                    .uri()
                    .host()
                    .map(str::to_string)
                    .or_else(|| self.shared.server_address.clone());
                (SpanKind::Client, opentelemetry::Context::current(), address)
            }
        };
        // The sampler decides here; the attributes are built only for a span it keeps.
        let cx = self.shared.spans.start(
            method.clone(),
            kind,
            parent,
            span::Request::default(),
            // System and method at the start; status and error type at the end.
            4,
            || {
                vec![
                    KeyValue::new(names::RPC_SYSTEM_NAME, "grpc"),
                    KeyValue::new(names::RPC_METHOD, method.clone()),
                ]
            },
        );
        if side == Side::Client {
            crate::propagation::inject_context(&cx, req.headers_mut());
        }
        let measure = Measurement {
            shared: self.shared.clone(),
            start: Instant::now(),
            method,
            server_address,
            status: None,
            failure: None,
            cx: cx.clone(),
        };
        let inner = {
            let _attached = cx.clone().attach();
            self.inner.call(req)
        };
        ResponseFuture::new(inner, Some(cx), Some(measure))
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
        assert_eq!(code_name(Code::from_i32(0)), "OK");
        assert_eq!(code_name(Code::from_i32(14)), "UNAVAILABLE");
        assert_eq!(code_name(Code::from_i32(16)), "UNAUTHENTICATED");
        assert_eq!(code_name(Code::from_i32(99)), "UNKNOWN");
        assert_eq!(code_name(Code::from_i32(-1)), "UNKNOWN");
        assert!(
            !is_error(Side::Server, Code::NotFound),
            "NOT_FOUND is the client's problem"
        );
        assert!(is_error(Side::Client, Code::NotFound));
        assert!(is_error(Side::Server, Code::Internal));
        assert!(!is_error(Side::Client, Code::Ok));
    }
}
