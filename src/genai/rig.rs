//! rig (`rig-core`) completions as ferrotel's GenAI metrics (feature `rig`).
//!
//! rig opens GenAI semantic-convention spans itself — `chat`, `embeddings`, … on the
//! targets `rig::completions` and `rig::modalities`, or the completion-parent span an
//! application declares with rig's `completion_parent_span!` — and records the provider,
//! models and token usage on them. [`RigLayer`] reads those fields and, when such a span
//! closes, records `gen_ai.client.token.usage`, `gen_ai.client.operation.duration` and
//! `gen_ai.client.cost` (priced by the same table as an [`LlmCall`])
//! once per span. rig's span is the trace (exported as rig wrote it); the layer adds no
//! span of its own, so nothing is counted twice — unless the application also wraps the
//! same call in an `LlmCall`, which would count it again.
//!
//! ```
//! # fn main() -> Result<(), ferrotel::Error> {
//! use ferrotel::genai::{rig::RigLayer, GenAi};
//!
//! let telemetry = ferrotel::init_with_layers(
//!     ferrotel::Config::disabled(),
//!     vec![Box::new(RigLayer::new(GenAi::new()))],
//! )?;
//! # drop(telemetry); Ok(()) }
//! ```
//!
//! rig records no failure on its spans: a span that closes without usage is recorded
//! as a call of that duration with no tokens and no cost.

use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::{GenAi, LlmCall, TokenUsage};

/// The field rig's completion-parent spans declare.
const MARKER: &str = "rig.completion_parent";

/// Turns rig's GenAI spans into ferrotel's GenAI metrics; see the [module](self).
#[derive(Debug, Clone)]
pub struct RigLayer {
    genai: GenAi,
}

impl RigLayer {
    /// Records through `genai`'s instruments (built before `init`, they bind to the
    /// pipeline `init` installs).
    pub fn new(genai: GenAi) -> Self {
        RigLayer { genai }
    }
}

/// What a rig span said about its call.
#[derive(Debug, Default)]
struct Fields {
    operation: Option<String>,
    provider: Option<String>,
    request_model: Option<String>,
    response_model: Option<String>,
    input: Option<u64>,
    output: Option<u64>,
    cached_input: Option<u64>,
    reasoning: Option<u64>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        let slot = match field.name() {
            "gen_ai.operation.name" => &mut self.operation,
            "gen_ai.provider.name" => &mut self.provider,
            "gen_ai.request.model" => &mut self.request_model,
            "gen_ai.response.model" => &mut self.response_model,
            _ => return,
        };
        *slot = Some(value.to_string());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        let slot = match field.name() {
            "gen_ai.usage.input_tokens" => &mut self.input,
            "gen_ai.usage.output_tokens" => &mut self.output,
            "gen_ai.usage.cache_read.input_tokens" => &mut self.cached_input,
            "gen_ai.usage.reasoning_tokens" | "gen_ai.usage.reasoning.output_tokens" => {
                &mut self.reasoning
            }
            _ => return,
        };
        *slot = Some(value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(v) = u64::try_from(value) {
            self.record_u64(field, v);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // Strings recorded through `%` or `?` arrive here.
        if field.name().starts_with("gen_ai.") && !field.name().starts_with("gen_ai.usage.") {
            let text = format!("{value:?}");
            self.record_str(field, text.trim_matches('"'));
        }
    }
}

/// A rig call in flight, kept in its span's extensions.
struct RigCall {
    fields: Fields,
    start: Instant,
}

impl<S> Layer<S> for RigLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        let fields = meta.fields();
        let rigs = meta.target().starts_with("rig::") || fields.field(MARKER).is_some();
        if !rigs || fields.field("gen_ai.operation.name").is_none() {
            return;
        }
        let mut call = RigCall {
            fields: Fields::default(),
            start: Instant::now(),
        };
        attrs.record(&mut call.fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(call);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(call) = span.extensions_mut().get_mut::<RigCall>() {
                values.record(&mut call.fields);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(call) = ctx
            .span(&id)
            .and_then(|span| span.extensions_mut().remove::<RigCall>())
        else {
            return;
        };
        let f = call.fields;
        let (Some(operation), Some(provider), Some(model)) =
            (f.operation, f.provider, f.request_model)
        else {
            return;
        };
        let measured = LlmCall::detached(
            self.genai.clone(),
            &provider,
            &operation,
            &model,
            call.start,
        );
        if f.input.is_none() && f.output.is_none() {
            measured.finish_without_usage();
            return;
        }
        let mut usage = TokenUsage::new(f.input.unwrap_or(0), f.output.unwrap_or(0));
        if let Some(n) = f.cached_input {
            usage = usage.with_cached_input(n);
        }
        if let Some(n) = f.reasoning {
            usage = usage.with_reasoning(n);
        }
        if let Some(m) = f.response_model {
            usage = usage.with_response_model(m);
        }
        measured.finish(usage);
    }
}
