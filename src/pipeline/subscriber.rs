//! The `tracing` subscriber: the console layer (text or JSON) behind the `RUST_LOG`
//! filter, the layers that turn spans and events into OpenTelemetry spans and log
//! records behind the telemetry filter (`FERROTEL_TELEMETRY_FILTER`), and the
//! application's own layers. Each layer filters for itself, so quieting the console
//! never drops a span.

use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::Tracer;
use tracing::Dispatch;
use tracing_subscriber::filter::{filter_fn, FilterExt, Targets};
use tracing_subscriber::layer::{Filter, Layer, SubscriberExt};
use tracing_subscriber::{EnvFilter, Registry};

use super::logfmt;
use crate::config::{LogFormat, Resolved};
use crate::error::Error;

/// A layer of the subscriber `init` builds, the application's own included (see
/// [`init_with_layers`](crate::init_with_layers)).
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// A per-layer filter from a directive list. `EnvFilter` keeps a lock-guarded map of
/// spans for its span and field directives (`target[span{field=value}]=level`) and takes
/// that lock four times per span even when the list has none; a list without them is
/// the same decisions as `Targets`, which keeps nothing per span (about a fifth of a
/// dropped `info_span!` across the three filtered layers, BENCHMARKS.md).
fn directives(
    var: &'static str,
    directives: &str,
) -> Result<Box<dyn Filter<Registry> + Send + Sync>, Error> {
    let env = EnvFilter::builder()
        .parse(directives)
        .map_err(|_| Error::InvalidEnv {
            var,
            value: directives.to_string(),
            allowed: "an EnvFilter directive list such as `info` or `info,my_crate=debug`",
        })?;
    Ok(match static_targets(directives) {
        Some(targets) => Box::new(targets),
        None => Box::new(env),
    })
}

/// The directive list as `Targets`, when it has no span or field directive (no `[`) and
/// at least one directive. Empty directives are skipped, as `EnvFilter` skips them, and
/// nothing else is done to the list (no trimming: `EnvFilter` reads `info ` as a target,
/// and so does `Targets`); the list was parsed by `EnvFilter` first, so what it refuses
/// never gets here.
fn static_targets(directives: &str) -> Option<Targets> {
    if directives.contains('[') {
        return None;
    }
    let list: Vec<&str> = directives.split(',').filter(|d| !d.is_empty()).collect();
    if list.is_empty() {
        return None;
    }
    list.join(",").parse().ok()
}

/// The telemetry filter, without the exporters' own targets.
fn telemetry_filter(
    config: &Resolved,
) -> Result<impl tracing_subscriber::layer::Filter<Registry> + Send + Sync + 'static, Error> {
    let filter = directives(
        crate::env::FERROTEL_TELEMETRY_FILTER,
        &config.telemetry_filter,
    )?;
    Ok(filter.and(filter_fn(|m| !is_exporter_internal(m.target()))))
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
    let filter = directives(crate::env::RUST_LOG, &config.log_filter)?;
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

/// Spans become OpenTelemetry spans and events log records (when logs are exported),
/// except the exporters' own: one layer behind one telemetry filter, so a span or event
/// passes the per-layer filtering (a registry lookup per layer per callback) once for both.
pub(crate) fn telemetry(
    config: &Resolved,
    tracer: Tracer,
    logs: Option<&SdkLoggerProvider>,
) -> Result<BoxedLayer, Error> {
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        // busy_ns/idle_ns and thread.id/thread.name on every span: a clock read on
        // every enter and exit and a string per span, for attributes that mean little
        // when tasks move between threads (about 20 % of a request's telemetry in
        // benches/overhead.rs).
        .with_tracked_inactivity(false)
        .with_threads(false);
    let filter = telemetry_filter(config)?;
    Ok(match logs {
        Some(provider) => spans
            .and_then(
                opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider),
            )
            .with_filter(filter)
            .boxed(),
        None => spans.with_filter(filter).boxed(),
    })
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
    use super::{directives, is_exporter_internal, static_targets};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tracing_subscriber::layer::{Filter, Layer, SubscriberExt};
    use tracing_subscriber::{EnvFilter, Registry};

    /// Which of a fixed set of events and spans (targets by levels) pass `filter`, as bits.
    fn passes(filter: Box<dyn Filter<Registry> + Send + Sync>) -> u64 {
        struct Seen(Arc<AtomicUsize>, Arc<AtomicUsize>);
        impl<S: tracing::Subscriber> Layer<S> for Seen {
            fn on_event(
                &self,
                _: &tracing::Event<'_>,
                _: tracing_subscriber::layer::Context<'_, S>,
            ) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
            fn on_new_span(
                &self,
                _: &tracing::span::Attributes<'_>,
                _: &tracing::span::Id,
                _: tracing_subscriber::layer::Context<'_, S>,
            ) {
                self.1.fetch_add(1, Ordering::Relaxed);
            }
        }
        let (events, spans) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let dispatch = tracing::Dispatch::new(
            Registry::default().with(Seen(events.clone(), spans.clone()).with_filter(filter)),
        );
        let mut bits = 0u64;
        let mut bit = 0;
        let mut check = |emit: &dyn Fn()| {
            let before = events.load(Ordering::Relaxed) + spans.load(Ordering::Relaxed);
            tracing::dispatcher::with_default(&dispatch, emit);
            if events.load(Ordering::Relaxed) + spans.load(Ordering::Relaxed) > before {
                bits |= 1 << bit;
            }
            bit += 1;
        };
        macro_rules! each_level {
            ($target:literal) => {
                check(&|| tracing::error!(target: $target, "e"));
                check(&|| tracing::warn!(target: $target, "w"));
                check(&|| tracing::info!(target: $target, "i"));
                check(&|| tracing::debug!(target: $target, "d"));
                check(&|| tracing::trace!(target: $target, "t"));
                check(&|| drop(tracing::info_span!(target: $target, "s")));
                check(&|| drop(tracing::debug_span!(target: $target, "s")));
            };
        }
        each_level!("app");
        each_level!("app::db");
        each_level!("application");
        each_level!("hyper::proto");
        bits
    }

    #[test]
    fn directive_lists_without_span_directives_decide_as_env_filter_does() {
        for list in [
            "info",
            "INFO",
            "warn,app=debug",
            "info,app::db=trace",
            "app",
            "off",
            "error,app=off",
            "app::db=warn,debug",
            "info,,",
            "trace,hyper=warn",
            "app=info,app=trace",
            // EnvFilter reads `info ` (a trailing space) as a target, not a level.
            "info ,app=debug",
        ] {
            assert!(static_targets(list).is_some(), "{list:?} is static");
            let env = EnvFilter::builder().parse(list).expect(list);
            let ours = directives("RUST_LOG", list).unwrap();
            assert_eq!(passes(ours), passes(Box::new(env)), "{list:?}");
        }
        // Span and field directives keep EnvFilter, and what it decides.
        for list in ["info,app[request]=trace", "warn,[{user}]=debug"] {
            assert!(static_targets(list).is_none(), "{list:?}");
            let env = EnvFilter::builder().parse(list).unwrap();
            let ours = directives("RUST_LOG", list).unwrap();
            assert_eq!(passes(ours), passes(Box::new(env)), "{list:?}");
        }
        assert!(static_targets("").is_none());
        // What EnvFilter refuses is refused, whether or not `Targets` would read it.
        assert!(directives("RUST_LOG", "info,[[").is_err());
        assert!(static_targets(" info , app=debug").is_some());
        assert!(directives("RUST_LOG", " info , app=debug").is_err());
    }

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
