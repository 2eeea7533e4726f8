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

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use opentelemetry::metrics::{Counter, Histogram};
use opentelemetry::{KeyValue, StringValue};

use crate::{catalog, names};

struct Instruments {
    requests: Counter<u64>,
    duration: Histogram<f64>,
}

fn instruments() -> &'static Instruments {
    static I: OnceLock<Instruments> = OnceLock::new();
    I.get_or_init(|| {
        let meter = opentelemetry::global::meter("ferrotel");
        let d = &catalog::CACHE_OPERATION_DURATION;
        Instruments {
            requests: catalog::CACHE_REQUESTS.u64_counter(&meter),
            duration: d.f64_histogram(
                &meter,
                vec![
                    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                ],
            ),
        }
    })
}

/// One named cache. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Cache {
    name: Arc<str>,
}

impl Cache {
    /// A cache called `name` (`cache.name`): one per logical cache, not per key.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Cache { name: name.into() }
    }

    /// Starts timing one operation (`get`, `set`, `delete`, …).
    pub fn start(&self, operation: &'static str) -> CacheOp {
        CacheOp {
            name: self.name.clone(),
            operation,
            start: Instant::now(),
            done: false,
        }
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
        E: std::fmt::Display,
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
/// Attributes are built on the stack when it records, the cache name shared, not copied:
/// no heap allocation per operation (benches/overhead.rs).
#[derive(Debug)]
pub struct CacheOp {
    name: Arc<str>,
    operation: &'static str,
    start: Instant,
    done: bool,
}

impl CacheOp {
    /// The lookup found the key.
    pub fn hit(self) {
        self.lookup("hit");
    }

    /// The lookup did not find the key.
    pub fn miss(self) {
        self.lookup("miss");
    }

    fn base(&self) -> [KeyValue; 2] {
        [
            KeyValue::new(names::CACHE_NAME, StringValue::from(self.name.clone())),
            KeyValue::new(names::CACHE_OPERATION, self.operation),
        ]
    }

    fn lookup(mut self, result: &'static str) {
        let [name, operation] = self.base();
        let result = KeyValue::new(names::CACHE_RESULT, result);
        instruments().requests.add(1, &[name, operation, result]);
        self.record(None);
    }

    /// A write or delete succeeded.
    pub fn finish(mut self) {
        self.record(None);
    }

    /// The operation failed; the error is logged, its type labelled `error.type=cache_error`.
    pub fn fail<E: std::fmt::Display + ?Sized>(mut self, error: &E) {
        tracing::warn!(target: "ferrotel::cache", error = %error, "cache operation failed");
        self.record(Some("cache_error"));
    }

    fn record(&mut self, error: Option<&'static str>) {
        self.done = true;
        let seconds = self.start.elapsed().as_secs_f64();
        let [name, operation] = self.base();
        let duration = &instruments().duration;
        match error {
            Some(e) => duration.record(
                seconds,
                &[name, operation, KeyValue::new(names::ERROR_TYPE, e)],
            ),
            None => duration.record(seconds, &[name, operation]),
        }
    }
}

impl Drop for CacheOp {
    fn drop(&mut self) {
        if !self.done {
            self.record(Some("cancelled"));
        }
    }
}
