//! Outgoing HTTP requests made with `reqwest`: a client span, the trace context in
//! the headers, and `http.client.request.duration`.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::KeyValue;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::metrics::DURATION_BUCKETS;
use crate::instrument::Bound;
use crate::{catalog, names};

/// Telemetry for outgoing `reqwest` requests: each request sent through it gets a client
/// span, `traceparent` injected, and `http.client.request.duration` recorded (to the
/// response headers). Cheap to clone.
///
/// Its histogram comes from the global meter (the pipeline `init` installed; one built
/// before `init` binds on first use after it) or from [`with_meter`](ClientTelemetry::with_meter).
///
/// ```no_run
/// # async fn run() -> Result<(), reqwest::Error> {
/// let http = ferrotel::http::ClientTelemetry::new();
/// let client = reqwest::Client::new();
/// let response = http.send(client.get("http://127.0.0.1:3000/users/7")).await?;
/// # Ok(()) }
/// ```
///
/// Labels: `http.request.method`, `server.address`, `server.port`, `url.scheme`,
/// `http.response.status_code`, `network.protocol.version`, and `error.type` (the status
/// code from 400 up, or `timeout`, `connect`, `_OTHER` when no response came). The span
/// carries `url.full` without its query string or credentials.
#[derive(Debug, Clone)]
pub struct ClientTelemetry {
    bound: Arc<Bound<Histogram<f64>>>,
}

impl Default for ClientTelemetry {
    fn default() -> Self {
        ClientTelemetry::new()
    }
}

fn duration(meter: &Meter) -> Histogram<f64> {
    catalog::HTTP_CLIENT_REQUEST_DURATION.f64_histogram(meter, DURATION_BUCKETS.to_vec())
}

impl ClientTelemetry {
    /// Records through the global meter.
    #[must_use]
    pub fn new() -> Self {
        ClientTelemetry {
            bound: Arc::new(Bound::new("http client", None, duration)),
        }
    }

    /// Records through `meter`.
    #[must_use]
    pub fn with_meter(meter: &Meter) -> Self {
        ClientTelemetry {
            bound: Arc::new(Bound::new("http client", Some(meter), duration)),
        }
    }

    /// Sends the request as `RequestBuilder::send` would, instrumented.
    pub fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send {
        let bound = self.bound.clone();
        let (client, request) = request.build_split();
        async move {
            let mut request = request?;
            let method = super::route::Verb::of(request.method()).label;
            let url = request.url();
            let host = url.host_str().unwrap_or("").to_string();
            let port = url.port_or_known_default().map(i64::from);
            let scheme = if url.scheme() == "https" {
                "https"
            } else {
                "http"
            };
            // No query (it may hold secrets), no credentials.
            let full = format!(
                "{}://{}{}{}",
                url.scheme(),
                host,
                url.port().map(|p| format!(":{p}")).unwrap_or_default(),
                url.path()
            );
            let span = tracing::info_span!(
                target: "ferrotel::http",
                "HTTP client request",
                otel.name = method,
                otel.kind = "client",
                otel.status_code = tracing::field::Empty,
                http.request.method = method,
                url.full = %full,
                server.address = %host,
                server.port = port,
                http.response.status_code = tracing::field::Empty,
                error.type = tracing::field::Empty,
            );
            crate::propagation::inject_context(&span.context(), request.headers_mut());
            let mut attrs = Vec::with_capacity(7);
            attrs.push(KeyValue::new(names::HTTP_REQUEST_METHOD, method));
            attrs.push(KeyValue::new(names::SERVER_ADDRESS, host));
            if let Some(p) = port {
                attrs.push(KeyValue::new(names::SERVER_PORT, p));
            }
            attrs.push(KeyValue::new(names::URL_SCHEME, scheme));
            let start = Instant::now();
            let result = {
                let fut = client.execute(request);
                tracing::Instrument::instrument(fut, span.clone()).await
            };
            let error: Option<String> = match &result {
                Ok(r) => {
                    let status = r.status().as_u16();
                    span.record("http.response.status_code", status);
                    attrs.push(KeyValue::new(
                        names::HTTP_RESPONSE_STATUS_CODE,
                        i64::from(status),
                    ));
                    let version = match r.version() {
                        reqwest::Version::HTTP_10 => "1.0",
                        reqwest::Version::HTTP_11 => "1.1",
                        reqwest::Version::HTTP_2 => "2",
                        reqwest::Version::HTTP_3 => "3",
                        _ => "_OTHER",
                    };
                    attrs.push(KeyValue::new(names::NETWORK_PROTOCOL_VERSION, version));
                    (status >= 400).then(|| status.to_string())
                }
                Err(e) if e.is_timeout() => Some("timeout".into()),
                Err(e) if e.is_connect() => Some("connect".into()),
                Err(_) => Some("_OTHER".into()),
            };
            if let Some(e) = error {
                span.record("error.type", e.as_str());
                span.record("otel.status_code", "error");
                attrs.push(KeyValue::new(names::ERROR_TYPE, e));
            }
            if let Some(b) = bound.get() {
                b.instruments.record(start.elapsed().as_secs_f64(), &attrs);
            }
            result
        }
    }
}
