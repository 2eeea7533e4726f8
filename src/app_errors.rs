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
use opentelemetry::trace::{Status, TraceContextExt};
use opentelemetry::KeyValue;

use crate::failure::{error_type, error_type_dyn};
use crate::instrument::Bound;
use crate::{catalog, names};

pub use crate::failure::{Category, CategoryMap};

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
    /// Set by `with_categories`; otherwise the pipeline's (`FERROTEL_ERROR_CATEGORIES`).
    categories: Option<Arc<CategoryMap>>,
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
            categories: None,
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
            categories: None,
        }
    }

    /// Sorts errors recorded with [`record_error`](ErrorCounter::record_error) by `map`
    /// instead of the pipeline's (`FERROTEL_ERROR_CATEGORIES` over the defaults).
    ///
    /// ```
    /// use ferrotel::app_errors::{Category, CategoryMap, ErrorCounter};
    /// let errors = ErrorCounter::new()
    ///     .with_categories(CategoryMap::default().with("card_declined", Category::ExternalService));
    /// ```
    #[must_use]
    pub fn with_categories(mut self, map: CategoryMap) -> Self {
        self.categories = Some(Arc::new(map));
        self
    }

    /// Counts `error` like [`record`](ErrorCounter::record), its category found from its
    /// `error.type` by the category map. Returns the category, for the caller's log line.
    ///
    /// ```
    /// use ferrotel::app_errors::{Category, ErrorCounter};
    /// let errors = ErrorCounter::new();
    /// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    /// assert_eq!(errors.record_error("billing", &refused), Category::ExternalService);
    /// ```
    pub fn record_error<E: std::error::Error + 'static>(
        &self,
        component: &'static str,
        error: &E,
    ) -> Category {
        let ty = error_type(error);
        let category = self.category_of(&ty);
        self.count(category, component, ty, &error.to_string());
        category
    }

    /// [`record_error`](ErrorCounter::record_error) for an error known only as
    /// `dyn Error`, e.g. an `anyhow::Error` (`errors.record_dyn("jobs", err.as_ref())`):
    /// named by the first known kind down its chain of sources.
    pub fn record_dyn(
        &self,
        component: &'static str,
        error: &(dyn std::error::Error + 'static),
    ) -> Category {
        let ty = error_type_dyn(error);
        let category = self.category_of(&ty);
        self.count(category, component, ty, &error.to_string());
        category
    }

    fn category_of(&self, error_type: &str) -> Category {
        match &self.categories {
            Some(map) => map.category(error_type),
            // Unbound only before `init`: the pipeline's settings are the defaults then.
            None => match self.bound.get() {
                Some(b) => b.settings.error_categories.category(error_type),
                None => CategoryMap::defaults().category(error_type),
            },
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
        self.count(category, component, error_type(error), &error.to_string());
    }

    fn count(
        &self,
        category: Category,
        component: &'static str,
        ty: std::borrow::Cow<'static, str>,
        message: &str,
    ) {
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
        // The current `tracing` span's OpenTelemetry span, or the served request's.
        let cx = opentelemetry::Context::current();
        let span = cx.span();
        span.add_event(
            "exception",
            vec![
                KeyValue::new("exception.type", ty),
                KeyValue::new("exception.message", message.to_string()),
                KeyValue::new(names::ERROR_CATEGORY, category.as_str()),
                KeyValue::new(names::APP_COMPONENT, component),
            ],
        );
        span.set_status(Status::error(message.to_string()));
    }
}
