//! What every semantic instrument handle shares: the [`InstrumentSettings`] it reads, the
//! meter it takes its instruments from ([`Bound`]), and the operation lifecycle
//! (`guard`).
//!
//! A handle is built from a `Meter`: one passed with `with_meter`, or by default the
//! global one of the pipeline `init` installed. A handle built before `init` binds on its
//! first recording after `init`; a recording made while no pipeline is installed is
//! dropped, and the first such drop is reported on standard error (never a silent no-op).
//!
//! A pipeline `init` installs globally publishes its settings here; a pipeline built with
//! `without_global_subscriber` does not, so two pipelines in one process never share
//! settings by accident.

pub(crate) mod guard;
pub(crate) mod labels;
pub(crate) mod resolved;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use opentelemetry::metrics::Meter;

/// The instrumentation scope every ferrotel instrument records under.
pub(crate) const SCOPE: &str = "ferrotel";

/// Settings the semantic instruments read when they bind, resolved by `init` from the
/// configuration (see [`Config`](crate::Config) for each variable and setter).
///
/// ```
/// let s = ferrotel::InstrumentSettings::default();
/// assert_eq!(s.slow_query, std::time::Duration::from_millis(500));
/// assert!(!s.genai_capture);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstrumentSettings {
    /// Database operations slower than this log a warning (`FERROTEL_DB_SLOW_QUERY_MS`).
    pub slow_query: Duration,
    /// Whether LLM prompts and completions are recorded
    /// (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`).
    pub genai_capture: bool,
    /// Longest captured message content, in characters (`FERROTEL_GENAI_CONTENT_MAX_CHARS`).
    pub genai_content_max: usize,
    /// Tenants with their own `tenant` label (`FERROTEL_GENAI_TENANT_LIMIT`).
    pub genai_tenant_limit: usize,
    /// Which `error.category` each `error.type` belongs to (`FERROTEL_ERROR_CATEGORIES`
    /// over the defaults).
    pub error_categories: crate::failure::CategoryMap,
}

impl Default for InstrumentSettings {
    fn default() -> Self {
        InstrumentSettings {
            slow_query: Duration::from_millis(500),
            genai_capture: false,
            genai_content_max: 1000,
            genai_tenant_limit: 100,
            error_categories: crate::failure::CategoryMap::default(),
        }
    }
}

/// Set once a pipeline is installed globally: from then on the global meter is real.
static INSTALLED: AtomicBool = AtomicBool::new(false);
static GLOBAL: RwLock<Option<InstrumentSettings>> = RwLock::new(None);

/// Publishes the settings of the globally installed pipeline (called by `init` after it
/// set the global meter provider).
pub(crate) fn install_global(settings: InstrumentSettings) {
    if let Ok(mut g) = GLOBAL.write() {
        *g = Some(settings);
    }
    INSTALLED.store(true, Ordering::SeqCst);
}

/// The tracer of the globally installed pipeline, which the server and gRPC layers start
/// their spans with (set once, by the only global `init`).
static TRACER: OnceLock<opentelemetry_sdk::trace::SdkTracer> = OnceLock::new();

/// Publishes the tracer of the globally installed pipeline (called by `init`).
pub(crate) fn install_global_tracer(tracer: opentelemetry_sdk::trace::SdkTracer) {
    let _ = TRACER.set(tracer);
}

/// The tracer of the globally installed pipeline; `None` before `init`, or when it
/// exports no traces.
#[inline]
pub(crate) fn global_tracer() -> Option<&'static opentelemetry_sdk::trace::SdkTracer> {
    TRACER.get()
}

/// The settings of the globally installed pipeline, or the defaults before `init`.
pub(crate) fn global_settings() -> InstrumentSettings {
    GLOBAL
        .read()
        .ok()
        .and_then(|g| g.clone())
        .unwrap_or_default()
}

fn global_meter() -> Meter {
    opentelemetry::global::meter(SCOPE)
}

/// Reports, once per process, that a recording was dropped because no pipeline was
/// installed: on standard error, since no `tracing` subscriber exists yet either.
fn report_unbound(handle: &'static str) {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "ferrotel: a {handle} recording was dropped: the handle was used before ferrotel::init \
             installed a pipeline. It records once init has run; to record into another pipeline, \
             build it with `with_meter`. Further drops are not reported."
        );
        tracing::warn!(target: "ferrotel", handle, "recording dropped: no pipeline installed yet");
    }
}

/// A handle's instruments and the settings they were bound with.
#[derive(Debug)]
pub(crate) struct Binding<I> {
    pub(crate) instruments: I,
    pub(crate) settings: InstrumentSettings,
}

type Make<I> = Box<dyn Fn(&Meter) -> I + Send + Sync>;

/// A handle's instruments, taken from a meter when the handle is built, or — for a
/// handle built on the global meter before `init` — at its first recording after `init`.
pub(crate) struct Bound<I> {
    cell: OnceLock<Binding<I>>,
    make: Make<I>,
    /// Names the handle in the report of a dropped recording.
    handle: &'static str,
}

impl<I: std::fmt::Debug> std::fmt::Debug for Bound<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("handle", &self.handle)
            .field("bound", &self.cell.get().is_some())
            .finish()
    }
}

impl<I> Bound<I> {
    /// Binds now to `meter`, or to the global meter when a pipeline is installed; otherwise
    /// waits for one. `settings` overrides the pipeline's for this handle.
    pub(crate) fn new(
        handle: &'static str,
        meter: Option<&Meter>,
        make: impl Fn(&Meter) -> I + Send + Sync + 'static,
    ) -> Self {
        let bound = Bound {
            cell: OnceLock::new(),
            make: Box::new(make),
            handle,
        };
        match meter {
            Some(m) => {
                let _ = bound.cell.set(bound.bind(m));
            }
            None if INSTALLED.load(Ordering::SeqCst) => {
                let _ = bound.cell.set(bound.bind(&global_meter()));
            }
            None => {}
        }
        bound
    }

    fn bind(&self, meter: &Meter) -> Binding<I> {
        Binding {
            instruments: (self.make)(meter),
            settings: global_settings(),
        }
    }

    /// The instruments, or `None` (reported once) while no pipeline is installed.
    #[inline]
    pub(crate) fn get(&self) -> Option<&Binding<I>> {
        match self.cell.get() {
            Some(b) => Some(b),
            None => self.late(),
        }
    }

    #[cold]
    fn late(&self) -> Option<&Binding<I>> {
        if INSTALLED.load(Ordering::SeqCst) {
            Some(self.cell.get_or_init(|| self.bind(&global_meter())))
        } else {
            report_unbound(self.handle);
            None
        }
    }
}
