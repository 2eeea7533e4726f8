//! HTTP server telemetry: a tower layer that opens a server span per request and
//! records the OpenTelemetry HTTP server metrics.
//!
//! ```
//! use axum::{routing::get, Router};
//!
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { "hi" }))
//!     .layer(ferrotel::http::ServerLayer::new());
//! ```
//!
//! What one request records, per the HTTP semantic conventions:
//! - a span `{method} {route}` (kind server) with `http.request.method`, `http.route`,
//!   `url.scheme`, `network.protocol.version`, `http.response.status_code` (the raw
//!   `url.path` only when opted in: `ServerLayer::with_raw_path`)
//!   and, on 5xx or a service error, `error.type`; parented on an incoming W3C
//!   `traceparent` (a malformed one starts a new trace);
//! - `http.server.request.duration`, `http.server.active_requests`,
//!   `http.server.request.body.size` and `http.server.response.body.size`, labelled by
//!   method, scheme, route template, status code, protocol version and `error.type`.
//!
//! The measurement ends when the response body is consumed, dropped or fails, so a
//! streamed body is timed to its last byte. `http.route` is axum's matched route
//! template; a request no route matched carries no `http.route` (its span is named by
//! the method alone), so raw paths never become labels. Unknown methods are `_OTHER`.

#[cfg(feature = "reqwest")]
mod client;
mod layer;
mod metrics;
mod route;

#[cfg(feature = "tonic")]
pub(crate) use metrics::DURATION_BUCKETS;

pub use crate::middleware::{Measure, ResponseBody, ResponseFuture};
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use client::ClientTelemetry;
pub use layer::{Measurement, Server, ServerLayer};
