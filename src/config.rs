//! [`Config`]: what `init` builds, read from the standard `OTEL_*` environment
//! variables and overridden by builder methods.
//!
//! Precedence, highest first: a `with_*` builder call, the signal-specific
//! variable (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), the general variable
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`), otelkit's default.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{Error, DEFAULT_SHUTDOWN_TIMEOUT};

/// Names of every environment variable otelkit reads.
///
/// ```
/// assert_eq!(otelkit::env::OTEL_SERVICE_NAME, "OTEL_SERVICE_NAME");
/// ```
pub mod env {
    /// `true` turns every signal off; the handle still works and exports nothing.
    pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
    /// `service.name` of the resource.
    pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
    /// Extra resource attributes, `key=value,key2=value2` (values percent-decoded).
    pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
    /// Base OTLP endpoint for all signals.
    pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
    /// OTLP endpoint for traces, used as-is.
    pub const OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    /// OTLP endpoint for metrics, used as-is.
    pub const OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
    /// OTLP endpoint for logs, used as-is.
    pub const OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT";
    /// `grpc` or `http/protobuf` for all signals.
    pub const OTEL_EXPORTER_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
    /// Protocol for traces.
    pub const OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
    /// Protocol for metrics.
    pub const OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL";
    /// Protocol for logs.
    pub const OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL";
    /// Headers sent with every export, `key=value,…` (values percent-decoded).
    pub const OTEL_EXPORTER_OTLP_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
    /// Headers for traces, added to the general ones.
    pub const OTEL_EXPORTER_OTLP_TRACES_HEADERS: &str = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
    /// Headers for metrics, added to the general ones.
    pub const OTEL_EXPORTER_OTLP_METRICS_HEADERS: &str = "OTEL_EXPORTER_OTLP_METRICS_HEADERS";
    /// Headers for logs, added to the general ones.
    pub const OTEL_EXPORTER_OTLP_LOGS_HEADERS: &str = "OTEL_EXPORTER_OTLP_LOGS_HEADERS";
    /// Time limit of one export, in milliseconds.
    pub const OTEL_EXPORTER_OTLP_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
    /// Export time limit for traces.
    pub const OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT";
    /// Export time limit for metrics.
    pub const OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT";
    /// Export time limit for logs.
    pub const OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT";
    /// Sampler name.
    pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
    /// Sampler argument (the ratio for `*traceidratio`).
    pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
    /// Interval between OTLP metric exports, in milliseconds.
    pub const OTEL_METRIC_EXPORT_INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";
    /// Time limit of one OTLP metric export, in milliseconds.
    pub const OTEL_METRIC_EXPORT_TIMEOUT: &str = "OTEL_METRIC_EXPORT_TIMEOUT";
    /// Propagators, comma-separated: `tracecontext`, `baggage`, `none`.
    pub const OTEL_PROPAGATORS: &str = "OTEL_PROPAGATORS";
    /// Span batch: delay between exports, ms.
    pub const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
    /// Span batch: time limit of one export, ms.
    pub const OTEL_BSP_EXPORT_TIMEOUT: &str = "OTEL_BSP_EXPORT_TIMEOUT";
    /// Span batch: queue capacity; spans beyond it are dropped and counted.
    pub const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
    /// Span batch: most spans in one export.
    pub const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
    /// Log batch: delay between exports, ms.
    pub const OTEL_BLRP_SCHEDULE_DELAY: &str = "OTEL_BLRP_SCHEDULE_DELAY";
    /// Log batch: time limit of one export, ms.
    pub const OTEL_BLRP_EXPORT_TIMEOUT: &str = "OTEL_BLRP_EXPORT_TIMEOUT";
    /// Log batch: queue capacity; records beyond it are dropped and counted.
    pub const OTEL_BLRP_MAX_QUEUE_SIZE: &str = "OTEL_BLRP_MAX_QUEUE_SIZE";
    /// Log batch: most records in one export.
    pub const OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE";
    /// Trace exporters: `otlp`, `console`, `none`.
    pub const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
    /// Metric exporters: `otlp`, `prometheus`, `console`, `none`.
    pub const OTEL_METRICS_EXPORTER: &str = "OTEL_METRICS_EXPORTER";
    /// Log exporters: `otlp`, `console`, `none`.
    pub const OTEL_LOGS_EXPORTER: &str = "OTEL_LOGS_EXPORTER";
    /// Host the built-in Prometheus listener binds (default `127.0.0.1`).
    pub const OTEL_EXPORTER_PROMETHEUS_HOST: &str = "OTEL_EXPORTER_PROMETHEUS_HOST";
    /// Port of the built-in Prometheus listener (default `9464`; `0` picks a free one).
    pub const OTEL_EXPORTER_PROMETHEUS_PORT: &str = "OTEL_EXPORTER_PROMETHEUS_PORT";
    /// otelkit: console log format, `text` (default) or `json`.
    pub const OTEL_LOG_FORMAT: &str = "OTEL_LOG_FORMAT";
    /// otelkit: bearer token required by `/metrics` and `/health` (default: none, open).
    pub const OTELKIT_ADMIN_TOKEN: &str = "OTELKIT_ADMIN_TOKEN";
    /// otelkit: how long a health check result is reused, ms (default 5000).
    pub const OTELKIT_HEALTH_CACHE_TTL: &str = "OTELKIT_HEALTH_CACHE_TTL";
    /// otelkit: database operations slower than this many ms log a warning (default 500).
    pub const OTELKIT_DB_SLOW_QUERY_MS: &str = "OTELKIT_DB_SLOW_QUERY_MS";
    /// `true` records LLM prompts and completions (redacted, truncated) on spans. Default off.
    pub const OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: &str =
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
    /// otelkit: longest captured message content, in characters (default 1000).
    pub const OTELKIT_GENAI_CONTENT_MAX_CHARS: &str = "OTELKIT_GENAI_CONTENT_MAX_CHARS";
    /// otelkit: tenants with their own `tenant` label on LLM cost and tokens (default 100).
    pub const OTELKIT_GENAI_TENANT_LIMIT: &str = "OTELKIT_GENAI_TENANT_LIMIT";
    /// otelkit: time limit of `Telemetry::shutdown`, ms (default 5000).
    pub const OTELKIT_SHUTDOWN_TIMEOUT: &str = "OTELKIT_SHUTDOWN_TIMEOUT";
    /// The `tracing` filter, `EnvFilter` syntax (default `info`).
    pub const RUST_LOG: &str = "RUST_LOG";
}

/// OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// OTLP over gRPC (`tonic`), conventionally port 4317.
    Grpc,
    /// OTLP protobuf over HTTP POST, conventionally port 4318. The specification's default.
    #[default]
    HttpProtobuf,
}

impl Protocol {
    fn parse(var: &'static str, v: &str) -> Result<Self, Error> {
        match v.trim() {
            "grpc" => Ok(Protocol::Grpc),
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            _ => Err(invalid(var, v, "grpc or http/protobuf")),
        }
    }

    fn default_endpoint(self) -> &'static str {
        match self {
            Protocol::Grpc => "http://localhost:4317",
            Protocol::HttpProtobuf => "http://localhost:4318",
        }
    }
}

/// Which traces are recorded.
///
/// The `ParentBased*` samplers follow the caller's decision when a request
/// carries a sampled or unsampled `traceparent`, and apply the inner rule to
/// new traces.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum Sampler {
    /// Record every trace.
    AlwaysOn,
    /// Record nothing.
    AlwaysOff,
    /// Record this fraction of traces, by trace id.
    TraceIdRatio(f64),
    /// Follow the parent; record every new trace. The default.
    #[default]
    ParentBasedAlwaysOn,
    /// Follow the parent; record no new trace.
    ParentBasedAlwaysOff,
    /// Follow the parent; record this fraction of new traces.
    ParentBasedTraceIdRatio(f64),
}

const SAMPLERS: &str = "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio";

/// Console log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LogFormat {
    /// Human-readable text. The default.
    #[default]
    Text,
    /// One JSON object per line, with `trace_id` and `span_id` of the current span.
    Json,
}

/// Batch settings for spans (`OTEL_BSP_*`) or log records (`OTEL_BLRP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchSettings {
    /// Delay between two exports.
    pub schedule_delay: Duration,
    /// Time limit of one export.
    pub export_timeout: Duration,
    /// Queue capacity: items beyond it are dropped and counted, never blocking the app.
    pub max_queue_size: usize,
    /// Most items in one export.
    pub max_export_batch_size: usize,
}

impl BatchSettings {
    const SPANS: BatchSettings = BatchSettings {
        schedule_delay: Duration::from_millis(5000),
        export_timeout: Duration::from_millis(30000),
        max_queue_size: 2048,
        max_export_batch_size: 512,
    };
    const LOGS: BatchSettings = BatchSettings {
        schedule_delay: Duration::from_millis(1000),
        export_timeout: Duration::from_millis(30000),
        max_queue_size: 2048,
        max_export_batch_size: 512,
    };
}

/// Where one signal goes over OTLP.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtlpTarget {
    /// Full URL the exporter sends to (for HTTP, including `/v1/{signal}`).
    pub endpoint: String,
    /// Transport.
    pub protocol: Protocol,
    /// Headers (gRPC metadata) sent with every export.
    pub headers: Vec<(String, String)>,
    /// Time limit of one export.
    pub timeout: Duration,
}

/// Which exporters a signal uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Exporters {
    pub(crate) otlp: bool,
    pub(crate) console: bool,
    pub(crate) prometheus: bool,
}

/// Everything `init` needs, with a builder on top of [`Config::from_env`].
///
/// ```
/// # fn main() -> Result<(), otelkit::Error> {
/// let config = otelkit::Config::from_env()?
///     .with_service_name("checkout")
///     .with_service_version("1.4.2")
///     .with_environment("staging");
/// assert_eq!(config.service_name(), "checkout");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) disabled: bool,
    service_name: Option<String>,
    pub(crate) service_version: Option<String>,
    pub(crate) environment: Option<String>,
    pub(crate) resource_attributes: BTreeMap<String, String>,
    pub(crate) log_format: LogFormat,
    pub(crate) log_filter: String,
    pub(crate) sampler: Sampler,
    pub(crate) propagate_tracecontext: bool,
    pub(crate) propagate_baggage: bool,
    pub(crate) traces: Exporters,
    pub(crate) metrics: Exporters,
    pub(crate) logs: Exporters,
    pub(crate) traces_otlp: Option<OtlpTarget>,
    pub(crate) metrics_otlp: Option<OtlpTarget>,
    pub(crate) logs_otlp: Option<OtlpTarget>,
    pub(crate) metric_interval: Duration,
    pub(crate) metric_timeout: Duration,
    pub(crate) span_batch: BatchSettings,
    pub(crate) log_batch: BatchSettings,
    pub(crate) prometheus_host: String,
    pub(crate) prometheus_port: u16,
    pub(crate) prometheus_listener: bool,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) install_subscriber: bool,
    pub(crate) admin_token: Option<String>,
    pub(crate) health_ttl: Duration,
    pub(crate) slow_query: Duration,
    pub(crate) genai_capture: bool,
    pub(crate) genai_content_max: usize,
    pub(crate) genai_tenant_limit: usize,
}

impl Default for Config {
    /// The defaults with no environment read: Prometheus on 127.0.0.1:9464, no OTLP.
    fn default() -> Self {
        Config {
            disabled: false,
            service_name: None,
            service_version: None,
            environment: None,
            resource_attributes: BTreeMap::new(),
            log_format: LogFormat::Text,
            log_filter: DEFAULT_FILTER.to_string(),
            sampler: Sampler::ParentBasedAlwaysOn,
            propagate_tracecontext: true,
            propagate_baggage: true,
            traces: Exporters::default(),
            metrics: Exporters {
                prometheus: true,
                ..Exporters::default()
            },
            logs: Exporters::default(),
            traces_otlp: None,
            metrics_otlp: None,
            logs_otlp: None,
            metric_interval: Duration::from_millis(60000),
            metric_timeout: Duration::from_millis(30000),
            span_batch: BatchSettings::SPANS,
            log_batch: BatchSettings::LOGS,
            prometheus_host: "127.0.0.1".to_string(),
            prometheus_port: 9464,
            prometheus_listener: true,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            install_subscriber: true,
            admin_token: None,
            health_ttl: Duration::from_secs(5),
            slow_query: Duration::from_millis(500),
            genai_capture: false,
            genai_content_max: 1000,
            genai_tenant_limit: 100,
        }
    }
}

/// `info`, with the OpenTelemetry crates' own chatter (provider set, …) held to warnings.
const DEFAULT_FILTER: &str =
    "info,opentelemetry=warn,opentelemetry_sdk=warn,opentelemetry_otlp=warn";

fn invalid(var: &'static str, value: &str, allowed: &'static str) -> Error {
    Error::InvalidEnv {
        var,
        value: value.to_string(),
        allowed,
    }
}

/// One signal's variable names.
struct SignalVars {
    name: &'static str,
    endpoint: &'static str,
    protocol: &'static str,
    headers: &'static str,
    timeout: &'static str,
    exporter: &'static str,
}

const TRACES: SignalVars = SignalVars {
    name: "traces",
    endpoint: env::OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    protocol: env::OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    headers: env::OTEL_EXPORTER_OTLP_TRACES_HEADERS,
    timeout: env::OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
    exporter: env::OTEL_TRACES_EXPORTER,
};
const METRICS: SignalVars = SignalVars {
    name: "metrics",
    endpoint: env::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    protocol: env::OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
    headers: env::OTEL_EXPORTER_OTLP_METRICS_HEADERS,
    timeout: env::OTEL_EXPORTER_OTLP_METRICS_TIMEOUT,
    exporter: env::OTEL_METRICS_EXPORTER,
};
const LOGS: SignalVars = SignalVars {
    name: "logs",
    endpoint: env::OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
    protocol: env::OTEL_EXPORTER_OTLP_LOGS_PROTOCOL,
    headers: env::OTEL_EXPORTER_OTLP_LOGS_HEADERS,
    timeout: env::OTEL_EXPORTER_OTLP_LOGS_TIMEOUT,
    exporter: env::OTEL_LOGS_EXPORTER,
};

/// Variables looked up by name; empty values count as unset, as the specification asks.
struct Vars(BTreeMap<String, String>);

impl Vars {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(|v| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    fn millis(&self, var: &'static str) -> Result<Option<Duration>, Error> {
        self.get(var)
            .map(|v| match v.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
                _ => Err(invalid(
                    var,
                    v,
                    "a whole number of milliseconds greater than 0",
                )),
            })
            .transpose()
    }

    fn count(&self, var: &'static str) -> Result<Option<usize>, Error> {
        self.get(var)
            .map(|v| match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(invalid(var, v, "a whole number greater than 0")),
            })
            .transpose()
    }
}

impl Config {
    /// Reads the process environment (see [`env`](mod@crate::env) for every variable).
    ///
    /// Fails on the first variable whose value cannot be used, naming it.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_vars(std::env::vars())
    }

    /// Like [`from_env`](Config::from_env), but from the given pairs instead of the
    /// process environment: handy in tests and for config loaded from elsewhere.
    ///
    /// ```
    /// let config = otelkit::Config::from_vars([
    ///     ("OTEL_SERVICE_NAME", "billing"),
    ///     ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
    /// ]).unwrap();
    /// assert_eq!(config.service_name(), "billing");
    /// assert_eq!(config.otlp_traces().unwrap().endpoint, "http://collector:4318/v1/traces");
    /// ```
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Config, Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars = Vars(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        let mut c = Config::default();

        if let Some(v) = vars.get(env::OTEL_SDK_DISABLED) {
            c.disabled = parse_bool(env::OTEL_SDK_DISABLED, v)?;
        }
        if let Some(v) = vars.get(env::OTEL_RESOURCE_ATTRIBUTES) {
            c.resource_attributes = parse_pairs(env::OTEL_RESOURCE_ATTRIBUTES, v)?
                .into_iter()
                .collect();
        }
        c.service_name = vars
            .get(env::OTEL_SERVICE_NAME)
            .map(|s| s.trim().to_string());
        if let Some(v) = vars.get(env::OTEL_LOG_FORMAT) {
            c.log_format = match v.trim().to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => return Err(invalid(env::OTEL_LOG_FORMAT, v, "text or json")),
            };
        }
        if let Some(v) = vars.get(env::RUST_LOG) {
            validate_filter(env::RUST_LOG, v)?;
            c.log_filter = v.to_string();
        }
        c.sampler = parse_sampler(
            vars.get(env::OTEL_TRACES_SAMPLER),
            vars.get(env::OTEL_TRACES_SAMPLER_ARG),
        )?;
        if let Some(v) = vars.get(env::OTEL_PROPAGATORS) {
            let (tc, bg) = parse_propagators(v)?;
            c.propagate_tracecontext = tc;
            c.propagate_baggage = bg;
        }
        if let Some(d) = vars.millis(env::OTEL_METRIC_EXPORT_INTERVAL)? {
            c.metric_interval = d;
        }
        if let Some(d) = vars.millis(env::OTEL_METRIC_EXPORT_TIMEOUT)? {
            c.metric_timeout = d;
        }
        c.span_batch = parse_batch(
            &vars,
            BatchSettings::SPANS,
            [
                env::OTEL_BSP_SCHEDULE_DELAY,
                env::OTEL_BSP_EXPORT_TIMEOUT,
                env::OTEL_BSP_MAX_QUEUE_SIZE,
                env::OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
            ],
        )?;
        c.log_batch = parse_batch(
            &vars,
            BatchSettings::LOGS,
            [
                env::OTEL_BLRP_SCHEDULE_DELAY,
                env::OTEL_BLRP_EXPORT_TIMEOUT,
                env::OTEL_BLRP_MAX_QUEUE_SIZE,
                env::OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
            ],
        )?;
        if let Some(v) = vars.get(env::OTEL_EXPORTER_PROMETHEUS_HOST) {
            c.prometheus_host = v.trim().to_string();
        }
        if let Some(v) = vars.get(env::OTEL_EXPORTER_PROMETHEUS_PORT) {
            c.prometheus_port = v.trim().parse().map_err(|_| {
                invalid(
                    env::OTEL_EXPORTER_PROMETHEUS_PORT,
                    v,
                    "a port number from 0 to 65535 (0 picks a free port)",
                )
            })?;
        }
        if let Some(d) = vars.millis(env::OTELKIT_SHUTDOWN_TIMEOUT)? {
            c.shutdown_timeout = d;
        }
        if let Some(v) = vars.get(env::OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT) {
            c.genai_capture =
                parse_bool(env::OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, v)?;
        }
        if let Some(n) = vars.count(env::OTELKIT_GENAI_CONTENT_MAX_CHARS)? {
            c.genai_content_max = n;
        }
        if let Some(n) = vars.count(env::OTELKIT_GENAI_TENANT_LIMIT)? {
            c.genai_tenant_limit = n;
        }
        if let Some(d) = vars.millis(env::OTELKIT_DB_SLOW_QUERY_MS)? {
            c.slow_query = d;
        }
        if let Some(d) = vars.millis(env::OTELKIT_HEALTH_CACHE_TTL)? {
            c.health_ttl = d;
        }
        if let Some(v) = vars.get(env::OTELKIT_ADMIN_TOKEN) {
            c.admin_token = Some(validate_token(env::OTELKIT_ADMIN_TOKEN, v)?);
        }

        // OTLP: general settings, then each signal's own.
        let protocol = vars
            .get(env::OTEL_EXPORTER_OTLP_PROTOCOL)
            .map(|v| Protocol::parse(env::OTEL_EXPORTER_OTLP_PROTOCOL, v))
            .transpose()?;
        let base = vars
            .get(env::OTEL_EXPORTER_OTLP_ENDPOINT)
            .map(|v| validate_endpoint(env::OTEL_EXPORTER_OTLP_ENDPOINT, v.trim()))
            .transpose()?;
        let headers = vars
            .get(env::OTEL_EXPORTER_OTLP_HEADERS)
            .map(|v| parse_headers(env::OTEL_EXPORTER_OTLP_HEADERS, v))
            .transpose()?
            .unwrap_or_default();
        let timeout = vars
            .millis(env::OTEL_EXPORTER_OTLP_TIMEOUT)?
            .unwrap_or(Duration::from_secs(10));

        for sig in [&TRACES, &METRICS, &LOGS] {
            let protocol = match vars.get(sig.protocol) {
                Some(v) => Protocol::parse(sig.protocol, v)?,
                None => protocol.unwrap_or_default(),
            };
            let own = vars
                .get(sig.endpoint)
                .map(|v| validate_endpoint(sig.endpoint, v.trim()))
                .transpose()?;
            let endpoint = match (own, &base) {
                (Some(own), _) => Some(own),
                (None, Some(base)) => Some(signal_url(base, protocol, sig.name)),
                (None, None) => None,
            };
            let mut hdrs = headers.clone();
            if let Some(v) = vars.get(sig.headers) {
                merge_headers(&mut hdrs, parse_headers(sig.headers, v)?);
            }
            let timeout = vars.millis(sig.timeout)?.unwrap_or(timeout);

            let allowed = if sig.name == "metrics" {
                "a comma-separated list of otlp, prometheus, console, none"
            } else {
                "a comma-separated list of otlp, console, none"
            };
            let exporters = match vars.get(sig.exporter) {
                Some(v) => {
                    let mut e = Exporters::default();
                    for item in v.split(',').map(str::trim) {
                        match item {
                            "otlp" => e.otlp = true,
                            "console" => e.console = true,
                            "prometheus" if sig.name == "metrics" => e.prometheus = true,
                            "none" => {}
                            _ => return Err(invalid(sig.exporter, v, allowed)),
                        }
                    }
                    e
                }
                // The default: OTLP when an endpoint is set; Prometheus always for metrics.
                None => Exporters {
                    otlp: endpoint.is_some(),
                    console: false,
                    prometheus: sig.name == "metrics",
                },
            };
            let target = exporters.otlp.then(|| OtlpTarget {
                endpoint: endpoint
                    .clone()
                    .unwrap_or_else(|| signal_url(protocol.default_endpoint(), protocol, sig.name)),
                protocol,
                headers: hdrs,
                timeout,
            });
            match sig.name {
                "traces" => (c.traces, c.traces_otlp) = (exporters, target),
                "metrics" => (c.metrics, c.metrics_otlp) = (exporters, target),
                _ => (c.logs, c.logs_otlp) = (exporters, target),
            }
        }
        Ok(c)
    }

    /// A configuration that records nothing and exports nothing: the handle and every
    /// instrument still work. The same as `OTEL_SDK_DISABLED=true`.
    ///
    /// ```
    /// let telemetry = otelkit::init(otelkit::Config::disabled()).unwrap();
    /// assert!(telemetry.prometheus_addr().is_none());
    /// ```
    pub fn disabled() -> Config {
        Config {
            disabled: true,
            ..Config::default()
        }
    }

    /// Sets `service.name`. Code wins over `OTEL_SERVICE_NAME`.
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Sets `service.name` unless `OTEL_SERVICE_NAME` (or `service.name` in
    /// `OTEL_RESOURCE_ATTRIBUTES`) already did: the code names the service, operators may rename it.
    ///
    /// ```
    /// let c = otelkit::Config::from_vars([("OTEL_SERVICE_NAME", "ops-name")]).unwrap()
    ///     .with_default_service_name("code-name");
    /// assert_eq!(c.service_name(), "ops-name");
    /// ```
    pub fn with_default_service_name(mut self, name: impl Into<String>) -> Self {
        if self.service_name.is_none() && !self.resource_attributes.contains_key("service.name") {
            self.service_name = Some(name.into());
        }
        self
    }

    /// Sets `service.version`. Code wins over `OTEL_RESOURCE_ATTRIBUTES`. Default: unset.
    pub fn with_service_version(mut self, version: impl Into<String>) -> Self {
        self.service_version = Some(version.into());
        self
    }

    /// Sets `deployment.environment.name` (`production`, `staging`, …). Code wins over
    /// `OTEL_RESOURCE_ATTRIBUTES`. Default: unset.
    pub fn with_environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// Adds a resource attribute. Code wins over `OTEL_RESOURCE_ATTRIBUTES`.
    pub fn with_resource_attribute(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.resource_attributes.insert(key.into(), value.into());
        self
    }

    /// Console log format. Code wins over `OTEL_LOG_FORMAT`. Default: [`LogFormat::Text`].
    pub fn with_log_format(mut self, format: LogFormat) -> Self {
        self.log_format = format;
        self
    }

    /// `tracing` filter in `EnvFilter` syntax. Code wins over `RUST_LOG`. Default: `info`
    /// (with the `opentelemetry*` crates at `warn`).
    pub fn with_log_filter(mut self, filter: impl Into<String>) -> Result<Self, Error> {
        let filter = filter.into();
        validate_filter("with_log_filter", &filter)?;
        self.log_filter = filter;
        Ok(self)
    }

    /// The sampler. Code wins over `OTEL_TRACES_SAMPLER`. Default: [`Sampler::ParentBasedAlwaysOn`].
    /// A ratio outside 0..=1 is an error.
    pub fn with_sampler(mut self, sampler: Sampler) -> Result<Self, Error> {
        if let Sampler::TraceIdRatio(r) | Sampler::ParentBasedTraceIdRatio(r) = sampler {
            if !(0.0..=1.0).contains(&r) {
                return Err(Error::InvalidConfig {
                    field: "with_sampler",
                    value: r.to_string(),
                    allowed: "a ratio from 0.0 to 1.0",
                });
            }
        }
        self.sampler = sampler;
        Ok(self)
    }

    /// Sends every signal over OTLP to `endpoint` (as `OTEL_EXPORTER_OTLP_ENDPOINT` would).
    /// Code wins over the environment. For HTTP, `/v1/{signal}` is appended.
    pub fn with_otlp(mut self, endpoint: &str, protocol: Protocol) -> Result<Self, Error> {
        let base = validate_endpoint("with_otlp", endpoint).map_err(|_| Error::InvalidConfig {
            field: "with_otlp",
            value: endpoint.to_string(),
            allowed: "an http:// URL with a host (TLS is not built in yet)",
        })?;
        for (name, slot, exporters) in [
            ("traces", &mut self.traces_otlp, &mut self.traces),
            ("metrics", &mut self.metrics_otlp, &mut self.metrics),
            ("logs", &mut self.logs_otlp, &mut self.logs),
        ] {
            let previous = slot.take();
            *slot = Some(OtlpTarget {
                endpoint: signal_url(&base, protocol, name),
                protocol,
                headers: previous
                    .as_ref()
                    .map(|p| p.headers.clone())
                    .unwrap_or_default(),
                timeout: previous
                    .map(|p| p.timeout)
                    .unwrap_or(Duration::from_secs(10)),
            });
            exporters.otlp = true;
        }
        Ok(self)
    }

    /// Adds a header (gRPC metadata) to every OTLP export. Code wins over
    /// `OTEL_EXPORTER_OTLP_HEADERS` for the same key. Takes effect on targets
    /// configured before this call.
    pub fn with_otlp_header(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, Error> {
        let (key, value) = (key.into(), value.into());
        check_header("with_otlp_header", &key, &value).map_err(|_| Error::InvalidConfig {
            field: "with_otlp_header",
            value: format!("{key}={value}"),
            allowed: "a lowercase-insensitive token name and a value without control characters",
        })?;
        for t in [
            &mut self.traces_otlp,
            &mut self.metrics_otlp,
            &mut self.logs_otlp,
        ]
        .into_iter()
        .flatten()
        {
            merge_headers(&mut t.headers, vec![(key.clone(), value.clone())]);
        }
        Ok(self)
    }

    /// Serves `/metrics` on a built-in listener at `host:port`. Code wins over
    /// `OTEL_EXPORTER_PROMETHEUS_HOST`/`_PORT`. Default `127.0.0.1:9464`; port 0 picks a free port.
    pub fn with_prometheus_listener(mut self, host: impl Into<String>, port: u16) -> Self {
        self.prometheus_host = host.into();
        self.prometheus_port = port;
        self.prometheus_listener = true;
        self
    }

    /// Keeps the Prometheus exposition (readable from the handle) but starts no listener,
    /// for services that serve it on their own router.
    pub fn without_prometheus_listener(mut self) -> Self {
        self.prometheus_listener = false;
        self
    }

    /// Time limit of [`Telemetry::shutdown`](crate::Telemetry::shutdown). Code wins over
    /// `OTELKIT_SHUTDOWN_TIMEOUT`. Default 5 s. Zero is an error.
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Result<Self, Error> {
        if timeout.is_zero() {
            return Err(Error::InvalidConfig {
                field: "with_shutdown_timeout",
                value: "0s".into(),
                allowed: "a duration greater than zero",
            });
        }
        self.shutdown_timeout = timeout;
        Ok(self)
    }

    /// Interval between OTLP metric exports. Code wins over `OTEL_METRIC_EXPORT_INTERVAL`.
    /// Default 60 s. Zero is an error.
    pub fn with_metric_interval(mut self, interval: Duration) -> Result<Self, Error> {
        if interval.is_zero() {
            return Err(Error::InvalidConfig {
                field: "with_metric_interval",
                value: "0s".into(),
                allowed: "a duration greater than zero",
            });
        }
        self.metric_interval = interval;
        Ok(self)
    }

    /// Requires `Authorization: Bearer {token}` on `/metrics` and `/health`; `/health/live`,
    /// `/health/ready` and `/status` stay public and show no details. Code wins over
    /// `OTELKIT_ADMIN_TOKEN`. Default: no token.
    pub fn with_admin_token(mut self, token: impl Into<String>) -> Result<Self, Error> {
        let token = token.into();
        self.admin_token =
            Some(
                validate_token("with_admin_token", &token).map_err(|_| Error::InvalidConfig {
                    field: "with_admin_token",
                    value: "(hidden)".into(),
                    allowed: TOKEN_RULE,
                })?,
            );
        Ok(self)
    }

    /// Database operations slower than this log a `WARN` with the sanitized statement.
    /// Code wins over `OTELKIT_DB_SLOW_QUERY_MS`. Default 500 ms.
    pub fn with_slow_query_threshold(mut self, threshold: Duration) -> Self {
        self.slow_query = threshold;
        self
    }

    /// Records LLM prompts and completions on spans, redacted and truncated. Code wins
    /// over `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`. Default off.
    pub fn with_genai_content_capture(mut self, on: bool) -> Self {
        self.genai_capture = on;
        self
    }

    /// How many tenants get their own `tenant` label on LLM cost and tokens (the rest
    /// are `other`). Code wins over `OTELKIT_GENAI_TENANT_LIMIT`. Default 100.
    pub fn with_genai_tenant_limit(mut self, tenants: usize) -> Self {
        self.genai_tenant_limit = tenants;
        self
    }

    /// How long a health check's result is reused before it runs again. Code wins over
    /// `OTELKIT_HEALTH_CACHE_TTL`. Default 5 s. Zero is an error.
    pub fn with_health_ttl(mut self, ttl: Duration) -> Result<Self, Error> {
        if ttl.is_zero() {
            return Err(Error::InvalidConfig {
                field: "with_health_ttl",
                value: "0s".into(),
                allowed: "a duration greater than zero",
            });
        }
        self.health_ttl = ttl;
        Ok(self)
    }

    /// Does not install a global `tracing` subscriber; for applications that build their
    /// own and add otelkit's layers, or for tests that need several pipelines.
    pub fn without_global_subscriber(mut self) -> Self {
        self.install_subscriber = false;
        self
    }

    /// The `service.name` that will be reported: the builder's, else `OTEL_SERVICE_NAME`,
    /// else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:{executable}`.
    pub fn service_name(&self) -> String {
        if let Some(name) = &self.service_name {
            return name.clone();
        }
        if let Some(name) = self.resource_attributes.get("service.name") {
            return name.clone();
        }
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        if exe.is_empty() {
            "unknown_service".to_string()
        } else {
            format!("unknown_service:{exe}")
        }
    }

    /// Where traces go over OTLP, if they do.
    pub fn otlp_traces(&self) -> Option<&OtlpTarget> {
        self.traces_otlp.as_ref()
    }

    /// Where metrics go over OTLP, if they do.
    pub fn otlp_metrics(&self) -> Option<&OtlpTarget> {
        self.metrics_otlp.as_ref()
    }

    /// Where logs go over OTLP, if they do.
    pub fn otlp_logs(&self) -> Option<&OtlpTarget> {
        self.logs_otlp.as_ref()
    }

    /// The sampler in effect.
    pub fn sampler(&self) -> Sampler {
        self.sampler
    }

    /// Whether everything is switched off (`OTEL_SDK_DISABLED=true`).
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }
}

const TOKEN_RULE: &str = "at least 16 visible ASCII characters without spaces";

/// A token short enough to guess, or one that cannot travel in a header, is refused.
fn validate_token(var: &'static str, v: &str) -> Result<String, Error> {
    let v = v.trim();
    if v.len() >= 16 && v.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(v.to_string())
    } else {
        // The value is a secret: never echo it.
        Err(Error::InvalidEnv {
            var,
            value: "(hidden)".into(),
            allowed: TOKEN_RULE,
        })
    }
}

fn parse_bool(var: &'static str, v: &str) -> Result<bool, Error> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(var, v, "true or false")),
    }
}

fn validate_filter(var: &'static str, v: &str) -> Result<(), Error> {
    tracing_subscriber::EnvFilter::builder()
        .parse(v)
        .map(|_| ())
        .map_err(|_| Error::InvalidEnv {
            var,
            value: v.to_string(),
            allowed: "an EnvFilter directive list such as `info` or `info,my_crate=debug`",
        })
}

fn parse_sampler(name: Option<&str>, arg: Option<&str>) -> Result<Sampler, Error> {
    let ratio = || -> Result<f64, Error> {
        match arg {
            None => Ok(1.0),
            Some(a) => match a.trim().parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                _ => Err(invalid(
                    env::OTEL_TRACES_SAMPLER_ARG,
                    a,
                    "a ratio from 0.0 to 1.0",
                )),
            },
        }
    };
    let Some(name) = name else {
        // A stray ratio with no sampler is still checked: it is a typo waiting to bite.
        ratio()?;
        return Ok(Sampler::ParentBasedAlwaysOn);
    };
    Ok(match name.trim() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatio(ratio()?),
        "parentbased_always_on" => Sampler::ParentBasedAlwaysOn,
        "parentbased_always_off" => Sampler::ParentBasedAlwaysOff,
        "parentbased_traceidratio" => Sampler::ParentBasedTraceIdRatio(ratio()?),
        _ => return Err(invalid(env::OTEL_TRACES_SAMPLER, name, SAMPLERS)),
    })
}

fn parse_propagators(v: &str) -> Result<(bool, bool), Error> {
    let (mut tc, mut bg) = (false, false);
    for p in v.split(',').map(str::trim) {
        match p {
            "tracecontext" => tc = true,
            "baggage" => bg = true,
            "none" => {}
            _ => {
                return Err(invalid(
                    env::OTEL_PROPAGATORS,
                    v,
                    "a comma-separated list of tracecontext, baggage, none",
                ))
            }
        }
    }
    Ok((tc, bg))
}

fn parse_batch(
    vars: &Vars,
    default: BatchSettings,
    [delay, timeout, queue, batch]: [&'static str; 4],
) -> Result<BatchSettings, Error> {
    let s = BatchSettings {
        schedule_delay: vars.millis(delay)?.unwrap_or(default.schedule_delay),
        export_timeout: vars.millis(timeout)?.unwrap_or(default.export_timeout),
        max_queue_size: vars.count(queue)?.unwrap_or(default.max_queue_size),
        max_export_batch_size: vars.count(batch)?.unwrap_or(default.max_export_batch_size),
    };
    if s.max_export_batch_size > s.max_queue_size {
        return Err(Error::InvalidEnv {
            var: batch,
            value: s.max_export_batch_size.to_string(),
            allowed: "a batch size no larger than the queue size",
        });
    }
    Ok(s)
}

fn validate_endpoint(var: &'static str, v: &str) -> Result<String, Error> {
    let ok = v
        .parse::<axum::http::Uri>()
        .ok()
        .filter(|u| matches!(u.scheme_str(), Some("http" | "https")))
        .filter(|u| u.host().is_some_and(|h| !h.is_empty()));
    match ok {
        // TLS to the collector is not built in yet: refuse now rather than fail every export.
        Some(u) if u.scheme_str() == Some("https") => Err(invalid(
            var,
            v,
            "an http:// URL: this build of otelkit has no TLS client yet; send to a local collector over http:// and let it speak TLS onward",
        )),
        Some(_) => Ok(v.to_string()),
        None => Err(invalid(
            var,
            v,
            "an http:// URL with a host, e.g. http://localhost:4318",
        )),
    }
}

/// The URL one signal is sent to, given a base endpoint: HTTP appends `/v1/{signal}`.
fn signal_url(base: &str, protocol: Protocol, signal: &str) -> String {
    match protocol {
        Protocol::Grpc => base.to_string(),
        Protocol::HttpProtobuf => format!("{}/v1/{signal}", base.trim_end_matches('/')),
    }
}

/// `key=value,key2=value2`, values percent-decoded, as in `OTEL_RESOURCE_ATTRIBUTES`.
fn parse_pairs(var: &'static str, v: &str) -> Result<Vec<(String, String)>, Error> {
    let bad = || {
        invalid(
            var,
            v,
            "a comma-separated list of key=value pairs with non-empty keys and percent-encoded values",
        )
    };
    let mut out = Vec::new();
    for item in v.split(',') {
        if item.trim().is_empty() {
            continue;
        }
        let (k, val) = item.split_once('=').ok_or_else(bad)?;
        let k = k.trim();
        if k.is_empty() {
            return Err(bad());
        }
        out.push((k.to_string(), percent_decode(val.trim()).ok_or_else(bad)?));
    }
    Ok(out)
}

fn parse_headers(var: &'static str, v: &str) -> Result<Vec<(String, String)>, Error> {
    let pairs = parse_pairs(var, v)?;
    for (k, val) in &pairs {
        // Name the variable's value as written, not as decoded.
        check_header(var, k, val).map_err(|_| Error::InvalidEnv {
            var,
            value: v.to_string(),
            allowed: HEADER_RULE,
        })?;
    }
    Ok(pairs)
}

fn check_header(var: &'static str, k: &str, v: &str) -> Result<(), Error> {
    let name_ok = axum::http::HeaderName::from_bytes(k.as_bytes()).is_ok();
    let value_ok = axum::http::HeaderValue::from_str(v).is_ok();
    if name_ok && value_ok {
        Ok(())
    } else {
        Err(Error::InvalidEnv {
            var,
            value: format!("{k}={v}"),
            allowed: HEADER_RULE,
        })
    }
}

const HEADER_RULE: &str =
    "header names made of token characters and values without control characters";

fn merge_headers(into: &mut Vec<(String, String)>, more: Vec<(String, String)>) {
    for (k, v) in more {
        into.retain(|(old, _)| !old.eq_ignore_ascii_case(&k));
        into.push((k, v));
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(vars: &[(&str, &str)]) -> String {
        Config::from_vars(vars.iter().copied())
            .expect_err("should be rejected")
            .to_string()
    }

    #[test]
    fn defaults_are_prometheus_only() {
        let c = Config::from_vars(Vec::<(String, String)>::new()).unwrap();
        assert!(c.metrics.prometheus);
        assert!(!c.metrics.otlp && !c.traces.otlp && !c.logs.otlp);
        assert!(c.otlp_traces().is_none());
        assert_eq!(c.sampler(), Sampler::ParentBasedAlwaysOn);
        assert_eq!(
            (c.prometheus_host.as_str(), c.prometheus_port),
            ("127.0.0.1", 9464)
        );
        assert_eq!(c.shutdown_timeout, Duration::from_secs(5));
    }

    #[test]
    fn endpoint_turns_on_otlp_for_every_signal() {
        let c = Config::from_vars([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")]).unwrap();
        assert_eq!(c.otlp_traces().unwrap().endpoint, "http://c:4318/v1/traces");
        assert_eq!(
            c.otlp_metrics().unwrap().endpoint,
            "http://c:4318/v1/metrics"
        );
        assert_eq!(c.otlp_logs().unwrap().endpoint, "http://c:4318/v1/logs");
        assert!(c.metrics.prometheus, "Prometheus stays on by default");
    }

    #[test]
    fn signal_variables_win_over_general_ones() {
        let c = Config::from_vars([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            (
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                "http://logs:4318/custom",
            ),
            ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=x%20y"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700"),
        ])
        .unwrap();
        let t = c.otlp_traces().unwrap();
        assert_eq!(t.endpoint, "http://c:4317");
        assert_eq!(t.protocol, Protocol::Grpc);
        assert_eq!(
            t.headers,
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(t.timeout, Duration::from_millis(2500));
        assert_eq!(
            c.otlp_metrics().unwrap().timeout,
            Duration::from_millis(700)
        );
        let l = c.otlp_logs().unwrap();
        assert_eq!(l.endpoint, "http://logs:4318/custom");
        assert_eq!(l.protocol, Protocol::HttpProtobuf);
        assert_eq!(l.headers[1], ("b".into(), "x y".into()));
    }

    #[test]
    fn exporter_lists() {
        let c = Config::from_vars([
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "console"),
        ])
        .unwrap();
        assert_eq!(
            c.otlp_traces().unwrap().endpoint,
            "http://localhost:4318/v1/traces"
        );
        assert!(!c.metrics.prometheus && !c.metrics.otlp);
        assert!(c.logs.console && !c.logs.otlp);
        assert!(err(&[("OTEL_TRACES_EXPORTER", "prometheus")]).contains("OTEL_TRACES_EXPORTER"));
        assert!(err(&[("OTEL_LOGS_EXPORTER", "jaeger")]).contains("otlp, console, none"));
    }

    #[test]
    fn samplers() {
        let c = Config::from_vars([
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ])
        .unwrap();
        assert_eq!(c.sampler(), Sampler::ParentBasedTraceIdRatio(0.25));
        let c = Config::from_vars([("OTEL_TRACES_SAMPLER", "always_off")]).unwrap();
        assert_eq!(c.sampler(), Sampler::AlwaysOff);
    }

    #[test]
    fn every_bad_value_names_its_variable() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                "udp",
                "grpc or http/protobuf",
            ),
            (
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                "http/json",
                "grpc or http/protobuf",
            ),
            (
                "OTEL_TRACES_SAMPLER",
                "jaeger_remote",
                "parentbased_traceidratio",
            ),
            ("OTEL_TRACES_SAMPLER_ARG", "1.5", "0.0 to 1.0"),
            ("OTEL_TRACES_SAMPLER_ARG", "-0.1", "0.0 to 1.0"),
            ("OTEL_TRACES_SAMPLER_ARG", "half", "0.0 to 1.0"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "novalue", "key=value"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "=x", "key=value"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "bad key=x", "header names"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "k=%zz", "percent-encoded"),
            (
                "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
                "k=a%0Ab",
                "control characters",
            ),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "collector:4317",
                "http:// URL",
            ),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://c:21", "http:// URL"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://c:4317",
                "no TLS client",
            ),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "not a url",
                "http:// URL",
            ),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "0", "greater than 0"),
            ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "10s", "milliseconds"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "0", "greater than 0"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "-1", "whole number"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "soon", "milliseconds"),
            ("OTEL_SDK_DISABLED", "yes", "true or false"),
            (
                "OTEL_PROPAGATORS",
                "tracecontext,b3",
                "tracecontext, baggage, none",
            ),
            ("OTEL_RESOURCE_ATTRIBUTES", "team", "key=value"),
            ("OTEL_LOG_FORMAT", "xml", "text or json"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "99999", "port number"),
            ("OTELKIT_SHUTDOWN_TIMEOUT", "0", "greater than 0"),
            ("RUST_LOG", "info,[[", "EnvFilter"),
            ("OTELKIT_HEALTH_CACHE_TTL", "0", "greater than 0"),
            (
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                "maybe",
                "true or false",
            ),
            ("OTELKIT_GENAI_TENANT_LIMIT", "lots", "whole number"),
        ];
        for (var, value, allowed) in cases {
            let msg = err(&[(var, value)]);
            assert!(msg.contains(var), "{var}={value}: {msg}");
            assert!(msg.contains(&format!("{value:?}")), "{var}={value}: {msg}");
            assert!(msg.contains(allowed), "{var}={value}: {msg}");
        }
        let msg = err(&[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "10"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "20"),
        ]);
        assert!(msg.contains("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") && msg.contains("queue size"));
    }

    #[test]
    fn builder_errors_name_the_field() {
        let c = Config::default();
        let e = c
            .clone()
            .with_sampler(Sampler::TraceIdRatio(2.0))
            .unwrap_err();
        assert!(e.to_string().contains("with_sampler"), "{e}");
        let e = c
            .clone()
            .with_otlp("localhost:4317", Protocol::Grpc)
            .unwrap_err();
        assert!(e.to_string().contains("with_otlp"), "{e}");
        let e = c.clone().with_shutdown_timeout(Duration::ZERO).unwrap_err();
        assert!(e.to_string().contains("with_shutdown_timeout"), "{e}");
        let e = c.clone().with_otlp_header("bad key", "v").unwrap_err();
        assert!(e.to_string().contains("with_otlp_header"), "{e}");
        let e = c.with_metric_interval(Duration::ZERO).unwrap_err();
        assert!(e.to_string().contains("with_metric_interval"), "{e}");
    }

    #[test]
    fn admin_tokens_are_checked_and_never_echoed() {
        let c = Config::from_vars([("OTELKIT_ADMIN_TOKEN", "0123456789abcdef")]).unwrap();
        assert_eq!(c.admin_token.as_deref(), Some("0123456789abcdef"));
        for bad in ["short", "has a space in it ok", "tab\there-is-long-enough"] {
            let msg = err(&[("OTELKIT_ADMIN_TOKEN", bad)]);
            assert!(
                msg.contains("OTELKIT_ADMIN_TOKEN") && msg.contains("16 visible"),
                "{msg}"
            );
            assert!(!msg.contains(bad), "the token leaked into {msg}");
        }
        let e = Config::default().with_admin_token("tiny").unwrap_err();
        assert!(e.to_string().contains("with_admin_token") && !e.to_string().contains("tiny"));
    }

    #[test]
    fn builder_wins_over_env() {
        let c = Config::from_vars([
            ("OTEL_SERVICE_NAME", "from-env"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=attr,team=core"),
        ])
        .unwrap();
        assert_eq!(c.service_name(), "from-env");
        let c = c.with_service_name("from-code");
        assert_eq!(c.service_name(), "from-code");
        assert_eq!(c.resource_attributes["team"], "core");
        let c = Config::from_vars([("OTEL_RESOURCE_ATTRIBUTES", "service.name=attr")]).unwrap();
        assert_eq!(c.service_name(), "attr");
    }

    #[test]
    fn disabled_and_empty_values() {
        let c =
            Config::from_vars([("OTEL_SDK_DISABLED", "TRUE"), ("OTEL_SERVICE_NAME", "")]).unwrap();
        assert!(c.is_disabled());
        assert!(c.service_name().starts_with("unknown_service"));
    }
}
