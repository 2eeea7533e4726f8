//! Waiting for the signal to stop.

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM — what `docker stop` and
/// Kubernetes send. Use it for graceful shutdown, then call
/// [`Telemetry::shutdown`](crate::Telemetry::shutdown).
///
/// ```no_run
/// # #[tokio::main] async fn main() {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
/// axum::serve(listener, axum::Router::new())
///     .with_graceful_shutdown(ferrotel::shutdown_signal())
///     .await
///     .unwrap();
/// # }
/// ```
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            // No SIGTERM handler to be had: Ctrl-C still works.
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
