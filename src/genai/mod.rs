//! GenAI telemetry: LLM calls with token usage, time to first chunk and cost
//! (feature `genai`).
//!
//! ```
//! use ferrotel::genai::{LlmCall, TokenUsage};
//!
//! let call = LlmCall::start("openai", "chat", "gpt-4o-mini");
//! // ... send the request, read the response ...
//! call.finish(TokenUsage::new(1_200, 300).with_cached_input(1_000));
//! ```
//!
//! A call opens a client span `{operation} {model}` with the GenAI semantic-convention
//! attributes and records `gen_ai.client.token.usage` (by `gen_ai.token.type`
//! `input`/`output`), `gen_ai.client.operation.duration`,
//! `gen_ai.client.operation.time_to_first_chunk` (streaming) and `gen_ai.client.cost`
//! (US dollars). Cached input tokens are part of the input count and priced at the
//! cached rate; reasoning tokens are part of the output count. A model the price table
//! does not know is never a silent $0: no cost is recorded,
//! `gen_ai.client.cost.unpriced` rises, and a warning is logged once per model. A
//! call dropped before `finish`/`fail` records `error.type=cancelled`.

mod agent;
mod content;
mod pricing;

pub use agent::{AgentRun, Outcome as AgentOutcome, ToolCall};
pub use content::redact;
pub use pricing::{set_price_table, PriceError, PriceTable, Rates, Unpriced};

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use tracing_opentelemetry::OpenTelemetrySpanExt;

static CAPTURE: AtomicBool = AtomicBool::new(false);
static CAPTURE_MAX: AtomicUsize = AtomicUsize::new(1000);
static TENANT_LIMIT: AtomicUsize = AtomicUsize::new(100);

/// Applies the configuration `init` read (content capture, its length, the tenant limit).
pub(crate) fn configure(capture: bool, max_chars: usize, tenant_limit: usize) {
    CAPTURE.store(capture, Ordering::Relaxed);
    CAPTURE_MAX.store(max_chars, Ordering::Relaxed);
    TENANT_LIMIT.store(tenant_limit, Ordering::Relaxed);
}

/// Turns message-content capture on or off for the process (what
/// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` sets at `init`).
pub fn set_content_capture(on: bool) {
    CAPTURE.store(on, Ordering::Relaxed);
}

/// The label a tenant is recorded under: its own name for the first `limit` tenants
/// seen, `other` for the rest, so the number of series stays bounded.
fn tenant_label(tenant: &str) -> Arc<str> {
    static ADMITTED: OnceLock<RwLock<HashSet<Arc<str>>>> = OnceLock::new();
    static OTHER: OnceLock<Arc<str>> = OnceLock::new();
    let admitted = ADMITTED.get_or_init(|| RwLock::new(HashSet::new()));
    if let Ok(set) = admitted.read() {
        if let Some(t) = set.get(tenant) {
            return t.clone();
        }
    }
    if let Ok(mut set) = admitted.write() {
        if let Some(t) = set.get(tenant) {
            return t.clone();
        }
        if set.len() < TENANT_LIMIT.load(Ordering::Relaxed) {
            let t: Arc<str> = Arc::from(tenant);
            set.insert(t.clone());
            return t;
        }
    }
    OTHER.get_or_init(|| Arc::from("other")).clone()
}

use opentelemetry::metrics::{Counter, Histogram};
use opentelemetry::KeyValue;

use crate::{catalog, names};

/// Tokens a call used. `input` includes cached reads and writes; `output` includes reasoning.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct TokenUsage {
    /// Input (prompt) tokens, cached ones included.
    pub input: u64,
    /// Output (completion) tokens, reasoning included.
    pub output: u64,
    /// Of `input`, tokens read from the provider's cache.
    pub cached_input: u64,
    /// Of `input`, tokens written to the provider's cache.
    pub cache_write: u64,
    /// Of `output`, reasoning tokens.
    pub reasoning: u64,
    /// The model that answered, if the response says (`gen_ai.response.model`).
    pub response_model: Option<String>,
    /// The provider's own figure for the cost, in US dollars; wins over the table.
    pub reported_cost: Option<f64>,
}

impl TokenUsage {
    /// Input and output tokens.
    pub fn new(input: u64, output: u64) -> Self {
        TokenUsage {
            input,
            output,
            ..TokenUsage::default()
        }
    }

    /// Of the input, this many were read from the cache.
    pub fn with_cached_input(mut self, tokens: u64) -> Self {
        self.cached_input = tokens;
        self
    }

    /// Of the input, this many were written to the cache.
    pub fn with_cache_write(mut self, tokens: u64) -> Self {
        self.cache_write = tokens;
        self
    }

    /// Of the output, this many were reasoning.
    pub fn with_reasoning(mut self, tokens: u64) -> Self {
        self.reasoning = tokens;
        self
    }

    /// The model that answered.
    pub fn with_response_model(mut self, model: impl Into<String>) -> Self {
        self.response_model = Some(model.into());
        self
    }

    /// The provider reported this cost (US dollars); it is recorded instead of the table's.
    pub fn with_reported_cost(mut self, usd: f64) -> Self {
        self.reported_cost = Some(usd);
        self
    }
}

struct Instruments {
    tokens: Histogram<u64>,
    duration: Histogram<f64>,
    ttfc: Histogram<f64>,
    cost: Counter<f64>,
    unpriced: Counter<u64>,
    audio: Counter<f64>,
    warned: Mutex<HashSet<String>>,
}

fn instruments() -> &'static Instruments {
    static I: OnceLock<Instruments> = OnceLock::new();
    I.get_or_init(|| {
        let meter = opentelemetry::global::meter("ferrotel");
        let t = &catalog::GEN_AI_CLIENT_TOKEN_USAGE;
        let d = &catalog::GEN_AI_CLIENT_OPERATION_DURATION;
        let f = &catalog::GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK;
        let c = &catalog::GEN_AI_CLIENT_COST;
        let seconds = vec![
            0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
        ];
        Instruments {
            tokens: t.u64_histogram(
                &meter,
                vec![
                    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0,
                    1048576.0, 4194304.0, 16777216.0, 67108864.0,
                ],
            ),
            duration: d.f64_histogram(&meter, seconds.clone()),
            ttfc: f.f64_histogram(&meter, seconds),
            cost: c.f64_counter(&meter),
            unpriced: catalog::GEN_AI_CLIENT_COST_UNPRICED.u64_counter(&meter),
            audio: catalog::GEN_AI_CLIENT_AUDIO_PROCESSED.f64_counter(&meter),
            warned: Mutex::new(HashSet::new()),
        }
    })
}

/// One LLM call: a guard that opens the span and the timer, and records tokens,
/// duration and cost when finished, failed or dropped.
#[derive(Debug)]
pub struct LlmCall {
    span: tracing::Span,
    start: Instant,
    first_chunk: Option<Instant>,
    provider: String,
    model: String,
    attrs: Vec<KeyValue>,
    tenant: Option<Arc<str>>,
    done: bool,
}

impl LlmCall {
    /// Starts a call to `provider` (`gen_ai.provider.name`: `openai`, `anthropic`, …)
    /// doing `operation` (`chat`, `text_completion`, `embeddings`, `transcription`,
    /// `speech`, …) with `model`.
    pub fn start(provider: &str, operation: &str, model: &str) -> LlmCall {
        let span = tracing::info_span!(
            target: "ferrotel::genai",
            "gen_ai call",
            otel.name = %format!("{operation} {model}"),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            gen_ai.operation.name = operation,
            gen_ai.provider.name = provider,
            gen_ai.request.model = model,
            gen_ai.request.stream = tracing::field::Empty,
            gen_ai.response.model = tracing::field::Empty,
            gen_ai.response.id = tracing::field::Empty,
            gen_ai.response.finish_reasons = tracing::field::Empty,
            gen_ai.usage.input_tokens = tracing::field::Empty,
            gen_ai.usage.output_tokens = tracing::field::Empty,
            gen_ai.usage.cache_read.input_tokens = tracing::field::Empty,
            gen_ai.usage.reasoning.output_tokens = tracing::field::Empty,
            gen_ai.client.cost = tracing::field::Empty,
            gen_ai.conversation.id = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        LlmCall {
            span,
            start: Instant::now(),
            first_chunk: None,
            provider: provider.to_string(),
            model: model.to_string(),
            attrs: vec![
                KeyValue::new(names::GEN_AI_OPERATION_NAME, operation.to_string()),
                KeyValue::new(names::GEN_AI_PROVIDER_NAME, provider.to_string()),
                KeyValue::new(names::GEN_AI_REQUEST_MODEL, model.to_string()),
            ],
            tenant: None,
            done: false,
        }
    }

    /// `gen_ai.conversation.id` (a span attribute, never a metric label).
    pub fn with_conversation_id(self, id: &str) -> Self {
        self.span.record("gen_ai.conversation.id", id);
        self
    }

    /// Attributes the call's tokens and cost to `tenant` (a `tenant` label on those two
    /// metrics only). The first tenants seen, up to the limit (`FERROTEL_GENAI_TENANT_LIMIT`,
    /// default 100), get their own label; the rest are `other`. Never pass a user id.
    pub fn with_tenant(mut self, tenant: &str) -> Self {
        self.tenant = Some(tenant_label(tenant));
        self
    }

    /// Seconds of audio this voice call processed (transcription input, speech output).
    pub fn audio_seconds(&self, seconds: f64) {
        instruments().audio.add(seconds, &self.attrs);
    }

    /// Whether message content is being captured (opt-in).
    pub fn captures_content() -> bool {
        CAPTURE.load(Ordering::Relaxed)
    }

    /// Records the input messages (`role`, `text`) as `gen_ai.input.messages` — only when
    /// content capture is on, truncated and with secrets and e-mail addresses redacted.
    pub fn input_messages(&self, messages: &[(&str, &str)]) {
        if !Self::captures_content() {
            return;
        }
        let max = CAPTURE_MAX.load(Ordering::Relaxed);
        let json: Vec<serde_json::Value> = messages
            .iter()
            .map(|(role, text)| serde_json::json!({ "role": role, "parts": [{ "type": "text", "content": redact(text, max) }] }))
            .collect();
        self.span.set_attribute(
            "gen_ai.input.messages",
            serde_json::Value::Array(json).to_string(),
        );
    }

    /// Records the output text as `gen_ai.output.messages` — only when content capture is
    /// on, truncated and redacted.
    pub fn output_text(&self, text: &str) {
        if !Self::captures_content() {
            return;
        }
        let max = CAPTURE_MAX.load(Ordering::Relaxed);
        let json = serde_json::json!([{ "role": "assistant", "parts": [{ "type": "text", "content": redact(text, max) }] }]);
        self.span
            .set_attribute("gen_ai.output.messages", json.to_string());
    }

    /// The call's span: enter it (or `.instrument` the request with it) so the HTTP
    /// client span nests under it.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Marks the call as streaming.
    pub fn streaming(&self) {
        self.span.record("gen_ai.request.stream", true);
    }

    /// The first chunk of a streamed response arrived: records time to first chunk (once).
    pub fn first_chunk(&mut self) {
        if self.first_chunk.is_none() {
            self.first_chunk = Some(Instant::now());
            self.span.record("gen_ai.request.stream", true);
        }
    }

    /// The response's id (`gen_ai.response.id`) and finish reasons.
    pub fn response(&self, id: &str, finish_reasons: &[&str]) {
        self.span.record("gen_ai.response.id", id);
        if !finish_reasons.is_empty() {
            self.span.record(
                "gen_ai.response.finish_reasons",
                finish_reasons.join(",").as_str(),
            );
        }
    }

    /// The call succeeded with `usage`.
    pub fn finish(mut self, usage: TokenUsage) {
        let i = instruments();
        let mut attrs = std::mem::take(&mut self.attrs);
        if let Some(m) = &usage.response_model {
            self.span.record("gen_ai.response.model", m.as_str());
            attrs.push(KeyValue::new(names::GEN_AI_RESPONSE_MODEL, m.clone()));
        }
        self.span.record("gen_ai.usage.input_tokens", usage.input);
        self.span.record("gen_ai.usage.output_tokens", usage.output);
        if usage.cached_input > 0 {
            self.span
                .record("gen_ai.usage.cache_read.input_tokens", usage.cached_input);
        }
        if usage.reasoning > 0 {
            self.span
                .record("gen_ai.usage.reasoning.output_tokens", usage.reasoning);
        }
        let mut billed = attrs.clone();
        if let Some(t) = &self.tenant {
            billed.push(KeyValue::new(names::TENANT, t.to_string()));
        }
        for (kind, n) in [("input", usage.input), ("output", usage.output)] {
            let mut a = billed.clone();
            a.push(KeyValue::new(names::GEN_AI_TOKEN_TYPE, kind));
            i.tokens.record(n, &a);
        }
        let cost = match usage.reported_cost {
            Some(c) => Ok(c),
            None => pricing::global().cost(&self.provider, &self.model, &usage),
        };
        match cost {
            Ok(c) => {
                self.span.record("gen_ai.client.cost", c);
                i.cost.add(c, &billed);
            }
            Err(Unpriced::UnknownModel) => self.unpriced("the price table does not know the model"),
            Err(Unpriced::Other(why)) => self.unpriced(&why),
        }
        self.attrs = attrs;
        self.record(None);
    }

    /// The call succeeded: usage is read from the provider's raw response body (see
    /// [`PriceTable::usage_from_body`]; `api_flavor` is e.g. `chat` for OpenAI chat
    /// completions, including a streamed response's final usage chunk). A body without
    /// usage records the call as unpriced.
    pub fn finish_with_body(self, api_flavor: &str, body: &[u8]) {
        match pricing::global().usage_from_body(&self.provider, api_flavor, body) {
            Some(usage) => self.finish(usage),
            None => {
                let mut this = self;
                this.unpriced("the response body holds no usage");
                this.record(None);
            }
        }
    }

    fn unpriced(&self, why: &str) {
        let i = instruments();
        i.unpriced.add(
            1,
            &[
                KeyValue::new(names::GEN_AI_PROVIDER_NAME, self.provider.clone()),
                KeyValue::new(names::GEN_AI_REQUEST_MODEL, self.model.clone()),
            ],
        );
        let first = i
            .warned
            .lock()
            .map(|mut w| w.insert(format!("{}/{}", self.provider, self.model)))
            .unwrap_or(false);
        if first {
            tracing::warn!(
                target: "ferrotel::genai",
                provider = %self.provider,
                model = %self.model,
                reason = why,
                "no price for this call: its cost is not recorded (gen_ai.client.cost.unpriced counts such calls); add an override to the price table"
            );
        }
    }

    /// The call failed; `error_type` is low-cardinality (`rate_limited`, `timeout`, `500`, …).
    pub fn fail(mut self, error_type: &str) {
        self.record(Some(error_type.to_string()));
    }

    fn record(&mut self, error: Option<String>) {
        self.done = true;
        let i = instruments();
        let mut attrs = std::mem::take(&mut self.attrs);
        if let Some(e) = error {
            self.span.record("error.type", e.as_str());
            self.span.record("otel.status_code", "error");
            attrs.push(KeyValue::new(names::ERROR_TYPE, e));
        }
        if let Some(at) = self.first_chunk {
            i.ttfc
                .record(at.duration_since(self.start).as_secs_f64(), &attrs);
        }
        i.duration
            .record(self.start.elapsed().as_secs_f64(), &attrs);
    }
}

impl Drop for LlmCall {
    fn drop(&mut self) {
        if !self.done {
            self.record(Some("cancelled".to_string()));
        }
    }
}
