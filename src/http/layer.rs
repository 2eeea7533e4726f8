//! [`ServerLayer`], the service it produces and the [`Measurement`] of one request.

use std::borrow::Cow;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response, Version};
use opentelemetry::metrics::Meter;
use opentelemetry::trace::{SpanKind, TraceContextExt};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SdkTracer;

use super::metrics::{Key, ServerInstruments, Set};
use super::route::{self, Verb};
use crate::instrument::Bound;
use crate::middleware::span::{self, Spans};
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

#[derive(Debug, Clone)]
struct Shared {
    instruments: Arc<Bound<ServerInstruments>>,
    excluded: Vec<String>,
    /// Longest raw `url.path` put on spans, in characters; 0 (the default) puts none.
    raw_path_max: usize,
    spans: Spans,
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
                spans: Spans::Global,
            }),
        }
    }

    /// The same layer with `change` applied to its settings.
    fn with(self, change: impl FnOnce(&mut Shared)) -> Self {
        let mut shared = (*self.shared).clone();
        change(&mut shared);
        ServerLayer {
            shared: Arc::new(shared),
        }
    }

    /// Starts server spans with `tracer` instead of the tracer of the pipeline `init`
    /// installed globally: for a pipeline built with `without_global_subscriber`, pass
    /// its tracer beside its meter.
    ///
    /// ```
    /// use ferrotel::opentelemetry::trace::TracerProvider as _;
    ///
    /// let telemetry = ferrotel::init(
    ///     ferrotel::Config::from_vars([("OTEL_TRACES_EXPORTER", "console")])
    ///         .unwrap()
    ///         .without_global_subscriber(),
    /// )
    /// .unwrap();
    /// let mut layer = ferrotel::http::ServerLayer::with_meter(&telemetry.meter("ferrotel"));
    /// if let Some(provider) = telemetry.tracer_provider() {
    ///     layer = layer.with_tracer(provider.tracer("ferrotel"));
    /// }
    /// # telemetry.shutdown().unwrap();
    /// ```
    #[must_use]
    pub fn with_tracer(self, tracer: SdkTracer) -> Self {
        self.with(|s| s.spans = Spans::To(tracer))
    }

    /// Paths whose requests record nothing. Replaces the default, which is the admin
    /// endpoints: `/metrics`, `/health`, `/health/live`, `/health/ready`, `/status`.
    pub fn with_excluded_paths<I, P>(self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        let excluded = paths.into_iter().map(Into::into).collect();
        self.with(|s| s.excluded = excluded)
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
        self.with(|s| s.raw_path_max = max_chars)
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
fn route_template<B>(req: &Request<B>) -> Option<&str> {
    #[cfg(feature = "axum")]
    {
        req.extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|m| m.as_str())
    }
    #[cfg(not(feature = "axum"))]
    {
        let _ = req;
        None
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
    /// `http.request.method`.
    method: Verb,
    scheme: &'static str,
    version: &'static str,
    route: Option<route::Route>,
    request_size: Option<u64>,
    ending: Ending,
    /// Whether `http.server.active_requests` counted this request in.
    counted_active: bool,
    response_bytes: u64,
    /// The request's context: its server span, ended with the measurement.
    cx: opentelemetry::Context,
}

impl Measurement {
    /// The metric attributes of this request ending with `status` and `error`.
    fn labels(&self, status: Option<u16>, error: Option<Cow<'static, str>>) -> Vec<KeyValue> {
        let mut a = Vec::with_capacity(6);
        a.push(KeyValue::new(names::HTTP_REQUEST_METHOD, self.method.label));
        a.push(KeyValue::new(names::URL_SCHEME, self.scheme));
        a.push(KeyValue::new(names::NETWORK_PROTOCOL_VERSION, self.version));
        if let Some(r) = &self.route {
            a.push(KeyValue::new(names::HTTP_ROUTE, r.template.clone()));
        }
        if let Some(s) = status {
            a.push(KeyValue::new(
                names::HTTP_RESPONSE_STATUS_CODE,
                i64::from(s),
            ));
        }
        if let Some(e) = error {
            a.push(KeyValue::new(names::ERROR_TYPE, e));
        }
        a
    }

    /// Records the request's histograms through the set bound to its attributes; `false`
    /// when it has none (no status, a route resolved per request, or too many sets).
    fn record_bound(&self, i: &ServerInstruments, seconds: f64) -> bool {
        let Ending::Status(status) = self.ending else {
            return false;
        };
        let route = self.route.as_ref().map_or(0, |r| r.id);
        if self.route.is_some() && route == 0 {
            return false;
        }
        let key = Key {
            route,
            method: self.method.index,
            scheme: self.scheme,
            version: self.version,
            status,
        };
        let labels = || self.labels(Some(status), server_error(status));
        let bind = || {
            let a = labels();
            Set {
                duration: i.duration.bind(&a),
                request_size: std::sync::OnceLock::new(),
                response_size: i.response_size.bind(&a),
            }
        };
        i.sets.record(key, bind, |set| {
            set.duration.record(seconds);
            set.response_size.record(self.response_bytes);
            if let Some(n) = self.request_size {
                let bound = set
                    .request_size
                    .get_or_init(|| i.request_size.bind(&labels()));
                bound.record(n);
            }
        })
    }
}

/// `error.type` of a response with `status`: the code, from 500 up.
fn server_error(status: u16) -> Option<Cow<'static, str>> {
    (status >= 500).then(|| status.to_string().into())
}

/// Adds `delta` to `http.server.active_requests` for (method, scheme).
fn active(i: &ServerInstruments, method: Verb, scheme: &'static str, delta: i64) {
    let attrs = || {
        [
            KeyValue::new(names::HTTP_REQUEST_METHOD, method.label),
            KeyValue::new(names::URL_SCHEME, scheme),
        ]
    };
    let bind = || i.active.bind(&attrs());
    if !i
        .active_sets
        .record((method.index, scheme), bind, |c| c.add(delta))
    {
        i.active.add(delta, &attrs());
    }
}

impl Measure for Measurement {
    fn on_response<B>(&mut self, response: &Response<B>) {
        self.ending = Ending::Status(response.status().as_u16());
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
        let (status, error): (Option<u16>, Option<Cow<'static, str>>) = match self.ending {
            Ending::Cancelled => (None, Some("cancelled".into())),
            Ending::Failed(e) => (None, Some(e.into())),
            Ending::BodyFailed(s, e) => (Some(s), Some(e.into())),
            Ending::Status(s) => (Some(s), server_error(s)),
        };
        let failed = error.is_some();
        span::end(
            &self.cx,
            || {
                let mut a = Vec::with_capacity(2);
                if let Some(s) = status {
                    a.push(KeyValue::new(
                        names::HTTP_RESPONSE_STATUS_CODE,
                        i64::from(s),
                    ));
                }
                if let Some(e) = error.clone() {
                    a.push(KeyValue::new(names::ERROR_TYPE, e));
                }
                a
            },
            failed,
        );
        let Some(b) = self.shared.instruments.get() else {
            return;
        };
        let i = &b.instruments;
        let seconds = self.start.elapsed().as_secs_f64();
        if !self.record_bound(i, seconds) {
            let attrs = self.labels(status, error);
            i.duration.record(seconds, &attrs);
            i.response_size.record(self.response_bytes, &attrs);
            if let Some(n) = self.request_size {
                i.request_size.record(n, &attrs);
            }
        }
        // Only what was counted in: a request that began before the layer bound is not.
        if self.counted_active {
            active(i, self.method, self.scheme, -1);
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
            return ResponseFuture::new(self.inner.call(req), None, None);
        }
        let verb = Verb::of(req.method());
        let method = verb.label;
        let scheme = if req.uri().scheme_str() == Some("https") {
            "https"
        } else {
            "http"
        };
        let version = version_label(req.version());
        let route = route_template(&req).map(|t| route::resolve(verb, t));
        let name = route
            .as_ref()
            .map_or(Cow::Borrowed(method), |r| r.name.clone());
        // An incoming traceparent, else whatever surrounds the layer (an outer `tracing`
        // span, through the bridge's context activation).
        let remote = crate::propagation::extract(req.headers());
        let parent = if remote.span().span_context().is_valid() {
            remote
        } else {
            opentelemetry::Context::current()
        };
        let scope = span::Request::routed(route.as_ref().map(|r| r.template.clone()));
        // The sampler decides here; the attributes are built only for a span it keeps.
        let cx = self
            .shared
            .spans
            // Up to 7 attributes at the start, 2 at the end.
            .start(name, SpanKind::Server, parent, scope, 9, || {
                let mut a = Vec::with_capacity(7);
                a.push(KeyValue::new(names::HTTP_REQUEST_METHOD, method));
                if method == "_OTHER" {
                    let original = req.method().as_str().to_string();
                    a.push(KeyValue::new("http.request.method_original", original));
                }
                if let Some(r) = &route {
                    a.push(KeyValue::new(names::HTTP_ROUTE, r.template.clone()));
                }
                let max = self.shared.raw_path_max;
                if max > 0 {
                    let cut = path.char_indices().nth(max).map_or(path.len(), |(i, _)| i);
                    a.push(KeyValue::new(names::URL_PATH, path[..cut].to_string()));
                }
                a.push(KeyValue::new(names::URL_SCHEME, scheme));
                a.push(KeyValue::new(names::NETWORK_PROTOCOL_VERSION, version));
                a
            });
        let counted_active = match self.shared.instruments.get() {
            Some(b) => {
                active(&b.instruments, verb, scheme, 1);
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
            method: verb,
            scheme,
            version,
            route,
            request_size,
            ending: Ending::Cancelled,
            counted_active,
            response_bytes: 0,
            cx: cx.clone(),
        };
        let inner = {
            let _attached = cx.clone().attach();
            self.inner.call(req)
        };
        ResponseFuture::new(inner, Some(cx), Some(measure))
    }
}
