//! [`PriceTable`]: what an LLM call cost, from the `genai-prices` database with
//! overrides for negotiated rates and in-house models.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use genai_prices::{Calculator, ErrorKind, PriceRequest, Usage, UsageKey};

use super::TokenUsage;

/// Prices in US dollars per million tokens, for one model, and for voice models per
/// minute of audio or per million characters.
///
/// ```
/// let rates = ferrotel::genai::Rates::new(0.50, 1.50).with_cached_input(0.05);
/// let stt = ferrotel::genai::Rates::new(0.0, 0.0).with_audio_minute(0.006);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Input tokens that were not read from a cache.
    pub input: f64,
    /// Input tokens read from a cache (defaults to `input`).
    pub cached_input: Option<f64>,
    /// Input tokens written to a cache (defaults to `input`).
    pub cache_write: Option<f64>,
    /// Output tokens, reasoning included.
    pub output: f64,
    /// US dollars per minute of audio processed.
    pub audio_minute: Option<f64>,
    /// US dollars per million characters turned into speech.
    pub characters: Option<f64>,
}

/// Voice models priced per minute or per character, which the genai-prices data does not
/// price (it knows token prices): OpenAI's published prices, overridable like any model.
const AUDIO_PRICES: &[(&str, Rates)] = &[
    ("whisper-1", Rates::audio(Some(0.006), None)),
    ("tts-1", Rates::audio(None, Some(15.0))),
    ("tts-1-hd", Rates::audio(None, Some(30.0))),
];

impl Rates {
    /// Input and output rates, USD per million tokens.
    pub fn new(input: f64, output: f64) -> Self {
        Rates {
            input,
            cached_input: None,
            cache_write: None,
            output,
            audio_minute: None,
            characters: None,
        }
    }

    const fn audio(minute: Option<f64>, characters: Option<f64>) -> Self {
        Rates {
            input: 0.0,
            cached_input: None,
            cache_write: None,
            output: 0.0,
            audio_minute: minute,
            characters,
        }
    }

    /// The rate per minute of audio (speech-to-text input, text-to-speech output).
    pub fn with_audio_minute(mut self, usd: f64) -> Self {
        self.audio_minute = Some(usd);
        self
    }

    /// The rate per million characters turned into speech.
    pub fn with_characters(mut self, usd_per_million: f64) -> Self {
        self.characters = Some(usd_per_million);
        self
    }

    /// The rate for cached input reads.
    pub fn with_cached_input(mut self, rate: f64) -> Self {
        self.cached_input = Some(rate);
        self
    }

    /// The rate for cache writes.
    pub fn with_cache_write(mut self, rate: f64) -> Self {
        self.cache_write = Some(rate);
        self
    }

    /// The cost of `usage` at these rates. Cached reads and writes are part of the input
    /// count and priced at their own rates, never twice.
    pub fn cost(&self, usage: &TokenUsage) -> f64 {
        let cached = usage.cached_input.min(usage.input);
        let written = usage.cache_write.min(usage.input - cached);
        let plain = usage.input - cached - written;
        (plain as f64 * self.input
            + cached as f64 * self.cached_input.unwrap_or(self.input)
            + written as f64 * self.cache_write.unwrap_or(self.input)
            + usage.output as f64 * self.output
            + usage.characters as f64 * self.characters.unwrap_or(0.0))
            / 1_000_000.0
            + usage.audio_seconds / 60.0 * self.audio_minute.unwrap_or(0.0)
    }

    /// Whether these rates price what `usage` holds: its audio and characters need a
    /// rate of their own.
    fn prices(&self, usage: &TokenUsage) -> bool {
        (usage.audio_seconds <= 0.0 || self.audio_minute.is_some())
            && (usage.characters == 0 || self.characters.is_some())
    }
}

/// Why a call has no cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unpriced {
    /// Neither the overrides nor the price data know the model.
    UnknownModel,
    /// The price data could not price it, for the reason given.
    Other(String),
}

/// Prices for LLM calls: overrides first, then the `genai-prices` data.
///
/// The bundled data is the one in the `genai-prices` release ferrotel was built with;
/// load fresher data without a release with [`PriceTable::from_json`] (the JSON
/// published by the genai-prices project). Overrides come from the builder or a TOML
/// file:
///
/// ```
/// let table = ferrotel::genai::PriceTable::bundled()
///     .with_override("acme-llm", ferrotel::genai::Rates::new(0.2, 0.6))
///     .with_overrides_toml(r#"
///         [models."gpt-4o"]
///         input = 2.0
///         cached_input = 1.0
///         output = 8.0
///     "#).unwrap();
/// assert!(table.has_override("gpt-4o"));
/// ```
#[derive(Clone)]
pub struct PriceTable {
    calculator: Option<Arc<Calculator>>,
    overrides: HashMap<String, Rates>,
    resolved: Arc<RwLock<Resolutions>>,
}

/// The resolutions kept, by provider then model: looked up with the call's own strings,
/// so pricing a call copies neither.
#[derive(Debug, Default)]
struct Resolutions {
    by_provider: HashMap<String, HashMap<String, Resolved>>,
    len: usize,
}

impl Resolutions {
    fn get(&self, provider: &str, model: &str) -> Option<Resolved> {
        self.by_provider.get(provider)?.get(model).copied()
    }

    /// Keeps `r` unless [`MAX_RESOLVED_MODELS`] others are kept; `false` when full.
    fn insert(&mut self, provider: &str, model: &str, r: Resolved) -> bool {
        if let Some(kept) = self
            .by_provider
            .get_mut(provider)
            .and_then(|m| m.get_mut(model))
        {
            *kept = r;
            return true;
        }
        if self.len >= MAX_RESOLVED_MODELS {
            return false;
        }
        let models = self.by_provider.entry(provider.to_string()).or_default();
        models.insert(model.to_string(), r);
        self.len += 1;
        true
    }
}

/// What the price data says about one model, worked out on its first call.
#[derive(Debug, Clone, Copy)]
enum Resolved {
    /// Prices are linear in the token counts (no tiers): reuse these rates.
    Linear(Rates, std::time::Instant),
    /// Tiered or otherwise non-linear: ask the price data each time.
    Dynamic,
    /// The data does not know the model.
    Unknown,
}

/// Rates resolved from the data are re-checked after this long, so a price change by
/// date reaches a long-running process.
const RESOLVED_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Most `(provider, model)` pairs whose resolution is kept: a caller passing arbitrary
/// model names cannot grow the table without bound. Models past it are resolved on each
/// call (slower, same cost).
pub(crate) const MAX_RESOLVED_MODELS: usize = 1024;

impl std::fmt::Debug for PriceTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PriceTable")
            .field(
                "data",
                &if self.calculator.is_some() {
                    "custom"
                } else {
                    "bundled"
                },
            )
            .field("overrides", &self.overrides.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct OverrideFile {
    #[serde(default)]
    models: HashMap<String, RatesToml>,
}

/// One model of the override file; which rates it must have is checked on load.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RatesToml {
    input: Option<f64>,
    cached_input: Option<f64>,
    cache_write: Option<f64>,
    output: Option<f64>,
    audio_minute: Option<f64>,
    characters: Option<f64>,
}

/// A price table could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PriceError {
    /// The override TOML is not valid.
    #[error("invalid price overrides: {0} (expected [models.\"NAME\"] tables with input and output, optional cached_input and cache_write, in USD per million tokens; or, for voice models, audio_minute in USD per minute and/or characters in USD per million characters)")]
    Toml(String),
    /// The price data JSON is not valid.
    #[error("invalid genai-prices data: {0}")]
    Data(String),
}

impl PriceTable {
    /// The price data bundled with this build, no overrides.
    pub fn bundled() -> Self {
        PriceTable {
            calculator: None,
            overrides: HashMap::new(),
            resolved: Arc::default(),
        }
    }

    /// Price data from JSON in the genai-prices format, e.g. a fresher download.
    pub fn from_json(json: impl AsRef<[u8]>) -> Result<Self, PriceError> {
        let calculator =
            Calculator::from_json(json).map_err(|e| PriceError::Data(e.to_string()))?;
        Ok(PriceTable {
            calculator: Some(Arc::new(calculator)),
            overrides: HashMap::new(),
            resolved: Arc::default(),
        })
    }

    /// Prices `model` at `rates`, whatever the data says (the name must match exactly).
    pub fn with_override(mut self, model: impl Into<String>, rates: Rates) -> Self {
        self.overrides.insert(model.into(), rates);
        self
    }

    /// Adds the overrides of a TOML document: `[models."NAME"]` tables with `input`,
    /// `output` and optional `cached_input`, `cache_write` (USD per million tokens).
    pub fn with_overrides_toml(mut self, toml: &str) -> Result<Self, PriceError> {
        let file: OverrideFile =
            toml::from_str(toml).map_err(|e| PriceError::Toml(e.to_string()))?;
        for (model, r) in file.models {
            let bad = |why: &str| Err(PriceError::Toml(format!("{model:?}: {why}")));
            let voice = r.audio_minute.is_some() || r.characters.is_some();
            let (input, output) = match (r.input, r.output) {
                (Some(i), Some(o)) => (i, o),
                (None, None) if voice => (0.0, 0.0),
                (None, None) => {
                    return bad("has neither input and output nor audio_minute or characters")
                }
                _ => return bad("needs both input and output"),
            };
            let all = [
                Some(input),
                Some(output),
                r.cached_input,
                r.cache_write,
                r.audio_minute,
                r.characters,
            ];
            if all.iter().flatten().any(|v| !(*v >= 0.0 && v.is_finite())) {
                return bad("rates must not be negative");
            }
            let rates = Rates {
                input,
                cached_input: r.cached_input,
                cache_write: r.cache_write,
                output,
                audio_minute: r.audio_minute,
                characters: r.characters,
            };
            self.overrides.insert(model, rates);
        }
        Ok(self)
    }

    /// Adds the overrides of a TOML file (see [`with_overrides_toml`](PriceTable::with_overrides_toml)).
    pub fn with_overrides_file(
        self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Self, PriceError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| PriceError::Toml(format!("cannot read {}: {e}", path.display())))?;
        self.with_overrides_toml(&text)
    }

    /// Whether `model` has an override.
    pub fn has_override(&self, model: &str) -> bool {
        self.overrides.contains_key(model)
    }

    fn calculator(&self) -> &Calculator {
        match &self.calculator {
            Some(c) => c,
            None => Calculator::bundled(),
        }
    }

    /// The cost of a call in US dollars.
    ///
    /// ```
    /// use ferrotel::genai::{PriceTable, TokenUsage};
    /// let usage = TokenUsage::new(1_000, 500).with_cached_input(200);
    /// let cost = PriceTable::bundled().cost("openai", "gpt-4o", &usage).unwrap();
    /// assert!((cost - 0.00725).abs() < 1e-9); // 800 × $2.50 + 200 × $1.25 + 500 × $10 per Mtok
    /// ```
    pub fn cost(&self, provider: &str, model: &str, usage: &TokenUsage) -> Result<f64, Unpriced> {
        if let Some(rates) = self.overrides.get(model) {
            if !rates.prices(usage) {
                return Err(Unpriced::Other(format!(
                    "the override of {model} has no audio_minute or characters rate for this voice call"
                )));
            }
            return Ok(rates.cost(usage));
        }
        if usage.audio_seconds > 0.0 || usage.characters > 0 {
            let builtin = matches!(provider, "openai" | "azure.ai.openai")
                .then(|| AUDIO_PRICES.iter().find(|(m, _)| *m == model))
                .flatten();
            return match builtin {
                Some((_, rates)) => Ok(rates.cost(usage)),
                // Priced by tokens (gpt-4o-transcribe): the data knows those.
                None if usage.input > 0 || usage.output > 0 => {
                    self.token_cost(provider, model, usage)
                }
                None => Err(Unpriced::UnknownModel),
            };
        }
        self.token_cost(provider, model, usage)
    }

    fn token_cost(&self, provider: &str, model: &str, usage: &TokenUsage) -> Result<f64, Unpriced> {
        let known = self
            .resolved
            .read()
            .ok()
            .and_then(|r| r.get(provider, model));
        let resolution = match known {
            Some(Resolved::Linear(_, at)) if at.elapsed() <= RESOLVED_TTL => known,
            Some(Resolved::Linear(..)) | None => None,
            Some(r) => Some(r),
        };
        let resolution = match resolution {
            Some(r) => r,
            // First seen, or its rates are due a re-check.
            None => {
                let r = self.resolve(provider, model);
                if let Ok(mut kept) = self.resolved.write() {
                    if !kept.insert(provider, model, r) {
                        warn_table_full();
                    }
                }
                r
            }
        };
        match resolution {
            Resolved::Linear(rates, _) => Ok(rates.cost(usage)),
            Resolved::Unknown => Err(Unpriced::UnknownModel),
            Resolved::Dynamic => self.calculate(provider, model, usage),
        }
    }

    /// How many `(provider, model)` resolutions are kept (at most [`MAX_RESOLVED_MODELS`]).
    #[cfg(test)]
    pub(crate) fn resolved_len(&self) -> usize {
        self.resolved.read().map_or(0, |r| r.len)
    }

    /// Works out once whether a model's prices are plain per-token rates: prices the
    /// same usage at three scales and checks they agree.
    fn resolve(&self, provider: &str, model: &str) -> Resolved {
        let per_mtok = |u: TokenUsage| self.calculate(provider, model, &u);
        let Ok(input) = per_mtok(TokenUsage::new(1_000_000, 0)) else {
            return match per_mtok(TokenUsage::new(1, 1)) {
                Err(Unpriced::UnknownModel) => Resolved::Unknown,
                _ => Resolved::Dynamic,
            };
        };
        let (Ok(output), Ok(cached), Ok(written)) = (
            per_mtok(TokenUsage::new(0, 1_000_000)),
            per_mtok(TokenUsage::new(1_000_000, 0).with_cached_input(1_000_000)),
            per_mtok(TokenUsage::new(1_000_000, 0).with_cache_write(1_000_000)),
        ) else {
            return Resolved::Dynamic;
        };
        let rates = Rates {
            input,
            cached_input: Some(cached),
            cache_write: Some(written),
            output,
            audio_minute: None,
            characters: None,
        };
        // Tiers show as prices that do not scale: compare with small and mixed calls.
        let probes = [
            TokenUsage::new(1_000, 1_000),
            TokenUsage::new(250_000, 10_000).with_cached_input(100_000),
            TokenUsage::new(3_000, 200).with_cache_write(1_000),
        ];
        let linear = probes
            .iter()
            .all(|u| match self.calculate(provider, model, u) {
                Ok(p) => (p - rates.cost(u)).abs() <= 1e-9 * p.abs().max(1.0),
                Err(_) => false,
            });
        if linear {
            Resolved::Linear(rates, std::time::Instant::now())
        } else {
            Resolved::Dynamic
        }
    }

    fn calculate(&self, provider: &str, model: &str, usage: &TokenUsage) -> Result<f64, Unpriced> {
        let mut u = Usage::from([
            (UsageKey::INPUT_TOKENS, usage.input as f64),
            (UsageKey::OUTPUT_TOKENS, usage.output as f64),
        ]);
        if usage.cached_input > 0 {
            u.insert(UsageKey::CACHE_READ_TOKENS, usage.cached_input as f64);
        }
        if usage.cache_write > 0 {
            u.insert(UsageKey::CACHE_WRITE_TOKENS, usage.cache_write as f64);
        }
        let request = PriceRequest::new(model, &u).with_provider_id(provider_id(provider));
        match self.calculator().calculate(&request) {
            Ok(p) => Ok(p.total_price),
            Err(e)
                if e.kind() == ErrorKind::ModelNotFound
                    || e.kind() == ErrorKind::ProviderNotFound =>
            {
                Err(Unpriced::UnknownModel)
            }
            Err(e) => Err(Unpriced::Other(e.to_string())),
        }
    }

    /// Usage read from a provider's raw response body (`genai-prices`' extractors for
    /// the OpenAI, Anthropic, Google, … response shapes). `api_flavor` is the
    /// provider's API, e.g. `chat` or `responses` for OpenAI.
    pub fn usage_from_body(
        &self,
        provider: &str,
        api_flavor: &str,
        body: &[u8],
    ) -> Option<TokenUsage> {
        let request = genai_prices::ExtractRequest::new(body)
            .with_provider_id(provider_id(provider))
            .with_api_flavor(api_flavor);
        let extracted = self.calculator().extract_provider_usage(&request).ok()?;
        let get = |k: &str| extracted.usage.get(k).unwrap_or(0.0).max(0.0) as u64;
        Some(TokenUsage {
            input: get("input_tokens"),
            output: get("output_tokens"),
            cached_input: get("cache_read_tokens"),
            cache_write: get("cache_write_tokens"),
            reasoning: get("output_reasoning_tokens"),
            response_model: extracted.model_ref,
            ..TokenUsage::default()
        })
    }
}

/// `gen_ai.provider.name` values to genai-prices provider ids.
fn provider_id(provider: &str) -> &str {
    match provider {
        "gcp.gemini" | "gcp.vertex_ai" | "gcp.gen_ai" => "google",
        "aws.bedrock" => "aws",
        "azure.ai.openai" | "azure.ai.inference" => "azure",
        "x_ai" => "x-ai",
        other => other,
    }
}

/// The process-wide table LLM calls are priced with.
pub(crate) fn global() -> Arc<PriceTable> {
    lock()
        .read()
        .map(|t| t.clone())
        .unwrap_or_else(|_| Arc::new(PriceTable::bundled()))
}

/// Says once per process that the resolution table is full.
fn warn_table_full() {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            target: "ferrotel::genai",
            models = MAX_RESOLVED_MODELS,
            "the price table remembers this many models; further models are priced on each call"
        );
    }
}

fn lock() -> &'static RwLock<Arc<PriceTable>> {
    static TABLE: OnceLock<RwLock<Arc<PriceTable>>> = OnceLock::new();
    TABLE.get_or_init(|| RwLock::new(Arc::new(PriceTable::bundled())))
}

/// Replaces the process-wide price table (the bundled data with no overrides by default).
///
/// ```
/// ferrotel::genai::set_price_table(
///     ferrotel::genai::PriceTable::bundled().with_override("in-house-7b", ferrotel::genai::Rates::new(0.0, 0.0)),
/// );
/// ```
pub fn set_price_table(table: PriceTable) {
    if let Ok(mut t) = lock().write() {
        *t = Arc::new(table);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn voice_calls_are_priced_per_minute_and_per_character() {
        let t = PriceTable::bundled();
        let stt = TokenUsage::new(0, 0).with_audio_seconds(150.0);
        assert!(close(t.cost("openai", "whisper-1", &stt).unwrap(), 0.015)); // 2.5 min × $0.006
        let tts = TokenUsage::new(0, 0)
            .with_characters(4_000)
            .with_audio_seconds(240.0);
        assert!(close(t.cost("openai", "tts-1", &tts).unwrap(), 0.06)); // 4k chars × $15/M
        assert!(close(t.cost("openai", "tts-1-hd", &tts).unwrap(), 0.12));
        // Audio of a model nobody prices per minute is unpriced, never $0.
        assert_eq!(
            t.cost("openai", "mystery-voice", &stt),
            Err(Unpriced::UnknownModel)
        );
        let t = t
            .with_overrides_toml(
                r#"
                [models."voice-x"]
                audio_minute = 0.01
                characters = 20.0
                [models."whisper-1"]
                audio_minute = 0.004
                "#,
            )
            .unwrap();
        let both = TokenUsage::new(0, 0)
            .with_audio_seconds(30.0)
            .with_characters(500);
        assert!(close(
            t.cost("openai", "voice-x", &both).unwrap(),
            0.005 + 0.01
        ));
        assert!(close(t.cost("openai", "whisper-1", &stt).unwrap(), 0.01)); // the override wins
                                                                            // An override without the rate the call needs says so.
        let t = t.with_override("text-only", Rates::new(1.0, 2.0));
        assert!(matches!(
            t.cost("openai", "text-only", &stt),
            Err(Unpriced::Other(_))
        ));
    }

    #[test]
    fn override_files_need_a_complete_set_of_rates() {
        for (toml, want) in [
            ("[models.a]\ninput = 1.0\n", "needs both input and output"),
            (
                "[models.a]\ncached_input = 1.0\n",
                "has neither input and output",
            ),
            ("[models.a]\naudio_minute = -1.0\n", "must not be negative"),
            (
                "[models.a]\ninput = 1.0\noutput = 1.0\nper_minute = 2.0\n",
                "per_minute",
            ),
        ] {
            let e = PriceTable::bundled()
                .with_overrides_toml(toml)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{toml}: {e}");
        }
    }

    #[test]
    fn known_bills_to_the_micro_dollar() {
        let t = PriceTable::bundled();
        // gpt-4o: $2.50 in, $1.25 cached in, $10 out per Mtok.
        let plain = t
            .cost("openai", "gpt-4o", &TokenUsage::new(1_000_000, 1_000_000))
            .unwrap();
        assert!(close(plain, 12.5), "{plain}");
        let cached = t
            .cost(
                "openai",
                "gpt-4o",
                &TokenUsage::new(1_000, 500).with_cached_input(200),
            )
            .unwrap();
        assert!(close(cached, 0.002 + 0.00025 + 0.005), "{cached}");
        // o3: reasoning tokens are output tokens, priced once ($2 in, $8 out per Mtok).
        let o3 = t
            .cost(
                "openai",
                "o3",
                &TokenUsage::new(1_000, 500).with_reasoning(100),
            )
            .unwrap();
        assert!(close(o3, 0.002 + 0.004), "{o3}");
        assert_eq!(
            t.cost("openai", "no-such-model", &TokenUsage::new(1, 1)),
            Err(Unpriced::UnknownModel)
        );
    }

    #[test]
    fn the_resolution_table_stops_at_its_cap() {
        let t = PriceTable::bundled();
        for i in 0..MAX_RESOLVED_MODELS + 100 {
            assert!(t
                .cost("nobody", &format!("m-{i}"), &TokenUsage::new(1, 1))
                .is_err());
        }
        assert_eq!(t.resolved_len(), MAX_RESOLVED_MODELS);
        for i in 0..100 {
            let _ = t.cost(&format!("provider-{i}"), "m", &TokenUsage::new(1, 1));
        }
        assert_eq!(t.resolved.read().unwrap().by_provider.len(), 1);
        // Past the cap, known models still price correctly.
        assert!(t.cost("openai", "gpt-4o", &TokenUsage::new(1, 1)).is_ok());
    }

    #[test]
    fn models_are_resolved_once_and_tiers_stay_exact() {
        let t = PriceTable::bundled();
        let u = TokenUsage::new(1_000, 500).with_cached_input(200);
        let first = t.cost("openai", "gpt-4o", &u).unwrap();
        assert!(matches!(
            t.resolved.read().unwrap().get("openai", "gpt-4o"),
            Some(Resolved::Linear(..))
        ));
        assert_eq!(
            t.cost("openai", "gpt-4o", &u).unwrap(),
            first,
            "the cached rates price the same"
        );
        assert!(close(first, t.calculate("openai", "gpt-4o", &u).unwrap()));
        // A tiered model (a higher rate past 100k input tokens) is priced by the data every time.
        let big = TokenUsage::new(150_000, 10);
        let tiered = t.cost("google", "claude-haiku-5-5", &big).unwrap();
        assert!(matches!(
            t.resolved.read().unwrap().get("google", "claude-haiku-5-5"),
            Some(Resolved::Dynamic)
        ));
        assert!(close(
            tiered,
            t.calculate("google", "claude-haiku-5-5", &big).unwrap()
        ));
        assert_eq!(t.cost("openai", "nope", &u), Err(Unpriced::UnknownModel));
        assert!(matches!(
            t.resolved.read().unwrap().get("openai", "nope"),
            Some(Resolved::Unknown)
        ));
    }

    #[test]
    fn overrides_win_and_count_cache_once() {
        let t = PriceTable::bundled()
            .with_overrides_toml("[models.\"gpt-4o\"]\ninput = 1.0\ncached_input = 0.1\ncache_write = 2.0\noutput = 4.0\n")
            .unwrap();
        let u = TokenUsage::new(1_000, 100)
            .with_cached_input(300)
            .with_cache_write(200);
        // 500 plain × 1 + 300 × 0.1 + 200 × 2 + 100 × 4, per Mtok.
        let c = t.cost("openai", "gpt-4o", &u).unwrap();
        assert!(close(c, (500.0 + 30.0 + 400.0 + 400.0) / 1e6), "{c}");
        let e = PriceTable::bundled()
            .with_overrides_toml("[models.x]\ninput = \"cheap\"")
            .unwrap_err();
        assert!(e.to_string().contains("invalid price overrides"), "{e}");
        assert!(PriceTable::bundled()
            .with_overrides_toml("[models.x]\ninput = -1\noutput = 1")
            .is_err());
        assert!(PriceTable::from_json("not json").is_err());
    }

    #[test]
    fn usage_from_an_openai_body() {
        let body = br#"{"id":"x","object":"chat.completion","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"prompt_tokens_details":{"cached_tokens":40},"completion_tokens_details":{"reasoning_tokens":5}}}"#;
        let u = PriceTable::bundled()
            .usage_from_body("openai", "chat", body)
            .unwrap();
        assert_eq!(
            (u.input, u.output, u.cached_input, u.reasoning),
            (100, 20, 40, 5)
        );
        assert_eq!(u.response_model.as_deref(), Some("gpt-4o-mini"));
    }
}
