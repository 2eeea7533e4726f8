//! `examples/quickstart.rs` driven as a user would: started with environment
//! variables, scraped, stopped with SIGTERM, its output and OTLP export read.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{scrape, Receiver};

/// The example running as a child process, its standard output read line by line.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(env: &[(&str, &str)]) -> Running {
        // target/debug/deps/pipeline-HASH -> target/debug/examples/quickstart
        let exe = std::env::current_exe().unwrap();
        let path = exe
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("examples/quickstart");
        assert!(
            path.exists(),
            "{} is missing: `cargo test` builds the examples",
            path.display()
        );
        let mut child = Command::new(path)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line that satisfies `pred`; panics after a generous bound.
    fn next(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let left = Duration::from_secs(60).saturating_sub(start.elapsed());
            let Ok(line) = self.lines.recv_timeout(left) else {
                panic!("quickstart never printed {what}; printed {:#?}", self.seen);
            };
            self.seen.push(line.clone());
            if pred(&line) {
                return line;
            }
        }
    }

    fn metrics_addr(&mut self) -> std::net::SocketAddr {
        let banner = self.next("the metrics address", |l| l.contains("metrics at http://"));
        let url = banner.split("http://").nth(1).unwrap();
        url.trim_end_matches("/metrics").parse().unwrap()
    }

    /// Sends SIGTERM and waits for a successful exit; returns what it printed after.
    fn stop(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let start = Instant::now();
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "quickstart did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(exit.success(), "quickstart exited with {exit}");
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            rest.push(line);
        }
        rest
    }
}

#[test]
fn quickstart_exports_serves_metrics_and_stops_on_sigterm() {
    let rx = Receiver::start();
    let endpoint = rx.endpoint("grpc");
    let mut run = Running::start(&[
        ("OTEL_LOG_FORMAT", "json"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ]);
    let addr = run.metrics_addr();
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

#[test]
fn console_exporters_print_spans_logs_and_metrics() {
    let mut run = Running::start(&[
        ("OTEL_SERVICE_NAME", "console-run"),
        ("OTEL_TRACES_EXPORTER", "console"),
        ("OTEL_LOGS_EXPORTER", "console"),
        ("OTEL_METRICS_EXPORTER", "console,prometheus"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_BLRP_SCHEDULE_DELAY", "100"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "200"),
    ]);
    let addr = run.metrics_addr();
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
