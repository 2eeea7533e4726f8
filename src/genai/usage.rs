//! [`TokenUsage`]: what a call used, as the provider reports it.

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
