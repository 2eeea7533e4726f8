//! The smallest useful ferrotel service: one `init`, nested spans with log events
//! inside them, a counter, and a clean shutdown on Ctrl-C or SIGTERM.
//!
//! ```text
//! cargo run --example quickstart
//! curl -s http://127.0.0.1:9464/metrics | grep quickstart
//! ```
//!
//! With a collector: `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 cargo run --example quickstart`
//! (add `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` and port 4317 for gRPC). `FERROTEL_LOG_FORMAT=json`
//! prints JSON lines carrying `trace_id` and `span_id`.

use std::time::Duration;

use ferrotel::opentelemetry::metrics::Counter;
use ferrotel::opentelemetry::KeyValue;
use tracing::{info, instrument, warn};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = ferrotel::init(
        ferrotel::Config::from_env()?
            .with_default_service_name("quickstart")
            .with_service_version(env!("CARGO_PKG_VERSION")),
    )?;
    match telemetry.prometheus_addr() {
        Some(addr) => println!("quickstart: metrics at http://{addr}/metrics"),
        None => println!("quickstart: the Prometheus endpoint is off (OTEL_METRICS_EXPORTER)"),
    }
    if let Some(t) = telemetry.otlp_traces_endpoint() {
        println!("quickstart: exporting over OTLP to {t}");
    }
    println!("quickstart: press Ctrl-C to stop");

    let jobs = telemetry
        .meter("quickstart")
        .u64_counter("quickstart.jobs")
        .with_unit("{job}")
        .with_description("Jobs the quickstart processed, by outcome.")
        .build();

    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut n: u64 = 0;
    // One signal listener for the whole loop: a fresh one per iteration would miss a
    // SIGTERM that arrives while a job runs.
    let stop = ferrotel::shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {
                n += 1;
                handle_job(n, &jobs).await;
            }
        }
    }

    info!("shutting down");
    // The exit code never depends on the telemetry backend: say what was lost, exit 0.
    match telemetry.shutdown() {
        Ok(()) => println!("quickstart: telemetry flushed, bye"),
        Err(e) => println!("quickstart: {e}; bye"),
    }
    Ok(())
}

#[instrument(skip(jobs))]
async fn handle_job(job: u64, jobs: &Counter<u64>) {
    info!("job started");
    let rows = load(job).await;
    let outcome = if job.is_multiple_of(5) {
        warn!(rows, "every fifth job is slow to save");
        "slow"
    } else {
        "ok"
    };
    save(rows).await;
    jobs.add(1, &[KeyValue::new("outcome", outcome)]);
    info!(outcome, "job done");
}

#[instrument]
async fn load(job: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    info!("loaded rows");
    job * 3
}

#[instrument]
async fn save(rows: u64) {
    tokio::time::sleep(Duration::from_millis(5)).await;
    info!("saved");
}
