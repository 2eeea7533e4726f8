//! The export runtime: a single-worker Tokio runtime of ferrotel's own that every
//! exporter's I/O runs on, and the guard that keeps foreign threads from polling its
//! futures after it stopped.
//!
//! Why a runtime of its own: the OTLP exporters need Tokio (tonic channels, async
//! HTTP), and running them on the application's runtime deadlocks a current-thread
//! runtime whose only thread is blocked in `shutdown()`.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context as TaskContext, Poll};

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};

/// Starts the single-worker runtime every export runs on. Its threads never
/// produce telemetry of their own (the SDK's suppression flag is set on them),
/// so an exporter's HTTP/gRPC logs cannot loop back into the pipeline.
pub(crate) fn start_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(2)
        .thread_name("ferrotel-export")
        .on_thread_start(|| std::mem::forget(Context::enter_telemetry_suppressed_scope()))
        .enable_all()
        .build()
}

/// Whether the export runtime still runs. Held for reading while a foreign
/// thread polls a future bound to the runtime, and for writing while the runtime
/// is shut down, so no such future is polled after (Tokio panics on that).
pub(crate) type Alive = Arc<RwLock<bool>>;

/// Polls a future with the export runtime entered, so its I/O and timers
/// register there whichever thread drives it.
pub(crate) struct InRuntime<F> {
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) alive: Alive,
    pub(crate) fut: Pin<Box<F>>,
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
