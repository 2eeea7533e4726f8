//! Traces, metrics and logs reach a real OTLP receiver over gRPC and HTTP/protobuf.

use crate::support::{attr, Receiver};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;

fn nested_spans_metrics_and_logs_arrive(protocol: &str) {
    let rx = Receiver::start();
    arrive(&rx, &rx.endpoint(protocol), protocol, &[]);
}

/// Spans, metrics and logs sent to `endpoint` reach `rx` whole, with their headers;
/// `extra` are further variables (TLS files, …).
pub(crate) fn arrive(rx: &Receiver, endpoint: &str, protocol: &str, extra: &[(&str, &str)]) {
    let mut vars = vec![
        ("OTEL_SERVICE_NAME", "otlp-test"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment.name=ci,team=core",
        ),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-tenant=acme,authorization=Bearer%20s3cret",
        ),
    ];
    vars.extend_from_slice(extra);
    let telemetry = ferrotel::init(crate::config(&vars).with_service_version("1.2.3")).unwrap();
    let orders = telemetry.meter("shop").u64_counter("shop.orders").build();

    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let outer = tracing::info_span!("checkout", order.id = 7);
        let _o = outer.enter();
        let inner = tracing::info_span!("charge_card");
        let _i = inner.enter();
        tracing::info!(amount = 42, "card charged");
        orders.add(
            3,
            &[ferrotel::opentelemetry::KeyValue::new("outcome", "paid")],
        );
    });
    telemetry
        .shutdown()
        .expect("a healthy receiver gets everything");

    // Spans: parent/child ids and the resource.
    let spans = rx.spans();
    let find = |name: &str| {
        spans
            .iter()
            .find(|(_, s)| s.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "span {name} not received; got {:?}",
                    spans.iter().map(|(_, s)| &s.name).collect::<Vec<_>>()
                )
            })
            .clone()
    };
    let (res, outer) = find("checkout");
    let (_, inner) = find("charge_card");
    assert_eq!(inner.trace_id, outer.trace_id);
    assert_eq!(inner.parent_span_id, outer.span_id);
    assert!(outer.parent_span_id.is_empty(), "checkout is a root span");
    assert_eq!(attr(&outer.attributes, "order.id").as_deref(), Some("7"));
    assert_eq!(
        attr(&res.attributes, "service.name").as_deref(),
        Some("otlp-test")
    );
    assert_eq!(
        attr(&res.attributes, "service.version").as_deref(),
        Some("1.2.3")
    );
    assert_eq!(
        attr(&res.attributes, "deployment.environment.name").as_deref(),
        Some("ci")
    );
    assert_eq!(attr(&res.attributes, "team").as_deref(), Some("core"));
    for key in [
        "service.instance.id",
        "host.name",
        "process.pid",
        "telemetry.sdk.name",
        "telemetry.sdk.language",
        "telemetry.sdk.version",
    ] {
        assert!(attr(&res.attributes, key).is_some(), "resource lacks {key}");
    }

    // Logs: the event carries its span's ids.
    let logs = rx.logs();
    let (lres, log) = logs
        .iter()
        .find(|(_, l)| {
            l.body
                .as_ref()
                .and_then(|b| b.value.as_ref())
                .is_some_and(|v| format!("{v:?}").contains("card charged"))
        })
        .expect("the log event arrives")
        .clone();
    assert_eq!(log.trace_id, inner.trace_id, "log correlated to the trace");
    assert_eq!(log.span_id, inner.span_id, "log correlated to its span");
    assert_eq!(attr(&log.attributes, "amount").as_deref(), Some("42"));
    assert_eq!(
        attr(&lres.attributes, "service.name").as_deref(),
        Some("otlp-test")
    );

    // Metrics: the counter with its attribute, under the resource.
    let metrics = rx.metrics();
    let (mres, m) = metrics
        .iter()
        .rev()
        .find(|(_, m)| m.name == "shop.orders")
        .expect("the counter arrives")
        .clone();
    assert_eq!(
        attr(&mres.attributes, "service.name").as_deref(),
        Some("otlp-test")
    );
    let Some(Data::Sum(sum)) = m.data else {
        panic!("shop.orders is a sum: {m:?}")
    };
    let point = &sum.data_points[0];
    assert_eq!(attr(&point.attributes, "outcome").as_deref(), Some("paid"));
    assert_eq!(format!("{:?}", point.value), "Some(AsInt(3))");

    // Headers reached the receiver on every signal.
    let seen = rx.headers();
    for signal in ["traces", "metrics", "logs"] {
        let h = seen
            .iter()
            .find(|(s, _, _)| *s == signal)
            .unwrap_or_else(|| panic!("no {signal} request"));
        assert_eq!(h.1, if protocol == "grpc" { "grpc" } else { "http" });
        if protocol == "http/json" {
            assert_eq!(
                h.2.get("content-type").map(String::as_str),
                Some("application/json"),
                "{signal} sent as OTLP/JSON"
            );
        }
        assert_eq!(
            h.2.get("x-tenant").map(String::as_str),
            Some("acme"),
            "{signal}"
        );
        assert_eq!(
            h.2.get("authorization").map(String::as_str),
            Some("Bearer s3cret"),
            "{signal}"
        );
    }
}

#[test]
fn over_grpc() {
    nested_spans_metrics_and_logs_arrive("grpc");
}

#[test]
fn over_http_protobuf() {
    nested_spans_metrics_and_logs_arrive("http/protobuf");
}

#[test]
fn over_http_json() {
    nested_spans_metrics_and_logs_arrive("http/json");
}

#[test]
fn unsampled_traces_are_not_exported_but_logs_are() {
    let rx = Receiver::start();
    let telemetry = ferrotel::init(crate::config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint("http/protobuf")),
        ("OTEL_TRACES_SAMPLER", "always_off"),
    ]))
    .unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("dropped_by_sampler");
        let _e = span.enter();
        tracing::info!("still logged");
    });
    telemetry.shutdown().unwrap();
    assert!(rx.spans().is_empty(), "always_off exports no span");
    assert!(rx
        .logs()
        .iter()
        .any(|(_, l)| format!("{:?}", l.body).contains("still logged")));
}

#[test]
fn incoming_traceparent_is_the_parent() {
    use ferrotel::opentelemetry::propagation::TextMapPropagator;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let rx = Receiver::start();
    let telemetry = ferrotel::init(crate::config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint("grpc")),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ]))
    .unwrap();
    let mut carrier = std::collections::HashMap::new();
    carrier.insert(
        "traceparent".to_string(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string(),
    );
    carrier.insert("baggage".to_string(), "tenant=acme".to_string());
    let parent = telemetry.propagator().extract(&carrier);
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("handle");
        let _ = span.set_parent(parent);
        let _e = span.enter();
    });
    telemetry.shutdown().unwrap();
    let spans = rx.spans();
    let (_, s) = spans.iter().find(|(_, s)| s.name == "handle").unwrap();
    assert_eq!(hex(&s.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(hex(&s.parent_span_id), "00f067aa0ba902b7");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn otel_propagators_selects_what_is_extracted() {
    use ferrotel::opentelemetry::baggage::BaggageExt;
    use ferrotel::opentelemetry::propagation::TextMapPropagator;
    use ferrotel::opentelemetry::trace::TraceContextExt;
    let carrier: std::collections::HashMap<String, String> = [
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        ("baggage", "tenant=acme"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (setting, want_trace, want_baggage) in [
        ("tracecontext,baggage", true, true),
        ("baggage", false, true),
        ("tracecontext", true, false),
        ("none", false, false),
    ] {
        let t = ferrotel::init(
            crate::config(&[("OTEL_PROPAGATORS", setting)]).without_prometheus_listener(),
        )
        .unwrap();
        let cx = t.propagator().extract(&carrier);
        assert_eq!(cx.span().span_context().is_valid(), want_trace, "{setting}");
        assert_eq!(
            cx.baggage().get("tenant").is_some(),
            want_baggage,
            "{setting}"
        );
        t.shutdown().unwrap();
    }
}

/// Long string values are cut before they are queued: span attributes (and event
/// attributes) and log bodies, at the general limit or the signal's own.
#[test]
fn long_values_are_cut_to_the_value_length_limit() {
    let rx = Receiver::start();
    let telemetry = ferrotel::init(crate::config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint("grpc")),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100"),
        ("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "50"),
    ]))
    .unwrap();
    let long = "é".repeat(5_000);
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("upload", payload = %long, short = "kept");
        let _e = span.enter();
        tracing::info!("{long}");
    });
    telemetry.shutdown().unwrap();
    let spans = rx.spans();
    let (_, upload) = spans.iter().find(|(_, s)| s.name == "upload").unwrap();
    let payload = attr(&upload.attributes, "payload").unwrap();
    assert_eq!(payload.chars().count(), 100);
    assert!(payload.chars().all(|c| c == 'é'));
    assert_eq!(attr(&upload.attributes, "short").as_deref(), Some("kept"));
    let logs = rx.logs();
    let body = logs
        .iter()
        .filter_map(|(_, l)| l.body.as_ref())
        .map(|b| format!("{b:?}"))
        .find(|b| b.contains('é'))
        .expect("the long log record arrived");
    assert_eq!(body.matches('é').count(), 50, "{body}");
}

/// A queue is bounded by bytes as well as items: spans that would take it past its
/// byte capacity are dropped and counted, like a full queue.
#[test]
fn queues_are_bounded_by_bytes() {
    let hole = crate::support::black_hole();
    let telemetry = ferrotel::init(
        crate::config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &format!("http://{hole}")),
            ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1000000"),
            ("FERROTEL_BSP_MAX_QUEUE_BYTES", "1048576"),
        ])
        .with_shutdown_timeout(std::time::Duration::from_millis(500)),
    )
    .unwrap();
    let big = "x".repeat(60_000);
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        for _ in 0..100 {
            let span = tracing::info_span!("big", payload = %big);
            drop(span.enter());
        }
    });
    // About 17 spans of 60 kB fit in 1 MiB; the rest were refused at once, not queued.
    let dropped = telemetry.undelivered().spans;
    assert!((80..=100).contains(&dropped), "{dropped} spans dropped");
    let scrape = crate::support::scrape(telemetry.prometheus_addr().unwrap());
    let full = scrape
        .value(
            "otel_sdk_processor_span_processed_total",
            &[("error_type", "queue_full")],
        )
        .unwrap_or(0.0);
    assert_eq!(full as u64, dropped);
    let _ = telemetry.shutdown();
}

/// The console's filter decides what it prints, not what is exported: with `RUST_LOG`
/// at `warn` the `info` spans and events still arrive, a user's own layer sees what its
/// own filter lets through, and `log` records (from a dependency using the `log` crate)
/// arrive as log records carrying the current span's ids.
#[test]
fn quieting_the_console_loses_no_telemetry_and_user_layers_and_log_records_join() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tracing_subscriber::Layer;

    struct Count(Arc<AtomicUsize>);
    impl<S: tracing::Subscriber> Layer<S> for Count {
        fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    let rx = Receiver::start();
    let counted = Arc::new(AtomicUsize::new(0));
    let warnings_only =
        Count(counted.clone()).with_filter(tracing_subscriber::filter::LevelFilter::WARN);
    let telemetry = ferrotel::init_with_layers(
        crate::config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint("http/protobuf")),
            ("RUST_LOG", "warn"),
        ]),
        vec![Box::new(warnings_only)],
    )
    .unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("GET /quiet");
        let _entered = span.enter();
        tracing::info!("an info event under a quiet console");
        tracing::warn!("a warning");
        log::info!("from the log crate");
    });
    telemetry.shutdown().unwrap();
    assert_eq!(
        counted.load(Ordering::Relaxed),
        1,
        "the user layer saw the one warning"
    );
    let spans = rx.spans();
    let (_, span) = spans
        .iter()
        .find(|(_, s)| s.name == "GET /quiet")
        .expect("the info span was exported although RUST_LOG=warn");
    let logs = rx.logs();
    for text in ["an info event under a quiet console", "from the log crate"] {
        let (_, record) = logs
            .iter()
            .find(|(_, l)| format!("{:?}", l.body).contains(text))
            .unwrap_or_else(|| panic!("{text:?} was not exported"));
        assert_eq!(
            record.span_id, span.span_id,
            "{text:?} carries the span's id"
        );
        assert_eq!(record.trace_id, span.trace_id);
    }
}

/// `FERROTEL_TELEMETRY_FILTER` decides what becomes spans and log records, both through
/// one filter: what it lets through arrives, what it stops does not, and the exporters'
/// own targets (`hyper`, `opentelemetry_sdk`, …) never do, whatever their level.
#[test]
fn the_telemetry_filter_decides_spans_and_log_records_alike() {
    let rx = Receiver::start();
    let telemetry = ferrotel::init(crate::config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint("http/protobuf")),
        ("FERROTEL_TELEMETRY_FILTER", "warn,app=info"),
    ]))
    .unwrap();
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let kept = tracing::info_span!(target: "app", "app work");
        let _entered = kept.enter();
        tracing::info!(target: "app", "app info");
        tracing::info!(target: "other", "other info");
        tracing::warn!(target: "other", "other warning");
        tracing::error!(target: "hyper::proto", "hyper error");
        tracing::error!(target: "opentelemetry_sdk", "sdk error");
        drop(tracing::info_span!(target: "other", "other work"));
        drop(tracing::error_span!(target: "h2::codec", "h2 work"));
    });
    telemetry.shutdown().unwrap();
    let names: Vec<String> = rx.spans().into_iter().map(|(_, s)| s.name).collect();
    assert!(names.contains(&"app work".to_string()), "{names:?}");
    for stopped in ["other work", "h2 work"] {
        assert!(
            !names.contains(&stopped.to_string()),
            "{stopped}: {names:?}"
        );
    }
    let bodies: Vec<String> = rx
        .logs()
        .into_iter()
        .map(|(_, l)| format!("{:?}", l.body))
        .collect();
    let has = |text: &str| bodies.iter().any(|b| b.contains(text));
    assert!(has("app info") && has("other warning"), "{bodies:?}");
    for stopped in ["other info", "hyper error", "sdk error"] {
        assert!(!has(stopped), "{stopped}: {bodies:?}");
    }
}

/// `OTEL_PROPAGATORS=b3` and `b3multi` (what Zipkin-era services and some meshes send):
/// a trace continues from the B3 header(s), and the outgoing context is written in the
/// same format.
#[test]
fn b3_headers_continue_a_trace() {
    use ferrotel::opentelemetry::propagation::TextMapPropagator;
    use std::collections::HashMap;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let trace = "80f198ee56343ba864fe8b2a57d3eff7";
    let parent = "e457b5a2e4d86bd1";
    let single: HashMap<String, String> =
        [("b3".to_string(), format!("{trace}-{parent}-1"))].into();
    let multi: HashMap<String, String> = [
        ("x-b3-traceid", trace),
        ("x-b3-spanid", parent),
        ("x-b3-sampled", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let jaeger: HashMap<String, String> =
        [("uber-trace-id".to_string(), format!("{trace}:{parent}:0:1"))].into();
    for (setting, carrier, header) in [
        ("b3", single, "b3"),
        ("b3multi", multi, "x-b3-traceid"),
        ("jaeger", jaeger, "uber-trace-id"),
    ] {
        let rx = Receiver::start();
        let t = ferrotel::init(crate::config(&[
            ("OTEL_PROPAGATORS", setting),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint("http/protobuf")),
        ]))
        .unwrap();
        let parent_cx = t.propagator().extract(&carrier);
        let mut outgoing: HashMap<String, String> = HashMap::new();
        tracing::dispatcher::with_default(t.dispatch(), || {
            let span = tracing::info_span!("continued");
            let _ = span.set_parent(parent_cx);
            let _entered = span.enter();
            t.propagator()
                .inject_context(&tracing::Span::current().context(), &mut outgoing);
        });
        t.shutdown().unwrap();
        let spans = rx.spans();
        let (_, span) = spans
            .iter()
            .find(|(_, s)| s.name == "continued")
            .expect("the continued span");
        assert_eq!(hex(&span.trace_id), trace, "{setting}");
        assert_eq!(hex(&span.parent_span_id), parent, "{setting}");
        assert!(
            outgoing.get(header).is_some_and(|v| v.contains(trace)),
            "{setting} writes {header}: {outgoing:?}"
        );
    }
}

/// `OTEL_EXPORTER_OTLP_COMPRESSION=gzip` compresses every export, over both protocols; a
/// signal's own variable wins (`none` for logs here).
#[test]
fn exports_are_gzip_compressed_when_asked() {
    for protocol in ["grpc", "http/protobuf"] {
        let rx = Receiver::start();
        let t = ferrotel::init(crate::config(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint(protocol)),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "none"),
        ]))
        .unwrap();
        tracing::dispatcher::with_default(t.dispatch(), || {
            let span = tracing::info_span!("compressed");
            let _entered = span.enter();
            tracing::info!("not compressed");
        });
        t.shutdown().unwrap();
        let encoding = |signal: &str| -> Vec<Option<String>> {
            rx.headers()
                .into_iter()
                .filter(|(s, _, _)| *s == signal)
                .map(|(_, _, h)| {
                    h.get("grpc-encoding")
                        .or_else(|| h.get("x-received-content-encoding"))
                        .cloned()
                })
                .collect()
        };
        let traces = encoding("traces");
        assert!(!traces.is_empty(), "{protocol}: spans arrived");
        assert!(
            traces.iter().all(|e| e.as_deref() == Some("gzip")),
            "{protocol}: {traces:?}"
        );
        let logs = encoding("logs");
        assert!(!logs.is_empty(), "{protocol}: logs arrived");
        assert!(logs.iter().all(|e| e.is_none()), "{protocol}: {logs:?}");
        assert!(
            rx.spans().iter().any(|(_, s)| s.name == "compressed"),
            "{protocol}: the compressed span decodes"
        );
    }
}

/// The span limits of the environment (`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, …) are read by
/// ferrotel like every other variable and applied: the rest is dropped and counted on
/// the span. `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta` sends counters as
/// deltas.
#[test]
fn span_limits_and_temporality_preference_apply() {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let rx = Receiver::start();
    let t = ferrotel::init(crate::config(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint("grpc")),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "3"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "2"),
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"),
    ]))
    .unwrap();
    let counter = t
        .meter("limits-test")
        .u64_counter("limits.test.ops")
        .build();
    tracing::dispatcher::with_default(t.dispatch(), || {
        let span = tracing::info_span!("limited", a = 1, b = 2, c = 3, d = 4, e = 5, f = 6);
        let _entered = span.enter();
        for i in 0..5 {
            tracing::info!(i, "event");
        }
    });
    counter.add(7, &[]);
    t.shutdown().unwrap();
    let spans = rx.spans();
    let (_, span) = spans.iter().find(|(_, s)| s.name == "limited").unwrap();
    assert_eq!(span.attributes.len(), 3, "{:?}", span.attributes);
    assert!(
        span.dropped_attributes_count >= 3,
        "{}",
        span.dropped_attributes_count
    );
    assert_eq!(span.events.len(), 2);
    assert_eq!(span.dropped_events_count, 3);
    let metrics = rx.metrics();
    let (_, ops) = metrics
        .iter()
        .find(|(_, m)| m.name == "limits.test.ops")
        .expect("the counter arrived");
    match &ops.data {
        // AGGREGATION_TEMPORALITY_DELTA
        Some(Data::Sum(sum)) => assert_eq!(sum.aggregation_temporality, 1),
        other => panic!("{other:?}"),
    }
}
