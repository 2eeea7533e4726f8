//! Health checks against real dependencies: a `redis-server` the test stops and
//! restarts, SQLite through sqlx, and the process itself; read through the
//! built-in listener's `/health/ready` and `/health`.

#[path = "../support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use ferrotel::health::{CheckOptions, ProcessCheck, RedisCheck, SqlCheck};
use support::{http_get, RedisServer};

fn telemetry() -> ferrotel::Telemetry {
    ferrotel::init(
        ferrotel::Config::from_vars([
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
            ("FERROTEL_HEALTH_CACHE_TTL", "100"),
        ])
        .unwrap()
        .without_global_subscriber(),
    )
    .unwrap()
}

/// Polls `/health/ready` until it answers `want`; returns the body as JSON.
fn ready_becomes(t: &ferrotel::Telemetry, want: u16) -> serde_json::Value {
    let addr = t.prometheus_addr().unwrap();
    let start = Instant::now();
    loop {
        let (status, body) = http_get(addr, "/health/ready");
        if status == want {
            return serde_json::from_str(&body).unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "/health/ready stayed {status}: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn component(t: &ferrotel::Telemetry, name: &str) -> serde_json::Value {
    let (_, body) = http_get(t.prometheus_addr().unwrap(), "/health");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap()
}

#[test]
fn redis_going_down_and_up_flips_readiness() {
    let t = telemetry();
    let redis = RedisServer::start(0);
    let port = redis.port;
    t.health().register(
        "redis",
        RedisCheck::new(redis::Client::open(redis.url()).unwrap()),
    );
    ready_becomes(&t, 200);
    assert_eq!(component(&t, "redis")["status"], "healthy");

    drop(redis);
    let body = ready_becomes(&t, 503);
    assert_eq!(body["failing"], serde_json::json!(["redis"]));
    let c = component(&t, "redis");
    assert_eq!(c["status"], "unhealthy");
    assert!(
        c["message"].as_str().unwrap().contains("PING failed")
            || c["message"].as_str().unwrap().contains("cannot connect"),
        "{c}"
    );

    let _redis = RedisServer::start(port);
    ready_becomes(&t, 200);
    assert_eq!(component(&t, "redis")["status"], "healthy");
    let s = ferrotel::testing::parse_exposition(&t.prometheus_exposition().unwrap()).unwrap();
    assert_eq!(
        s.value(
            "health_check_status",
            &[("health_check_name", "redis"), ("health_status", "healthy")]
        ),
        Some(1.0)
    );
    assert!(
        s.value(
            "health_check_duration_seconds_count",
            &[
                ("health_check_name", "redis"),
                ("health_status", "unhealthy")
            ]
        )
        .unwrap()
            >= 1.0
    );
}

#[test]
fn sqlite_pools_in_memory_and_on_disk() {
    let t = telemetry();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("ferrotel-health-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app.db");
    let (memory, disk) = rt.block_on(async {
        let memory = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true);
        let disk = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        (memory, disk)
    });
    t.health()
        .register("sqlite-memory", SqlCheck::sqlite(memory));
    t.health()
        .register("sqlite-file", SqlCheck::sqlite(disk.clone()));
    ready_becomes(&t, 200);
    assert_eq!(component(&t, "sqlite-file")["status"], "healthy");

    rt.block_on(disk.close());
    let body = ready_becomes(&t, 503);
    assert_eq!(body["failing"], serde_json::json!(["sqlite-file"]));
    let c = component(&t, "sqlite-file");
    assert!(
        c["message"].as_str().unwrap().contains("SELECT 1 failed"),
        "{c}"
    );
    assert_eq!(component(&t, "sqlite-memory")["status"], "healthy");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn process_limits_degrade_when_non_critical() {
    let t = telemetry();
    t.health().register_with(
        "process",
        ProcessCheck::new().with_max_memory_bytes(1),
        CheckOptions::default().non_critical(),
    );
    let body = ready_becomes(&t, 200);
    assert_eq!(body["status"], "degraded");
    let c = component(&t, "process");
    assert!(
        c["message"].as_str().unwrap().contains("resident memory"),
        "{c}"
    );
}

/// `/health` names a failing HTTP dependency without the credentials or API key its URL
/// carries (before: the URL, password and query as given, in our message and reqwest's).
#[test]
fn http_check_messages_show_no_credentials_or_query() {
    let t = telemetry();
    let dead = support::dead_addr();
    let url = format!("http://admin:pa55word@{dead}/models?api_key=SECRETKEY123&x=1");
    t.health().register_with(
        "llm-api",
        ferrotel::health::HttpCheck::new(url),
        CheckOptions::default().non_critical(),
    );
    let start = Instant::now();
    let c = loop {
        let c = component(&t, "llm-api");
        if c["status"] != "unknown" && c["message"].is_string() {
            break c;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{c}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let message = c["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("GET http://{dead}/models failed")),
        "{message}"
    );
    for secret in ["admin", "pa55word", "SECRETKEY123", "api_key"] {
        assert!(!message.contains(secret), "{secret} in {message}");
    }
}
