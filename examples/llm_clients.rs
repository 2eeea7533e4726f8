//! LLM calls through the clients services use, each measured in the line that makes it:
//! async-openai through `genai::openai::Chat` (a plain call, a streamed one, and an agent
//! run with a tool call), and rig through `genai::rig::RigLayer`. The provider is a local
//! server speaking the OpenAI wire format, started in-process (or `OPENAI_BASE_URL` with
//! `OPENAI_API_KEY`). Prints what each call cost, shuts telemetry down, exits 0.
//!
//! ```text
//! cargo run --example llm_clients
//! ```

use async_openai::types::chat::{
    ChatCompletionRequestUserMessage, CreateChatCompletionRequestArgs,
};
use ferrotel::genai::{openai::Chat, rig::RigLayer, GenAi};
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // rig opens GenAI spans itself; the layer turns them into the same metrics.
    let telemetry = ferrotel::init_with_layers(
        ferrotel::Config::from_env()?.with_default_service_name("llm-clients"),
        vec![Box::new(RigLayer::new(GenAi::new()))],
    )?;
    let mock = match std::env::var("OPENAI_BASE_URL") {
        Ok(_) => None,
        Err(_) => Some(ferrotel::testing::openai::MockOpenAi::start()?),
    };
    let base = std::env::var("OPENAI_BASE_URL")
        .unwrap_or_else(|_| mock.as_ref().map(|m| m.base_url()).unwrap_or_default());
    let key = std::env::var("OPENAI_API_KEY").unwrap_or_else(|_| "sk-local".into());
    let request = |model: &str, prompt: &str| {
        CreateChatCompletionRequestArgs::default()
            .model(model)
            .messages([ChatCompletionRequestUserMessage::from(prompt).into()])
            .build()
    };

    // async-openai: one line per call.
    let genai = GenAi::new();
    let config = async_openai::config::OpenAIConfig::new()
        .with_api_base(&base)
        .with_api_key(&key);
    let chat = Chat::new(async_openai::Client::with_config(config), genai.clone());
    let answer = chat
        .create(request("gpt-4o-mini", "what is observability")?)
        .await?;
    println!(
        "async-openai: {}",
        answer.choices[0].message.content.as_deref().unwrap_or("")
    );
    let mut stream = chat
        .create_stream(request("gpt-4o-mini", "stream a short answer")?)
        .await?;
    let mut streamed = String::new();
    while let Some(chunk) = stream.next().await {
        if let Some(text) = chunk?.choices.first().and_then(|c| c.delta.content.clone()) {
            streamed.push_str(&text);
        }
    }
    println!("async-openai streamed: {streamed}");

    // An agent run: its LLM call and its tool call nest under it and are counted by it.
    let run = genai.agent_run("helper");
    let tool = run.tool_call("lookup", "function", Some("call_lookup"));
    tool.finish();
    let answer = chat
        .create_in(&run, request("gpt-4o-mini", "answer from the lookup")?)
        .await?;
    run.finish();
    println!(
        "agent run: {}",
        answer.choices[0].message.content.as_deref().unwrap_or("")
    );

    // rig: its own spans, measured by the layer.
    let rig = rig_core::providers::openai::OpenAIConfig::new(key.as_str())
        .with_base_url(base.as_str())
        .with_route(rig_core::providers::openai::Route::Chat)
        .client();
    let response = rig
        .completion("gpt-4o-mini")
        .call(rig_core::completion::CompletionRequest::new(
            "hello from rig",
        ))
        .await?;
    println!("rig: {}", response.text());

    // What the metrics say (the Prometheus exposition, in-process).
    if let Some(text) = telemetry.prometheus_exposition() {
        let scrape = ferrotel::testing::parse_exposition(&text)?;
        let tokens = |kind: &str| {
            scrape
                .value(
                    "gen_ai_client_token_usage_sum",
                    &[("gen_ai_token_type", kind)],
                )
                .unwrap_or(0.0)
        };
        let calls = scrape
            .value("gen_ai_client_operation_duration_seconds_count", &[])
            .unwrap_or(0.0);
        let cost = scrape.value("gen_ai_client_cost_total", &[]).unwrap_or(0.0);
        println!(
            "measured: {calls} calls, {} input and {} output tokens, ${cost:.6}",
            tokens("input"),
            tokens("output")
        );
    }
    if let Err(e) = telemetry.shutdown() {
        eprintln!("llm_clients: {e}");
    }
    Ok(())
}
