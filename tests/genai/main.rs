//! LLM calls against a local server speaking the OpenAI chat-completions wire
//! format, through a real HTTP client: spans from the OTLP receiver, metrics from
//! the parsed exposition, costs checked to the micro-dollar.

#[path = "../support/mod.rs"]
mod support;

use std::sync::OnceLock;

use otelkit::genai::LlmCall;
use otelkit::http::SendTraced;
use otelkit::testing::openai::MockOpenAi;
use serde_json::json;
use support::{attr, Installed};
use tracing::Instrument;

struct World {
    installed: Installed,
    provider: MockOpenAi,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| World {
        installed: Installed::start("genai-test", &[]),
        provider: MockOpenAi::start().unwrap(),
    })
}

/// A chat completion the way an application would make it: an `LlmCall` around a
/// traced HTTP request, usage read from the response body.
async fn chat(
    model: &str,
    prompt: &str,
    stream: bool,
    fault: Option<&str>,
) -> Result<String, String> {
    let w = world();
    let mut call = LlmCall::start("openai", "chat", model);
    let span = call.span().clone();
    async move {
        let body = json!({
            "model": model,
            "messages": [{ "role": "user", "content": prompt }],
            "stream": stream,
            "stream_options": { "include_usage": true },
        });
        let mut req = reqwest::Client::new()
            .post(format!("{}/chat/completions", w.provider.base_url()))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(f) = fault {
            req = req.header("x-mock-status", f);
        }
        let mut resp = match req.send_traced().await {
            Ok(r) => r,
            Err(e) => {
                call.fail("transport");
                return Err(e.to_string());
            }
        };
        if !resp.status().is_success() {
            let code = resp.status().as_u16().to_string();
            call.fail(&code);
            return Err(code);
        }
        if !stream {
            let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            call.response(v["id"].as_str().unwrap_or(""), &["stop"]);
            call.finish_with_body("chat", &bytes);
            return Ok(v["choices"][0]["message"]["content"]
                .as_str()
                .unwrap_or("")
                .to_string());
        }
        call.streaming();
        let mut raw = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
            call.first_chunk();
            raw.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&raw).into_owned();
        let mut reply = String::new();
        let mut usage_chunk = None;
        for data in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
            if data == "[DONE]" {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(data).unwrap();
            if let Some(c) = v["choices"][0]["delta"]["content"].as_str() {
                reply.push_str(c);
            }
            if v.get("usage").is_some() {
                usage_chunk = Some(data.to_string());
            }
        }
        call.finish_with_body("chat", usage_chunk.unwrap_or_default().as_bytes());
        Ok(reply)
    }
    .instrument(span)
    .await
}

fn scrape() -> otelkit::testing::Scrape {
    world().installed.scrape()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn a_plain_call_records_tokens_duration_and_exact_cost() {
    let w = world();
    let reply = w
        .installed
        .runtime
        .block_on(chat("gpt-4o", "alpha beta gamma delta", false, None))
        .unwrap();
    assert_eq!(reply, "echo: alpha beta gamma delta");
    let s = scrape();
    let m = |extra: (&'static str, &'static str)| {
        [
            ("gen_ai_request_model", "gpt-4o"),
            ("gen_ai_operation_name", "chat"),
            ("gen_ai_provider_name", "openai"),
            extra,
        ]
    };
    // 4 prompt words in, 5 reply words out.
    assert_eq!(
        s.value(
            "gen_ai_client_token_usage_sum",
            &m(("gen_ai_token_type", "input"))
        ),
        Some(4.0)
    );
    assert_eq!(
        s.value(
            "gen_ai_client_token_usage_sum",
            &m(("gen_ai_token_type", "output"))
        ),
        Some(5.0)
    );
    assert_eq!(
        s.value(
            "gen_ai_client_operation_duration_seconds_count",
            &m(("gen_ai_response_model", "gpt-4o"))
        ),
        Some(1.0)
    );
    // gpt-4o: $2.50 in, $10 out per million tokens.
    let cost = s
        .value(
            "gen_ai_client_cost_total",
            &[("gen_ai_request_model", "gpt-4o")],
        )
        .unwrap();
    assert!(close(cost, 4.0 * 2.5e-6 + 5.0 * 10e-6), "{cost}");

    w.installed.receiver.wait_for("the chat span", |r| {
        r.spans().iter().any(|(_, s)| s.name == "chat gpt-4o")
    });
    let spans = w.installed.receiver.spans();
    let (_, call) = spans.iter().find(|(_, s)| s.name == "chat gpt-4o").unwrap();
    assert_eq!(call.kind, 3);
    assert_eq!(
        attr(&call.attributes, "gen_ai.provider.name").as_deref(),
        Some("openai")
    );
    assert_eq!(
        attr(&call.attributes, "gen_ai.usage.input_tokens").as_deref(),
        Some("4")
    );
    assert_eq!(
        attr(&call.attributes, "gen_ai.usage.output_tokens").as_deref(),
        Some("5")
    );
    assert!(attr(&call.attributes, "gen_ai.response.id")
        .unwrap()
        .starts_with("chatcmpl-mock-"));
    // The HTTP request nests under the call; no prompt text anywhere.
    let http = spans
        .iter()
        .find(|(_, s)| s.parent_span_id == call.span_id)
        .map(|(_, s)| s.clone())
        .expect("the HTTP client span");
    assert_eq!(
        attr(&http.attributes, "http.request.method").as_deref(),
        Some("POST")
    );
    for (_, s) in &spans {
        assert!(
            s.attributes
                .iter()
                .all(|kv| !format!("{:?}", kv.value).contains("alpha beta")),
            "prompt text leaked into {}",
            s.name
        );
    }
}

#[test]
fn a_streamed_call_records_time_to_first_chunk() {
    let w = world();
    let reply = w
        .installed
        .runtime
        .block_on(chat("gpt-4o-mini", "stream these few words", true, None))
        .unwrap();
    assert_eq!(reply, "echo: stream these few words");
    let s = scrape();
    let l = [("gen_ai_request_model", "gpt-4o-mini")];
    assert_eq!(
        s.value(
            "gen_ai_client_operation_time_to_first_chunk_seconds_count",
            &l
        ),
        Some(1.0)
    );
    assert_eq!(
        s.value(
            "gen_ai_client_token_usage_sum",
            &[l[0], ("gen_ai_token_type", "input")]
        ),
        Some(4.0)
    );
    assert!(s.value("gen_ai_client_cost_total", &l).unwrap() > 0.0);
}

#[test]
fn failed_and_cancelled_calls_are_errors_not_losses() {
    let w = world();
    let err = w
        .installed
        .runtime
        .block_on(chat("gpt-4.1", "this will be refused", false, Some("429")))
        .unwrap_err();
    assert_eq!(err, "429");
    drop(LlmCall::start("openai", "chat", "gpt-4.1-nano")); // abandoned before an answer
    let s = scrape();
    assert_eq!(
        s.value(
            "gen_ai_client_operation_duration_seconds_count",
            &[("gen_ai_request_model", "gpt-4.1"), ("error_type", "429")]
        ),
        Some(1.0)
    );
    assert_eq!(
        s.value(
            "gen_ai_client_operation_duration_seconds_count",
            &[
                ("gen_ai_request_model", "gpt-4.1-nano"),
                ("error_type", "cancelled")
            ]
        ),
        Some(1.0)
    );
    assert!(
        s.value(
            "gen_ai_client_cost_total",
            &[("gen_ai_request_model", "gpt-4.1")]
        )
        .is_none(),
        "no cost for a failed call"
    );
}

#[test]
fn unknown_models_are_unpriced_not_free() {
    let w = world();
    for _ in 0..2 {
        w.installed
            .runtime
            .block_on(chat("mock-model-x", "who prices me", false, None))
            .unwrap();
    }
    let s = scrape();
    assert_eq!(
        s.value(
            "gen_ai_client_cost_unpriced_total",
            &[("gen_ai_request_model", "mock-model-x")]
        ),
        Some(2.0)
    );
    assert!(
        s.value(
            "gen_ai_client_cost_total",
            &[("gen_ai_request_model", "mock-model-x")]
        )
        .is_none(),
        "never a silent $0"
    );
    assert_eq!(
        s.value(
            "gen_ai_client_token_usage_sum",
            &[
                ("gen_ai_request_model", "mock-model-x"),
                ("gen_ai_token_type", "input")
            ]
        ),
        Some(6.0)
    );
    w.installed.receiver.wait_for("the unpriced warning", |r| {
        r.logs().iter().any(|(_, l)| {
            format!("{:?}", l.body).contains("no price for this call")
                && attr(&l.attributes, "model").as_deref() == Some("mock-model-x")
        })
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let warnings = w
        .installed
        .receiver
        .logs()
        .iter()
        .filter(|(_, l)| attr(&l.attributes, "model").as_deref() == Some("mock-model-x"))
        .count();
    assert_eq!(warnings, 1, "warned once per model");
}

#[test]
fn cached_input_is_priced_at_the_cached_rate_once() {
    let w = world();
    // 10 prompt words, the mock reports half of them cached.
    w.installed
        .runtime
        .block_on(chat(
            "gpt-4o-2024-11-20",
            "[cached] one two three four five six seven eight nine",
            false,
            None,
        ))
        .unwrap();
    let s = scrape();
    let cost = s
        .value(
            "gen_ai_client_cost_total",
            &[("gen_ai_request_model", "gpt-4o-2024-11-20")],
        )
        .unwrap();
    // 5 plain × $2.50 + 5 cached × $1.25 in; "echo:" + 9 words = 11 out × $10, per Mtok.
    let expected = (5.0 * 2.5 + 5.0 * 1.25 + 11.0 * 10.0) / 1e6;
    assert!(close(cost, expected), "{cost} != {expected}");
}
