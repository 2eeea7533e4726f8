//! Agent runs and the tool calls they make.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::trace::SpanKind;
use opentelemetry::{Context, KeyValue};

use super::call::CostSum;
use super::{GenAi, LlmCall};
use crate::failure::error_type;
use crate::instrument::guard::{End, Guard, Operation};
use crate::middleware::span::{self, Request};
use crate::{catalog, names};

#[derive(Debug)]
pub(crate) struct Instruments {
    run_duration: Histogram<f64>,
    llm_calls: Histogram<u64>,
    tool_calls: Histogram<u64>,
    tool_duration: Histogram<f64>,
    run_cost: Histogram<f64>,
}

impl Instruments {
    pub(crate) fn new(meter: &Meter) -> Self {
        let secs = |spec: &catalog::InstrumentSpec| {
            spec.f64_histogram(
                meter,
                vec![
                    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
                ],
            )
        };
        let calls = |spec: &catalog::InstrumentSpec| {
            spec.u64_histogram(
                meter,
                vec![0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0],
            )
        };
        Instruments {
            run_duration: secs(&catalog::GEN_AI_INVOKE_AGENT_DURATION),
            llm_calls: calls(&catalog::GEN_AI_INVOKE_AGENT_LLM_CALLS),
            tool_calls: calls(&catalog::GEN_AI_INVOKE_AGENT_TOOL_CALLS),
            tool_duration: secs(&catalog::GEN_AI_EXECUTE_TOOL_DURATION),
            run_cost: catalog::GEN_AI_INVOKE_AGENT_COST.f64_histogram(
                meter,
                vec![
                    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0,
                ],
            ),
        }
    }
}

/// How an agent run ended, for `gen_ai.agent.outcome`.
///
/// ```
/// assert_eq!(ferrotel::genai::AgentOutcome::StepLimit.as_str(), "step_limit");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentOutcome {
    /// It produced an answer.
    Success,
    /// It failed.
    Failure,
    /// It stopped at its step limit without an answer.
    StepLimit,
    /// It was dropped before it ended.
    Cancelled,
}

impl AgentOutcome {
    /// `success`, `failure`, `step_limit` or `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentOutcome::Success => "success",
            AgentOutcome::Failure => "failure",
            AgentOutcome::StepLimit => "step_limit",
            AgentOutcome::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    llm: AtomicU64,
    tools: AtomicU64,
    cost: Arc<CostSum>,
}

/// One agent run: an INTERNAL span `invoke_agent {name}` under which its LLM calls and
/// tool calls nest, and the run's duration, outcome, call counts and cost (the sum of
/// its priced LLM calls: `gen_ai.agent.cost` on the span, `gen_ai.invoke_agent.cost`).
///
/// Its span is an OpenTelemetry span started through the pipeline's tracer, as an
/// [`LlmCall`]'s is: a run the sampler drops builds no attribute. Run the agent's own
/// work with its [`context`](AgentRun::context) current to nest it under the run.
///
/// ```
/// use ferrotel::genai::{GenAi, TokenUsage};
///
/// let genai = GenAi::new();
/// let run = genai.agent_run("trip-planner").with_conversation_id("conv-42");
/// let call = run.llm_call("openai", "chat", "gpt-4o-mini");
/// call.finish(TokenUsage::new(120, 30));
/// let tool = run.tool_call("weather", "function", Some("call_1"));
/// tool.finish();
/// run.finish();
/// ```
#[derive(Debug)]
#[must_use = "a run records when finished or failed; dropped, it counts as cancelled"]
pub struct AgentRun(Guard<RunOp>);

#[derive(Debug)]
struct RunOp {
    genai: GenAi,
    /// The run's context, its span current.
    cx: Context,
    start: Instant,
    name: String,
    counts: Arc<Counts>,
    /// Set by `step_limit_reached`; otherwise derived from how the run ended.
    outcome: Option<AgentOutcome>,
}

impl AgentRun {
    pub(super) fn start(genai: GenAi, name: &str) -> AgentRun {
        let cx = genai.inner.spans.start(
            format!("invoke_agent {name}").into(),
            SpanKind::Internal,
            Context::current(),
            Request::default(),
            // 2 at the start, agent and conversation ids, 3 at the end.
            7,
            || {
                vec![
                    KeyValue::new(names::GEN_AI_OPERATION_NAME, "invoke_agent"),
                    KeyValue::new(names::GEN_AI_AGENT_NAME, name.to_string()),
                ]
            },
        );
        AgentRun(Guard::new(RunOp {
            genai,
            cx,
            start: Instant::now(),
            name: name.to_string(),
            counts: Arc::new(Counts::default()),
            outcome: None,
        }))
    }

    /// `gen_ai.agent.id`: this agent instance's id.
    pub fn with_agent_id(self, id: &str) -> Self {
        span::set(&self.0.op().cx, || {
            vec![KeyValue::new("gen_ai.agent.id", id.to_string())]
        });
        self
    }

    /// `gen_ai.conversation.id` (a span attribute, never a metric label).
    pub fn with_conversation_id(self, id: &str) -> Self {
        span::set(&self.0.op().cx, || {
            vec![KeyValue::new("gen_ai.conversation.id", id.to_string())]
        });
        self
    }

    /// The run's context, its span current: run the agent's work with it
    /// (`work.with_context(run.context())`, `opentelemetry::trace::FutureExt`) so the
    /// spans and log records of that work nest under the run.
    ///
    /// ```
    /// use ferrotel::opentelemetry::trace::FutureExt as _;
    ///
    /// # async fn plan() {}
    /// # async fn run() {
    /// let run = ferrotel::genai::GenAi::new().agent_run("trip-planner");
    /// plan().with_context(run.context()).await;
    /// run.finish();
    /// # }
    /// ```
    pub fn context(&self) -> Context {
        self.0.op().cx.clone()
    }

    /// Starts an LLM call of this run (a child of its span; counted in the run).
    pub fn llm_call(&self, provider: &str, operation: &str, model: &str) -> LlmCall {
        let op = self.0.op();
        op.counts.llm.fetch_add(1, Ordering::Relaxed);
        let _in_run = op.cx.clone().attach();
        op.genai
            .llm_call(provider, operation, model)
            .charged_to(op.counts.cost.clone())
    }

    /// Starts a tool call of this run (a child of its span; counted in the run).
    pub fn tool_call(&self, tool: &str, tool_type: &str, call_id: Option<&str>) -> ToolCall {
        let op = self.0.op();
        op.counts.tools.fetch_add(1, Ordering::Relaxed);
        let _in_run = op.cx.clone().attach();
        op.genai.tool_call(tool, tool_type, call_id)
    }

    /// The run produced its answer.
    pub fn finish(self) {
        self.0.end(End::Finished);
    }

    /// The run failed: `error.type` from the error's kind (a
    /// [`Failure`](crate::failure::Failure) for a class with no error value).
    pub fn fail<E: std::error::Error + 'static>(self, error: &E) {
        self.0.end(End::Failed(error_type(error)));
    }

    /// The run stopped at its step limit without an answer (`error.type=step_limit`).
    pub fn step_limit_reached(mut self) {
        self.0.op_mut().outcome = Some(AgentOutcome::StepLimit);
        self.0.end(End::Failed("step_limit".into()));
    }
}

impl Operation for RunOp {
    fn end(&mut self, end: End) {
        let outcome = self.outcome.unwrap_or(match end {
            End::Finished => AgentOutcome::Success,
            End::Failed(_) => AgentOutcome::Failure,
            End::Cancelled => AgentOutcome::Cancelled,
        });
        let cost = self.counts.cost.usd();
        let error = end.error_type();
        span::end(
            &self.cx,
            || {
                let mut a = vec![
                    KeyValue::new(names::GEN_AI_AGENT_OUTCOME, outcome.as_str()),
                    KeyValue::new("gen_ai.agent.cost", cost),
                ];
                if let Some(e) = error {
                    a.push(KeyValue::new(names::ERROR_TYPE, e.to_string()));
                }
                a
            },
            error.is_some(),
        );
        let mut attrs = vec![
            KeyValue::new(names::GEN_AI_AGENT_NAME, self.name.clone()),
            KeyValue::new(names::GEN_AI_AGENT_OUTCOME, outcome.as_str()),
        ];
        let by_outcome = attrs.clone();
        if let Some(e) = error {
            attrs.push(KeyValue::new(names::ERROR_TYPE, e.to_string()));
        }
        let Some(b) = self.genai.binding() else {
            return;
        };
        let i = &b.instruments.agent;
        i.run_duration
            .record(self.start.elapsed().as_secs_f64(), &attrs);
        let per_run = [KeyValue::new(names::GEN_AI_AGENT_NAME, self.name.clone())];
        i.llm_calls
            .record(self.counts.llm.load(Ordering::Relaxed), &per_run);
        i.tool_calls
            .record(self.counts.tools.load(Ordering::Relaxed), &per_run);
        i.run_cost.record(cost, &by_outcome);
    }
}

/// One tool call: an INTERNAL span `execute_tool {tool}` (an OpenTelemetry span, under
/// the current context: the run's, for [`AgentRun::tool_call`]) and
/// `gen_ai.execute_tool.duration` by tool, with `error.type` when it failed (or was
/// dropped unfinished: `cancelled`).
#[derive(Debug)]
#[must_use = "a tool call records when finished or failed; dropped, it counts as cancelled"]
pub struct ToolCall(Guard<ToolOp>);

#[derive(Debug)]
struct ToolOp {
    genai: GenAi,
    /// The tool call's context, its span current.
    cx: Context,
    start: Instant,
    attrs: Vec<KeyValue>,
}

impl ToolCall {
    pub(super) fn start(
        genai: GenAi,
        tool: &str,
        tool_type: &str,
        call_id: Option<&str>,
    ) -> ToolCall {
        let cx = genai.inner.spans.start(
            format!("execute_tool {tool}").into(),
            SpanKind::Internal,
            Context::current(),
            Request::default(),
            // Up to 4 at the start, the error type at the end.
            5,
            || {
                let mut a = vec![
                    KeyValue::new(names::GEN_AI_OPERATION_NAME, "execute_tool"),
                    KeyValue::new(names::GEN_AI_TOOL_NAME, tool.to_string()),
                    KeyValue::new(names::GEN_AI_TOOL_TYPE, tool_type.to_string()),
                ];
                if let Some(id) = call_id {
                    a.push(KeyValue::new("gen_ai.tool.call.id", id.to_string()));
                }
                a
            },
        );
        ToolCall(Guard::new(ToolOp {
            genai,
            cx,
            start: Instant::now(),
            attrs: vec![
                KeyValue::new(names::GEN_AI_TOOL_NAME, tool.to_string()),
                KeyValue::new(names::GEN_AI_TOOL_TYPE, tool_type.to_string()),
            ],
        }))
    }

    /// The tool call's context, its span current: run the tool with it to nest the
    /// tool's own spans under the call.
    ///
    /// ```
    /// let tool = ferrotel::genai::GenAi::new().tool_call("weather", "function", None);
    /// {
    ///     let _in_tool = tool.context().attach();
    ///     // the tool's work
    /// }
    /// tool.finish();
    /// ```
    pub fn context(&self) -> Context {
        self.0.op().cx.clone()
    }

    /// The tool returned.
    pub fn finish(self) {
        self.0.end(End::Finished);
    }

    /// The tool failed: `error.type` from the error's kind.
    pub fn fail<E: std::error::Error + 'static>(self, error: &E) {
        self.0.end(End::Failed(error_type(error)));
    }
}

impl Operation for ToolOp {
    fn end(&mut self, end: End) {
        let mut attrs = std::mem::take(&mut self.attrs);
        let error = end.error_type();
        span::end(
            &self.cx,
            || {
                error
                    .map(|e| vec![KeyValue::new(names::ERROR_TYPE, e.to_string())])
                    .unwrap_or_default()
            },
            error.is_some(),
        );
        if let Some(e) = error {
            attrs.push(KeyValue::new(names::ERROR_TYPE, e.to_string()));
        }
        if let Some(b) = self.genai.binding() {
            b.instruments
                .agent
                .tool_duration
                .record(self.start.elapsed().as_secs_f64(), &attrs);
        }
    }
}
