//! Self-monitoring: the SDK self-observability metrics (`otel.sdk.*`) of ferrotel's
//! own queues and exporters, and the counts the shutdown report is made from. Every
//! other export file records through these; none declares an instrument itself.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use opentelemetry::metrics::{Counter, Meter};
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkError;

use crate::{names, Signal};

/// Counts kept per batch queue, for self-monitoring and the shutdown report.
#[derive(Debug, Default)]
pub(crate) struct QueueStats {
    /// Items that entered the queue.
    pub(crate) accepted: AtomicU64,
    pub(crate) exported: AtomicU64,
    pub(crate) failed: AtomicU64,
    /// Items refused because the queue was full (by count or by bytes).
    pub(crate) dropped: AtomicU64,
    /// The estimated bytes of the items queued or being exported.
    pub(crate) queued_bytes: std::sync::atomic::AtomicUsize,
    /// Set once the queue is shut down: what is still unsent then is lost.
    pub(crate) closed: AtomicBool,
    /// Whether the last export failed, so failures are logged once per outage.
    pub(crate) failing: AtomicBool,
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

/// Reads how full one batch queue is: `(length, capacity)`.
pub(crate) struct QueueProbe(Box<dyn Fn() -> (usize, usize) + Send + Sync>);

impl QueueProbe {
    pub(crate) fn new(read: impl Fn() -> (usize, usize) + Send + Sync + 'static) -> Self {
        QueueProbe(Box::new(read))
    }

    fn len_and_capacity(&self) -> (usize, usize) {
        (self.0)()
    }
}

impl std::fmt::Debug for QueueProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (len, cap) = self.len_and_capacity();
        write!(f, "QueueProbe({len}/{cap})")
    }
}

/// The self-monitoring counters of one signal's processor and exporter.
#[derive(Debug, Clone)]
pub(crate) struct SignalMeters {
    pub(crate) processed: Counter<u64>,
    exported: Counter<u64>,
    pub(crate) ok_attrs: Arc<[KeyValue]>,
    queue_full_attrs: Arc<[KeyValue]>,
    /// `processed` bound to `queue_full_attrs` at the first drop (so the series appears
    /// with its first drop, as before): a full queue is when recording must be cheapest.
    queue_full: std::sync::OnceLock<opentelemetry::metrics::BoundCounter<u64>>,
    exporter_ok_attrs: Arc<[KeyValue]>,
    /// `otel.component.name` of the exporter, for log lines.
    pub(crate) label: Arc<str>,
    /// Where the exporter sends (userinfo masked), for log lines; `-` for the console.
    pub(crate) destination: Arc<str>,
}

impl SignalMeters {
    /// `signal` is the batched signal (traces or logs); `exporter` the
    /// `otel.component.type` of the exporter; `index` tells queues of one signal apart.
    pub(crate) fn new(meter: &Meter, signal: Signal, exporter: &str, index: usize) -> Self {
        let (processed, exported) = match signal {
            Signal::Traces => (
                names::OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
                names::OTEL_SDK_EXPORTER_SPAN_EXPORTED,
            ),
            // Metrics are not batched here; their points are counted by the metric sink.
            Signal::Logs | Signal::Metrics => (
                names::OTEL_SDK_PROCESSOR_LOG_PROCESSED,
                names::OTEL_SDK_EXPORTER_LOG_EXPORTED,
            ),
        };
        let processor_type = format!("batching_{}_processor", signal.item());
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
            queue_full: std::sync::OnceLock::new(),
            exporter_ok_attrs: exporter_attrs(exporter, index).into(),
            label: format!("{exporter}/{index}").into(),
            destination: "-".into(),
        }
    }

    /// Counts one item dropped at a full queue.
    pub(crate) fn dropped_queue_full(&self) {
        self.queue_full
            .get_or_init(|| self.processed.bind(&self.queue_full_attrs))
            .add(1);
    }

    /// Names the exporter's destination in its log lines.
    pub(crate) fn with_destination(mut self, destination: &str) -> Self {
        self.destination = crate::config::mask_userinfo(destination).into();
        self
    }

    pub(crate) fn exported(&self, n: u64, error: Option<&'static str>) {
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

pub(crate) fn exporter_attrs(exporter: &str, index: usize) -> Vec<KeyValue> {
    vec![
        KeyValue::new(names::OTEL_COMPONENT_TYPE, exporter.to_string()),
        KeyValue::new(names::OTEL_COMPONENT_NAME, format!("{exporter}/{index}")),
    ]
}

/// The `error.type` value for a failed export.
pub(crate) fn error_type(e: &OTelSdkError) -> &'static str {
    match e {
        OTelSdkError::Timeout(_) => "timeout",
        OTelSdkError::AlreadyShutdown => "already_shutdown",
        _ => "export_failed",
    }
}

/// `otel.sdk.processor.{signal}.queue.size` and `.capacity`, observed from the queues.
pub(crate) fn register_queue_gauges(meter: &Meter, signal: Signal, queues: Vec<QueueProbe>) {
    let (size, cap) = match signal {
        Signal::Traces => (
            &crate::catalog::SDK_SPAN_QUEUE_SIZE,
            &crate::catalog::SDK_SPAN_QUEUE_CAPACITY,
        ),
        Signal::Logs | Signal::Metrics => (
            &crate::catalog::SDK_LOG_QUEUE_SIZE,
            &crate::catalog::SDK_LOG_QUEUE_CAPACITY,
        ),
    };
    let probes: Vec<(QueueProbe, [KeyValue; 2])> = queues
        .into_iter()
        .enumerate()
        .map(|(i, q)| {
            let ty = format!("batching_{}_processor", signal.item());
            (
                q,
                [
                    KeyValue::new(names::OTEL_COMPONENT_TYPE, ty.clone()),
                    KeyValue::new(names::OTEL_COMPONENT_NAME, format!("{ty}/{i}")),
                ],
            )
        })
        .collect();
    if probes.is_empty() {
        return;
    }
    let probes = Arc::new(probes);
    // One gauge reads the queue's length, the other its capacity.
    type Pick = fn((usize, usize)) -> usize;
    let gauges: [(_, Pick); 2] = [(size, |(len, _)| len), (cap, |(_, capacity)| capacity)];
    for (spec, pick) in gauges {
        let probes = probes.clone();
        meter
            .i64_observable_up_down_counter(spec.name)
            .with_unit(spec.unit)
            .with_description(spec.description)
            .with_callback(move |o| {
                for (probe, attrs) in probes.iter() {
                    o.observe(pick(probe.len_and_capacity()) as i64, attrs);
                }
            })
            .build();
    }
}
