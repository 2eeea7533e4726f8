//! The admin endpoints — `/metrics`, `/health/live`, `/health/ready`, `/health`,
//! `/status` — in one router: this is where `/metrics` is served, whether merged into
//! the application's router or on the built-in listener (`listener`). The exposition
//! it renders lives in `exposition`, the routes in `router` (feature `axum`); what they
//! read, [`Admin`], is here.

mod exposition;
#[cfg(feature = "axum")]
mod listener;
#[cfg(feature = "axum")]
mod router;

pub(crate) use exposition::Exposition;
#[cfg(feature = "axum")]
pub(crate) use listener::start as start_listener;
#[cfg(feature = "axum")]
pub(crate) use router::router;

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::health::{HealthRegistry, Report};

/// What the admin endpoints read. Cheap to clone. Without the `axum` feature only the
/// health registry is used (through `Telemetry::health`).
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
#[derive(Clone, Debug)]
pub(crate) struct Admin {
    pub(crate) exposition: Option<Exposition>,
    pub(crate) health: HealthRegistry,
    pub(crate) service: String,
    pub(crate) version: Option<String>,
    /// `deployment.environment.name`, when set.
    pub(crate) environment: Option<String>,
    pub(crate) started: Instant,
    pub(crate) token: Option<Arc<str>>,
}

/// A comparison whose time does not depend on where the inputs differ (`subtle`).
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(given, expected).into()
}

/// RFC 3339 in UTC, e.g. `2026-11-23T10:35:10.123Z`.
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) fn details(report: &Report) -> Value {
    let components: Vec<Value> = report
        .components
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "status": c.status.as_str(),
                "critical": c.critical,
                "latency_ms": c.latency.as_secs_f64() * 1000.0,
                "message": c.message,
                "details": c.details,
                "last_checked": rfc3339(c.checked_at),
            })
        })
        .collect();
    json!({ "status": report.status.as_str(), "components": components })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_value_and_length() {
        assert!(same_secret(b"s3cret", b"s3cret"));
        assert!(!same_secret(b"s3cre", b"s3cret"));
        assert!(!same_secret(b"s3cret!", b"s3cret"));
        assert!(!same_secret(b"S3cret", b"s3cret"));
        assert!(!same_secret(b"", b"s3cret"));
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_795_430_110_123);
        assert_eq!(rfc3339(t), "2026-11-23T10:35:10.123Z");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }
}
