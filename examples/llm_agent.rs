//! An agent that answers a question with two tool calls, instrumented end to end:
//! `invoke_agent` → `chat` (LLM) → `execute_tool` → `chat` → `execute_tool` → `chat`,
//! with tokens, cost, tool durations and the run's outcome. The LLM is a local server
//! speaking the OpenAI chat-completions wire format, started in-process. Runs to
//! completion, shuts telemetry down and exits 0.
//!
//! ```text
//! cargo run --example llm_agent
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 cargo run --example llm_agent
//! ```

use ferrotel::failure::Failure;
use ferrotel::genai::{AgentRun, GenAi};
use ferrotel::http::ClientTelemetry;
use ferrotel::opentelemetry::trace::FutureExt as _;
use ferrotel::testing::openai::MockOpenAi;
use serde_json::{json, Value};
use tracing::info;

const MAX_STEPS: usize = 6;
const MODEL: &str = "gpt-4o-mini";

/// The agent's tools: what they are called and what they answer.
fn run_tool(name: &str) -> Result<String, String> {
    match name {
        "get_weather" => Ok("Paris tomorrow: 14°C, light rain".to_string()),
        "get_calendar" => Ok("tomorrow: museum visit, dinner at 8".to_string()),
        other => Err(format!("no tool called {other}")),
    }
}

async fn chat(
    http: &ClientTelemetry,
    client: &reqwest::Client,
    base: &str,
    run: &AgentRun,
    messages: &[Value],
) -> Result<Value, String> {
    let call = run.llm_call("openai", "chat", MODEL).with_tenant("acme");
    let cx = call.context();
    async move {
        let request = json!({
            "model": MODEL,
            "messages": messages,
            "tools": [
                { "type": "function", "function": { "name": "get_weather", "parameters": { "type": "object" } } },
                { "type": "function", "function": { "name": "get_calendar", "parameters": { "type": "object" } } },
            ],
        });
        let response = http
            .send(
                client
                    .post(format!("{base}/chat/completions"))
                    .header("content-type", "application/json")
                    .body(request.to_string()),
            )
            .await;
        let response = match response {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                call.fail(&Failure::new(r.status().as_str().to_string()));
                return Err(format!("the provider answered {}", r.status()));
            }
            Err(e) => {
                call.fail(&e);
                return Err(e.to_string());
            }
        };
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        let finish = value["choices"][0]["finish_reason"].as_str().unwrap_or("");
        call.response(value["id"].as_str().unwrap_or(""), &[finish]);
        call.finish_with_body("chat", &body);
        Ok(value["choices"][0]["message"].clone())
    }
    .with_context(cx)
    .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry =
        ferrotel::init(ferrotel::Config::from_env()?.with_default_service_name("llm-agent"))?;
    let provider = MockOpenAi::start()?;
    let client = reqwest::Client::new();
    let question = "What should I pack for Paris tomorrow?";
    println!(
        "llm_agent: asking {question:?} (LLM at {})",
        provider.base_url()
    );

    let genai = GenAi::new();
    let http = ClientTelemetry::new();
    let run = genai
        .agent_run("trip-planner")
        .with_conversation_id("conv-1");
    let answer = async {
        let mut messages = vec![json!({ "role": "user", "content": question })];
        for step in 1..=MAX_STEPS {
            let message = chat(&http, &client, &provider.base_url(), &run, &messages).await?;
            messages.push(message.clone());
            let Some(calls) = message["tool_calls"].as_array().filter(|c| !c.is_empty()) else {
                return Ok::<_, String>(Some(
                    message["content"].as_str().unwrap_or("").to_string(),
                ));
            };
            for c in calls {
                let name = c["function"]["name"].as_str().unwrap_or("");
                let id = c["id"].as_str().unwrap_or("");
                let tool = run.tool_call(name, "function", Some(id));
                let result = run_tool(name);
                info!(step, tool = name, ok = result.is_ok(), "tool called");
                let content = match result {
                    Ok(r) => {
                        tool.finish();
                        r
                    }
                    Err(e) => {
                        tool.fail(&Failure::new("tool_error"));
                        e
                    }
                };
                messages.push(json!({ "role": "tool", "tool_call_id": id, "content": content }));
            }
        }
        Ok(None)
    }
    .with_context(run.context())
    .await;

    match answer {
        Ok(Some(text)) => {
            run.finish();
            println!("llm_agent: {text}");
        }
        Ok(None) => {
            run.step_limit_reached();
            println!("llm_agent: no answer within {MAX_STEPS} steps");
        }
        Err(e) => {
            run.fail(&Failure::new("llm_error"));
            println!("llm_agent: failed: {e}");
        }
    }
    // The exit code never depends on the telemetry backend: say what was lost, exit 0.
    if let Err(e) = telemetry.shutdown() {
        println!("llm_agent: {e}");
    }
    println!("llm_agent: telemetry flushed, bye");
    Ok(())
}
