//! Names of every environment variable ferrotel reads, as documented constants.
//!
//! ```
//! assert_eq!(ferrotel::env::OTEL_SERVICE_NAME, "OTEL_SERVICE_NAME");
//! assert!(ferrotel::env::ALL.contains(&"FERROTEL_ADMIN_TOKEN"));
//! ```

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
/// OTLP: `gzip` compresses every export (default: none).
pub const OTEL_EXPORTER_OTLP_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_COMPRESSION";
/// OTLP: compression of span exports (wins over the general one).
pub const OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION";
/// OTLP: compression of metric exports.
pub const OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION";
/// OTLP: compression of log exports.
pub const OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: &str = "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION";
/// PEM file of the CA certificate(s) trusted for an `https://` endpoint, instead of the system's and webpki roots for every signal.
pub const OTEL_EXPORTER_OTLP_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_CERTIFICATE";
/// PEM file of the client certificate chain for mutual TLS for every signal.
pub const OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE";
/// PEM file of the client's private key for mutual TLS for every signal.
pub const OTEL_EXPORTER_OTLP_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_CLIENT_KEY";
/// `true`: an endpoint given without a scheme is reached over plain `http://` (default `https://`) for every signal.
pub const OTEL_EXPORTER_OTLP_INSECURE: &str = "OTEL_EXPORTER_OTLP_INSECURE";
/// PEM file of the CA certificate(s) trusted for an `https://` endpoint, instead of the system's and webpki roots for traces (wins over the general one).
pub const OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE";
/// PEM file of the client certificate chain for mutual TLS for traces (wins over the general one).
pub const OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE";
/// PEM file of the client's private key for mutual TLS for traces (wins over the general one).
pub const OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY";
/// `true`: an endpoint given without a scheme is reached over plain `http://` (default `https://`) for traces (wins over the general one).
pub const OTEL_EXPORTER_OTLP_TRACES_INSECURE: &str = "OTEL_EXPORTER_OTLP_TRACES_INSECURE";
/// PEM file of the CA certificate(s) trusted for an `https://` endpoint, instead of the system's and webpki roots for metrics.
pub const OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE";
/// PEM file of the client certificate chain for mutual TLS for metrics.
pub const OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE";
/// PEM file of the client's private key for mutual TLS for metrics.
pub const OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY";
/// `true`: an endpoint given without a scheme is reached over plain `http://` (default `https://`) for metrics.
pub const OTEL_EXPORTER_OTLP_METRICS_INSECURE: &str = "OTEL_EXPORTER_OTLP_METRICS_INSECURE";
/// PEM file of the CA certificate(s) trusted for an `https://` endpoint, instead of the system's and webpki roots for logs.
pub const OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE";
/// PEM file of the client certificate chain for mutual TLS for logs.
pub const OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE";
/// PEM file of the client's private key for mutual TLS for logs.
pub const OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY";
/// `true`: an endpoint given without a scheme is reached over plain `http://` (default `https://`) for logs.
pub const OTEL_EXPORTER_OTLP_LOGS_INSECURE: &str = "OTEL_EXPORTER_OTLP_LOGS_INSECURE";
/// Most series (attribute sets) one metric instrument keeps (default 2000, the SDK's);
/// measurements beyond it go to one series labelled `otel.metric.overflow="true"`.
pub const FERROTEL_METRIC_CARDINALITY_LIMIT: &str = "FERROTEL_METRIC_CARDINALITY_LIMIT";
/// Sampler name.
pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// Sampler argument (the ratio for `*traceidratio`).
pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// Interval between OTLP metric exports, in milliseconds.
pub const OTEL_METRIC_EXPORT_INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";
/// Time limit of one OTLP metric export, in milliseconds.
pub const OTEL_METRIC_EXPORT_TIMEOUT: &str = "OTEL_METRIC_EXPORT_TIMEOUT";
/// Propagators, comma-separated: `tracecontext`, `baggage`, `b3`, `b3multi`, `jaeger`, `none`.
pub const OTEL_PROPAGATORS: &str = "OTEL_PROPAGATORS";
/// Span batch: delay between exports, ms.
pub const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
/// Span batch: time limit of one export, ms.
pub const OTEL_BSP_EXPORT_TIMEOUT: &str = "OTEL_BSP_EXPORT_TIMEOUT";
/// Span batch: queue capacity; spans beyond it are dropped and counted.
pub const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
/// Span batch: most spans in one export.
pub const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
/// Span exports in flight at once (default 2; the Rust SDK's name for it).
pub const OTEL_BSP_MAX_CONCURRENT_EXPORTS: &str = "OTEL_BSP_MAX_CONCURRENT_EXPORTS";
/// ferrotel: log exports in flight at once (default 2).
pub const FERROTEL_BLRP_MAX_CONCURRENT_EXPORTS: &str = "FERROTEL_BLRP_MAX_CONCURRENT_EXPORTS";
/// Span batch: queue capacity in bytes; spans beyond it are dropped and counted.
pub const FERROTEL_BSP_MAX_QUEUE_BYTES: &str = "FERROTEL_BSP_MAX_QUEUE_BYTES";
/// Log batch: queue capacity in bytes; records beyond it are dropped and counted.
pub const FERROTEL_BLRP_MAX_QUEUE_BYTES: &str = "FERROTEL_BLRP_MAX_QUEUE_BYTES";
/// Most attributes on a span, event or link (default 128; the specific limits win).
pub const OTEL_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_ATTRIBUTE_COUNT_LIMIT";
/// Most attributes on a span.
pub const OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT";
/// Most events on a span.
pub const OTEL_SPAN_EVENT_COUNT_LIMIT: &str = "OTEL_SPAN_EVENT_COUNT_LIMIT";
/// Most links on a span.
pub const OTEL_SPAN_LINK_COUNT_LIMIT: &str = "OTEL_SPAN_LINK_COUNT_LIMIT";
/// Most attributes on a span event.
pub const OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT";
/// Most attributes on a span link.
pub const OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: &str = "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT";
/// OTLP metrics: `cumulative` (default), `delta` or `lowmemory`.
pub const OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: &str =
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
/// Longest string attribute value, in characters, for every signal.
pub const OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: &str = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT";
/// Longest string span attribute value (wins over the general limit).
pub const OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: &str = "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT";
/// Longest string log record attribute value and body (wins over the general limit).
pub const OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT: &str =
    "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT";
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
/// The SDK's own diagnostics on the console: `error`, `warn` (default), `info`, `debug`
/// or `trace` for the `opentelemetry*` crates.
pub const OTEL_LOG_LEVEL: &str = "OTEL_LOG_LEVEL";
/// ferrotel: what becomes spans and log records over OTLP, in `EnvFilter` syntax
/// (default `info`). `RUST_LOG` decides only what the console prints.
pub const FERROTEL_TELEMETRY_FILTER: &str = "FERROTEL_TELEMETRY_FILTER";
/// ferrotel: `true` makes a value ferrotel cannot use an error of `init` instead of a
/// warning (the default, as the OpenTelemetry SDK specification asks).
pub const FERROTEL_STRICT_CONFIG: &str = "FERROTEL_STRICT_CONFIG";
/// ferrotel: `false` skips the start-up line saying where telemetry goes.
pub const FERROTEL_STARTUP_LOG: &str = "FERROTEL_STARTUP_LOG";
/// ferrotel: console log format, `text` (default) or `json`.
pub const FERROTEL_LOG_FORMAT: &str = "FERROTEL_LOG_FORMAT";
/// ferrotel: bearer token required by `/metrics` and `/health` (default: none, open).
pub const FERROTEL_ADMIN_TOKEN: &str = "FERROTEL_ADMIN_TOKEN";
/// ferrotel: how long a health check result is reused, ms (default 5000).
pub const FERROTEL_HEALTH_CACHE_TTL: &str = "FERROTEL_HEALTH_CACHE_TTL";
/// ferrotel: database operations slower than this many ms log a warning (default 500).
pub const FERROTEL_DB_SLOW_QUERY_MS: &str = "FERROTEL_DB_SLOW_QUERY_MS";
/// `true` records LLM prompts and completions (redacted, truncated) on spans. Default off.
pub const OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: &str =
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
/// ferrotel: longest captured message content, in characters (default 1000).
pub const FERROTEL_GENAI_CONTENT_MAX_CHARS: &str = "FERROTEL_GENAI_CONTENT_MAX_CHARS";
/// ferrotel: tenants with their own `tenant` label on LLM cost and tokens (default 100).
pub const FERROTEL_GENAI_TENANT_LIMIT: &str = "FERROTEL_GENAI_TENANT_LIMIT";
/// ferrotel: `error.type` to `error.category` pairs over the defaults, e.g.
/// `card_declined=external_service,stale_session=session` (see `failure::CategoryMap`).
pub const FERROTEL_ERROR_CATEGORIES: &str = "FERROTEL_ERROR_CATEGORIES";
/// ferrotel: time limit of `Telemetry::shutdown`, ms (default 5000).
pub const FERROTEL_SHUTDOWN_TIMEOUT: &str = "FERROTEL_SHUTDOWN_TIMEOUT";
/// The `tracing` filter, `EnvFilter` syntax (default `info`).
pub const RUST_LOG: &str = "RUST_LOG";

/// Every variable above. [`Config::from_env`](crate::Config::from_env) reads exactly
/// these, so an unrelated variable (even one that is not UTF-8) never matters.
pub const ALL: &[&str] = &[
    OTEL_SDK_DISABLED,
    OTEL_SERVICE_NAME,
    OTEL_RESOURCE_ATTRIBUTES,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
    OTEL_EXPORTER_OTLP_LOGS_PROTOCOL,
    OTEL_EXPORTER_OTLP_HEADERS,
    OTEL_EXPORTER_OTLP_TRACES_HEADERS,
    OTEL_EXPORTER_OTLP_METRICS_HEADERS,
    OTEL_EXPORTER_OTLP_LOGS_HEADERS,
    OTEL_EXPORTER_OTLP_TIMEOUT,
    OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
    OTEL_EXPORTER_OTLP_METRICS_TIMEOUT,
    OTEL_EXPORTER_OTLP_LOGS_TIMEOUT,
    OTEL_EXPORTER_OTLP_COMPRESSION,
    OTEL_EXPORTER_OTLP_TRACES_COMPRESSION,
    OTEL_EXPORTER_OTLP_METRICS_COMPRESSION,
    OTEL_EXPORTER_OTLP_LOGS_COMPRESSION,
    OTEL_EXPORTER_OTLP_CERTIFICATE,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_INSECURE,
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_TRACES_INSECURE,
    OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_METRICS_INSECURE,
    OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE,
    OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE,
    OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY,
    OTEL_EXPORTER_OTLP_LOGS_INSECURE,
    FERROTEL_METRIC_CARDINALITY_LIMIT,
    OTEL_TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG,
    OTEL_METRIC_EXPORT_INTERVAL,
    OTEL_METRIC_EXPORT_TIMEOUT,
    OTEL_PROPAGATORS,
    OTEL_BSP_SCHEDULE_DELAY,
    OTEL_BSP_EXPORT_TIMEOUT,
    OTEL_BSP_MAX_QUEUE_SIZE,
    FERROTEL_BSP_MAX_QUEUE_BYTES,
    FERROTEL_BLRP_MAX_QUEUE_BYTES,
    OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT,
    OTEL_ATTRIBUTE_COUNT_LIMIT,
    OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT,
    OTEL_SPAN_EVENT_COUNT_LIMIT,
    OTEL_SPAN_LINK_COUNT_LIMIT,
    OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT,
    OTEL_LINK_ATTRIBUTE_COUNT_LIMIT,
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE,
    OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT,
    OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT,
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    OTEL_BSP_MAX_CONCURRENT_EXPORTS,
    FERROTEL_BLRP_MAX_CONCURRENT_EXPORTS,
    OTEL_BLRP_SCHEDULE_DELAY,
    OTEL_BLRP_EXPORT_TIMEOUT,
    OTEL_BLRP_MAX_QUEUE_SIZE,
    OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
    OTEL_TRACES_EXPORTER,
    OTEL_METRICS_EXPORTER,
    OTEL_LOGS_EXPORTER,
    OTEL_EXPORTER_PROMETHEUS_HOST,
    OTEL_EXPORTER_PROMETHEUS_PORT,
    FERROTEL_LOG_FORMAT,
    FERROTEL_TELEMETRY_FILTER,
    FERROTEL_STARTUP_LOG,
    FERROTEL_STRICT_CONFIG,
    FERROTEL_ADMIN_TOKEN,
    FERROTEL_HEALTH_CACHE_TTL,
    FERROTEL_DB_SLOW_QUERY_MS,
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
    FERROTEL_GENAI_CONTENT_MAX_CHARS,
    FERROTEL_GENAI_TENANT_LIMIT,
    FERROTEL_ERROR_CATEGORIES,
    FERROTEL_SHUTDOWN_TIMEOUT,
    RUST_LOG,
    OTEL_LOG_LEVEL,
];
