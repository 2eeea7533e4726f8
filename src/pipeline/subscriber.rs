//! The `tracing` subscriber: the console layer (text or JSON) and the layers that turn
//! spans and events into OpenTelemetry spans and log records, behind one filter.

use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::Tracer;
use tracing::Dispatch;
use tracing_subscriber::layer::{Layer, Layered, SubscriberExt};
use tracing_subscriber::{EnvFilter, Registry};

use super::logfmt;
use crate::config::{LogFormat, Resolved};
use crate::error::Error;

type Base = Layered<EnvFilter, Registry>;
/// A layer of the subscriber `init` builds.
pub(crate) type BoxedLayer = Box<dyn Layer<Base> + Send + Sync>;

/// Targets of the crates that carry exports; their own events never become telemetry.
pub(crate) fn is_exporter_internal(target: &str) -> bool {
    // Called for every event that reaches the OpenTelemetry layers: no allocation here.
    // Whole crate names only: `tower_http` (an application's own TraceLayer) is not
    // `tower`, and its spans must reach the exporter.
    const CRATES: [&str; 6] = ["hyper", "hyper_util", "h2", "tonic", "tower", "reqwest"];
    let whole = |rest: &str| rest.is_empty() || rest.starts_with("::");
    target.starts_with("ferrotel::export")
        // Every OpenTelemetry crate: their internal logs use the package name as target
        // (`opentelemetry_sdk`, `opentelemetry-otlp`).
        || target.strip_prefix("opentelemetry").is_some_and(|rest| {
            whole(rest) || rest.starts_with('_') || rest.starts_with('-')
        })
        || CRATES
            .iter()
            .any(|c| target.strip_prefix(c).is_some_and(whole))
}

/// The console layer in the configured format.
pub(crate) fn console(config: &Resolved) -> BoxedLayer {
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .fmt_fields(logfmt::NoSpanFields)
            .event_format(logfmt::JsonWithTrace)
            .boxed(),
    }
}

/// Spans become OpenTelemetry spans, except the exporters' own.
pub(crate) fn spans(tracer: Tracer) -> BoxedLayer {
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        // busy_ns/idle_ns and thread.id/thread.name on every span: a clock read on
        // every enter and exit and a string per span, for attributes that mean little
        // when tasks move between threads (about 20 % of a request's telemetry in
        // benches/overhead.rs).
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_filter(tracing_subscriber::filter::filter_fn(|m| {
            !is_exporter_internal(m.target())
        }))
        .boxed()
}

/// Events become OpenTelemetry log records, except the exporters' own.
pub(crate) fn logs(provider: &SdkLoggerProvider) -> BoxedLayer {
    opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider)
        .with_filter(tracing_subscriber::filter::filter_fn(|m| {
            !is_exporter_internal(m.target())
        }))
        .boxed()
}

/// The dispatcher: every layer behind the `RUST_LOG` filter.
pub(crate) fn dispatch(config: &Resolved, layers: Vec<BoxedLayer>) -> Result<Dispatch, Error> {
    let filter = EnvFilter::builder()
        .parse(&config.log_filter)
        .map_err(|_| Error::InvalidEnv {
            var: crate::env::RUST_LOG,
            value: config.log_filter.clone(),
            allowed: "an EnvFilter directive list such as `info` or `info,my_crate=debug`",
        })?;
    Ok(Dispatch::new(Registry::default().with(filter).with(layers)))
}

#[cfg(test)]
mod tests {
    use super::is_exporter_internal;

    #[test]
    fn exporter_targets_are_recognised_exactly() {
        for t in [
            "hyper",
            "hyper::client",
            "hyper_util::client",
            "h2::codec",
            "tonic",
            "tower::buffer",
            "reqwest::connect",
            "opentelemetry_sdk",
            "opentelemetry_otlp::exporter",
            "opentelemetry-otlp",
            "opentelemetry-appender-tracing",
            "opentelemetry::global",
            "ferrotel::export",
        ] {
            assert!(is_exporter_internal(t), "{t}");
        }
        for t in [
            "hyperion",
            "h2o",
            "towers",
            "my_app",
            "ferrotel::http",
            "tonicity::x",
            "opentelemetryx",
            "tower_http::trace::on_request",
            "tower_http",
            "hyper_tls_custom",
        ] {
            assert!(!is_exporter_internal(t), "{t}");
        }
    }
}
