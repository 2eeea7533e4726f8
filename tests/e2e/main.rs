//! The pipeline end to end with real parts: the demo (a process) under the load
//! generator, a real Redis, a real Prometheus (Debian's package) scraping the demo with
//! the repository's scrape job and rule files, and a real Alertmanager with the
//! repository's routing delivering to a webhook receiver in this test.
//!
//! - Every query of every Grafana dashboard panel returns data.
//! - Redis stopping opens a ticket in Slack's ticket channel and the webhook, a page
//!   about the same service reaches the paging channel and holds back later tickets,
//!   nothing is sent twice before repeat_interval, and the page resolves when Redis
//!   comes back.

#[path = "../support/mod.rs"]
mod support;

mod collector;
mod tiers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use serde_norway::Value as Yaml;
use support::{dead_addr, http_get, root, yaml, Example, Receiver, RedisServer};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrotel-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A server process started by the test, killed when dropped.
struct Daemon {
    child: Child,
    name: &'static str,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first of `names` on PATH (Debian calls Alertmanager `prometheus-alertmanager`).
fn program(names: &[&'static str]) -> &'static str {
    let path = std::env::var("PATH").unwrap_or_default();
    names
        .iter()
        .find(|n| std::env::split_paths(&path).any(|d| d.join(n).is_file()))
        .copied()
        .unwrap_or(names[0])
}

fn start(name: &'static str, args: &[String], ready: SocketAddr, ready_path: &str) -> Daemon {
    start_with_env(name, args, &[], ready, ready_path)
}

/// Like [`start`], with environment variables set for the process.
fn start_with_env(
    name: &'static str,
    args: &[String],
    env: &[(&str, String)],
    ready: SocketAddr,
    ready_path: &str,
) -> Daemon {
    let child = Command::new(name)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {name} ({e}): scripts/test installs it from Debian's packages")
        });
    let mut daemon = Daemon { child, name };
    let t = Instant::now();
    loop {
        if std::net::TcpStream::connect(ready).is_ok() && http_get(ready, ready_path).0 == 200 {
            return daemon;
        }
        if let Ok(Some(exit)) = daemon.child.try_wait() {
            panic!(
                "{} exited with {exit} at start-up (args {args:?})",
                daemon.name
            );
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "{name} never became ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What a test's Prometheus scrapes: the jobs of the repository's prometheus.yml whose
/// target is given here, pointed at this test's processes; the others are left out.
#[derive(Default)]
struct Targets {
    /// `demo:8080`, the demo's own /metrics (the pull path).
    demo: Option<SocketAddr>,
    /// `otel-collector:8889`, the collector's Prometheus exporter (the OTLP path).
    collector: Option<SocketAddr>,
    /// `otel-collector:8888`, the collector's own telemetry.
    collector_self: Option<SocketAddr>,
    /// Accept remote-write at /api/v1/write (standing in for Mimir).
    remote_write_receiver: bool,
}

/// The repository's prometheus.yml, pointed at this test's processes (`targets`),
/// scraping every second, with the repository's rule files (or `rules` when given), and
/// alerts to `alertmanager`. Exemplar storage is on, as in docker-compose.yml.
fn prometheus(
    name: &str,
    targets: Targets,
    alertmanager: Option<SocketAddr>,
    rules: Option<Vec<PathBuf>>,
) -> (Daemon, SocketAddr) {
    let mut config = yaml("prometheus/prometheus.yml");
    config["global"]["scrape_interval"] = "1s".into();
    config["global"]["evaluation_interval"] = "1s".into();
    let rule_files: Vec<Yaml> = match rules {
        Some(r) => r.iter().map(|p| p.display().to_string().into()).collect(),
        None => config["rule_files"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|f| {
                let f = root().join("prometheus").join(f.as_str().unwrap());
                f.display().to_string().into()
            })
            .collect(),
    };
    config["rule_files"] = Yaml::Sequence(rule_files);
    let jobs = config["scrape_configs"].as_sequence_mut().unwrap();
    let mut kept = 0;
    jobs.retain_mut(|job| {
        let list = &mut job["static_configs"][0]["targets"];
        let target = list[0].as_str().unwrap().to_string();
        let here = match target.as_str() {
            "demo:8080" => targets.demo,
            "otel-collector:8889" => targets.collector,
            "otel-collector:8888" => targets.collector_self,
            other => panic!("a scrape target this test does not know: {other}"),
        };
        match here {
            Some(addr) => {
                *list = Yaml::Sequence(vec![addr.to_string().into()]);
                kept += 1;
                true
            }
            None => false,
        }
    });
    let wanted = [targets.demo, targets.collector, targets.collector_self]
        .iter()
        .flatten()
        .count();
    assert_eq!(kept, wanted, "prometheus.yml has a job for each target");
    match alertmanager {
        Some(am) => {
            config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] =
                Yaml::Sequence(vec![am.to_string().into()])
        }
        None => {
            config
                .as_mapping_mut()
                .unwrap()
                .remove(Yaml::from("alerting"));
        }
    }
    let dir = temp_dir(&format!("{name}-prometheus"));
    let file = dir.join("prometheus.yml");
    std::fs::write(&file, serde_norway::to_string(&config).unwrap()).unwrap();
    let addr = dead_addr();
    let mut args = vec![
        format!("--config.file={}", file.display()),
        format!("--storage.tsdb.path={}", dir.join("data").display()),
        format!("--web.listen-address={addr}"),
        "--enable-feature=exemplar-storage".to_string(),
    ];
    if targets.remote_write_receiver {
        args.push("--web.enable-remote-write-receiver".to_string());
    }
    let daemon = start("prometheus", &args, addr, "/-/ready");
    (daemon, addr)
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An instant query; panics on a query Prometheus rejects.
fn query(prom: SocketAddr, expr: &str) -> Vec<Value> {
    let (status, body) = http_get(prom, &format!("/api/v1/query?query={}", encode(expr)));
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{status}: {body}"));
    assert_eq!(
        v["status"], "success",
        "Prometheus rejected\n{expr}\n{body}"
    );
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// Series with a finite value (0/0 in a ratio is NaN: no data to show).
fn finite(result: &[Value]) -> usize {
    result
        .iter()
        .filter(|s| {
            s["value"][1]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(f64::is_finite)
        })
        .count()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Grafana's query with its variables as Grafana would fill them in: the service, every
/// model, and $__rate_interval for the datasource's 15 s scrape interval (4 × 15 s).
fn substitute(expr: &str) -> String {
    expr.replace("$service_name", "chat-api")
        .replace("$model", ".*")
        .replace("$__rate_interval", "1m")
}

/// The load generator against `addr` for `duration` at `rate` requests per second.
fn loadgen(addr: SocketAddr, duration: &str, rate: &str, fault: &str) -> Example {
    Example::start_with_args(
        "loadgen",
        &[
            "--target",
            &format!("http://{addr}"),
            "--duration",
            duration,
            "--rate",
            rate,
            "--fault",
            fault,
        ],
        &[],
    )
}

fn demo_env<'a>(redis: &'a str, sqlite: &'a str, otlp: &'a str) -> Vec<(&'a str, &'a str)> {
    // As docker-compose.yml runs it: traces and logs over OTLP, metrics pulled.
    vec![
        ("DEMO_ADDR", "127.0.0.1:0"),
        ("REDIS_URL", redis),
        ("DEMO_SQLITE", sqlite),
        ("OTEL_SERVICE_NAME", "chat-api"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp),
        ("OTEL_METRICS_EXPORTER", "prometheus"),
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ("FERROTEL_HEALTH_CACHE_TTL", "500"),
        ("RUST_LOG", "info"),
    ]
}

/// Every dashboard variable has values and every panel query for which `applies` holds
/// returns some finite series, within a minute of load (queries are retried: LLM calls
/// happen only on cache misses, and a rate needs two scrapes of a series).
fn every_panel_returns_data(prom: SocketAddr, applies: impl Fn(&str) -> bool) {
    wait_until(
        "the demo's first requests in Prometheus",
        Duration::from_secs(60),
        || {
            finite(&query(
                prom,
                r#"sum(rate(http_server_request_duration_seconds_count{service_name="chat-api"}[1m]))"#,
            )) > 0
        },
    );
    // Template variables resolve to the demo's values.
    let boards = support::dashboards();
    assert_eq!(boards.len(), 4, "four dashboards");
    for (file, d) in &boards {
        for var in d["templating"]["list"].as_array().unwrap() {
            let q = var["query"]["query"].as_str().unwrap();
            let inner = q
                .strip_prefix("label_values(")
                .and_then(|q| q.strip_suffix(')'))
                .unwrap_or_else(|| panic!("{file}: variable query {q}"));
            let (metric, label) = inner.rsplit_once(", ").unwrap();
            let result = query(
                prom,
                &format!("group by ({label}) ({})", substitute(metric)),
            );
            assert!(
                !result.is_empty(),
                "{file}: variable {} ({q}) has no values",
                var["name"]
            );
        }
    }

    // Every panel's every query: some series with a finite value. Queries are retried
    // while the load runs: LLM calls happen only on cache misses, and a rate needs two
    // scrapes of a series.
    let mut pending: Vec<(String, String, String)> = Vec::new();
    for (file, d) in &boards {
        for p in d["panels"].as_array().unwrap() {
            for t in p["targets"].as_array().into_iter().flatten() {
                let title = p["title"].as_str().unwrap().to_string();
                let expr = substitute(t["expr"].as_str().unwrap());
                if applies(&expr) {
                    pending.push((file.clone(), title, expr));
                }
            }
        }
    }
    let total = pending.len();
    assert!(total >= 60, "{total} queries");
    let t = Instant::now();
    while !pending.is_empty() && t.elapsed() < Duration::from_secs(50) {
        pending.retain(|(_, _, expr)| finite(&query(prom, expr)) == 0);
        if !pending.is_empty() {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let missing: Vec<String> = pending
        .iter()
        .map(|(f, title, expr)| format!("{f} / {title}:\n{expr}"))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {total} panel queries return no data:\n{}",
        missing.len(),
        missing.join("\n\n")
    );
}

/// scripts/render/render_dashboards.py against `prom`: every dashboard and every panel
/// gives a non-empty PNG, and every panel with a query the pull path serves drew data.
/// With `FERROTEL_RENDER_OUT` the pictures are kept there (`scripts/render-dashboards`
/// sets it to docs/img); `FERROTEL_PYTHON` is the Python with matplotlib (`scripts/test`
/// makes it).
fn render_every_panel(prom: SocketAddr) {
    let python = std::env::var("FERROTEL_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::env::var("FERROTEL_RENDER_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| temp_dir("render"));
    let run = std::process::Command::new(&python)
        .arg(support::root().join("scripts/render/render_dashboards.py"))
        .args(["--prometheus", &format!("http://{prom}")])
        .arg("--dashboards")
        .arg(support::root().join("grafana/dashboards"))
        .arg("--out")
        .arg(&out)
        .args(["--range", "120", "--step", "5", "--var", "service_name=chat-api", "--var", "model=.*"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/test sets FERROTEL_PYTHON to a venv with matplotlib)"));
    assert!(
        run.status.success(),
        "the renderer failed (scripts/test sets FERROTEL_PYTHON to a venv with matplotlib):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8(run.stdout).unwrap();
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let non_empty = |f: &str| {
        std::fs::metadata(f)
            .map(|m| m.len() > 1000)
            .unwrap_or(false)
    };
    let composites = report["dashboards"].as_array().unwrap();
    assert_eq!(composites.len(), 4);
    for c in composites {
        assert!(non_empty(c.as_str().unwrap()), "{c} is empty");
    }
    let boards = support::dashboards();
    let mut panels = 0;
    for (file, d) in &boards {
        let stem = std::path::Path::new(file)
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap();
        for p in d["panels"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["type"] != "row")
        {
            panels += 1;
            let drawn = report["panels"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["dashboard"] == stem && r["id"] == p["id"])
                .unwrap_or_else(|| panic!("{file}: panel {} was not rendered", p["title"]));
            assert!(non_empty(drawn["file"].as_str().unwrap()), "{drawn}");
            let collector_only = p["targets"].as_array().into_iter().flatten().all(|t| {
                t["expr"]
                    .as_str()
                    .unwrap_or("")
                    .contains("traces_span_metrics")
            });
            if !collector_only {
                assert!(
                    drawn["series"].as_u64().unwrap() > 0,
                    "{file}: panel {} drew no data",
                    p["title"]
                );
            }
        }
    }
    assert_eq!(report["panels"].as_array().unwrap().len(), panels);
}

#[test]
fn every_dashboard_panel_query_returns_data_from_the_demo_under_load() {
    let redis = RedisServer::start(0);
    let receiver = Receiver::start();
    let dir = temp_dir("dashboards");
    let sqlite = dir.join("demo.db").display().to_string();
    let (url, otlp) = (redis.url(), receiver.endpoint("http/protobuf"));
    let mut demo = Example::start("demo", &demo_env(&url, &sqlite, &otlp));
    let addr = demo.url_after("listening on http://");
    let targets = Targets {
        demo: Some(addr),
        ..Targets::default()
    };
    let (_prom, prom) = prometheus("dashboards", targets, None, None);

    // A realistic mix, and errors on top of it, for the whole test.
    let load_started = Instant::now();
    let load = |rate: &str, fault: &str| loadgen(addr, "60s", rate, fault);
    let normal = load("10", "none");
    let errors = load("2", "errors");
    let slow = load("1", "slow-llm");

    // The span metrics exist on the collector path only (tests/e2e/collector.rs).
    every_panel_returns_data(prom, |expr| !expr.contains("traces_span_metrics"));
    // Pictures for the docs (scripts/render-dashboards) show the whole minute of load.
    if std::env::var_os("FERROTEL_RENDER_OUT").is_some() {
        while load_started.elapsed() < Duration::from_secs(58) {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    render_every_panel(prom);
    // The spans behind the exemplar and trace links arrived over OTLP.
    assert!(!receiver.spans().is_empty());
    for l in [normal, errors, slow] {
        l.wait_success();
    }
    demo.stop();
}

/// The notifications the webhook and Slack receivers got: (path, body, when).
type Inbox = Arc<Mutex<Vec<(String, Value, Instant)>>>;

/// A webhook receiver on a loopback port: Alertmanager's webhook format on /alerts,
/// Slack's incoming-webhook format on /slack.
fn inbox() -> (Inbox, SocketAddr) {
    let inbox: Inbox = Arc::default();
    let store = inbox.clone();
    let app = axum::Router::new().route(
        "/{path}",
        axum::routing::post(
            move |axum::extract::Path(path): axum::extract::Path<String>,
                  body: axum::body::Bytes| async move {
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                store.lock().unwrap().push((path, v, Instant::now()));
                "ok"
            },
        ),
    );
    (inbox, support::serve_on_thread(app))
}

/// Notifications about `alert` on `path` with `status` (`firing`, `resolved`).
fn count(inbox: &Inbox, alert: &str, path: &str, status: &str) -> usize {
    inbox
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, v, _)| {
            p == path
                && match path {
                    "alerts" => v["status"] == status && v["commonLabels"]["alertname"] == alert,
                    // Slack messages say "resolved" in the title once resolved.
                    _ => v["attachments"][0]["title"].as_str().is_some_and(|t| {
                        t.starts_with(&format!("{alert} ("))
                            && t.contains(", resolved)") == (status == "resolved")
                    }),
                }
        })
        .count()
}

/// The Slack message about `alert` with `status`.
fn slack(inbox: &Inbox, alert: &str, status: &str) -> Value {
    inbox
        .lock()
        .unwrap()
        .iter()
        .find(|(p, v, _)| {
            p == "slack"
                && v["attachments"][0]["title"].as_str().is_some_and(|t| {
                    t.starts_with(&format!("{alert} ("))
                        && t.contains(", resolved)") == (status == "resolved")
                })
        })
        .map(|(_, v, _)| v.clone())
        .unwrap()
}

/// Redis is a non-critical component of the demo (its cache): stopping it opens a
/// ticket (ComponentDegraded) in Slack's ticket channel and the webhook, once. A page
/// about the same service (a test-only rule on the same condition) then goes to the
/// paging channel and holds back the tickets that follow (the inhibit rule); when Redis
/// returns, the page resolves.
#[test]
fn stopping_redis_opens_a_ticket_pages_and_resolves_when_it_returns() {
    let dir = temp_dir("alerts");
    let (inbox, hook) = inbox();

    // The repository's routing; only addresses and the first two timers are the test's:
    // group_wait and group_interval shrink to seconds, repeat_interval stays as shipped
    // (hours), so a second firing notification within the test would be spam.
    let mut am = yaml("alertmanager/alertmanager.yml");
    am["route"]["group_wait"] = "1s".into();
    am["route"]["group_interval"] = "3s".into();
    let repeat = am["route"]["repeat_interval"].as_str().unwrap().to_string();
    assert!(repeat.ends_with('h'), "repeat_interval {repeat}");
    let slack_file = dir.join("slack_webhook_url");
    std::fs::write(&slack_file, format!("http://{hook}/slack")).unwrap();
    for r in am["receivers"].as_sequence_mut().unwrap() {
        for w in r["webhook_configs"].as_sequence_mut().into_iter().flatten() {
            w["url"] = format!("http://{hook}/alerts").into();
        }
        for s in r["slack_configs"].as_sequence_mut().into_iter().flatten() {
            s["api_url_file"] = slack_file.display().to_string().into();
        }
    }
    // The Slack templates, where the repository keeps them.
    am["templates"] = vec![Yaml::from(
        root()
            .join("alertmanager/templates/*.tmpl")
            .display()
            .to_string(),
    )]
    .into();
    let am_file = dir.join("alertmanager.yml");
    std::fs::write(&am_file, serde_norway::to_string(&am).unwrap()).unwrap();
    let am_addr = dead_addr();
    let _am = start(
        program(&["alertmanager", "prometheus-alertmanager"]),
        &[
            format!("--config.file={}", am_file.display()),
            format!("--storage.path={}", dir.join("am").display()),
            format!("--web.listen-address={am_addr}"),
            "--cluster.listen-address=".to_string(),
        ],
        am_addr,
        "/-/ready",
    );

    // The repository's alert rules; ComponentDegraded's `for` (10m, proven by the
    // promtool tests) shrinks to 5s so the test does not idle for minutes.
    let mut rules = yaml("prometheus/rules/ferrotel-alerts.yml");
    let mut found = false;
    for g in rules["groups"].as_sequence_mut().unwrap() {
        for r in g["rules"].as_sequence_mut().unwrap() {
            if r["alert"] == "ComponentDegraded" {
                r["for"] = "5s".into();
                found = true;
            }
        }
    }
    assert!(found, "ComponentDegraded is in the rules");
    // Test-only: a page on the same condition after 20 s, and a ticket after 30 s that
    // the repository's inhibit rule (pages silence tickets of their service) must hold.
    let extra: Yaml = serde_norway::from_str(
        r#"
name: test-only
rules:
  - alert: RedisDownPage
    expr: max by (service_name) (health_check_status{health_check_name="redis",health_status="unhealthy"}) == 1
    for: 20s
    labels:
      severity: page
    annotations:
      summary: "Redis is down"
  - alert: RedisTicketWhilePaged
    expr: max by (service_name) (health_check_status{health_check_name="redis",health_status="unhealthy"}) == 1
    for: 30s
    labels:
      severity: ticket
"#,
    )
    .unwrap();
    rules["groups"].as_sequence_mut().unwrap().push(extra);
    let rules_file = dir.join("alerts.yml");
    std::fs::write(&rules_file, serde_norway::to_string(&rules).unwrap()).unwrap();
    let recording = root().join("prometheus/rules/ferrotel-recording.yml");

    let redis = RedisServer::start(0);
    let port = redis.port;
    let receiver = Receiver::start();
    let sqlite = dir.join("demo.db").display().to_string();
    let (url, otlp) = (redis.url(), receiver.endpoint("http/protobuf"));
    let mut demo = Example::start("demo", &demo_env(&url, &sqlite, &otlp));
    demo.next("Redis in use", |l| l.contains("caching in Redis"));
    let addr = demo.url_after("listening on http://");
    let targets = Targets {
        demo: Some(addr),
        ..Targets::default()
    };
    let (_prom, prom) = prometheus(
        "alerts",
        targets,
        Some(am_addr),
        Some(vec![rules_file, recording]),
    );

    let healthy = r#"health_check_status{health_check_name="redis",health_status="healthy",health_check_critical="false"} == 1"#;
    wait_until("Redis reported healthy", Duration::from_secs(60), || {
        !query(prom, healthy).is_empty()
    });

    // The fault: Redis goes away. First the ticket.
    drop(redis);
    let ticket = "ComponentDegraded";
    wait_until(
        "the ticket's notifications",
        Duration::from_secs(90),
        || {
            count(&inbox, ticket, "alerts", "firing") >= 1
                && count(&inbox, ticket, "slack", "firing") >= 1
        },
    );
    {
        let got = inbox.lock().unwrap();
        let (_, v, _) = got
            .iter()
            .find(|(p, v, _)| p == "alerts" && v["commonLabels"]["alertname"] == ticket)
            .unwrap();
        let alert = &v["alerts"][0];
        assert_eq!(alert["labels"]["health_check_name"], "redis", "{v}");
        assert_eq!(alert["labels"]["service_name"], "chat-api", "{v}");
        assert_eq!(alert["labels"]["severity"], "ticket", "{v}");
    }
    // Slack: the ticket channel, amber, the service in the title, the component and
    // the runbook (absolute, the title's link too) in the text.
    let s = slack(&inbox, ticket, "firing");
    let a = &s["attachments"][0];
    let runbook = a["title_link"].as_str().unwrap().to_string();
    assert!(
        runbook.starts_with("https://") && runbook.ends_with("#componentdegraded"),
        "{s}"
    );
    assert_eq!(s["channel"], "#alerts-tickets", "{s}");
    assert_eq!(a["color"], "warning", "{s}");
    assert_eq!(a["title"], "ComponentDegraded (ticket) on chat-api", "{s}");
    let text = a["text"].as_str().unwrap_or_default();
    for want in [
        "*redis is degraded for chat-api*",
        "service: chat-api",
        "component: health_check_name=redis",
        &format!("runbook: {runbook}"),
    ] {
        assert!(
            text.contains(want),
            "{want:?} not in the Slack text: {text}"
        );
    }

    // Then the page, in the paging channel, red.
    let page = "RedisDownPage";
    wait_until("the page's notifications", Duration::from_secs(90), || {
        count(&inbox, page, "alerts", "firing") >= 1 && count(&inbox, page, "slack", "firing") >= 1
    });
    let fired = Instant::now();
    let s = slack(&inbox, page, "firing");
    assert_eq!(s["channel"], "#alerts", "{s}");
    assert_eq!(s["attachments"][0]["color"], "danger", "{s}");
    assert_eq!(
        s["attachments"][0]["title"], "RedisDownPage (page) on chat-api",
        "{s}"
    );

    // Still failing over five group intervals: nothing new to say, so nothing is sent.
    std::thread::sleep(Duration::from_secs(15));
    for alert in [ticket, page] {
        assert_eq!(
            count(&inbox, alert, "alerts", "firing"),
            1,
            "{alert} re-sent before {repeat}"
        );
        assert_eq!(
            count(&inbox, alert, "slack", "firing"),
            1,
            "{alert} re-sent to Slack before {repeat}"
        );
    }
    // The later ticket fired in Prometheus too, and Alertmanager held it back.
    let ticket_firing = r#"ALERTS{alertname="RedisTicketWhilePaged",alertstate="firing"}"#;
    assert!(!query(prom, ticket_firing).is_empty(), "the ticket fired");
    let sent: Vec<String> = inbox
        .lock()
        .unwrap()
        .iter()
        .map(|(_, v, _)| v.to_string())
        .collect();
    assert!(
        sent.iter().all(|v| !v.contains("RedisTicketWhilePaged")),
        "the page did not inhibit the ticket: {sent:?}"
    );

    // Redis returns on the same port: the check recovers and the page resolves, green.
    let _redis = RedisServer::start(port);
    wait_until(
        "the resolved notifications",
        Duration::from_secs(90),
        || {
            count(&inbox, page, "alerts", "resolved") >= 1
                && count(&inbox, page, "slack", "resolved") >= 1
        },
    );
    assert_eq!(count(&inbox, page, "alerts", "firing"), 1);
    let s = slack(&inbox, page, "resolved");
    assert_eq!(s["attachments"][0]["color"], "good", "{s}");
    let got = inbox.lock().unwrap().clone();
    let (_, _, when) = got
        .iter()
        .find(|(p, v, _)| {
            p == "alerts" && v["status"] == "resolved" && v["commonLabels"]["alertname"] == page
        })
        .unwrap();
    assert!(*when > fired);
    demo.stop();
}
