//! The one generic batcher: a bounded queue per exporter, drained by a task on the
//! export runtime. Recording is one `try_send`: a full queue drops the item and counts
//! it, never waits. Spans and log records go through the same code.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::{Duration, Instant};

use opentelemetry::logs::Severity;
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter, LogProcessor, SdkLogRecord};
use opentelemetry_sdk::trace::{SpanData, SpanExporter, SpanProcessor};
use tokio::sync::mpsc;

use super::selfmon::{error_type, QueueProbe, QueueStats, SignalMeters};
use crate::config::BatchSettings;

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
    pub(crate) fn probe(&self) -> QueueProbe {
        let items = self.items.clone();
        QueueProbe::new(move || {
            (
                items.max_capacity() - items.capacity(),
                items.max_capacity(),
            )
        })
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
                        tracing::info!(target: "ferrotel::export", exporter = %meters.label, "exports succeed again");
                    }
                }
                Err(e) => {
                    stats.failed.fetch_add(n, Ordering::Relaxed);
                    meters.exported(n, Some(error_type(e)));
                    if !stats.failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(target: "ferrotel::export", exporter = %meters.label, error = %e, items = n,
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
