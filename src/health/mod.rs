//! Health checks of the service's dependencies, and the registry that runs them.
//!
//! Checks run in parallel, each under its own timeout; results are cached for a
//! TTL (default 5 s) and refreshed in the background, so a load balancer polling
//! `/health/ready` never hammers the database. A check that fails, hangs past its
//! timeout or panics reports its component unhealthy, with the reason, and the
//! others still answer. A component registered as non-critical makes the service
//! degraded, never unready.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use ferrotel::health::{self, CheckOptions, Status};
//!
//! let telemetry = ferrotel::init(ferrotel::Config::disabled()).unwrap();
//! let registry = telemetry.health();
//! registry.register("config", health::from_fn(|| async { Ok::<(), String>(()) }));
//! registry.register_with(
//!     "recommendations",
//!     health::from_fn(|| async { Err("upstream returned 503".to_string()) }),
//!     CheckOptions::default().non_critical(),
//! );
//! let report = registry.report().await;
//! assert_eq!(report.status, Status::Degraded);
//! assert!(report.ready());
//! # }
//! ```

mod checks;
mod registry;

#[cfg(feature = "reqwest")]
pub use checks::HttpCheck;
#[cfg(feature = "redis")]
pub use checks::RedisCheck;
#[cfg(feature = "_sqlx")]
pub use checks::SqlCheck;
pub use checks::{from_fn, FnCheck, ProcessCheck, TcpCheck};
pub use registry::{CheckOptions, ComponentReport, HealthRegistry, Report};

use std::future::Future;
use std::pin::Pin;

/// How a component, or the whole service, is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Working.
    Healthy,
    /// Working with reduced function (a non-critical dependency is down).
    Degraded,
    /// Not working.
    Unhealthy,
}

impl Status {
    /// `healthy`, `degraded` or `unhealthy`.
    ///
    /// ```
    /// assert_eq!(ferrotel::health::Status::Degraded.as_str(), "degraded");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Unhealthy => "unhealthy",
        }
    }
}

/// What one run of a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The component's status.
    pub status: Status,
    /// Why, when not healthy (or any note worth showing on `/health`).
    pub message: Option<String>,
}

impl Outcome {
    /// Healthy, nothing to add.
    pub fn healthy() -> Self {
        Outcome {
            status: Status::Healthy,
            message: None,
        }
    }
    /// Working with reduced function, and why.
    pub fn degraded(message: impl Into<String>) -> Self {
        Outcome {
            status: Status::Degraded,
            message: Some(message.into()),
        }
    }
    /// Not working, and why.
    pub fn unhealthy(message: impl Into<String>) -> Self {
        Outcome {
            status: Status::Unhealthy,
            message: Some(message.into()),
        }
    }
}

/// The future a [`HealthCheck`] returns.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// One dependency check. Implement it for anything; [`from_fn`] wraps a closure.
///
/// ```
/// use ferrotel::health::{CheckFuture, HealthCheck, Outcome};
///
/// struct DiskSpace;
/// impl HealthCheck for DiskSpace {
///     fn check(&self) -> CheckFuture<'_> {
///         Box::pin(async { Outcome::healthy() })
///     }
/// }
/// ```
pub trait HealthCheck: Send + Sync + 'static {
    /// Runs the check once. The registry applies the timeout; do not loop or retry here.
    fn check(&self) -> CheckFuture<'_>;
}
