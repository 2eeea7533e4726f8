//! `examples/quickstart.rs` driven as a user would: started with environment
//! variables, scraped, stopped with SIGTERM, its JSON lines and OTLP output read.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{scrape, Receiver};

fn example(name: &str) -> std::path::PathBuf {
    // target/debug/deps/pipeline-HASH -> target/debug/examples/NAME
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test`, which builds the examples",
        path.display()
    );
    path
}

#[test]
fn quickstart_exports_serves_metrics_and_stops_on_sigterm() {
    let rx = Receiver::start();
    let mut child = Command::new(example("quickstart"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OTEL_LOG_FORMAT", "json")
        .env("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint("grpc"))
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel::<String>();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let mut next = |what: &str, pred: &dyn Fn(&str) -> bool| -> String {
        let start = Instant::now();
        loop {
            let left = Duration::from_secs(60).saturating_sub(start.elapsed());
            let line = lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("quickstart never printed {what}; printed {seen:?}"));
            seen.push(line.clone());
            if pred(&line) {
                return line;
            }
        }
    };
    let banner = next("the metrics address", &|l| l.contains("metrics at http://"));
    let url = banner.split("http://").nth(1).unwrap();
    let addr: std::net::SocketAddr = url.trim_end_matches("/metrics").parse().unwrap();
    // Two jobs done (at 0 ms and 500 ms).
    next("a first job", &|l| l.contains("job done"));
    let done = next("a second job", &|l| l.contains("job done"));

    let s = scrape(addr);
    let jobs = s
        .value("quickstart_jobs_total", &[("service_name", "quickstart")])
        .expect("the quickstart counter is exposed with service_name");
    assert!(jobs >= 2.0, "{jobs}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "quickstart did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "quickstart exited with {exit}");

    // JSON lines carry the ids of the span they were logged in.
    let v: serde_json::Value = serde_json::from_str(&done).expect("a JSON log line");
    assert_eq!(v["level"], "INFO");
    assert_eq!(v["span"], "handle_job");
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

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
