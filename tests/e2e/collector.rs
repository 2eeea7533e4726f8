//! The collector path with real parts: the collector built from `collector/` running the
//! repository's `otel-collector.yaml` unchanged (addresses through the `${env:…}`
//! variables the file declares), this test's OTLP receiver standing in for Tempo and
//! Loki, and Prometheus scraping the collector with the repository's jobs and rules.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use ferrotel::catalog::{Kind, CATALOG};

/// The built collector running `otel-collector.yaml`, killed when dropped.
pub(crate) struct Collector {
    _daemon: Daemon,
    /// OTLP/gRPC and OTLP/HTTP receivers.
    pub(crate) grpc: SocketAddr,
    pub(crate) http: SocketAddr,
    /// The Prometheus exporter (`otel-collector:8889`) and the collector's own
    /// telemetry (`otel-collector:8888`).
    pub(crate) exporter: SocketAddr,
    pub(crate) own: SocketAddr,
}

impl Collector {
    /// Starts the collector on loopback ports, sending traces (as to Tempo) and logs (as
    /// to Loki) to `downstream`; ready once its health check answers.
    pub(crate) fn start(downstream: &Receiver) -> Collector {
        Collector::start_to(downstream.grpc, downstream.http)
    }

    /// Like [`start`](Collector::start), with Tempo's and Loki's addresses given.
    pub(crate) fn start_to(tempo: SocketAddr, loki: SocketAddr) -> Collector {
        let [grpc, http, health, exporter, own] = [(); 5].map(|_| dead_addr());
        let env = [
            ("OTLP_GRPC_LISTEN", grpc.to_string()),
            ("OTLP_HTTP_LISTEN", http.to_string()),
            ("HEALTH_CHECK_LISTEN", health.to_string()),
            ("PROMETHEUS_EXPORTER_LISTEN", exporter.to_string()),
            ("SELF_METRICS_HOST", "127.0.0.1".to_string()),
            ("SELF_METRICS_PORT", own.port().to_string()),
            ("TEMPO_OTLP_ENDPOINT", format!("http://{tempo}")),
            ("LOKI_OTLP_ENDPOINT", format!("http://{loki}")),
        ];
        let config = root().join("otel-collector.yaml");
        let daemon = start_with_env(
            "ferrotel-otelcol",
            &[format!("--config={}", config.display())],
            &env,
            health,
            "/",
        );
        Collector {
            _daemon: daemon,
            grpc,
            http,
            exporter,
            own,
        }
    }
}

/// Family name → label keys (without `le`), for the series `keep` selects.
fn families(
    scrape: &ferrotel::testing::Scrape,
    keep: impl Fn(&ferrotel::testing::Sample) -> bool,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for sample in scrape.samples.iter().filter(|s| keep(s)) {
        let family = scrape
            .kinds
            .keys()
            .filter(|f| {
                sample
                    .name
                    .strip_prefix(f.as_str())
                    .is_some_and(|rest| ["", "_bucket", "_sum", "_count"].contains(&rest))
            })
            .max_by_key(|f| f.len())
            .cloned()
            .unwrap_or_else(|| sample.name.clone());
        out.entry(family)
            .or_default()
            .extend(sample.labels.keys().filter(|k| *k != "le").cloned());
    }
    out
}

/// Every catalogue instrument, recorded once with every attribute it declares, is
/// exposed by the collector (OTLP in, Prometheus exporter out) under the same name and
/// label keys as on ferrotel's own /metrics. This is the collector's real translation,
/// not a re-implementation of it.
#[test]
fn every_catalogue_instrument_has_the_same_name_and_labels_on_both_paths() {
    let downstream = Receiver::start();
    let collector = Collector::start(&downstream);
    let telemetry = ferrotel::init(
        ferrotel::Config::from_vars([
            ("OTEL_SERVICE_NAME", "catalog-probe"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                &format!("http://{}", collector.http),
            ),
            ("OTEL_METRICS_EXPORTER", "otlp,prometheus"),
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "none"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
        ])
        .unwrap()
        .without_global_subscriber()
        .without_prometheus_listener(),
    )
    .unwrap();
    let meter = telemetry.meter("catalog-probe");
    for spec in CATALOG {
        let attrs: Vec<opentelemetry::KeyValue> = spec
            .attributes
            .iter()
            .map(|k| opentelemetry::KeyValue::new(*k, "x"))
            .collect();
        match spec.kind {
            Kind::Counter => meter
                .u64_counter(spec.name)
                .with_unit(spec.unit)
                .with_description(spec.description)
                .build()
                .add(1, &attrs),
            Kind::UpDownCounter => meter
                .i64_up_down_counter(spec.name)
                .with_unit(spec.unit)
                .with_description(spec.description)
                .build()
                .add(1, &attrs),
            Kind::Histogram => meter
                .f64_histogram(spec.name)
                .with_unit(spec.unit)
                .with_description(spec.description)
                .build()
                .record(1.0, &attrs),
            Kind::Gauge => meter
                .f64_gauge(spec.name)
                .with_unit(spec.unit)
                .with_description(spec.description)
                .build()
                .record(1.0, &attrs),
            _ => unreachable!("a kind this test does not know"),
        }
    }
    // Names a careless catalogue entry could have, which the two paths name differently:
    // the comparison below must be able to fail.
    let careless_meter = telemetry.meter("careless-probe");
    for (name, unit) in [
        ("process.cpu.time.seconds", "s"),
        ("jobs.processed.total", "{job}"),
    ] {
        careless_meter
            .u64_counter(name)
            .with_unit(unit)
            .build()
            .add(1, &[]);
    }
    careless_meter
        .i64_up_down_counter("cpu.utilization")
        .with_unit("1")
        .build()
        .add(1, &[]);
    let careless = |s: &ferrotel::testing::Sample| {
        s.labels.get("otel_scope_name").map(String::as_str) == Some("careless-probe")
    };
    let probe = |s: &ferrotel::testing::Sample| {
        s.labels.get("otel_scope_name").map(String::as_str) == Some("catalog-probe")
    };
    let pull = families(
        &ferrotel::testing::parse_exposition(&telemetry.prometheus_exposition().unwrap()).unwrap(),
        probe,
    );
    assert_eq!(pull.len(), CATALOG.len(), "{:?}", pull.keys());
    let careless_pull = families(
        &ferrotel::testing::parse_exposition(&telemetry.prometheus_exposition().unwrap()).unwrap(),
        careless,
    );
    let (mut push, mut careless_push) = (BTreeMap::new(), BTreeMap::new());
    wait_until(
        "every instrument through the collector",
        Duration::from_secs(60),
        || {
            let (_, text) = http_get(collector.exporter, "/metrics");
            let scrape = ferrotel::testing::parse_exposition(&text).unwrap();
            push = families(&scrape, probe);
            careless_push = families(&scrape, careless);
            push.len() >= CATALOG.len() && careless_push.len() == 3
        },
    );
    assert_eq!(careless_pull.len(), 3);
    for name in careless_pull.keys() {
        assert!(
            !careless_push.contains_key(name),
            "{name} is named alike on both paths: {careless_push:?}"
        );
    }
    let (_, text) = http_get(collector.exporter, "/metrics");
    let exposed = ferrotel::testing::parse_exposition(&text).unwrap();
    let _ = telemetry.shutdown();
    // The collector adds every resource attribute as a label (its target_info lists
    // them, with job and instance; service.instance.id, which instance comes from, is
    // not repeated there) and the scope's version and schema URL; everything else must
    // be the same, label for label.
    let resource: BTreeSet<String> = exposed
        .find("target_info", &[("job", "catalog-probe")])
        .flat_map(|s| s.labels.keys().cloned())
        .chain(
            [
                "otel_scope_version",
                "otel_scope_schema_url",
                "service_instance_id",
            ]
            .map(String::from),
        )
        .collect();
    assert!(resource.contains("host_name"), "{resource:?}");
    let mut differ = Vec::new();
    for (name, keys) in &pull {
        match push.get(name) {
            None => differ.push(format!("{name}: not exposed by the collector")),
            Some(other) => {
                let own: BTreeSet<String> = other
                    .iter()
                    .filter(|k| !resource.contains(*k) || keys.contains(*k))
                    .cloned()
                    .collect();
                if &own != keys {
                    differ.push(format!("{name}: pull {keys:?}\n  collector {own:?}"));
                }
            }
        }
    }
    for name in push.keys().filter(|n| !pull.contains_key(*n)) {
        differ.push(format!("{name}: only on the collector path"));
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// Hex of a trace id as the receiver decoded it.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The demo under the load generator sending every signal over OTLP — one instance over
/// gRPC, one over HTTP — to the collector, and Prometheus scraping only the collector
/// (with the repository's jobs and rules): every dashboard panel returns data on this
/// path too (but the scrape panels, which watch a service's own scrape target), both
/// transports delivered, the span metrics carry exemplars whose trace ids are traces the
/// downstream (Tempo's stand-in) received, and logs arrived downstream (Loki's).
#[test]
fn the_demo_through_the_collector_fills_every_panel_with_exemplars() {
    let redis = RedisServer::start(0);
    let downstream = Receiver::start();
    let collector = Collector::start(&downstream);
    let dir = temp_dir("collector-path");
    let url = redis.url();
    let mut demos = Vec::new();
    for (protocol, endpoint) in [("grpc", collector.grpc), ("http/protobuf", collector.http)] {
        let sqlite = dir
            .join(format!("{}.db", protocol.replace('/', "-")))
            .display()
            .to_string();
        let otlp = format!("http://{endpoint}");
        let mut env = demo_env(&url, &sqlite, &otlp);
        env.extend([
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_METRICS_EXPORTER", "otlp"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
        ]);
        let mut demo = Example::start("demo", &env);
        let addr = demo.url_after("listening on http://");
        demos.push((demo, addr));
    }
    let targets = Targets {
        collector: Some(collector.exporter),
        collector_self: Some(collector.own),
        ..Targets::default()
    };
    let (_prom, prom) = prometheus("collector-path", targets, None, None);

    let load = |addr: SocketAddr, rate: &str, fault: &str| loadgen(addr, "60s", rate, fault);
    let (grpc_demo, http_demo) = (demos[0].1, demos[1].1);
    let loads = [
        load(grpc_demo, "10", "none"),
        load(grpc_demo, "2", "errors"),
        load(grpc_demo, "1", "slow-llm"),
        load(http_demo, "5", "none"),
    ];
    every_panel_returns_data(prom, |expr| {
        !expr.contains("up{") && !expr.contains("scrape_")
    });

    // Both transports delivered metrics.
    let transports: BTreeSet<String> = query(
        prom,
        "sum by (transport) (otelcol_receiver_accepted_metric_points)",
    )
    .iter()
    .filter_map(|s| s["metric"]["transport"].as_str().map(String::from))
    .collect();
    assert!(
        transports.contains("grpc") && transports.contains("http"),
        "{transports:?}"
    );

    // Exemplars: trace ids on the span metrics' buckets, each a trace Tempo's stand-in got.
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut exemplar_traces = BTreeSet::new();
    wait_until("exemplars in Prometheus", Duration::from_secs(30), || {
        let (_, body) = http_get(
            prom,
            &format!(
                "/api/v1/query_exemplars?query={}&start={}&end={}",
                encode(r#"traces_span_metrics_duration_seconds_bucket{service_name="chat-api"}"#),
                end - 600,
                end + 600
            ),
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        exemplar_traces = v["data"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|series| series["exemplars"].as_array().cloned().unwrap_or_default())
            .filter_map(|e| e["labels"]["trace_id"].as_str().map(String::from))
            .collect();
        !exemplar_traces.is_empty()
    });
    let received: BTreeSet<String> = downstream
        .spans()
        .iter()
        .map(|(_, s)| hex(&s.trace_id))
        .collect();
    let unknown: Vec<&String> = exemplar_traces
        .iter()
        .filter(|t| !received.contains(*t))
        .collect();
    assert!(
        unknown.is_empty(),
        "{} of {} exemplar trace ids were never received downstream ({} traces were): {unknown:?}",
        unknown.len(),
        exemplar_traces.len(),
        received.len()
    );
    // Logs reached Loki's stand-in, with the demo's resource.
    assert!(downstream
        .logs()
        .iter()
        .any(|(r, _)| support::attr(&r.attributes, "service.name").as_deref() == Some("chat-api")));
    for l in loads {
        l.wait_success();
    }
    for (demo, _) in demos {
        demo.stop();
    }
}

/// What a service sends carelessly — credential headers, a bearer token, an API key, an
/// e-mail address and a card number in a prompt attribute and in a log body — arrives at
/// Tempo's and Loki's stand-in deleted or masked by the repository's collector config;
/// an epoch-millisecond timestamp beside them stays readable.
#[test]
fn the_collector_scrubs_what_a_service_sends() {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let downstream = Receiver::start();
    let collector = Collector::start(&downstream);
    let telemetry = ferrotel::init(
        ferrotel::Config::from_vars([
            ("OTEL_SERVICE_NAME", "careless-service"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                &format!("http://{}", collector.grpc),
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "100"),
        ])
        .unwrap()
        .without_global_subscriber()
        .without_prometheus_listener(),
    )
    .unwrap();
    let careless = "alice@example.com paid with 4111 1111 1111 1111 (Bearer abc.DEF-123) \
                    key sk-live_abcdefghijklmnop0123 at 1733150000123";
    let secrets = [
        "alice@example.com",
        "4111 1111 1111 1111",
        "abc.DEF-123",
        "sk-live_abcdefghijklmnop0123",
    ];
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("chat gpt-4o", gen_ai.prompt = careless);
        span.set_attribute("http.request.header.x-api-key", "k-0123456789");
        span.set_attribute("http.request.header.authorization", "Basic dXNlcjpwYXNz");
        span.set_attribute("user.email", "bob@example.com");
        let _entered = span.enter();
        tracing::info!("{careless}");
    });
    telemetry.shutdown().unwrap();
    let span = |r: &Receiver| {
        r.spans()
            .into_iter()
            .find(|(_, s)| s.name == "chat gpt-4o")
            .map(|(_, s)| s)
    };
    let body = |r: &Receiver| {
        r.logs()
            .into_iter()
            .filter_map(|(_, l)| l.body)
            .map(|b| format!("{b:?}"))
            .find(|b| b.contains("paid with"))
    };
    wait_until(
        "the span and the log record downstream",
        Duration::from_secs(30),
        || span(&downstream).is_some() && body(&downstream).is_some(),
    );
    let span = span(&downstream).unwrap();
    for key in [
        "http.request.header.x-api-key",
        "http.request.header.authorization",
        "user.email",
    ] {
        assert!(
            support::attr(&span.attributes, key).is_none(),
            "{key} arrived"
        );
    }
    let prompt = support::attr(&span.attributes, "gen_ai.prompt").unwrap();
    let body = body(&downstream).unwrap();
    for (what, text) in [("prompt", &prompt), ("log body", &body)] {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{secret} arrived in the {what}: {text}"
            );
        }
        assert!(text.contains("****"), "{what} shows it was masked: {text}");
        assert!(
            text.contains("1733150000123"),
            "the timestamp was masked: {text}"
        );
    }
}

/// Tempo and Loki go away for a while under load: the repository's export-failure alert
/// fires (its `for` and rate windows shortened here, as the Alertmanager test does),
/// the collector keeps taking metrics (nothing refused, series still moving) with its
/// memory under the limiter's refusal threshold, the waiting items are counted in the
/// exporter queue, and when the backends return the alert resolves and what waited is
/// delivered.
#[test]
fn a_backend_outage_fires_the_export_alert_and_loses_nothing() {
    let redis = RedisServer::start(0);
    let downstream = Receiver::start();
    let (tempo, loki) = (
        support::Switch::start(downstream.grpc),
        support::Switch::start(downstream.http),
    );
    let collector = Collector::start_to(tempo.addr, loki.addr);
    let dir = temp_dir("outage");

    // The repository's alert rules, with CollectorExportFailing quick enough for a test.
    let alerts =
        std::fs::read_to_string(root().join("prometheus/rules/ferrotel-alerts.yml")).unwrap();
    let mut rules: Yaml = serde_norway::from_str(&alerts).unwrap();
    let mut found = false;
    for g in rules["groups"].as_sequence_mut().unwrap() {
        for r in g["rules"].as_sequence_mut().unwrap() {
            if r["alert"].as_str() == Some("CollectorExportFailing") {
                r["for"] = "3s".into();
                let expr = r["expr"].as_str().unwrap().replace("[2m]", "[10s]");
                r["expr"] = expr.into();
                found = true;
            }
        }
    }
    assert!(found, "CollectorExportFailing is in the rules");
    let rules_file = dir.join("alerts.yml");
    std::fs::write(&rules_file, serde_norway::to_string(&rules).unwrap()).unwrap();
    let recording = root().join("prometheus/rules/ferrotel-recording.yml");
    let targets = Targets {
        collector: Some(collector.exporter),
        collector_self: Some(collector.own),
        ..Targets::default()
    };
    let (_prom, prom) = prometheus("outage", targets, None, Some(vec![rules_file, recording]));

    let sqlite = dir.join("demo.db").display().to_string();
    let (url, otlp) = (redis.url(), format!("http://{}", collector.http));
    let mut env = demo_env(&url, &sqlite, &otlp);
    env.extend([
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
    ]);
    let mut demo = Example::start("demo", &env);
    let addr = demo.url_after("listening on http://");
    let load = loadgen(addr, "150s", "10", "none");
    wait_until("spans downstream", Duration::from_secs(60), || {
        !downstream.spans().is_empty()
    });

    let firing = r#"ALERTS{alertname="CollectorExportFailing",alertstate="firing"}"#;
    let requests = r#"sum(http_server_request_duration_seconds_count{service_name="chat-api"})"#;
    let value = |expr: &str| -> f64 {
        query(prom, expr)
            .first()
            .and_then(|s| s["value"][1].as_str()?.parse().ok())
            .unwrap_or(0.0)
    };
    assert!(
        query(prom, firing).is_empty(),
        "no alert while the backends are up"
    );

    // The outage.
    tempo.set(false);
    loki.set(false);
    let cut = Instant::now();
    let before = value(requests);
    wait_until(
        "CollectorExportFailing to fire",
        Duration::from_secs(90),
        || !query(prom, firing).is_empty(),
    );
    let exporters: BTreeSet<String> = query(prom, firing)
        .iter()
        .filter_map(|s| s["metric"]["exporter"].as_str().map(String::from))
        .collect();
    assert!(exporters.contains("otlp/tempo"), "{exporters:?}");
    // Metrics keep flowing through the collector meanwhile, nothing is refused, the
    // waiting items are in the queue, and memory stays below the refusal threshold
    // (307 MiB in the 512 MiB container compose gives it).
    wait_until("an outage of 30 s", Duration::from_secs(60), || {
        cut.elapsed() > Duration::from_secs(30)
    });
    assert!(
        value(requests) > before,
        "request metrics stopped moving during the outage"
    );
    assert_eq!(value("sum(otelcol_receiver_refused_metric_points)"), 0.0);
    assert!(value(r#"max(otelcol_exporter_queue_size{exporter="otlp/tempo"})"#) > 0.0);
    let rss = value("max(otelcol_process_memory_rss)");
    assert!(
        rss > 0.0 && rss < 307.0 * 1024.0 * 1024.0,
        "collector RSS {rss}"
    );
    let spans_before = downstream.spans().len();
    let cut_at = std::time::SystemTime::now();

    // The backends return: what waited is delivered and the alert resolves.
    tempo.set(true);
    loki.set(true);
    wait_until(
        "the queued spans delivered",
        Duration::from_secs(90),
        || downstream.spans().len() > spans_before,
    );
    wait_until(
        "CollectorExportFailing to resolve",
        Duration::from_secs(90),
        || query(prom, firing).is_empty(),
    );
    // Spans that ended during the outage arrive afterwards, as their retries come round
    // (the exporter backs off up to 30 s between attempts).
    let outage_ns = cut_at
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    wait_until(
        "spans from the outage delivered",
        Duration::from_secs(120),
        || {
            downstream.spans().iter().any(|(_, s)| {
                s.end_time_unix_nano < outage_ns
                    && s.end_time_unix_nano > outage_ns - 20_000_000_000
            })
        },
    );
    drop(load);
    demo.stop();
}
