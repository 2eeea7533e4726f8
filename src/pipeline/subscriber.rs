//! The `tracing` subscriber: the console layer (text or JSON) behind the `RUST_LOG`
//! filter, the layers that turn spans and events into OpenTelemetry spans and log
//! records behind the telemetry filter (`FERROTEL_TELEMETRY_FILTER`), and the
//! application's own layers. Each layer filters for itself, so quieting the console
//! never drops a span.

use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::Tracer;
use tracing::Dispatch;
use tracing_subscriber::filter::{filter_fn, FilterExt};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::{EnvFilter, Registry};

use super::logfmt;
use crate::config::{LogFormat, Resolved};
use crate::error::Error;

/// A layer of the subscriber `init` builds, the application's own included (see
/// [`init_with_layers`](crate::init_with_layers)).
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

fn env_filter(var: &'static str, directives: &str) -> Result<EnvFilter, Error> {
    EnvFilter::builder()
        .parse(directives)
        .map_err(|_| Error::InvalidEnv {
            var,
            value: directives.to_string(),
            allowed: "an EnvFilter directive list such as `info` or `info,my_crate=debug`",
        })
}

/// The telemetry filter, without the exporters' own targets.
fn telemetry_filter(
    config: &Resolved,
) -> Result<impl tracing_subscriber::layer::Filter<Registry> + Send + Sync + 'static, Error> {
    let env = env_filter(
        crate::env::FERROTEL_TELEMETRY_FILTER,
        &config.telemetry_filter,
    )?;
    Ok(env.and(filter_fn(|m| !is_exporter_internal(m.target()))))
}

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

/// The console layer in the configured format, behind `RUST_LOG`.
pub(crate) fn console(config: &Resolved) -> Result<BoxedLayer, Error> {
    let filter = env_filter(crate::env::RUST_LOG, &config.log_filter)?;
    Ok(match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .fmt_fields(logfmt::NoSpanFields)
            .event_format(logfmt::JsonWithTrace)
            .with_filter(filter)
            .boxed(),
    })
}

/// Spans become OpenTelemetry spans, except the exporters' own.
pub(crate) fn spans(config: &Resolved, tracer: Tracer) -> Result<BoxedLayer, Error> {
    Ok(tracing_opentelemetry::layer()
        .with_tracer(tracer)
        // busy_ns/idle_ns and thread.id/thread.name on every span: a clock read on
        // every enter and exit and a string per span, for attributes that mean little
        // when tasks move between threads (about 20 % of a request's telemetry in
        // benches/overhead.rs).
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_filter(telemetry_filter(config)?)
        .boxed())
}

/// Events become OpenTelemetry log records, except the exporters' own.
pub(crate) fn logs(config: &Resolved, provider: &SdkLoggerProvider) -> Result<BoxedLayer, Error> {
    Ok(
        opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider)
            .with_filter(telemetry_filter(config)?)
            .boxed(),
    )
}

/// The dispatcher over every layer, each with its own filter.
pub(crate) fn dispatch(layers: Vec<BoxedLayer>) -> Dispatch {
    Dispatch::new(Registry::default().with(layers))
}

/// Makes `log` records `tracing` events, up to the most verbose level either filter
/// lets through. `false` when another `log` logger is set (with both filters off there is
/// nothing to bridge, and nothing to report).
pub(crate) fn bridge_log(config: &Resolved) -> bool {
    let hint = |f: &str| {
        EnvFilter::builder()
            .parse(f)
            .ok()
            .and_then(|f| f.max_level_hint())
    };
    let level = match (hint(&config.log_filter), hint(&config.telemetry_filter)) {
        (Some(a), Some(b)) => a.max(b),
        _ => tracing::level_filters::LevelFilter::TRACE,
    };
    let level = match level.into_level() {
        None => return true,
        Some(tracing::Level::ERROR) => tracing_log::log::LevelFilter::Error,
        Some(tracing::Level::WARN) => tracing_log::log::LevelFilter::Warn,
        Some(tracing::Level::INFO) => tracing_log::log::LevelFilter::Info,
        Some(tracing::Level::DEBUG) => tracing_log::log::LevelFilter::Debug,
        Some(tracing::Level::TRACE) => tracing_log::log::LevelFilter::Trace,
    };
    tracing_log::LogTracer::builder()
        .with_max_level(level)
        .init()
        .is_ok()
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
