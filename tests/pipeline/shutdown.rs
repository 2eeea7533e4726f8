//! The application keeps serving and `shutdown` returns, whatever the collector does.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use crate::support::{black_hole, dead_addr, Receiver};

/// Several times the configured timeout: the bound the tests hold shutdown to.
const BOUND: Duration = Duration::from_secs(15);
const TIMEOUT: Duration = Duration::from_millis(1000);

/// An axum app whose handler opens spans and logs, served on loopback, driven by real requests.
async fn serve_requests(telemetry: &ferrotel::Telemetry, n: usize) -> usize {
    // axum spawns a task per connection, so the handler enters the test's
    // dispatcher itself (the tests share a process and install no global one).
    async fn hello(
        axum::extract::State(d): axum::extract::State<tracing::Dispatch>,
    ) -> &'static str {
        tracing::dispatcher::with_default(&d, || {
            let span = tracing::info_span!("hello");
            let _e = span.enter();
            tracing::info!("answering");
        });
        "hi"
    }
    let app = axum::Router::new()
        .route("/", axum::routing::get(hello))
        .with_state(telemetry.dispatch().clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, app).into_future());
    let mut ok = 0;
    for _ in 0..n {
        let (status, body) =
            tokio::task::spawn_blocking(move || crate::support::http_get(addr, "/"))
                .await
                .unwrap();
        if status == 200 && body == "hi" {
            ok += 1;
        }
    }
    server.abort();
    ok
}

fn cfg(endpoint: &str, protocol: &str) -> ferrotel::Config {
    crate::config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "60000"),
        ("OTEL_BSP_EXPORT_TIMEOUT", "60000"),
        ("OTEL_BLRP_EXPORT_TIMEOUT", "60000"),
        ("OTEL_METRIC_EXPORT_TIMEOUT", "60000"),
    ])
    .with_shutdown_timeout(TIMEOUT)
}

async fn keeps_serving_and_shuts_down(endpoint: String, protocol: &str, expect_ok: bool) {
    let telemetry = ferrotel::init(cfg(&endpoint, protocol)).unwrap();
    assert_eq!(
        serve_requests(&telemetry, 20).await,
        20,
        "every request answered"
    );
    // Give the batches time to be in flight towards the collector.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A flush is held to the shutdown timeout too, not each signal's export timeout
    // (60 s here) in turn; a collector that never answers makes it say so per signal.
    let start = Instant::now();
    let flushed = telemetry.force_flush();
    let took = start.elapsed();
    assert!(took < BOUND, "force_flush took {took:?}");
    if expect_ok {
        flushed.expect("a healthy collector takes the flush");
    } else {
        // One deadline for the whole flush: every signal still waiting is cut at it; a
        // signal whose exports (in flight or flushed) already failed says why.
        let err = flushed.expect_err("an unreachable collector fails the flush");
        assert!(!err.failures.is_empty(), "{err}");
        for failure in &err.failures {
            assert!(
                failure.reason == format!("timed out after {TIMEOUT:?}")
                    || failure.reason.contains("Connection refused"),
                "{err}"
            );
        }
    }
    let start = Instant::now();
    let result = telemetry.shutdown();
    let took = start.elapsed();
    assert!(took < BOUND, "shutdown took {took:?}");
    if expect_ok {
        result.expect("a healthy collector gets everything");
    } else {
        let err = result.expect_err("an unreachable collector is reported");
        assert!(err.to_string().contains("not delivered"), "{err}");
        assert!(
            err.undelivered.logs >= 20,
            "the 20 log records are reported lost: {err:?}"
        );
        assert!(
            err.undelivered.spans >= 20,
            "the 20 request spans are reported lost: {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_exports_are_counted_by_error_type() {
    let telemetry =
        ferrotel::init(cfg(&format!("http://{}", dead_addr()), "http/protobuf")).unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("lost");
        let _e = span.enter();
    });
    let addr = telemetry.prometheus_addr().unwrap();
    let failed = [
        ("otel_component_type", "otlp_http_span_exporter"),
        ("error_type", "export_failed"),
    ];
    let start = Instant::now();
    let n = loop {
        let s = tokio::task::spawn_blocking(move || crate::support::scrape(addr))
            .await
            .unwrap();
        if let Some(n) = s.value("otel_sdk_exporter_span_exported_total", &failed) {
            break n;
        }
        assert!(
            start.elapsed() < BOUND,
            "the failed export was never counted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(n, 1.0);
    assert_eq!(telemetry.undelivered().spans, 1);
    let _ = telemetry.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_down_grpc_multi_thread() {
    keeps_serving_and_shuts_down(format!("http://{}", dead_addr()), "grpc", false).await;
}

#[tokio::test(flavor = "current_thread")]
async fn collector_down_http_current_thread() {
    keeps_serving_and_shuts_down(format!("http://{}", dead_addr()), "http/protobuf", false).await;
}

#[tokio::test(flavor = "current_thread")]
async fn collector_black_hole_grpc_current_thread() {
    keeps_serving_and_shuts_down(format!("http://{}", black_hole()), "grpc", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_black_hole_http_multi_thread() {
    keeps_serving_and_shuts_down(format!("http://{}", black_hole()), "http/protobuf", false).await;
}

#[tokio::test(flavor = "current_thread")]
async fn collector_up_current_thread_delivers_everything() {
    let rx = Receiver::start();
    keeps_serving_and_shuts_down(rx.endpoint("grpc"), "grpc", true).await;
    assert!(rx.spans().iter().filter(|(_, s)| s.name == "hello").count() == 20);
    assert!(rx.logs().len() >= 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_up_multi_thread_delivers_everything() {
    let rx = Receiver::start();
    keeps_serving_and_shuts_down(rx.endpoint("http/protobuf"), "http/protobuf", true).await;
    assert!(rx.spans().iter().filter(|(_, s)| s.name == "hello").count() == 20);
}

#[tokio::test]
async fn dropping_the_handle_inside_async_code_is_safe() {
    let rx = Receiver::start();
    let telemetry = ferrotel::init(cfg(&rx.endpoint("grpc"), "grpc")).unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("before_drop");
        let _e = span.enter();
    });
    drop(telemetry); // best-effort shutdown, no panic from dropping a runtime in async context
    rx.wait_for("the span flushed by drop", |r| {
        r.spans().iter().any(|(_, s)| s.name == "before_drop")
    });
}

#[test]
fn shutdown_twice_is_harmless() {
    let telemetry = ferrotel::init(crate::config(&[])).unwrap();
    telemetry.shutdown().unwrap();
    telemetry.shutdown().unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn init_inside_a_runtime_observes_that_runtime() {
    let telemetry = ferrotel::init(crate::config(&[]).without_prometheus_listener()).unwrap();
    let text = telemetry.prometheus_exposition().unwrap();
    let s = ferrotel::testing::parse_exposition(&text).unwrap();
    assert_eq!(
        s.value(
            "tokio_runtime_workers",
            &[("tokio_runtime_flavor", "current_thread")]
        ),
        Some(1.0)
    );
    telemetry.shutdown().unwrap();
}
