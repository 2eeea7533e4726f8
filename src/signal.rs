//! [`Signal`]: traces, metrics or logs — the one closed set every per-signal choice
//! (variables, exporters, flush, shutdown, errors) is made over.

use std::fmt;

/// One of the three OpenTelemetry signals ferrotel exports.
///
/// ```
/// use ferrotel::Signal;
/// assert_eq!(Signal::ALL.map(Signal::as_str), ["traces", "metrics", "logs"]);
/// assert_eq!(Signal::Logs.to_string(), "logs");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Metric data points.
    Metrics,
    /// Log records.
    Logs,
}

impl Signal {
    /// Every signal, in the order traces, metrics, logs.
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

    /// `traces`, `metrics` or `logs`: the word OTLP paths (`/v1/traces`) and the
    /// specification's variables use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    /// Position in [`Signal::ALL`], for per-signal arrays.
    pub(crate) const fn index(self) -> usize {
        match self {
            Signal::Traces => 0,
            Signal::Metrics => 1,
            Signal::Logs => 2,
        }
    }

    /// The item name the SDK self-observability conventions use (`span`, `metric`, `log`).
    pub(crate) const fn item(self) -> &'static str {
        match self {
            Signal::Traces => "span",
            Signal::Metrics => "metric",
            Signal::Logs => "log",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value per signal, indexed by [`Signal`].
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PerSignal<T>(pub(crate) [T; 3]);

impl<T> PerSignal<T> {
    pub(crate) fn get(&self, s: Signal) -> &T {
        &self.0[s.index()]
    }
    pub(crate) fn get_mut(&mut self, s: Signal) -> &mut T {
        &mut self.0[s.index()]
    }
}
