//! The value types a [`Config`](super::Config) is made of.

use std::time::Duration;

use crate::error::Error;
use crate::Signal;

/// OTLP transport.
///
/// ```
/// assert_eq!(ferrotel::Protocol::default(), ferrotel::Protocol::HttpProtobuf);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// OTLP over gRPC (`tonic`), conventionally port 4317.
    Grpc,
    /// OTLP protobuf over HTTP POST, conventionally port 4318. The specification's default.
    #[default]
    HttpProtobuf,
    /// OTLP JSON over HTTP POST (`http/json`): larger and slower than protobuf, for
    /// receivers or proxies that only take JSON.
    HttpJson,
}

impl Protocol {
    pub(crate) fn parse(var: &'static str, v: &str) -> Result<Self, Error> {
        match v.trim() {
            "grpc" => Ok(Protocol::Grpc),
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            "http/json" => Ok(Protocol::HttpJson),
            _ => Err(super::parse::invalid(
                var,
                v,
                "grpc, http/protobuf or http/json",
            )),
        }
    }

    pub(crate) fn default_endpoint(self) -> &'static str {
        match self {
            Protocol::Grpc => "http://localhost:4317",
            Protocol::HttpProtobuf | Protocol::HttpJson => "http://localhost:4318",
        }
    }

    /// The URL one signal is sent to, given a base endpoint: HTTP appends `/v1/{signal}`.
    pub(crate) fn signal_url(self, base: &str, signal: Signal) -> String {
        match self {
            Protocol::Grpc => base.to_string(),
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                format!("{}/v1/{signal}", base.trim_end_matches('/'))
            }
        }
    }
}

/// As `OTEL_EXPORTER_OTLP_PROTOCOL` spells it.
///
/// ```
/// assert_eq!(ferrotel::Protocol::Grpc.to_string(), "grpc");
/// ```
impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
        })
    }
}

/// Which traces are recorded.
///
/// The `ParentBased*` samplers follow the caller's decision when a request
/// carries a sampled or unsampled `traceparent`, and apply the inner rule to
/// new traces.
///
/// ```
/// assert_eq!(ferrotel::Sampler::default(), ferrotel::Sampler::ParentBasedAlwaysOn);
/// ```
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

impl Sampler {
    /// The ratio, for the ratio-based samplers.
    pub(crate) fn ratio(self) -> Option<f64> {
        match self {
            Sampler::TraceIdRatio(r) | Sampler::ParentBasedTraceIdRatio(r) => Some(r),
            _ => None,
        }
    }
}

/// As `OTEL_TRACES_SAMPLER` (and `_ARG`) spell it.
///
/// ```
/// assert_eq!(ferrotel::Sampler::ParentBasedTraceIdRatio(0.25).to_string(), "parentbased_traceidratio 0.25");
/// ```
impl std::fmt::Display for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sampler::AlwaysOn => f.write_str("always_on"),
            Sampler::AlwaysOff => f.write_str("always_off"),
            Sampler::TraceIdRatio(r) => write!(f, "traceidratio {r}"),
            Sampler::ParentBasedAlwaysOn => f.write_str("parentbased_always_on"),
            Sampler::ParentBasedAlwaysOff => f.write_str("parentbased_always_off"),
            Sampler::ParentBasedTraceIdRatio(r) => write!(f, "parentbased_traceidratio {r}"),
        }
    }
}

/// Console log line format.
///
/// ```
/// assert_eq!(ferrotel::LogFormat::default(), ferrotel::LogFormat::Text);
/// ```
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
///
/// ```
/// let resolved = ferrotel::Config::default().resolve().unwrap();
/// assert_eq!(resolved.batch(ferrotel::Signal::Traces).max_queue_size, 2048);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchSettings {
    /// Delay between two exports.
    pub schedule_delay: Duration,
    /// Time limit of one export.
    pub export_timeout: Duration,
    /// Queue capacity: items beyond it are dropped and counted, never blocking the app.
    /// At most 1,048,576; a larger value is an error naming the variable.
    pub max_queue_size: usize,
    /// Most items in one export (at most the queue size).
    pub max_export_batch_size: usize,
    /// Queue capacity in bytes (an estimate of each item's memory), counting items until
    /// their export has finished: items beyond it are dropped and counted like a full
    /// queue. Default 16 MiB.
    pub max_queue_bytes: usize,
    /// Longest string attribute value (and log body), in characters; longer ones are cut
    /// before they are queued. Default 4096.
    pub max_value_chars: usize,
    /// Exports in flight at once. While one waits for the collector's answer the next
    /// batch is already on its way, so a slow round trip does not fill the queue.
    /// Default 2; 1 exports one batch at a time, as the SDK's batch processors do.
    pub max_concurrent_exports: usize,
}

impl BatchSettings {
    pub(crate) const SPANS: BatchSettings = BatchSettings {
        schedule_delay: Duration::from_millis(5000),
        export_timeout: Duration::from_millis(30000),
        max_queue_size: 2048,
        max_export_batch_size: 512,
        max_queue_bytes: 16 << 20,
        max_value_chars: 4096,
        max_concurrent_exports: 2,
    };
    pub(crate) const LOGS: BatchSettings = BatchSettings {
        schedule_delay: Duration::from_millis(1000),
        export_timeout: Duration::from_millis(30000),
        max_queue_size: 2048,
        max_export_batch_size: 512,
        max_queue_bytes: 16 << 20,
        max_value_chars: 4096,
        max_concurrent_exports: 2,
    };
}

/// Where one signal goes over OTLP.
///
/// ```
/// let c = ferrotel::Config::from_vars([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]).unwrap();
/// let t = c.resolve().unwrap().otlp(ferrotel::Signal::Logs).unwrap().clone();
/// assert_eq!(t.endpoint, "http://c:4318/v1/logs");
/// ```
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
    /// Whether exports are gzip-compressed (`OTEL_EXPORTER_OTLP_COMPRESSION=gzip`).
    pub gzip: bool,
    /// What an `https://` endpoint is checked against and what the client presents.
    pub tls: TlsFiles,
}

/// TLS material of one OTLP target, read from the files `OTEL_EXPORTER_OTLP_CERTIFICATE`,
/// `_CLIENT_CERTIFICATE` and `_CLIENT_KEY` (or their per-signal forms) name. Without a
/// CA file the system's roots and the webpki roots are trusted.
///
/// ```
/// let c = ferrotel::Config::from_vars([("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318")]).unwrap();
/// let t = c.resolve().unwrap().otlp(ferrotel::Signal::Traces).unwrap().clone();
/// assert!(t.tls.ca.is_none() && t.tls.client.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsFiles {
    /// The trusted CA certificate(s), instead of the system's and webpki roots.
    pub ca: Option<Pem>,
    /// Client certificate chain and private key, for mutual TLS.
    pub client: Option<(Pem, Pem)>,
}

/// A PEM file's path and contents; its `Debug` shows the path only, so a private key
/// never reaches a log line.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("ferrotel-pem-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("key.pem");
/// # std::fs::write(&path, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n").unwrap();
/// let pem = ferrotel::Pem::read(&path).unwrap();
/// assert!(!format!("{pem:?}").contains("c2VjcmV0"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Pem {
    /// Where it was read from.
    pub path: std::path::PathBuf,
    pub(crate) bytes: std::sync::Arc<[u8]>,
}

impl Pem {
    /// Reads a PEM file: the error is the I/O error's words (the caller names the variable).
    pub fn read(path: impl AsRef<std::path::Path>) -> std::io::Result<Pem> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)?;
        if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "no PEM block (-----BEGIN …) in the file",
            ));
        }
        Ok(Pem {
            path: path.to_path_buf(),
            bytes: bytes.into(),
        })
    }

    /// The file's contents.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Pem").field(&self.path).finish()
    }
}

/// How many attributes, events and links a span keeps (`OTEL_SPAN_*_COUNT_LIMIT`); the
/// SDK drops the rest and counts them on the span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpanCounts {
    pub(crate) attributes: u32,
    pub(crate) events: u32,
    pub(crate) links: u32,
    pub(crate) event_attributes: u32,
    pub(crate) link_attributes: u32,
}

/// Metric temporality asked of OTLP (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum TemporalityPreference {
    #[default]
    Cumulative,
    Delta,
    LowMemory,
}

/// One propagator `OTEL_PROPAGATORS` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Propagator {
    /// W3C `traceparent`/`tracestate`.
    TraceContext,
    /// W3C `baggage`.
    Baggage,
    /// Zipkin's B3, one `b3` header.
    B3,
    /// Zipkin's B3, `X-B3-*` headers.
    B3Multi,
    /// Jaeger's `uber-trace-id`.
    Jaeger,
}

/// Which exporters a signal uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Exporters {
    pub(crate) otlp: bool,
    pub(crate) console: bool,
    /// Metrics only: the in-process Prometheus exposition.
    pub(crate) prometheus: bool,
}
