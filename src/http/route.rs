//! The route of the request being served, kept on its server span so telemetry recorded
//! inside the request (an LLM call's cost) can say which route it served.

use std::sync::Arc;

use tracing_subscriber::registry::{LookupSpan, Registry};

/// The `http.route` of a server span, in the span's extensions.
struct Route(Arc<str>);

/// Keeps `route` on `span`, when the subscriber is built on a `Registry` (as `init`'s is).
pub(crate) fn attach(span: &tracing::Span, route: Arc<str>) {
    span.with_subscriber(|(id, dispatch)| {
        if let Some(span) = dispatch.downcast_ref::<Registry>().and_then(|r| r.span(id)) {
            span.extensions_mut().insert(Route(route));
        }
    });
}

/// The route of the innermost server span around the current span, if any.
pub(crate) fn current() -> Option<Arc<str>> {
    tracing::Span::current()
        .with_subscriber(|(id, dispatch)| {
            let span = dispatch.downcast_ref::<Registry>()?.span(id)?;
            span.scope()
                .find_map(|s| s.extensions().get::<Route>().map(|r| r.0.clone()))
        })
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn found_from_a_child_span_and_not_outside() {
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink));
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(current(), None);
            let server = tracing::info_span!("server");
            attach(&server, Arc::from("/chat/{id}"));
            server.in_scope(|| {
                let child = tracing::info_span!("child");
                child.in_scope(|| assert_eq!(current().as_deref(), Some("/chat/{id}")));
            });
            assert_eq!(current(), None);
        });
    }
}
