//! The span of a request a layer serves (or a gRPC call it makes), started through the
//! OpenTelemetry API rather than as a `tracing` span.
//!
//! Why: a `tracing` span costs a registry slot, the bridge's builder and the console
//! layer's field formatting on every request, and most of that even when the sampler
//! drops the span. Started here, a dropped span costs the sampling decision and nothing
//! else: no attribute is built, no name formatted. The request's [`Context`] (its span,
//! the route, the server span for [`server_context`]) is attached while the inner service
//! is polled, so what the handler does lands under it: `tracing` spans become children
//! (the bridge parents a span with no `tracing` parent on the current OpenTelemetry
//! context) and `tracing` events become log records carrying its trace and span ids.

use std::borrow::Cow;

use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer as _};
use opentelemetry::{Context, KeyValue, StringValue};
use opentelemetry_sdk::trace::SdkTracer;

/// Where a layer's spans go: the globally installed pipeline's tracer (the default), or
/// one given with `with_tracer`.
#[derive(Debug, Clone, Default)]
pub(crate) enum Spans {
    #[default]
    Global,
    To(SdkTracer),
}

impl Spans {
    #[inline]
    fn tracer(&self) -> Option<&SdkTracer> {
        match self {
            Spans::Global => crate::instrument::global_tracer(),
            Spans::To(t) => Some(t),
        }
    }

    /// Starts a span named `name` of `kind` under `parent`. `attributes` runs only when
    /// the sampler keeps the span; `capacity` is how many attributes the span ends with
    /// (these and the ones set later), so the span's list is allocated once: growing it
    /// is a `realloc`, which takes glibc's arena lock, contended by the export thread
    /// freeing earlier spans (BENCHMARKS.md). With no tracer (before `init`, or traces
    /// off) the request's context is `parent` with the request's values.
    pub(crate) fn start(
        &self,
        name: Cow<'static, str>,
        kind: SpanKind,
        parent: Context,
        request: Request,
        capacity: usize,
        attributes: impl FnOnce() -> Vec<KeyValue>,
    ) -> Context {
        let server = kind == SpanKind::Server;
        let cx = match self.tracer() {
            Some(tracer) => {
                let mut span = tracer
                    .span_builder(name)
                    .with_kind(kind)
                    .with_attributes(Vec::with_capacity(capacity))
                    .start_with_context(tracer, &parent);
                if span.is_recording() {
                    span.set_attributes(attributes());
                    parent.with_span(span)
                } else {
                    // Only its identity carries on (children inherit the decision): one
                    // allocation less than keeping the SDK's empty span object.
                    parent.with_remote_span_context(span.span_context().clone())
                }
            }
            None => parent,
        };
        if server {
            let scope = Request {
                server: Some(cx.clone()),
                ..request
            };
            cx.with_value(scope)
        } else {
            cx
        }
    }
}

/// Span names kept for the life of the process, so a span whose name is already known
/// copies none (a `Cow::Borrowed` name, not a `String` per span that the export thread
/// then frees). Each user decides what it learns (gRPC: a method once a call to it
/// succeeded; LLM calls: `{operation} {model}` once per model); past [`NAMES_LIMIT`] per
/// set, names are copied per span.
#[cfg_attr(not(any(feature = "tonic", feature = "genai")), allow(dead_code))]
pub(crate) struct Names(std::sync::RwLock<rustc_hash::FxHashSet<&'static str>>);

/// Names one [`Names`] keeps for the life of the process.
#[cfg_attr(not(any(feature = "tonic", feature = "genai")), allow(dead_code))]
pub(crate) const NAMES_LIMIT: usize = 1024;

#[cfg_attr(not(any(feature = "tonic", feature = "genai")), allow(dead_code))]
impl Names {
    pub(crate) const fn new() -> Self {
        Names(std::sync::RwLock::new(rustc_hash::FxHashSet::with_hasher(
            rustc_hash::FxBuildHasher,
        )))
    }

    /// The shared copy of `name`, when it was learned.
    #[cfg_attr(not(feature = "tonic"), allow(dead_code))]
    pub(crate) fn get(&self, name: &str) -> Option<&'static str> {
        self.0.read().ok()?.get(name).copied()
    }

    /// Keeps `name` (unless the set is full) and gives the shared copy.
    #[cold]
    pub(crate) fn learn(&self, name: &str) -> Option<&'static str> {
        let mut names = self.0.write().ok()?;
        if let Some(known) = names.get(name) {
            return Some(known);
        }
        if names.len() >= NAMES_LIMIT {
            return None;
        }
        // Kept for the process's life, on purpose: bounded by NAMES_LIMIT.
        let kept: &'static str = Box::leak(name.into());
        names.insert(kept);
        Some(kept)
    }
}

/// What a served request keeps in its context for the code it runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// The server span's context (the span `server_context` gives handlers).
    server: Option<Context>,
    /// `http.route`, for what the handler records (an LLM call's cost by route).
    route: Option<StringValue>,
}

impl Request {
    /// A served request that matched `route`.
    pub(crate) fn routed(route: Option<StringValue>) -> Self {
        Request {
            server: None,
            route,
        }
    }
}

/// The `http.route` of the request being served, when the current code runs inside one.
#[cfg_attr(not(feature = "genai"), allow(dead_code))]
pub(crate) fn current_route() -> Option<StringValue> {
    Context::map_current(|cx| cx.get::<Request>().and_then(|r| r.route.clone()))
}

/// The context of the server span of the request being served — from anywhere in its
/// handler, inside `tracing` spans of its own or not — to set attributes on the server
/// span, add events to it, or link to it. `None` outside a request served by
/// [`http::ServerLayer`](crate::http::ServerLayer) or
/// [`grpc::ServerLayer`](crate::grpc::ServerLayer).
///
/// Inside a handler, `tracing::Span::current()` is the handler's own `tracing` span (or
/// none at its top level): the server span is an OpenTelemetry span, not a `tracing` one.
///
/// ```
/// use ferrotel::opentelemetry::trace::TraceContextExt;
/// use ferrotel::opentelemetry::KeyValue;
///
/// async fn handler() -> &'static str {
///     if let Some(cx) = ferrotel::server_context() {
///         cx.span().set_attribute(KeyValue::new("app.tenant.tier", "gold"));
///     }
///     "ok"
/// }
/// assert!(ferrotel::server_context().is_none());
/// ```
pub fn server_context() -> Option<Context> {
    Context::map_current(|cx| cx.get::<Request>().and_then(|r| r.server.clone()))
}

/// Sets attributes on the span of `cx`, built only for a span the sampler kept.
#[cfg_attr(not(feature = "genai"), allow(dead_code))]
pub(crate) fn set(cx: &Context, attributes: impl FnOnce() -> Vec<KeyValue>) {
    let span = cx.span();
    if span.is_recording() {
        span.set_attributes(attributes());
    }
}

/// Ends the span of `cx` with its final attributes (built only for a span the sampler
/// kept); a failure sets the error status.
pub(crate) fn end(cx: &Context, attributes: impl FnOnce() -> Vec<KeyValue>, failed: bool) {
    let span = cx.span();
    if !span.is_recording() {
        return;
    }
    span.set_attributes(attributes());
    if failed {
        span.set_status(Status::error(""));
    }
    span.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};

    fn spans(sampler: Sampler) -> Spans {
        let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
        Spans::To(provider.tracer("test"))
    }

    #[test]
    fn names_are_shared_once_learned_and_bounded() {
        let names = Names::new();
        assert_eq!(names.get("pkg.Svc/Call"), None);
        let a = names.learn("pkg.Svc/Call").unwrap();
        assert_eq!(a, "pkg.Svc/Call");
        assert_eq!(a.as_ptr(), names.learn("pkg.Svc/Call").unwrap().as_ptr());
        assert_eq!(a.as_ptr(), names.get("pkg.Svc/Call").unwrap().as_ptr());
        for i in 1..NAMES_LIMIT {
            assert!(names.learn(&format!("pkg.Svc/M{i}")).is_some());
        }
        assert_eq!(names.learn("pkg.Svc/Late"), None, "past the limit");
        assert_eq!(
            names.get("pkg.Svc/Late"),
            None,
            "past the limit: copied per call"
        );
        assert!(names.get("pkg.Svc/Call").is_some());
    }

    #[test]
    fn a_dropped_span_builds_no_attributes_and_keeps_the_request_values() {
        let route = Some(StringValue::from("/orders/{id}"));
        let cx = spans(Sampler::AlwaysOff).start(
            Cow::Borrowed("GET /orders/{id}"),
            SpanKind::Server,
            Context::new(),
            Request::routed(route),
            4,
            || unreachable!("attributes built for a span the sampler dropped"),
        );
        assert!(cx.span().span_context().is_valid());
        assert!(!cx.span().is_recording());
        let _attached = cx.attach();
        assert_eq!(current_route().unwrap().as_str(), "/orders/{id}");
        let server = server_context().expect("the accessor finds the server span");
        assert!(!server.span().is_recording());
    }

    #[test]
    fn a_kept_span_is_the_server_context_and_a_client_span_is_not() {
        let kept = spans(Sampler::AlwaysOn);
        let cx = kept.start(
            Cow::Borrowed("GET"),
            SpanKind::Server,
            Context::new(),
            Request::default(),
            1,
            || vec![KeyValue::new("http.request.method", "GET")],
        );
        assert!(cx.span().is_recording());
        let id = cx.span().span_context().span_id();
        let _attached = cx.clone().attach();
        assert_eq!(
            server_context().unwrap().span().span_context().span_id(),
            id
        );
        // A client call made inside: its span is a child, the server context unchanged.
        let client = kept.start(
            Cow::Borrowed("pkg.Svc/Call"),
            SpanKind::Client,
            Context::current(),
            Request::default(),
            0,
            Vec::new,
        );
        let _inner = client.clone().attach();
        assert_ne!(client.span().span_context().span_id(), id);
        assert_eq!(
            server_context().unwrap().span().span_context().span_id(),
            id
        );
        assert_eq!(current_route(), None);
    }

    #[test]
    fn without_a_tracer_the_request_values_are_still_there() {
        // No pipeline is installed globally in this test binary.
        assert!(crate::instrument::global_tracer().is_none());
        let cx = Spans::Global.start(
            Cow::Borrowed("GET"),
            SpanKind::Server,
            Context::new(),
            Request::routed(Some(StringValue::from("/a"))),
            0,
            || unreachable!("no tracer, no attributes"),
        );
        let _attached = cx.attach();
        assert_eq!(current_route().unwrap().as_str(), "/a");
    }
}
