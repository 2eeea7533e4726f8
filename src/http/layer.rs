//! [`ServerLayer`], the service it produces and the [`Measurement`] of one request.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Method, Request, Response, Version};
use opentelemetry::metrics::Meter;
use opentelemetry::trace::TraceContextExt;
use opentelemetry::KeyValue;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::metrics::ServerInstruments;
use crate::instrument::Bound;
use crate::middleware::{Measure, ResponseBody, ResponseFuture};
use crate::names;

/// Paths left out by default: the admin endpoints, which load balancers and
/// Prometheus poll and which would drown the service's own traffic.
pub(crate) const ADMIN_PATHS: [&str; 5] = [
    "/metrics",
    "/health",
    "/health/live",
    "/health/ready",
    "/status",
];

/// A tower layer recording a server span and the HTTP server metrics for every request.
///
/// Instruments are created once, when the layer is built, from the global meter
/// provider that [`init`](crate::init) installs (or from [`with_meter`](ServerLayer::with_meter)).
///
/// ```
/// use axum::{routing::get, Router};
/// use ferrotel::http::ServerLayer;
///
/// let layer = ServerLayer::new().with_excluded_paths(["/metrics", "/internal/ping"]);
/// let app: Router = Router::new().route("/", get(|| async { "ok" })).layer(layer);
/// ```
#[derive(Debug, Clone)]
pub struct ServerLayer {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    instruments: Arc<Bound<ServerInstruments>>,
    excluded: Vec<String>,
    /// Longest raw `url.path` put on spans, in characters; 0 (the default) puts none.
    raw_path_max: usize,
}

impl Default for ServerLayer {
    fn default() -> Self {
        ServerLayer::new()
    }
}

impl ServerLayer {
    /// Records through the global meter provider (the one `init` installed; a layer built
    /// before `init` binds on its first request after it).
    #[must_use]
    pub fn new() -> Self {
        ServerLayer::build(None)
    }

    /// Records through `meter`, e.g. `telemetry.meter("ferrotel")` when `init` was told
    /// not to install globals.
    #[must_use]
    pub fn with_meter(meter: &Meter) -> Self {
        ServerLayer::build(Some(meter))
    }

    fn build(meter: Option<&Meter>) -> Self {
        ServerLayer {
            shared: Arc::new(Shared {
                instruments: Arc::new(Bound::new("http server", meter, ServerInstruments::new)),
                excluded: ADMIN_PATHS.iter().map(|p| p.to_string()).collect(),
                raw_path_max: 0,
            }),
        }
    }

    /// Paths whose requests record nothing. Replaces the default, which is the admin
    /// endpoints: `/metrics`, `/health`, `/health/live`, `/health/ready`, `/status`.
    pub fn with_excluded_paths<I, P>(self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        ServerLayer {
            shared: Arc::new(Shared {
                instruments: self.shared.instruments.clone(),
                excluded: paths.into_iter().map(Into::into).collect(),
                raw_path_max: self.shared.raw_path_max,
            }),
        }
    }

    /// Also puts the raw request path on server spans as `url.path`, cut to `max_chars`
    /// characters. Off by default: a path can carry personal data (`/users/ann@example.com`,
    /// `/reset/{token}`); the route template (`http.route`) is always there. Never a label.
    ///
    /// ```
    /// let layer = ferrotel::http::ServerLayer::new().with_raw_path(128);
    /// ```
    #[must_use]
    pub fn with_raw_path(self, max_chars: usize) -> Self {
        ServerLayer {
            shared: Arc::new(Shared {
                instruments: self.shared.instruments.clone(),
                excluded: self.shared.excluded.clone(),
                raw_path_max: max_chars,
            }),
        }
    }
}

impl<S> tower_layer::Layer<S> for ServerLayer {
    type Service = Server<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Server {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service [`ServerLayer`] wraps around an application.
#[derive(Debug, Clone)]
pub struct Server<S> {
    inner: S,
    shared: Arc<Shared>,
}

/// `http.route`: the route template axum matched (feature `axum`); `None` when no route
/// matched, never the raw path.
fn route_template<B>(req: &Request<B>) -> Option<String> {
    #[cfg(feature = "axum")]
    {
        req.extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|m| m.as_str().to_string())
    }
    #[cfg(not(feature = "axum"))]
    {
        let _ = req;
        None
    }
}

/// `http.request.method`: the known methods as themselves, anything else `_OTHER`.
pub(crate) fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "_OTHER",
    }
}

fn version_label(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "_OTHER",
    }
}

/// How a request ended, for `http.response.status_code` and `error.type`.
#[derive(Debug)]
enum Ending {
    /// The response future was dropped before it produced a response.
    Cancelled,
    Status(u16),
    /// The inner service failed; the error type's name.
    Failed(&'static str),
    /// The response body failed mid-stream.
    BodyFailed(u16, &'static str),
}

/// Everything one HTTP request records: its span, duration, body sizes and status.
/// It records when dropped, whichever way the request ends.
#[derive(Debug)]
pub struct Measurement {
    shared: Arc<Shared>,
    start: Instant,
    attrs: Vec<KeyValue>,
    request_size: Option<u64>,
    ending: Ending,
    /// Whether `http.server.active_requests` counted this request in.
    counted_active: bool,
    response_bytes: u64,
    span: tracing::Span,
}

impl Measure for Measurement {
    fn on_response<B>(&mut self, response: &Response<B>) {
        let status = response.status().as_u16();
        self.ending = Ending::Status(status);
        self.span.record("http.response.status_code", status);
    }

    fn on_error(&mut self, error_type: &'static str) {
        self.ending = Ending::Failed(error_type);
    }

    fn on_data(&mut self, bytes: usize) {
        self.response_bytes += bytes as u64;
    }

    fn on_body_error(&mut self, error_type: &'static str) {
        if let Ending::Status(s) = self.ending {
            self.ending = Ending::BodyFailed(s, error_type);
        }
    }
}

impl Drop for Measurement {
    fn drop(&mut self) {
        let (status, error): (Option<u16>, Option<std::borrow::Cow<'static, str>>) =
            match self.ending {
                Ending::Cancelled => (None, Some("cancelled".into())),
                Ending::Failed(e) => (None, Some(e.into())),
                Ending::BodyFailed(s, e) => (Some(s), Some(e.into())),
                Ending::Status(s) if s >= 500 => (Some(s), Some(s.to_string().into())),
                Ending::Status(s) => (Some(s), None),
            };
        let active = [self.attrs[0].clone(), self.attrs[1].clone()];
        if let Some(s) = status {
            self.attrs.push(KeyValue::new(
                names::HTTP_RESPONSE_STATUS_CODE,
                i64::from(s),
            ));
        }
        if let Some(e) = &error {
            self.span.record("error.type", e.as_ref());
            self.span.record("otel.status_code", "error");
            self.attrs.push(KeyValue::new(names::ERROR_TYPE, e.clone()));
        }
        let Some(b) = self.shared.instruments.get() else {
            return;
        };
        let i = &b.instruments;
        i.duration
            .record(self.start.elapsed().as_secs_f64(), &self.attrs);
        i.response_size.record(self.response_bytes, &self.attrs);
        if let Some(n) = self.request_size {
            i.request_size.record(n, &self.attrs);
        }
        // Only what was counted in: a request that began before the layer bound is not.
        if self.counted_active {
            i.active.add(-1, &active);
        }
    }
}

impl<S, ReqB, ResB> tower_service::Service<Request<ReqB>> for Server<S>
where
    S: tower_service::Service<Request<ReqB>, Response = Response<ResB>>,
{
    type Response = Response<ResponseBody<ResB, Measurement>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, Measurement>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let path = req.uri().path();
        if self.shared.excluded.iter().any(|p| p == path) {
            return ResponseFuture::new(self.inner.call(req), tracing::Span::none(), None);
        }
        let method = method_label(req.method());
        let scheme = if req.uri().scheme_str() == Some("https") {
            "https"
        } else {
            "http"
        };
        let version = version_label(req.version());
        let route = route_template(&req);
        let name = match &route {
            Some(r) => format!("{method} {r}"),
            None => method.to_string(),
        };
        // Only what is recorded later is a `tracing` field. The request's attributes go
        // straight onto the OpenTelemetry span once the sampler has kept it: a span the
        // sampler drops costs no attribute strings, and none are formatted for the console.
        let span = tracing::info_span!(
            target: "ferrotel::http",
            "HTTP request",
            otel.name = %name,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let parent = crate::propagation::extract(req.headers());
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
        // Starts the span: the sampler decides here.
        if span.context().span().span_context().is_sampled() {
            span.set_attribute(names::HTTP_REQUEST_METHOD, method);
            if method == "_OTHER" {
                span.set_attribute(
                    "http.request.method_original",
                    req.method().as_str().to_string(),
                );
            }
            if let Some(r) = &route {
                span.set_attribute(names::HTTP_ROUTE, r.clone());
            }
            let max = self.shared.raw_path_max;
            if max > 0 {
                let cut = path.char_indices().nth(max).map_or(path.len(), |(i, _)| i);
                span.set_attribute(names::URL_PATH, path[..cut].to_string());
            }
            span.set_attribute(names::URL_SCHEME, scheme);
            span.set_attribute(names::NETWORK_PROTOCOL_VERSION, version);
        }
        let mut attrs = Vec::with_capacity(6);
        attrs.push(KeyValue::new(names::HTTP_REQUEST_METHOD, method));
        attrs.push(KeyValue::new(names::URL_SCHEME, scheme));
        attrs.push(KeyValue::new(names::NETWORK_PROTOCOL_VERSION, version));
        if let Some(r) = route {
            let r: std::sync::Arc<str> = r.into();
            // Kept on the span for what the handler records (cost by route).
            #[cfg(feature = "genai")]
            super::route::attach(&span, r.clone());
            attrs.push(KeyValue::new(names::HTTP_ROUTE, r));
        }
        let counted_active = match self.shared.instruments.get() {
            Some(b) => {
                b.instruments.active.add(1, &attrs[..2]);
                true
            }
            None => false,
        };
        let request_size = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let measure = Measurement {
            shared: self.shared.clone(),
            start: Instant::now(),
            attrs,
            request_size,
            ending: Ending::Cancelled,
            counted_active,
            response_bytes: 0,
            span: span.clone(),
        };
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        ResponseFuture::new(inner, span, Some(measure))
    }
}
