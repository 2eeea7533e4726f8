//! In-process queue telemetry: depth, time waited, items processed and failed.
//!
//! ```
//! let queue = ferrotel::queue::Queue::new("emails");
//! let ticket = queue.enqueued();          // travels with the item
//! // ... later, on the worker ...
//! let work = ticket.dequeued();           // records the wait
//! work.finish();                          // or work.fail(&err)
//! ```
//!
//! `queue.depth` counts the tickets in flight (enqueued, not yet dequeued) as an
//! up-down counter moved by each ticket, so a queue registers no callback and leaves
//! nothing behind in the meter when dropped;
//! `queue.wait.duration` is the time between enqueue and dequeue;
//! `queue.process.duration` and `queue.processed` (with `error.type` on failure) cover
//! the work. A ticket or work item dropped unfinished counts as `error.type=cancelled`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use opentelemetry::metrics::{Counter, Histogram, Meter, UpDownCounter};
use opentelemetry::KeyValue;

use crate::failure::error_type;
use crate::instrument::guard::{End, Guard, Operation};
use crate::instrument::Bound;
use crate::{catalog, names};

#[derive(Debug)]
struct Instruments {
    wait: Histogram<f64>,
    process: Histogram<f64>,
    processed: Counter<u64>,
    depth: UpDownCounter<i64>,
}

impl Instruments {
    fn new(meter: &Meter) -> Self {
        let hist = |spec: &catalog::InstrumentSpec| {
            spec.f64_histogram(
                meter,
                vec![
                    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0,
                ],
            )
        };
        Instruments {
            wait: hist(&catalog::QUEUE_WAIT_DURATION),
            process: hist(&catalog::QUEUE_PROCESS_DURATION),
            processed: catalog::QUEUE_PROCESSED.u64_counter(meter),
            depth: catalog::QUEUE_DEPTH.i64_up_down_counter(meter),
        }
    }
}

struct Inner {
    attrs: [KeyValue; 1],
    depth: AtomicI64,
    bound: Bound<Instruments>,
}

/// One named queue. Cheap to clone; all clones share the depth.
///
/// Its instruments come from the global meter (the pipeline `init` installed; a queue
/// built before `init` binds on first use after it) or from [`with_meter`](Queue::with_meter).
#[derive(Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("name", &self.inner.attrs[0].value)
            .field("depth", &self.depth())
            .finish()
    }
}

impl Queue {
    /// A queue called `name` (`queue.name`).
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Queue::build(name.into(), None)
    }

    /// A queue called `name` recording through `meter` instead of the global meter.
    ///
    /// ```
    /// let provider = opentelemetry_sdk::metrics::SdkMeterProvider::default();
    /// let meter = opentelemetry::metrics::MeterProvider::meter(&provider, "app");
    /// let queue = ferrotel::queue::Queue::with_meter("emails", &meter);
    /// queue.enqueued().dequeued().finish();
    /// ```
    #[must_use]
    pub fn with_meter(name: impl Into<String>, meter: &Meter) -> Self {
        Queue::build(name.into(), Some(meter))
    }

    fn build(name: String, meter: Option<&Meter>) -> Self {
        Queue {
            inner: Arc::new(Inner {
                attrs: [KeyValue::new(names::QUEUE_NAME, name)],
                depth: AtomicI64::new(0),
                bound: Bound::new("queue", meter, Instruments::new),
            }),
        }
    }

    /// Items enqueued and not yet dequeued.
    pub fn depth(&self) -> i64 {
        self.inner.depth.load(Ordering::Relaxed)
    }

    /// An item entered the queue: keep the ticket with it.
    pub fn enqueued(&self) -> Ticket {
        self.inner.depth.fetch_add(1, Ordering::Relaxed);
        // Only a ticket whose arrival was counted takes itself off the depth metric.
        let counted = match self.inner.bound.get() {
            Some(bound) => {
                bound.instruments.depth.add(1, &self.inner.attrs);
                true
            }
            None => false,
        };
        Ticket(Guard::new(Waiting {
            queue: self.inner.clone(),
            at: Instant::now(),
            counted,
        }))
    }
}

/// An item waiting in a queue. Dropped before it is dequeued, it counts as processed with
/// `error.type=cancelled`.
#[derive(Debug)]
#[must_use = "a ticket records the wait when dequeued; dropped, the item counts as cancelled"]
pub struct Ticket(Guard<Waiting>);

struct Waiting {
    queue: Arc<Inner>,
    at: Instant,
    /// Whether `enqueued` added this ticket to the depth metric.
    counted: bool,
}

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("waited", &self.at.elapsed())
            .finish()
    }
}

impl Ticket {
    /// The item left the queue: records the wait and starts timing the work.
    pub fn dequeued(self) -> Work {
        let queue = self.0.op().queue.clone();
        self.0.end(End::Finished);
        Work(Guard::new(Processing {
            queue,
            at: Instant::now(),
        }))
    }
}

impl Operation for Waiting {
    fn end(&mut self, end: End) {
        let queue = &self.queue;
        queue.depth.fetch_sub(1, Ordering::Relaxed);
        let Some(bound) = queue.bound.get() else {
            return;
        };
        if self.counted {
            bound.instruments.depth.add(-1, &queue.attrs);
        }
        match end.error_type() {
            None => {
                bound
                    .instruments
                    .wait
                    .record(self.at.elapsed().as_secs_f64(), &queue.attrs);
            }
            // Never dequeued: it is no longer waiting, and it was never processed.
            Some(e) => {
                let mut attrs = queue.attrs.to_vec();
                attrs.push(KeyValue::new(names::ERROR_TYPE, e.to_string()));
                bound.instruments.processed.add(1, &attrs);
            }
        }
    }
}

/// An item being processed. Dropped unfinished, it counts as `error.type=cancelled`.
#[derive(Debug)]
#[must_use = "work records when finished or failed; dropped, it counts as cancelled"]
pub struct Work(Guard<Processing>);

struct Processing {
    queue: Arc<Inner>,
    at: Instant,
}

impl std::fmt::Debug for Processing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work")
            .field("running", &self.at.elapsed())
            .finish()
    }
}

impl Work {
    /// The item was processed.
    pub fn finish(self) {
        self.0.end(End::Finished);
    }

    /// Processing failed: `error.type` from the error's kind, and a `WARN` event.
    pub fn fail<E: std::error::Error + 'static>(self, error: &E) {
        tracing::warn!(target: "ferrotel::queue", error = %error, "queue item failed");
        self.0.end(End::Failed(error_type(error)));
    }
}

impl Operation for Processing {
    fn end(&mut self, end: End) {
        let queue = &self.queue;
        let Some(bound) = queue.bound.get() else {
            return;
        };
        let mut attrs = queue.attrs.to_vec();
        if let Some(e) = end.error_type() {
            attrs.push(KeyValue::new(names::ERROR_TYPE, e.to_string()));
        }
        let i = &bound.instruments;
        i.process.record(self.at.elapsed().as_secs_f64(), &attrs);
        i.processed.add(1, &attrs);
    }
}
