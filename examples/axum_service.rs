//! A small, complete, instrumented axum service: a server span and RED metrics
//! per request, a health check, the admin endpoints, and a clean shutdown.
//!
//! ```text
//! cargo run --example axum_service
//! curl http://127.0.0.1:3000/hello/otel
//! curl http://127.0.0.1:3000/health/ready
//! curl -s http://127.0.0.1:9464/metrics | grep http_server
//! ```
//!
//! `APP_ADDR` sets the address (default `127.0.0.1:3000`; port 0 picks one). It prints
//! `http://HOST:PORT` when it listens and stops on Ctrl-C or SIGTERM. The admin
//! endpoints are on the application's port and on the built-in listener.

use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use ferrotel::health::{self, CheckOptions};
use tracing::{info, instrument};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = ferrotel::init(
        ferrotel::Config::from_env()?
            .with_default_service_name("axum-service")
            .with_service_version(env!("CARGO_PKG_VERSION")),
    )?;

    // What readiness depends on: here a check of our own; see ferrotel::health for TCP, HTTP, ...
    telemetry.health().register_with(
        "self",
        health::from_fn(|| async { Ok::<(), String>(()) }),
        CheckOptions::default().with_timeout(Duration::from_millis(500)),
    );

    let app = Router::new()
        .route("/hello/{name}", get(hello))
        .route("/slow", get(slow))
        .merge(telemetry.admin_router())
        .layer(ferrotel::http::ServerLayer::new());

    let addr = std::env::var("APP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_string());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (set APP_ADDR): {e}"))?;
    println!(
        "axum_service: listening on http://{}",
        listener.local_addr()?
    );
    if let Some(admin) = telemetry.prometheus_addr() {
        println!("axum_service: admin endpoints also on http://{admin}");
    }

    axum::serve(listener, app)
        .with_graceful_shutdown(ferrotel::shutdown_signal())
        .await?;
    info!("stopped serving");
    // The exit code never depends on the telemetry backend: say what was lost, exit 0.
    if let Err(e) = telemetry.shutdown() {
        println!("axum_service: {e}");
    }
    println!("axum_service: telemetry flushed, bye");
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
