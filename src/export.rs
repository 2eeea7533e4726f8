//! The export path: a small runtime of otelkit's own, bounded batch queues, and
//! wrappers that count what was exported, dropped and failed.
//!
//! Why a runtime of its own: the OTLP exporters need Tokio (tonic channels,
//! async HTTP), and running them on the application's runtime deadlocks a
//! current-thread runtime whose only thread is blocked in `shutdown()`. On the
//! application side, recording a span or a log record is one `try_send` into a
//! bounded queue: when it is full the item is dropped and counted, never waited for.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, OnceLock, RwLock};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use opentelemetry::logs::Severity;
use opentelemetry::metrics::{Counter, Meter};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter, LogProcessor, SdkLogRecord};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::trace::{SpanData, SpanExporter, SpanProcessor};
use tokio::sync::mpsc;

use crate::config::BatchSettings;
use crate::names;

/// Starts the single-worker runtime every export runs on. Its threads never
/// produce telemetry of their own (the SDK's suppression flag is set on them),
/// so an exporter's HTTP/gRPC logs cannot loop back into the pipeline.
pub(crate) fn start_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(2)
        .thread_name("otelkit-export")
        .on_thread_start(|| std::mem::forget(Context::enter_telemetry_suppressed_scope()))
        .enable_all()
        .build()
}

/// Counts kept per batch queue, for self-monitoring and the shutdown report.
#[derive(Debug, Default)]
pub(crate) struct QueueStats {
    /// Items that entered the queue.
    pub(crate) accepted: AtomicU64,
    pub(crate) exported: AtomicU64,
    pub(crate) failed: AtomicU64,
    /// Items refused because the queue was full.
    pub(crate) dropped: AtomicU64,
    /// Set once the queue is shut down: what is still unsent then is lost.
    pub(crate) closed: AtomicBool,
    /// Whether the last export failed, so failures are logged once per outage.
    failing: AtomicBool,
}

impl QueueStats {
    /// Items not delivered: dropped or failed, and once closed, whatever never went out.
    pub(crate) fn undelivered(&self) -> u64 {
        let dropped = self.dropped.load(Ordering::Relaxed);
        if self.closed.load(Ordering::Relaxed) {
            let accepted = self.accepted.load(Ordering::Relaxed);
            dropped + accepted.saturating_sub(self.exported.load(Ordering::Relaxed))
        } else {
            dropped + self.failed.load(Ordering::Relaxed)
        }
    }
}

/// The self-monitoring counters of one signal's processor and exporter.
#[derive(Debug, Clone)]
pub(crate) struct SignalMeters {
    processed: Counter<u64>,
    exported: Counter<u64>,
    ok_attrs: Arc<[KeyValue]>,
    queue_full_attrs: Arc<[KeyValue]>,
    exporter_ok_attrs: Arc<[KeyValue]>,
    /// `otel.component.name` of the exporter, for log lines.
    label: Arc<str>,
}

impl SignalMeters {
    /// `signal` is `span` or `log`; `exporter` the `otel.component.type` of the exporter.
    pub(crate) fn new(meter: &Meter, signal: &str, exporter: &str, index: usize) -> Self {
        let (processed, exported) = match signal {
            "span" => (
                names::OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
                names::OTEL_SDK_EXPORTER_SPAN_EXPORTED,
            ),
            _ => (
                names::OTEL_SDK_PROCESSOR_LOG_PROCESSED,
                names::OTEL_SDK_EXPORTER_LOG_EXPORTED,
            ),
        };
        let processor_type = format!("batching_{signal}_processor");
        let processor = [
            KeyValue::new(names::OTEL_COMPONENT_TYPE, processor_type.clone()),
            KeyValue::new(
                names::OTEL_COMPONENT_NAME,
                format!("{processor_type}/{index}"),
            ),
        ];
        let mut queue_full = processor.to_vec();
        queue_full.push(KeyValue::new(names::ERROR_TYPE, "queue_full"));
        SignalMeters {
            processed: crate::catalog::counter(meter, processed),
            exported: crate::catalog::counter(meter, exported),
            ok_attrs: processor.to_vec().into(),
            queue_full_attrs: queue_full.into(),
            exporter_ok_attrs: exporter_attrs(exporter, index).into(),
            label: format!("{exporter}/{index}").into(),
        }
    }

    fn exported(&self, n: u64, error: Option<&'static str>) {
        match error {
            None => self.exported.add(n, &self.exporter_ok_attrs),
            Some(e) => {
                let mut attrs = self.exporter_ok_attrs.to_vec();
                attrs.push(KeyValue::new(names::ERROR_TYPE, e));
                self.exported.add(n, &attrs);
            }
        }
    }
}

fn exporter_attrs(exporter: &str, index: usize) -> Vec<KeyValue> {
    vec![
        KeyValue::new(names::OTEL_COMPONENT_TYPE, exporter.to_string()),
        KeyValue::new(names::OTEL_COMPONENT_NAME, format!("{exporter}/{index}")),
    ]
}

/// What a batch queue hands its items to.
pub(crate) trait Sink<T>: Send + Sync + 'static {
    fn export(&self, batch: Vec<T>) -> impl Future<Output = OTelSdkResult> + Send;
    fn shutdown(&self, timeout: Duration) -> OTelSdkResult;
}

/// Spans go to any SDK span exporter.
#[derive(Debug)]
pub(crate) struct Spans<E>(pub(crate) E);

impl<E: SpanExporter + 'static> Sink<SpanData> for Spans<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        self.0.export(batch)
    }
    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
}

/// A log record with the scope it was emitted in, owned so it can wait in a queue.
pub(crate) type OwnedLog = (SdkLogRecord, InstrumentationScope);

/// Log records go to any SDK log exporter.
#[derive(Debug)]
pub(crate) struct Logs<E>(pub(crate) E);

impl<E: LogExporter + 'static> Sink<OwnedLog> for Logs<E> {
    async fn export(&self, batch: Vec<OwnedLog>) -> OTelSdkResult {
        let refs: Vec<(&SdkLogRecord, &InstrumentationScope)> =
            batch.iter().map(|(r, s)| (r, s)).collect();
        self.0.export(LogBatch::new(&refs)).await
    }
    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
}

enum Control {
    Flush(std_mpsc::SyncSender<OTelSdkResult>),
    Shutdown(Instant, std_mpsc::SyncSender<OTelSdkResult>),
}

/// Reads how full a [`Batcher`]'s queue is.
#[derive(Debug)]
pub(crate) struct QueueProbe<T>(mpsc::Sender<T>);

impl<T> QueueProbe<T> {
    pub(crate) fn len(&self) -> usize {
        self.0.max_capacity() - self.0.capacity()
    }
    pub(crate) fn capacity(&self) -> usize {
        self.0.max_capacity()
    }
}

/// A bounded queue drained by a task on the export runtime.
#[derive(Debug)]
pub(crate) struct Batcher<T> {
    items: mpsc::Sender<T>,
    control: mpsc::UnboundedSender<Control>,
    stats: Arc<QueueStats>,
    meters: SignalMeters,
    closed: AtomicBool,
    flush_timeout: Duration,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Control::Flush(_) => "Flush",
            Control::Shutdown(..) => "Shutdown",
        })
    }
}

impl<T: Send + 'static> Batcher<T> {
    pub(crate) fn start<S: Sink<T>>(
        runtime: &tokio::runtime::Handle,
        sink: S,
        settings: BatchSettings,
        meters: SignalMeters,
    ) -> Self {
        let (items, rx) = mpsc::channel(settings.max_queue_size);
        let (control, control_rx) = mpsc::unbounded_channel();
        let stats = Arc::new(QueueStats::default());
        runtime.spawn(drain(
            rx,
            control_rx,
            sink,
            settings,
            stats.clone(),
            meters.clone(),
        ));
        Batcher {
            items,
            control,
            stats,
            meters,
            closed: AtomicBool::new(false),
            flush_timeout: settings.export_timeout,
        }
    }

    pub(crate) fn stats(&self) -> Arc<QueueStats> {
        self.stats.clone()
    }

    /// A handle that reads the queue's length and capacity, for the queue gauges.
    pub(crate) fn probe(&self) -> QueueProbe<T> {
        QueueProbe(self.items.clone())
    }

    /// Never blocks: a full queue drops the item and counts it.
    pub(crate) fn push(&self, item: T) {
        if self.items.try_send(item).is_ok() {
            self.stats.accepted.fetch_add(1, Ordering::Relaxed);
        } else {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            self.meters.processed.add(1, &self.meters.queue_full_attrs);
        }
    }

    fn ask(
        &self,
        make: impl FnOnce(std_mpsc::SyncSender<OTelSdkResult>) -> Control,
        timeout: Duration,
    ) -> OTelSdkResult {
        let (tx, rx) = std_mpsc::sync_channel(1);
        self.control
            .send(make(tx))
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        match rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(std_mpsc::RecvTimeoutError::Timeout) => Err(OTelSdkError::Timeout(timeout)),
            Err(std_mpsc::RecvTimeoutError::Disconnected) => Err(OTelSdkError::InternalFailure(
                "the export runtime stopped before answering".into(),
            )),
        }
    }

    pub(crate) fn flush(&self) -> OTelSdkResult {
        if self.closed.load(Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        self.ask(Control::Flush, self.flush_timeout)
    }

    pub(crate) fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        if self.closed.swap(true, Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let deadline = Instant::now() + timeout;
        self.ask(|tx| Control::Shutdown(deadline, tx), timeout)
    }
}

async fn drain<T: Send + 'static, S: Sink<T>>(
    mut rx: mpsc::Receiver<T>,
    mut control: mpsc::UnboundedReceiver<Control>,
    sink: S,
    settings: BatchSettings,
    stats: Arc<QueueStats>,
    meters: SignalMeters,
) {
    let mut buf: Vec<T> = Vec::with_capacity(settings.max_export_batch_size);
    let mut tick = tokio::time::interval(settings.schedule_delay);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let export = |batch: Vec<T>, limit: Duration| {
        let n = batch.len() as u64;
        let fut = sink.export(batch);
        let stats = &stats;
        let meters = &meters;
        async move {
            meters.processed.add(n, &meters.ok_attrs);
            let result = match tokio::time::timeout(limit, fut).await {
                Ok(r) => r,
                Err(_) => Err(OTelSdkError::Timeout(limit)),
            };
            match &result {
                Ok(()) => {
                    stats.exported.fetch_add(n, Ordering::Relaxed);
                    meters.exported(n, None);
                    if stats.failing.swap(false, Ordering::Relaxed) {
                        tracing::info!(target: "otelkit::export", exporter = %meters.label, "exports succeed again");
                    }
                }
                Err(e) => {
                    stats.failed.fetch_add(n, Ordering::Relaxed);
                    meters.exported(n, Some(error_type(e)));
                    if !stats.failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(target: "otelkit::export", exporter = %meters.label, error = %e, items = n,
                            "export failed; items are counted in otel.sdk.exporter.*.exported with error.type, further failures are not logged until an export succeeds");
                    }
                }
            }
            result
        }
    };
    loop {
        tokio::select! {
            biased;
            msg = control.recv() => {
                let (deadline, reply) = match msg {
                    Some(Control::Flush(reply)) => (Instant::now() + settings.export_timeout, Some((false, reply))),
                    Some(Control::Shutdown(deadline, reply)) => (deadline, Some((true, reply))),
                    None => (Instant::now() + settings.export_timeout, None),
                };
                let mut result = Ok(());
                loop {
                    while buf.len() < settings.max_export_batch_size {
                        match rx.try_recv() {
                            Ok(item) => buf.push(item),
                            Err(_) => break,
                        }
                    }
                    if buf.is_empty() {
                        break;
                    }
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        result = Err(OTelSdkError::Timeout(settings.export_timeout));
                        break;
                    }
                    let batch = std::mem::replace(&mut buf, Vec::with_capacity(settings.max_export_batch_size));
                    if let Err(e) = export(batch, left.min(settings.export_timeout)).await {
                        result = Err(e);
                    }
                }
                match reply {
                    Some((false, reply)) => { let _ = reply.send(result); }
                    Some((true, reply)) => {
                        rx.close();
                        stats.closed.store(true, Ordering::Relaxed);
                        let left = deadline.saturating_duration_since(Instant::now());
                        let closed = sink.shutdown(left);
                        let _ = reply.send(result.and(closed));
                        return;
                    }
                    None => return,
                }
            }
            item = rx.recv() => match item {
                Some(item) => {
                    buf.push(item);
                    if buf.len() >= settings.max_export_batch_size {
                        let batch = std::mem::replace(&mut buf, Vec::with_capacity(settings.max_export_batch_size));
                        let _ = export(batch, settings.export_timeout).await;
                    }
                }
                None => return,
            },
            _ = tick.tick() => {
                if !buf.is_empty() {
                    let batch = std::mem::replace(&mut buf, Vec::with_capacity(settings.max_export_batch_size));
                    let _ = export(batch, settings.export_timeout).await;
                }
            }
        }
    }
}

/// The `error.type` value for a failed export.
fn error_type(e: &OTelSdkError) -> &'static str {
    match e {
        OTelSdkError::Timeout(_) => "timeout",
        OTelSdkError::AlreadyShutdown => "already_shutdown",
        _ => "export_failed",
    }
}

/// Span processor over a [`Batcher`]: unsampled spans never reach the queue.
#[derive(Debug)]
pub(crate) struct SpanBatcher(pub(crate) Batcher<SpanData>);

impl SpanProcessor for SpanBatcher {
    fn on_start(&self, _span: &mut opentelemetry_sdk::trace::Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if span.span_context.is_sampled() {
            self.0.push(span);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown(timeout)
    }
}

/// Log processor over a [`Batcher`].
#[derive(Debug)]
pub(crate) struct LogBatcher(pub(crate) Batcher<OwnedLog>);

impl LogProcessor for LogBatcher {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        self.0.push((record.clone(), scope.clone()));
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown(timeout)
    }

    fn event_enabled(&self, _level: Severity, _target: &str, _name: Option<&str>) -> bool {
        true
    }
}

/// Runs a metric exporter's futures inside the export runtime (whoever polls them),
/// bounds each export by a timeout, and counts exported and failed data points.
#[derive(Debug)]
pub(crate) struct MetricSink<E> {
    pub(crate) inner: E,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) alive: Alive,
    pub(crate) timeout: Duration,
    /// Set once the meter provider this exporter feeds exists.
    pub(crate) exported: Arc<OnceLock<Counter<u64>>>,
    pub(crate) attrs: Vec<KeyValue>,
    pub(crate) failed_exports: Arc<AtomicU64>,
}

impl<E> MetricSink<E> {
    pub(crate) fn new(
        inner: E,
        runtime: tokio::runtime::Handle,
        alive: Alive,
        timeout: Duration,
        exported: Arc<OnceLock<Counter<u64>>>,
        exporter: &str,
        failed_exports: Arc<AtomicU64>,
    ) -> Self {
        MetricSink {
            inner,
            runtime,
            alive,
            timeout,
            exported,
            attrs: exporter_attrs(exporter, 0),
            failed_exports,
        }
    }
}

impl<E: PushMetricExporter> PushMetricExporter for MetricSink<E> {
    fn export(&self, metrics: &ResourceMetrics) -> impl Future<Output = OTelSdkResult> + Send {
        let points = data_points(metrics);
        let timeout = self.timeout;
        let inner = self.inner.export(metrics);
        let run = InRuntime {
            runtime: self.runtime.clone(),
            alive: self.alive.clone(),
            // Built on first poll, inside the runtime, so the timer registers there.
            fut: Box::pin(async move {
                match tokio::time::timeout(timeout, inner).await {
                    Ok(r) => r,
                    Err(_) => Err(OTelSdkError::Timeout(timeout)),
                }
            }),
        };
        async move {
            let result = run.await;
            match &result {
                Ok(()) => {
                    if let Some(c) = self.exported.get() {
                        c.add(points, &self.attrs);
                    }
                }
                Err(e) => {
                    self.failed_exports.fetch_add(1, Ordering::Relaxed);
                    if let Some(c) = self.exported.get() {
                        let mut attrs = self.attrs.clone();
                        attrs.push(KeyValue::new(names::ERROR_TYPE, error_type(e)));
                        c.add(points, &attrs);
                    }
                }
            }
            result
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

/// Whether the export runtime still runs. Held for reading while a foreign
/// thread polls a future bound to the runtime, and for writing while the runtime
/// is shut down, so no such future is polled after (Tokio panics on that).
pub(crate) type Alive = Arc<RwLock<bool>>;

/// Polls a future with the export runtime entered, so its I/O and timers
/// register there whichever thread drives it.
struct InRuntime<F> {
    runtime: tokio::runtime::Handle,
    alive: Alive,
    fut: Pin<Box<F>>,
}

impl<F: Future<Output = OTelSdkResult>> Future for InRuntime<F> {
    type Output = OTelSdkResult;
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let alive = self.alive.clone();
        let alive = alive.read().unwrap_or_else(|e| e.into_inner());
        if !*alive {
            return Poll::Ready(Err(OTelSdkError::AlreadyShutdown));
        }
        let _in_runtime = self.runtime.enter();
        self.fut.as_mut().poll(cx)
    }
}

fn data_points(metrics: &ResourceMetrics) -> u64 {
    fn count<T>(d: &MetricData<T>) -> usize {
        match d {
            MetricData::Gauge(g) => g.data_points().count(),
            MetricData::Sum(s) => s.data_points().count(),
            MetricData::Histogram(h) => h.data_points().count(),
            MetricData::ExponentialHistogram(h) => h.data_points().count(),
        }
    }
    metrics
        .scope_metrics()
        .flat_map(|s| s.metrics())
        .map(|m| match m.data() {
            AggregatedMetrics::F64(d) => count(d),
            AggregatedMetrics::U64(d) => count(d),
            AggregatedMetrics::I64(d) => count(d),
        })
        .sum::<usize>() as u64
}

/// Console exporters: one line per span or log record on standard output.
pub(crate) mod console {
    use super::*;

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
            fn lines<T: std::fmt::Debug + Copy>(
                name: &str,
                d: &MetricData<T>,
                out: &mut Vec<String>,
            ) {
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
}
