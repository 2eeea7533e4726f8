//! `examples/axum_service.rs` started as a user would, driven over HTTP, stopped with SIGTERM.

use crate::request;
use crate::support::Example;

#[test]
fn axum_service_serves_measures_and_stops() {
    let mut run = Example::start(
        "axum_service",
        &[
            ("APP_ADDR", "127.0.0.1:0"),
            ("OTEL_SERVICE_NAME", "axum-example"),
        ],
    );
    let app = run.url_after("listening on http://");
    let admin = run.url_after("admin endpoints also on http://");

    let (status, _, body) = request(app, "GET", "/hello/otel", &[], "");
    assert_eq!((status, body.as_str()), (200, "hello, otel\n"));
    assert_eq!(request(app, "GET", "/health/ready", &[], "").0, 200);
    assert_eq!(request(admin, "GET", "/health/live", &[], "").0, 200);

    let (status, _, text) = request(app, "GET", "/metrics", &[], "");
    assert_eq!(status, 200);
    let s = otelkit::testing::parse_exposition(&text).unwrap();
    let labels = [
        ("service_name", "axum-example"),
        ("http_route", "/hello/{name}"),
        ("http_response_status_code", "200"),
    ];
    assert_eq!(
        s.value("http_server_request_duration_seconds_count", &labels),
        Some(1.0)
    );
    assert_eq!(
        s.value(
            "health_check_status",
            &[("health_check_name", "self"), ("health_status", "healthy")]
        ),
        Some(1.0)
    );

    let after = run.stop();
    assert!(
        after.iter().any(|l| l.contains("telemetry flushed")),
        "{after:?}"
    );
}
