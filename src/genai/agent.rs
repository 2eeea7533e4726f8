//! Agent runs and the tool calls they make.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use opentelemetry::metrics::Histogram;
use opentelemetry::KeyValue;

use super::LlmCall;
use crate::{catalog, names};

struct Instruments {
    run_duration: Histogram<f64>,
    llm_calls: Histogram<u64>,
    tool_calls: Histogram<u64>,
    tool_duration: Histogram<f64>,
}

fn instruments() -> &'static Instruments {
    static I: OnceLock<Instruments> = OnceLock::new();
    I.get_or_init(|| {
        let meter = opentelemetry::global::meter("ferrotel");
        let secs = |spec: &catalog::InstrumentSpec| {
            spec.f64_histogram(
                &meter,
                vec![
                    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
                ],
            )
        };
        let calls = |spec: &catalog::InstrumentSpec| {
            spec.u64_histogram(
                &meter,
                vec![0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0],
            )
        };
        Instruments {
            run_duration: secs(&catalog::GEN_AI_INVOKE_AGENT_DURATION),
            llm_calls: calls(&catalog::GEN_AI_INVOKE_AGENT_LLM_CALLS),
            tool_calls: calls(&catalog::GEN_AI_INVOKE_AGENT_TOOL_CALLS),
            tool_duration: secs(&catalog::GEN_AI_EXECUTE_TOOL_DURATION),
        }
    })
}

/// How an agent run ended, for `gen_ai.agent.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It produced an answer.
    Success,
    /// It failed.
    Failure,
    /// It stopped at its step limit without an answer.
    StepLimit,
    /// It was dropped before it ended.
    Cancelled,
}

impl Outcome {
    /// `success`, `failure`, `step_limit` or `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::StepLimit => "step_limit",
            Outcome::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    llm: AtomicU64,
    tools: AtomicU64,
}

/// One agent run: an INTERNAL span `invoke_agent {name}` under which its LLM calls and
/// tool calls nest, and the run's duration, outcome and call counts.
///
/// ```
/// use ferrotel::genai::{AgentRun, TokenUsage};
///
/// let run = AgentRun::start("trip-planner").with_conversation_id("conv-42");
/// let call = run.llm_call("openai", "chat", "gpt-4o-mini");
/// call.finish(TokenUsage::new(120, 30));
/// let tool = run.tool_call("weather", "function", Some("call_1"));
/// tool.finish();
/// run.finish();
/// ```
#[derive(Debug)]
pub struct AgentRun {
    span: tracing::Span,
    start: Instant,
    name: String,
    counts: Arc<Counts>,
    done: bool,
}

impl AgentRun {
    /// Starts a run of the agent called `name` (`gen_ai.agent.name`).
    pub fn start(name: &str) -> AgentRun {
        let span = tracing::info_span!(
            target: "ferrotel::genai",
            "invoke_agent",
            otel.name = %format!("invoke_agent {name}"),
            otel.kind = "internal",
            otel.status_code = tracing::field::Empty,
            gen_ai.operation.name = "invoke_agent",
            gen_ai.agent.name = name,
            gen_ai.agent.id = tracing::field::Empty,
            gen_ai.conversation.id = tracing::field::Empty,
            gen_ai.agent.outcome = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        AgentRun {
            span,
            start: Instant::now(),
            name: name.to_string(),
            counts: Arc::new(Counts::default()),
            done: false,
        }
    }

    /// `gen_ai.agent.id`: this agent instance's id.
    pub fn with_agent_id(self, id: &str) -> Self {
        self.span.record("gen_ai.agent.id", id);
        self
    }

    /// `gen_ai.conversation.id` (a span attribute, never a metric label).
    pub fn with_conversation_id(self, id: &str) -> Self {
        self.span.record("gen_ai.conversation.id", id);
        self
    }

    /// The run's span: work inside it nests under the run.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Starts an LLM call of this run (a child of its span; counted in the run).
    pub fn llm_call(&self, provider: &str, operation: &str, model: &str) -> LlmCall {
        self.counts.llm.fetch_add(1, Ordering::Relaxed);
        let _in_run = self.span.enter();
        LlmCall::start(provider, operation, model)
    }

    /// Starts a tool call of this run (a child of its span; counted in the run).
    pub fn tool_call(&self, tool: &str, tool_type: &str, call_id: Option<&str>) -> ToolCall {
        self.counts.tools.fetch_add(1, Ordering::Relaxed);
        let _in_run = self.span.enter();
        ToolCall::start(tool, tool_type, call_id)
    }

    /// The run produced its answer.
    pub fn finish(mut self) {
        self.record(Outcome::Success, None);
    }

    /// The run failed; `error_type` is low-cardinality.
    pub fn fail(mut self, error_type: &str) {
        self.record(Outcome::Failure, Some(error_type));
    }

    /// The run stopped at its step limit without an answer.
    pub fn step_limit_reached(mut self) {
        self.record(Outcome::StepLimit, Some("step_limit"));
    }

    fn record(&mut self, outcome: Outcome, error: Option<&str>) {
        self.done = true;
        let i = instruments();
        self.span.record("gen_ai.agent.outcome", outcome.as_str());
        let mut attrs = vec![
            KeyValue::new(names::GEN_AI_AGENT_NAME, self.name.clone()),
            KeyValue::new(names::GEN_AI_AGENT_OUTCOME, outcome.as_str()),
        ];
        if let Some(e) = error {
            self.span.record("error.type", e);
            self.span.record("otel.status_code", "error");
            attrs.push(KeyValue::new(names::ERROR_TYPE, e.to_string()));
        }
        i.run_duration
            .record(self.start.elapsed().as_secs_f64(), &attrs);
        let per_run = [KeyValue::new(names::GEN_AI_AGENT_NAME, self.name.clone())];
        i.llm_calls
            .record(self.counts.llm.load(Ordering::Relaxed), &per_run);
        i.tool_calls
            .record(self.counts.tools.load(Ordering::Relaxed), &per_run);
    }
}

impl Drop for AgentRun {
    fn drop(&mut self) {
        if !self.done {
            self.record(Outcome::Cancelled, Some("cancelled"));
        }
    }
}

/// One tool call: an INTERNAL span `execute_tool {tool}` and `gen_ai.execute_tool.duration`
/// by tool, with `error.type` when it failed (or was dropped unfinished: `cancelled`).
#[derive(Debug)]
pub struct ToolCall {
    span: tracing::Span,
    start: Instant,
    attrs: Vec<KeyValue>,
    done: bool,
}

impl ToolCall {
    /// Starts a call of `tool` of `tool_type` (`function`, `extension`, `datastore`).
    pub fn start(tool: &str, tool_type: &str, call_id: Option<&str>) -> ToolCall {
        let span = tracing::info_span!(
            target: "ferrotel::genai",
            "execute_tool",
            otel.name = %format!("execute_tool {tool}"),
            otel.kind = "internal",
            otel.status_code = tracing::field::Empty,
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = tool,
            gen_ai.tool.type = tool_type,
            gen_ai.tool.call.id = call_id,
            error.type = tracing::field::Empty,
        );
        ToolCall {
            span,
            start: Instant::now(),
            attrs: vec![
                KeyValue::new(names::GEN_AI_TOOL_NAME, tool.to_string()),
                KeyValue::new(names::GEN_AI_TOOL_TYPE, tool_type.to_string()),
            ],
            done: false,
        }
    }

    /// The tool call's span.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// The tool returned.
    pub fn finish(mut self) {
        self.record(None);
    }

    /// The tool failed; `error_type` is low-cardinality.
    pub fn fail(mut self, error_type: &str) {
        self.record(Some(error_type));
    }

    fn record(&mut self, error: Option<&str>) {
        self.done = true;
        let mut attrs = std::mem::take(&mut self.attrs);
        if let Some(e) = error {
            self.span.record("error.type", e);
            self.span.record("otel.status_code", "error");
            attrs.push(KeyValue::new(names::ERROR_TYPE, e.to_string()));
        }
        instruments()
            .tool_duration
            .record(self.start.elapsed().as_secs_f64(), &attrs);
    }
}

impl Drop for ToolCall {
    fn drop(&mut self) {
        if !self.done {
            self.record(Some("cancelled"));
        }
    }
}
