//! [`init`] builds every provider, exporter and layer from a [`Config`]; the
//! [`Telemetry`] handle it returns shuts them down in a fixed order.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::resource::{Resource, TelemetryResourceDetector};
use opentelemetry_sdk::trace::{self as sdktrace, SdkTracerProvider};
use tracing::Dispatch;
use tracing_subscriber::layer::{Layer, Layered, SubscriberExt};
use tracing_subscriber::{EnvFilter, Registry};

use crate::config::{Config, LogFormat, OtlpTarget, Protocol, Sampler};
use crate::error::{Error, ShutdownError, ShutdownFailure, Undelivered};
use crate::export::{self, Batcher, LogBatcher, MetricSink, QueueStats, SignalMeters, SpanBatcher};
use crate::names;
use crate::prometheus::Exposition;

/// Set while a globally installed pipeline exists: a second `init` is an error.
static INSTALLED: AtomicBool = AtomicBool::new(false);

type Base = Layered<EnvFilter, Registry>;
type BoxedLayer = Box<dyn Layer<Base> + Send + Sync>;

/// Targets of the crates that carry exports; their own events never become telemetry.
fn is_exporter_internal(target: &str) -> bool {
    // Called for every event that reaches the OpenTelemetry layers: no allocation here.
    // Whole crate names only: `tower_http` (an application's own TraceLayer) is not
    // `tower`, and its spans must reach the exporter.
    const CRATES: [&str; 6] = ["hyper", "hyper_util", "h2", "tonic", "tower", "reqwest"];
    let whole = |rest: &str| rest.is_empty() || rest.starts_with("::");
    target.starts_with("otelkit::export")
        // Every OpenTelemetry crate: their internal logs use the package name as target
        // (`opentelemetry_sdk`, `opentelemetry-otlp`).
        || target.strip_prefix("opentelemetry").is_some_and(|rest| {
            whole(rest) || rest.starts_with('_') || rest.starts_with('-')
        })
        || CRATES
            .iter()
            .any(|c| target.strip_prefix(c).is_some_and(whole))
}

/// Starts traces, metrics and logs as `config` says, and installs the global
/// `tracing` subscriber, tracer and meter providers and propagators.
///
/// Call it once, early in `main`; keep the returned handle alive and call
/// [`Telemetry::shutdown`] before exiting. A second call while the first
/// pipeline is installed returns [`Error::AlreadyInitialized`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let telemetry = otelkit::init(
///     otelkit::Config::from_env()?
///         .with_service_name("quickstart")
///         .with_prometheus_listener("127.0.0.1", 0),
/// )?;
/// tracing::info!("service started");
/// telemetry.shutdown()?;
/// # Ok(()) }
/// ```
pub fn init(config: Config) -> Result<Telemetry, Error> {
    if config.install_subscriber && INSTALLED.swap(true, Ordering::SeqCst) {
        return Err(Error::AlreadyInitialized);
    }
    let global = config.install_subscriber;
    let built = build(config);
    match built {
        Ok(t) => {
            if global {
                if tracing::dispatcher::set_global_default(t.dispatch.clone()).is_err() {
                    let _ = t.shutdown();
                    return Err(Error::AlreadyInitialized);
                }
                if let Some(tp) = &t.tracer_provider {
                    opentelemetry::global::set_tracer_provider(tp.clone());
                }
                if let Some(mp) = &t.meter_provider {
                    opentelemetry::global::set_meter_provider(mp.clone());
                }
                opentelemetry::global::set_text_map_propagator(t.propagator());
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

/// The running telemetry pipeline. Keep it for the life of the process.
///
/// Dropping it shuts everything down (best effort, bounded by the shutdown
/// timeout); call [`shutdown`](Telemetry::shutdown) to learn what failed.
pub struct Telemetry {
    service_name: String,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    alive: export::Alive,
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
    logger_provider: Option<SdkLoggerProvider>,
    exposition: Option<Exposition>,
    prometheus_addr: Option<SocketAddr>,
    otlp_traces_endpoint: Option<String>,
    dispatch: Dispatch,
    span_stats: Vec<Arc<QueueStats>>,
    log_stats: Vec<Arc<QueueStats>>,
    metric_failures: Arc<AtomicU64>,
    propagate: (bool, bool),
    shutdown_timeout: Duration,
    shut: AtomicBool,
    admin: crate::http::admin::Admin,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("service_name", &self.service_name)
            .field("traces", &self.tracer_provider.is_some())
            .field("metrics", &self.meter_provider.is_some())
            .field("logs", &self.logger_provider.is_some())
            .field("prometheus_addr", &self.prometheus_addr)
            .finish()
    }
}

fn sdk_sampler(s: Sampler) -> sdktrace::Sampler {
    use sdktrace::Sampler as S;
    match s {
        Sampler::AlwaysOn => S::AlwaysOn,
        Sampler::AlwaysOff => S::AlwaysOff,
        Sampler::TraceIdRatio(r) => S::TraceIdRatioBased(r),
        Sampler::ParentBasedAlwaysOn => S::ParentBased(Box::new(S::AlwaysOn)),
        Sampler::ParentBasedAlwaysOff => S::ParentBased(Box::new(S::AlwaysOff)),
        Sampler::ParentBasedTraceIdRatio(r) => S::ParentBased(Box::new(S::TraceIdRatioBased(r))),
    }
}

fn resource(config: &Config) -> Resource {
    let mut attrs: Vec<KeyValue> = vec![
        KeyValue::new(names::SERVICE_INSTANCE_ID, uuid::Uuid::new_v4().to_string()),
        KeyValue::new(
            names::HOST_NAME,
            gethostname::gethostname().to_string_lossy().into_owned(),
        ),
        KeyValue::new(names::PROCESS_PID, i64::from(std::process::id())),
    ];
    attrs.extend(
        config
            .resource_attributes
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    if let Some(v) = &config.service_version {
        attrs.push(KeyValue::new(names::SERVICE_VERSION, v.clone()));
    }
    if let Some(v) = &config.environment {
        attrs.push(KeyValue::new(names::DEPLOYMENT_ENVIRONMENT_NAME, v.clone()));
    }
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attrs)
        .with_service_name(config.service_name())
        .build()
}

fn exporter_error(signal: &'static str, t: &OtlpTarget, e: impl std::fmt::Display) -> Error {
    Error::Exporter {
        signal,
        endpoint: t.endpoint.clone(),
        reason: e.to_string(),
    }
}

fn metadata(headers: &[(String, String)]) -> tonic::metadata::MetadataMap {
    let mut map = axum::http::HeaderMap::new();
    for (k, v) in headers {
        // Config validated both halves already.
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(v),
        ) {
            map.insert(k, v);
        }
    }
    tonic::metadata::MetadataMap::from_headers(map)
}

/// `otel.component.type` of an OTLP exporter, per the SDK self-observability conventions.
fn exporter_type(signal: &str, p: Protocol) -> String {
    match p {
        Protocol::Grpc => format!("otlp_grpc_{signal}_exporter"),
        Protocol::HttpProtobuf => format!("otlp_http_{signal}_exporter"),
    }
}

/// Builds an OTLP exporter of type `$ty` for target `$t`; `$extra` are further builder calls.
macro_rules! otlp_exporter {
    ($ty:path, $signal:literal, $t:expr $(, $extra:ident($($arg:expr),*))*) => {{
        let t: &OtlpTarget = $t;
        match t.protocol {
            Protocol::Grpc => <$ty>::builder()
                .with_tonic()
                $(.$extra($($arg),*))*
                .with_endpoint(t.endpoint.clone())
                .with_timeout(t.timeout)
                .with_metadata(metadata(&t.headers))
                .build(),
            Protocol::HttpProtobuf => <$ty>::builder()
                .with_http()
                $(.$extra($($arg),*))*
                .with_endpoint(t.endpoint.clone())
                .with_timeout(t.timeout)
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_headers(t.headers.iter().cloned().collect())
                .build(),
        }
        .map_err(|e| exporter_error($signal, t, e))
    }};
}

fn build(config: Config) -> Result<Telemetry, Error> {
    crate::db::set_slow_threshold(config.slow_query);
    #[cfg(feature = "genai")]
    crate::genai::configure(
        config.genai_capture,
        config.genai_content_max,
        config.genai_tenant_limit,
    );
    let env_filter = EnvFilter::builder()
        .parse(&config.log_filter)
        .map_err(|_| Error::InvalidEnv {
            var: crate::env::RUST_LOG,
            value: config.log_filter.clone(),
            allowed: "an EnvFilter directive list such as `info` or `info,my_crate=debug`",
        })?;
    let fmt_layer: BoxedLayer = match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .fmt_fields(crate::logfmt::NoSpanFields)
            .event_format(crate::logfmt::JsonWithTrace)
            .boxed(),
    };
    let mut layers: Vec<BoxedLayer> = vec![fmt_layer];
    let service_name = config.service_name();

    let admin = |exposition, meter: &Meter| crate::http::admin::Admin {
        exposition,
        health: crate::health::HealthRegistry::new(meter, config.health_ttl),
        service: service_name.clone(),
        version: config.service_version.clone(),
        started: Instant::now(),
        token: config.admin_token.as_deref().map(Arc::from),
    };
    if config.disabled {
        let noop = opentelemetry::metrics::noop::NoopMeterProvider::new().meter("otelkit");
        let admin = admin(None, &noop);
        return Ok(Telemetry {
            admin,
            service_name,
            runtime: Mutex::new(None),
            alive: Arc::new(std::sync::RwLock::new(false)),
            tracer_provider: None,
            meter_provider: None,
            logger_provider: None,
            exposition: None,
            prometheus_addr: None,
            otlp_traces_endpoint: None,
            dispatch: Dispatch::new(Registry::default().with(env_filter).with(layers)),
            span_stats: Vec::new(),
            log_stats: Vec::new(),
            metric_failures: Arc::new(AtomicU64::new(0)),
            propagate: (false, false),
            shutdown_timeout: config.shutdown_timeout,
            shut: AtomicBool::new(false),
        });
    }

    // The application's runtime, when init runs inside one (otherwise see Telemetry::observe_runtime).
    let app_runtime = tokio::runtime::Handle::try_current().ok();
    let runtime = export::start_runtime().map_err(Error::Runtime)?;
    let alive: export::Alive = Arc::new(std::sync::RwLock::new(true));
    let handle = runtime.handle().clone();
    // Exporters bind their channels and clients to the runtime current while they are built.
    let _in_runtime = handle.enter();
    let resource = resource(&config);

    // Metrics first: the other signals' self-monitoring records into them.
    let metric_failures = Arc::new(AtomicU64::new(0));
    let points_exported = Arc::new(OnceLock::new());
    let mut mp = SdkMeterProvider::builder().with_resource(resource.clone());
    let mut exposition = None;
    if config.metrics.prometheus {
        let (expo, reader) = Exposition::new().map_err(|reason| Error::Exporter {
            signal: "metrics",
            endpoint: "prometheus".into(),
            reason,
        })?;
        exposition = Some(expo);
        mp = mp.with_reader(reader);
    }
    if let Some(t) = &config.metrics_otlp {
        let exporter = otlp_exporter!(
            opentelemetry_otlp::MetricExporter,
            "metrics",
            t,
            with_temporality(Temporality::Cumulative)
        )?;
        let sink = MetricSink::new(
            exporter,
            handle.clone(),
            alive.clone(),
            config.metric_timeout,
            points_exported.clone(),
            &exporter_type("metric", t.protocol),
            metric_failures.clone(),
        );
        mp = mp.with_reader(
            PeriodicReader::builder(sink)
                .with_interval(config.metric_interval)
                .build(),
        );
    }
    if config.metrics.console {
        mp = mp.with_reader(
            PeriodicReader::builder(export::console::MetricConsole)
                .with_interval(config.metric_interval)
                .build(),
        );
    }
    let meter_provider = mp.build();
    let selfmon = meter_provider.meter("otelkit");
    let _ = points_exported.set(crate::catalog::SDK_METRIC_POINTS_EXPORTED.u64_counter(&selfmon));

    // Traces.
    let mut tp = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_sampler(sdk_sampler(config.sampler));
    let mut span_queues = Vec::new();
    if let Some(t) = &config.traces_otlp {
        let mut exporter = otlp_exporter!(opentelemetry_otlp::SpanExporter, "traces", t)?;
        opentelemetry_sdk::trace::SpanExporter::set_resource(&mut exporter, &resource);
        let kind = exporter_type("span", t.protocol);
        let sink = export::Spans(exporter);
        add_queue(
            &mut span_queues,
            &handle,
            &selfmon,
            ("span", &kind),
            sink,
            config.span_batch,
        );
    }
    if config.traces.console {
        let sink = export::Spans(export::console::SpanConsole);
        let kind = ("span", "console_span_exporter");
        add_queue(
            &mut span_queues,
            &handle,
            &selfmon,
            kind,
            sink,
            config.span_batch,
        );
    }
    let span_stats: Vec<_> = span_queues.iter().map(|b| b.stats()).collect();
    register_queue_gauges(&selfmon, "span", &span_queues);
    for q in span_queues {
        tp = tp.with_span_processor(SpanBatcher(q));
    }
    let tracer_provider = tp.build();
    let tracer = tracer_provider.tracer("otelkit");
    layers.push(
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
            .boxed(),
    );

    // Logs.
    let mut log_queues = Vec::new();
    if let Some(t) = &config.logs_otlp {
        let mut exporter = otlp_exporter!(opentelemetry_otlp::LogExporter, "logs", t)?;
        opentelemetry_sdk::logs::LogExporter::set_resource(&mut exporter, &resource);
        let kind = exporter_type("log", t.protocol);
        let sink = export::Logs(exporter);
        add_queue(
            &mut log_queues,
            &handle,
            &selfmon,
            ("log", &kind),
            sink,
            config.log_batch,
        );
    }
    if config.logs.console {
        let sink = export::Logs(export::console::LogConsole);
        let kind = ("log", "console_log_exporter");
        add_queue(
            &mut log_queues,
            &handle,
            &selfmon,
            kind,
            sink,
            config.log_batch,
        );
    }
    let log_stats: Vec<_> = log_queues.iter().map(|b| b.stats()).collect();
    register_queue_gauges(&selfmon, "log", &log_queues);
    let logger_provider = if log_queues.is_empty() {
        None
    } else {
        let mut lp = SdkLoggerProvider::builder().with_resource(resource.clone());
        for q in log_queues {
            lp = lp.with_log_processor(LogBatcher(q));
        }
        let lp = lp.build();
        layers.push(
            opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(&lp)
                .with_filter(tracing_subscriber::filter::filter_fn(|m| {
                    !is_exporter_internal(m.target())
                }))
                .boxed(),
        );
        Some(lp)
    };

    crate::runtime::register_process(&selfmon);
    if let Some(app_runtime) = app_runtime {
        crate::runtime::register_tokio(&selfmon, app_runtime);
    }
    let admin = admin(exposition.clone(), &selfmon);
    admin.health.spawn_refresher(&handle);

    // The built-in listener: bound here so a taken port is an error now, not a log line later.
    let mut prometheus_addr = None;
    if let (Some(_), true) = (&exposition, config.prometheus_listener) {
        let addr = format!("{}:{}", config.prometheus_host, config.prometheus_port);
        let listen_err = |source| Error::PrometheusListen {
            addr: addr.clone(),
            source,
        };
        let std_listener = std::net::TcpListener::bind(&addr).map_err(listen_err)?;
        std_listener.set_nonblocking(true).map_err(listen_err)?;
        prometheus_addr = std_listener.local_addr().ok();
        let listener = tokio::net::TcpListener::from_std(std_listener).map_err(listen_err)?;
        handle.spawn(crate::prometheus::serve(
            listener,
            crate::http::admin::router(admin.clone()),
        ));
    }

    let dispatch = Dispatch::new(Registry::default().with(env_filter).with(layers));
    drop(_in_runtime);
    Ok(Telemetry {
        admin,
        service_name,
        runtime: Mutex::new(Some(runtime)),
        alive,
        tracer_provider: Some(tracer_provider),
        meter_provider: Some(meter_provider),
        logger_provider,
        exposition,
        prometheus_addr,
        otlp_traces_endpoint: config.traces_otlp.as_ref().map(|t| t.endpoint.clone()),
        dispatch,
        span_stats,
        log_stats,
        metric_failures,
        propagate: (config.propagate_tracecontext, config.propagate_baggage),
        shutdown_timeout: config.shutdown_timeout,
        shut: AtomicBool::new(false),
    })
}

/// Starts a batch queue in front of `sink` and adds it to `queues`.
fn add_queue<T: Send + 'static, S: export::Sink<T>>(
    queues: &mut Vec<Batcher<T>>,
    runtime: &tokio::runtime::Handle,
    selfmon: &Meter,
    (signal, exporter): (&str, &str),
    sink: S,
    settings: crate::config::BatchSettings,
) {
    let meters = SignalMeters::new(selfmon, signal, exporter, queues.len());
    queues.push(Batcher::start(runtime, sink, settings, meters));
}

/// `otel.sdk.processor.{signal}.queue.size` and `.capacity`, observed from the queues.
fn register_queue_gauges<T: Send + 'static>(meter: &Meter, signal: &str, queues: &[Batcher<T>]) {
    let (size, cap) = match signal {
        "span" => (
            &crate::catalog::SDK_SPAN_QUEUE_SIZE,
            &crate::catalog::SDK_SPAN_QUEUE_CAPACITY,
        ),
        _ => (
            &crate::catalog::SDK_LOG_QUEUE_SIZE,
            &crate::catalog::SDK_LOG_QUEUE_CAPACITY,
        ),
    };
    let probes: Vec<(export::QueueProbe<T>, [KeyValue; 2])> = queues
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let ty = format!("batching_{signal}_processor");
            (
                q.probe(),
                [
                    KeyValue::new(names::OTEL_COMPONENT_TYPE, ty.clone()),
                    KeyValue::new(names::OTEL_COMPONENT_NAME, format!("{ty}/{i}")),
                ],
            )
        })
        .collect();
    if probes.is_empty() {
        return;
    }
    let probes = Arc::new(probes);
    let p = probes.clone();
    meter
        .i64_observable_up_down_counter(size.name)
        .with_unit(size.unit)
        .with_description(size.description)
        .with_callback(move |o| {
            for (probe, attrs) in p.iter() {
                o.observe(probe.len() as i64, attrs);
            }
        })
        .build();
    meter
        .i64_observable_up_down_counter(cap.name)
        .with_unit(cap.unit)
        .with_description(cap.description)
        .with_callback(move |o| {
            for (probe, attrs) in probes.iter() {
                o.observe(probe.capacity() as i64, attrs);
            }
        })
        .build();
}

impl Telemetry {
    /// `service.name` as reported.
    pub fn service_name(&self) -> &str {
        &self.service_name
    }

    /// A meter for the application's own instruments, from otelkit's meter provider
    /// (a no-op meter when telemetry is disabled).
    ///
    /// ```
    /// let telemetry = otelkit::init(otelkit::Config::disabled()).unwrap();
    /// let orders = telemetry.meter("shop").u64_counter("shop.orders").build();
    /// orders.add(1, &[]);
    /// ```
    pub fn meter(&self, scope: &'static str) -> Meter {
        match &self.meter_provider {
            Some(mp) => mp.meter(scope),
            None => opentelemetry::metrics::noop::NoopMeterProvider::new().meter(scope),
        }
    }

    /// Records the Tokio runtime metrics (`tokio.runtime.*`) of `handle`'s runtime. `init`
    /// does this by itself when called inside a runtime; call it when the runtime is built
    /// after `init`.
    ///
    /// ```
    /// let telemetry = otelkit::init(otelkit::Config::disabled()).unwrap();
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// telemetry.observe_runtime(rt.handle().clone());
    /// ```
    pub fn observe_runtime(&self, handle: tokio::runtime::Handle) {
        if self.meter_provider.is_some() {
            crate::runtime::register_tokio(&self.meter("otelkit"), handle);
        }
    }

    /// The health checks behind `/health/ready`, `/health` and `/status`.
    ///
    /// ```
    /// let telemetry = otelkit::init(otelkit::Config::disabled()).unwrap();
    /// telemetry.health().register("db", otelkit::health::TcpCheck::new("127.0.0.1:5432"));
    /// ```
    pub fn health(&self) -> &crate::health::HealthRegistry {
        &self.admin.health
    }

    /// An axum router with the admin endpoints, to merge into the application's:
    /// `/metrics` (Prometheus exposition), `/health/live` (200 while the process runs),
    /// `/health/ready` (200, or 503 naming the failing critical components),
    /// `/health` (JSON with each component's status, latency, message and last check),
    /// `/status` (service, version, uptime, overall status). With an admin token,
    /// `/metrics` and `/health` answer 401 without it. The built-in listener serves the
    /// same router.
    ///
    /// ```
    /// let telemetry = otelkit::init(otelkit::Config::disabled()).unwrap();
    /// let app: axum::Router = axum::Router::new().merge(telemetry.admin_router());
    /// ```
    pub fn admin_router(&self) -> axum::Router {
        crate::http::admin::router(self.admin.clone())
    }

    /// Where traces go over OTLP, if they do.
    pub fn otlp_traces_endpoint(&self) -> Option<&str> {
        self.otlp_traces_endpoint.as_deref()
    }

    /// The tracer provider, for code that uses the OpenTelemetry API directly.
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.tracer_provider.as_ref()
    }

    /// The meter provider.
    pub fn meter_provider(&self) -> Option<&SdkMeterProvider> {
        self.meter_provider.as_ref()
    }

    /// The logger provider, when logs are exported.
    pub fn logger_provider(&self) -> Option<&SdkLoggerProvider> {
        self.logger_provider.as_ref()
    }

    /// The `tracing` dispatcher otelkit built. It is installed globally unless the
    /// config said [`without_global_subscriber`](Config::without_global_subscriber);
    /// then run code under it with `tracing::dispatcher::with_default`.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// The propagators `OTEL_PROPAGATORS` selected (W3C tracecontext and baggage by default).
    pub fn propagator(&self) -> TextMapCompositePropagator {
        let mut ps: Vec<Box<dyn opentelemetry::propagation::TextMapPropagator + Send + Sync>> =
            Vec::new();
        if self.propagate.0 {
            ps.push(Box::new(TraceContextPropagator::new()));
        }
        if self.propagate.1 {
            ps.push(Box::new(BaggagePropagator::new()));
        }
        TextMapCompositePropagator::new(ps)
    }

    /// The Prometheus text exposition of every instrument now, or `None` when the
    /// Prometheus exporter is off.
    pub fn prometheus_exposition(&self) -> Option<String> {
        self.exposition.as_ref().map(|e| e.render())
    }

    /// Where the built-in listener serves `/metrics`, once bound.
    pub fn prometheus_addr(&self) -> Option<SocketAddr> {
        self.prometheus_addr
    }

    /// Items accepted but not delivered so far: dropped because a queue was full, or
    /// whose export failed.
    pub fn undelivered(&self) -> Undelivered {
        Undelivered {
            spans: self.span_stats.iter().map(|s| s.undelivered()).sum(),
            logs: self.log_stats.iter().map(|s| s.undelivered()).sum(),
            metric_exports: self.metric_failures.load(Ordering::Relaxed),
        }
    }

    /// Exports everything queued now, waiting at most the shutdown timeout per signal.
    pub fn force_flush(&self) -> Result<(), ShutdownError> {
        let mut failures = Vec::new();
        if let Some(tp) = &self.tracer_provider {
            if let Err(e) = tp.force_flush() {
                failures.push(ShutdownFailure {
                    signal: "traces",
                    reason: e.to_string(),
                });
            }
        }
        if let Some(lp) = &self.logger_provider {
            if let Err(e) = lp.force_flush() {
                failures.push(ShutdownFailure {
                    signal: "logs",
                    reason: e.to_string(),
                });
            }
        }
        if let Some(mp) = &self.meter_provider {
            if let Err(e) = mp.force_flush() {
                failures.push(ShutdownFailure {
                    signal: "metrics",
                    reason: e.to_string(),
                });
            }
        }
        self.report(failures)
    }

    fn report(&self, failures: Vec<ShutdownFailure>) -> Result<(), ShutdownError> {
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ShutdownError {
                failures,
                undelivered: self.undelivered(),
            })
        }
    }

    /// Flushes and stops traces, then logs, then metrics (last, so the other
    /// signals' self-monitoring counts go out too), then the Prometheus listener.
    ///
    /// The whole call is bounded by the shutdown timeout (default 5 s) whether the
    /// collector is up, down or never answers, on any runtime flavour. Every
    /// component is attempted; the error lists each that failed and what was
    /// not delivered. A second call does nothing.
    pub fn shutdown(&self) -> Result<(), ShutdownError> {
        if self.shut.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let deadline = Instant::now() + self.shutdown_timeout;
        let mut failures = Vec::new();
        // Each provider shuts down on a thread of its own, so a component that
        // ignores its timeout (the SDK's periodic reader waits 5 s regardless)
        // cannot stretch the call past the deadline.
        let mut step =
            |signal: &'static str, job: Box<dyn FnOnce(Duration) -> OTelSdkResult + Send>| {
                let left = deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1));
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let spawned = std::thread::Builder::new()
                    .name(format!("otelkit-shutdown-{signal}"))
                    .spawn(move || {
                        let _ = tx.send(job(left));
                    });
                let reason = match spawned {
                    Err(e) => Some(format!("could not start the shutdown thread: {e}")),
                    Ok(_) => match rx.recv_timeout(left) {
                        Ok(Ok(())) => None,
                        Ok(Err(e)) => Some(e.to_string()),
                        Err(_) => Some(format!("timed out after {:?}", self.shutdown_timeout)),
                    },
                };
                if let Some(reason) = reason {
                    failures.push(ShutdownFailure { signal, reason });
                }
            };
        if let Some(tp) = self.tracer_provider.clone() {
            step("traces", Box::new(move |t| tp.shutdown_with_timeout(t)));
        }
        if let Some(lp) = self.logger_provider.clone() {
            step("logs", Box::new(move |t| lp.shutdown_with_timeout(t)));
        }
        if let Some(mp) = self.meter_provider.clone() {
            step("metrics", Box::new(move |t| mp.shutdown_with_timeout(t)));
        }
        for s in self.span_stats.iter().chain(&self.log_stats) {
            s.closed.store(true, Ordering::Relaxed);
        }
        {
            // No foreign thread polls an export future while, or after, the runtime stops.
            let mut alive = self.alive.write().unwrap_or_else(|e| e.into_inner());
            *alive = false;
            if let Some(rt) = self.runtime.lock().ok().and_then(|mut r| r.take()) {
                // Never blocks, so it is safe inside an async context too.
                rt.shutdown_background();
            }
        }
        let undelivered = self.undelivered();
        if failures.is_empty() && undelivered == Undelivered::default() {
            Ok(())
        } else {
            Err(ShutdownError {
                failures,
                undelivered,
            })
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
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
            "otelkit::export",
        ] {
            assert!(is_exporter_internal(t), "{t}");
        }
        for t in [
            "hyperion",
            "h2o",
            "towers",
            "my_app",
            "otelkit::http",
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
