//! The one generic batcher: a bounded queue per exporter, drained by a task on the
//! export runtime. Recording is one `try_send`: a full queue drops the item and counts
//! it, never waits. Spans and log records go through the same code.
//!
//! A queue is bounded twice: by items and by bytes. Each item's long string values are
//! cut first ([`Item::cut`]), then its memory is estimated ([`Item::footprint`]); those
//! bytes count against the queue until the export that carries the item has finished, so
//! a flood of large spans cannot hold more than the byte capacity, in the queue or in
//! flight.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use opentelemetry::logs::Severity;
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter, LogProcessor, SdkLogRecord};
use opentelemetry_sdk::trace::{SpanData, SpanExporter, SpanProcessor};
use tokio::sync::{mpsc, Notify};

use super::selfmon::{error_type, QueueProbe, QueueStats, SignalMeters};
use crate::config::BatchSettings;

/// What a queue holds: something whose long strings can be cut and whose memory can be
/// estimated.
pub(crate) trait Item: Send + 'static {
    /// Cuts string values (attributes, a log body) to at most `max_chars` characters.
    fn cut(&mut self, max_chars: usize);
    /// The estimated bytes the item holds, itself included.
    fn footprint(&self) -> usize;
}

/// `s` cut to `max_chars` characters, or `None` when it is not longer.
fn shortened(s: &str, max_chars: usize) -> Option<String> {
    s.char_indices()
        .nth(max_chars)
        .map(|(at, _)| s[..at].to_string())
}

fn cut_value(value: &mut opentelemetry::Value, max_chars: usize) {
    use opentelemetry::{Array, StringValue, Value};
    match value {
        Value::String(s) => {
            if let Some(short) = shortened(s.as_str(), max_chars) {
                *s = StringValue::from(short);
            }
        }
        Value::Array(Array::String(items)) => {
            for s in items {
                if let Some(short) = shortened(s.as_str(), max_chars) {
                    *s = StringValue::from(short);
                }
            }
        }
        _ => {}
    }
}

fn value_bytes(value: &opentelemetry::Value) -> usize {
    use opentelemetry::{Array, Value};
    match value {
        Value::String(s) => s.as_str().len(),
        Value::Array(Array::String(items)) => items
            .iter()
            .map(|s| s.as_str().len() + std::mem::size_of_val(s))
            .sum(),
        Value::Array(Array::I64(v)) => v.len() * 8,
        Value::Array(Array::F64(v)) => v.len() * 8,
        Value::Array(Array::Bool(v)) => v.len(),
        _ => 0,
    }
}

fn attributes_bytes(attributes: &[opentelemetry::KeyValue]) -> usize {
    attributes
        .iter()
        .map(|kv| {
            std::mem::size_of::<opentelemetry::KeyValue>()
                + kv.key.as_str().len()
                + value_bytes(&kv.value)
        })
        .sum()
}

impl Item for SpanData {
    fn cut(&mut self, max_chars: usize) {
        let attributes = self
            .attributes
            .iter_mut()
            .chain(
                self.events
                    .events
                    .iter_mut()
                    .flat_map(|e| e.attributes.iter_mut()),
            )
            .chain(
                self.links
                    .links
                    .iter_mut()
                    .flat_map(|l| l.attributes.iter_mut()),
            );
        for kv in attributes {
            cut_value(&mut kv.value, max_chars);
        }
    }

    fn footprint(&self) -> usize {
        let events: usize = self
            .events
            .events
            .iter()
            .map(|e| std::mem::size_of_val(e) + e.name.len() + attributes_bytes(&e.attributes))
            .sum();
        let links: usize = self
            .links
            .links
            .iter()
            .map(|l| std::mem::size_of_val(l) + attributes_bytes(&l.attributes))
            .sum();
        std::mem::size_of::<SpanData>()
            + self.name.len()
            + attributes_bytes(&self.attributes)
            + events
            + links
    }
}

fn any_value_bytes(value: &opentelemetry::logs::AnyValue) -> usize {
    use opentelemetry::logs::AnyValue;
    std::mem::size_of::<AnyValue>()
        + match value {
            AnyValue::String(s) => s.as_str().len(),
            AnyValue::Bytes(b) => b.len(),
            AnyValue::ListAny(items) => items.iter().map(any_value_bytes).sum(),
            AnyValue::Map(map) => map
                .iter()
                .map(|(k, v)| k.as_str().len() + any_value_bytes(v))
                .sum(),
            _ => 0,
        }
}

impl Item for OwnedLog {
    /// The body is cut; attributes are only counted, since the SDK's record offers no
    /// way to edit them (the byte capacity still holds).
    fn cut(&mut self, max_chars: usize) {
        use opentelemetry::logs::{AnyValue, LogRecord};
        let short = match self.0.body() {
            Some(AnyValue::String(s)) => shortened(s.as_str(), max_chars),
            _ => None,
        };
        if let Some(short) = short {
            self.0.set_body(AnyValue::from(short));
        }
    }

    fn footprint(&self) -> usize {
        let attributes: usize = self
            .0
            .attributes_iter()
            .map(|(k, v)| k.as_str().len() + any_value_bytes(v))
            .sum();
        std::mem::size_of::<OwnedLog>() + self.0.body().map_or(0, any_value_bytes) + attributes
    }
}

/// What a batch queue hands its items to.
pub(crate) trait Sink<T>: Send + Sync + 'static {
    fn export(&self, batch: Vec<T>) -> impl Future<Output = OTelSdkResult> + Send;
    fn shutdown(&self, timeout: Duration) -> OTelSdkResult;
}

/// Spans go to any SDK span exporter; its failures are explained by the [`Why`](super::why::Why) its
/// client fills.
#[derive(Debug)]
pub(crate) struct Spans<E>(pub(crate) E, pub(crate) super::Why);

impl<E: SpanExporter + 'static> Sink<SpanData> for Spans<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.1.explain(self.0.export(batch).await)
    }
    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
}

/// A log record with the scope it was emitted in, owned so it can wait in a queue.
pub(crate) type OwnedLog = (SdkLogRecord, InstrumentationScope);

/// Log records go to any SDK log exporter; its failures are explained by the [`Why`](super::why::Why)
/// its client fills.
#[derive(Debug)]
pub(crate) struct Logs<E>(pub(crate) E, pub(crate) super::Why);

impl<E: LogExporter + 'static> Sink<OwnedLog> for Logs<E> {
    async fn export(&self, batch: Vec<OwnedLog>) -> OTelSdkResult {
        let refs: Vec<(&SdkLogRecord, &InstrumentationScope)> =
            batch.iter().map(|(r, s)| (r, s)).collect();
        self.1.explain(self.0.export(LogBatch::new(&refs)).await)
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
    items: mpsc::Sender<(T, usize)>,
    /// Wakes the drain task once a quarter of a batch waits: a push never wakes it
    /// otherwise (a wake per item costs the export thread a context switch per span),
    /// and the drain still moves items out of the queue early enough that the batch it
    /// assembles does not take queue room from new items.
    ready: Arc<Notify>,
    wake_at: usize,
    control: mpsc::UnboundedSender<Control>,
    stats: Arc<QueueStats>,
    meters: SignalMeters,
    closed: AtomicBool,
    flush_timeout: Duration,
    max_bytes: usize,
    max_chars: usize,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Control::Flush(_) => "Flush",
            Control::Shutdown(..) => "Shutdown",
        })
    }
}

impl<T: Item> Batcher<T> {
    pub(crate) fn start<S: Sink<T>>(
        runtime: &tokio::runtime::Handle,
        sink: S,
        settings: BatchSettings,
        meters: SignalMeters,
    ) -> Self {
        let (items, rx) = mpsc::channel(settings.max_queue_size);
        let (control, control_rx) = mpsc::unbounded_channel();
        let stats = Arc::new(QueueStats::default());
        let ready = Arc::new(Notify::new());
        runtime.spawn(drain(
            rx,
            ready.clone(),
            control_rx,
            sink,
            settings,
            stats.clone(),
            meters.clone(),
        ));
        Batcher {
            items,
            ready,
            wake_at: (settings.max_export_batch_size / 4).max(1),
            control,
            stats,
            meters,
            closed: AtomicBool::new(false),
            flush_timeout: settings.export_timeout,
            max_bytes: settings.max_queue_bytes,
            max_chars: settings.max_value_chars,
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

    /// Never blocks: a queue full by count or by bytes drops the item and counts it.
    pub(crate) fn push(&self, mut item: T) {
        item.cut(self.max_chars);
        let bytes = item.footprint();
        let held = self.stats.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        if held.saturating_add(bytes) <= self.max_bytes
            && self.items.try_send((item, bytes)).is_ok()
        {
            self.stats.accepted.fetch_add(1, Ordering::Relaxed);
            let queued = self.items.max_capacity() - self.items.capacity();
            if queued >= self.wake_at {
                self.ready.notify_one();
            }
        } else {
            self.stats.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            self.meters.dropped_queue_full();
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

/// Moves queued items into `buf` until it holds `max`; `true` when the queue is closed.
fn fill<T>(
    rx: &mut mpsc::Receiver<(T, usize)>,
    buf: &mut Vec<T>,
    buf_bytes: &mut usize,
    max: usize,
) -> bool {
    while buf.len() < max {
        match rx.try_recv() {
            Ok((item, bytes)) => {
                buf.push(item);
                *buf_bytes += bytes;
            }
            Err(mpsc::error::TryRecvError::Empty) => return false,
            Err(mpsc::error::TryRecvError::Disconnected) => return true,
        }
    }
    false
}

async fn drain<T: Send + 'static, S: Sink<T>>(
    mut rx: mpsc::Receiver<(T, usize)>,
    ready: Arc<Notify>,
    mut control: mpsc::UnboundedReceiver<Control>,
    sink: S,
    settings: BatchSettings,
    stats: Arc<QueueStats>,
    meters: SignalMeters,
) {
    let mut buf: Vec<T> = Vec::with_capacity(settings.max_export_batch_size);
    // The bytes of the items in `buf`: released once their export has finished.
    let mut buf_bytes = 0usize;
    let mut tick = tokio::time::interval(settings.schedule_delay);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let export = |batch: Vec<T>, bytes: usize, limit: Duration| {
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
            stats.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            match &result {
                Ok(()) => {
                    stats.exported.fetch_add(n, Ordering::Relaxed);
                    meters.exported(n, None);
                    if stats.failing.swap(false, Ordering::Relaxed) {
                        tracing::info!(target: "ferrotel::export", exporter = %meters.label, endpoint = %meters.destination, "exports succeed again");
                    }
                }
                Err(e) => {
                    stats.failed.fetch_add(n, Ordering::Relaxed);
                    meters.exported(n, Some(error_type(e)));
                    if !stats.failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(target: "ferrotel::export", exporter = %meters.label, endpoint = %meters.destination, error = %e, items = n,
                            "export failed; items are counted in otel.sdk.exporter.*.exported with error.type, further failures are not logged until an export succeeds");
                    }
                }
            }
            result
        }
    };
    // Exports in flight: while one waits for the collector's answer, the next batch is
    // already on its way (at most `max_concurrent_exports`).
    let mut inflight = FuturesUnordered::new();
    let max_inflight = settings.max_concurrent_exports.max(1);
    loop {
        tokio::select! {
            biased;
            msg = control.recv() => {
                let (deadline, reply) = match msg {
                    Some(Control::Flush(reply)) => (Instant::now() + settings.export_timeout, Some((false, reply))),
                    Some(Control::Shutdown(deadline, reply)) => (deadline, Some((true, reply))),
                    None => (Instant::now() + settings.export_timeout, None),
                };
                // What is in flight was queued before the flush: it counts in its answer.

                let mut result = Ok(());
                while let Some(r) = inflight.next().await {
                    if let Err(e) = r {
                        result = Err(e);
                    }
                }
                loop {
                    fill(&mut rx, &mut buf, &mut buf_bytes, settings.max_export_batch_size);
                    if buf.is_empty() {
                        break;
                    }
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        result = Err(OTelSdkError::Timeout(settings.export_timeout));
                        break;
                    }
                    let batch = std::mem::replace(&mut buf, Vec::with_capacity(settings.max_export_batch_size));
                    let bytes = std::mem::take(&mut buf_bytes);
                    if let Err(e) = export(batch, bytes, left.min(settings.export_timeout)).await {
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
            Some(_) = inflight.next(), if !inflight.is_empty() => {}
            // Items wait (the producer said so), or the schedule delay passed: move what
            // the queue holds into the batch, export full batches; on the schedule, the
            // partial one too.
            scheduled = async {
                tokio::select! {
                    biased;
                    _ = ready.notified() => false,
                    _ = tick.tick() => true,
                }
            } => {
                let mut closed = false;
                loop {
                    closed |= fill(&mut rx, &mut buf, &mut buf_bytes, settings.max_export_batch_size);
                    let full = buf.len() >= settings.max_export_batch_size;
                    if buf.is_empty() || !(full || scheduled || closed) {
                        break;
                    }
                    let batch = std::mem::replace(&mut buf, Vec::with_capacity(settings.max_export_batch_size));
                    let bytes = std::mem::take(&mut buf_bytes);
                    if inflight.len() >= max_inflight {
                        inflight.next().await;
                    }
                    inflight.push(export(batch, bytes, settings.export_timeout));
                    if !full {
                        break;
                    }
                }
                if closed {
                    while inflight.next().await.is_some() {}
                    return;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A sink whose exports wait until released, counting how many wait at once.
    struct Slow {
        now: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
        release: Arc<tokio::sync::Semaphore>,
    }

    impl Sink<SpanData> for Slow {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(n, Ordering::SeqCst);
            let _permit = self.release.acquire().await;
            self.now.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        }
        fn shutdown(&self, _timeout: Duration) -> OTelSdkResult {
            Ok(())
        }
    }

    fn span() -> SpanData {
        use opentelemetry::trace::{SpanContext, SpanKind, Status};
        SpanData {
            span_context: SpanContext::empty_context(),
            parent_span_id: opentelemetry::trace::SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: "s".into(),
            start_time: std::time::SystemTime::now(),
            end_time: std::time::SystemTime::now(),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: Default::default(),
            links: Default::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("t").build(),
        }
    }

    /// Full batches go out while earlier ones still wait for their answer, up to the
    /// limit; a flush waits for those in flight too.
    fn in_flight_at_once(limit: usize) -> usize {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (now, most) = (Arc::default(), Arc::new(AtomicUsize::new(0)));
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let sink = Slow {
            now,
            most: most.clone(),
            release: release.clone(),
        };
        let settings = BatchSettings {
            max_export_batch_size: 2,
            max_queue_size: 64,
            max_concurrent_exports: limit,
            ..BatchSettings::SPANS
        };
        let provider = opentelemetry_sdk::metrics::SdkMeterProvider::default();
        let meter = opentelemetry::metrics::MeterProvider::meter(&provider, "t");
        let meters = SignalMeters::new(&meter, crate::Signal::Traces, "t", 0);
        let batcher = Batcher::start(rt.handle(), sink, settings, meters);
        for _ in 0..12 {
            batcher.push(span());
        }
        std::thread::sleep(Duration::from_millis(300));
        let seen = most.load(Ordering::SeqCst);
        release.add_permits(100);
        batcher.flush().unwrap();
        assert_eq!(batcher.stats().exported.load(Ordering::Relaxed), 12);
        seen
    }

    #[test]
    fn exports_overlap_up_to_the_limit() {
        assert_eq!(in_flight_at_once(1), 1);
        assert_eq!(in_flight_at_once(2), 2);
        assert_eq!(in_flight_at_once(4), 4);
    }

    /// A sink that counts what it exported.
    struct Counting(Arc<AtomicUsize>);

    impl Sink<SpanData> for Counting {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            self.0.fetch_add(batch.len(), Ordering::SeqCst);
            Ok(())
        }
        fn shutdown(&self, _timeout: Duration) -> OTelSdkResult {
            Ok(())
        }
    }

    /// With the drain woken by the producers rather than by each item: full batches
    /// leave without waiting for the schedule, a partial one waits for the schedule or a
    /// flush, and nothing is lost between the two.
    #[test]
    fn full_batches_leave_at_once_and_the_rest_at_a_flush() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let exported = Arc::new(AtomicUsize::new(0));
        let settings = BatchSettings {
            max_export_batch_size: 8,
            max_queue_size: 64,
            // Never, within the test: only a wake can start an export.
            schedule_delay: Duration::from_secs(3600),
            ..BatchSettings::SPANS
        };
        let provider = opentelemetry_sdk::metrics::SdkMeterProvider::default();
        let meter = opentelemetry::metrics::MeterProvider::meter(&provider, "t");
        let meters = SignalMeters::new(&meter, crate::Signal::Traces, "t", 0);
        let batcher = Batcher::start(rt.handle(), Counting(exported.clone()), settings, meters);
        // The interval's first tick is immediate: let it pass before pushing.
        std::thread::sleep(Duration::from_millis(100));
        batcher.push(span());
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            exported.load(Ordering::SeqCst),
            0,
            "one item is not a batch"
        );
        for _ in 0..18 {
            batcher.push(span());
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while exported.load(Ordering::SeqCst) < 16 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            exported.load(Ordering::SeqCst),
            16,
            "two full batches left on a wake"
        );
        batcher.flush().unwrap();
        assert_eq!(exported.load(Ordering::SeqCst), 19, "the rest at the flush");
    }
}
