//! [`Config`]: what `init` builds, read from the standard `OTEL_*` environment
//! variables and overridden by builder methods.
//!
//! A `Config` stores two things: the environment as read (only the variables in
//! [`env::ALL`]) and what code set with `with_*`, each an `Option`. Nothing is decided
//! while building: [`Config::resolve`] applies precedence once — a `with_*` call, then
//! the signal-specific variable (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), then the general
//! one (`OTEL_EXPORTER_OTLP_ENDPOINT`), then ferrotel's default — and `init` runs it. So
//! the order of setter calls never matters, and a bad value set in code is reported by
//! `init` (or `resolve`), naming the setter.
//!
//! Rooms: `env` (variable names), `types` (the value types), `parse` (text to values,
//! errors naming the input), `resolve` (precedence, [`Resolved`]).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::Error;

pub mod env;
mod parse;
mod resolve;
mod types;

pub(crate) use parse::mask_userinfo;
pub use resolve::Resolved;
pub use types::{BatchSettings, LogFormat, OtlpTarget, Pem, Protocol, Sampler, TlsFiles};
pub(crate) use types::{Propagator, TemporalityPreference};

/// What code set with the `with_*` methods; `None` leaves the choice to the environment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Code {
    disabled: Option<bool>,
    service_name: Option<String>,
    default_service_name: Option<String>,
    service_version: Option<String>,
    environment: Option<String>,
    resource_attributes: BTreeMap<String, String>,
    log_format: Option<LogFormat>,
    log_filter: Option<String>,
    telemetry_filter: Option<String>,
    startup_line: Option<bool>,
    log_bridge: Option<bool>,
    strict: Option<bool>,
    sampler: Option<Sampler>,
    otlp: Option<(String, Protocol)>,
    otlp_headers: Vec<(String, String)>,
    prometheus: Option<(String, u16)>,
    prometheus_listener: Option<bool>,
    shutdown_timeout: Option<Duration>,
    metric_interval: Option<Duration>,
    metric_cardinality: Option<usize>,
    admin_token: Option<String>,
    health_ttl: Option<Duration>,
    slow_query: Option<Duration>,
    genai_capture: Option<bool>,
    genai_tenant_limit: Option<usize>,
    error_categories: Option<crate::failure::CategoryMap>,
    install_subscriber: Option<bool>,
}

/// Everything `init` needs: the environment as read, and what code set on top.
///
/// ```
/// # fn main() -> Result<(), ferrotel::Error> {
/// let config = ferrotel::Config::from_env()?
///     .with_service_name("checkout")
///     .with_service_version("1.4.2")
///     .with_environment("staging");
/// assert_eq!(config.service_name(), "checkout");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Config {
    vars: parse::Vars,
    code: Code,
}

impl Config {
    /// Reads the variables ferrotel knows ([`env::ALL`]) from the process environment.
    ///
    /// Fails on the first variable whose value cannot be used, naming it; a variable
    /// ferrotel reads that is not valid UTF-8 is such a value. Other variables are never
    /// looked at.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_os_vars(env::ALL.iter().map(|&name| (name, std::env::var_os(name))))
    }

    fn from_os_vars(
        vars: impl IntoIterator<Item = (&'static str, Option<std::ffi::OsString>)>,
    ) -> Result<Config, Error> {
        let mut pairs = Vec::new();
        for (name, value) in vars {
            if let Some(v) = value {
                let v = v.into_string().map_err(|raw| Error::InvalidEnv {
                    var: name,
                    value: raw.to_string_lossy().into_owned(),
                    allowed: "valid UTF-8",
                })?;
                pairs.push((name, v));
            }
        }
        Config::from_vars(pairs)
    }

    /// Like [`from_env`](Config::from_env), but from the given pairs instead of the
    /// process environment: handy in tests and for config loaded from elsewhere.
    ///
    /// ```
    /// let config = ferrotel::Config::from_vars([
    ///     ("OTEL_SERVICE_NAME", "billing"),
    ///     ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
    /// ]).unwrap();
    /// assert_eq!(config.service_name(), "billing");
    /// let resolved = config.resolve().unwrap();
    /// assert_eq!(resolved.otlp(ferrotel::Signal::Traces).unwrap().endpoint,
    ///            "http://collector:4318/v1/traces");
    /// ```
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Config, Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let config = Config {
            vars: parse::Vars(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
            code: Code::default(),
        };
        // Bad variables are reported now, where the operator's mistake is.
        config.resolve()?;
        Ok(config)
    }

    /// Applies precedence — code, then the environment, then defaults — and checks
    /// every value. `init` calls this; call it to see what `init` would build.
    ///
    /// A variable whose value ferrotel cannot use (an unknown propagator or exporter, a
    /// malformed number or duration, …) is ignored as the OpenTelemetry SDK specification
    /// asks: the default stands in, and [`Resolved::ignored`] says which and why (`init`
    /// logs each as a warning). In strict mode ([`strict`](Config::strict) or
    /// `FERROTEL_STRICT_CONFIG=true`) it is an error naming the variable. Code's own
    /// settings (`with_*`) and `FERROTEL_ADMIN_TOKEN`, which guards the admin endpoints,
    /// are always checked strictly.
    ///
    /// ```
    /// let config = ferrotel::Config::default().with_sampler(ferrotel::Sampler::TraceIdRatio(2.0));
    /// let err = config.resolve().unwrap_err();
    /// assert!(err.to_string().contains("with_sampler"));
    ///
    /// let lenient = ferrotel::Config::from_vars([("OTEL_PROPAGATORS", "tracecontext,xray")]).unwrap();
    /// let resolved = lenient.resolve().unwrap();
    /// assert!(resolved.ignored()[0].contains("OTEL_PROPAGATORS"));
    /// ```
    pub fn resolve(&self) -> Result<Resolved, Error> {
        let strict = match self.code.strict {
            Some(strict) => strict,
            None => self
                .vars
                .get(env::FERROTEL_STRICT_CONFIG)
                .map(|v| parse::parse_bool(env::FERROTEL_STRICT_CONFIG, v))
                .transpose()?
                .unwrap_or(false),
        };
        let mut vars = self.vars.clone();
        let mut ignored = Vec::new();
        loop {
            match resolve::resolve(&vars, &self.code) {
                Ok(mut resolved) => {
                    resolved.ignored = ignored;
                    return Ok(resolved);
                }
                Err(e @ Error::InvalidEnv { var, .. })
                    if !strict && var != env::FERROTEL_ADMIN_TOKEN && vars.0.contains_key(var) =>
                {
                    ignored.push((var, format!("{e}; ignored, the default stands")));
                    vars.0.remove(var);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Makes every value ferrotel cannot use an error of `init`, naming the variable,
    /// instead of a warning (also `FERROTEL_STRICT_CONFIG=true`).
    ///
    /// ```
    /// let err = ferrotel::Config::from_vars([("OTEL_PROPAGATORS", "xray")])
    ///     .unwrap()
    ///     .strict()
    ///     .resolve()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("OTEL_PROPAGATORS"));
    /// ```
    #[must_use]
    pub fn strict(mut self) -> Self {
        self.code.strict = Some(true);
        self
    }

    /// A configuration that records nothing and exports nothing: the handle and every
    /// instrument still work. The same as `OTEL_SDK_DISABLED=true`.
    ///
    /// ```
    /// let telemetry = ferrotel::init(ferrotel::Config::disabled()).unwrap();
    /// assert!(telemetry.prometheus_addr().is_none());
    /// ```
    pub fn disabled() -> Config {
        let mut c = Config::default();
        c.code.disabled = Some(true);
        c
    }

    /// Sets `service.name`. Code wins over `OTEL_SERVICE_NAME`.
    #[must_use]
    pub fn with_service_name(mut self, name: impl Into<String>) -> Self {
        self.code.service_name = Some(name.into());
        self
    }

    /// Sets `service.name` unless `OTEL_SERVICE_NAME` (or `service.name` in
    /// `OTEL_RESOURCE_ATTRIBUTES`) already did: the code names the service, operators may rename it.
    ///
    /// ```
    /// let c = ferrotel::Config::from_vars([("OTEL_SERVICE_NAME", "ops-name")]).unwrap()
    ///     .with_default_service_name("code-name");
    /// assert_eq!(c.service_name(), "ops-name");
    /// ```
    #[must_use]
    pub fn with_default_service_name(mut self, name: impl Into<String>) -> Self {
        self.code.default_service_name = Some(name.into());
        self
    }

    /// Sets `service.version`. Code wins over `OTEL_RESOURCE_ATTRIBUTES`. Default: unset.
    #[must_use]
    pub fn with_service_version(mut self, version: impl Into<String>) -> Self {
        self.code.service_version = Some(version.into());
        self
    }

    /// Sets `deployment.environment.name` (`production`, `staging`, …). Code wins over
    /// `OTEL_RESOURCE_ATTRIBUTES`. Default: unset.
    #[must_use]
    pub fn with_environment(mut self, environment: impl Into<String>) -> Self {
        self.code.environment = Some(environment.into());
        self
    }

    /// Adds a resource attribute. Code wins over `OTEL_RESOURCE_ATTRIBUTES`.
    #[must_use]
    pub fn with_resource_attribute(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.code
            .resource_attributes
            .insert(key.into(), value.into());
        self
    }

    /// Console log format. Code wins over `FERROTEL_LOG_FORMAT`. Default: [`LogFormat::Text`].
    #[must_use]
    pub fn with_log_format(mut self, format: LogFormat) -> Self {
        self.code.log_format = Some(format);
        self
    }

    /// What the console prints, in `EnvFilter` syntax. Code wins over `RUST_LOG`.
    /// Default: `info` (with the `opentelemetry*` crates at `warn`). It does not decide
    /// what is exported: see [`with_telemetry_filter`](Config::with_telemetry_filter). A
    /// filter that does not parse is reported by `init`, naming this setter.
    #[must_use]
    pub fn with_log_filter(mut self, filter: impl Into<String>) -> Self {
        self.code.log_filter = Some(filter.into());
        self
    }

    /// What becomes OpenTelemetry spans and log records, in `EnvFilter` syntax. Code wins
    /// over `FERROTEL_TELEMETRY_FILTER`. Default: `info` (ferrotel's instrumentation spans
    /// and every `info` event), whatever `RUST_LOG` says: quieting the console with
    /// `RUST_LOG=warn` loses no span.
    ///
    /// ```
    /// let config = ferrotel::Config::default().with_telemetry_filter("info,my_app=debug");
    /// ```
    #[must_use]
    pub fn with_telemetry_filter(mut self, filter: impl Into<String>) -> Self {
        self.code.telemetry_filter = Some(filter.into());
        self
    }

    /// Skips the `INFO` line `init` logs about where telemetry goes (also
    /// `FERROTEL_STARTUP_LOG=false`).
    ///
    /// ```
    /// let config = ferrotel::Config::default().without_startup_line();
    /// ```
    #[must_use]
    pub fn without_startup_line(mut self) -> Self {
        self.code.startup_line = Some(false);
        self
    }

    /// Does not install the `log` → `tracing` bridge. By default `init` makes records of
    /// the `log` crate (`log::info!` in a dependency) `tracing` events, so they reach the
    /// console and the OTLP log exporter with the current span's ids; it stays out when
    /// another `log` logger is already set.
    ///
    /// ```
    /// let config = ferrotel::Config::default().without_log_bridge();
    /// ```
    #[must_use]
    pub fn without_log_bridge(mut self) -> Self {
        self.code.log_bridge = Some(false);
        self
    }

    /// The sampler. Code wins over `OTEL_TRACES_SAMPLER`. Default: [`Sampler::ParentBasedAlwaysOn`].
    /// A ratio outside 0..=1 is reported by `init`, naming this setter.
    #[must_use]
    pub fn with_sampler(mut self, sampler: Sampler) -> Self {
        self.code.sampler = Some(sampler);
        self
    }

    /// Sends every signal over OTLP to `endpoint` (as `OTEL_EXPORTER_OTLP_ENDPOINT` would).
    /// Code wins over the environment. For HTTP, `/v1/{signal}` is appended. Headers and
    /// timeouts from the environment still apply.
    #[must_use]
    pub fn with_otlp(mut self, endpoint: impl Into<String>, protocol: Protocol) -> Self {
        self.code.otlp = Some((endpoint.into(), protocol));
        self
    }

    /// Adds a header (gRPC metadata) to every OTLP export. Code wins over
    /// `OTEL_EXPORTER_OTLP_HEADERS` for the same key, whether it is called before or
    /// after [`with_otlp`](Config::with_otlp).
    #[must_use]
    pub fn with_otlp_header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.code.otlp_headers.push((key.into(), value.into()));
        self
    }

    /// Serves `/metrics` on a built-in listener at `host:port`. Code wins over
    /// `OTEL_EXPORTER_PROMETHEUS_HOST`/`_PORT`. Default `127.0.0.1:9464`; port 0 picks a free port.
    #[must_use]
    pub fn with_prometheus_listener(mut self, host: impl Into<String>, port: u16) -> Self {
        self.code.prometheus = Some((host.into(), port));
        self.code.prometheus_listener = Some(true);
        self
    }

    /// Keeps the Prometheus exposition (readable from the handle) but starts no listener,
    /// for services that serve it on their own router.
    #[must_use]
    pub fn without_prometheus_listener(mut self) -> Self {
        self.code.prometheus_listener = Some(false);
        self
    }

    /// Time limit of [`Telemetry::shutdown`](crate::Telemetry::shutdown). Code wins over
    /// `FERROTEL_SHUTDOWN_TIMEOUT`. Default 5 s. Zero is reported by `init`.
    #[must_use]
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.code.shutdown_timeout = Some(timeout);
        self
    }

    /// Interval between OTLP metric exports. Code wins over `OTEL_METRIC_EXPORT_INTERVAL`.
    /// Default 60 s. Zero is reported by `init`.
    #[must_use]
    pub fn with_metric_interval(mut self, interval: Duration) -> Self {
        self.code.metric_interval = Some(interval);
        self
    }

    /// Most series one metric instrument keeps; measurements with further attribute sets
    /// are added to one overflow series labelled `otel.metric.overflow="true"` (shown on
    /// `/metrics` as `otel_metric_overflow`), so nothing is lost and memory stays bounded.
    /// Code wins over `FERROTEL_METRIC_CARDINALITY_LIMIT`. Default 2000 (the SDK's).
    ///
    /// ```
    /// let c = ferrotel::Config::default().with_metric_cardinality_limit(500);
    /// assert_eq!(c.resolve().unwrap().metric_cardinality_limit(), 500);
    /// ```
    #[must_use]
    pub fn with_metric_cardinality_limit(mut self, series: usize) -> Self {
        self.code.metric_cardinality = Some(series);
        self
    }

    /// Requires `Authorization: Bearer {token}` on `/metrics` and `/health`; `/health/live`,
    /// `/health/ready` and `/status` stay public and show no details. Code wins over
    /// `FERROTEL_ADMIN_TOKEN`. Default: no token. A token under 16 visible characters is
    /// reported by `init`, without repeating it.
    #[must_use]
    pub fn with_admin_token(mut self, token: impl Into<String>) -> Self {
        self.code.admin_token = Some(token.into());
        self
    }

    /// Database operations slower than this log a `WARN` with the sanitized statement.
    /// Code wins over `FERROTEL_DB_SLOW_QUERY_MS`. Default 500 ms.
    #[must_use]
    pub fn with_slow_query_threshold(mut self, threshold: Duration) -> Self {
        self.code.slow_query = Some(threshold);
        self
    }

    /// Records LLM prompts and completions on spans, redacted and truncated. Code wins
    /// over `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`. Default off.
    #[must_use]
    pub fn with_genai_content_capture(mut self, on: bool) -> Self {
        self.code.genai_capture = Some(on);
        self
    }

    /// How many tenants get their own `tenant` label on LLM cost and tokens (the rest
    /// are `other`). Code wins over `FERROTEL_GENAI_TENANT_LIMIT`. Default 100.
    #[must_use]
    pub fn with_genai_tenant_limit(mut self, tenants: usize) -> Self {
        self.code.genai_tenant_limit = Some(tenants);
        self
    }

    /// Which `error.category` each `error.type` belongs to, for
    /// [`ErrorCounter::record_error`](crate::app_errors::ErrorCounter::record_error). Code
    /// wins over `FERROTEL_ERROR_CATEGORIES`. Default [`CategoryMap::default`](crate::failure::CategoryMap).
    ///
    /// ```
    /// use ferrotel::failure::{Category, CategoryMap};
    /// let config = ferrotel::Config::disabled()
    ///     .with_error_categories(CategoryMap::default().with("card_declined", Category::ExternalService));
    /// ```
    #[must_use]
    pub fn with_error_categories(mut self, map: crate::failure::CategoryMap) -> Self {
        self.code.error_categories = Some(map);
        self
    }

    /// How long a health check's result is reused before it runs again. Code wins over
    /// `FERROTEL_HEALTH_CACHE_TTL`. Default 5 s. Zero is reported by `init`.
    #[must_use]
    pub fn with_health_ttl(mut self, ttl: Duration) -> Self {
        self.code.health_ttl = Some(ttl);
        self
    }

    /// Does not install a global `tracing` subscriber, meter or tracer provider; for
    /// applications that build their own and add ferrotel's layers, or for tests that
    /// need several pipelines.
    #[must_use]
    pub fn without_global_subscriber(mut self) -> Self {
        self.code.install_subscriber = Some(false);
        self
    }

    /// The `service.name` that will be reported: the builder's, else `OTEL_SERVICE_NAME`,
    /// else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else the default the code gave,
    /// else `unknown_service:{executable}`.
    pub fn service_name(&self) -> String {
        // Only what the name depends on is read: another bad value does not hide it.
        let attribute = self
            .code
            .resource_attributes
            .get("service.name")
            .cloned()
            .or_else(|| {
                let v = self.vars.get(env::OTEL_RESOURCE_ATTRIBUTES)?;
                let pairs = parse::parse_pairs(env::OTEL_RESOURCE_ATTRIBUTES, v, false).ok()?;
                pairs
                    .into_iter()
                    .rev()
                    .find(|(k, _)| k == "service.name")
                    .map(|(_, v)| v)
            });
        resolve::service_name(
            &self.code,
            self.vars.get(env::OTEL_SERVICE_NAME),
            attribute.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests;
