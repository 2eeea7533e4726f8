#![doc = include_str!("docs/crate.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![forbid(unsafe_code)]

pub mod cache;
pub mod catalog;
mod config;
pub mod db;
mod error;
pub mod errors;
mod export;
#[cfg(feature = "genai")]
#[cfg_attr(docsrs, doc(cfg(feature = "genai")))]
pub mod genai;
pub mod grpc;
pub mod health;
pub mod http;
mod init;
mod logfmt;
mod names;
mod prometheus;
pub mod propagation;
pub mod queue;
mod runtime;
mod signal;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

/// The README's code blocks, compiled and run as doc tests.
#[cfg(all(
    doctest,
    feature = "testing",
    feature = "redis",
    feature = "sqlx",
    feature = "genai"
))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[doc(inline)]
pub use config::{env, BatchSettings, Config, LogFormat, OtlpTarget, Protocol, Sampler};
#[doc(inline)]
pub use error::{Error, ShutdownError, ShutdownFailure, Undelivered};
#[doc(inline)]
pub use init::{init, Telemetry};
#[doc(inline)]
pub use signal::shutdown_signal;

/// The OpenTelemetry crates otelkit is built on, re-exported so an application
/// uses exactly the versions otelkit does.
pub use opentelemetry;
pub use opentelemetry_appender_tracing;
pub use opentelemetry_otlp;
pub use opentelemetry_prometheus;
pub use opentelemetry_sdk;
pub use opentelemetry_semantic_conventions;
pub use tracing;
pub use tracing_opentelemetry;
pub use tracing_subscriber;
