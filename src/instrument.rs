//! What every semantic instrument handle shares: the [`InstrumentSettings`] it reads and
//! the meter it takes its instruments from.
//!
//! A pipeline `init` installs globally publishes its settings here; a pipeline built with
//! `without_global_subscriber` does not, so two pipelines in one process never share
//! settings by accident.

use std::sync::RwLock;
use std::time::Duration;

/// Settings the semantic instruments read when they are built, resolved by `init` from
/// the configuration (see [`Config`](crate::Config) for each variable and setter).
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
}

impl Default for InstrumentSettings {
    fn default() -> Self {
        InstrumentSettings {
            slow_query: Duration::from_millis(500),
            genai_capture: false,
            genai_content_max: 1000,
            genai_tenant_limit: 100,
        }
    }
}

static GLOBAL: RwLock<Option<InstrumentSettings>> = RwLock::new(None);

/// Publishes the settings of the globally installed pipeline.
pub(crate) fn set_global_settings(settings: InstrumentSettings) {
    crate::db::set_slow_threshold(settings.slow_query);
    #[cfg(feature = "genai")]
    crate::genai::configure(
        settings.genai_capture,
        settings.genai_content_max,
        settings.genai_tenant_limit,
    );
    if let Ok(mut g) = GLOBAL.write() {
        *g = Some(settings);
    }
}
