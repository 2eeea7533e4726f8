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
//!
//! Cost is attributed: to the tenant ([`LlmCall::with_tenant`]); to the route of the
//! request being served when the call runs inside a [`ServerLayer`](crate::http::ServerLayer)
//! span (`http.route` on the call's span and, for the first [`MAX_COST_ROUTES`] routes,
//! on `gen_ai.client.cost`); and to the agent run that made it ([`AgentRun::llm_call`]):
//! the run's total is `gen_ai.agent.cost` on its span and `gen_ai.invoke_agent.cost`.

mod agent;
mod call;
mod content;
#[cfg(feature = "async-openai")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-openai")))]
pub mod openai;
mod pricing;
#[cfg(feature = "rig")]
#[cfg_attr(docsrs, doc(cfg(feature = "rig")))]
pub mod rig;
mod sets;
mod usage;

pub use agent::{AgentOutcome, AgentRun, ToolCall};
pub use call::LlmCall;
pub use content::redact;
pub use pricing::{set_price_table, PriceError, PriceTable, Rates, Unpriced};
pub use usage::TokenUsage;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use opentelemetry::metrics::{Counter, Histogram, Meter};

use crate::catalog;
use crate::instrument::labels::Admitted;
use crate::instrument::resolved::Resolved;
use crate::instrument::{Binding, Bound};

#[derive(Debug)]
pub(crate) struct Instruments {
    pub(super) tokens: Histogram<u64>,
    pub(super) duration: Histogram<f64>,
    pub(super) ttfc: Histogram<f64>,
    pub(super) cost: Counter<f64>,
    pub(super) unpriced: Counter<u64>,
    pub(super) audio: Counter<f64>,
    pub(crate) agent: agent::Instruments,
    /// Tokens and cost bound per (model, response model, tenant, route).
    billed: Resolved<(usize, usize, usize, usize), sets::Billed>,
    /// Duration and time to first chunk bound per (model, response model).
    timed: Resolved<(usize, usize), sets::Timed>,
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
            billed: Resolved::default(),
            timed: Resolved::default(),
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
    pub(super) inner: Arc<Inner>,
}

/// Most routes that get their own `http.route` label on `gen_ai.client.cost`.
pub const MAX_COST_ROUTES: usize = 100;

/// What the `with_*` methods set; `None` follows the pipeline's settings.
/// Most distinct unpriced `provider/model` pairs a handle warns about by name.
pub(super) const MAX_WARNED_MODELS: usize = 256;

#[derive(Debug, Clone, Copy, Default)]
struct Overrides {
    capture: Option<bool>,
    content_max: Option<usize>,
    tenant_limit: Option<usize>,
}

#[derive(Debug)]
pub(super) struct Inner {
    /// The meter given to `with_meter`; `None` is the global one.
    meter: Option<Meter>,
    /// Where LLM call spans start: the global pipeline's tracer, or `with_tracer`'s.
    pub(super) spans: crate::middleware::span::Spans,
    bound: Bound<Instruments>,
    overrides: Overrides,
    tenants: Admitted,
    /// Routes admitted as `http.route` labels of the cost metric.
    routes: Admitted,
    /// The models seen, their attributes shared.
    models: sets::Models,
    /// `provider/model` pairs already warned about as unpriced, at most
    /// [`MAX_WARNED_MODELS`]; past it, unpriced calls are only counted.
    pub(super) warned: Mutex<HashSet<String>>,
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
        GenAi::build(None, Overrides::default())
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
        GenAi::build(Some(meter), Overrides::default())
    }

    fn build(meter: Option<&Meter>, overrides: Overrides) -> Self {
        GenAi::build_with(meter, Default::default(), overrides)
    }

    fn build_with(
        meter: Option<&Meter>,
        spans: crate::middleware::span::Spans,
        overrides: Overrides,
    ) -> Self {
        GenAi {
            inner: Arc::new(Inner {
                meter: meter.cloned(),
                spans,
                bound: Bound::new("genai", meter, Instruments::new),
                overrides,
                tenants: Admitted::new("other"),
                routes: Admitted::new("other"),
                models: sets::Models::default(),
                warned: Mutex::new(HashSet::new()),
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut Overrides)) -> Self {
        let mut overrides = self.inner.overrides;
        f(&mut overrides);
        let spans = self.inner.spans.clone();
        GenAi::build_with(self.inner.meter.as_ref(), spans, overrides)
    }

    /// Starts LLM call spans with `tracer` instead of the tracer of the pipeline `init`
    /// installed globally (for a pipeline built with `without_global_subscriber`).
    ///
    /// ```
    /// use opentelemetry::trace::TracerProvider as _;
    /// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    /// let genai = ferrotel::genai::GenAi::new().with_tracer(provider.tracer("ferrotel"));
    /// ```
    #[must_use]
    pub fn with_tracer(self, tracer: opentelemetry_sdk::trace::SdkTracer) -> Self {
        let overrides = self.inner.overrides;
        let spans = crate::middleware::span::Spans::To(tracer);
        GenAi::build_with(self.inner.meter.as_ref(), spans, overrides)
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

    pub(super) fn binding(&self) -> Option<&Binding<Instruments>> {
        self.inner.bound.get()
    }

    /// Whether message content is captured (opt-in).
    pub fn captures_content(&self) -> bool {
        self.inner.overrides.capture.unwrap_or_else(|| {
            self.binding()
                .map(|b| b.settings.genai_capture)
                .unwrap_or(false)
        })
    }

    pub(super) fn content_max(&self) -> usize {
        self.inner.overrides.content_max.unwrap_or_else(|| {
            self.binding()
                .map_or(1000, |b| b.settings.genai_content_max)
        })
    }

    /// The label a tenant is recorded under: its own name for the first `limit` tenants
    /// seen, `other` for the rest, so the number of series stays bounded.
    pub(super) fn tenant_label(&self, tenant: &str) -> Arc<str> {
        let limit = self.inner.overrides.tenant_limit.unwrap_or_else(|| {
            self.binding()
                .map_or(100, |b| b.settings.genai_tenant_limit)
        });
        self.inner.tenants.label(tenant, limit)
    }

    /// The `http.route` label of the cost metric: the route itself for the first
    /// [`MAX_COST_ROUTES`] routes seen, `other` for the rest (route templates are few; the
    /// cap guards against a router that puts raw paths there).
    pub(super) fn route_label(&self, route: &str) -> Arc<str> {
        self.inner.routes.label(route, MAX_COST_ROUTES)
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
