//! Traces and logs: the two batched signals, built by one generic function — a bounded
//! queue per exporter (OTLP, console) in front of the SDK processor.

use std::sync::Arc;

use opentelemetry::metrics::Meter;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::{self as sdktrace, SdkTracerProvider};
use opentelemetry_sdk::Resource;

use super::otlp;
use crate::config::{Resolved, Sampler};
use crate::error::Error;
use crate::export::{
    self, register_queue_gauges, Batcher, LogBatcher, Logs, QueueStats, SignalMeters, Sink,
    SpanBatcher, Spans,
};
use crate::Signal;

/// One batched signal's queues and their counts.
pub(crate) struct Queues<T> {
    pub(crate) batchers: Vec<Batcher<T>>,
    pub(crate) stats: Vec<Arc<QueueStats>>,
}

/// Starts a queue for the OTLP sink and one for the console sink, where configured,
/// and registers their self-monitoring gauges.
fn start<T: export::Item>(
    signal: Signal,
    config: &Resolved,
    runtime: &tokio::runtime::Handle,
    selfmon: &Meter,
    otlp: Option<(String, &str, impl Sink<T>)>,
    console: Option<(&str, impl Sink<T>)>,
) -> Queues<T> {
    let settings = config.batch(signal);
    let mut batchers = Vec::new();
    if let Some((component, endpoint, sink)) = otlp {
        let meters = SignalMeters::new(selfmon, signal, &component, batchers.len())
            .with_destination(endpoint);
        batchers.push(Batcher::start(runtime, sink, settings, meters));
    }
    if let Some((component, sink)) = console {
        let meters = SignalMeters::new(selfmon, signal, component, batchers.len());
        batchers.push(Batcher::start(runtime, sink, settings, meters));
    }
    let stats = batchers.iter().map(Batcher::stats).collect();
    register_queue_gauges(
        selfmon,
        signal,
        batchers.iter().map(Batcher::probe).collect(),
    );
    Queues { batchers, stats }
}

fn sdk_sampler(s: Sampler) -> sdktrace::Sampler {
    use sdktrace::Sampler as S;
    match s {
        Sampler::AlwaysOn => S::AlwaysOn,
        Sampler::AlwaysOff => S::AlwaysOff,
        Sampler::TraceIdRatio(r) => S::TraceIdRatioBased(r),
        Sampler::ParentBasedAlwaysOn => S::ParentBased(Box::new(S::AlwaysOn)),
        Sampler::ParentBasedAlwaysOff => S::ParentBased(Box::new(S::AlwaysOff)),
        Sampler::ParentBasedTraceIdRatio(r) => S::ParentBased(Box::new(S::TraceIdRatioBased(r))),
    }
}

/// The tracer provider with its queues. Always built, so spans are sampled and carry
/// trace ids (for log correlation) even when none are exported.
pub(crate) fn traces(
    config: &Resolved,
    resource: &Resource,
    runtime: &tokio::runtime::Handle,
    selfmon: &Meter,
) -> Result<(SdkTracerProvider, Vec<Arc<QueueStats>>), Error> {
    let otlp = match config.otlp(Signal::Traces) {
        Some(t) => {
            let (mut exporter, why) = otlp::spans(t)?;
            opentelemetry_sdk::trace::SpanExporter::set_resource(&mut exporter, resource);
            Some((
                otlp::component_type(Signal::Traces, t.protocol),
                t.endpoint.as_str(),
                Spans(exporter, why),
            ))
        }
        None => None,
    };
    let console = config.exporters.get(Signal::Traces).console.then_some((
        "console_span_exporter",
        Spans(export::console::SpanConsole, Default::default()),
    ));
    let queues = start(Signal::Traces, config, runtime, selfmon, otlp, console);
    let limits = config.span_counts;
    let mut tp = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_sampler(sdk_sampler(config.sampler))
        .with_max_attributes_per_span(limits.attributes)
        .with_max_events_per_span(limits.events)
        .with_max_links_per_span(limits.links)
        .with_max_attributes_per_event(limits.event_attributes)
        .with_max_attributes_per_link(limits.link_attributes);
    for q in queues.batchers {
        tp = tp.with_span_processor(SpanBatcher(q));
    }
    Ok((tp.build(), queues.stats))
}

/// The logger provider with its queues, or `None` when no log exporter is configured.
pub(crate) fn logs(
    config: &Resolved,
    resource: &Resource,
    runtime: &tokio::runtime::Handle,
    selfmon: &Meter,
) -> Result<(Option<SdkLoggerProvider>, Vec<Arc<QueueStats>>), Error> {
    let otlp = match config.otlp(Signal::Logs) {
        Some(t) => {
            let (mut exporter, why) = otlp::logs(t)?;
            opentelemetry_sdk::logs::LogExporter::set_resource(&mut exporter, resource);
            Some((
                otlp::component_type(Signal::Logs, t.protocol),
                t.endpoint.as_str(),
                Logs(exporter, why),
            ))
        }
        None => None,
    };
    let console = config.exporters.get(Signal::Logs).console.then_some((
        "console_log_exporter",
        Logs(export::console::LogConsole, Default::default()),
    ));
    let queues = start(Signal::Logs, config, runtime, selfmon, otlp, console);
    if queues.batchers.is_empty() {
        return Ok((None, queues.stats));
    }
    let mut lp = SdkLoggerProvider::builder().with_resource(resource.clone());
    for q in queues.batchers {
        lp = lp.with_log_processor(LogBatcher(q));
    }
    Ok((Some(lp.build()), queues.stats))
}
