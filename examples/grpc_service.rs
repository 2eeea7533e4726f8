//! A small, complete, instrumented gRPC service (tonic): the standard
//! `grpc.health.v1.Health` service, answered from ferrotel's health registry, with a
//! server span and `rpc.server.call.duration` per call.
//!
//! ```text
//! cargo run --example grpc_service
//! grpcurl -plaintext 127.0.0.1:50051 grpc.health.v1.Health/Check
//! curl -s http://127.0.0.1:9464/metrics | grep rpc_server
//! ```
//!
//! `GRPC_ADDR` sets the address (default `127.0.0.1:50051`; port 0 picks one). It prints
//! `http://HOST:PORT` when it listens, serves the admin endpoints on the built-in
//! listener, and stops on Ctrl-C or SIGTERM.

use std::time::Duration;

use ferrotel::health::{self, Status};
use tonic_health::ServingStatus;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = ferrotel::init(
        ferrotel::Config::from_env()?
            .with_default_service_name("grpc-service")
            .with_service_version(env!("CARGO_PKG_VERSION")),
    )?;
    telemetry
        .health()
        .register("self", health::from_fn(|| async { Ok::<(), String>(()) }));

    // grpc.health.v1 follows the registry: SERVING while ready, NOT_SERVING otherwise.
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let registry = telemetry.health().clone();
    tokio::spawn(async move {
        loop {
            let report = registry.report().await;
            let status = if report.status == Status::Unhealthy {
                ServingStatus::NotServing
            } else {
                ServingStatus::Serving
            };
            reporter.set_service_status("", status).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });

    let addr = std::env::var("GRPC_ADDR").unwrap_or_else(|_| "127.0.0.1:50051".to_string());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (set GRPC_ADDR): {e}"))?;
    println!(
        "grpc_service: listening on http://{}",
        listener.local_addr()?
    );
    if let Some(admin) = telemetry.prometheus_addr() {
        println!("grpc_service: admin endpoints on http://{admin}");
    }

    // After the signal, calls in flight get 5 s to finish; a client that keeps an idle
    // HTTP/2 connection open does not hold the process hostage.
    let (stopping_tx, stopping) = tokio::sync::oneshot::channel::<()>();
    let server = tonic::transport::Server::builder()
        .layer(ferrotel::grpc::ServerLayer::new())
        .add_service(health_service)
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            async move {
                ferrotel::shutdown_signal().await;
                let _ = stopping_tx.send(());
            },
        );
    tokio::select! {
        served = server => served?,
        _ = async {
            let _ = stopping.await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        } => println!("grpc_service: connections still open after 5 s, closing them"),
    }
    // The exit code never depends on the telemetry backend: say what was lost, exit 0.
    if let Err(e) = telemetry.shutdown() {
        println!("grpc_service: {e}");
    }
    println!("grpc_service: telemetry flushed, bye");
    Ok(())
}
