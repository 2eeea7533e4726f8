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
//! `queue.depth` is observed from the tickets in flight (enqueued, not yet dequeued);
//! `queue.wait.duration` is the time between enqueue and dequeue;
//! `queue.process.duration` and `queue.processed` (with `error.type` on failure) cover
//! the work. A ticket or work item dropped unfinished counts as `error.type=cancelled`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use opentelemetry::metrics::{Counter, Histogram};
use opentelemetry::KeyValue;

use crate::{catalog, names};

struct Instruments {
    wait: Histogram<f64>,
    process: Histogram<f64>,
    processed: Counter<u64>,
}

fn instruments() -> &'static Instruments {
    static I: OnceLock<Instruments> = OnceLock::new();
    I.get_or_init(|| {
        let meter = opentelemetry::global::meter("ferrotel");
        let hist = |spec: &catalog::InstrumentSpec| {
            spec.f64_histogram(
                &meter,
                vec![
                    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0,
                ],
            )
        };
        Instruments {
            wait: hist(&catalog::QUEUE_WAIT_DURATION),
            process: hist(&catalog::QUEUE_PROCESS_DURATION),
            processed: catalog::QUEUE_PROCESSED.u64_counter(&meter),
        }
    })
}

struct Inner {
    attrs: [KeyValue; 1],
    depth: AtomicI64,
}

/// One named queue. Cheap to clone; all clones share the depth.
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
    /// A queue called `name` (`queue.name`), with its depth observed from now on.
    pub fn new(name: impl Into<String>) -> Self {
        let inner = Arc::new(Inner {
            attrs: [KeyValue::new(names::QUEUE_NAME, name.into())],
            depth: AtomicI64::new(0),
        });
        let weak = Arc::downgrade(&inner);
        let spec = &catalog::QUEUE_DEPTH;
        opentelemetry::global::meter("ferrotel")
            .i64_observable_up_down_counter(spec.name)
            .with_unit(spec.unit)
            .with_description(spec.description)
            .with_callback(move |o| {
                if let Some(q) = weak.upgrade() {
                    o.observe(q.depth.load(Ordering::Relaxed), &q.attrs);
                }
            })
            .build();
        Queue { inner }
    }

    /// Items enqueued and not yet dequeued.
    pub fn depth(&self) -> i64 {
        self.inner.depth.load(Ordering::Relaxed)
    }

    /// An item entered the queue: keep the ticket with it.
    pub fn enqueued(&self) -> Ticket {
        self.inner.depth.fetch_add(1, Ordering::Relaxed);
        Ticket {
            queue: self.inner.clone(),
            at: Instant::now(),
            taken: false,
        }
    }
}

/// An item waiting in a queue.
pub struct Ticket {
    queue: Arc<Inner>,
    at: Instant,
    taken: bool,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("waited", &self.at.elapsed())
            .finish()
    }
}

impl Ticket {
    /// The item left the queue: records the wait and starts timing the work.
    pub fn dequeued(mut self) -> Work {
        self.taken = true;
        self.queue.depth.fetch_sub(1, Ordering::Relaxed);
        instruments()
            .wait
            .record(self.at.elapsed().as_secs_f64(), &self.queue.attrs);
        Work {
            queue: self.queue.clone(),
            at: Instant::now(),
            done: false,
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.taken {
            // Never dequeued: it is no longer waiting, and it was never processed.
            self.queue.depth.fetch_sub(1, Ordering::Relaxed);
            let mut attrs = self.queue.attrs.to_vec();
            attrs.push(KeyValue::new(names::ERROR_TYPE, "cancelled"));
            instruments().processed.add(1, &attrs);
        }
    }
}

/// An item being processed.
pub struct Work {
    queue: Arc<Inner>,
    at: Instant,
    done: bool,
}

impl std::fmt::Debug for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work")
            .field("running", &self.at.elapsed())
            .finish()
    }
}

impl Work {
    /// The item was processed.
    pub fn finish(mut self) {
        self.record(None);
    }

    /// Processing failed; `error.type` is the error's type name.
    pub fn fail<E: std::error::Error + ?Sized>(mut self, error: &E) {
        tracing::warn!(target: "ferrotel::queue", error = %error, "queue item failed");
        self.record(Some(crate::app_errors::short_type_name::<E>()));
    }

    fn record(&mut self, error: Option<&'static str>) {
        self.done = true;
        let mut attrs = self.queue.attrs.to_vec();
        if let Some(e) = error {
            attrs.push(KeyValue::new(names::ERROR_TYPE, e));
        }
        let i = instruments();
        i.process.record(self.at.elapsed().as_secs_f64(), &attrs);
        i.processed.add(1, &attrs);
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        if !self.done {
            self.record(Some("cancelled"));
        }
    }
}
