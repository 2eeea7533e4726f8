#![doc = include_str!("docs/crate.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod admin;
pub mod app_errors;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod assets;
pub mod cache;
pub mod catalog;
mod config;
pub mod db;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod doctor;
mod error;
mod export;
pub mod failure;
#[cfg(feature = "genai")]
#[cfg_attr(docsrs, doc(cfg(feature = "genai")))]
pub mod genai;
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub mod grpc;
pub mod health;
pub mod http;
mod instrument;
mod middleware;
mod names;
mod pipeline;
pub mod propagation;
pub mod queue;
mod runtime;
mod signal;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod slo;
mod termination;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

/// The guides (`docs/*.md`): how to set ferrotel up, instrument a service, run the stack,
/// the metric catalogue and the runbooks. Here so their examples compile and run as doc
/// tests.
#[cfg(all(
    any(doc, doctest),
    feature = "testing",
    feature = "redis",
    feature = "sqlx-sqlite",
    feature = "genai",
    feature = "async-openai"
))]
pub mod guides {
    #[doc = include_str!("../docs/setup.md")]
    pub mod setup {}
    #[doc = include_str!("../docs/instrumenting.md")]
    pub mod instrumenting {}
    #[doc = include_str!("../docs/stack.md")]
    pub mod stack {}
    #[doc = include_str!("../docs/metrics.md")]
    pub mod metrics {}
    #[doc = include_str!("../docs/runbooks.md")]
    pub mod runbooks {}
    #[doc = include_str!("../docs/development.md")]
    pub mod development {}
}

/// The README's code blocks, compiled and run as doc tests.
#[cfg(all(
    doctest,
    feature = "testing",
    feature = "redis",
    feature = "sqlx-sqlite",
    feature = "genai",
    feature = "async-openai"
))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[doc(inline)]
pub use config::{
    env, BatchSettings, Config, LogFormat, OtlpTarget, Pem, Protocol, Resolved, Sampler, TlsFiles,
};
#[doc(inline)]
pub use error::{Error, ShutdownError, ShutdownFailure, Undelivered};
#[doc(inline)]
pub use instrument::InstrumentSettings;
#[doc(inline)]
pub use middleware::span::server_context;
#[doc(inline)]
pub use pipeline::{init, init_with_layers, BoxedLayer, Telemetry};
#[doc(inline)]
pub use signal::Signal;
#[doc(inline)]
pub use termination::shutdown_signal;

/// The OpenTelemetry API crate ferrotel is built on, re-exported so an application
/// names its types (`KeyValue`, `Meter`) at exactly the version ferrotel uses.
pub use opentelemetry;
/// The `tracing` crate ferrotel's spans and events go through.
pub use tracing;
