//! Built-in checks: TCP connect, HTTP GET, and a closure.

use std::future::Future;
use std::time::Duration;

use super::{CheckFuture, HealthCheck, Outcome};

/// Healthy when a TCP connection to `addr` opens.
///
/// ```
/// let check = otelkit::health::TcpCheck::new("127.0.0.1:5432");
/// ```
#[derive(Debug, Clone)]
pub struct TcpCheck {
    addr: String,
}

impl TcpCheck {
    /// Checks `addr` (`host:port`).
    pub fn new(addr: impl Into<String>) -> Self {
        TcpCheck { addr: addr.into() }
    }
}

impl HealthCheck for TcpCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            match tokio::net::TcpStream::connect(&self.addr).await {
                Ok(_) => Outcome::healthy(),
                Err(e) => Outcome::unhealthy(format!("cannot connect to {}: {e}", self.addr)),
            }
        })
    }
}

/// Healthy when `GET url` answers 2xx.
///
/// ```
/// let check = otelkit::health::HttpCheck::new("http://127.0.0.1:8081/healthz");
/// ```
#[derive(Debug, Clone)]
pub struct HttpCheck {
    url: String,
    client: reqwest::Client,
}

impl HttpCheck {
    /// Checks `url` with a GET. Redirects are not followed; the registry's timeout bounds it.
    pub fn new(url: impl Into<String>) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        HttpCheck {
            url: url.into(),
            client,
        }
    }
}

impl HealthCheck for HttpCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            match self.client.get(&self.url).send().await {
                Ok(r) if r.status().is_success() => Outcome::healthy(),
                Ok(r) => Outcome::unhealthy(format!("GET {} answered {}", self.url, r.status())),
                Err(e) => Outcome::unhealthy(format!("GET {} failed: {e}", self.url)),
            }
        })
    }
}

/// A check from a closure returning `Result<(), impl Display>`; see [`from_fn`].
#[derive(Debug, Clone)]
pub struct FnCheck<F>(F);

/// Wraps an async closure as a check: `Ok(())` is healthy, `Err(reason)` unhealthy.
///
/// ```
/// let check = otelkit::health::from_fn(|| async {
///     if std::path::Path::new("/").exists() { Ok(()) } else { Err("no root") }
/// });
/// ```
pub fn from_fn<F, Fut, E>(f: F) -> FnCheck<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    FnCheck(f)
}

impl<F, Fut, E> HealthCheck for FnCheck<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    fn check(&self) -> CheckFuture<'_> {
        let fut = (self.0)();
        Box::pin(async move {
            match fut.await {
                Ok(()) => Outcome::healthy(),
                Err(e) => Outcome::unhealthy(e.to_string()),
            }
        })
    }
}
