//! The admin routes on axum: `/metrics`, `/health/live`, `/health/ready`, `/health`, `/status`.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{json, Value};

use super::exposition::CONTENT_TYPE;
use super::{details, same_secret, Admin};

impl Admin {
    /// `None` when the request may see details; otherwise the 401 to send.
    fn deny(&self, headers: &HeaderMap) -> Option<Response> {
        let expected = self.token.as_ref()?;
        // The scheme is case-insensitive (RFC 7235); the token is not.
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim_start())
            .unwrap_or("");
        if same_secret(given.as_bytes(), expected.as_bytes()) {
            None
        } else {
            Some(
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer")],
                )
                    .into_response(),
            )
        }
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn metrics(admin: Admin, headers: HeaderMap) -> Response {
    if let Some(denied) = admin.deny(&headers) {
        return denied;
    }
    match &admin.exposition {
        Some(e) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], e.render()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "the Prometheus exporter is off (OTEL_METRICS_EXPORTER)\n",
        )
            .into_response(),
    }
}

async fn ready(admin: Admin) -> Response {
    let report = admin.health.report().await;
    if report.ready() {
        json_response(StatusCode::OK, json!({ "status": report.status.as_str() }))
    } else {
        // Names only: this endpoint is public, so no messages.
        let failing: Vec<&str> = report
            .components
            .iter()
            .filter(|c| {
                c.critical
                    && matches!(
                        c.status,
                        crate::health::Status::Unhealthy | crate::health::Status::Unknown
                    )
            })
            .map(|c| c.name.as_str())
            .collect();
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": report.status.as_str(), "failing": failing }),
        )
    }
}

async fn health(admin: Admin, headers: HeaderMap) -> Response {
    if let Some(denied) = admin.deny(&headers) {
        return denied;
    }
    let report = admin.health.report().await;
    let code = if report.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(code, details(&report))
}

/// Public: whether the service is up. With the admin token (or when none is set): the
/// service, version, environment and uptime too.
async fn status(admin: Admin, headers: HeaderMap) -> Response {
    let report = admin.health.report().await;
    let body = if admin.deny(&headers).is_some() {
        json!({ "status": report.status.as_str() })
    } else {
        json!({
            "service": admin.service,
            "version": admin.version,
            "environment": admin.environment,
            "uptime_seconds": admin.started.elapsed().as_secs(),
            "status": report.status.as_str(),
        })
    };
    json_response(StatusCode::OK, body)
}

/// The admin router; see [`Telemetry::admin_router`](crate::Telemetry::admin_router).
pub(crate) fn router(admin: Admin) -> axum::Router {
    let (a, b, c, d) = (admin.clone(), admin.clone(), admin.clone(), admin);
    axum::Router::new()
        .route("/metrics", get(move |h: HeaderMap| metrics(a.clone(), h)))
        .route("/health/live", get(|| async { "ok\n" }))
        .route("/health/ready", get(move || ready(b.clone())))
        .route("/health", get(move |h: HeaderMap| health(c.clone(), h)))
        .route("/status", get(move |h: HeaderMap| status(d.clone(), h)))
}
