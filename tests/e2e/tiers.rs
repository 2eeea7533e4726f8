//! The two-tier collector layout of `scaling/` with real parts: one agent and two
//! gateways (the files as they are, addresses through their `${env:…}` variables; the
//! agent's DNS resolver swapped for a static list by a second `--config` layer), each
//! gateway sending traces and logs to its own OTLP receiver and metrics by remote-write
//! to a Prometheus standing in for Mimir.

use std::collections::{BTreeMap, BTreeSet};

use opentelemetry::trace::{Span as _, Status, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::KeyValue;

use super::*;

/// A collector of one tier, killed when dropped.
struct Tier {
    _daemon: Daemon,
    grpc: SocketAddr,
}

/// The self-metrics port answers once the collector runs (the scaling configs have no
/// health-check extension).
fn run_tier(config: &str, extra: &[String], env: Vec<(&str, String)>, grpc: SocketAddr) -> Tier {
    let own = dead_addr();
    let mut env = env;
    env.push(("SELF_METRICS_HOST", "127.0.0.1".into()));
    env.push(("SELF_METRICS_PORT", own.port().to_string()));
    let mut args = vec![format!("--config={}", root().join(config).display())];
    args.extend_from_slice(extra);
    let daemon = start_with_env("ferrotel-otelcol", &args, &env, own, "/metrics");
    Tier {
        _daemon: daemon,
        grpc,
    }
}

fn gateway(downstream: &Receiver, remote_write: SocketAddr) -> Tier {
    let grpc = dead_addr();
    run_tier(
        "scaling/otel-gateway.yaml",
        &[],
        vec![
            ("OTLP_GRPC_LISTEN", grpc.to_string()),
            ("TEMPO_OTLP_ENDPOINT", downstream.endpoint("grpc")),
            ("LOKI_OTLP_ENDPOINT", downstream.endpoint("http/protobuf")),
            (
                "REMOTE_WRITE_ENDPOINT",
                format!("http://{remote_write}/api/v1/write"),
            ),
        ],
        grpc,
    )
}

fn agent(gateways: &[&Tier]) -> (Tier, SocketAddr) {
    let (grpc, http) = (dead_addr(), dead_addr());
    let hostnames: Vec<String> = gateways.iter().map(|g| format!("\"{}\"", g.grpc)).collect();
    let resolver = format!(
        "yaml:exporters::loadbalancing::resolver: {{static: {{hostnames: [{}]}}, dns: null}}",
        hostnames.join(", ")
    );
    let tier = run_tier(
        "scaling/otel-agent.yaml",
        &[format!("--config={resolver}")],
        vec![
            ("OTLP_GRPC_LISTEN", grpc.to_string()),
            ("OTLP_HTTP_LISTEN", http.to_string()),
            ("GATEWAY_OTLP_ENDPOINT", gateways[0].grpc.to_string()),
        ],
        grpc,
    );
    (tier, http)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Trace id → (kind of probe trace, span count), as one downstream received them.
fn probe_traces(r: &Receiver) -> BTreeMap<String, (String, usize)> {
    let mut out: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for (_, s) in r.spans() {
        if let Some(kind) = support::attr(&s.attributes, "probe.kind") {
            let e = out.entry(hex(&s.trace_id)).or_insert((kind, 0));
            e.1 += 1;
        }
    }
    out
}

#[test]
fn two_tiers_keep_traces_whole_sample_by_policy_and_remote_write_every_panel() {
    let (down1, down2) = (Receiver::start(), Receiver::start());
    let targets = Targets {
        remote_write_receiver: true,
        ..Targets::default()
    };
    let (_prom, prom) = prometheus("tiers", targets, None, None);
    let (gw1, gw2) = (gateway(&down1, prom), gateway(&down2, prom));
    let (agent, agent_http) = agent(&[&gw1, &gw2]);

    // Probe traces of three spans each: errors, slow (3 s) and ordinary ones.
    const ERRORS: usize = 40;
    const SLOW: usize = 20;
    const ORDINARY: usize = 1000;
    let telemetry = ferrotel::init(
        ferrotel::Config::from_vars([
            ("OTEL_SERVICE_NAME", "tiers-probe"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                &format!("http://{}", agent.grpc),
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "none"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "8192"),
        ])
        .unwrap()
        .without_global_subscriber()
        .without_prometheus_listener(),
    )
    .unwrap();
    let tracer = telemetry.tracer_provider().unwrap().tracer("tiers-probe");
    let kinds = std::iter::repeat_n("error", ERRORS)
        .chain(std::iter::repeat_n("slow", SLOW))
        .chain(std::iter::repeat_n("ordinary", ORDINARY));
    for kind in kinds {
        let start = std::time::SystemTime::now();
        let took = if kind == "slow" {
            Duration::from_secs(3)
        } else {
            Duration::from_millis(5)
        };
        let mut root = tracer
            .span_builder("probe")
            .with_start_time(start)
            .with_attributes([KeyValue::new("probe.kind", kind)])
            .start(&tracer);
        let cx =
            opentelemetry::Context::current().with_remote_span_context(root.span_context().clone());
        for child in ["step one", "step two"] {
            let mut c = tracer
                .span_builder(child)
                .with_start_time(start)
                .with_attributes([KeyValue::new("probe.kind", kind)])
                .start_with_context(&tracer, &cx);
            c.end_with_timestamp(start + Duration::from_millis(1));
        }
        if kind == "error" {
            root.set_status(Status::error("failed"));
        }
        root.end_with_timestamp(start + took);
    }
    telemetry.shutdown().unwrap();

    // The demo under load through the agent: metrics go on to Prometheus by remote-write.
    let redis = RedisServer::start(0);
    let dir = temp_dir("tiers");
    let sqlite = dir.join("demo.db").display().to_string();
    let (url, otlp) = (redis.url(), format!("http://{agent_http}"));
    let mut env = demo_env(&url, &sqlite, &otlp);
    env.extend([
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
    ]);
    let mut demo = Example::start("demo", &env);
    let addr = demo.url_after("listening on http://");
    let load = |rate: &str, fault: &str| loadgen(addr, "60s", rate, fault);
    let loads = [
        load("10", "none"),
        load("2", "errors"),
        load("1", "slow-llm"),
    ];

    // Tail sampling decides 10 s after a trace's first span: wait for every kept error
    // and slow trace.
    let kept = |kind: &str| {
        [&down1, &down2]
            .iter()
            .map(|d| probe_traces(d).values().filter(|(k, _)| k == kind).count())
            .sum::<usize>()
    };
    wait_until("the sampled probe traces", Duration::from_secs(90), || {
        kept("error") == ERRORS && kept("slow") == SLOW
    });
    let (by1, by2) = (probe_traces(&down1), probe_traces(&down2));
    // Affinity: a trace is whole, and on one gateway only.
    assert!(
        !by1.is_empty() && !by2.is_empty(),
        "both gateways got traces"
    );
    for (id, (kind, spans)) in by1.iter().chain(&by2) {
        assert_eq!(*spans, 3, "trace {id} ({kind}) arrived in pieces");
    }
    let split: BTreeSet<&String> = by1.keys().filter(|id| by2.contains_key(*id)).collect();
    assert!(split.is_empty(), "traces on both gateways: {split:?}");
    let ordinary = kept("ordinary");
    eprintln!(
        "tail sampling kept {}/{ERRORS} error, {}/{SLOW} slow and {ordinary}/{ORDINARY} ordinary traces ({} on one gateway, {} on the other)",
        kept("error"),
        kept("slow"),
        by1.len(),
        by2.len()
    );
    // 10 % of the rest: 100 expected, a standard deviation of about 9.5.
    assert!(
        (50..=150).contains(&ordinary),
        "{ordinary} of {ORDINARY} ordinary traces kept"
    );

    // Remote-written metrics fill the same dashboards (but the scrape panels and the
    // span metrics, which the gateways do not derive).
    every_panel_returns_data(prom, |expr| {
        !expr.contains("up{") && !expr.contains("scrape_") && !expr.contains("traces_span_metrics")
    });
    for l in loads {
        l.wait_success();
    }
    demo.stop();
}
