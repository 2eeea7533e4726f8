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
    /// Seconds of audio the call processed (speech-to-text input, text-to-speech output),
    /// priced per minute where the model is (`whisper-1`).
    pub audio_seconds: f64,
    /// Characters of text the call turned into speech, priced per character where the
    /// model is (`tts-1`).
    pub characters: u64,
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

    /// Seconds of audio processed; also recorded as `gen_ai.client.audio.processed`
    /// unless [`LlmCall::audio_seconds`](super::LlmCall::audio_seconds) was called.
    ///
    /// ```
    /// use ferrotel::genai::{PriceTable, TokenUsage};
    /// let usage = TokenUsage::new(0, 0).with_audio_seconds(90.0);
    /// let cost = PriceTable::bundled().cost("openai", "whisper-1", &usage).unwrap();
    /// assert!((cost - 0.009).abs() < 1e-12); // 1.5 minutes at $0.006
    /// ```
    pub fn with_audio_seconds(mut self, seconds: f64) -> Self {
        self.audio_seconds = seconds;
        self
    }

    /// Characters turned into speech.
    ///
    /// ```
    /// use ferrotel::genai::{PriceTable, TokenUsage};
    /// let usage = TokenUsage::new(0, 0).with_characters(2_000);
    /// let cost = PriceTable::bundled().cost("openai", "tts-1", &usage).unwrap();
    /// assert!((cost - 0.03).abs() < 1e-12); // $15 per million characters
    /// ```
    pub fn with_characters(mut self, characters: u64) -> Self {
        self.characters = characters;
        self
    }

    /// The provider reported this cost (US dollars); it is recorded instead of the table's.
    pub fn with_reported_cost(mut self, usd: f64) -> Self {
        self.reported_cost = Some(usd);
        self
    }
}
