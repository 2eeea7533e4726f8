//! Health checks against real dependencies: a `redis-server` the test stops, pauses
//! and restarts, SQLite pools (closed, exhausted), a tmpfs the test fills, the
//! process's memory against its limit, an OpenAI-compatible models endpoint that wants
//! an API key; read through the built-in listener's `/health/ready` and `/health`.

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

/// Polls `/health` until `name`'s status is `want`; returns the component.
fn component_becomes(t: &ferrotel::Telemetry, name: &str, want: &str) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let c = component(t, name);
        if c["status"] == want {
            return c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{name} stayed {c}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn gauge(t: &ferrotel::Telemetry, name: &str, status: &str, critical: &str) -> Option<f64> {
    let s = ferrotel::testing::parse_exposition(&t.prometheus_exposition().unwrap()).unwrap();
    s.value(
        "health_check_status",
        &[
            ("health_check_name", name),
            ("health_status", status),
            ("health_check_critical", critical),
        ],
    )
}

/// Redis's details on `/health` (PING latency, memory in use, clients), a Redis that
/// answers slowly (every client paused by `CLIENT PAUSE`) degraded, and a stopped one
/// unhealthy — critical, so the gauge says so and readiness follows.
#[test]
fn redis_details_slow_and_stopped() {
    let t = telemetry();
    let redis = RedisServer::start(0);
    let client = redis::Client::open(redis.url()).unwrap();
    t.health().register_with(
        "redis",
        RedisCheck::new(client.clone()),
        CheckOptions::default().degraded_after(Duration::from_millis(200)),
    );
    let c = component_becomes(&t, "redis", "healthy");
    let d = &c["details"];
    assert!(d["ping_ms"].as_f64().unwrap() >= 0.0, "{c}");
    assert!(d["used_memory"].as_u64().unwrap() > 0, "{c}");
    assert!(d["connected_clients"].as_u64().unwrap() >= 1, "{c}");
    assert_eq!(gauge(&t, "redis", "healthy", "true"), Some(1.0));

    // Pause every client for 350 ms at a time (under the client's 500 ms response
    // timeout): PING waits, the check passes late.
    let mut admin = client.get_connection().unwrap();
    let start = Instant::now();
    let c = loop {
        let _: () = redis::cmd("CLIENT")
            .arg("PAUSE")
            .arg(350)
            .query(&mut admin)
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let c = component(&t, "redis");
        if c["status"] == "degraded" {
            break c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never degraded: {c}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("over its 200 ms threshold"),
        "{c}"
    );
    assert!(c["details"]["ping_ms"].as_f64().unwrap() > 200.0, "{c}");
    drop(redis);
    let c = component_becomes(&t, "redis", "unhealthy");
    assert!(c["details"].as_object().unwrap().is_empty(), "{c}");
    ready_becomes(&t, 503);
    assert_eq!(gauge(&t, "redis", "unhealthy", "true"), Some(1.0));
    assert_eq!(gauge(&t, "redis", "healthy", "true"), Some(0.0));
}

/// A pool whose every connection is taken is degraded (a query would only queue), and
/// healthy again once one is returned.
#[test]
fn an_exhausted_sqlite_pool_is_degraded() {
    let t = telemetry();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pool = rt.block_on(async {
        sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(2)
            .connect("sqlite::memory:")
            .await
            .unwrap()
    });
    t.health().register("db", SqlCheck::sqlite(pool.clone()));
    let c = component_becomes(&t, "db", "healthy");
    assert_eq!(c["details"]["connections_max"], 2, "{c}");
    let held =
        rt.block_on(async { (pool.acquire().await.unwrap(), pool.acquire().await.unwrap()) });
    let c = component_becomes(&t, "db", "degraded");
    assert_eq!(
        c["message"], "the pool is exhausted: 2 of 2 connections in use",
        "{c}"
    );
    assert_eq!(c["details"]["connections_in_use"], 2, "{c}");
    // Connections go back to the pool on its runtime.
    rt.block_on(async move { drop(held) });
    component_becomes(&t, "db", "healthy");
}

/// Free space on a real filesystem: a 1 MiB tmpfs filled to 92 % and 97 % where this
/// machine lets the test mount one; the test's own filesystem otherwise (with a
/// threshold above its free share, then one below).
#[test]
fn disk_space_of_a_filling_filesystem() {
    let t = telemetry();
    let dir = std::env::temp_dir().join(format!("ferrotel-disk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&dir)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if mounted {
        t.health()
            .register("disk", ferrotel::health::DiskCheck::new(&dir));
        let c = component_becomes(&t, "disk", "healthy");
        assert_eq!(c["details"]["total_bytes"], 1024 * 1024, "{c}");
        std::fs::write(dir.join("a"), vec![1u8; 940 * 1024]).unwrap();
        let c = component_becomes(&t, "disk", "degraded");
        assert!(c["message"].as_str().unwrap().contains("% free"), "{c}");
        std::fs::write(dir.join("b"), vec![1u8; 50 * 1024]).unwrap();
        component_becomes(&t, "disk", "unhealthy");
        ready_becomes(&t, 503);
        std::fs::remove_file(dir.join("b")).unwrap();
        std::fs::remove_file(dir.join("a")).unwrap();
        component_becomes(&t, "disk", "healthy");
        let _ = std::process::Command::new("umount").arg(&dir).status();
    } else {
        eprintln!("cannot mount a tmpfs here: checking the test's own filesystem");
        t.health()
            .register("disk", ferrotel::health::DiskCheck::new(&dir));
        let c = component_becomes(&t, "disk", "healthy");
        let free = c["details"]["free_percent"].as_f64().unwrap();
        assert!(free > 5.0 && free < 100.0, "{c}");
        t.health().register(
            "disk",
            ferrotel::health::DiskCheck::new(&dir)
                .degraded_below(free + 0.5)
                .unhealthy_below(free / 2.0),
        );
        component_becomes(&t, "disk", "degraded");
        t.health().register(
            "disk",
            ferrotel::health::DiskCheck::new(&dir).unhealthy_below(free + 0.5),
        );
        component_becomes(&t, "disk", "unhealthy");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Memory against the limit: the real cgroup (or machine) limit is far away; a limit
/// just above what the process uses is degraded, one below it unhealthy.
#[test]
fn memory_against_its_limit() {
    let t = telemetry();
    t.health()
        .register("memory", ferrotel::health::MemoryCheck::new());
    let c = component_becomes(&t, "memory", "healthy");
    let rss = c["details"]["rss_bytes"].as_u64().unwrap();
    assert!(c["details"]["limit_bytes"].as_u64().unwrap() > rss, "{c}");
    t.health().register(
        "memory",
        ferrotel::health::MemoryCheck::new()
            .with_limit_bytes(rss * 10 / 9)
            .unhealthy_above(99.0),
    );
    component_becomes(&t, "memory", "degraded");
    t.health().register(
        "memory",
        ferrotel::health::MemoryCheck::new().with_limit_bytes(rss / 2),
    );
    let c = component_becomes(&t, "memory", "unhealthy");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("resident memory is"),
        "{c}"
    );
}

/// The LLM provider's models endpoint with the key from the environment (a local server
/// speaking OpenAI's API, which answers 401 to a wrong key): healthy with the key; with
/// a wrong one, unhealthy naming the status; with the variable unset, unhealthy naming
/// the variable. The key appears nowhere: not on /health, not in the check's Debug.
#[test]
fn llm_provider_check_uses_the_key_and_never_shows_it() {
    let t = telemetry();
    let provider = ferrotel::testing::openai::MockOpenAi::start().unwrap();
    let base = provider.base_url();
    std::env::set_var(
        "FERROTEL_TEST_GOOD_KEY",
        ferrotel::testing::openai::MockOpenAi::API_KEY,
    );
    std::env::set_var("FERROTEL_TEST_BAD_KEY", "sk-wrong-0123456789");
    std::env::remove_var("FERROTEL_TEST_NO_KEY");
    let good = ferrotel::health::HttpCheck::llm_provider(&base, "FERROTEL_TEST_GOOD_KEY");
    let debug = format!("{good:?}");
    assert!(
        !debug.contains(ferrotel::testing::openai::MockOpenAi::API_KEY),
        "{debug}"
    );
    t.health().register("llm", good);
    t.health().register_with(
        "llm-bad",
        ferrotel::health::HttpCheck::llm_provider(&base, "FERROTEL_TEST_BAD_KEY"),
        CheckOptions::default().non_critical(),
    );
    t.health().register_with(
        "llm-unset",
        ferrotel::health::HttpCheck::llm_provider(&base, "FERROTEL_TEST_NO_KEY"),
        CheckOptions::default().non_critical(),
    );
    component_becomes(&t, "llm", "healthy");
    let bad = component_becomes(&t, "llm-bad", "unhealthy");
    assert!(bad["message"].as_str().unwrap().contains("401"), "{bad}");
    let unset = component_becomes(&t, "llm-unset", "unhealthy");
    assert!(
        unset["message"]
            .as_str()
            .unwrap()
            .contains("environment variable FERROTEL_TEST_NO_KEY is not set"),
        "{unset}"
    );
    let (_, all) = http_get(t.prometheus_addr().unwrap(), "/health");
    for secret in [
        ferrotel::testing::openai::MockOpenAi::API_KEY,
        "sk-wrong-0123456789",
    ] {
        assert!(!all.contains(secret), "{secret} on /health: {all}");
    }
    assert!(
        provider.requests() == 0,
        "the models endpoint is not a completion"
    );
}

/// A check that has not answered yet is `unknown`: critical, it keeps the service
/// unready (the gauge shows it, labelled critical); its first run timing out stays
/// unknown; a check that passes slowly is degraded.
#[test]
fn unknown_until_a_check_answers_and_slow_checks_degrade() {
    let t = telemetry();
    t.health().register_with(
        "hangs",
        ferrotel::health::from_fn(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<(), String>(())
        }),
        CheckOptions::default().with_timeout(Duration::from_millis(300)),
    );
    let body = ready_becomes(&t, 503);
    assert_eq!(body["status"], "unknown", "{body}");
    assert_eq!(body["failing"], serde_json::json!(["hangs"]));
    let c = component(&t, "hangs");
    assert_eq!(c["status"], "unknown", "{c}");
    assert!(
        c["message"].as_str().unwrap().contains("on its first run"),
        "{c}"
    );
    assert_eq!(gauge(&t, "hangs", "unknown", "true"), Some(1.0));
    assert_eq!(gauge(&t, "hangs", "unhealthy", "true"), Some(0.0));
    assert!(t.health().deregister("hangs"));

    t.health().register_with(
        "slow",
        ferrotel::health::from_fn(|| async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            Ok::<(), String>(())
        }),
        CheckOptions::default()
            .non_critical()
            .degraded_after(Duration::from_millis(100)),
    );
    let c = component_becomes(&t, "slow", "degraded");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("over its 100 ms threshold"),
        "{c}"
    );
    assert_eq!(gauge(&t, "slow", "degraded", "false"), Some(1.0));
}
