//! The metric sink: runs a push exporter's futures inside the export runtime, bounds
//! each export by a timeout, and counts the data points exported and failed.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use opentelemetry::metrics::Counter;
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;

use super::runtime::{Alive, InRuntime};
use super::selfmon::{error_type, exporter_attrs};
use crate::names;

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
    why: super::Why,
}

impl<E> MetricSink<E> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        inner: E,
        why: super::Why,
        runtime: tokio::runtime::Handle,
        alive: Alive,
        timeout: Duration,
        exported: Arc<OnceLock<Counter<u64>>>,
        exporter: &str,
        failed_exports: Arc<AtomicU64>,
    ) -> Self {
        MetricSink {
            inner,
            why,
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
            let result = self.why.explain(run.await);
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
