//! The one catalogue of every instrument ferrotel defines: name, kind, unit,
//! description and attribute keys.
//!
//! Instruments are built from these entries and nowhere else, docs/metrics.md's
//! metric table is checked against [`CATALOG`] by a test, and another test runs
//! every entry through both Prometheus naming rules (the Rust exporter's and the
//! Collector's) so a dashboard query works on either path.
//!
//! ```
//! let spec = ferrotel::catalog::find("otel.sdk.processor.span.processed").unwrap();
//! assert_eq!(spec.unit, "{span}");
//! assert_eq!(spec.prometheus_name(), "otel_sdk_processor_span_processed_total");
//! ```

use opentelemetry::metrics::{Counter, Histogram, Meter, UpDownCounter};

/// The kind of an instrument, which decides its Prometheus type and suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// Monotonic sum: a Prometheus counter with `_total`.
    Counter,
    /// Non-monotonic sum: a Prometheus gauge.
    UpDownCounter,
    /// Distribution: `_bucket`, `_sum`, `_count`.
    Histogram,
    /// Last value.
    Gauge,
}

impl Kind {
    /// The word used in the metric table (docs/metrics.md).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::UpDownCounter => "updowncounter",
            Kind::Histogram => "histogram",
            Kind::Gauge => "gauge",
        }
    }
}

/// One instrument ferrotel records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstrumentSpec {
    /// OpenTelemetry name, e.g. `http.server.request.duration`.
    pub name: &'static str,
    /// Instrument kind.
    pub kind: Kind,
    /// UCUM unit, e.g. `s`, `By`, `{span}`.
    pub unit: &'static str,
    /// What it measures and why one would look at it.
    pub description: &'static str,
    /// Attribute keys it is recorded with (each bounded).
    pub attributes: &'static [&'static str],
}

impl InstrumentSpec {
    /// The series name Prometheus shows on both paths (OTel name with dots as
    /// underscores, the unit word, `_total` for counters). The catalogue tests
    /// hold both exporters to it.
    pub fn prometheus_name(&self) -> String {
        let mut name = self.name.replace(['.', '-', '/'], "_");
        let unit = match self.unit {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            _ => "",
        };
        if !unit.is_empty() {
            name.push('_');
            name.push_str(unit);
        }
        if self.kind == Kind::Counter {
            name.push_str("_total");
        }
        name
    }

    pub(crate) fn u64_counter(&self, meter: &Meter) -> Counter<u64> {
        meter
            .u64_counter(self.name)
            .with_unit(self.unit)
            .with_description(self.description)
            .build()
    }

    #[cfg(feature = "genai")]
    pub(crate) fn f64_counter(&self, meter: &Meter) -> Counter<f64> {
        meter
            .f64_counter(self.name)
            .with_unit(self.unit)
            .with_description(self.description)
            .build()
    }

    pub(crate) fn i64_up_down_counter(&self, meter: &Meter) -> UpDownCounter<i64> {
        meter
            .i64_up_down_counter(self.name)
            .with_unit(self.unit)
            .with_description(self.description)
            .build()
    }

    pub(crate) fn f64_histogram(&self, meter: &Meter, bounds: Vec<f64>) -> Histogram<f64> {
        meter
            .f64_histogram(self.name)
            .with_unit(self.unit)
            .with_description(self.description)
            .with_boundaries(bounds)
            .build()
    }

    pub(crate) fn u64_histogram(&self, meter: &Meter, bounds: Vec<f64>) -> Histogram<u64> {
        meter
            .u64_histogram(self.name)
            .with_unit(self.unit)
            .with_description(self.description)
            .with_boundaries(bounds)
            .build()
    }
}

mod instruments;

pub use instruments::*;

/// Every instrument ferrotel defines.
pub const CATALOG: &[InstrumentSpec] = &[
    GEN_AI_INVOKE_AGENT_DURATION,
    GEN_AI_INVOKE_AGENT_LLM_CALLS,
    GEN_AI_INVOKE_AGENT_TOOL_CALLS,
    GEN_AI_INVOKE_AGENT_COST,
    GEN_AI_EXECUTE_TOOL_DURATION,
    GEN_AI_CLIENT_AUDIO_PROCESSED,
    GEN_AI_CLIENT_TOKEN_USAGE,
    GEN_AI_CLIENT_OPERATION_DURATION,
    GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK,
    GEN_AI_CLIENT_COST,
    GEN_AI_CLIENT_COST_UNPRICED,
    CACHE_REQUESTS,
    CACHE_OPERATION_DURATION,
    QUEUE_DEPTH,
    QUEUE_WAIT_DURATION,
    QUEUE_PROCESS_DURATION,
    QUEUE_PROCESSED,
    APP_ERRORS,
    DB_CLIENT_OPERATION_DURATION,
    DB_CLIENT_RESPONSE_RETURNED_ROWS,
    DB_CLIENT_CONNECTION_COUNT,
    DB_CLIENT_CONNECTION_MAX,
    HTTP_CLIENT_REQUEST_DURATION,
    RPC_SERVER_CALL_DURATION,
    RPC_CLIENT_CALL_DURATION,
    PROCESS_CPU_TIME,
    PROCESS_MEMORY_USAGE,
    PROCESS_MEMORY_VIRTUAL,
    PROCESS_MEMORY_LIMIT,
    PROCESS_CPU_LIMIT,
    PROCESS_THREAD_COUNT,
    PROCESS_UNIX_FILE_DESCRIPTOR_COUNT,
    PROCESS_UPTIME,
    TOKIO_WORKERS,
    TOKIO_ALIVE_TASKS,
    TOKIO_GLOBAL_QUEUE_DEPTH,
    TOKIO_BUSY_TIME,
    HEALTH_CHECK_STATUS,
    HEALTH_CHECK_DURATION,
    HTTP_SERVER_REQUEST_DURATION,
    HTTP_SERVER_ACTIVE_REQUESTS,
    HTTP_SERVER_REQUEST_BODY_SIZE,
    HTTP_SERVER_RESPONSE_BODY_SIZE,
    SDK_SPAN_PROCESSED,
    SDK_SPAN_EXPORTED,
    SDK_SPAN_QUEUE_SIZE,
    SDK_SPAN_QUEUE_CAPACITY,
    SDK_LOG_PROCESSED,
    SDK_LOG_EXPORTED,
    SDK_LOG_QUEUE_SIZE,
    SDK_LOG_QUEUE_CAPACITY,
    SDK_METRIC_POINTS_EXPORTED,
];

/// The catalogue entry with this OpenTelemetry name.
pub fn find(name: &str) -> Option<&'static InstrumentSpec> {
    CATALOG.iter().find(|s| s.name == name)
}

/// The metric table of docs/metrics.md, generated from [`CATALOG`].
///
/// ```
/// assert!(ferrotel::catalog::markdown_table().contains("| `otel.sdk.exporter.span.exported` |"));
/// ```
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| OpenTelemetry name | Prometheus name | kind | unit | attributes | description |\n|---|---|---|---|---|---|\n",
    );
    for s in CATALOG {
        let attrs: Vec<String> = s.attributes.iter().map(|a| format!("`{a}`")).collect();
        out.push_str(&format!(
            "| `{}` | `{}` | {} | `{}` | {} | {} |\n",
            s.name,
            s.prometheus_name(),
            s.kind.as_str(),
            s.unit,
            attrs.join(", "),
            s.description
        ));
    }
    out
}

/// Builds a `u64` counter from the catalogue entry named `name`.
pub(crate) fn counter(meter: &Meter, name: &str) -> Counter<u64> {
    match find(name) {
        Some(spec) => spec.u64_counter(meter),
        // Unreachable with ferrotel's own names; still no panic on the record path.
        None => meter.u64_counter(name.to_string()).build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for s in CATALOG {
            assert!(seen.insert(s.name), "{} listed twice", s.name);
            assert!(!s.description.is_empty(), "{} has no description", s.name);
            assert!(
                s.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'),
                "{} is not a lowercase dotted name",
                s.name
            );
        }
    }
}
