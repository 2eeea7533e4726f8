//! `examples/quickstart.rs` driven as a user would: started with environment
//! variables, scraped, stopped with SIGTERM, its output and OTLP export read.

use crate::support::{scrape, Example, Receiver};

#[test]
fn quickstart_exports_serves_metrics_and_stops_on_sigterm() {
    let rx = Receiver::start();
    let endpoint = rx.endpoint("grpc");
    let mut run = Example::start(
        "quickstart",
        &[
            ("FERROTEL_LOG_FORMAT", "json"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            // Unusable: ignored with a warning, and named on the start-up line.
            ("OTEL_PROPAGATORS", "tracecontext,xray"),
        ],
    );
    let addr = run.url_after("metrics at http://");
    // The start-up line says where telemetry goes, before the example's own address.
    let startup = run
        .printed()
        .iter()
        .find(|l| l.contains("telemetry for quickstart"))
        .cloned()
        .expect("the start-up line");
    let otlp = endpoint.trim_start_matches("http://");
    assert!(
        startup.contains(&format!("traces to otlp grpc {otlp}")),
        "{startup}"
    );
    assert!(
        startup.contains("sampler parentbased_always_on"),
        "{startup}"
    );
    assert!(!startup.contains("http://"), "{startup}");
    assert!(
        startup.contains("ignored from the environment: OTEL_PROPAGATORS"),
        "{startup}"
    );
    assert!(
        run.printed()
            .iter()
            .any(|l| l.contains("WARN") && l.contains("OTEL_PROPAGATORS") && l.contains("xray")),
        "the warning names the variable and its value: {:?}",
        run.printed()
    );
    run.next("a first job", |l| l.contains("job done"));
    let done = run.next("a second job", |l| l.contains("job done"));

    let s = scrape(addr);
    let jobs = s
        .value("quickstart_jobs_total", &[("service_name", "quickstart")])
        .expect("the quickstart counter is exposed with service_name");
    assert!(jobs >= 2.0, "{jobs}");
    let after = run.stop();
    assert!(
        after.iter().any(|l| l.contains("telemetry flushed")),
        "{after:?}"
    );

    // JSON lines carry the ids of the span they were logged in.
    let v: serde_json::Value = serde_json::from_str(&done).expect("a JSON log line");
    assert_eq!(v["level"], "INFO");
    assert_eq!(v["span"], "handle_job");
    assert_eq!(v["outcome"], "ok");
    let trace_id = v["trace_id"].as_str().expect("trace_id").to_string();
    let span_id = v["span_id"].as_str().expect("span_id").to_string();
    assert_eq!(trace_id.len(), 32);
    assert_eq!(span_id.len(), 16);

    // ... and the same trace reached the collector, nested.
    rx.wait_for("the quickstart's spans", |r| {
        r.spans().iter().any(|(_, s)| hex(&s.span_id) == span_id)
    });
    let spans = rx.spans();
    let job = spans
        .iter()
        .find(|(_, s)| hex(&s.span_id) == span_id)
        .unwrap();
    assert_eq!(hex(&job.1.trace_id), trace_id);
    assert!(spans
        .iter()
        .any(|(_, s)| s.name == "load" && s.parent_span_id == job.1.span_id));
    assert!(rx.logs().iter().any(|(_, l)| hex(&l.span_id) == span_id));
}

/// The collector unreachable the whole time: the service still exits 0 on SIGTERM and
/// says what was not delivered (before: exit code 1 from `telemetry.shutdown()?`).
#[test]
fn an_unreachable_collector_does_not_change_the_exit_code() {
    let dead = crate::support::dead_addr();
    let endpoint = format!("http://{dead}");
    let mut run = Example::start(
        "quickstart",
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "100"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "500"),
            ("FERROTEL_SHUTDOWN_TIMEOUT", "2000"),
        ],
    );
    run.url_after("metrics at http://");
    run.next("a job", |l| l.contains("job done"));
    let after = run.stop(); // asserts exit status 0
    assert!(
        after
            .iter()
            .any(|l| l.contains("telemetry shutdown was incomplete") && l.contains("bye")),
        "{after:?}"
    );
}

#[test]
fn console_exporters_print_spans_logs_and_metrics() {
    let mut run = Example::start(
        "quickstart",
        &[
            ("OTEL_SERVICE_NAME", "console-run"),
            ("OTEL_TRACES_EXPORTER", "console"),
            ("OTEL_LOGS_EXPORTER", "console"),
            ("OTEL_METRICS_EXPORTER", "console,prometheus"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "200"),
        ],
    );
    let addr = run.url_after("metrics at http://");
    let span = run.next("a console span", |l| l.starts_with("span load "));
    assert!(
        span.contains("trace_id=") && span.contains("parent_span_id="),
        "{span}"
    );
    let log = run.next("a console log record", |l| {
        l.starts_with("log INFO trace_id=")
    });
    assert!(log.contains("span_id="), "{log}");
    let metric = run.next("a console metric", |l| {
        l.starts_with("metric quickstart.jobs{outcome=ok}")
    });
    assert!(
        metric
            .split_whitespace()
            .last()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1,
        "{metric}"
    );
    // Prometheus is still served beside the console.
    assert!(scrape(addr)
        .value("quickstart_jobs_total", &[("service_name", "console-run")])
        .is_some());
    run.stop();
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The resource comes from the ecosystem's detectors: host, OS and process attributes
/// always (the command line withheld), Kubernetes attributes only inside a pod.
#[test]
fn the_resource_is_detected_and_kubernetes_only_in_a_pod() {
    let resource_of = |env: &[(&str, &str)]| {
        let rx = Receiver::start();
        let endpoint = rx.endpoint("http/protobuf");
        let mut vars = vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("HOSTNAME", "checkout-7d9f8-abcde"),
        ];
        vars.extend_from_slice(env);
        let mut run = Example::start_with_args("quickstart", &["--secret-flag=hunter2"], &vars);
        let pid = i64::from(run.pid());
        run.next("a job", |l| l.contains("job done"));
        run.stop();
        rx.wait_for("a span", |r| !r.spans().is_empty());
        let (resource, _) = rx.spans().remove(0);
        let attrs: std::collections::HashMap<String, String> = resource
            .attributes
            .iter()
            .map(|kv| {
                (
                    kv.key.clone(),
                    crate::support::attr(&resource.attributes, &kv.key).unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            attrs.get("process.pid"),
            Some(&pid.to_string()),
            "{attrs:?}"
        );
        attrs
    };
    let outside = resource_of(&[]);
    for key in [
        "service.instance.id",
        "host.name",
        "host.arch",
        "os.type",
        "process.runtime.name",
        "telemetry.sdk.version",
    ] {
        assert!(outside.contains_key(key), "{key} missing: {outside:?}");
    }
    assert_eq!(outside["os.type"], std::env::consts::OS);
    assert!(
        !outside.contains_key("process.command_args")
            && !outside.values().any(|v| v.contains("hunter2")),
        "the command line stays home: {outside:?}"
    );
    assert!(
        !outside.keys().any(|k| k.starts_with("k8s.")),
        "HOSTNAME alone is not a pod: {outside:?}"
    );

    let pod = resource_of(&[
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
        ("NODE_NAME", "node-7"),
    ]);
    assert_eq!(
        pod.get("k8s.pod.name").map(String::as_str),
        Some("checkout-7d9f8-abcde"),
        "{pod:?}"
    );
    assert_eq!(
        pod.get("k8s.node.name").map(String::as_str),
        Some("node-7"),
        "{pod:?}"
    );
}
