//! [`HealthRegistry`]: runs checks in parallel with timeouts, caches them for a TTL,
//! and exposes the result as metrics.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::KeyValue;

use super::{HealthCheck, Outcome, Status};
use crate::{catalog, names};

/// How one component is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    critical: bool,
    timeout: Duration,
    slow: Option<Duration>,
}

impl Default for CheckOptions {
    /// Critical, with a 2 s timeout, degraded when slower than half of it.
    fn default() -> Self {
        CheckOptions {
            critical: true,
            timeout: Duration::from_secs(2),
            slow: None,
        }
    }
}

impl CheckOptions {
    /// When this component is unhealthy the service is degraded, not unready.
    ///
    /// ```
    /// let opts = ferrotel::health::CheckOptions::default().non_critical();
    /// ```
    pub fn non_critical(mut self) -> Self {
        self.critical = false;
        self
    }

    /// How long one run may take before the component counts as unhealthy. Default 2 s.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A healthy run slower than this reports the component degraded. Default: half
    /// the timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// let opts = ferrotel::health::CheckOptions::default()
    ///     .with_timeout(Duration::from_secs(3))
    ///     .degraded_after(Duration::from_millis(250));
    /// ```
    pub fn degraded_after(mut self, slow: Duration) -> Self {
        self.slow = Some(slow);
        self
    }

    fn slow(&self) -> Duration {
        self.slow.unwrap_or(self.timeout / 2)
    }
}

/// The last result of one component's check.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ComponentReport {
    /// The name it was registered under.
    pub name: String,
    /// Its status.
    pub status: Status,
    /// Why it is not healthy, if it is not.
    pub message: Option<String>,
    /// What the check measured (shown on `/health`).
    pub details: serde_json::Map<String, serde_json::Value>,
    /// How long the check took.
    pub latency: Duration,
    /// When the check ran.
    pub checked_at: SystemTime,
    /// Whether its failure makes the service unready.
    pub critical: bool,
}

/// The service's health: the overall status and each component's.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// Unhealthy when a critical component is; unknown when a critical component is
    /// not known yet; degraded when any other component is not healthy; healthy
    /// otherwise (and with no components).
    pub status: Status,
    /// Every component, in registration order.
    pub components: Vec<ComponentReport>,
}

impl Report {
    /// Whether the service should receive traffic: every critical component is known
    /// and none is unhealthy.
    pub fn ready(&self) -> bool {
        matches!(self.status, Status::Healthy | Status::Degraded)
    }

    /// Names of the components that are not healthy.
    pub fn failing(&self) -> Vec<&str> {
        self.components
            .iter()
            .filter(|c| c.status != Status::Healthy)
            .map(|c| c.name.as_str())
            .collect()
    }

    fn from_components(components: Vec<ComponentReport>) -> Report {
        let status = components.iter().fold(Status::Healthy, |acc, c| {
            let s = match (c.status, c.critical) {
                (Status::Unhealthy | Status::Unknown, false) => Status::Degraded,
                (s, _) => s,
            };
            acc.max(s)
        });
        Report { status, components }
    }
}

struct Component {
    name: String,
    check: Box<dyn HealthCheck>,
    options: CheckOptions,
    /// Held while a check runs, so concurrent callers wait for that run instead of starting another.
    cache: tokio::sync::Mutex<Option<(Instant, ComponentReport)>>,
    /// The latest report, for synchronous readers (the status gauge).
    latest: Mutex<Option<ComponentReport>>,
}

struct Inner {
    components: RwLock<Vec<Arc<Component>>>,
    ttl: Duration,
    duration: Histogram<f64>,
    /// Where checks run in the background (the export runtime), once known.
    runtime: std::sync::OnceLock<tokio::runtime::Handle>,
}

/// The set of health checks of a service. Cheap to clone; all clones share checks and cache.
///
/// Get it from [`Telemetry::health`](crate::Telemetry::health).
#[derive(Clone)]
pub struct HealthRegistry {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HealthRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.components().iter().map(|c| c.name.clone()).collect();
        f.debug_struct("HealthRegistry")
            .field("components", &names)
            .field("ttl", &self.inner.ttl)
            .finish()
    }
}

impl HealthRegistry {
    pub(crate) fn new(meter: &Meter, ttl: Duration) -> Self {
        let d = &catalog::HEALTH_CHECK_DURATION;
        let inner = Arc::new(Inner {
            components: RwLock::new(Vec::new()),
            ttl,
            runtime: std::sync::OnceLock::new(),
            duration: d.f64_histogram(
                meter,
                vec![
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            ),
        });
        let s = &catalog::HEALTH_CHECK_STATUS;
        let weak = Arc::downgrade(&inner);
        meter
            .i64_observable_gauge(s.name)
            .with_unit(s.unit)
            .with_description(s.description)
            .with_callback(move |o| {
                let Some(inner) = weak.upgrade() else { return };
                let components = inner
                    .components
                    .read()
                    .map(|c| c.clone())
                    .unwrap_or_default();
                for c in components {
                    // Not checked yet: unknown, so a check that never finishes shows.
                    let current = c
                        .latest
                        .lock()
                        .ok()
                        .and_then(|l| l.as_ref().map(|r| r.status))
                        .unwrap_or(Status::Unknown);
                    for status in Status::ALL {
                        o.observe(
                            i64::from(status == current),
                            &[
                                KeyValue::new(names::HEALTH_CHECK_NAME, c.name.clone()),
                                KeyValue::new(names::HEALTH_STATUS, status.as_str()),
                                KeyValue::new(names::HEALTH_CHECK_CRITICAL, c.options.critical),
                            ],
                        );
                    }
                }
            })
            .build();
        HealthRegistry { inner }
    }

    fn components(&self) -> Vec<Arc<Component>> {
        self.inner
            .components
            .read()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// Adds a critical check with a 2 s timeout; a check of the same name is replaced.
    pub fn register(&self, name: impl Into<String>, check: impl HealthCheck) {
        self.register_with(name, check, CheckOptions::default());
    }

    /// Adds a check with the given options; a check of the same name is replaced.
    pub fn register_with(
        &self,
        name: impl Into<String>,
        check: impl HealthCheck,
        options: CheckOptions,
    ) {
        let name = name.into();
        let component = Arc::new(Component {
            name: name.clone(),
            check: Box::new(check),
            options,
            cache: tokio::sync::Mutex::new(None),
            latest: Mutex::new(None),
        });
        if let Ok(mut list) = self.inner.components.write() {
            list.retain(|c| c.name != name);
            list.push(component.clone());
        }
        // Check it right away, so its status is known before anyone asks.
        if let Some(rt) = self.inner.runtime.get() {
            let (ttl, duration) = (self.inner.ttl, self.inner.duration.clone());
            rt.spawn(async move {
                fresh(component, ttl, duration).await;
            });
        }
    }

    /// Removes the check named `name`; says whether there was one.
    pub fn deregister(&self, name: &str) -> bool {
        match self.inner.components.write() {
            Ok(mut list) => {
                let before = list.len();
                list.retain(|c| c.name != name);
                list.len() != before
            }
            Err(_) => false,
        }
    }

    /// Every component's status, running the checks whose cached result is older than
    /// the TTL, in parallel. Must be called within a Tokio runtime.
    pub async fn report(&self) -> Report {
        let ttl = self.inner.ttl;
        let runs = self
            .components()
            .into_iter()
            .map(|c| fresh(c, ttl, self.inner.duration.clone()));
        Report::from_components(futures_util::future::join_all(runs).await)
    }

    /// The last results without running anything; components never checked are
    /// `unknown`.
    pub fn cached(&self) -> Report {
        let components = self
            .components()
            .iter()
            .map(|c| {
                c.latest
                    .lock()
                    .ok()
                    .and_then(|l| l.clone())
                    .unwrap_or_else(|| ComponentReport {
                        name: c.name.clone(),
                        status: Status::Unknown,
                        message: Some("not checked yet".into()),
                        details: serde_json::Map::new(),
                        latency: Duration::ZERO,
                        checked_at: SystemTime::now(),
                        critical: c.options.critical,
                    })
            })
            .collect();
        Report::from_components(components)
    }

    /// Refreshes stale results every TTL, for as long as the runtime runs.
    pub(crate) fn spawn_refresher(&self, runtime: &tokio::runtime::Handle) {
        let _ = self.inner.runtime.set(runtime.clone());
        let weak = Arc::downgrade(&self.inner);
        let ttl = self.inner.ttl;
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(ttl);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                HealthRegistry { inner }.report().await;
            }
        });
    }
}

async fn fresh(c: Arc<Component>, ttl: Duration, duration: Histogram<f64>) -> ComponentReport {
    let mut cache = c.cache.lock().await;
    if let Some((at, report)) = cache.as_ref() {
        if at.elapsed() < ttl {
            return report.clone();
        }
    }
    let report = run(c.clone(), &duration).await;
    *cache = Some((Instant::now(), report.clone()));
    if let Ok(mut latest) = c.latest.lock() {
        *latest = Some(report.clone());
    }
    report
}

/// Runs one check on its own task, so a panic or a hang stays there.
async fn run(c: Arc<Component>, duration: &Histogram<f64>) -> ComponentReport {
    let start = Instant::now();
    let checked_at = SystemTime::now();
    let task_component = c.clone();
    let mut task = tokio::spawn(async move { task_component.check.check().await });
    let timeout = c.options.timeout;
    let outcome = match tokio::time::timeout(timeout, &mut task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) if e.is_panic() => {
            let payload = e.into_panic();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            Outcome::unhealthy(format!("the check panicked: {msg}"))
        }
        Ok(Err(_)) => Outcome::unhealthy("the check was cancelled"),
        Err(_) => {
            task.abort();
            let first = c.latest.lock().map(|l| l.is_none()).unwrap_or(false);
            let msg = format!("the check did not finish within {timeout:?}");
            if first {
                // Never answered: nothing is known yet (a slow start, or a hang).
                Outcome::unknown(format!("{msg} on its first run"))
            } else {
                Outcome::unhealthy(msg)
            }
        }
    };
    let latency = start.elapsed();
    let slow = c.options.slow();
    let outcome = if outcome.status == Status::Healthy && latency > slow {
        let mut o = Outcome::degraded(format!(
            "the check took {} ms, over its {} ms threshold",
            latency.as_millis(),
            slow.as_millis()
        ));
        o.details = outcome.details;
        o
    } else {
        outcome
    };
    duration.record(
        latency.as_secs_f64(),
        &[
            KeyValue::new(names::HEALTH_CHECK_NAME, c.name.clone()),
            KeyValue::new(names::HEALTH_STATUS, outcome.status.as_str()),
        ],
    );
    ComponentReport {
        name: c.name.clone(),
        status: outcome.status,
        message: outcome.message,
        details: outcome.details,
        latency,
        checked_at,
        critical: c.options.critical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(status: Status, critical: bool) -> ComponentReport {
        ComponentReport {
            name: "c".into(),
            status,
            message: None,
            details: serde_json::Map::new(),
            latency: Duration::ZERO,
            checked_at: SystemTime::now(),
            critical,
        }
    }

    #[test]
    fn overall_status_rules() {
        use Status::*;
        let r = |cs: Vec<ComponentReport>| Report::from_components(cs).status;
        assert_eq!(r(vec![]), Healthy);
        assert_eq!(r(vec![comp(Healthy, true), comp(Healthy, false)]), Healthy);
        assert_eq!(
            r(vec![comp(Healthy, true), comp(Unhealthy, false)]),
            Degraded
        );
        assert_eq!(r(vec![comp(Degraded, true)]), Degraded);
        assert_eq!(
            r(vec![comp(Unhealthy, true), comp(Healthy, false)]),
            Unhealthy
        );
        assert_eq!(r(vec![comp(Unknown, true), comp(Degraded, true)]), Unknown);
        assert_eq!(r(vec![comp(Unknown, false), comp(Healthy, true)]), Degraded);
        assert_eq!(
            r(vec![comp(Unknown, true), comp(Unhealthy, true)]),
            Unhealthy
        );
        let ready = |cs: Vec<ComponentReport>| Report::from_components(cs).ready();
        assert!(!ready(vec![comp(Unknown, true)]));
        assert!(ready(vec![comp(Unknown, false)]));
        assert!(ready(vec![comp(Degraded, true)]));
    }
}
