//! W3C trace context in HTTP headers and gRPC metadata, through the globally
//! installed propagators (tracecontext and baggage unless `OTEL_PROPAGATORS` says otherwise).

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::Context;

struct Extract<'a>(&'a HeaderMap);

impl Extractor for Extract<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct Inject<'a>(&'a mut HeaderMap);

impl Injector for Inject<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(k, v);
        }
    }
}

/// The remote context carried by `headers` (an invalid one when there is none or it is
/// malformed, which makes the next span a new root).
///
/// ```
/// let mut h = http::HeaderMap::new();
/// h.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
/// let telemetry = ferrotel::init(ferrotel::Config::disabled()).unwrap();
/// # ferrotel::opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
/// use ferrotel::opentelemetry::trace::TraceContextExt;
/// assert!(ferrotel::propagation::extract(&h).span().span_context().is_remote());
/// ```
pub fn extract(headers: &HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&Extract(headers)))
}

/// Writes the current span's context (`traceparent`, `baggage`) into `headers`, for an
/// outgoing request.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// ferrotel::propagation::inject(&mut headers);
/// ```
pub fn inject(headers: &mut HeaderMap) {
    inject_context(&tracing_context(), headers);
}

/// Writes `cx` into `headers`.
pub fn inject_context(cx: &Context, headers: &mut HeaderMap) {
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(cx, &mut Inject(headers)));
}

/// The OpenTelemetry context of the current `tracing` span.
pub(crate) fn tracing_context() -> Context {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    tracing::Span::current().context()
}
