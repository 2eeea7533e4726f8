//! The foundation end to end: OTLP over both protocols into a real receiver,
//! the Prometheus exposition, self-monitoring, shutdown under every collector
//! condition, bad input, the instrument catalogue, and the quickstart example.

#[path = "../support/mod.rs"]
mod support;

mod catalog;
mod cli;
mod errors;
mod otlp;
mod prometheus;
mod quickstart;
mod shutdown;
mod tls;

/// A config for one test: no global subscriber (tests share a process), fast batches.
pub fn config(vars: &[(&str, &str)]) -> ferrotel::Config {
    let mut all: Vec<(String, String)> = vec![
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()),
        ("OTEL_BLRP_SCHEDULE_DELAY".into(), "100".into()),
        ("OTEL_METRIC_EXPORT_INTERVAL".into(), "200".into()),
        ("OTEL_EXPORTER_PROMETHEUS_PORT".into(), "0".into()),
    ];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    ferrotel::Config::from_vars(all)
        .expect("test config is valid")
        .without_global_subscriber()
}
