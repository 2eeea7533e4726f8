//! Application errors by category and component, and as exception events on the
//! current span.
//!
//! ```
//! use ferrotel::app_errors::{self, Category};
//!
//! let err = std::io::Error::new(std::io::ErrorKind::TimedOut, "upstream timed out");
//! app_errors::record(Category::ExternalService, "billing", &err);
//! ```

use std::sync::OnceLock;

use opentelemetry::metrics::Counter;
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;
use tracing_opentelemetry::OpenTelemetrySpanExt;

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

/// The last path segment of a type's name: `std::io::error::Error` → `Error`,
/// generics dropped.
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

fn counter() -> &'static Counter<u64> {
    static C: OnceLock<Counter<u64>> = OnceLock::new();
    C.get_or_init(|| catalog::APP_ERRORS.u64_counter(&opentelemetry::global::meter("ferrotel")))
}

/// Counts `error` in `app.errors` (by `error.category`, `app.component` and
/// `error.type`, the error's type name) and adds an `exception` event to the current
/// span, marking it failed.
///
/// `component` should be a fixed name (`billing`, `auth-middleware`), never an id.
pub fn record<E: std::error::Error + ?Sized>(
    category: Category,
    component: &'static str,
    error: &E,
) {
    let ty = short_type_name::<E>();
    counter().add(
        1,
        &[
            KeyValue::new(names::ERROR_CATEGORY, category.as_str()),
            KeyValue::new(names::APP_COMPONENT, component),
            KeyValue::new(names::ERROR_TYPE, ty),
        ],
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_short() {
        assert_eq!(short_type_name::<std::io::Error>(), "Error");
        assert_eq!(
            short_type_name::<std::num::ParseIntError>(),
            "ParseIntError"
        );
        assert_eq!(short_type_name::<Vec<String>>(), "Vec");
        assert_eq!(short_type_name::<dyn std::error::Error>(), "Error");
    }
}
