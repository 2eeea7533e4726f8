//! [`LlmCall`]: one call to a model — span, tokens, time to first chunk, duration, cost.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use opentelemetry::trace::SpanKind;
use opentelemetry::{Context, KeyValue, StringValue};

use super::sets::{self, id, Billed, Timed};
use super::{pricing, redact, GenAi, TokenUsage, Unpriced};
use crate::failure::error_type;
use crate::instrument::guard::{End, Guard, Operation};
use crate::middleware::span::{self, Request};
use crate::names;

/// One LLM call: a guard that opens the span and the timer, and records tokens,
/// duration and cost when finished, failed or dropped (`error.type=cancelled`).
///
/// Its span is an OpenTelemetry span (kind client), started through the pipeline's
/// tracer: a call the sampler drops builds no attribute. Run the provider request with
/// the call's [`context`](LlmCall::context) current so the HTTP client span nests under it.
#[derive(Debug)]
#[must_use = "a call records when finished or failed; dropped, it counts as cancelled"]
pub struct LlmCall(Guard<CallOp>);

#[derive(Debug)]
struct CallOp {
    genai: GenAi,
    /// The call's context: its span (unless `own_span` is false, for a call whose span is
    /// a framework's).
    cx: Context,
    own_span: bool,
    start: Instant,
    first_chunk: Option<Instant>,
    provider: Arc<str>,
    model: Arc<str>,
    /// The model's shared attributes and bound sets; `None` past the handle's limit.
    set: Option<Arc<sets::Model>>,
    /// The response model, shared by the model (`None`: the usage named none).
    response: Option<Arc<str>>,
    /// Whether the recordings can go through bound sets (false past a limit).
    bindable: bool,
    attrs: Vec<KeyValue>,
    tenant: Option<Arc<str>>,
    /// The served request's route (admitted as a label), when the call runs inside one.
    route: Option<Arc<str>>,
    /// The agent run this call's cost adds to.
    run_cost: Option<Arc<CostSum>>,
    /// `audio_seconds` was called: the usage's audio is not counted again.
    audio_recorded: std::sync::atomic::AtomicBool,
}

/// The cost of an agent run's calls so far, in nano-dollars (so it adds atomically).
#[derive(Debug, Default)]
pub(super) struct CostSum(AtomicU64);

impl CostSum {
    fn add(&self, usd: f64) {
        self.0
            .fetch_add((usd * 1e9).round() as u64, Ordering::Relaxed);
    }

    /// The total in US dollars.
    pub(super) fn usd(&self) -> f64 {
        self.0.load(Ordering::Relaxed) as f64 / 1e9
    }
}

impl LlmCall {
    pub(super) fn start(genai: GenAi, provider: &str, operation: &str, model: &str) -> LlmCall {
        let route = span::current_route();
        let mut call = LlmCall::with_context(
            genai,
            (provider, operation, model),
            Instant::now(),
            Context::current(),
            route.clone(),
        );
        let op = call.0.op_mut();
        let name = match &op.set {
            Some(m) => m.span_name.clone(),
            None => Cow::Owned(format!("{operation} {model}")),
        };
        op.cx = op.genai.inner.spans.start(
            name,
            SpanKind::Client,
            Context::current(),
            Request::default(),
            // Up to 4 at the start, 2 with the response, 6 with the usage, 1 when
            // streamed, the error type at the end.
            14,
            || {
                let mut a = op.attrs.clone();
                if let Some(r) = route {
                    a.push(KeyValue::new(names::HTTP_ROUTE, r));
                }
                a
            },
        );
        op.own_span = true;
        call
    }

    /// A call of `(provider, operation, model)` in `cx`, with no span of its own yet.
    fn with_context(
        genai: GenAi,
        (provider, operation, model): (&str, &str, &str),
        start: Instant,
        cx: Context,
        route: Option<StringValue>,
    ) -> LlmCall {
        let route = route.map(|r| genai.route_label(r.as_str()));
        let set = genai.inner.models.get(provider, operation, model);
        let (provider, model, attrs) = match &set {
            Some(m) => (m.provider.clone(), m.model.clone(), m.attrs()),
            None => (
                Arc::from(provider),
                Arc::from(model),
                vec![
                    KeyValue::new(names::GEN_AI_OPERATION_NAME, operation.to_string()),
                    KeyValue::new(names::GEN_AI_PROVIDER_NAME, provider.to_string()),
                    KeyValue::new(names::GEN_AI_REQUEST_MODEL, model.to_string()),
                ],
            ),
        };
        LlmCall(Guard::new(CallOp {
            genai,
            cx,
            own_span: false,
            start,
            first_chunk: None,
            bindable: set.is_some(),
            provider,
            model,
            set,
            response: None,
            attrs,
            tenant: None,
            route,
            run_cost: None,
            audio_recorded: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// A call whose span is someone else's (a framework's own GenAI span, see
    /// [`rig::RigLayer`](super::rig::RigLayer)): metrics only, timed from `start`.
    #[cfg_attr(not(feature = "rig"), allow(dead_code))]
    pub(crate) fn detached(
        genai: GenAi,
        provider: &str,
        operation: &str,
        model: &str,
        start: Instant,
    ) -> LlmCall {
        LlmCall::with_context(
            genai,
            (provider, operation, model),
            start,
            Context::current(),
            span::current_route(),
        )
    }

    /// The call ended and its usage is not known (the framework recorded none): its
    /// duration only, no tokens and no cost.
    #[cfg_attr(not(feature = "rig"), allow(dead_code))]
    pub(crate) fn finish_without_usage(self) {
        self.0.end(End::Finished);
    }

    /// Adds this call's cost to an agent run's total.
    pub(super) fn charged_to(mut self, sum: Arc<CostSum>) -> Self {
        self.0.op_mut().run_cost = Some(sum);
        self
    }

    fn op(&self) -> &CallOp {
        self.0.op()
    }

    /// `gen_ai.conversation.id` (a span attribute, never a metric label).
    pub fn with_conversation_id(self, id: &str) -> Self {
        self.op()
            .set(|| vec![KeyValue::new("gen_ai.conversation.id", id.to_string())]);
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
        self.op().audio_recorded.store(true, Ordering::Relaxed);
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
        let json = serde_json::Value::Array(json).to_string();
        self.op()
            .set(|| vec![KeyValue::new("gen_ai.input.messages", json)]);
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
            .set(|| vec![KeyValue::new("gen_ai.output.messages", json.to_string())]);
    }

    /// The call's context, its span current: run the provider request with it
    /// (`request.with_context(call.context())`, `opentelemetry::trace::FutureExt`) so the
    /// HTTP client span nests under the call, or attach it around synchronous code.
    ///
    /// ```
    /// use ferrotel::opentelemetry::trace::FutureExt as _;
    ///
    /// # async fn send() {}
    /// # async fn run() {
    /// let call = ferrotel::genai::GenAi::new().llm_call("openai", "chat", "gpt-4o");
    /// send().with_context(call.context()).await;
    /// call.finish(ferrotel::genai::TokenUsage::new(12, 3));
    /// # }
    /// ```
    pub fn context(&self) -> Context {
        self.op().cx.clone()
    }

    /// Marks the call as streaming.
    pub fn streaming(&self) {
        self.op()
            .set(|| vec![KeyValue::new("gen_ai.request.stream", true)]);
    }

    /// The first chunk of a streamed response arrived: records time to first chunk (once).
    pub fn first_chunk(&mut self) {
        let op = self.0.op_mut();
        if op.first_chunk.is_none() {
            op.first_chunk = Some(Instant::now());
            op.set(|| vec![KeyValue::new("gen_ai.request.stream", true)]);
        }
    }

    /// The response's id (`gen_ai.response.id`) and finish reasons.
    pub fn response(&self, id: &str, finish_reasons: &[&str]) {
        self.op().set(|| {
            let mut a = vec![KeyValue::new("gen_ai.response.id", id.to_string())];
            if !finish_reasons.is_empty() {
                a.push(KeyValue::new(
                    "gen_ai.response.finish_reasons",
                    finish_reasons.join(","),
                ));
            }
            a
        });
    }

    /// The call succeeded with `usage`.
    pub fn finish(mut self, usage: TokenUsage) {
        self.0.op_mut().usage(usage);
        self.0.end(End::Finished);
    }

    /// The call succeeded but its usage is unknown (`why`): no tokens, no cost, and
    /// `gen_ai.client.cost.unpriced` rises — never a silent $0.
    #[cfg_attr(not(feature = "async-openai"), allow(dead_code))]
    pub(crate) fn finish_unpriced(mut self, why: &'static str) {
        self.0.op_mut().unpriced(why);
        self.0.end(End::Finished);
    }

    /// The call succeeded: usage is read from the provider's raw response body (see
    /// [`PriceTable::usage_from_body`](super::PriceTable::usage_from_body); `api_flavor` is e.g. `chat` for OpenAI chat
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
    /// Sets attributes on the call's span, built only when the sampler kept it.
    fn set(&self, attributes: impl FnOnce() -> Vec<KeyValue>) {
        if self.own_span {
            span::set(&self.cx, attributes);
        }
    }

    /// The attributes of the call's tokens: the call's own and its tenant.
    fn billed(&self) -> Vec<KeyValue> {
        let mut a = self.attrs.clone();
        if let Some(t) = &self.tenant {
            a.push(KeyValue::new(names::TENANT, StringValue::from(t.clone())));
        }
        a
    }

    /// The attributes of the call's cost: the tokens' and the served request's route.
    fn costed(&self) -> Vec<KeyValue> {
        let mut a = self.billed();
        if let Some(r) = &self.route {
            a.push(KeyValue::new(
                names::HTTP_ROUTE,
                StringValue::from(r.clone()),
            ));
        }
        a
    }

    /// Records tokens and cost through the set bound to the call's attributes; `false`
    /// when it has none (past a limit), and the caller records unbound.
    fn record_bound(&self, i: &super::Instruments, usage: &TokenUsage, cost: Option<f64>) -> bool {
        if !self.bindable {
            return false;
        }
        let key = (
            id(self.set.as_ref()),
            id(self.response.as_ref()),
            id(self.tenant.as_ref()),
            id(self.route.as_ref()),
        );
        let bind = || {
            let typed = |kind: &'static str| {
                let mut a = self.billed();
                a.push(KeyValue::new(names::GEN_AI_TOKEN_TYPE, kind));
                i.tokens.bind(&a)
            };
            Billed {
                input: typed("input"),
                output: typed("output"),
                cost: std::sync::OnceLock::new(),
            }
        };
        i.billed.record(key, bind, |set| {
            set.input.record(usage.input);
            set.output.record(usage.output);
            if let Some(c) = cost {
                let bound = set.cost.get_or_init(|| i.cost.bind(&self.costed()));
                bound.add(c);
            }
        })
    }

    /// Records tokens and cost on the span and metrics.
    fn usage(&mut self, usage: TokenUsage) {
        let mut response_model = None;
        if let Some(m) = &usage.response_model {
            let shared = self.set.as_ref().and_then(|s| s.response(m));
            let value = match &shared {
                Some(r) => opentelemetry::StringValue::from(r.clone()),
                None => {
                    self.bindable = false;
                    opentelemetry::StringValue::from(m.clone())
                }
            };
            response_model = Some(value.clone());
            self.attrs
                .push(KeyValue::new(names::GEN_AI_RESPONSE_MODEL, value));
            self.response = shared;
        }
        let cost = match usage.reported_cost {
            // A counter only goes up: a negative or non-finite figure is refused, counted
            // as unpriced and warned about, never recorded.
            Some(c) if !(c.is_finite() && c >= 0.0) => Err(Unpriced::Other(format!(
                "the reported cost {c} is negative or not a number"
            ))),
            Some(c) => Ok(c),
            None => pricing::global().cost(&self.provider, &self.model, &usage),
        };
        // One write to the span: tokens, response model and cost.
        self.set(|| {
            let mut a = Vec::with_capacity(6);
            a.push(KeyValue::new(
                "gen_ai.usage.input_tokens",
                usage.input as i64,
            ));
            a.push(KeyValue::new(
                "gen_ai.usage.output_tokens",
                usage.output as i64,
            ));
            if let Some(m) = response_model {
                a.push(KeyValue::new("gen_ai.response.model", m));
            }
            if usage.cached_input > 0 {
                let n = usage.cached_input as i64;
                a.push(KeyValue::new("gen_ai.usage.cache_read.input_tokens", n));
            }
            if usage.reasoning > 0 {
                let n = usage.reasoning as i64;
                a.push(KeyValue::new("gen_ai.usage.reasoning.output_tokens", n));
            }
            if let Ok(usd) = &cost {
                a.push(KeyValue::new("gen_ai.client.cost", *usd));
            }
            a
        });
        if let (Ok(c), Some(sum)) = (&cost, &self.run_cost) {
            sum.add(*c);
        }
        if let Some(b) = self.genai.binding() {
            let i = &b.instruments;
            if !self.record_bound(i, &usage, cost.as_ref().ok().copied()) {
                let billed = self.billed();
                for (kind, n) in [("input", usage.input), ("output", usage.output)] {
                    let mut a = billed.clone();
                    a.push(KeyValue::new(names::GEN_AI_TOKEN_TYPE, kind));
                    i.tokens.record(n, &a);
                }
                if let Ok(c) = cost {
                    i.cost.add(c, &self.costed());
                }
            }
            if usage.audio_seconds > 0.0 && !self.audio_recorded.load(Ordering::Relaxed) {
                i.audio.add(usage.audio_seconds, &self.attrs);
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
        let key = format!("{}/{}", self.provider, self.model);
        // Some(true): first warning for this model; Some(false): the set just filled.
        let warn = self.genai.inner.warned.lock().ok().and_then(|mut w| {
            if w.contains(&key) {
                None
            } else if w.len() < super::MAX_WARNED_MODELS {
                Some(w.insert(key))
            } else if w.len() == super::MAX_WARNED_MODELS {
                // One marker past the cap, so the overflow is told once.
                w.insert(String::new());
                Some(false)
            } else {
                None
            }
        });
        match warn {
            Some(true) => tracing::warn!(
                target: "ferrotel::genai",
                provider = %self.provider,
                model = %self.model,
                reason = why,
                "no price for this call: its cost is not recorded (gen_ai.client.cost.unpriced counts such calls); add an override to the price table"
            ),
            Some(false) => tracing::warn!(
                target: "ferrotel::genai",
                models = super::MAX_WARNED_MODELS,
                "unpriced models past this many are not named in warnings; gen_ai.client.cost.unpriced still counts them"
            ),
            None => {}
        }
    }
}

impl Operation for CallOp {
    fn end(&mut self, end: End) {
        let mut attrs = std::mem::take(&mut self.attrs);
        let error = end.error_type().map(str::to_string);
        if let Some(e) = &error {
            attrs.push(KeyValue::new(names::ERROR_TYPE, e.clone()));
        }
        if self.own_span {
            let failed = error.is_some();
            let ended = || {
                error
                    .clone()
                    .map(|e| vec![KeyValue::new(names::ERROR_TYPE, e)])
                    .unwrap_or_default()
            };
            span::end(&self.cx, ended, failed);
        }
        let Some(b) = self.genai.binding() else {
            return;
        };
        let i = &b.instruments;
        let ttfc = self
            .first_chunk
            .map(|at| at.duration_since(self.start).as_secs_f64());
        let seconds = self.start.elapsed().as_secs_f64();
        if error.is_none() && self.bindable {
            let key = (id(self.set.as_ref()), id(self.response.as_ref()));
            let bind = || Timed {
                duration: i.duration.bind(&attrs),
                ttfc: std::sync::OnceLock::new(),
            };
            let recorded = i.timed.record(key, bind, |set| {
                if let Some(t) = ttfc {
                    set.ttfc.get_or_init(|| i.ttfc.bind(&attrs)).record(t);
                }
                set.duration.record(seconds);
            });
            if recorded {
                return;
            }
        }
        if let Some(t) = ttfc {
            i.ttfc.record(t, &attrs);
        }
        i.duration.record(seconds, &attrs);
    }
}
