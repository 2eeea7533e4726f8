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
    let s = ferrotel::testing::parse_exposition(&text).unwrap();
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

    // A malformed baggage header carrying a token: the SDK's propagator would print the
    // whole header once per bad entry; here one line, without the content, and the
    // well-formed entry still propagates.
    let baggage = "tenant=acme,Bearer sk-live-SECRET123,also bad";
    for _ in 0..3 {
        let (status, _, _) = request(app, "GET", "/hello/otel", &[("baggage", baggage)], "");
        assert_eq!(status, 200);
    }

    let after = run.stop();
    assert!(
        after.iter().any(|l| l.contains("telemetry flushed")),
        "{after:?}"
    );
    // Printed after the start-up lines `url_after` consumed, so all in `after`.
    let everything = after.join("\n");
    assert!(!everything.contains("SECRET123"), "{everything}");
    let warnings: Vec<_> = after.iter().filter(|l| l.contains("baggage")).collect();
    assert!(
        (1..=3).contains(&warnings.len()) && warnings[0].contains("malformed baggage header"),
        "{warnings:?}"
    );
}

#[test]
fn grpc_service_answers_health_checks_and_measures_them() {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;

    let mut run = Example::start(
        "grpc_service",
        &[
            ("GRPC_ADDR", "127.0.0.1:0"),
            ("OTEL_SERVICE_NAME", "grpc-example"),
        ],
    );
    let addr = run.url_after("listening on http://");
    let admin = run.url_after("admin endpoints on http://");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = HealthClient::new(channel);
        // The reporter starts from the registry within a second.
        let start = std::time::Instant::now();
        loop {
            let status = client
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .unwrap()
                .into_inner()
                .status;
            if status == 1 || start.elapsed() > std::time::Duration::from_secs(30) {
                break status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });
    assert_eq!(status, 1, "SERVING");
    drop(rt); // closes the client's connection

    let (code, _, text) = request(admin, "GET", "/metrics", &[], "");
    assert_eq!(code, 200);
    let s = ferrotel::testing::parse_exposition(&text).unwrap();
    let labels = [
        ("service_name", "grpc-example"),
        ("rpc_method", "grpc.health.v1.Health/Check"),
        ("rpc_response_status_code", "OK"),
    ];
    assert!(
        s.value("rpc_server_call_duration_seconds_count", &labels)
            .unwrap()
            >= 1.0
    );

    let after = run.stop();
    assert!(
        after.iter().any(|l| l.contains("telemetry flushed")),
        "{after:?}"
    );
}

/// The flood that took this example from 18 MB to 250–280 MB: with the collector
/// never answering, thousands of requests whose path parameter (recorded by the handler's
/// `#[instrument]` span) is 60 kB. Values are cut to 4,096 characters and the queue is
/// bounded by bytes, so memory stays under a ceiling; the drops are counted.
#[test]
fn a_flood_of_large_values_stays_under_the_memory_ceiling() {
    // Accepts connections and never answers: every export waits out its timeout.
    let hole = crate::support::black_hole();
    let mut run = Example::start(
        "axum_service",
        &[
            ("APP_ADDR", "127.0.0.1:0"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &format!("http://{hole}")),
            ("FERROTEL_SHUTDOWN_TIMEOUT", "1000"),
        ],
    );
    let app = run.url_after("listening on http://");
    let admin = run.url_after("admin endpoints also on http://");
    let big = "a".repeat(60_000);
    let start = run.rss();
    let mut peak = start;
    for i in 0..3_000 {
        let (status, _, _) = request(app, "GET", &format!("/hello/{big}{i}"), &[], "");
        assert_eq!(status, 200);
        if i % 250 == 0 {
            peak = peak.max(run.rss());
        }
    }
    peak = peak.max(run.rss());
    const CEILING: u64 = 64 << 20;
    eprintln!(
        "flood: RSS {} MiB at start, {} MiB at peak",
        start >> 20,
        peak >> 20
    );
    assert!(
        peak - start < CEILING,
        "3,000 requests of 60 kB grew RSS from {start} to {peak} bytes"
    );
    let (_, _, text) = request(admin, "GET", "/metrics", &[], "");
    let s = ferrotel::testing::parse_exposition(&text).unwrap();
    let dropped = s
        .find("otel_sdk_processor_span_processed_total", &[])
        .filter(|x| x.labels.get("error_type").map(String::as_str) == Some("queue_full"))
        .map(|x| x.value)
        .sum::<f64>();
    assert!(
        dropped > 0.0,
        "the spans past the queue's capacity are counted"
    );
    run.stop();
}
