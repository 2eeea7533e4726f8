//! `https://` endpoints: the receiver behind certificates made here (rcgen), over both
//! protocols, with server-only and mutual TLS; an untrusted certificate fails exports
//! with a warning, never the application.

use crate::otlp::arrive;
use crate::support::{Example, Pki, Receiver};

fn server_tls(protocol: &str) {
    let pki = Pki::new(&format!("server-{}", protocol.replace('/', "-")));
    let rx = Receiver::start_tls(&pki, false);
    let ca = pki.ca.to_str().unwrap();
    arrive(
        &rx,
        &rx.tls_endpoint(protocol),
        protocol,
        &[("OTEL_EXPORTER_OTLP_CERTIFICATE", ca)],
    );
}

#[test]
fn server_tls_over_grpc() {
    server_tls("grpc");
}

#[test]
fn server_tls_over_http() {
    server_tls("http/protobuf");
}

fn mutual_tls(protocol: &str) {
    let pki = Pki::new(&format!("mutual-{}", protocol.replace('/', "-")));
    let rx = Receiver::start_tls(&pki, true);
    let (ca, cert, key) = (
        pki.ca.to_str().unwrap(),
        pki.client_cert.to_str().unwrap(),
        pki.client_key.to_str().unwrap(),
    );
    let endpoint = rx.tls_endpoint(protocol);

    // Without a client certificate the server refuses every export: the shutdown
    // report counts what was lost, nothing arrives, and nothing panics.
    let telemetry = ferrotel::init(crate::config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"),
    ]))
    .unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let _s = tracing::info_span!("without a client certificate").entered();
    });
    let err = telemetry
        .shutdown()
        .expect_err("the server wants a client certificate");
    assert!(err.undelivered.spans >= 1, "{err}");
    assert!(rx.spans().is_empty(), "nothing got through without one");

    // With one (general CA, the client pair in the per-signal form for traces and the
    // general form for the rest) everything arrives.
    arrive(
        &rx,
        &endpoint,
        protocol,
        &[
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", cert),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", key),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", key),
        ],
    );
}

#[test]
fn mutual_tls_over_grpc() {
    mutual_tls("grpc");
}

#[test]
fn mutual_tls_over_http() {
    mutual_tls("http/protobuf");
}

/// A certificate the service does not trust (no CA file; the test CA is in neither
/// the system's nor the webpki roots): the service keeps serving, the export fails
/// with one warning that names the endpoint and the reason, and nothing arrives.
fn untrusted(protocol: &str) {
    let pki = Pki::new(&format!("untrusted-{}", protocol.replace('/', "-")));
    let rx = Receiver::start_tls(&pki, false);
    let endpoint = rx.tls_endpoint(protocol);
    let mut service = Example::start(
        "axum_service",
        &[
            ("APP_ADDR", "127.0.0.1:0"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "none"),
            ("FERROTEL_LOG_FORMAT", "text"),
        ],
    );
    let addr = service.url_after("listening on http://");
    for _ in 0..5 {
        let (status, _) = crate::support::http_get(addr, "/hello/tls");
        assert!(status < 500, "the service answers while exports fail");
    }
    let warning = service.next("the export warning", |l| {
        l.contains("WARN") && l.contains("export failed")
    });
    eprintln!("{protocol}: {warning}");
    assert!(
        warning.contains(&endpoint),
        "the warning names the endpoint {endpoint}: {warning}"
    );
    assert!(
        warning.contains("invalid peer certificate"),
        "the warning gives the reason: {warning}"
    );
    let (status, _) = crate::support::http_get(addr, "/hello/tls");
    assert!(status < 500, "still serving after the failed export");
    service.stop();
    assert!(
        rx.spans().is_empty(),
        "an untrusted endpoint receives nothing"
    );
}

#[test]
fn untrusted_certificate_over_grpc() {
    untrusted("grpc");
}

#[test]
fn untrusted_certificate_over_http() {
    untrusted("http/protobuf");
}
