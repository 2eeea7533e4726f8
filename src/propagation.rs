//! W3C trace context in HTTP headers and gRPC metadata, through the globally
//! installed propagators (tracecontext and baggage unless `OTEL_PROPAGATORS` says otherwise).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::Context;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::BaggagePropagator;

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
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)))
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
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(cx, &mut HeaderInjector(headers))
    });
}

/// The OpenTelemetry context of the current `tracing` span.
pub(crate) fn tracing_context() -> Context {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    tracing::Span::current().context()
}

/// The SDK's limits on an incoming `baggage` header (W3C Baggage).
const MAX_BAGGAGE_BYTES: usize = 8192;
const MAX_BAGGAGE_ITEMS: usize = 64;

/// W3C baggage, read as the SDK's [`BaggagePropagator`] reads it, minus its warnings:
/// the SDK logs the whole raw header once per malformed entry, so a client's header
/// (tokens included) would reach the console several times per request. A malformed
/// header here gives one `WARN` line without its content — at most one a second, with
/// the count of the others — and its well-formed entries are kept.
///
/// ```
/// use opentelemetry::propagation::TextMapPropagator;
/// let mut headers = std::collections::HashMap::new();
/// headers.insert("baggage".to_string(), "tenant=acme,not-a-pair,user=7".to_string());
/// let cx = ferrotel::propagation::QuietBaggage::new().extract(&headers);
/// use opentelemetry::baggage::BaggageExt;
/// assert_eq!(cx.baggage().len(), 2);
/// ```
#[derive(Debug, Default)]
pub struct QuietBaggage(BaggagePropagator);

impl QuietBaggage {
    /// The propagator.
    pub fn new() -> Self {
        QuietBaggage(BaggagePropagator::new())
    }
}

/// An extractor that shows `baggage` as given and every other key as the inner one does.
struct WithBaggage<'a> {
    inner: &'a dyn Extractor,
    baggage: &'a str,
}

impl Extractor for WithBaggage<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        if key == "baggage" {
            Some(self.baggage)
        } else {
            self.inner.get(key)
        }
    }
    fn keys(&self) -> Vec<&str> {
        self.inner.keys()
    }
}

/// Whether the SDK reads `entry` without a warning: `name=value[;props]` with both
/// percent-decoding to UTF-8.
fn well_formed(entry: &str) -> bool {
    let name_and_value = entry.split(';').next().unwrap_or_default();
    let mut parts = name_and_value.split('=');
    match (parts.next(), parts.next()) {
        (Some(name), Some(value)) => [name, value].iter().all(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .is_ok()
        }),
        _ => false,
    }
}

/// Warns about a malformed header at most once a second, counting the ones not shown.
fn warn_malformed(header_bytes: usize, dropped_entries: usize) {
    static LAST_SECOND: AtomicU64 = AtomicU64::new(0);
    static SUPPRESSED: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let last = LAST_SECOND.load(Ordering::Relaxed);
    if now == last
        || LAST_SECOND
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        SUPPRESSED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    tracing::warn!(
        target: "ferrotel::propagation",
        header_bytes,
        dropped_entries,
        suppressed_since_last = SUPPRESSED.swap(0, Ordering::Relaxed),
        "malformed baggage header: its malformed entries were ignored (content not shown)"
    );
}

impl TextMapPropagator for QuietBaggage {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        self.0.inject_context(cx, injector);
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let Some(header) = extractor.get("baggage") else {
            return cx.clone();
        };
        if header.len() > MAX_BAGGAGE_BYTES {
            warn_malformed(header.len(), header.split(',').count());
            return cx.clone();
        }
        let entries = header.split(',').take(MAX_BAGGAGE_ITEMS);
        let dropped = entries.clone().filter(|e| !well_formed(e)).count();
        if dropped == 0 {
            return self.0.extract_with_context(cx, extractor);
        }
        warn_malformed(header.len(), dropped);
        let kept = entries
            .filter(|e| well_formed(e))
            .collect::<Vec<_>>()
            .join(",");
        if kept.is_empty() {
            return cx.clone();
        }
        let cleaned = WithBaggage {
            inner: extractor,
            baggage: &kept,
        };
        self.0.extract_with_context(cx, &cleaned)
    }

    fn fields(&self) -> FieldIter<'_> {
        self.0.fields()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::baggage::BaggageExt;
    use std::collections::HashMap;

    fn extract(header: &str) -> Context {
        let headers = HashMap::from([("baggage".to_string(), header.to_string())]);
        QuietBaggage::new().extract(&headers)
    }

    #[test]
    fn well_formed_entries_survive_a_malformed_one() {
        let cx = extract("tenant=acme, Bearer secret-token ,user=7;prop=1,%FF=x");
        let baggage = cx.baggage();
        assert_eq!(baggage.len(), 2);
        assert_eq!(baggage.get("tenant").map(|v| v.as_str()), Some("acme"));
        assert_eq!(baggage.get("user").map(|v| v.as_str()), Some("7"));
    }

    #[test]
    fn nothing_usable_and_oversize_headers_give_an_empty_context() {
        assert_eq!(extract("garbage,more").baggage().len(), 0);
        assert_eq!(extract(&"a=b,".repeat(3000)).baggage().len(), 0);
        assert_eq!(extract("k=v").baggage().len(), 1);
    }
}
