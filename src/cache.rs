//! Cache telemetry: hits, misses and operation duration by cache and operation.
//!
//! ```
//! let cache = ferrotel::cache::Cache::new("users");
//! let op = cache.start("get");
//! // ... look the key up ...
//! op.miss();
//! ```
//!
//! `cache.requests` counts lookups by `cache.result` (`hit`, `miss`), so the hit ratio is
//! `sum(rate(cache_requests_total{cache_result="hit"}[5m])) / sum(rate(cache_requests_total[5m]))`;
//! `cache.operation.duration` times every operation (`get`, `set`, `delete`, …), with
//! `error.type` when it failed.

use std::sync::Arc;
use std::time::Instant;

use opentelemetry::metrics::{BoundCounter, BoundHistogram, Counter, Histogram, Meter};
use opentelemetry::{KeyValue, StringValue};

use crate::failure::error_type;
use crate::instrument::guard::{End, Guard, Operation};
use crate::instrument::resolved::Resolved;
use crate::instrument::Bound;
use crate::{catalog, names};

#[derive(Debug)]
struct Instruments {
    requests: Counter<u64>,
    duration: Histogram<f64>,
    /// Bound per (operation, result): a successful operation records without hashing
    /// its attributes.
    sets: Resolved<((usize, usize), Option<&'static str>), Set>,
}

/// One successful operation's instruments, bound to its attributes.
#[derive(Debug)]
struct Set {
    requests: Option<BoundCounter<u64>>,
    duration: BoundHistogram<f64>,
}

impl Instruments {
    fn new(meter: &Meter) -> Self {
        let d = &catalog::CACHE_OPERATION_DURATION;
        Instruments {
            requests: catalog::CACHE_REQUESTS.u64_counter(meter),
            duration: d.f64_histogram(
                meter,
                vec![
                    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                ],
            ),
            sets: Resolved::default(),
        }
    }
}

/// One named cache. Cheap to clone.
///
/// Its instruments come from the global meter (the pipeline `init` installed; a cache
/// built before `init` binds on first use after it) or from [`with_meter`](Cache::with_meter).
#[derive(Debug, Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `cache.name`, built once: recording clones it (one reference count), never the text.
    name: KeyValue,
    bound: Bound<Instruments>,
}

impl Cache {
    /// A cache called `name` (`cache.name`): one per logical cache, not per key.
    #[must_use]
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        let name: Arc<str> = name.into();
        Cache {
            inner: Arc::new(Inner {
                name: KeyValue::new(names::CACHE_NAME, StringValue::from(name)),
                bound: Bound::new("cache", None, Instruments::new),
            }),
        }
    }

    /// Records through `meter` instead of the global meter.
    ///
    /// ```
    /// let provider = opentelemetry_sdk::metrics::SdkMeterProvider::default();
    /// let meter = opentelemetry::metrics::MeterProvider::meter(&provider, "app");
    /// let cache = ferrotel::cache::Cache::new("users").with_meter(&meter);
    /// cache.start("get").hit();
    /// ```
    #[must_use]
    pub fn with_meter(self, meter: &Meter) -> Self {
        Cache {
            inner: Arc::new(Inner {
                name: self.inner.name.clone(),
                bound: Bound::new("cache", Some(meter), Instruments::new),
            }),
        }
    }

    /// Starts timing one operation (`get`, `set`, `delete`, …).
    pub fn start(&self, operation: &'static str) -> CacheOp<'_> {
        CacheOp(Guard::new(Op {
            cache: &self.inner,
            operation,
            start: Instant::now(),
            result: None,
        }))
    }

    /// Runs a lookup: `Ok(Some)` is a hit, `Ok(None)` a miss, `Err` a failure.
    ///
    /// ```no_run
    /// # #[cfg(feature = "redis")]
    /// # async fn run(mut redis: redis::aio::MultiplexedConnection) -> redis::RedisResult<()> {
    /// use redis::AsyncCommands;
    /// let cache = ferrotel::cache::Cache::new("users");
    /// let name: Option<String> = cache.get(redis.get("user:7")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get<T, E, F>(&self, lookup: F) -> Result<Option<T>, E>
    where
        F: std::future::Future<Output = Result<Option<T>, E>>,
        E: std::error::Error + 'static,
    {
        let op = self.start("get");
        let result = lookup.await;
        match &result {
            Ok(Some(_)) => op.hit(),
            Ok(None) => op.miss(),
            Err(e) => op.fail(e),
        }
        result
    }
}

/// One cache operation; records when finished or dropped (unfinished: `error.type=cancelled`).
///
/// It borrows its cache; attributes are built on the stack when it records, the cache
/// name shared, not copied: no heap allocation per operation (benches/overhead.rs).
#[derive(Debug)]
#[must_use = "an operation records when finished or failed; dropped, it counts as cancelled"]
pub struct CacheOp<'a>(Guard<Op<'a>>);

#[derive(Debug)]
struct Op<'a> {
    cache: &'a Inner,
    operation: &'static str,
    start: Instant,
    /// `hit` or `miss`, for lookups.
    result: Option<&'static str>,
}

impl CacheOp<'_> {
    /// The lookup found the key.
    pub fn hit(mut self) {
        self.0.op_mut().result = Some("hit");
        self.0.end(End::Finished);
    }

    /// The lookup did not find the key.
    pub fn miss(mut self) {
        self.0.op_mut().result = Some("miss");
        self.0.end(End::Finished);
    }

    /// A write or delete succeeded.
    pub fn finish(self) {
        self.0.end(End::Finished);
    }

    /// The operation failed: `error.type` from the error's kind, and a `WARN` event.
    pub fn fail<E: std::error::Error + 'static>(self, error: &E) {
        tracing::warn!(target: "ferrotel::cache", error = %error, "cache operation failed");
        self.0.end(End::Failed(error_type(error)));
    }
}

impl Operation for Op<'_> {
    fn end(&mut self, end: End) {
        let Some(bound) = self.cache.bound.get() else {
            return;
        };
        let i = &bound.instruments;
        let seconds = self.start.elapsed().as_secs_f64();
        let error = end.error_type();
        if error.is_none() {
            // Keyed by the operation's address and length: the same text at two
            // addresses binds twice, to the same series.
            let op = (self.operation.as_ptr() as usize, self.operation.len());
            let key = (op, self.result);
            let bind = || {
                let name = self.cache.name.clone();
                let operation = KeyValue::new(names::CACHE_OPERATION, self.operation);
                Set {
                    requests: self.result.map(|r| {
                        let result = KeyValue::new(names::CACHE_RESULT, r);
                        i.requests.bind(&[name.clone(), operation.clone(), result])
                    }),
                    duration: i.duration.bind(&[name, operation]),
                }
            };
            let recorded = i.sets.record(key, bind, |set| {
                if let Some(r) = &set.requests {
                    r.add(1);
                }
                set.duration.record(seconds);
            });
            if recorded {
                return;
            }
        }
        let name = self.cache.name.clone();
        let operation = KeyValue::new(names::CACHE_OPERATION, self.operation);
        if let Some(result) = self.result {
            let result = KeyValue::new(names::CACHE_RESULT, result);
            i.requests
                .add(1, &[name.clone(), operation.clone(), result]);
        }
        match error {
            Some(e) => i.duration.record(
                seconds,
                &[
                    name,
                    operation,
                    KeyValue::new(names::ERROR_TYPE, e.to_string()),
                ],
            ),
            None => i.duration.record(seconds, &[name, operation]),
        }
    }
}
