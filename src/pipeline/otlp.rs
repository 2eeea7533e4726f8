//! OTLP exporters for each signal, over gRPC (tonic) or HTTP/protobuf (reqwest), built
//! from a resolved [`OtlpTarget`].

use crate::config::{OtlpTarget, Protocol};
use crate::error::Error;
use crate::Signal;

fn exporter_error(signal: Signal, t: &OtlpTarget, e: impl std::fmt::Display) -> Error {
    Error::Exporter {
        signal,
        endpoint: t.endpoint.clone(),
        reason: e.to_string(),
    }
}

#[cfg(feature = "tonic")]
fn metadata(headers: &[(String, String)]) -> tonic::metadata::MetadataMap {
    let mut map = http::HeaderMap::new();
    for (k, v) in headers {
        // Config validated both halves already.
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            map.insert(k, v);
        }
    }
    tonic::metadata::MetadataMap::from_headers(map)
}

/// `otel.component.type` of an OTLP exporter, per the SDK self-observability conventions.
pub(crate) fn component_type(signal: Signal, p: Protocol) -> String {
    let item = signal.item();
    match p {
        Protocol::Grpc => format!("otlp_grpc_{item}_exporter"),
        Protocol::HttpProtobuf => format!("otlp_http_{item}_exporter"),
        Protocol::HttpJson => format!("otlp_http_json_{item}_exporter"),
    }
}

#[cfg(feature = "_otlp")]
pub(crate) use transport::{logs, metrics, spans};

#[cfg(not(feature = "_otlp"))]
pub(crate) use absent::{logs, metrics, spans};

/// Without any OTLP transport compiled in, a configured OTLP target is an error that
/// names the feature to enable; the exporter type has no value.
#[cfg(not(feature = "_otlp"))]
mod absent {
    use std::time::Duration;

    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::logs::{LogBatch, LogExporter};
    use opentelemetry_sdk::metrics::data::ResourceMetrics;
    use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
    use opentelemetry_sdk::metrics::Temporality;
    use opentelemetry_sdk::trace::{SpanData, SpanExporter};

    use super::missing;
    use crate::config::OtlpTarget;
    use crate::error::Error;
    use crate::export::Why;
    use crate::Signal;

    /// An OTLP exporter this build cannot make.
    #[derive(Debug)]
    pub(crate) enum NoExporter {}

    pub(crate) fn spans(t: &OtlpTarget) -> Result<(NoExporter, Why), Error> {
        Err(missing(Signal::Traces, t))
    }
    pub(crate) fn logs(t: &OtlpTarget) -> Result<(NoExporter, Why), Error> {
        Err(missing(Signal::Logs, t))
    }
    pub(crate) fn metrics(
        t: &OtlpTarget,
        _temporality: crate::config::TemporalityPreference,
    ) -> Result<(NoExporter, Why), Error> {
        Err(missing(Signal::Metrics, t))
    }

    impl SpanExporter for NoExporter {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            match *self {}
        }
    }

    impl LogExporter for NoExporter {
        async fn export(&self, _batch: LogBatch<'_>) -> OTelSdkResult {
            match *self {}
        }
    }

    impl PushMetricExporter for NoExporter {
        async fn export(&self, _metrics: &ResourceMetrics) -> OTelSdkResult {
            match *self {}
        }
        fn force_flush(&self) -> OTelSdkResult {
            match *self {}
        }
        fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
            match *self {}
        }
        fn temporality(&self) -> Temporality {
            match *self {}
        }
    }
}

/// The error for a protocol this build has no transport for.
#[allow(dead_code)]
fn missing(signal: Signal, t: &OtlpTarget) -> Error {
    let feature = match t.protocol {
        Protocol::Grpc => "tonic",
        Protocol::HttpProtobuf | Protocol::HttpJson => "reqwest",
    };
    exporter_error(
        signal,
        t,
        format!("this build of ferrotel has no transport for this protocol: enable its `{feature}` feature"),
    )
}

#[cfg(feature = "_otlp")]
mod transport {
    #[cfg(feature = "reqwest")]
    use opentelemetry_otlp::WithHttpConfig;
    #[cfg(feature = "tonic")]
    use opentelemetry_otlp::WithTonicConfig;
    use opentelemetry_otlp::{LogExporter, MetricExporter, SpanExporter, WithExportConfig};
    use opentelemetry_sdk::metrics::Temporality;

    #[allow(unused_imports)]
    use super::{exporter_error, missing};
    use crate::config::{OtlpTarget, Protocol};
    use crate::error::Error;
    use crate::export::Why;
    use crate::Signal;

    /// Builds an OTLP exporter of type `$ty` for target `$t`; `$extra` are further
    /// builder calls. A protocol whose transport feature is off is an error naming it.
    macro_rules! otlp_exporter {
        ($ty:ty, $signal:expr, $t:expr $(, $extra:ident($($arg:expr),*))*) => {{
            let t: &OtlpTarget = $t;
            let why = Why::default();
            match t.protocol {
                #[cfg(feature = "tonic")]
                Protocol::Grpc => {
                    let b = <$ty>::builder()
                        .with_tonic()
                        $(.$extra($($arg),*))*
                        .with_endpoint(t.endpoint.clone())
                        .with_timeout(t.timeout)
                        .with_metadata(super::metadata(&t.headers));
                    let b = if t.gzip { b.with_compression(opentelemetry_otlp::Compression::Gzip) } else { b };
                    #[cfg(feature = "tls")]
                    let b = if t.endpoint.starts_with("https://") {
                        b.with_tls_config(super::super::tls::tonic_config(&t.tls))
                    } else {
                        b
                    };
                    // tonic's status keeps the transport's cause: nothing to add.
                    b.build().map(|e| (e, why)).map_err(|e| exporter_error($signal, t, e))
                }
                #[cfg(feature = "reqwest")]
                Protocol::HttpProtobuf | Protocol::HttpJson => {
                    let b = <$ty>::builder()
                        .with_http()
                        $(.$extra($($arg),*))*
                        .with_endpoint(t.endpoint.clone())
                        .with_timeout(t.timeout)
                        .with_protocol(match t.protocol {
                            Protocol::HttpJson => opentelemetry_otlp::Protocol::HttpJson,
                            _ => opentelemetry_otlp::Protocol::HttpBinary,
                        })
                        .with_headers(t.headers.iter().cloned().collect());
                    let b = if t.gzip { b.with_compression(opentelemetry_otlp::Compression::Gzip) } else { b };
                    let client = Explaining {
                        client: http_client(t).map_err(|e| exporter_error($signal, t, e))?,
                        why: why.clone(),
                    };
                    b.with_http_client(client).build().map(|e| (e, why)).map_err(|e| exporter_error($signal, t, e))
                }
                #[allow(unreachable_patterns)]
                _ => Err(missing($signal, t)),
            }
        }};
    }

    /// The HTTP client of a target, with its time limit; for `https://`, over the rustls
    /// configuration the target's TLS files make.
    #[cfg(feature = "reqwest")]
    fn http_client(t: &OtlpTarget) -> Result<reqwest::Client, String> {
        let builder = reqwest::Client::builder().timeout(t.timeout);
        #[cfg(feature = "tls")]
        let builder = if t.endpoint.starts_with("https://") {
            builder.tls_backend_preconfigured(super::super::tls::client_config(&t.tls)?)
        } else {
            builder
        };
        #[cfg(not(feature = "tls"))]
        if t.endpoint.starts_with("https://") {
            return Err("https:// needs ferrotel's `tls` feature".to_string());
        }
        builder.build().map_err(|e| e.to_string())
    }

    /// reqwest, keeping the cause of a failed request (which the OTLP exporter reduces
    /// to "network error") for the warning the export's failure produces.
    #[cfg(feature = "reqwest")]
    #[derive(Debug)]
    struct Explaining {
        client: reqwest::Client,
        why: Why,
    }

    #[cfg(feature = "reqwest")]
    #[async_trait::async_trait]
    impl opentelemetry_http::HttpClient for Explaining {
        async fn send_bytes(
            &self,
            request: http::Request<bytes::Bytes>,
        ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
            let result = self.client.send_bytes(request).await;
            self.why.set(
                result
                    .as_ref()
                    .err()
                    .map(|e| crate::export::chain(e.as_ref())),
            );
            result
        }
    }

    pub(crate) fn spans(t: &OtlpTarget) -> Result<(SpanExporter, Why), Error> {
        otlp_exporter!(SpanExporter, Signal::Traces, t)
    }

    pub(crate) fn logs(t: &OtlpTarget) -> Result<(LogExporter, Why), Error> {
        otlp_exporter!(LogExporter, Signal::Logs, t)
    }

    pub(crate) fn metrics(
        t: &OtlpTarget,
        preference: crate::config::TemporalityPreference,
    ) -> Result<(MetricExporter, Why), Error> {
        use crate::config::TemporalityPreference as P;
        let temporality = match preference {
            P::Cumulative => Temporality::Cumulative,
            P::Delta => Temporality::Delta,
            P::LowMemory => Temporality::LowMemory,
        };
        otlp_exporter!(
            MetricExporter,
            Signal::Metrics,
            t,
            with_temporality(temporality)
        )
    }
}
