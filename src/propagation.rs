//! W3C trace context in HTTP headers and gRPC metadata, through the globally
//! installed propagators (tracecontext and baggage unless `OTEL_PROPAGATORS` says otherwise),
//! and the two propagators ferrotel carries itself: [`QuietBaggage`] and [`Jaeger`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::Context;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::BaggagePropagator;

/// The remote context carried by `headers` on top of the current one (the current one
/// unchanged when there is none or it is malformed). The propagators are asked only when
/// `headers` holds one of the headers they name in `fields()`, which is what they read:
/// most requests carry none, and then nothing is parsed.
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
    opentelemetry::global::get_text_map_propagator(|p| extract_with(p, headers))
}

fn extract_with(p: &dyn TextMapPropagator, headers: &HeaderMap) -> Context {
    // Most requests carry none of the propagators' headers: then there is nothing to
    // parse, and the answer is the current context, as each propagator would return.
    if !p.fields().any(|field| headers.contains_key(field)) {
        return Context::current();
    }
    p.extract(&HeaderExtractor(headers))
}

/// Writes the current context (`traceparent`, `baggage`) into `headers`, for an outgoing
/// request: the current `tracing` span's (the bridge makes it current when it is
/// entered), else the served request's server span.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// ferrotel::propagation::inject(&mut headers);
/// ```
pub fn inject(headers: &mut HeaderMap) {
    inject_context(&Context::current(), headers);
}

/// Writes `cx` into `headers`.
pub fn inject_context(cx: &Context, headers: &mut HeaderMap) {
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(cx, &mut HeaderInjector(headers))
    });
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

/// Jaeger's `uber-trace-id` header (`OTEL_PROPAGATORS=jaeger`):
/// `{trace-id}:{span-id}:{parent-span-id}:{flags}`, hex, short ids zero-padded, the value
/// possibly percent-encoded; flag bit 1 is "sampled", bit 2 "debug" (sampled too).
///
/// Written here from the format's description because `opentelemetry-jaeger-propagator`
/// stops at opentelemetry 0.32, and a second opentelemetry in the tree would not share
/// this one's context. Jaeger's `uberctx-*` baggage headers are not read: use W3C
/// `baggage` beside it.
///
/// ```
/// use ferrotel::opentelemetry::propagation::TextMapPropagator;
/// use ferrotel::opentelemetry::trace::TraceContextExt;
/// let headers = std::collections::HashMap::from([(
///     "uber-trace-id".to_string(),
///     "80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:0:1".to_string(),
/// )]);
/// let cx = ferrotel::propagation::Jaeger::new().extract(&headers);
/// assert_eq!(cx.span().span_context().trace_id().to_string(), "80f198ee56343ba864fe8b2a57d3eff7");
/// assert!(cx.span().span_context().is_sampled());
/// ```
#[derive(Debug)]
pub struct Jaeger {
    fields: [String; 1],
}

const UBER_TRACE_ID: &str = "uber-trace-id";

impl Jaeger {
    /// The propagator.
    pub fn new() -> Self {
        Jaeger {
            fields: [UBER_TRACE_ID.to_string()],
        }
    }
}

impl Default for Jaeger {
    fn default() -> Self {
        Jaeger::new()
    }
}

/// The span context an `uber-trace-id` value carries, or `None` when it is malformed.
fn parse_uber_trace_id(value: &str) -> Option<opentelemetry::trace::SpanContext> {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    let value = percent_encoding::percent_decode_str(value.trim())
        .decode_utf8()
        .ok()?;
    let parts: Vec<&str> = value.split(':').collect();
    let [trace, span, _parent, flags] = parts[..] else {
        return None;
    };
    fn hex(s: &str, max: usize) -> Option<&str> {
        (!s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_hexdigit())).then_some(s)
    }
    let trace = u128::from_str_radix(hex(trace, 32)?, 16).ok()?;
    let span = u64::from_str_radix(hex(span, 16)?, 16).ok()?;
    let flags = u8::from_str_radix(hex(flags, 2)?, 16).ok()?;
    if trace == 0 || span == 0 {
        return None;
    }
    let sampled = flags & 0b11 != 0;
    Some(SpanContext::new(
        TraceId::from_bytes(trace.to_be_bytes()),
        SpanId::from_bytes(span.to_be_bytes()),
        if sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        },
        true,
        TraceState::default(),
    ))
}

impl TextMapPropagator for Jaeger {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        use opentelemetry::trace::TraceContextExt;
        let span = cx.span();
        let sc = span.span_context();
        if sc.is_valid() {
            let flags = if sc.is_sampled() { "1" } else { "0" };
            injector.set(
                UBER_TRACE_ID,
                format!("{}:{}:0:{flags}", sc.trace_id(), sc.span_id()),
            );
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        use opentelemetry::trace::TraceContextExt;
        match extractor.get(UBER_TRACE_ID).and_then(parse_uber_trace_id) {
            Some(sc) => cx.with_remote_span_context(sc),
            None => cx.clone(),
        }
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::baggage::BaggageExt;

    #[test]
    fn uber_trace_id_short_encoded_and_malformed_values() {
        let ok = |v: &str| {
            parse_uber_trace_id(v).map(|sc| {
                (
                    sc.trace_id().to_string(),
                    sc.span_id().to_string(),
                    sc.is_sampled(),
                )
            })
        };
        // Short ids are zero-padded; a 64-bit trace id is a 128-bit one with a zero top.
        assert_eq!(
            ok("a3ce929d0e0e4736:f067aa0ba902b7:0:1"),
            Some((
                "0000000000000000a3ce929d0e0e4736".into(),
                "00f067aa0ba902b7".into(),
                true
            ))
        );
        // Percent-encoded colons (some clients), debug flag means sampled, 0 means not.
        assert_eq!(ok("1%3A2%3A0%3A3").map(|t| t.2), Some(true));
        assert_eq!(ok("1:2:0:0").map(|t| t.2), Some(false));
        for bad in [
            "",
            "1:2:0",
            "1:2:0:1:5",
            "0:2:0:1",
            "1:0:0:1",
            "xyz:2:0:1",
            "1:2:0:100",
            &format!("{}:2:0:1", "f".repeat(33)),
            "+1:2:0:1",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
    }

    use std::collections::HashMap;

    #[test]
    fn each_propagated_header_alone_is_read_and_none_leaves_the_current_context() {
        use opentelemetry::propagation::TextMapCompositePropagator;
        use opentelemetry::trace::TraceContextExt;
        use opentelemetry_sdk::propagation::TraceContextPropagator;
        let all = TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(QuietBaggage::new()),
            Box::new(Jaeger::new()),
        ]);
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            h.insert("user-agent", "test".parse().unwrap());
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            h
        };
        let w3c = headers(&[(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )]);
        let cx = extract_with(&all, &w3c);
        assert_eq!(
            cx.span().span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        let cx = extract_with(&all, &headers(&[("baggage", "tenant=acme")]));
        assert_eq!(cx.baggage().get("tenant").unwrap().as_str(), "acme");
        assert!(!cx.span().span_context().is_valid());
        let uber = headers(&[(
            "uber-trace-id",
            "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1",
        )]);
        let cx = extract_with(&all, &uber);
        assert_eq!(
            cx.span().span_context().span_id().to_string(),
            "00f067aa0ba902b7"
        );
        // None of them: the current context, whatever it holds.
        let _outer = Context::new()
            .with_baggage([opentelemetry::KeyValue::new("from", "outer")])
            .attach();
        let cx = extract_with(&all, &headers(&[]));
        assert_eq!(cx.baggage().get("from").unwrap().as_str(), "outer");
        assert!(!cx.span().span_context().is_valid());
    }

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
