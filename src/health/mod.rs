//! Health checks of the service's dependencies, and the registry that runs them.
//!
//! Checks run in parallel, each under its own timeout; results are cached for a
//! TTL (default 5 s) and refreshed in the background, so a load balancer polling
//! `/health/ready` never hammers the database. A check that fails, hangs past its
//! timeout or panics reports its component unhealthy, with the reason, and the
//! others still answer. A check that passes but takes longer than its slow threshold
//! reports degraded. A component not checked yet, or whose first check timed out, is
//! `unknown` (and keeps the service unready if it is critical). A component registered
//! as non-critical makes the service degraded, never unready.
//!
//! The `health.check.status` gauge carries `health.check.critical`, so alerts page for
//! critical components only (`ComponentUnhealthy`) and open tickets for the rest
//! (`ComponentDegraded`).
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
pub use checks::{from_fn, DiskCheck, FnCheck, MemoryCheck, ProcessCheck, TcpCheck};
pub use registry::{CheckOptions, ComponentReport, HealthRegistry, Report};

use std::future::Future;
use std::pin::Pin;

/// How a component, or the whole service, is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Working.
    Healthy,
    /// Working with reduced function (a non-critical dependency is down, or a check
    /// was slower than its threshold).
    Degraded,
    /// Not known: the check has not finished yet, or its first run timed out.
    Unknown,
    /// Not working.
    Unhealthy,
}

impl Status {
    /// `healthy`, `degraded`, `unknown` or `unhealthy`.
    ///
    /// ```
    /// assert_eq!(ferrotel::health::Status::Degraded.as_str(), "degraded");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Unknown => "unknown",
            Status::Unhealthy => "unhealthy",
        }
    }

    /// Every status, in order of severity.
    pub const ALL: [Status; 4] = [
        Status::Healthy,
        Status::Degraded,
        Status::Unknown,
        Status::Unhealthy,
    ];
}

/// What one run of a check found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Outcome {
    /// The component's status.
    pub status: Status,
    /// Why, when not healthy (or any note worth showing on `/health`).
    pub message: Option<String>,
    /// Measurements worth showing on `/health` (latency, memory, clients...).
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl Outcome {
    fn new(status: Status, message: Option<String>) -> Self {
        Outcome {
            status,
            message,
            details: serde_json::Map::new(),
        }
    }
    /// Healthy, nothing to add.
    pub fn healthy() -> Self {
        Outcome::new(Status::Healthy, None)
    }
    /// Working with reduced function, and why.
    pub fn degraded(message: impl Into<String>) -> Self {
        Outcome::new(Status::Degraded, Some(message.into()))
    }
    /// Not working, and why.
    pub fn unhealthy(message: impl Into<String>) -> Self {
        Outcome::new(Status::Unhealthy, Some(message.into()))
    }
    /// Not known, and why.
    pub fn unknown(message: impl Into<String>) -> Self {
        Outcome::new(Status::Unknown, Some(message.into()))
    }
    /// Adds a detail shown on `/health` under the component's `details`.
    ///
    /// ```
    /// let o = ferrotel::health::Outcome::healthy().with_detail("connected_clients", 3);
    /// assert_eq!(o.details["connected_clients"], 3);
    /// ```
    pub fn with_detail(
        mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.details.insert(key.into(), value.into());
        self
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
