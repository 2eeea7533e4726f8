//! Errors, one enum per phase: building ([`Error`]) and shutting down ([`ShutdownError`]).

use std::time::Duration;

/// What went wrong while reading configuration or starting telemetry.
///
/// Every variant names the input at fault and what would have been accepted,
/// so the message alone tells an operator what to fix.
///
/// ```
/// let err = ferrotel::Config::from_vars([
///     ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
///     ("FERROTEL_STRICT_CONFIG", "true"),
/// ])
/// .unwrap_err();
/// assert!(err.to_string().contains("OTEL_TRACES_SAMPLER_ARG"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An environment variable (or the builder field standing for it) holds a value ferrotel cannot use.
    #[error("invalid value {value:?} for {var}: expected {allowed}")]
    InvalidEnv {
        /// The variable, e.g. `OTEL_EXPORTER_OTLP_PROTOCOL`.
        var: &'static str,
        /// The value as given.
        value: String,
        /// What is accepted instead.
        allowed: &'static str,
    },
    /// A builder field holds a value ferrotel cannot use.
    #[error("invalid {field} {value:?}: expected {allowed}")]
    InvalidConfig {
        /// The builder method, e.g. `with_sampler_ratio`.
        field: &'static str,
        /// The value as given.
        value: String,
        /// What is accepted instead.
        allowed: &'static str,
    },
    /// `init` was called while telemetry from an earlier call is still installed.
    #[error("ferrotel::init was called twice: a global tracing subscriber is already installed; keep the first Telemetry handle and share it instead")]
    AlreadyInitialized,
    /// The background runtime that runs exports could not be started.
    #[error("could not start the ferrotel export runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The built-in Prometheus listener could not bind its address.
    #[error("could not listen on {addr} for the Prometheus endpoint (choose another with OTEL_EXPORTER_PROMETHEUS_HOST and OTEL_EXPORTER_PROMETHEUS_PORT, or turn it off with OTEL_METRICS_EXPORTER=none): {source}")]
    PrometheusListen {
        /// The address asked for.
        addr: String,
        /// Why binding failed.
        #[source]
        source: std::io::Error,
    },
    /// A TLS file the environment names cannot be used. Always an error, even outside
    /// strict mode: sending without the CA or client certificate it names would only
    /// fail every export, or (for a CA) trust more than the operator meant.
    #[error("cannot use {path} named by {var}: {reason}")]
    TlsFile {
        /// The variable, e.g. `OTEL_EXPORTER_OTLP_CERTIFICATE`.
        var: &'static str,
        /// The path it holds.
        path: String,
        /// What is wrong with the file.
        reason: String,
    },
    /// An exporter could not be built from the given settings.
    #[error("could not build the {signal} exporter for {endpoint}: {reason}")]
    Exporter {
        /// `traces`, `metrics` or `logs`.
        signal: crate::Signal,
        /// The endpoint it was built for.
        endpoint: String,
        /// The exporter's own words.
        reason: String,
    },
}

/// What `Telemetry::shutdown` could not do.
///
/// Shutdown never stops at the first failure: every provider is flushed and shut
/// down, and each failure is listed here. It is also returned when every component
/// stopped cleanly but some items were never delivered (dropped because a queue was
/// full, failed, or still unsent at the deadline).
///
/// ```
/// # fn main() -> Result<(), ferrotel::Error> {
/// let telemetry = ferrotel::init(ferrotel::Config::disabled())?;
/// telemetry.shutdown().expect("a disabled pipeline always shuts down cleanly");
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[error("telemetry shutdown was incomplete: {}", summary(.failures, .undelivered))]
#[non_exhaustive]
pub struct ShutdownError {
    /// One entry per component that failed, in shutdown order.
    pub failures: Vec<ShutdownFailure>,
    /// Items accepted by the pipeline but never delivered (dropped or failed), per signal.
    pub undelivered: Undelivered,
}

/// One component that did not shut down cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownFailure {
    /// `traces`, `metrics` or `logs`.
    pub signal: crate::Signal,
    /// What went wrong, e.g. `timed out after 5s`.
    pub reason: String,
}

/// Counts of items the pipeline accepted but could not deliver, since start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Undelivered {
    /// Spans dropped (queue full) or whose export failed.
    pub spans: u64,
    /// Log records dropped (queue full) or whose export failed.
    pub logs: u64,
    /// Metric exports that failed.
    pub metric_exports: u64,
}

fn summary(failures: &[ShutdownFailure], lost: &Undelivered) -> String {
    let mut parts: Vec<String> = failures
        .iter()
        .map(|f| format!("{}: {}", f.signal, f.reason))
        .collect();
    if *lost != Undelivered::default() {
        parts.push(format!(
            "not delivered: {} spans, {} log records, {} metric exports",
            lost.spans, lost.logs, lost.metric_exports
        ));
    }
    parts.join("; ")
}

/// How long a shutdown may take before it gives up.
pub(crate) const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_input() {
        let e = Error::InvalidEnv {
            var: "OTEL_EXPORTER_OTLP_PROTOCOL",
            value: "udp".into(),
            allowed: "grpc, http/protobuf",
        };
        assert_eq!(
            e.to_string(),
            "invalid value \"udp\" for OTEL_EXPORTER_OTLP_PROTOCOL: expected grpc, http/protobuf"
        );
        let s = ShutdownError {
            failures: vec![
                ShutdownFailure {
                    signal: crate::Signal::Traces,
                    reason: "timed out after 5s".into(),
                },
                ShutdownFailure {
                    signal: crate::Signal::Logs,
                    reason: "connection refused".into(),
                },
            ],
            undelivered: Undelivered::default(),
        };
        assert_eq!(
            s.to_string(),
            "telemetry shutdown was incomplete: traces: timed out after 5s; logs: connection refused"
        );
        let lost = ShutdownError {
            failures: Vec::new(),
            undelivered: Undelivered {
                spans: 3,
                logs: 0,
                metric_exports: 1,
            },
        };
        assert_eq!(
            lost.to_string(),
            "telemetry shutdown was incomplete: not delivered: 3 spans, 0 log records, 1 metric exports"
        );
    }
}
