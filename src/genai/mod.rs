//! GenAI telemetry: LLM calls with token usage, time to first chunk and cost
//! (feature `genai`).
//!
//! ```
//! use ferrotel::genai::{GenAi, TokenUsage};
//!
//! let genai = GenAi::new(); // after ferrotel::init, or GenAi::with_meter(..)
//! let call = genai.llm_call("openai", "chat", "gpt-4o-mini");
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

pub use agent::{AgentOutcome, AgentRun, ToolCall};
pub use content::redact;
pub use pricing::{set_price_table, PriceError, PriceTable, Rates, Unpriced};

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::KeyValue;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::failure::error_type;
use crate::instrument::guard::{End, Guard, Operation};
use crate::instrument::{Binding, Bound};
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

#[derive(Debug)]
pub(crate) struct Instruments {
    tokens: Histogram<u64>,
    duration: Histogram<f64>,
    ttfc: Histogram<f64>,
    cost: Counter<f64>,
    unpriced: Counter<u64>,
    audio: Counter<f64>,
    pub(crate) agent: agent::Instruments,
}

impl Instruments {
    fn new(meter: &Meter) -> Self {
        let t = &catalog::GEN_AI_CLIENT_TOKEN_USAGE;
        let d = &catalog::GEN_AI_CLIENT_OPERATION_DURATION;
        let f = &catalog::GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK;
        let c = &catalog::GEN_AI_CLIENT_COST;
        let seconds = vec![
            0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
        ];
        Instruments {
            tokens: t.u64_histogram(
                meter,
                vec![
                    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0,
                    1048576.0, 4194304.0, 16777216.0, 67108864.0,
                ],
            ),
            duration: d.f64_histogram(meter, seconds.clone()),
            ttfc: f.f64_histogram(meter, seconds),
            cost: c.f64_counter(meter),
            unpriced: catalog::GEN_AI_CLIENT_COST_UNPRICED.u64_counter(meter),
            audio: catalog::GEN_AI_CLIENT_AUDIO_PROCESSED.f64_counter(meter),
            agent: agent::Instruments::new(meter),
        }
    }
}

/// GenAI telemetry for one service: the source of [`LlmCall`], [`AgentRun`] and
/// [`ToolCall`] guards. Cheap to clone; clones share the tenant labels admitted so far.
///
/// Its instruments come from the global meter (the pipeline `init` installed; a handle
/// built before `init` binds on first use after it) or from [`with_meter`](GenAi::with_meter).
/// Content capture, its length and the tenant limit follow the pipeline's settings
/// unless set here.
///
/// ```
/// use ferrotel::genai::{GenAi, TokenUsage};
/// let genai = GenAi::new().with_tenant_limit(20);
/// genai.llm_call("openai", "chat", "gpt-4o-mini").with_tenant("acme").finish(TokenUsage::new(10, 5));
/// ```
#[derive(Debug, Clone)]
pub struct GenAi {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The meter given to `with_meter`; `None` is the global one.
    meter: Option<Meter>,
    bound: Bound<Instruments>,
    capture: Option<bool>,
    content_max: Option<usize>,
    tenant_limit: Option<usize>,
    tenants: RwLock<HashSet<Arc<str>>>,
    /// `provider/model` pairs already warned about as unpriced.
    warned: Mutex<HashSet<String>>,
}

impl Default for GenAi {
    fn default() -> Self {
        GenAi::new()
    }
}

impl GenAi {
    /// Records through the global meter.
    #[must_use]
    pub fn new() -> Self {
        GenAi::build(None, None, None, None)
    }

    /// Records through `meter`.
    ///
    /// ```
    /// let provider = opentelemetry_sdk::metrics::SdkMeterProvider::default();
    /// let meter = opentelemetry::metrics::MeterProvider::meter(&provider, "app");
    /// let genai = ferrotel::genai::GenAi::with_meter(&meter);
    /// genai.llm_call("openai", "chat", "gpt-4o").finish(ferrotel::genai::TokenUsage::new(1, 1));
    /// ```
    #[must_use]
    pub fn with_meter(meter: &Meter) -> Self {
        GenAi::build(Some(meter), None, None, None)
    }

    fn build(
        meter: Option<&Meter>,
        capture: Option<bool>,
        content_max: Option<usize>,
        tenant_limit: Option<usize>,
    ) -> Self {
        GenAi {
            inner: Arc::new(Inner {
                meter: meter.cloned(),
                bound: Bound::new("genai", meter, Instruments::new),
                capture,
                content_max,
                tenant_limit,
                tenants: RwLock::new(HashSet::new()),
                warned: Mutex::new(HashSet::new()),
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut next = GenAi::build(
            self.inner.meter.as_ref(),
            self.inner.capture,
            self.inner.content_max,
            self.inner.tenant_limit,
        );
        if let Some(inner) = Arc::get_mut(&mut next.inner) {
            f(inner);
        }
        next
    }

    /// Records prompts and completions (redacted, truncated) on spans. Wins over the
    /// pipeline's setting (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, default off).
    #[must_use]
    pub fn with_content_capture(self, on: bool) -> Self {
        self.with(|i| i.capture = Some(on))
    }

    /// Longest captured content, in characters. Wins over `FERROTEL_GENAI_CONTENT_MAX_CHARS`.
    #[must_use]
    pub fn with_content_max_chars(self, chars: usize) -> Self {
        self.with(|i| i.content_max = Some(chars))
    }

    /// How many tenants get their own `tenant` label (the rest are `other`). Wins over
    /// `FERROTEL_GENAI_TENANT_LIMIT` (default 100).
    #[must_use]
    pub fn with_tenant_limit(self, tenants: usize) -> Self {
        self.with(|i| i.tenant_limit = Some(tenants))
    }

    fn binding(&self) -> Option<&Binding<Instruments>> {
        self.inner.bound.get()
    }

    /// Whether message content is captured (opt-in).
    pub fn captures_content(&self) -> bool {
        self.inner.capture.unwrap_or_else(|| {
            self.binding()
                .map(|b| b.settings.genai_capture)
                .unwrap_or(false)
        })
    }

    fn content_max(&self) -> usize {
        self.inner.content_max.unwrap_or_else(|| {
            self.binding()
                .map_or(1000, |b| b.settings.genai_content_max)
        })
    }

    /// The label a tenant is recorded under: its own name for the first `limit` tenants
    /// seen, `other` for the rest, so the number of series stays bounded.
    fn tenant_label(&self, tenant: &str) -> Arc<str> {
        let limit = self.inner.tenant_limit.unwrap_or_else(|| {
            self.binding()
                .map_or(100, |b| b.settings.genai_tenant_limit)
        });
        if let Ok(set) = self.inner.tenants.read() {
            if let Some(t) = set.get(tenant) {
                return t.clone();
            }
        }
        if let Ok(mut set) = self.inner.tenants.write() {
            if let Some(t) = set.get(tenant) {
                return t.clone();
            }
            if set.len() < limit {
                let t: Arc<str> = Arc::from(tenant);
                set.insert(t.clone());
                return t;
            }
        }
        Arc::from("other")
    }

    /// Starts a call to `provider` (`gen_ai.provider.name`: `openai`, `anthropic`, …)
    /// doing `operation` (`chat`, `text_completion`, `embeddings`, `transcription`,
    /// `speech`, …) with `model`.
    pub fn llm_call(&self, provider: &str, operation: &str, model: &str) -> LlmCall {
        LlmCall::start(self.clone(), provider, operation, model)
    }

    /// Starts a run of the agent called `name` (`gen_ai.agent.name`); see [`AgentRun`].
    pub fn agent_run(&self, name: &str) -> AgentRun {
        AgentRun::start(self.clone(), name)
    }

    /// Starts a call of `tool` of `tool_type` (`function`, `extension`, `datastore`)
    /// outside any agent run; see [`ToolCall`].
    pub fn tool_call(&self, tool: &str, tool_type: &str, call_id: Option<&str>) -> ToolCall {
        ToolCall::start(self.clone(), tool, tool_type, call_id)
    }
}

/// One LLM call: a guard that opens the span and the timer, and records tokens,
/// duration and cost when finished, failed or dropped (`error.type=cancelled`).
#[derive(Debug)]
#[must_use = "a call records when finished or failed; dropped, it counts as cancelled"]
pub struct LlmCall(Guard<CallOp>);

#[derive(Debug)]
struct CallOp {
    genai: GenAi,
    span: tracing::Span,
    start: Instant,
    first_chunk: Option<Instant>,
    provider: String,
    model: String,
    attrs: Vec<KeyValue>,
    tenant: Option<Arc<str>>,
}

impl LlmCall {
    fn start(genai: GenAi, provider: &str, operation: &str, model: &str) -> LlmCall {
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
        LlmCall(Guard::new(CallOp {
            genai,
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
        }))
    }

    fn op(&self) -> &CallOp {
        self.0.op()
    }

    /// `gen_ai.conversation.id` (a span attribute, never a metric label).
    pub fn with_conversation_id(self, id: &str) -> Self {
        self.op().span.record("gen_ai.conversation.id", id);
        self
    }

    /// Attributes the call's tokens and cost to `tenant` (a `tenant` label on those two
    /// metrics only). The first tenants seen, up to the limit (`FERROTEL_GENAI_TENANT_LIMIT`,
    /// default 100), get their own label; the rest are `other`. Never pass a user id.
    pub fn with_tenant(mut self, tenant: &str) -> Self {
        let label = self.op().genai.tenant_label(tenant);
        self.0.op_mut().tenant = Some(label);
        self
    }

    /// Seconds of audio this voice call processed (transcription input, speech output).
    pub fn audio_seconds(&self, seconds: f64) {
        if let Some(b) = self.op().genai.binding() {
            b.instruments.audio.add(seconds, &self.op().attrs);
        }
    }

    /// Whether message content is being captured (opt-in).
    pub fn captures_content(&self) -> bool {
        self.op().genai.captures_content()
    }

    /// Records the input messages (`role`, `text`) as `gen_ai.input.messages` — only when
    /// content capture is on, truncated and with secrets and e-mail addresses redacted.
    pub fn input_messages(&self, messages: &[(&str, &str)]) {
        if !self.captures_content() {
            return;
        }
        let max = self.op().genai.content_max();
        let json: Vec<serde_json::Value> = messages
            .iter()
            .map(|(role, text)| serde_json::json!({ "role": role, "parts": [{ "type": "text", "content": redact(text, max) }] }))
            .collect();
        self.op().span.set_attribute(
            "gen_ai.input.messages",
            serde_json::Value::Array(json).to_string(),
        );
    }

    /// Records the output text as `gen_ai.output.messages` — only when content capture is
    /// on, truncated and redacted.
    pub fn output_text(&self, text: &str) {
        if !self.captures_content() {
            return;
        }
        let max = self.op().genai.content_max();
        let json = serde_json::json!([{ "role": "assistant", "parts": [{ "type": "text", "content": redact(text, max) }] }]);
        self.op()
            .span
            .set_attribute("gen_ai.output.messages", json.to_string());
    }

    /// The call's span: enter it (or `.instrument` the request with it) so the HTTP
    /// client span nests under it.
    pub fn span(&self) -> &tracing::Span {
        &self.op().span
    }

    /// Marks the call as streaming.
    pub fn streaming(&self) {
        self.op().span.record("gen_ai.request.stream", true);
    }

    /// The first chunk of a streamed response arrived: records time to first chunk (once).
    pub fn first_chunk(&mut self) {
        let op = self.0.op_mut();
        if op.first_chunk.is_none() {
            op.first_chunk = Some(Instant::now());
            op.span.record("gen_ai.request.stream", true);
        }
    }

    /// The response's id (`gen_ai.response.id`) and finish reasons.
    pub fn response(&self, id: &str, finish_reasons: &[&str]) {
        let span = &self.op().span;
        span.record("gen_ai.response.id", id);
        if !finish_reasons.is_empty() {
            span.record(
                "gen_ai.response.finish_reasons",
                finish_reasons.join(",").as_str(),
            );
        }
    }

    /// The call succeeded with `usage`.
    pub fn finish(mut self, usage: TokenUsage) {
        self.0.op_mut().usage(usage);
        self.0.end(End::Finished);
    }

    /// The call succeeded: usage is read from the provider's raw response body (see
    /// [`PriceTable::usage_from_body`]; `api_flavor` is e.g. `chat` for OpenAI chat
    /// completions, including a streamed response's final usage chunk). A body without
    /// usage records the call as unpriced.
    pub fn finish_with_body(mut self, api_flavor: &str, body: &[u8]) {
        let op = self.0.op_mut();
        match pricing::global().usage_from_body(&op.provider, api_flavor, body) {
            Some(usage) => op.usage(usage),
            None => op.unpriced("the response body holds no usage"),
        }
        self.0.end(End::Finished);
    }

    /// The call failed: `error.type` from the error's kind. For a provider's status or a
    /// class with no error value, pass a [`Failure`](crate::failure::Failure):
    /// `call.fail(&Failure::new("429"))`.
    pub fn fail<E: std::error::Error + 'static>(self, error: &E) {
        self.0.end(End::Failed(error_type(error)));
    }
}

impl CallOp {
    /// Records tokens and cost on the span and metrics.
    fn usage(&mut self, usage: TokenUsage) {
        if let Some(m) = &usage.response_model {
            self.span.record("gen_ai.response.model", m.as_str());
            self.attrs
                .push(KeyValue::new(names::GEN_AI_RESPONSE_MODEL, m.clone()));
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
        let cost = match usage.reported_cost {
            Some(c) => Ok(c),
            None => pricing::global().cost(&self.provider, &self.model, &usage),
        };
        if let Ok(c) = &cost {
            self.span.record("gen_ai.client.cost", *c);
        }
        if let Some(b) = self.genai.binding() {
            let i = &b.instruments;
            let mut billed = self.attrs.clone();
            if let Some(t) = &self.tenant {
                billed.push(KeyValue::new(names::TENANT, t.to_string()));
            }
            for (kind, n) in [("input", usage.input), ("output", usage.output)] {
                let mut a = billed.clone();
                a.push(KeyValue::new(names::GEN_AI_TOKEN_TYPE, kind));
                i.tokens.record(n, &a);
            }
            if let Ok(c) = cost {
                i.cost.add(c, &billed);
            }
        }
        match cost {
            Ok(_) => {}
            Err(Unpriced::UnknownModel) => self.unpriced("the price table does not know the model"),
            Err(Unpriced::Other(why)) => self.unpriced(&why),
        }
    }

    fn unpriced(&self, why: &str) {
        if let Some(b) = self.genai.binding() {
            b.instruments.unpriced.add(
                1,
                &[
                    KeyValue::new(names::GEN_AI_PROVIDER_NAME, self.provider.clone()),
                    KeyValue::new(names::GEN_AI_REQUEST_MODEL, self.model.clone()),
                ],
            );
        }
        let first = self
            .genai
            .inner
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
}

impl Operation for CallOp {
    fn end(&mut self, end: End) {
        let mut attrs = std::mem::take(&mut self.attrs);
        if let Some(e) = end.error_type() {
            self.span.record("error.type", e);
            self.span.record("otel.status_code", "error");
            attrs.push(KeyValue::new(names::ERROR_TYPE, e.to_string()));
        }
        let Some(b) = self.genai.binding() else {
            return;
        };
        let i = &b.instruments;
        if let Some(at) = self.first_chunk {
            i.ttfc
                .record(at.duration_since(self.start).as_secs_f64(), &attrs);
        }
        i.duration
            .record(self.start.elapsed().as_secs_f64(), &attrs);
    }
}
