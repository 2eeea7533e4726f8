//! The one place precedence is applied: ferrotel's defaults, then the environment
//! (a signal's own variable over the general one), then what code set with `with_*`.
//! `init` runs it once; [`Config::resolve`](super::Config::resolve) shows the result.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::parse::{self, invalid, Vars};
use super::types::{BatchSettings, Exporters, LogFormat, OtlpTarget, Protocol, Sampler};
use super::{env, Code};
use crate::error::{Error, DEFAULT_SHUTDOWN_TIMEOUT};
use crate::signal::PerSignal;
use crate::Signal;

/// The SDK's own default series limit per instrument.
const DEFAULT_CARDINALITY: usize = 2000;

/// `info`, with the OpenTelemetry crates' own chatter (provider set, …) held to warnings.
pub(crate) const DEFAULT_FILTER: &str =
    "info,opentelemetry=warn,opentelemetry_sdk=warn,opentelemetry_otlp=warn";

/// A configuration with every choice made: what `init` builds from.
///
/// ```
/// let config = ferrotel::Config::from_vars([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
///                                           ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]).unwrap();
/// let resolved = config.resolve().unwrap();
/// assert_eq!(resolved.otlp(ferrotel::Signal::Traces).unwrap().endpoint, "http://c:4317");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Resolved {
    pub(crate) disabled: bool,
    pub(crate) service_name: String,
    pub(crate) service_version: Option<String>,
    pub(crate) environment: Option<String>,
    pub(crate) resource_attributes: BTreeMap<String, String>,
    pub(crate) log_format: LogFormat,
    pub(crate) log_filter: String,
    pub(crate) telemetry_filter: String,
    pub(crate) startup_line: bool,
    pub(crate) log_bridge: bool,
    pub(crate) span_counts: super::types::SpanCounts,
    pub(crate) temporality: super::types::TemporalityPreference,
    /// Each variable whose value could not be used and was ignored, with the reason.
    pub(crate) ignored: Vec<(&'static str, String)>,
    pub(crate) sampler: Sampler,
    pub(crate) propagators: Vec<super::types::Propagator>,
    pub(crate) exporters: PerSignal<Exporters>,
    pub(crate) otlp: PerSignal<Option<OtlpTarget>>,
    pub(crate) metric_interval: Duration,
    pub(crate) metric_cardinality: usize,
    pub(crate) metric_timeout: Duration,
    pub(crate) span_batch: BatchSettings,
    pub(crate) log_batch: BatchSettings,
    pub(crate) prometheus_host: String,
    pub(crate) prometheus_port: u16,
    pub(crate) prometheus_listener: bool,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) install_subscriber: bool,
    pub(crate) admin_token: Option<Arc<str>>,
    pub(crate) health_ttl: Duration,
    pub(crate) instruments: crate::InstrumentSettings,
}

impl Resolved {
    /// Whether everything is switched off (`OTEL_SDK_DISABLED=true`).
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// Each environment variable whose value could not be used and was ignored (the
    /// default stands in), with the reason; empty in strict mode, where each is an error.
    pub fn ignored(&self) -> Vec<&str> {
        self.ignored.iter().map(|(_, why)| why.as_str()).collect()
    }

    /// The names of the variables [`ignored`](Resolved::ignored) lists.
    pub(crate) fn ignored_vars(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.ignored.iter().map(|(var, _)| *var)
    }

    /// The `service.name` that will be reported.
    pub fn service_name(&self) -> &str {
        &self.service_name
    }

    /// Where `signal` goes over OTLP, if it does.
    pub fn otlp(&self, signal: Signal) -> Option<&OtlpTarget> {
        self.otlp.get(signal).as_ref()
    }

    /// The sampler in effect.
    pub fn sampler(&self) -> Sampler {
        self.sampler
    }

    /// Batch settings of traces (`OTEL_BSP_*`) or logs (`OTEL_BLRP_*`); metrics have none
    /// and get the span settings.
    pub fn batch(&self, signal: Signal) -> BatchSettings {
        match signal {
            Signal::Logs => self.log_batch,
            Signal::Traces | Signal::Metrics => self.span_batch,
        }
    }

    /// Whether metrics are served in-process for Prometheus to scrape.
    pub fn prometheus(&self) -> bool {
        self.exporters.get(Signal::Metrics).prometheus
    }

    /// `host:port` of the built-in `/metrics` listener, when one is started.
    pub fn prometheus_listener(&self) -> Option<String> {
        (self.prometheus() && self.prometheus_listener)
            .then(|| format!("{}:{}", self.prometheus_host, self.prometheus_port))
    }

    /// Most series one metric instrument keeps before the overflow series
    /// ([`Config::with_metric_cardinality_limit`](super::Config::with_metric_cardinality_limit)).
    pub fn metric_cardinality_limit(&self) -> usize {
        self.metric_cardinality
    }

    /// How long [`Telemetry::shutdown`](crate::Telemetry::shutdown) may take.
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }
}

/// One signal's variable names.
struct SignalVars {
    endpoint: &'static str,
    protocol: &'static str,
    headers: &'static str,
    timeout: &'static str,
    compression: &'static str,
    exporter: &'static str,
    certificate: &'static str,
    client_certificate: &'static str,
    client_key: &'static str,
    insecure: &'static str,
}

fn signal_vars(s: Signal) -> SignalVars {
    match s {
        Signal::Traces => SignalVars {
            endpoint: env::OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
            protocol: env::OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
            headers: env::OTEL_EXPORTER_OTLP_TRACES_HEADERS,
            timeout: env::OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
            compression: env::OTEL_EXPORTER_OTLP_TRACES_COMPRESSION,
            certificate: env::OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE,
            client_certificate: env::OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE,
            client_key: env::OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY,
            insecure: env::OTEL_EXPORTER_OTLP_TRACES_INSECURE,
            exporter: env::OTEL_TRACES_EXPORTER,
        },
        Signal::Metrics => SignalVars {
            endpoint: env::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
            protocol: env::OTEL_EXPORTER_OTLP_METRICS_PROTOCOL,
            headers: env::OTEL_EXPORTER_OTLP_METRICS_HEADERS,
            timeout: env::OTEL_EXPORTER_OTLP_METRICS_TIMEOUT,
            compression: env::OTEL_EXPORTER_OTLP_METRICS_COMPRESSION,
            certificate: env::OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE,
            client_certificate: env::OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE,
            client_key: env::OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY,
            insecure: env::OTEL_EXPORTER_OTLP_METRICS_INSECURE,
            exporter: env::OTEL_METRICS_EXPORTER,
        },
        Signal::Logs => SignalVars {
            endpoint: env::OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
            protocol: env::OTEL_EXPORTER_OTLP_LOGS_PROTOCOL,
            headers: env::OTEL_EXPORTER_OTLP_LOGS_HEADERS,
            timeout: env::OTEL_EXPORTER_OTLP_LOGS_TIMEOUT,
            compression: env::OTEL_EXPORTER_OTLP_LOGS_COMPRESSION,
            certificate: env::OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE,
            client_certificate: env::OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE,
            client_key: env::OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY,
            insecure: env::OTEL_EXPORTER_OTLP_LOGS_INSECURE,
            exporter: env::OTEL_LOGS_EXPORTER,
        },
    }
}

fn parse_exporters(signal: Signal, var: &'static str, v: &str) -> Result<Exporters, Error> {
    let allowed = match signal {
        Signal::Metrics => "a comma-separated list of otlp, prometheus, console, none",
        Signal::Traces | Signal::Logs => "a comma-separated list of otlp, console, none",
    };
    let mut e = Exporters::default();
    for item in v.split(',').map(str::trim) {
        match (item, signal) {
            ("otlp", _) => e.otlp = true,
            ("console", _) => e.console = true,
            ("prometheus", Signal::Metrics) if cfg!(feature = "prometheus") => e.prometheus = true,
            ("prometheus", Signal::Metrics) => {
                return Err(invalid(
                    var,
                    v,
                    "otlp, console or none: this build of ferrotel has no Prometheus exporter (enable its `prometheus` feature)",
                ))
            }
            ("none", _) => {}
            _ => return Err(invalid(var, v, allowed)),
        }
    }
    Ok(e)
}

fn positive(field: &'static str, d: Option<Duration>) -> Result<Option<Duration>, Error> {
    match d {
        Some(d) if d.is_zero() => Err(Error::InvalidConfig {
            field,
            value: "0s".into(),
            allowed: "a duration greater than zero",
        }),
        d => Ok(d),
    }
}

/// Applies defaults, then `vars`, then `code`; the first bad value is the error.
pub(crate) fn resolve(vars: &Vars, code: &Code) -> Result<Resolved, Error> {
    // The environment.
    let disabled = vars
        .get(env::OTEL_SDK_DISABLED)
        .map(|v| parse::parse_bool(env::OTEL_SDK_DISABLED, v))
        .transpose()?
        .unwrap_or(false);
    let mut resource_attributes: BTreeMap<String, String> = vars
        .get(env::OTEL_RESOURCE_ATTRIBUTES)
        .map(|v| parse::parse_pairs(env::OTEL_RESOURCE_ATTRIBUTES, v, false))
        .transpose()?
        .unwrap_or_default()
        .into_iter()
        .collect();
    let log_format = match vars.get(env::FERROTEL_LOG_FORMAT) {
        None => LogFormat::Text,
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => return Err(invalid(env::FERROTEL_LOG_FORMAT, v, "text or json")),
        },
    };
    let mut log_filter = DEFAULT_FILTER.to_string();
    if let Some(v) = vars.get(env::RUST_LOG) {
        parse::validate_filter(env::RUST_LOG, v)?;
        log_filter = v.to_string();
    }
    // The SDK's own diagnostics: its crates' level on the console, after RUST_LOG.
    if let Some(v) = vars.get(env::OTEL_LOG_LEVEL) {
        let level = v.trim().to_ascii_lowercase();
        if !["error", "warn", "info", "debug", "trace"].contains(&level.as_str()) {
            return Err(parse::invalid(
                env::OTEL_LOG_LEVEL,
                v,
                "error, warn, info, debug or trace",
            ));
        }
        for krate in ["opentelemetry", "opentelemetry_sdk", "opentelemetry_otlp"] {
            log_filter.push_str(&format!(",{krate}={level}"));
        }
    }
    let mut telemetry_filter = DEFAULT_FILTER.to_string();
    if let Some(v) = vars.get(env::FERROTEL_TELEMETRY_FILTER) {
        parse::validate_filter(env::FERROTEL_TELEMETRY_FILTER, v)?;
        telemetry_filter = v.to_string();
    }
    let startup_line = vars
        .get(env::FERROTEL_STARTUP_LOG)
        .map(|v| parse::parse_bool(env::FERROTEL_STARTUP_LOG, v))
        .transpose()?
        .unwrap_or(true);
    let mut sampler = parse::parse_sampler(
        vars.get(env::OTEL_TRACES_SAMPLER),
        vars.get(env::OTEL_TRACES_SAMPLER_ARG),
    )?;
    let count = |var: &'static str| -> Result<Option<u32>, Error> {
        vars.get(var)
            .map(|v| {
                v.trim()
                    .parse::<u32>()
                    .map_err(|_| parse::invalid(var, v, "a whole number from 0 to 4294967295"))
            })
            .transpose()
    };
    let any = count(env::OTEL_ATTRIBUTE_COUNT_LIMIT)?.unwrap_or(128);
    let span_counts = super::types::SpanCounts {
        attributes: count(env::OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT)?.unwrap_or(any),
        events: count(env::OTEL_SPAN_EVENT_COUNT_LIMIT)?.unwrap_or(128),
        links: count(env::OTEL_SPAN_LINK_COUNT_LIMIT)?.unwrap_or(128),
        event_attributes: count(env::OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT)?.unwrap_or(any),
        link_attributes: count(env::OTEL_LINK_ATTRIBUTE_COUNT_LIMIT)?.unwrap_or(any),
    };
    let temporality = match vars.get(env::OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE) {
        None => super::types::TemporalityPreference::Cumulative,
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "cumulative" => super::types::TemporalityPreference::Cumulative,
            "delta" => super::types::TemporalityPreference::Delta,
            "lowmemory" => super::types::TemporalityPreference::LowMemory,
            _ => {
                return Err(parse::invalid(
                    env::OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE,
                    v,
                    "cumulative, delta or lowmemory",
                ))
            }
        },
    };
    let propagators = match vars.get(env::OTEL_PROPAGATORS) {
        Some(v) => parse::parse_propagators(v)?,
        None => vec![
            super::types::Propagator::TraceContext,
            super::types::Propagator::Baggage,
        ],
    };
    let mut metric_interval = vars
        .millis(env::OTEL_METRIC_EXPORT_INTERVAL)?
        .unwrap_or(Duration::from_millis(60000));
    let mut metric_cardinality = vars
        .count(env::FERROTEL_METRIC_CARDINALITY_LIMIT)?
        .unwrap_or(DEFAULT_CARDINALITY);
    let metric_timeout = vars
        .millis(env::OTEL_METRIC_EXPORT_TIMEOUT)?
        .unwrap_or(Duration::from_millis(30000));
    let span_batch = parse::parse_batch(
        vars,
        BatchSettings::SPANS,
        parse::BatchVars {
            delay: env::OTEL_BSP_SCHEDULE_DELAY,
            timeout: env::OTEL_BSP_EXPORT_TIMEOUT,
            queue: env::OTEL_BSP_MAX_QUEUE_SIZE,
            batch: env::OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
            bytes: env::FERROTEL_BSP_MAX_QUEUE_BYTES,
            value_length: env::OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT,
            concurrent: env::OTEL_BSP_MAX_CONCURRENT_EXPORTS,
        },
    )?;
    let log_batch = parse::parse_batch(
        vars,
        BatchSettings::LOGS,
        parse::BatchVars {
            delay: env::OTEL_BLRP_SCHEDULE_DELAY,
            timeout: env::OTEL_BLRP_EXPORT_TIMEOUT,
            queue: env::OTEL_BLRP_MAX_QUEUE_SIZE,
            batch: env::OTEL_BLRP_MAX_EXPORT_BATCH_SIZE,
            bytes: env::FERROTEL_BLRP_MAX_QUEUE_BYTES,
            value_length: env::OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT,
            concurrent: env::FERROTEL_BLRP_MAX_CONCURRENT_EXPORTS,
        },
    )?;
    let mut prometheus_host = vars
        .get(env::OTEL_EXPORTER_PROMETHEUS_HOST)
        .map_or_else(|| "127.0.0.1".to_string(), |v| v.trim().to_string());
    let mut prometheus_port = match vars.get(env::OTEL_EXPORTER_PROMETHEUS_PORT) {
        None => 9464,
        Some(v) => v.trim().parse().map_err(|_| {
            invalid(
                env::OTEL_EXPORTER_PROMETHEUS_PORT,
                v,
                "a port number from 0 to 65535 (0 picks a free port)",
            )
        })?,
    };
    let mut shutdown_timeout = vars
        .millis(env::FERROTEL_SHUTDOWN_TIMEOUT)?
        .unwrap_or(DEFAULT_SHUTDOWN_TIMEOUT);
    let mut instruments = crate::InstrumentSettings::default();
    if let Some(v) = vars.get(env::OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT) {
        instruments.genai_capture =
            parse::parse_bool(env::OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, v)?;
    }
    if let Some(n) = vars.count(env::FERROTEL_GENAI_CONTENT_MAX_CHARS)? {
        instruments.genai_content_max = n;
    }
    if let Some(n) = vars.count(env::FERROTEL_GENAI_TENANT_LIMIT)? {
        instruments.genai_tenant_limit = n;
    }
    if let Some(v) = vars.get(env::FERROTEL_ERROR_CATEGORIES) {
        instruments.error_categories = crate::failure::CategoryMap::default()
            .with_pairs(v)
            .map_err(|_| {
                invalid(
                    env::FERROTEL_ERROR_CATEGORIES,
                    v,
                    "comma-separated KIND=CATEGORY pairs, CATEGORY one of auth, database, external_service, ai, session, validation, internal",
                )
            })?;
    }
    if let Some(d) = vars.millis(env::FERROTEL_DB_SLOW_QUERY_MS)? {
        instruments.slow_query = d;
    }
    let mut health_ttl = vars
        .millis(env::FERROTEL_HEALTH_CACHE_TTL)?
        .unwrap_or(Duration::from_secs(5));
    let mut admin_token = vars
        .get(env::FERROTEL_ADMIN_TOKEN)
        .map(|v| parse::validate_token(env::FERROTEL_ADMIN_TOKEN, v))
        .transpose()?;

    // OTLP from the environment: general settings, then each signal's own.
    let protocol = vars
        .get(env::OTEL_EXPORTER_OTLP_PROTOCOL)
        .map(|v| Protocol::parse(env::OTEL_EXPORTER_OTLP_PROTOCOL, v))
        .transpose()?;
    let insecure = vars
        .get(env::OTEL_EXPORTER_OTLP_INSECURE)
        .map(|v| parse::parse_bool(env::OTEL_EXPORTER_OTLP_INSECURE, v))
        .transpose()?
        .unwrap_or(false);
    let base = vars
        .get(env::OTEL_EXPORTER_OTLP_ENDPOINT)
        .map(|v| {
            parse::validate_endpoint(env::OTEL_EXPORTER_OTLP_ENDPOINT, v.trim(), Some(insecure))
        })
        .transpose()?;
    let headers = vars
        .get(env::OTEL_EXPORTER_OTLP_HEADERS)
        .map(|v| parse::parse_headers(env::OTEL_EXPORTER_OTLP_HEADERS, v))
        .transpose()?
        .unwrap_or_default();
    let timeout = vars
        .millis(env::OTEL_EXPORTER_OTLP_TIMEOUT)?
        .unwrap_or(Duration::from_secs(10));
    let gzip = vars
        .get(env::OTEL_EXPORTER_OTLP_COMPRESSION)
        .map(|v| parse::parse_compression(env::OTEL_EXPORTER_OTLP_COMPRESSION, v))
        .transpose()?
        .unwrap_or(false);

    // The code's OTLP settings, checked before they are applied to each signal.
    let code_otlp = code
        .otlp
        .as_ref()
        .map(|(endpoint, protocol)| {
            parse::validate_endpoint("with_otlp", endpoint, None)
                .map(|base| (base, *protocol))
                .map_err(|_| Error::InvalidConfig {
                    field: "with_otlp",
                    value: parse::mask_userinfo(endpoint),
                    allowed:
                        "an http:// or https:// URL with a host (https:// needs the `tls` feature)",
                })
        })
        .transpose()?;
    for (key, value) in &code.otlp_headers {
        parse::check_header("with_otlp_header", key, value).map_err(|_| Error::InvalidConfig {
            field: "with_otlp_header",
            value: format!("{key}=***"),
            allowed:
                "a header name made of token characters and a value without control characters",
        })?;
    }

    let mut exporters = PerSignal::<Exporters>::default();
    let mut otlp = PerSignal::<Option<OtlpTarget>>::default();
    for signal in Signal::ALL {
        let names = signal_vars(signal);
        let mut protocol = match vars.get(names.protocol) {
            Some(v) => Protocol::parse(names.protocol, v)?,
            None => protocol.unwrap_or_default(),
        };
        let own_insecure = vars
            .get(names.insecure)
            .map(|v| parse::parse_bool(names.insecure, v))
            .transpose()?
            .unwrap_or(insecure);
        let own = vars
            .get(names.endpoint)
            .map(|v| parse::validate_endpoint(names.endpoint, v.trim(), Some(own_insecure)))
            .transpose()?;
        let mut endpoint = match (own, &base) {
            (Some(own), _) => Some(own),
            (None, Some(base)) => Some(protocol.signal_url(base, signal)),
            (None, None) => None,
        };
        let mut hdrs = headers.clone();
        if let Some(v) = vars.get(names.headers) {
            parse::merge_headers(&mut hdrs, parse::parse_headers(names.headers, v)?);
        }
        let timeout = vars.millis(names.timeout)?.unwrap_or(timeout);
        let gzip = vars
            .get(names.compression)
            .map(|v| parse::parse_compression(names.compression, v))
            .transpose()?
            .unwrap_or(gzip);
        let mut chosen = match vars.get(names.exporter) {
            Some(v) => parse_exporters(signal, names.exporter, v)?,
            // The default: OTLP when an endpoint is set; Prometheus always for metrics
            // (when built in).
            None => Exporters {
                otlp: endpoint.is_some(),
                console: false,
                prometheus: signal == Signal::Metrics && cfg!(feature = "prometheus"),
            },
        };
        // Code wins: `with_otlp` sends every signal to its endpoint.
        if let Some((base, p)) = &code_otlp {
            protocol = *p;
            endpoint = Some(p.signal_url(base, signal));
            chosen.otlp = true;
        }
        parse::merge_headers(&mut hdrs, code.otlp_headers.clone());
        let tls = if chosen.otlp {
            parse::tls_files(
                vars,
                [
                    [names.certificate, env::OTEL_EXPORTER_OTLP_CERTIFICATE],
                    [
                        names.client_certificate,
                        env::OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
                    ],
                    [names.client_key, env::OTEL_EXPORTER_OTLP_CLIENT_KEY],
                ],
            )?
        } else {
            Default::default()
        };
        *otlp.get_mut(signal) = chosen.otlp.then(|| OtlpTarget {
            endpoint: endpoint
                .unwrap_or_else(|| protocol.signal_url(protocol.default_endpoint(), signal)),
            protocol,
            headers: hdrs,
            timeout,
            gzip,
            tls,
        });
        *exporters.get_mut(signal) = chosen;
    }

    // The rest of the code's settings.
    for (k, v) in &code.resource_attributes {
        resource_attributes.insert(k.clone(), v.clone());
    }
    if let Some(f) = &code.log_filter {
        parse::validate_filter("with_log_filter", f).map_err(|_| Error::InvalidConfig {
            field: "with_log_filter",
            value: f.clone(),
            allowed: "an EnvFilter directive list such as `info` or `info,my_crate=debug`",
        })?;
        log_filter = f.clone();
    }
    if let Some(f) = &code.telemetry_filter {
        parse::validate_filter("with_telemetry_filter", f).map_err(|_| Error::InvalidConfig {
            field: "with_telemetry_filter",
            value: f.clone(),
            allowed: "an EnvFilter directive list such as `info` or `info,my_crate=debug`",
        })?;
        telemetry_filter = f.clone();
    }
    if let Some(s) = code.sampler {
        if let Some(r) = s.ratio().filter(|r| !(0.0..=1.0).contains(r)) {
            return Err(Error::InvalidConfig {
                field: "with_sampler",
                value: r.to_string(),
                allowed: "a ratio from 0.0 to 1.0",
            });
        }
        sampler = s;
    }
    if let Some((host, port)) = &code.prometheus {
        prometheus_host = host.clone();
        prometheus_port = *port;
    }
    if let Some(d) = positive("with_shutdown_timeout", code.shutdown_timeout)? {
        shutdown_timeout = d;
    }
    if let Some(d) = positive("with_metric_interval", code.metric_interval)? {
        metric_interval = d;
    }
    match code.metric_cardinality {
        Some(0) => {
            return Err(Error::InvalidConfig {
                field: "with_metric_cardinality_limit",
                value: "0".into(),
                allowed: "a number of series greater than 0",
            })
        }
        Some(n) => metric_cardinality = n,
        None => {}
    }
    if let Some(d) = positive("with_health_ttl", code.health_ttl)? {
        health_ttl = d;
    }
    if let Some(t) = &code.admin_token {
        admin_token = Some(parse::validate_token("with_admin_token", t).map_err(|_| {
            Error::InvalidConfig {
                field: "with_admin_token",
                value: "(hidden)".into(),
                allowed: parse::TOKEN_RULE,
            }
        })?);
    }
    if let Some(d) = code.slow_query {
        instruments.slow_query = d;
    }
    if let Some(on) = code.genai_capture {
        instruments.genai_capture = on;
    }
    if let Some(n) = code.genai_tenant_limit {
        instruments.genai_tenant_limit = n;
    }
    if let Some(map) = &code.error_categories {
        instruments.error_categories = map.clone();
    }

    let service_name = service_name(
        code,
        vars.get(env::OTEL_SERVICE_NAME),
        resource_attributes.get("service.name").map(String::as_str),
    );

    Ok(Resolved {
        disabled: code.disabled.unwrap_or(disabled),
        service_name,
        service_version: code.service_version.clone(),
        environment: code.environment.clone(),
        resource_attributes,
        log_format: code.log_format.unwrap_or(log_format),
        log_filter,
        telemetry_filter,
        startup_line: code.startup_line.unwrap_or(startup_line),
        log_bridge: code.log_bridge.unwrap_or(true),
        ignored: Vec::new(),
        span_counts,
        temporality,
        sampler,
        propagators,
        exporters,
        otlp,
        metric_interval,
        metric_cardinality,
        metric_timeout,
        span_batch,
        log_batch,
        prometheus_host,
        prometheus_port,
        prometheus_listener: code.prometheus_listener.unwrap_or(true),
        shutdown_timeout,
        install_subscriber: code.install_subscriber.unwrap_or(true),
        admin_token: admin_token.map(Arc::from),
        health_ttl,
        instruments,
    })
}

/// `service.name`, the one place its precedence is written: the code's, else
/// `OTEL_SERVICE_NAME`, else `service.name` among the resource attributes, else the
/// code's default, else `unknown_service:{executable}`.
pub(crate) fn service_name(code: &Code, env_name: Option<&str>, attribute: Option<&str>) -> String {
    code.service_name
        .clone()
        .or_else(|| env_name.map(|s| s.trim().to_string()))
        .or_else(|| attribute.map(str::to_string))
        .or_else(|| code.default_service_name.clone())
        .unwrap_or_else(unknown_service)
}

/// `unknown_service:{executable}`, as the specification names a service nobody named.
pub(crate) fn unknown_service() -> String {
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
