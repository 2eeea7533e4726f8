//! LLM calls against a local server speaking the OpenAI chat-completions wire
//! format, through a real HTTP client: spans from the OTLP receiver, metrics from
//! the parsed exposition, costs checked to the micro-dollar.

#[path = "../support/mod.rs"]
mod support;

use ferrotel::opentelemetry::trace::FutureExt as _;
use std::sync::OnceLock;

use ferrotel::failure::Failure;
use ferrotel::genai::GenAi;
use ferrotel::http::ClientTelemetry;
use ferrotel::testing::openai::MockOpenAi;
use serde_json::json;
use support::{attr, Installed};

struct World {
    installed: Installed,
    provider: MockOpenAi,
    genai: GenAi,
    http: ClientTelemetry,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        // rig's spans become metrics through the layer an application adds (genai::rig).
        let rig = ferrotel::genai::rig::RigLayer::new(GenAi::new());
        let installed = Installed::start_with_layers(
            "genai-test",
            &[("FERROTEL_GENAI_TENANT_LIMIT", "5")],
            vec![Box::new(rig)],
        );
        World {
            installed,
            provider: MockOpenAi::start().unwrap(),
            // Built after init: they take the installed pipeline's meter and settings.
            genai: GenAi::new(),
            http: ClientTelemetry::new(),
        }
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
    let mut call = w.genai.llm_call("openai", "chat", model);
    let cx = call.context();
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
        let mut resp = match w.http.send(req).await {
            Ok(r) => r,
            Err(e) => {
                call.fail(&e);
                return Err(e.to_string());
            }
        };
        if !resp.status().is_success() {
            let code = resp.status().as_u16().to_string();
            call.fail(&Failure::new(code.clone()));
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
    .with_context(cx)
    .await
}

fn scrape() -> ferrotel::testing::Scrape {
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
    drop(w.genai.llm_call("openai", "chat", "gpt-4.1-nano")); // abandoned before an answer
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

#[test]
fn content_is_captured_only_when_opted_in_and_redacted() {
    let w = world();
    let record = |genai: &GenAi, model: &'static str| {
        let call = genai.llm_call("openai", "chat", model);
        call.input_messages(&[(
            "user",
            "mail me at ann@example.com, my key is sk-proj-0123456789abcdefXYZ",
        )]);
        call.output_text("sure thing");
        call.finish(ferrotel::genai::TokenUsage::new(10, 2).with_reported_cost(0.0));
    };
    record(&w.genai, "capture-off-model");
    record(
        &w.genai.clone().with_content_capture(true),
        "capture-on-model",
    );
    w.installed.receiver.wait_for("both spans", |r| {
        let spans = r.spans();
        ["chat capture-off-model", "chat capture-on-model"]
            .iter()
            .all(|n| spans.iter().any(|(_, s)| s.name == *n))
    });
    let spans = w.installed.receiver.spans();
    let get = |n: &str| {
        spans
            .iter()
            .find(|(_, s)| s.name == n)
            .map(|(_, s)| s.clone())
            .unwrap()
    };
    let off = get("chat capture-off-model");
    assert!(
        attr(&off.attributes, "gen_ai.input.messages").is_none(),
        "no content unless opted in"
    );
    assert!(off
        .attributes
        .iter()
        .all(|kv| !format!("{:?}", kv.value).contains("ann@")));
    let on = get("chat capture-on-model");
    let input = attr(&on.attributes, "gen_ai.input.messages").expect("captured when opted in");
    assert!(
        input.contains("mail me at [REDACTED_EMAIL]") && input.contains("[REDACTED_SECRET]"),
        "{input}"
    );
    assert!(
        !input.contains("ann@example.com") && !input.contains("sk-proj-"),
        "{input}"
    );
    assert!(attr(&on.attributes, "gen_ai.output.messages")
        .unwrap()
        .contains("sure thing"));
}

#[test]
fn tenants_beyond_the_limit_share_one_series() {
    let w = world();
    // Spans off for the flood (a no-op dispatcher), so the other tests' spans are not
    // crowded out of the export queue; the metrics are what this test is about.
    tracing::dispatcher::with_default(&tracing::Dispatch::none(), || {
        for i in 0..100_000 {
            let call = w
                .genai
                .llm_call("openai", "chat", "tenant-model")
                .with_tenant(&format!("tenant-{i}"));
            call.finish(ferrotel::genai::TokenUsage::new(1, 1).with_reported_cost(0.001));
        }
    });
    let s = w.installed.scrape();
    let series: Vec<String> = s
        .find(
            "gen_ai_client_cost_total",
            &[("gen_ai_request_model", "tenant-model")],
        )
        .map(|x| x.labels["tenant"].clone())
        .collect();
    assert!(
        series.len() <= 5 + 1,
        "{} series for 100,000 tenants",
        series.len()
    );
    assert!(series.contains(&"other".to_string()));
    let total: f64 = s
        .find(
            "gen_ai_client_cost_total",
            &[("gen_ai_request_model", "tenant-model")],
        )
        .map(|x| x.value)
        .sum();
    assert!(
        (total - 100.0).abs() < 1e-6,
        "no cost lost to the guard: {total}"
    );
    assert!(
        s.find("gen_ai_client_operation_duration_seconds_count", &[])
            .all(|x| !x.labels.contains_key("tenant")),
        "tenant only on cost and tokens"
    );
}

#[test]
fn voice_calls_record_audio_seconds() {
    let w = world();
    let call = w.genai.llm_call("openai", "transcription", "whisper-1");
    call.audio_seconds(12.5);
    call.finish(ferrotel::genai::TokenUsage::new(0, 0).with_reported_cost(0.00125));
    let failed = w.genai.llm_call("openai", "speech", "tts-1");
    failed.fail(&Failure::new("timeout"));
    let s = w.installed.scrape();
    assert_eq!(
        s.value(
            "gen_ai_client_audio_processed_seconds_total",
            &[("gen_ai_operation_name", "transcription")]
        ),
        Some(12.5)
    );
    assert_eq!(
        s.value(
            "gen_ai_client_operation_duration_seconds_count",
            &[
                ("gen_ai_operation_name", "speech"),
                ("error_type", "timeout")
            ]
        ),
        Some(1.0)
    );
    let cost = s
        .value(
            "gen_ai_client_cost_total",
            &[("gen_ai_request_model", "whisper-1")],
        )
        .unwrap();
    assert!(close(cost, 0.00125), "the reported cost wins: {cost}");
}

#[test]
fn agent_runs_nest_llm_and_tool_calls() {
    let w = world();
    // A run that hits its step limit after a failed tool.
    let run = w.genai.agent_run("limited-agent");
    let call = run.llm_call("openai", "chat", "gpt-4o-mini");
    call.finish(ferrotel::genai::TokenUsage::new(10, 5));
    let tool = run.tool_call("flaky_search", "function", Some("call_1"));
    tool.fail(&Failure::new("tool_error"));
    run.step_limit_reached();
    let s = w.installed.scrape();
    let agent = ("gen_ai_agent_name", "limited-agent");
    assert_eq!(
        s.value(
            "gen_ai_invoke_agent_duration_seconds_count",
            &[agent, ("gen_ai_agent_outcome", "step_limit")]
        ),
        Some(1.0)
    );
    assert_eq!(
        s.value("gen_ai_invoke_agent_llm_calls_sum", &[agent]),
        Some(1.0)
    );
    assert_eq!(
        s.value("gen_ai_invoke_agent_tool_calls_sum", &[agent]),
        Some(1.0)
    );
    assert_eq!(
        s.value(
            "gen_ai_execute_tool_duration_seconds_count",
            &[
                ("gen_ai_tool_name", "flaky_search"),
                ("error_type", "tool_error")
            ]
        ),
        Some(1.0)
    );

    w.installed.receiver.wait_for("the run's spans", |r| {
        let spans = r.spans();
        [
            "invoke_agent limited-agent",
            "execute_tool flaky_search",
            "chat gpt-4o-mini",
        ]
        .iter()
        .all(|n| spans.iter().any(|(_, s)| s.name == *n))
    });
    let spans = w.installed.receiver.spans();
    let (_, run_span) = spans
        .iter()
        .find(|(_, s)| s.name == "invoke_agent limited-agent")
        .unwrap();
    let (_, tool_span) = spans
        .iter()
        .find(|(_, s)| s.name == "execute_tool flaky_search")
        .unwrap();
    assert_eq!(tool_span.parent_span_id, run_span.span_id);
    assert_eq!(
        attr(&tool_span.attributes, "gen_ai.tool.call.id").as_deref(),
        Some("call_1")
    );
    assert_eq!(
        attr(&run_span.attributes, "gen_ai.agent.outcome").as_deref(),
        Some("step_limit")
    );
    // Failures mark both spans: `error.type` and the error status (code 2).
    assert_eq!(
        attr(&run_span.attributes, "error.type").as_deref(),
        Some("step_limit")
    );
    assert_eq!(
        attr(&tool_span.attributes, "error.type").as_deref(),
        Some("tool_error")
    );
    for s in [run_span, tool_span] {
        assert_eq!(s.status.as_ref().map(|st| st.code), Some(2), "{}", s.name);
    }
    assert_eq!(
        attr(&run_span.attributes, "gen_ai.agent.name").as_deref(),
        Some("limited-agent")
    );
    assert!(spans
        .iter()
        .any(|(_, s)| s.name == "chat gpt-4o-mini" && s.parent_span_id == run_span.span_id));
}

#[test]
fn the_llm_agent_example_runs_end_to_end() {
    use support::{Example, Receiver};
    let rx = Receiver::start();
    let endpoint = rx.endpoint("http/protobuf");
    let out = Example::start(
        "llm_agent",
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())],
    )
    .wait_success();
    assert!(
        out.iter().any(|l| l.contains(
            "answer: Paris tomorrow: 14°C, light rain; tomorrow: museum visit, dinner at 8"
        )),
        "{out:#?}"
    );
    let spans = rx.spans();
    let (_, run) = spans
        .iter()
        .find(|(_, s)| s.name == "invoke_agent trip-planner")
        .expect("the run span");
    assert!(run.parent_span_id.is_empty(), "the run is the root");
    // LLM -> tool -> LLM -> tool -> LLM, in time order, all children of the run.
    let mut children: Vec<_> = spans
        .iter()
        .filter(|(_, s)| s.parent_span_id == run.span_id)
        .map(|(_, s)| s.clone())
        .collect();
    children.sort_by_key(|s| s.start_time_unix_nano);
    let names: Vec<&str> = children.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "chat gpt-4o-mini",
            "execute_tool get_weather",
            "chat gpt-4o-mini",
            "execute_tool get_calendar",
            "chat gpt-4o-mini"
        ]
    );
    // Each LLM call carries its HTTP request.
    for chat in children.iter().filter(|s| s.name == "chat gpt-4o-mini") {
        assert!(
            spans
                .iter()
                .any(|(_, s)| s.parent_span_id == chat.span_id && s.kind == 3),
            "HTTP span under {}",
            chat.name
        );
    }
    let metrics = rx.metrics();
    assert!(metrics.iter().any(|(_, m)| m.name == "gen_ai.client.cost"));
    assert!(metrics
        .iter()
        .any(|(_, m)| m.name == "gen_ai.invoke_agent.duration"));
}

#[test]
fn a_negative_or_nan_reported_cost_never_moves_the_cost_counter() {
    let w = world();
    let model = "bad-cost-model";
    for cost in [0.25, -100.0, f64::NAN, f64::INFINITY] {
        w.genai
            .llm_call("openai", "chat", model)
            .finish(ferrotel::genai::TokenUsage::new(1, 1).with_reported_cost(cost));
    }
    let s = w.installed.scrape();
    let m = [("gen_ai_request_model", model)];
    assert_eq!(s.value("gen_ai_client_cost_total", &m), Some(0.25));
    assert_eq!(s.value("gen_ai_client_cost_unpriced_total", &m), Some(3.0));
    // Tokens are still counted for every call.
    assert_eq!(
        s.value(
            "gen_ai_client_token_usage_count",
            &[m[0], ("gen_ai_token_type", "input")]
        ),
        Some(4.0)
    );
}

/// `genai::openai::Chat` over async-openai against the local OpenAI-compatible server:
/// one line per call, plain and streamed, with tokens, time to first chunk and cost.
#[test]
fn async_openai_calls_are_measured_in_one_line() {
    use async_openai::types::chat::{
        ChatCompletionRequestUserMessage, CreateChatCompletionRequest,
        CreateChatCompletionRequestArgs,
    };
    use futures_util::StreamExt;
    let w = world();
    let config = async_openai::config::OpenAIConfig::new()
        .with_api_base(w.provider.base_url())
        .with_api_key("sk-test");
    let chat =
        ferrotel::genai::openai::Chat::new(async_openai::Client::with_config(config), GenAi::new());
    let request = |model: &str, prompt: &str| -> CreateChatCompletionRequest {
        CreateChatCompletionRequestArgs::default()
            .model(model)
            .messages([ChatCompletionRequestUserMessage::from(prompt).into()])
            .build()
            .unwrap()
    };
    let (plain, streamed) = w.installed.runtime.block_on(async {
        let plain = chat
            .create(request("gpt-4.1-mini", "one two three"))
            .await
            .unwrap();
        let mut stream = chat
            .create_stream(request("gpt-4.1-nano", "four five six seven"))
            .await
            .unwrap();
        let mut text = String::new();
        let mut chunks = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            // The usage-only chunk (empty choices) was not asked for: it is not shown.
            assert!(
                !chunk.choices.is_empty(),
                "a usage-only chunk leaked: {chunk:?}"
            );
            chunks += 1;
            if let Some(t) = &chunk.choices[0].delta.content {
                text.push_str(t);
            }
        }
        assert!(chunks > 1);
        (plain, text)
    });
    assert_eq!(
        plain.choices[0].message.content.as_deref(),
        Some("echo: one two three")
    );
    assert_eq!(streamed, "echo: four five six seven");

    let s = scrape();
    for (model, input, output) in [("gpt-4.1-mini", 3.0, 4.0), ("gpt-4.1-nano", 4.0, 5.0)] {
        let m = ("gen_ai_request_model", model);
        assert_eq!(
            s.value(
                "gen_ai_client_token_usage_sum",
                &[m, ("gen_ai_token_type", "input")]
            ),
            Some(input),
            "{model}"
        );
        assert_eq!(
            s.value(
                "gen_ai_client_token_usage_sum",
                &[m, ("gen_ai_token_type", "output")]
            ),
            Some(output),
            "{model}"
        );
        assert!(
            s.value("gen_ai_client_cost_total", &[m]).unwrap_or(0.0) > 0.0,
            "{model} is priced"
        );
    }
    assert_eq!(
        s.value(
            "gen_ai_client_operation_time_to_first_chunk_seconds_count",
            &[("gen_ai_request_model", "gpt-4.1-nano")]
        ),
        Some(1.0)
    );
    // The token types recorded are input and output only (the dashboards say so).
    let types: std::collections::BTreeSet<&str> = s
        .find("gen_ai_client_token_usage_sum", &[])
        .filter_map(|x| x.labels.get("gen_ai_token_type").map(String::as_str))
        .collect();
    assert_eq!(types, ["input", "output"].into_iter().collect());
    assert_eq!(
        s.value(
            "gen_ai_client_operation_time_to_first_chunk_seconds_count",
            &[("gen_ai_request_model", "gpt-4.1-mini")]
        ),
        None,
        "a plain call has no first chunk"
    );
    w.installed
        .receiver
        .wait_for("the async-openai spans", |r| {
            let spans = r.spans();
            ["chat gpt-4.1-mini", "chat gpt-4.1-nano"]
                .iter()
                .all(|n| spans.iter().any(|(_, s)| s.name == *n))
        });
    let spans = w.installed.receiver.spans();
    let (_, span) = spans
        .iter()
        .find(|(_, s)| s.name == "chat gpt-4.1-nano")
        .unwrap();
    assert_eq!(
        attr(&span.attributes, "gen_ai.usage.input_tokens").as_deref(),
        Some("4")
    );
    assert!(attr(&span.attributes, "gen_ai.response.id")
        .is_some_and(|id| id.starts_with("chatcmpl-mock-")));
}

/// An API error is the call's failure with the HTTP status as `error.type`.
#[test]
fn async_openai_errors_carry_the_status() {
    use async_openai::types::chat::{
        ChatCompletionRequestUserMessage, CreateChatCompletionRequestArgs,
    };
    let w = world();
    let config = async_openai::config::OpenAIConfig::new()
        .with_api_base(w.provider.base_url())
        .with_api_key("sk-test")
        .with_header("x-mock-status", "503")
        .unwrap();
    let chat =
        ferrotel::genai::openai::Chat::new(async_openai::Client::with_config(config), GenAi::new());
    let request = CreateChatCompletionRequestArgs::default()
        .model("gpt-4.1")
        .messages([ChatCompletionRequestUserMessage::from("hi").into()])
        .build()
        .unwrap();
    let err = w
        .installed
        .runtime
        .block_on(chat.create(request))
        .unwrap_err();
    assert!(err.to_string().contains("mock error 503"), "{err}");
    let s = scrape();
    assert_eq!(
        s.value(
            "gen_ai_client_operation_duration_seconds_count",
            &[("gen_ai_request_model", "gpt-4.1"), ("error_type", "503")]
        ),
        Some(1.0)
    );
}

/// A real rig completion against the local OpenAI-compatible server: rig's own span is
/// exported as rig wrote it, and `RigLayer` records its tokens, duration and cost once.
#[test]
fn rig_completions_become_genai_metrics_once() {
    use rig_core::completion::CompletionRequest;
    use rig_core::providers::openai::{OpenAIConfig, Route};
    let w = world();
    let model = "o4-mini";
    let text = w.installed.runtime.block_on(async {
        let client = OpenAIConfig::new("sk-test")
            .with_base_url(w.provider.base_url())
            .with_route(Route::Chat)
            .client();
        let response = client
            .completion(model)
            .call(CompletionRequest::new("alpha beta gamma"))
            .await
            .unwrap();
        response.text()
    });
    assert!(text.contains("alpha beta gamma"), "{text}");

    // rig's span, as rig recorded it.
    w.installed.receiver.wait_for("rig's chat span", |r| {
        r.spans().iter().any(|(_, s)| {
            attr(&s.attributes, "gen_ai.request.model").as_deref() == Some(model)
                && attr(&s.attributes, "gen_ai.usage.input_tokens").is_some()
        })
    });
    let spans = w.installed.receiver.spans();
    let rig_spans: Vec<_> = spans
        .iter()
        .filter(|(_, s)| attr(&s.attributes, "gen_ai.request.model").as_deref() == Some(model))
        .collect();
    assert_eq!(
        rig_spans.len(),
        1,
        "one span for the call, rig's own: {rig_spans:?}"
    );
    let span = &rig_spans[0].1;
    let input: f64 = attr(&span.attributes, "gen_ai.usage.input_tokens")
        .unwrap()
        .parse()
        .unwrap();
    let output: f64 = attr(&span.attributes, "gen_ai.usage.output_tokens")
        .unwrap()
        .parse()
        .unwrap();

    // The metrics say the same, once.
    let s = scrape();
    let m = ("gen_ai_request_model", model);
    assert_eq!(
        s.value(
            "gen_ai_client_token_usage_sum",
            &[m, ("gen_ai_token_type", "input")]
        ),
        Some(input)
    );
    assert_eq!(
        s.value(
            "gen_ai_client_token_usage_sum",
            &[m, ("gen_ai_token_type", "output")]
        ),
        Some(output)
    );
    assert_eq!(
        s.value(
            "gen_ai_client_operation_duration_seconds_count",
            &[m, ("gen_ai_provider_name", "openai")]
        ),
        Some(1.0)
    );
    assert!(
        s.value("gen_ai_client_cost_total", &[m]).unwrap_or(0.0) > 0.0,
        "priced"
    );
}

/// `examples/llm_clients` as a user runs it: async-openai and rig calls measured, the
/// agent's call nested under its run, exit 0.
#[test]
fn the_llm_clients_example_measures_both_clients() {
    use support::{Example, Receiver};
    let rx = Receiver::start();
    let endpoint = rx.endpoint("http/protobuf");
    let out = Example::start(
        "llm_clients",
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())],
    )
    .wait_success();
    for line in [
        "async-openai: echo: what is observability",
        "async-openai streamed: echo: stream a short answer",
        "agent run: echo: answer from the lookup",
        "rig: echo: hello from rig",
        "measured: 4 calls, 14 input and 18 output tokens",
    ] {
        assert!(
            out.iter().any(|l| l.contains(line)),
            "{line:?} not in {out:#?}"
        );
    }
    let spans = rx.spans();
    let (_, run) = spans
        .iter()
        .find(|(_, s)| s.name == "invoke_agent helper")
        .expect("the run span");
    let nested: Vec<&str> = spans
        .iter()
        .filter(|(_, s)| s.parent_span_id == run.span_id)
        .map(|(_, s)| s.name.as_str())
        .collect();
    assert!(nested.contains(&"chat gpt-4o-mini"), "{nested:?}");
    assert!(nested.contains(&"execute_tool lookup"), "{nested:?}");
}

/// Cost is attributed: a call made while serving a request (inside `ServerLayer`'s span)
/// carries the route on its span and on the cost metric; an agent run's calls add up to
/// the run's cost on its span and in `gen_ai.invoke_agent.cost`; voice calls are priced
/// per character (and their audio counted) from the price table.
#[test]
fn cost_is_attributed_to_the_route_and_the_agent_run() {
    use ferrotel::genai::TokenUsage;
    let w = world();
    let app = axum::Router::new()
        .route(
            "/ask/{id}",
            axum::routing::get(|| async {
                let genai = &world().genai;
                let run = genai.agent_run("route-agent");
                // gpt-4o: $2.50 and $10 per million input and output tokens.
                run.llm_call("openai", "chat", "gpt-4o")
                    .finish(TokenUsage::new(1_000, 500)); // $0.0075
                run.llm_call("openai", "chat", "gpt-4o")
                    .finish(TokenUsage::new(2_000, 0)); // $0.005
                run.finish();
                // tts-1-hd: $30 per million characters.
                genai.llm_call("openai", "speech", "tts-1-hd").finish(
                    TokenUsage::new(0, 0)
                        .with_characters(1_000)
                        .with_audio_seconds(60.0),
                ); // $0.03
                "ok"
            }),
        )
        .layer(ferrotel::http::ServerLayer::new());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        let req = http::Request::get("/ask/7")
            .body(axum::body::Body::empty())
            .unwrap();
        tower::ServiceExt::oneshot(app, req).await.unwrap().status()
    });
    assert_eq!(status, 200);
    // A call outside any request has no route.
    w.genai
        .llm_call("openai", "chat", "gpt-4o")
        .finish(TokenUsage::new(1_000, 0));

    let s = scrape();
    let route = ("http_route", "/ask/{id}");
    let chat = s
        .value(
            "gen_ai_client_cost_total",
            &[route, ("gen_ai_request_model", "gpt-4o")],
        )
        .unwrap();
    assert!(close(chat, 0.0125), "{chat}");
    let speech = s
        .value(
            "gen_ai_client_cost_total",
            &[route, ("gen_ai_request_model", "tts-1-hd")],
        )
        .unwrap();
    assert!(close(speech, 0.03), "{speech}");
    assert_eq!(
        s.value(
            "gen_ai_client_audio_processed_seconds_total",
            &[
                ("gen_ai_operation_name", "speech"),
                ("gen_ai_request_model", "tts-1-hd")
            ]
        ),
        Some(60.0)
    );
    let agent = ("gen_ai_agent_name", "route-agent");
    let run_cost = s
        .value(
            "gen_ai_invoke_agent_cost_sum",
            &[agent, ("gen_ai_agent_outcome", "success")],
        )
        .unwrap();
    assert!(close(run_cost, 0.0125), "{run_cost}");
    assert_eq!(
        s.value("gen_ai_invoke_agent_cost_count", &[agent]),
        Some(1.0)
    );

    w.installed.receiver.wait_for("the route's spans", |r| {
        r.spans()
            .iter()
            .any(|(_, s)| s.name == "invoke_agent route-agent")
    });
    let spans = w.installed.receiver.spans();
    let (_, run_span) = spans
        .iter()
        .find(|(_, s)| s.name == "invoke_agent route-agent")
        .unwrap();
    let cost = attr(&run_span.attributes, "gen_ai.agent.cost").unwrap();
    assert!(close(cost.parse().unwrap(), 0.0125), "{cost}");
    let calls: Vec<_> = spans
        .iter()
        .filter(|(_, s)| s.name == "chat gpt-4o" && s.parent_span_id == run_span.span_id)
        .collect();
    assert_eq!(calls.len(), 2);
    for (_, c) in calls {
        assert_eq!(
            attr(&c.attributes, "http.route").as_deref(),
            Some("/ask/{id}")
        );
    }
}
