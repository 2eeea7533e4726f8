//! The admin endpoints and the health registry behind them.

use std::time::Duration;

use ferrotel::health::{self, CheckOptions, HttpCheck, TcpCheck};

use crate::support::dead_addr;
use crate::{request, scrape, world, TOKEN};

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Polls `/health/ready` until it answers `want` (the cache TTL is 200 ms here).
fn ready_becomes(want: u16) -> serde_json::Value {
    let w = world();
    let start = std::time::Instant::now();
    loop {
        let (status, _, body) = request(w.app, "GET", "/health/ready", &[], "");
        if status == want {
            return json(&body);
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "/health/ready stayed {status}: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn token_protects_metrics_and_health_only() {
    let w = world();
    let bearer = format!("Bearer {TOKEN}");
    for path in ["/metrics", "/health"] {
        for headers in [
            vec![],
            vec![("Authorization", "Bearer wrong-token-0123456789")],
            vec![("Authorization", TOKEN)],
        ] {
            let (status, hdrs, body) = request(w.app, "GET", path, &headers, "");
            assert_eq!(status, 401, "{path} {headers:?}");
            assert!(body.is_empty(), "a 401 says nothing: {body}");
            assert!(hdrs
                .iter()
                .any(|(k, v)| k == "www-authenticate" && v == "Bearer"));
        }
        // The scheme is case-insensitive (RFC 7235).
        for scheme in ["Bearer", "bearer", "BEARER"] {
            let auth = format!("{scheme} {TOKEN}");
            let (status, _, _) = request(w.app, "GET", path, &[("Authorization", &auth)], "");
            assert!(
                status == 200 || status == 503,
                "{path} with `{scheme}`: {status}"
            );
        }
    }
    // The same on the built-in listener.
    let builtin = w.telemetry.prometheus_addr().unwrap();
    assert_eq!(request(builtin, "GET", "/metrics", &[], "").0, 401);
    assert_eq!(request(builtin, "GET", "/health/live", &[], "").0, 200);

    for path in ["/health/live", "/status"] {
        assert_eq!(
            request(w.app, "GET", path, &[], "").0,
            200,
            "{path} is public"
        );
    }
    // Without the token /status says only whether the service is up.
    let public = json(&request(w.app, "GET", "/status", &[], "").2);
    assert!(public["status"].is_string());
    assert_eq!(public.as_object().unwrap().len(), 1, "{public}");
    let status = json(&request(w.app, "GET", "/status", &[("Authorization", &bearer)], "").2);
    assert_eq!(status["service"], "http-test");
    assert!(status["uptime_seconds"].is_u64());
    assert!(status["status"].is_string());
    assert!(status.get("environment").is_some(), "{status}");
}

#[test]
fn health_checks_flip_readiness_and_report_details() {
    let w = world();
    let registry = w.telemetry.health();
    let bearer = format!("Bearer {TOKEN}");

    // A real dependency: a TCP listener we can stop and start again.
    let dep = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dep_addr = dep.local_addr().unwrap();
    registry.register("dependency", TcpCheck::new(dep_addr.to_string()));
    registry.register("config", health::from_fn(|| async { Ok::<(), String>(()) }));
    // HTTP checks against the application itself: a 2xx route, and a 500 one (non-critical).
    registry.register(
        "http-ok",
        HttpCheck::new(format!("http://{}/users/probe", w.app)),
    );
    registry.register_with(
        "http-500",
        HttpCheck::new(format!("http://{}/fail", w.app)),
        CheckOptions::default().non_critical(),
    );
    ready_becomes(200);
    let (_, _, details) = request(w.app, "GET", "/health", &[("Authorization", &bearer)], "");
    let details = json(&details);
    let by = |n: &str| {
        details["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(by("http-ok")["status"], "healthy");
    assert_eq!(by("http-500")["status"], "unhealthy");
    assert!(
        by("http-500")["message"].as_str().unwrap().contains("500"),
        "{}",
        by("http-500")
    );
    assert!(registry.deregister("http-500") && registry.deregister("http-ok"));

    drop(dep);
    let body = ready_becomes(503);
    assert_eq!(body["failing"], serde_json::json!(["dependency"]));
    assert!(
        !body.to_string().contains("connect"),
        "the public endpoint shows no details: {body}"
    );

    let (code, _, details) = request(w.app, "GET", "/health", &[("Authorization", &bearer)], "");
    assert_eq!(code, 503);
    let details = json(&details);
    let dep_report = details["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "dependency")
        .unwrap()
        .clone();
    assert_eq!(dep_report["status"], "unhealthy");
    assert!(
        dep_report["message"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{dep_report}"
    );
    assert!(dep_report["latency_ms"].is_number());
    assert!(dep_report["last_checked"].as_str().unwrap().ends_with('Z'));

    let s = scrape();
    assert_eq!(
        s.value(
            "health_check_status",
            &[
                ("health_check_name", "dependency"),
                ("health_status", "unhealthy")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        s.value(
            "health_check_status",
            &[
                ("health_check_name", "dependency"),
                ("health_status", "healthy")
            ]
        ),
        Some(0.0)
    );
    assert!(
        s.value(
            "health_check_duration_seconds_count",
            &[("health_check_name", "config")]
        )
        .unwrap()
            >= 1.0
    );

    // Back up on the same port: ready again.
    let _dep = std::net::TcpListener::bind(dep_addr).unwrap();
    ready_becomes(200);

    // Non-critical trouble degrades, never unreadies; panics and hangs are contained.
    let opts = CheckOptions::default()
        .non_critical()
        .with_timeout(Duration::from_millis(100));
    registry.register_with("flaky", TcpCheck::new(dead_addr().to_string()), opts);
    // (A generous timeout: printing a panic's backtrace in a debug build is slow.)
    let panics = health::from_fn(|| async {
        if true {
            panic!("kaboom")
        }
        Ok::<(), String>(())
    });
    registry.register_with("panics", panics, opts.with_timeout(Duration::from_secs(10)));
    registry.register_with(
        "hangs",
        health::from_fn(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<(), String>(())
        }),
        opts,
    );
    let start = std::time::Instant::now();
    loop {
        let (code, _, body) = request(w.app, "GET", "/health", &[("Authorization", &bearer)], "");
        let v = json(&body);
        let by_name = |n: &str| {
            v["components"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == n)
                .cloned()
        };
        if let (Some(p), Some(h)) = (by_name("panics"), by_name("hangs")) {
            assert_eq!(
                code, 200,
                "non-critical failures keep the service ready: {v}"
            );
            assert_eq!(v["status"], "degraded");
            assert!(
                p["message"].as_str().unwrap().contains("panicked: kaboom"),
                "{p}"
            );
            assert!(
                h["message"]
                    .as_str()
                    .unwrap()
                    .contains("did not finish within"),
                "{h}"
            );
            assert_eq!(by_name("dependency").unwrap()["status"], "healthy");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30));
    }
    assert_eq!(
        json(&request(w.app, "GET", "/status", &[], "").2)["status"],
        "degraded"
    );
    for n in ["flaky", "panics", "hangs", "dependency", "config"] {
        assert!(registry.deregister(n));
    }
}
