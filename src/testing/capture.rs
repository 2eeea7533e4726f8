//! [`Capture`]: what code under test produced — spans, metric points, log records — held
//! in memory on the SDK's in-memory exporters, with nothing installed globally.

use std::collections::BTreeMap;

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

/// One metric data point, flattened: the instrument's name, the point's attributes, and
/// its value (a sum or gauge's value, or a histogram's count and sum).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Point {
    /// The instrument, e.g. `db.client.operation.duration`.
    pub name: String,
    /// The point's attributes, values as text.
    pub attributes: BTreeMap<String, String>,
    /// Sum or gauge value; for a histogram, the sum of what it recorded.
    pub value: f64,
    /// For a histogram, how many values it recorded; otherwise `None`.
    pub count: Option<u64>,
}

/// One captured log record: its body and attributes as text, and the span it was in.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Log {
    /// The severity text (`INFO`, `WARN`, …).
    pub severity: Option<String>,
    /// The body (the event's message), as text.
    pub body: Option<String>,
    /// The event's fields, values as text.
    pub attributes: BTreeMap<String, String>,
    /// The trace and span the event happened in, when it happened in one.
    pub trace_id: Option<opentelemetry::trace::TraceId>,
}

/// Captures the spans, metric points and log records that code produces, for a test to
/// assert on. Run the code with [`in_scope`](Capture::in_scope) (its `tracing` events and
/// spans are captured) and build instrument handles with [`meter`](Capture::meter).
///
/// ```
/// use ferrotel::testing::Capture;
///
/// let capture = Capture::new();
/// let cache = ferrotel::cache::Cache::new("users").with_meter(&capture.meter());
/// capture.in_scope(|| {
///     let _span = tracing::info_span!("lookup").entered();
///     tracing::info!(user = 7, "looking up");
///     cache.start("get").miss();
/// });
/// assert_eq!(capture.spans()[0].name, "lookup");
/// assert_eq!(capture.logs()[0].body.as_deref(), Some("looking up"));
/// let miss = capture.points("cache.requests");
/// assert_eq!(miss[0].attributes["cache.result"], "miss");
/// assert_eq!(miss[0].value, 1.0);
/// ```
#[derive(Debug)]
pub struct Capture {
    spans: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
    logs: InMemoryLogExporter,
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
    logger_provider: SdkLoggerProvider,
    dispatch: tracing::Dispatch,
}

impl Default for Capture {
    fn default() -> Self {
        Capture::new()
    }
}

impl Capture {
    /// A fresh capture: every span sampled, every event at every level captured.
    pub fn new() -> Self {
        let spans = InMemorySpanExporter::default();
        let metrics = InMemoryMetricExporter::default();
        let logs = InMemoryLogExporter::default();
        let tracer_provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metrics.clone()).build())
            .build();
        let logger_provider = SdkLoggerProvider::builder()
            .with_simple_exporter(logs.clone())
            .build();
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_opentelemetry::layer()
                    .with_tracer(tracer_provider.tracer("ferrotel-capture"))
                    .with_tracked_inactivity(false)
                    .with_threads(false),
            )
            .with(
                opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(
                    &logger_provider,
                ),
            );
        Capture {
            spans,
            metrics,
            logs,
            tracer_provider,
            meter_provider,
            logger_provider,
            dispatch: tracing::Dispatch::new(subscriber),
        }
    }

    /// The meter to build instrument handles with (`Db::with_meter`, `Cache::with_meter`, …).
    pub fn meter(&self) -> Meter {
        self.meter_provider.meter("ferrotel")
    }

    /// The tracer for handles that start OpenTelemetry spans themselves
    /// (`GenAi::with_tracer`, `http::ServerLayer::with_tracer`): their spans are captured
    /// beside the `tracing` ones.
    ///
    /// ```
    /// use ferrotel::opentelemetry::trace::Tracer as _;
    ///
    /// let capture = ferrotel::testing::Capture::new();
    /// let _layer = ferrotel::http::ServerLayer::with_meter(&capture.meter()).with_tracer(capture.tracer());
    /// capture.tracer().in_span("work", |_| {});
    /// assert!(capture.spans().iter().any(|s| s.name == "work"));
    /// ```
    pub fn tracer(&self) -> opentelemetry_sdk::trace::SdkTracer {
        self.tracer_provider.tracer("ferrotel-capture")
    }

    /// The `tracing` dispatcher whose spans and events are captured.
    pub fn dispatch(&self) -> &tracing::Dispatch {
        &self.dispatch
    }

    /// Runs `f` with the capture's dispatcher as the current one.
    pub fn in_scope<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }

    /// The spans that ended so far, in the order they ended.
    pub fn spans(&self) -> Vec<SpanData> {
        let _ = self.tracer_provider.force_flush();
        self.spans.get_finished_spans().unwrap_or_default()
    }

    /// The log records emitted so far.
    pub fn logs(&self) -> Vec<Log> {
        let _ = self.logger_provider.force_flush();
        self.logs
            .get_emitted_logs()
            .unwrap_or_default()
            .into_iter()
            .map(|l| Log {
                severity: l.record.severity_text().map(str::to_string),
                body: l.record.body().map(any_text),
                attributes: l
                    .record
                    .attributes_iter()
                    .map(|(k, v)| (k.to_string(), any_text(v)))
                    .collect(),
                trace_id: l.record.trace_context().map(|t| t.trace_id),
            })
            .collect()
    }

    /// Every data point of every instrument as of now (cumulative).
    pub fn all_points(&self) -> Vec<Point> {
        let _ = self.meter_provider.force_flush();
        let finished = self.metrics.get_finished_metrics().unwrap_or_default();
        // Cumulative: the last collection holds everything.
        let Some(last) = finished.last() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for m in last.scope_metrics().flat_map(|s| s.metrics()) {
            let name = m.name();
            match m.data() {
                AggregatedMetrics::F64(d) => points(name, d, |v| v, &mut out),
                AggregatedMetrics::U64(d) => points(name, d, |v| v as f64, &mut out),
                AggregatedMetrics::I64(d) => points(name, d, |v| v as f64, &mut out),
            }
        }
        out
    }

    /// The data points of the instrument called `name`.
    pub fn points(&self, name: &str) -> Vec<Point> {
        self.all_points()
            .into_iter()
            .filter(|p| p.name == name)
            .collect()
    }
}

fn attributes<'a>(
    it: impl Iterator<Item = &'a opentelemetry::KeyValue>,
) -> BTreeMap<String, String> {
    it.map(|kv| (kv.key.to_string(), kv.value.to_string()))
        .collect()
}

fn points<T: Copy>(name: &str, d: &MetricData<T>, f: impl Fn(T) -> f64, out: &mut Vec<Point>) {
    let point = |attrs, value, count| Point {
        name: name.to_string(),
        attributes: attrs,
        value,
        count,
    };
    match d {
        MetricData::Gauge(g) => out.extend(
            g.data_points()
                .map(|p| point(attributes(p.attributes()), f(p.value()), None)),
        ),
        MetricData::Sum(s) => out.extend(
            s.data_points()
                .map(|p| point(attributes(p.attributes()), f(p.value()), None)),
        ),
        MetricData::Histogram(h) => out.extend(
            h.data_points()
                .map(|p| point(attributes(p.attributes()), f(p.sum()), Some(p.count()))),
        ),
        MetricData::ExponentialHistogram(h) => out.extend(h.data_points().map(|p| {
            point(
                attributes(p.attributes()),
                f(p.sum()),
                Some(p.count() as u64),
            )
        })),
    }
}

fn any_text(v: &opentelemetry::logs::AnyValue) -> String {
    use opentelemetry::logs::AnyValue;
    match v {
        AnyValue::String(s) => s.to_string(),
        AnyValue::Int(i) => i.to_string(),
        AnyValue::Double(d) => d.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}
