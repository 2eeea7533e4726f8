//! async-openai chat completions, each recorded as an [`LlmCall`] in the one line that
//! makes it (feature `async-openai`).
//!
//! ```no_run
//! # async fn run() -> Result<(), async_openai::error::OpenAIError> {
//! use async_openai::types::chat::CreateChatCompletionRequestArgs;
//! use ferrotel::genai::{openai::Chat, GenAi};
//!
//! let chat = Chat::new(async_openai::Client::new(), GenAi::new()); // once, after init
//! let request = CreateChatCompletionRequestArgs::default()
//!     .model("gpt-4o-mini")
//!     .messages([async_openai::types::chat::ChatCompletionRequestUserMessage::from("Hello").into()])
//!     .build()?;
//! let response = chat.create(request).await?; // span, tokens, duration, cost
//! # let _ = response;
//! # Ok(()) }
//! ```
//!
//! [`Chat::create_stream`] asks for the final usage chunk (`stream_options.include_usage`)
//! so a streamed call is priced too, records the time to the first chunk, and hides that
//! usage-only chunk (its `choices` are empty) unless the request asked for it.

use std::pin::Pin;
use std::task::{Context, Poll};

use async_openai::config::Config;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionResponseStream, ChatCompletionStreamOptions, CompletionUsage,
    CreateChatCompletionRequest, CreateChatCompletionResponse, CreateChatCompletionStreamResponse,
    FinishReason,
};
use async_openai::Client;
use futures_util::Stream;
use opentelemetry::trace::FutureExt as _;

use super::{AgentRun, GenAi, LlmCall, TokenUsage};
use crate::failure::Failure;

/// An async-openai client whose chat completions are measured. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Chat<C: Config> {
    client: Client<C>,
    genai: GenAi,
    provider: String,
}

impl<C: Config> Chat<C> {
    /// Measures `client`'s chat completions as `gen_ai.provider.name` `openai`.
    pub fn new(client: Client<C>, genai: GenAi) -> Self {
        Chat {
            client,
            genai,
            provider: "openai".into(),
        }
    }

    /// Another `gen_ai.provider.name` (the price table's provider), for an
    /// OpenAI-compatible API elsewhere: `azure.ai.openai`, `groq`, `deepseek`, …
    ///
    /// ```
    /// # fn f(client: async_openai::Client<async_openai::config::OpenAIConfig>) {
    /// let chat = ferrotel::genai::openai::Chat::new(client, ferrotel::genai::GenAi::new()).with_provider("groq");
    /// # }
    /// ```
    #[must_use]
    pub fn with_provider(mut self, provider: &str) -> Self {
        self.provider = provider.to_string();
        self
    }

    /// The client, for the APIs this does not measure.
    pub fn client(&self) -> &Client<C> {
        &self.client
    }

    /// `client.chat().create(request)`, recorded: the span `chat {model}`, tokens, duration,
    /// cost, response id and finish reasons; a failure's `error.type` is the HTTP status
    /// for an API error.
    pub async fn create(
        &self,
        request: CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, OpenAIError> {
        let call = self.genai.llm_call(&self.provider, "chat", &request.model);
        self.create_as(call, request).await
    }

    /// [`create`](Chat::create) as a step of `run`: the call's span is a child of the
    /// run's, and the run counts it (`gen_ai.invoke_agent.llm_calls`).
    ///
    /// ```no_run
    /// # async fn f(chat: ferrotel::genai::openai::Chat<async_openai::config::OpenAIConfig>, request: async_openai::types::chat::CreateChatCompletionRequest) -> Result<(), async_openai::error::OpenAIError> {
    /// let run = ferrotel::genai::GenAi::new().agent_run("trip-planner");
    /// let answer = chat.create_in(&run, request).await?;
    /// run.finish();
    /// # let _ = answer; Ok(()) }
    /// ```
    pub async fn create_in(
        &self,
        run: &AgentRun,
        request: CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, OpenAIError> {
        let call = run.llm_call(&self.provider, "chat", &request.model);
        self.create_as(call, request).await
    }

    async fn create_as(
        &self,
        call: LlmCall,
        request: CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, OpenAIError> {
        let result = self
            .client
            .chat()
            .create(request)
            .with_context(call.context())
            .await;
        match &result {
            Ok(response) => {
                let reasons: Vec<&str> = response
                    .choices
                    .iter()
                    .filter_map(|c| c.finish_reason.as_ref().map(reason))
                    .collect();
                call.response(&response.id, &reasons);
                match &response.usage {
                    Some(u) => call.finish(usage(u, &response.model)),
                    None => call.finish_unpriced("the response holds no usage"),
                }
            }
            Err(e) => call.fail(&failure(e)),
        }
        result
    }

    /// `client.chat().create_stream(request)`, recorded as the stream is read: time to
    /// the first chunk, then tokens and cost from the final usage chunk when the stream
    /// ends. A stream dropped before its end is a `cancelled` call.
    pub async fn create_stream(
        &self,
        mut request: CreateChatCompletionRequest,
    ) -> Result<ChatStream, OpenAIError> {
        let call = self.genai.llm_call(&self.provider, "chat", &request.model);
        call.streaming();
        let asked = request
            .stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            == Some(true);
        if !asked {
            let options = request
                .stream_options
                .get_or_insert_with(ChatCompletionStreamOptions::default);
            options.include_usage = Some(true);
        }
        let started = self
            .client
            .chat()
            .create_stream(request)
            .with_context(call.context())
            .await;
        match started {
            Ok(inner) => Ok(ChatStream {
                inner,
                call: Some(call),
                hide_usage_chunk: !asked,
                usage: None,
                id: String::new(),
                model: String::new(),
                reasons: Vec::new(),
            }),
            Err(e) => {
                call.fail(&failure(&e));
                Err(e)
            }
        }
    }
}

/// The chunks of a measured streamed completion; see [`Chat::create_stream`].
pub struct ChatStream {
    inner: ChatCompletionResponseStream,
    call: Option<LlmCall>,
    hide_usage_chunk: bool,
    usage: Option<CompletionUsage>,
    id: String,
    model: String,
    reasons: Vec<&'static str>,
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("call", &self.call)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Stream for ChatStream {
    type Item = Result<CreateChatCompletionStreamResponse, OpenAIError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let _in_call = this.call.as_ref().map(|c| c.context().attach());
            match this.inner.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Some(call) = this.call.as_mut() {
                        call.first_chunk();
                    }
                    if this.id.is_empty() {
                        this.id.clone_from(&chunk.id);
                        this.model.clone_from(&chunk.model);
                    }
                    this.reasons.extend(
                        chunk
                            .choices
                            .iter()
                            .filter_map(|c| c.finish_reason.as_ref().map(reason)),
                    );
                    if let Some(u) = &chunk.usage {
                        this.usage = Some(u.clone());
                        if this.hide_usage_chunk && chunk.choices.is_empty() {
                            continue;
                        }
                    }
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Poll::Ready(Some(Err(e))) => {
                    if let Some(call) = this.call.take() {
                        call.fail(&failure(&e));
                    }
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    if let Some(call) = this.call.take() {
                        call.response(&this.id, &this.reasons);
                        match &this.usage {
                            Some(u) => call.finish(usage(u, &this.model)),
                            None => call.finish_unpriced("the stream ended without a usage chunk"),
                        }
                    }
                    return Poll::Ready(None);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

fn reason(r: &FinishReason) -> &'static str {
    match r {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
}

fn usage(u: &CompletionUsage, model: &str) -> TokenUsage {
    let mut t = TokenUsage::new(u64::from(u.prompt_tokens), u64::from(u.completion_tokens));
    if let Some(cached) = u
        .prompt_tokens_details
        .as_ref()
        .and_then(|d| d.cached_tokens)
    {
        t = t.with_cached_input(u64::from(cached));
    }
    if let Some(r) = u
        .completion_tokens_details
        .as_ref()
        .and_then(|d| d.reasoning_tokens)
    {
        t = t.with_reasoning(u64::from(r));
    }
    if !model.is_empty() {
        t = t.with_response_model(model);
    }
    t
}

/// The HTTP status of an API error as `error.type`; otherwise the error's own kind.
fn failure(e: &OpenAIError) -> Failure {
    match e {
        OpenAIError::ApiError(api) => Failure::new(api.status_code.as_u16().to_string()),
        OpenAIError::Reqwest(r) if r.is_timeout() => Failure::new("timeout"),
        OpenAIError::Reqwest(r) if r.is_connect() => Failure::new("connect"),
        other => Failure::new(crate::failure::error_type(other)),
    }
}
