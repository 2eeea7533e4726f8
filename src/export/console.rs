//! Console exporters (`OTEL_*_EXPORTER=console`): one line per span, log record or
//! metric data point on standard output.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

#[derive(Debug)]
pub(crate) struct SpanConsole;

impl SpanExporter for SpanConsole {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for s in batch {
            let attrs: Vec<String> = s
                .attributes
                .iter()
                .map(|kv| format!("{}={}", kv.key, kv.value))
                .collect();
            let took = s.end_time.duration_since(s.start_time).unwrap_or_default();
            let _ = writeln!(
                out,
                "span {} trace_id={} span_id={} parent_span_id={} kind={:?} duration={:?} status={:?} {}",
                s.name,
                s.span_context.trace_id(),
                s.span_context.span_id(),
                s.parent_span_id,
                s.span_kind,
                took,
                s.status,
                attrs.join(" ")
            );
        }
        Ok(())
    }
}

#[derive(Debug)]
pub(crate) struct LogConsole;

impl LogExporter for LogConsole {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for (r, _) in batch.iter() {
            let trace = r
                .trace_context()
                .map(|t| format!(" trace_id={} span_id={}", t.trace_id, t.span_id))
                .unwrap_or_default();
            let body = r.body().map(|b| format!("{b:?}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "log {}{} {}",
                r.severity_text().unwrap_or("?"),
                trace,
                body
            );
        }
        Ok(())
    }
}

/// Metrics: one line per data point at every export interval.
#[derive(Debug)]
pub(crate) struct MetricConsole;

impl PushMetricExporter for MetricConsole {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        use std::io::Write;
        fn attrs<'a>(it: impl Iterator<Item = &'a KeyValue>) -> String {
            it.map(|kv| format!("{}={}", kv.key, kv.value))
                .collect::<Vec<_>>()
                .join(",")
        }
        fn lines<T: std::fmt::Debug + Copy>(name: &str, d: &MetricData<T>, out: &mut Vec<String>) {
            match d {
                MetricData::Gauge(g) => out.extend(g.data_points().map(|p| {
                    format!("metric {name}{{{}}} {:?}", attrs(p.attributes()), p.value())
                })),
                MetricData::Sum(s) => out.extend(s.data_points().map(|p| {
                    format!("metric {name}{{{}}} {:?}", attrs(p.attributes()), p.value())
                })),
                MetricData::Histogram(h) => out.extend(h.data_points().map(|p| {
                    format!(
                        "metric {name}{{{}}} count={} sum={:?}",
                        attrs(p.attributes()),
                        p.count(),
                        p.sum()
                    )
                })),
                MetricData::ExponentialHistogram(h) => out.extend(h.data_points().map(|p| {
                    format!(
                        "metric {name}{{{}}} count={}",
                        attrs(p.attributes()),
                        p.count()
                    )
                })),
            }
        }
        let mut out = Vec::new();
        for m in metrics.scope_metrics().flat_map(|s| s.metrics()) {
            match m.data() {
                AggregatedMetrics::F64(d) => lines(m.name(), d, &mut out),
                AggregatedMetrics::U64(d) => lines(m.name(), d, &mut out),
                AggregatedMetrics::I64(d) => lines(m.name(), d, &mut out),
            }
        }
        let mut stdout = std::io::stdout().lock();
        for line in out {
            let _ = writeln!(stdout, "{line}");
        }
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}
