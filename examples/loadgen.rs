//! Load generator for the demo: a realistic mix of chat questions (repeats hit the
//! cache), voice turns, conversation reads, a few bad requests, and faults on demand. Shows
//! progress, prints a summary and exits 0.
//!
//! ```text
//! cargo run --example loadgen -- --target http://127.0.0.1:8080 --duration 90s --rate 5
//! cargo run --example loadgen -- --fault errors      # or slow-llm, redis-down
//! ```
//!
//! Progress every 5 s and the summary carry latency percentiles (p50, p95, p99, max from an
//! HDR histogram), the summary per endpoint too; `--json` adds the summary as one JSON
//! object on the last line, for scripts.
//!
//! `--target URL` (default `http://127.0.0.1:8080`), `--duration D` (`90s`, `2m`,
//! `500ms`; default `30s`), `--rate N` requests per second (default 5), `--fault F`
//! (`none`, `errors`, `slow-llm`, `redis-down`; applied to half the chat requests).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

const QUESTIONS: [&str; 5] = [
    "What should I pack for Paris tomorrow?",
    "Is it going to rain in Paris?",
    "What is on my calendar tomorrow?",
    "Do I need an umbrella for dinner?",
    "Plan my day in Paris",
];
const TENANTS: [&str; 3] = ["acme", "globex", "initech"];

struct Args {
    /// Print the summary as one JSON object (the last line) too.
    json: bool,
    target: String,
    duration: Duration,
    rate: u32,
    fault: Option<String>,
}

fn parse_duration(s: &str) -> Option<Duration> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = num.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n * 60)),
        _ => None,
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        target: "http://127.0.0.1:8080".into(),
        duration: Duration::from_secs(30),
        rate: 5,
        fault: None,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--target" => args.target = value()?.trim_end_matches('/').to_string(),
            "--duration" => {
                let v = value()?;
                args.duration = parse_duration(&v)
                    .ok_or_else(|| format!("--duration {v:?}: expected e.g. 90s, 2m, 500ms"))?;
            }
            "--rate" => {
                let v = value()?;
                args.rate = v
                    .parse()
                    .ok()
                    .filter(|r| *r > 0 && *r <= 1000)
                    .ok_or_else(|| {
                        format!("--rate {v:?}: expected 1 to 1000 requests per second")
                    })?;
            }
            "--fault" => {
                let v = value()?;
                args.fault = match v.as_str() {
                    "none" => None,
                    "errors" | "slow-llm" | "redis-down" => Some(v),
                    _ => {
                        return Err(format!(
                            "--fault {v:?}: expected none, errors, slow-llm or redis-down"
                        ))
                    }
                };
            }
            "--json" => args.json = true,
            "-h" | "--help" => {
                println!("loadgen --target URL --duration 90s --rate 5 --fault none|errors|slow-llm|redis-down [--json]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(args)
}

/// Counts by outcome, and latency per endpoint (HDR histograms in microseconds).
struct Tally {
    sent: u64,
    ok: u64,
    client_errors: u64,
    server_errors: u64,
    failed: u64,
    latency: std::collections::BTreeMap<&'static str, Histogram<u64>>,
    all: Histogram<u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            sent: 0,
            ok: 0,
            client_errors: 0,
            server_errors: 0,
            failed: 0,
            latency: Default::default(),
            all: histogram(),
        }
    }
}

/// 1 µs to 10 minutes, three significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// One finished request: which endpoint, its status (none: no response), how long.
type Outcome = (&'static str, Option<u16>, Duration);

/// `p50 12.3ms p95 … p99 … max …` of a histogram in microseconds.
fn percentiles(h: &Histogram<u64>) -> String {
    let ms = |us: u64| us as f64 / 1000.0;
    format!(
        "p50 {:.1}ms p95 {:.1}ms p99 {:.1}ms max {:.1}ms",
        ms(h.value_at_quantile(0.50)),
        ms(h.value_at_quantile(0.95)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    )
}

fn latency_json(h: &Histogram<u64>) -> serde_json::Value {
    let ms = |us: u64| us as f64 / 1000.0;
    serde_json::json!({
        "count": h.len(),
        "p50_ms": ms(h.value_at_quantile(0.50)),
        "p95_ms": ms(h.value_at_quantile(0.95)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "max_ms": ms(h.max()),
    })
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "loadgen: {} req/s against {} for {:?}{}",
        args.rate,
        args.target,
        args.duration,
        args.fault
            .as_deref()
            .map(|f| format!(", fault {f}"))
            .unwrap_or_default()
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outcome>();
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / args.rate);
    let mut tally = Tally::default();
    let mut last_report = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < args.duration {
        tick.tick().await;
        n += 1;
        let (client, tx, target) = (client.clone(), tx.clone(), args.target.clone());
        let fault = args.fault.clone().filter(|_| n.is_multiple_of(2));
        tokio::spawn(async move {
            let (endpoint, req) = match n % 10 {
                // Reads of earlier conversations (some do not exist).
                7 => (
                    "GET /conversations/{id}",
                    client.get(format!("{target}/conversations/{}", n % 40 + 1)),
                ),
                // A voice turn: four seconds of audio (16 kB a second).
                3 => (
                    "POST /voice",
                    client
                        .post(format!("{target}/voice"))
                        .header("content-type", "application/octet-stream")
                        .header("x-tenant", TENANTS[(n % TENANTS.len() as u64) as usize])
                        .body(vec![0u8; 64_000]),
                ),
                // A bad request now and then.
                9 => (
                    "POST /chat (invalid)",
                    client
                        .post(format!("{target}/chat"))
                        .header("content-type", "application/json")
                        .body(r#"{"question":""}"#),
                ),
                _ => {
                    let body = serde_json::json!({
                        "question": QUESTIONS[(n % QUESTIONS.len() as u64) as usize],
                        "tenant": TENANTS[(n % TENANTS.len() as u64) as usize],
                    });
                    let mut r = client
                        .post(format!("{target}/chat"))
                        .header("content-type", "application/json")
                        .body(body.to_string());
                    if let Some(f) = &fault {
                        r = r.header("x-demo-fault", f.as_str());
                    }
                    ("POST /chat", r)
                }
            };
            let sent = Instant::now();
            let status = req.send().await.ok().map(|r| r.status().as_u16());
            let _ = tx.send((endpoint, status, sent.elapsed()));
        });
        tally.sent += 1;
        while let Ok(r) = rx.try_recv() {
            count(&mut tally, r);
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            println!(
                "loadgen: {:>4.0}s sent {} ok {} 4xx {} 5xx {} failed {} {}",
                start.elapsed().as_secs_f64(),
                tally.sent,
                tally.ok,
                tally.client_errors,
                tally.server_errors,
                tally.failed,
                percentiles(&tally.all)
            );
        }
    }
    drop(tx);
    // Wait for the requests in flight (each bounded by the client timeout).
    while let Some(r) = rx.recv().await {
        count(&mut tally, r);
    }
    let took = start.elapsed().as_secs_f64();
    println!(
        "loadgen: done: sent {} ok {} 4xx {} 5xx {} failed {} in {took:.1}s {}",
        tally.sent,
        tally.ok,
        tally.client_errors,
        tally.server_errors,
        tally.failed,
        percentiles(&tally.all)
    );
    for (endpoint, h) in &tally.latency {
        println!(
            "loadgen: {endpoint}: {} requests, {}",
            h.len(),
            percentiles(h)
        );
    }
    if args.json {
        let endpoints: serde_json::Map<String, serde_json::Value> = tally
            .latency
            .iter()
            .map(|(e, h)| (e.to_string(), latency_json(h)))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "sent": tally.sent,
                "ok": tally.ok,
                "4xx": tally.client_errors,
                "5xx": tally.server_errors,
                "failed": tally.failed,
                "seconds": took,
                "latency": latency_json(&tally.all),
                "endpoints": endpoints,
            })
        );
    }
}

fn count(t: &mut Tally, (endpoint, status, took): Outcome) {
    let us = (took.as_micros() as u64).clamp(1, 600_000_000);
    let _ = t.all.record(us);
    let _ = t
        .latency
        .entry(endpoint)
        .or_insert_with(histogram)
        .record(us);
    match status {
        Some(s) if s < 400 => t.ok += 1,
        Some(s) if s < 500 => t.client_errors += 1,
        Some(_) => t.server_errors += 1,
        None => t.failed += 1,
    }
}
