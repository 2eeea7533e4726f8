//! The demo service under the load generator, with a real Redis: both examples run as
//! processes, the way an operator would start them; the demo's exposition is parsed.

#[path = "../support/mod.rs"]
mod support;

use support::{http_get, Example, RedisServer};

#[test]
fn demo_under_load_with_injected_errors() {
    let redis = RedisServer::start(0);
    let dir = std::env::temp_dir().join(format!("ferrotel-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = dir.join("demo.db").display().to_string();
    let url = redis.url();
    let mut demo = Example::start(
        "demo",
        &[
            ("DEMO_ADDR", "127.0.0.1:0"),
            ("REDIS_URL", url.as_str()),
            ("DEMO_SQLITE", sqlite.as_str()),
            ("RUST_LOG", "warn"),
        ],
    );
    let addr = demo.url_after("listening on http://");
    let target = format!("http://{addr}");

    let out = Example::start_with_args(
        "loadgen",
        &[
            "--target",
            &target,
            "--duration",
            "6s",
            "--rate",
            "10",
            "--fault",
            "errors",
            "--json",
        ],
        &[],
    )
    .wait_success();
    // The JSON summary: the same counts, and latency percentiles overall and per endpoint.
    let json: serde_json::Value =
        serde_json::from_str(out.last().expect("output")).expect("--json prints JSON last");
    let latency = &json["latency"];
    let q = |l: &serde_json::Value, k: &str| l[k].as_f64().unwrap();
    assert!(q(latency, "p50_ms") > 0.0);
    assert!(
        q(latency, "p50_ms") <= q(latency, "p95_ms")
            && q(latency, "p95_ms") <= q(latency, "p99_ms")
            && q(latency, "p99_ms") <= q(latency, "max_ms"),
        "{latency}"
    );
    let chat = &json["endpoints"]["POST /chat"];
    assert!(chat["count"].as_u64().unwrap() > 0, "{json}");
    assert_eq!(
        latency["count"].as_u64(),
        json["sent"].as_u64(),
        "every request sent is in the histogram: {json}"
    );
    let summary = out
        .iter()
        .find(|l| l.starts_with("loadgen: done:"))
        .expect("a summary line");
    let field = |name: &str| -> u64 {
        let words: Vec<&str> = summary.split_whitespace().collect();
        let i = words
            .iter()
            .position(|w| *w == name)
            .unwrap_or_else(|| panic!("{name} in {summary}"));
        words[i + 1].parse().unwrap()
    };
    assert!(field("sent") >= 20, "{summary}");
    assert_eq!(json["sent"].as_u64(), Some(field("sent")));
    assert!(summary.contains(" p99 "), "{summary}");
    assert!(
        field("ok") > 0 && field("5xx") > 0 && field("4xx") > 0,
        "{summary}"
    );
    assert_eq!(field("failed"), 0, "{summary}");

    let (status, text) = http_get(addr, "/metrics");
    assert_eq!(status, 200);
    let s = ferrotel::testing::parse_exposition(&text).unwrap();
    let svc = ("service_name", "chat-api");
    assert!(
        s.value(
            "http_server_request_duration_seconds_count",
            &[
                svc,
                ("http_route", "/chat"),
                ("http_response_status_code", "200")
            ]
        )
        .unwrap()
            > 0.0
    );
    assert!(
        s.value(
            "http_server_request_duration_seconds_count",
            &[svc, ("http_route", "/chat"), ("error_type", "500")]
        )
        .unwrap()
            > 0.0
    );
    assert!(s.value("gen_ai_client_cost_total", &[svc]).unwrap() > 0.0);
    assert!(
        s.value(
            "gen_ai_invoke_agent_duration_seconds_count",
            &[svc, ("gen_ai_agent_outcome", "success")]
        )
        .unwrap()
            > 0.0
    );
    assert!(
        s.value("cache_requests_total", &[svc, ("cache_result", "hit")])
            .unwrap()
            > 0.0
    );
    assert!(
        s.value(
            "db_client_operation_duration_seconds_count",
            &[svc, ("db_operation_name", "INSERT")]
        )
        .unwrap()
            > 0.0
    );
    assert!(
        s.value("app_errors_total", &[svc, ("error_category", "internal")])
            .unwrap()
            > 0.0
    );
    assert!(s
        .value("queue_processed_total", &[svc, ("queue_name", "audit")])
        .is_some());
    assert_eq!(
        s.value(
            "health_check_status",
            &[("health_check_name", "redis"), ("health_status", "healthy")]
        ),
        Some(1.0)
    );

    let after = demo.stop();
    assert!(
        after.iter().any(|l| l.contains("telemetry flushed")),
        "{after:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// With nothing else running (no Redis, no collector, no LLM provider) the demo still
/// serves chats, says where to look, and reports itself ready.
#[test]
fn demo_runs_with_nothing_else_running() {
    let nothing = format!("redis://{}", support::dead_addr());
    let mut demo = Example::start(
        "demo",
        &[
            ("DEMO_ADDR", "127.0.0.1:0"),
            ("REDIS_URL", nothing.as_str()),
        ],
    );
    demo.next("that the cache is off", |l| {
        l.contains("is not reachable; running with the cache disabled")
    });
    let addr = demo.url_after("listening on http://");
    // Tools take the first http:// address the demo prints: it is the one it listens on.
    let first = demo
        .printed()
        .iter()
        .find(|l| l.contains("http://"))
        .cloned()
        .unwrap_or_default();
    assert!(
        first.contains("listening on http://"),
        "{:?}",
        demo.printed()
    );
    let urls = demo.next("where the metrics are", |l| l.contains("metrics at"));
    assert_eq!(
        urls,
        format!("demo: metrics at http://{addr}/metrics, health at http://{addr}/health/ready")
    );
    let (status, _, body) = support::request(
        addr,
        "POST",
        "/chat",
        &[("content-type", "application/json")],
        r#"{"question":"What should I pack?","tenant":"acme"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(!v["answer"].as_str().unwrap().is_empty(), "{body}");
    assert_eq!(http_get(addr, "/health/ready").0, 200);
    let s = support::scrape(addr);
    assert!(
        s.value("gen_ai_client_cost_total", &[("tenant", "acme")])
            .unwrap()
            > 0.0
    );
    // No Redis: no cache lookups and no redis health check.
    assert!(s.value("cache_requests_total", &[]).is_none());
    assert!(s
        .value("health_check_status", &[("health_check_name", "redis")])
        .is_none());
    let after = demo.stop();
    assert!(
        after.iter().any(|l| l.contains("telemetry flushed")),
        "{after:?}"
    );
}
