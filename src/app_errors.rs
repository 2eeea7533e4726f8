//! Application errors by category and component, and as exception events on the
//! current span.
//!
//! ```
//! use ferrotel::app_errors::{Category, ErrorCounter};
//!
//! let errors = ErrorCounter::new(); // after ferrotel::init, or ErrorCounter::with_meter(..)
//! let err = std::io::Error::new(std::io::ErrorKind::TimedOut, "upstream timed out");
//! errors.record(Category::ExternalService, "billing", &err); // error.type=timed_out
//! ```

use std::sync::Arc;

use opentelemetry::metrics::{Counter, Meter};
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::failure::error_type;
use crate::instrument::Bound;
use crate::{catalog, names};

/// What kind of error it was, for `error.category`: a fixed set, so it stays a bounded label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// Authentication or authorization.
    Auth,
    /// A database.
    Database,
    /// A service we call.
    ExternalService,
    /// An LLM provider or agent.
    Ai,
    /// Session state.
    Session,
    /// Bad input from a caller.
    Validation,
    /// A bug or an invariant broken.
    Internal,
}

impl Category {
    /// The label value: `auth`, `database`, `external_service`, `ai`, `session`,
    /// `validation`, `internal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Auth => "auth",
            Category::Database => "database",
            Category::ExternalService => "external_service",
            Category::Ai => "ai",
            Category::Session => "session",
            Category::Validation => "validation",
            Category::Internal => "internal",
        }
    }
}

#[derive(Debug)]
struct Instruments {
    errors: Counter<u64>,
}

/// Counts application errors into `app.errors` and marks the current span failed.
/// Cheap to clone.
///
/// Its counter comes from the global meter (the pipeline `init` installed; one built
/// before `init` binds on first use after it) or from [`with_meter`](ErrorCounter::with_meter).
#[derive(Debug, Clone)]
pub struct ErrorCounter {
    bound: Arc<Bound<Instruments>>,
}

impl Default for ErrorCounter {
    fn default() -> Self {
        ErrorCounter::new()
    }
}

impl ErrorCounter {
    /// Counts through the global meter.
    #[must_use]
    pub fn new() -> Self {
        ErrorCounter {
            bound: Arc::new(Bound::new("app_errors", None, |m| Instruments {
                errors: catalog::APP_ERRORS.u64_counter(m),
            })),
        }
    }

    /// Counts through `meter`.
    ///
    /// ```
    /// let provider = opentelemetry_sdk::metrics::SdkMeterProvider::default();
    /// let meter = opentelemetry::metrics::MeterProvider::meter(&provider, "app");
    /// let errors = ferrotel::app_errors::ErrorCounter::with_meter(&meter);
    /// errors.record(ferrotel::app_errors::Category::Internal, "jobs", &std::fmt::Error);
    /// ```
    #[must_use]
    pub fn with_meter(meter: &Meter) -> Self {
        ErrorCounter {
            bound: Arc::new(Bound::new("app_errors", Some(meter), |m| Instruments {
                errors: catalog::APP_ERRORS.u64_counter(m),
            })),
        }
    }

    /// Counts `error` in `app.errors` (by `error.category`, `app.component` and
    /// `error.type`, the error's kind) and adds an `exception` event to the current
    /// span, marking it failed.
    ///
    /// `component` should be a fixed name (`billing`, `auth-middleware`), never an id.
    pub fn record<E: std::error::Error + 'static>(
        &self,
        category: Category,
        component: &'static str,
        error: &E,
    ) {
        let ty = error_type(error);
        if let Some(b) = self.bound.get() {
            b.instruments.errors.add(
                1,
                &[
                    KeyValue::new(names::ERROR_CATEGORY, category.as_str()),
                    KeyValue::new(names::APP_COMPONENT, component),
                    KeyValue::new(names::ERROR_TYPE, ty.clone()),
                ],
            );
        }
        let span = tracing::Span::current();
        span.add_event(
            "exception",
            vec![
                KeyValue::new("exception.type", ty),
                KeyValue::new("exception.message", error.to_string()),
                KeyValue::new(names::ERROR_CATEGORY, category.as_str()),
                KeyValue::new(names::APP_COMPONENT, component),
            ],
        );
        span.set_status(Status::error(error.to_string()));
    }
}
