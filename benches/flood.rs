//! A cardinality flood: 1,000,000 distinct values through each instrument that takes a
//! caller-supplied label, on ferrotel's pipeline with its default series limit (2,000 per
//! instrument). For each: the most series any of its metrics shows on `/metrics`, and how
//! much resident memory the process grew while it ran (read from /proc after one warm-up
//! call, which loads what is made once, and before the scrape, whose text is transient).
//! Each flood runs in a process of its own.
//!
//! ```text
//! cargo bench --bench flood
//! ```
//!
//! Prints a Markdown table for BENCHMARKS.md.

use std::time::Instant;

use ferrotel::cache::Cache;
use ferrotel::db::Db;
use ferrotel::genai::{GenAi, TokenUsage};
use ferrotel::queue::Queue;
use opentelemetry::KeyValue;

const VALUES: u32 = 1_000_000;
const FLOODS: usize = 7;

fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

/// The most series of any metric whose name starts with one of `prefixes`.
fn most_series(exposition: &str, prefixes: &[&str]) -> (String, usize) {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for line in exposition.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap_or("");
        // Histograms: count one series per label set, on _count.
        let base = name
            .strip_suffix("_bucket")
            .or_else(|| name.strip_suffix("_sum"));
        if base.is_some() {
            continue;
        }
        if prefixes.iter().any(|p| name.starts_with(p)) {
            *counts.entry(name.to_string()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    // Each flood runs in a process of its own, so one flood's heap (or a scrape's) is
    // not what the next one grows into.
    let only: Option<usize> = args
        .iter()
        .position(|a| a == "--flood")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok());
    let Some(only) = only else {
        println!("| instrument, flooded with 1,000,000 distinct values | most series of one metric on /metrics | resident memory grown | time |");
        println!("|---|---:|---:|---:|");
        for n in 0..FLOODS {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--bench", "--flood", &n.to_string()])
                .output()
                .unwrap();
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
        return;
    };
    let telemetry = ferrotel::init(
        ferrotel::Config::from_vars([
            ("OTEL_SERVICE_NAME", "flood-bench"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "0"),
            ("FERROTEL_STARTUP_LOG", "false"),
        ])
        .unwrap()
        .without_global_subscriber(),
    )
    .unwrap();
    let meter = telemetry.meter("flood");
    let genai = GenAi::with_meter(&meter);
    let db = Db::new("postgresql").with_meter(&meter);
    let users = meter.u64_counter("flood.logins").build();

    type Flood<'a> = (&'a str, &'a [&'a str], Box<dyn Fn(u32) + 'a>);
    let floods: Vec<Flood> = vec![
        (
            "a counter of the application's, labelled by user id (the SDK alone)",
            &["flood_logins"],
            Box::new(|i| users.add(1, &[KeyValue::new("user.id", i.to_string())])),
        ),
        (
            "`LlmCall` with a distinct model name each (`gen_ai.request.model`)",
            &["gen_ai_client_", "gen_ai_client_cost_unpriced"],
            Box::new(|i| {
                genai
                    .llm_call("openai", "chat", &format!("model-{i}"))
                    .finish(TokenUsage::new(10, 5))
            }),
        ),
        (
            "`LlmCall::with_tenant`, a distinct tenant each",
            &["gen_ai_client_token_usage", "gen_ai_client_cost_total"],
            Box::new(|i| {
                genai
                    .llm_call("openai", "chat", "gpt-4o-mini")
                    .with_tenant(&format!("tenant-{i}"))
                    .finish(TokenUsage::new(10, 5))
            }),
        ),
        (
            "`Db::query`, a distinct table each (`db.collection.name`, `db.query.summary`)",
            &["db_client_"],
            Box::new(|i| {
                db.query(&format!("SELECT id FROM t{i} WHERE id = 1"))
                    .finish(Some(1))
            }),
        ),
        (
            "`Cache`, a distinct cache name each",
            &["cache_"],
            Box::new(|i| {
                Cache::new(format!("cache-{i}"))
                    .with_meter(&meter)
                    .start("get")
                    .hit();
            }),
        ),
        (
            "`Queue`, a distinct queue name each",
            &["queue_"],
            Box::new(|i| {
                Queue::with_meter(format!("queue-{i}"), &meter)
                    .enqueued()
                    .dequeued()
                    .finish()
            }),
        ),
        (
            "`AgentRun` and `ToolCall`, a distinct agent and tool name each",
            &["gen_ai_invoke_agent", "gen_ai_execute_tool"],
            Box::new(|i| {
                let run = genai.agent_run(&format!("agent-{i}"));
                run.tool_call(&format!("tool-{i}"), "function", None)
                    .finish();
                run.finish();
            }),
        ),
    ];

    assert_eq!(floods.len(), FLOODS);
    for (what, prefixes, f) in floods.iter().skip(only).take(1) {
        // One call first: what is made once (the price data, parsed on first use: about
        // 17 MiB) is not growth.
        f(u32::MAX);
        let before = rss();
        let start = Instant::now();
        for i in 0..VALUES {
            f(i);
        }
        let took = start.elapsed();
        // Measured before the scrape: rendering /metrics allocates its text (tens of MiB
        // for 2,000 histogram series) for the length of the scrape.
        let grown = rss().saturating_sub(before);
        let exposition = telemetry.prometheus_exposition().unwrap();
        let (metric, series) = most_series(&exposition, prefixes);
        println!(
            "| {what} | {series} (`{metric}`) | {:.2} MiB | {:.1} s |",
            grown as f64 / (1 << 20) as f64,
            took.as_secs_f64()
        );
    }
    let _ = telemetry.shutdown();
}
