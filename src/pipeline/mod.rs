//! The pipeline: [`init`] resolves the [`Config`] once and builds, in this order,
//! the export runtime, the resource, metrics (first: the other signals' self-monitoring
//! records into them), traces, logs, the `tracing` subscriber and the admin listener.
//! [`Telemetry`] is the handle that flushes and shuts them down.
//!
//! Rooms: `resource`, `otlp` (exporters), `metrics`, `batched` (traces and logs, one
//! generic path), `subscriber` (layers and filter, with `logfmt`), `telemetry` (the handle).

mod batched;
mod logfmt;
mod metrics;
pub(crate) mod otlp;
mod resource;
mod subscriber;
mod telemetry;
#[cfg(all(feature = "tls", any(feature = "tonic", feature = "reqwest")))]
pub(crate) mod tls;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;

use crate::config::{Config, Resolved};
use crate::error::Error;
use crate::export;
use crate::Signal;

pub use subscriber::BoxedLayer;
use telemetry::Providers;
pub use telemetry::Telemetry;

/// Set while a globally installed pipeline exists: a second `init` is an error.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Starts traces, metrics and logs as `config` says, and installs the global
/// `tracing` subscriber, tracer and meter providers and propagators.
///
/// Call it once, early in `main`; keep the returned handle alive and call
/// [`Telemetry::shutdown`] before exiting. A second call while the first
/// pipeline is installed returns [`Error::AlreadyInitialized`]. A value the config
/// cannot use is reported here, naming the variable or setter.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let telemetry = ferrotel::init(
///     ferrotel::Config::from_env()?
///         .with_service_name("quickstart")
///         .with_prometheus_listener("127.0.0.1", 0),
/// )?;
/// tracing::info!("service started");
/// telemetry.shutdown()?;
/// # Ok(()) }
/// ```
pub fn init(config: Config) -> Result<Telemetry, Error> {
    init_with_layers(config, Vec::new())
}

/// [`init`], with the application's own `tracing` layers (Sentry, a file appender,
/// tokio-console, …) added to the subscriber `init` builds. Each layer sees what its own
/// filter lets through, independently of `RUST_LOG` and the telemetry filter; give it
/// one (`Layer::with_filter`), or it makes every span and event of every level be built.
///
/// ```
/// use tracing_subscriber::Layer;
/// let audit = tracing_subscriber::fmt::layer()
///     .with_writer(std::io::sink)
///     .with_filter(tracing_subscriber::filter::LevelFilter::WARN);
/// let telemetry = ferrotel::init_with_layers(
///     ferrotel::Config::disabled().without_global_subscriber(),
///     vec![Box::new(audit)],
/// )
/// .unwrap();
/// ```
pub fn init_with_layers(config: Config, layers: Vec<BoxedLayer>) -> Result<Telemetry, Error> {
    let config = config.resolve()?;
    let global = config.install_subscriber;
    if global && INSTALLED.swap(true, Ordering::SeqCst) {
        return Err(Error::AlreadyInitialized);
    }
    let built = build(&config, layers);
    match built {
        Ok(t) => {
            let bridged = config.log_bridge && subscriber::bridge_log(&config);
            tracing::dispatcher::with_default(&t.dispatch, || {
                for ignored in config.ignored() {
                    tracing::warn!(target: "ferrotel", "{ignored}");
                }
                if config.startup_line {
                    let line = startup_line(&config, &t, bridged);
                    tracing::info!(target: "ferrotel", "{line}");
                }
            });
            if global {
                if tracing::dispatcher::set_global_default(t.dispatch.clone()).is_err() {
                    let _ = t.shutdown();
                    INSTALLED.store(false, Ordering::SeqCst);
                    return Err(Error::AlreadyInitialized);
                }
                if let Some(tp) = &t.providers.traces {
                    opentelemetry::global::set_tracer_provider(tp.clone());
                    crate::instrument::install_global_tracer(tp.tracer(crate::instrument::SCOPE));
                }
                if let Some(mp) = &t.providers.metrics {
                    opentelemetry::global::set_meter_provider(mp.clone());
                }
                opentelemetry::global::set_text_map_propagator(t.propagator());
                // Last: handles built before init bind to the global meter from now on.
                crate::instrument::install_global(config.instruments.clone());
            }
            Ok(t)
        }
        Err(e) => {
            if global {
                INSTALLED.store(false, Ordering::SeqCst);
            }
            Err(e)
        }
    }
}

/// Where `signal` goes, a phrase per destination: the OTLP target as `otlp` words it,
/// the Prometheus endpoint at `prometheus` (or served by the application's router),
/// `console`, or `nowhere`. One wording for the start-up line and `ferrotel doctor`.
pub(crate) fn destinations(
    config: &Resolved,
    signal: Signal,
    prometheus: Option<String>,
    otlp: impl Fn(&crate::config::OtlpTarget) -> String,
) -> Vec<String> {
    let e = config.exporters.get(signal);
    let mut to = Vec::new();
    if let Some(target) = config.otlp(signal).filter(|_| e.otlp) {
        to.push(otlp(target));
    }
    if e.prometheus {
        to.push(match prometheus {
            Some(addr) => format!("prometheus on {addr} /metrics"),
            None => "prometheus (served by the application's router)".into(),
        });
    }
    if e.console {
        to.push("console".into());
    }
    if to.is_empty() {
        to.push("nowhere".into());
    }
    to
}

/// Where telemetry goes, in one line: what an operator needs when "nothing shows up".
/// Addresses are written without a scheme, so the first `http://` a service prints stays
/// its own listening address (tools read it from there).
fn startup_line(config: &Resolved, t: &Telemetry, bridged: bool) -> String {
    let shown = |url: &str| match url.split_once("://") {
        Some(("https", rest)) => format!("{rest} (TLS)"),
        Some((_, rest)) => rest.to_string(),
        None => url.to_string(),
    };
    let mut parts = vec![format!("telemetry for {}", config.service_name)];
    if config.disabled {
        parts.push("disabled (OTEL_SDK_DISABLED)".into());
        return parts.join("; ");
    }
    for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
        let to = destinations(
            config,
            signal,
            t.prometheus_addr().map(|a| a.to_string()),
            |target| format!("otlp {} {}", target.protocol, shown(&target.endpoint)),
        );
        parts.push(format!("{signal} to {}", to.join(" and ")));
    }
    parts.push(format!("sampler {}", config.sampler));
    parts.push(format!(
        "console filter {:?}, telemetry filter {:?}",
        config.log_filter, config.telemetry_filter
    ));
    let ignored: Vec<&str> = config.ignored_vars().collect();
    if !ignored.is_empty() {
        parts.push(format!(
            "ignored from the environment: {}",
            ignored.join(", ")
        ));
    }
    if config.log_bridge && !bridged {
        parts.push("log records not bridged (another `log` logger is set)".into());
    }
    parts.join("; ")
}

/// Owns the export runtime until the handle takes it; dropped on an error path, it
/// stops the runtime without blocking, which is safe inside the caller's async code.
struct RuntimeGuard(Option<tokio::runtime::Runtime>);

impl Drop for RuntimeGuard {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

fn admin(
    config: &Resolved,
    exposition: Option<crate::admin::Exposition>,
    meter: &opentelemetry::metrics::Meter,
) -> crate::admin::Admin {
    crate::admin::Admin {
        exposition,
        health: crate::health::HealthRegistry::new(meter, config.health_ttl),
        service: config.service_name.clone(),
        version: config.service_version.clone(),
        environment: config.environment.clone(),
        started: Instant::now(),
        token: config.admin_token.clone(),
    }
}

fn build(config: &Resolved, user_layers: Vec<BoxedLayer>) -> Result<Telemetry, Error> {
    let mut layers = user_layers;
    layers.push(subscriber::console(config)?);
    if config.disabled {
        let noop = opentelemetry::metrics::noop::NoopMeterProvider::new().meter("ferrotel");
        return Ok(Telemetry {
            admin: admin(config, None, &noop),
            service_name: config.service_name.clone(),
            runtime: Mutex::new(None),
            alive: Arc::new(std::sync::RwLock::new(false)),
            providers: Providers::default(),
            exposition: None,
            prometheus_addr: None,
            otlp_traces_endpoint: None,
            dispatch: subscriber::dispatch(layers),
            span_stats: Vec::new(),
            log_stats: Vec::new(),
            metric_failures: Arc::new(AtomicU64::new(0)),
            propagators: Vec::new(),
            shutdown_timeout: config.shutdown_timeout,
            shut: AtomicBool::new(false),
            instrument_settings: config.instruments.clone(),
        });
    }

    // The application's runtime, when init runs inside one (otherwise see Telemetry::observe_runtime).
    let app_runtime = tokio::runtime::Handle::try_current().ok();
    let mut runtime = RuntimeGuard(Some(export::start_runtime().map_err(Error::Runtime)?));
    let handle = match &runtime.0 {
        Some(rt) => rt.handle().clone(),
        None => return Err(Error::Runtime(std::io::Error::other("no export runtime"))),
    };
    let alive: export::Alive = Arc::new(std::sync::RwLock::new(true));
    // Exporters bind their channels and clients to the runtime current while they are built.
    let in_runtime = handle.enter();
    let resource = resource::build(config);

    let (metrics, selfmon) = metrics::build(config, &resource, &handle, &alive)?;
    let (tracer_provider, span_stats) = batched::traces(config, &resource, &handle, &selfmon)?;
    let (logger_provider, log_stats) = batched::logs(config, &resource, &handle, &selfmon)?;
    layers.push(subscriber::telemetry(
        config,
        tracer_provider.tracer("ferrotel"),
        logger_provider.as_ref(),
    )?);

    crate::runtime::register_process(&selfmon);
    if let Some(app_runtime) = app_runtime {
        crate::runtime::register_tokio(&selfmon, app_runtime);
    }
    let admin = admin(config, metrics.exposition.clone(), &selfmon);
    admin.health.spawn_refresher(&handle);

    #[cfg(feature = "axum")]
    let prometheus_addr = match (&metrics.exposition, config.prometheus_listener()) {
        (Some(_), Some(addr)) => Some(crate::admin::start_listener(
            &addr,
            crate::admin::router(admin.clone()),
            &handle,
        )?),
        _ => None,
    };
    #[cfg(not(feature = "axum"))]
    let prometheus_addr = None;

    let dispatch = subscriber::dispatch(layers);
    drop(in_runtime);
    Ok(Telemetry {
        admin,
        service_name: config.service_name.clone(),
        runtime: Mutex::new(runtime.0.take()),
        alive,
        providers: Providers {
            traces: Some(tracer_provider),
            metrics: Some(metrics.provider),
            logs: logger_provider,
        },
        exposition: metrics.exposition,
        prometheus_addr,
        otlp_traces_endpoint: config.otlp(Signal::Traces).map(|t| t.endpoint.clone()),
        dispatch,
        span_stats,
        log_stats,
        metric_failures: metrics.failed_exports,
        propagators: config.propagators.clone(),
        shutdown_timeout: config.shutdown_timeout,
        shut: AtomicBool::new(false),
        instrument_settings: config.instruments.clone(),
    })
}

/// What a build without a transport or exporter says (run by CI with no features).
#[cfg(all(test, not(feature = "_otlp"), not(feature = "prometheus")))]
mod featureless {
    use crate::Config;

    #[test]
    fn a_missing_feature_is_named_not_silent() {
        let otlp = Config::from_vars([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")])
            .unwrap()
            .without_global_subscriber();
        let e = super::init(otlp).unwrap_err().to_string();
        assert!(e.contains("`reqwest` feature"), "{e}");
        let grpc = Config::from_vars([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .unwrap()
        .without_global_subscriber();
        let e = super::init(grpc).unwrap_err().to_string();
        assert!(e.contains("`tonic` feature"), "{e}");
        // An exporter this build lacks: a warning naming the feature, an error if strict.
        let lenient = Config::from_vars([("OTEL_METRICS_EXPORTER", "prometheus")]).unwrap();
        let ignored = lenient.resolve().unwrap().ignored().join("\n");
        assert!(ignored.contains("`prometheus` feature"), "{ignored}");
        let e = lenient.strict().resolve().unwrap_err().to_string();
        assert!(e.contains("`prometheus` feature"), "{e}");
        // With nothing asked for, the core starts: console-less, exporter-less, working.
        let t = super::init(Config::default().without_global_subscriber()).unwrap();
        assert!(t.prometheus_addr().is_none());
        t.shutdown().unwrap();
    }
}
