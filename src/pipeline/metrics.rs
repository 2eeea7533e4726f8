//! The meter provider: the Prometheus exposition reader, the OTLP periodic reader and
//! the console reader, as configured.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use opentelemetry::metrics::Meter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::Resource;

use super::otlp;
use crate::admin::Exposition;
use crate::config::Resolved;
use crate::error::Error;
use crate::export::{self, Alive, MetricSink};
use crate::Signal;

/// What the metrics part of the pipeline hands back.
pub(crate) struct Metrics {
    pub(crate) provider: SdkMeterProvider,
    pub(crate) exposition: Option<Exposition>,
    /// OTLP metric exports that failed, for the shutdown report.
    pub(crate) failed_exports: Arc<AtomicU64>,
}

/// Builds the meter provider. It comes first: the other signals' self-monitoring records
/// into it (`selfmon`), and the OTLP sink counts its own exported points once it exists.
pub(crate) fn build(
    config: &Resolved,
    resource: &Resource,
    runtime: &tokio::runtime::Handle,
    alive: &Alive,
) -> Result<(Metrics, Meter), Error> {
    let failed_exports = Arc::new(AtomicU64::new(0));
    let points_exported = Arc::new(OnceLock::new());
    let chosen = config.exporters.get(Signal::Metrics);
    let mut mp = SdkMeterProvider::builder().with_resource(resource.clone());
    // One series limit for every instrument: beyond it, measurements go to the overflow
    // series (`otel.metric.overflow=true`), which keeps memory bounded and loses nothing.
    let limit = config.metric_cardinality;
    mp = mp.with_view(move |_: &opentelemetry_sdk::metrics::Instrument| {
        opentelemetry_sdk::metrics::Stream::builder()
            .with_cardinality_limit(limit)
            .build()
            .ok()
    });
    #[allow(unused_mut)] // set only with the `prometheus` feature
    let mut exposition: Option<Exposition> = None;
    #[cfg(feature = "prometheus")]
    if chosen.prometheus {
        let (expo, reader) = Exposition::new().map_err(|reason| Error::Exporter {
            signal: Signal::Metrics,
            endpoint: "prometheus".into(),
            reason,
        })?;
        exposition = Some(expo);
        mp = mp.with_reader(reader);
    }
    // Without an OTLP transport `otlp::metrics` only returns its error.
    #[cfg_attr(not(feature = "_otlp"), allow(unreachable_code, unused_variables))]
    if let Some(t) = config.otlp(Signal::Metrics) {
        let (exporter, why) = otlp::metrics(t, config.temporality)?;
        let sink = MetricSink::new(
            exporter,
            why,
            runtime.clone(),
            alive.clone(),
            config.metric_timeout,
            points_exported.clone(),
            &otlp::component_type(Signal::Metrics, t.protocol),
            failed_exports.clone(),
        );
        mp = mp.with_reader(
            PeriodicReader::builder(sink)
                .with_interval(config.metric_interval)
                .build(),
        );
    }
    if chosen.console {
        mp = mp.with_reader(
            PeriodicReader::builder(export::console::MetricConsole)
                .with_interval(config.metric_interval)
                .build(),
        );
    }
    let provider = mp.build();
    let selfmon = opentelemetry::metrics::MeterProvider::meter(&provider, "ferrotel");
    let _ = points_exported.set(crate::catalog::SDK_METRIC_POINTS_EXPORTED.u64_counter(&selfmon));
    Ok((
        Metrics {
            provider,
            exposition,
            failed_exports,
        },
        selfmon,
    ))
}
