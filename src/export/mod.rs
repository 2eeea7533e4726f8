//! The export path, everything between a finished span, log record or metric
//! collection and the wire:
//!
//! - `runtime`: the single-worker runtime exports run on, and its liveness guard;
//! - `batcher`: the one generic bounded batcher (spans and log records);
//! - `metric_sink`: the push-metric exporter wrapper;
//! - `selfmon`: the `otel.sdk.*` self-monitoring instruments and the undelivered counts;
//! - `console`: the console exporters;
//! - `why`: the cause of a failed export where the exporter's error lost it.
//!
//! On the application side, recording a span or a log record is one `try_send` into a
//! bounded queue: when it is full the item is dropped and counted, never waited for.

mod batcher;
pub(crate) mod console;
mod metric_sink;
mod runtime;
mod selfmon;
mod why;

pub(crate) use batcher::{Batcher, Item, LogBatcher, Logs, Sink, SpanBatcher, Spans};
pub(crate) use metric_sink::MetricSink;
pub(crate) use runtime::{start_runtime, Alive};
pub(crate) use selfmon::{register_queue_gauges, QueueStats, SignalMeters};
#[cfg(feature = "reqwest")]
pub(crate) use why::chain;
pub(crate) use why::Why;
