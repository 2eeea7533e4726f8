//! The in-process Prometheus endpoint, scraped over HTTP and parsed.

use crate::support::{black_hole, scrape, Receiver};
use ferrotel::opentelemetry::KeyValue;
use ferrotel::testing::parse_exposition;

#[test]
fn series_carry_the_resource_labels() {
    let telemetry = ferrotel::init(
        crate::config(&[("OTEL_SERVICE_NAME", "shop")])
            .with_service_version("2.0.1")
            .with_environment("staging"),
    )
    .unwrap();
    let meter = telemetry.meter("shop");
    meter
        .u64_counter("shop.orders")
        .build()
        .add(5, &[KeyValue::new("outcome", "paid")]);
    meter
        .f64_histogram("shop.checkout.duration")
        .with_unit("s")
        .with_boundaries(vec![0.1, 1.0])
        .build()
        .record(0.25, &[]);

    let addr = telemetry
        .prometheus_addr()
        .expect("the listener is on by default");
    let s = scrape(addr);
    let labels = [
        ("service_name", "shop"),
        ("service_version", "2.0.1"),
        ("deployment_environment_name", "staging"),
    ];
    assert_eq!(s.kind("shop_orders_total"), Some("counter"));
    let mut with_outcome = labels.to_vec();
    with_outcome.push(("outcome", "paid"));
    assert_eq!(s.value("shop_orders_total", &with_outcome), Some(5.0));
    assert_eq!(s.kind("shop_checkout_duration_seconds"), Some("histogram"));
    assert_eq!(
        s.value("shop_checkout_duration_seconds_count", &labels),
        Some(1.0)
    );
    assert_eq!(
        s.value("shop_checkout_duration_seconds_sum", &labels),
        Some(0.25)
    );
    let mut le = labels.to_vec();
    le.push(("le", "1"));
    assert_eq!(
        s.value("shop_checkout_duration_seconds_bucket", &le),
        Some(1.0)
    );
    // Instance-specific attributes stay off the series (they are on target_info).
    assert!(s
        .samples
        .iter()
        .filter(|x| x.name == "shop_orders_total")
        .all(|x| !x.labels.contains_key("service_instance_id")));
    // The handle renders the same series as the listener serves.
    let from_handle = parse_exposition(&telemetry.prometheus_exposition().unwrap()).unwrap();
    assert_eq!(from_handle.names(), s.names());
    telemetry.shutdown().unwrap();
}

#[test]
fn self_monitoring_counts_exported_spans_and_logs() {
    let rx = Receiver::start();
    let telemetry = ferrotel::init(crate::config(&[
        ("OTEL_SERVICE_NAME", "selfmon"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint("http/protobuf")),
    ]))
    .unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        for i in 0..10 {
            let span = tracing::info_span!("work", i);
            let _e = span.enter();
            tracing::info!("one");
        }
    });
    telemetry.force_flush().unwrap();
    rx.wait_for("10 spans", |r| r.spans().len() >= 10);
    let s = scrape(telemetry.prometheus_addr().unwrap());
    let exporter = [
        ("otel_component_type", "otlp_http_span_exporter"),
        ("service_name", "selfmon"),
    ];
    assert_eq!(
        s.value("otel_sdk_exporter_span_exported_total", &exporter),
        Some(10.0)
    );
    assert_eq!(
        s.value(
            "otel_sdk_processor_span_processed_total",
            &[("otel_component_type", "batching_span_processor")]
        ),
        Some(10.0)
    );
    // The ten events and init's start-up line.
    assert_eq!(
        s.value(
            "otel_sdk_exporter_log_exported_total",
            &[("otel_component_type", "otlp_http_log_exporter")]
        ),
        Some(11.0)
    );
    assert_eq!(
        s.value("otel_sdk_processor_span_queue_capacity", &[]),
        Some(2048.0)
    );
    assert_eq!(
        s.value("otel_sdk_processor_span_queue_size", &[]),
        Some(0.0)
    );
    assert_eq!(
        s.value("otel_sdk_processor_log_queue_capacity", &[]),
        Some(2048.0)
    );
    assert!(s
        .find(
            "otel_sdk_exporter_span_exported_total",
            &[("error_type", "timeout")]
        )
        .next()
        .is_none());
    telemetry.shutdown().unwrap();
}

#[test]
fn a_full_queue_drops_and_counts_without_blocking() {
    full_queue(None);
}

/// With one export at a time (as the SDK's processors), one fewer batch is held back.
#[test]
fn one_export_at_a_time_holds_back_one_batch() {
    full_queue(Some("1"));
}

fn full_queue(concurrent: Option<&str>) {
    let hole = black_hole();
    let telemetry = ferrotel::init(
        crate::config(&[
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                &format!("http://{hole}/v1/traces"),
            ),
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "4"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2"),
            ("OTEL_BSP_EXPORT_TIMEOUT", "600000"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "600000"),
            ("OTEL_BSP_MAX_CONCURRENT_EXPORTS", concurrent.unwrap_or("2")),
        ])
        .with_shutdown_timeout(std::time::Duration::from_millis(500)),
    )
    .unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        for i in 0..200 {
            let span = tracing::info_span!("burst", i);
            let _e = span.enter();
        }
    });
    // At most the batches in flight (OTEL_BSP_MAX_CONCURRENT_EXPORTS, default 2), one
    // batch waiting for a slot and a full queue can be held back; the rest were dropped.
    let in_flight: u64 = concurrent.map_or(2, |c| c.parse().unwrap());
    let dropped = telemetry.undelivered().spans;
    assert!(dropped >= 200 - in_flight * 2 - 2 - 4, "dropped {dropped}");
    let s = scrape(telemetry.prometheus_addr().unwrap());
    assert_eq!(
        s.value(
            "otel_sdk_processor_span_processed_total",
            &[("error_type", "queue_full")]
        ),
        Some(dropped as f64)
    );
    assert_eq!(
        s.value("otel_sdk_processor_span_queue_capacity", &[]),
        Some(4.0)
    );
    let err = telemetry
        .shutdown()
        .expect_err("the black hole never took the batch");
    assert!(err.to_string().contains("traces"), "{err}");
    assert!(err.undelivered.spans >= dropped);
}

/// A cardinality flood (a million distinct user ids on one counter) stays at the
/// configured number of series plus one overflow series, which `/metrics` shows and
/// which holds every measurement beyond the limit: bounded, and nothing lost silently.
#[test]
fn a_cardinality_flood_stops_at_the_limit_plus_one_overflow_series() {
    let telemetry = ferrotel::init(crate::config(&[
        ("OTEL_SERVICE_NAME", "flood"),
        ("FERROTEL_METRIC_CARDINALITY_LIMIT", "100"),
    ]))
    .unwrap();
    let logins = telemetry.meter("flood").u64_counter("flood.logins").build();
    // Histograms keep their buckets under the view that sets the limit.
    let took = telemetry
        .meter("flood")
        .f64_histogram("flood.took")
        .with_boundaries(vec![0.5])
        .build();
    for user in 0..1_000_000u32 {
        logins.add(1, &[KeyValue::new("user.id", user.to_string())]);
    }
    took.record(0.25, &[]);
    let s = parse_exposition(&telemetry.prometheus_exposition().unwrap()).unwrap();
    let series: Vec<_> = s.find("flood_logins_total", &[]).collect();
    assert!(
        series.len() <= 101,
        "{} series for a limit of 100",
        series.len()
    );
    let overflow: Vec<_> = s
        .find("flood_logins_total", &[("otel_metric_overflow", "true")])
        .collect();
    assert_eq!(
        overflow.len(),
        1,
        "one overflow series, visible on /metrics"
    );
    let total: f64 = series.iter().map(|x| x.value).sum();
    assert_eq!(total, 1_000_000.0, "every login is counted somewhere");
    assert!(overflow[0].value >= 999_900.0, "{}", overflow[0].value);
    assert_eq!(s.value("flood_took_bucket", &[("le", "0.5")]), Some(1.0));
    telemetry.shutdown().unwrap();
}
