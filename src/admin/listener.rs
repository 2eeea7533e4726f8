//! The built-in listener: the admin router on its own address (default
//! `127.0.0.1:9464`), for services that do not merge it into their own router.

use std::net::SocketAddr;

use crate::error::Error;

/// Binds `addr` now, so a taken port is an error from `init`, not a log line later, and
/// serves `app` on `runtime` until it stops.
pub(crate) fn start(
    addr: &str,
    app: axum::Router,
    runtime: &tokio::runtime::Handle,
) -> Result<SocketAddr, Error> {
    let listen_err = |source| Error::PrometheusListen {
        addr: addr.to_string(),
        source,
    };
    let std_listener = std::net::TcpListener::bind(addr).map_err(listen_err)?;
    std_listener.set_nonblocking(true).map_err(listen_err)?;
    let bound = std_listener.local_addr().map_err(listen_err)?;
    let listener = {
        let _in_runtime = runtime.enter();
        tokio::net::TcpListener::from_std(std_listener).map_err(listen_err)?
    };
    runtime.spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(target: "ferrotel", error = %e, "the built-in admin listener stopped");
        }
    });
    Ok(bound)
}
