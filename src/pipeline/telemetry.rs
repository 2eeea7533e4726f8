//! [`Telemetry`]: the running pipeline's handle. It flushes and shuts down the signals
//! in a fixed order, each bounded by one deadline.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Dispatch;

use crate::admin::{Admin, Exposition};
use crate::error::{ShutdownError, ShutdownFailure, Undelivered};
use crate::export::{self, QueueStats};
use crate::Signal;

/// The three providers; a signal that is off has none.
#[derive(Default)]
pub(crate) struct Providers {
    pub(crate) traces: Option<SdkTracerProvider>,
    pub(crate) metrics: Option<SdkMeterProvider>,
    pub(crate) logs: Option<SdkLoggerProvider>,
}

/// A flush or shutdown of one provider, given the time left.
type Job = Box<dyn FnOnce(Duration) -> OTelSdkResult + Send>;

/// What the three SDK providers have in common for flush and shutdown.
trait Provider: Clone + Send + 'static {
    fn flush(&self) -> OTelSdkResult;
    fn stop(&self, timeout: Duration) -> OTelSdkResult;
}

macro_rules! provider {
    ($($ty:ty),*) => {$(
        impl Provider for $ty {
            fn flush(&self) -> OTelSdkResult {
                self.force_flush()
            }
            fn stop(&self, timeout: Duration) -> OTelSdkResult {
                self.shutdown_with_timeout(timeout)
            }
        }
    )*};
}
provider!(SdkTracerProvider, SdkMeterProvider, SdkLoggerProvider);

fn job<P: Provider>(p: &Option<P>, shutdown: bool) -> Option<Job> {
    let p = p.clone()?;
    Some(if shutdown {
        Box::new(move |t| p.stop(t))
    } else {
        Box::new(move |_| p.flush())
    })
}

impl Providers {
    /// Flushes (`shutdown == false`) or shuts down `signal`'s provider, or `None` when
    /// the signal is off.
    fn job(&self, signal: Signal, shutdown: bool) -> Option<Job> {
        match signal {
            Signal::Traces => job(&self.traces, shutdown),
            Signal::Metrics => job(&self.metrics, shutdown),
            Signal::Logs => job(&self.logs, shutdown),
        }
    }
}

/// Traces, then logs, then metrics last, so the other signals' self-monitoring counts
/// go out too.
const ORDER: [Signal; 3] = [Signal::Traces, Signal::Logs, Signal::Metrics];

/// The running telemetry pipeline. Keep it for the life of the process.
///
/// Dropping it shuts everything down (best effort, bounded by the shutdown
/// timeout); call [`shutdown`](Telemetry::shutdown) to learn what failed.
///
/// ```
/// let telemetry = ferrotel::init(ferrotel::Config::disabled()).unwrap();
/// telemetry.shutdown().unwrap();
/// ```
pub struct Telemetry {
    pub(crate) service_name: String,
    pub(crate) runtime: Mutex<Option<tokio::runtime::Runtime>>,
    pub(crate) alive: export::Alive,
    pub(crate) providers: Providers,
    pub(crate) exposition: Option<Exposition>,
    pub(crate) prometheus_addr: Option<SocketAddr>,
    pub(crate) otlp_traces_endpoint: Option<String>,
    pub(crate) dispatch: Dispatch,
    pub(crate) span_stats: Vec<Arc<QueueStats>>,
    pub(crate) log_stats: Vec<Arc<QueueStats>>,
    pub(crate) metric_failures: Arc<AtomicU64>,
    pub(crate) propagators: Vec<crate::config::Propagator>,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) shut: AtomicBool,
    pub(crate) admin: Admin,
    pub(crate) instrument_settings: crate::InstrumentSettings,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("service_name", &self.service_name)
            .field("traces", &self.providers.traces.is_some())
            .field("metrics", &self.providers.metrics.is_some())
            .field("logs", &self.providers.logs.is_some())
            .field("prometheus_addr", &self.prometheus_addr)
            .finish()
    }
}

/// Runs each job on a thread of its own, all within one deadline: a component that
/// ignores its timeout (the SDK's periodic reader waits 5 s regardless) cannot stretch
/// the call past it. Every job is attempted; each failure is listed.
fn run_bounded(jobs: Vec<(Signal, Job)>, limit: Duration) -> Vec<ShutdownFailure> {
    let deadline = Instant::now() + limit;
    let mut failures = Vec::new();
    for (signal, job) in jobs {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name(format!("ferrotel-stop-{signal}"))
            .spawn(move || {
                let _ = tx.send(job(left));
            });
        let reason = match spawned {
            Err(e) => Some(format!("could not start the shutdown thread: {e}")),
            Ok(_) => match rx.recv_timeout(left) {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(_) => Some(format!("timed out after {limit:?}")),
            },
        };
        if let Some(reason) = reason {
            failures.push(ShutdownFailure { signal, reason });
        }
    }
    failures
}

impl Telemetry {
    /// `service.name` as reported.
    pub fn service_name(&self) -> &str {
        &self.service_name
    }

    /// A meter for the application's own instruments, from ferrotel's meter provider
    /// (a no-op meter when telemetry is disabled).
    ///
    /// ```
    /// let telemetry = ferrotel::init(ferrotel::Config::disabled()).unwrap();
    /// let orders = telemetry.meter("shop").u64_counter("shop.orders").build();
    /// orders.add(1, &[]);
    /// ```
    pub fn meter(&self, scope: &'static str) -> Meter {
        match &self.providers.metrics {
            Some(mp) => mp.meter(scope),
            None => opentelemetry::metrics::noop::NoopMeterProvider::new().meter(scope),
        }
    }

    /// Records the Tokio runtime metrics (`tokio.runtime.*`) of `handle`'s runtime. `init`
    /// does this by itself when called inside a runtime; call it when the runtime is built
    /// after `init`.
    ///
    /// ```
    /// let telemetry = ferrotel::init(ferrotel::Config::disabled()).unwrap();
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// telemetry.observe_runtime(rt.handle().clone());
    /// ```
    pub fn observe_runtime(&self, handle: tokio::runtime::Handle) {
        if self.providers.metrics.is_some() {
            crate::runtime::register_tokio(&self.meter("ferrotel"), handle);
        }
    }

    /// The settings this pipeline resolved for the semantic instruments (slow-query
    /// threshold, content capture, tenant limit). A globally installed pipeline hands them
    /// to every handle; for a pipeline built `without_global_subscriber`, pass them to the
    /// handles built on its meter (`Db::with_slow_query_threshold`, `GenAi::with_…`).
    ///
    /// ```
    /// let telemetry = ferrotel::init(ferrotel::Config::disabled()).unwrap();
    /// assert!(!telemetry.instrument_settings().genai_capture);
    /// ```
    pub fn instrument_settings(&self) -> &crate::InstrumentSettings {
        &self.instrument_settings
    }

    /// The health checks behind `/health/ready`, `/health` and `/status`.
    ///
    /// ```
    /// let telemetry = ferrotel::init(ferrotel::Config::disabled()).unwrap();
    /// telemetry.health().register("db", ferrotel::health::TcpCheck::new("127.0.0.1:5432"));
    /// ```
    pub fn health(&self) -> &crate::health::HealthRegistry {
        &self.admin.health
    }

    /// An axum router with the admin endpoints, to merge into the application's:
    /// `/metrics` (Prometheus exposition), `/health/live` (200 while the process runs),
    /// `/health/ready` (200, or 503 naming the failing critical components),
    /// `/health` (JSON with each component's status, latency, message and last check),
    /// `/status` (overall status; service, version, environment and uptime too with the
    /// token). With an admin token, `/metrics` and `/health` answer 401 without it. The
    /// built-in listener serves the same router.
    ///
    /// ```
    /// let telemetry = ferrotel::init(ferrotel::Config::disabled()).unwrap();
    /// let app: axum::Router = axum::Router::new().merge(telemetry.admin_router());
    /// ```
    #[cfg(feature = "axum")]
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn admin_router(&self) -> axum::Router {
        crate::admin::router(self.admin.clone())
    }

    /// Where traces go over OTLP, if they do.
    pub fn otlp_traces_endpoint(&self) -> Option<&str> {
        self.otlp_traces_endpoint.as_deref()
    }

    /// The tracer provider, for code that uses the OpenTelemetry API directly.
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.providers.traces.as_ref()
    }

    /// The meter provider.
    pub fn meter_provider(&self) -> Option<&SdkMeterProvider> {
        self.providers.metrics.as_ref()
    }

    /// The logger provider, when logs are exported.
    pub fn logger_provider(&self) -> Option<&SdkLoggerProvider> {
        self.providers.logs.as_ref()
    }

    /// The `tracing` dispatcher ferrotel built. It is installed globally unless the
    /// config said [`without_global_subscriber`](crate::Config::without_global_subscriber);
    /// then run code under it with `tracing::dispatcher::with_default`.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// The propagators `OTEL_PROPAGATORS` selected, in its order (W3C tracecontext and
    /// baggage by default; `b3` and `b3multi` from `opentelemetry-propagator-b3`; `jaeger`
    /// from [`propagation::Jaeger`](crate::propagation::Jaeger)).
    pub fn propagator(&self) -> TextMapCompositePropagator {
        use crate::config::Propagator as P;
        use opentelemetry_propagator_b3::{B3Encoding, Propagator as B3};
        let ps = self
            .propagators
            .iter()
            .map(
                |p| -> Box<dyn opentelemetry::propagation::TextMapPropagator + Send + Sync> {
                    match p {
                        P::TraceContext => Box::new(TraceContextPropagator::new()),
                        P::Baggage => Box::new(crate::propagation::QuietBaggage::new()),
                        P::B3 => Box::new(B3::with_encoding(B3Encoding::SingleHeader)),
                        P::B3Multi => Box::new(B3::with_encoding(B3Encoding::MultipleHeader)),
                        P::Jaeger => Box::new(crate::propagation::Jaeger::new()),
                    }
                },
            )
            .collect();
        TextMapCompositePropagator::new(ps)
    }

    /// The Prometheus text exposition of every instrument now, or `None` when the
    /// Prometheus exporter is off.
    pub fn prometheus_exposition(&self) -> Option<String> {
        self.exposition.as_ref().map(|e| e.render())
    }

    /// Where the built-in listener serves `/metrics`, once bound.
    pub fn prometheus_addr(&self) -> Option<SocketAddr> {
        self.prometheus_addr
    }

    /// Items accepted but not delivered so far: dropped because a queue was full, or
    /// whose export failed.
    pub fn undelivered(&self) -> Undelivered {
        Undelivered {
            spans: self.span_stats.iter().map(|s| s.undelivered()).sum(),
            logs: self.log_stats.iter().map(|s| s.undelivered()).sum(),
            metric_exports: self.metric_failures.load(Ordering::Relaxed),
        }
    }

    /// Exports everything queued now. Bounded as a whole by the shutdown timeout
    /// (default 5 s), like [`shutdown`](Telemetry::shutdown).
    pub fn force_flush(&self) -> Result<(), ShutdownError> {
        let jobs = ORDER
            .into_iter()
            .filter_map(|s| self.providers.job(s, false).map(|j| (s, j)))
            .collect();
        let failures = run_bounded(jobs, self.shutdown_timeout);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ShutdownError {
                failures,
                undelivered: self.undelivered(),
            })
        }
    }

    /// Flushes and stops traces, then logs, then metrics (last, so the other
    /// signals' self-monitoring counts go out too), then the Prometheus listener.
    ///
    /// The whole call is bounded by the shutdown timeout (default 5 s) whether the
    /// collector is up, down or never answers, on any runtime flavour. Every
    /// component is attempted; the error lists each that failed and what was
    /// not delivered. A second call does nothing.
    pub fn shutdown(&self) -> Result<(), ShutdownError> {
        if self.shut.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let jobs = ORDER
            .into_iter()
            .filter_map(|s| self.providers.job(s, true).map(|j| (s, j)))
            .collect();
        let failures = run_bounded(jobs, self.shutdown_timeout);
        for s in self.span_stats.iter().chain(&self.log_stats) {
            s.closed.store(true, Ordering::Relaxed);
        }
        {
            // No foreign thread polls an export future while, or after, the runtime stops.
            let mut alive = self.alive.write().unwrap_or_else(|e| e.into_inner());
            *alive = false;
            if let Some(rt) = self.runtime.lock().ok().and_then(|mut r| r.take()) {
                // Never blocks, so it is safe inside an async context too.
                rt.shutdown_background();
            }
        }
        let undelivered = self.undelivered();
        if failures.is_empty() && undelivered == Undelivered::default() {
            Ok(())
        } else {
            Err(ShutdownError {
                failures,
                undelivered,
            })
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
