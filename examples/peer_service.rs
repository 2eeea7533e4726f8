//! `axum_service`'s routes with the telemetry a user assembles by hand from the
//! ecosystem's crates, no ferrotel: axum-tracing-opentelemetry and
//! opentelemetry-instrumentation-tower layers, tracing-opentelemetry, the
//! opentelemetry-appender-tracing log bridge, the SDK's own batch processors, OTLP/gRPC,
//! metrics through opentelemetry-prometheus. The baseline of `scripts/load/throughput.sh`.
//!
//! ```text
//! cargo run --release --example peer_service
//! ```
//!
//! `APP_ADDR` (default `127.0.0.1:3000`), `OTEL_EXPORTER_OTLP_ENDPOINT` (default
//! `http://127.0.0.1:4317`), `PEER_TELEMETRY=off` serves the routes with the console log
//! only (as `axum_service` with `OTEL_SDK_DISABLED=true`). Prints `http://HOST:PORT` when it listens; stops on Ctrl-C or SIGTERM.

use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use opentelemetry::trace::TracerProvider;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_otlp::{LogExporter, SpanExporter, WithExportConfig};
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing::{info, instrument};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let on = std::env::var("PEER_TELEMETRY").as_deref() != Ok("off");
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:4317".to_string());
    let mut providers = None;
    let routes = Router::new()
        .route("/hello/{name}", get(hello))
        .route("/slow", get(slow));
    let app = if on {
        let resource = Resource::builder()
            .with_service_name("peer-service")
            .build();
        let tracer_provider = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_batch_exporter(
                SpanExporter::builder()
                    .with_tonic()
                    .with_endpoint(&endpoint)
                    .build()?,
            )
            .build();
        let logger_provider = SdkLoggerProvider::builder()
            .with_resource(resource.clone())
            .with_batch_exporter(
                LogExporter::builder()
                    .with_tonic()
                    .with_endpoint(&endpoint)
                    .build()?,
            )
            .build();
        let registry = prometheus::Registry::new();
        let meter_provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(
                opentelemetry_prometheus::exporter()
                    .with_registry(registry)
                    .build()?,
            )
            .build();
        opentelemetry::global::set_meter_provider(meter_provider.clone());
        opentelemetry::global::set_tracer_provider(tracer_provider.clone());
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("info"))
            .with(tracing_subscriber::fmt::layer())
            .with(tracing_opentelemetry::layer().with_tracer(tracer_provider.tracer("peer")))
            .with(OpenTelemetryTracingBridge::new(&logger_provider))
            .init();
        providers = Some((tracer_provider, logger_provider, meter_provider));
        routes
            .layer(opentelemetry_instrumentation_tower::http::server::Layer::new())
            .layer(axum_tracing_opentelemetry::middleware::OtelAxumLayer::default())
    } else {
        // Telemetry off: the console log only, as ferrotel prints with OTEL_SDK_DISABLED.
        tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("info"))
            .with(tracing_subscriber::fmt::layer())
            .init();
        routes
    };

    let addr = std::env::var("APP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_string());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "peer_service: listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("a SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        })
        .await?;
    if let Some((traces, logs, metrics)) = providers {
        let _ = traces.shutdown();
        let _ = logs.shutdown();
        let _ = metrics.shutdown();
    }
    Ok(())
}

#[instrument]
async fn hello(Path(name): Path<String>) -> String {
    info!("greeting");
    format!("hello, {name}\n")
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(250)).await;
    "slow\n"
}
