//! OTLP exporters for each signal, over gRPC (tonic) or HTTP/protobuf (reqwest), built
//! from a resolved [`OtlpTarget`].

use opentelemetry_otlp::{
    LogExporter, MetricExporter, SpanExporter, WithExportConfig, WithHttpConfig, WithTonicConfig,
};
use opentelemetry_sdk::metrics::Temporality;

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

fn metadata(headers: &[(String, String)]) -> tonic::metadata::MetadataMap {
    let mut map = axum::http::HeaderMap::new();
    for (k, v) in headers {
        // Config validated both halves already.
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(v),
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
    }
}

/// Builds an OTLP exporter of type `$ty` for target `$t`; `$extra` are further builder calls.
macro_rules! otlp_exporter {
    ($ty:ty, $signal:expr, $t:expr $(, $extra:ident($($arg:expr),*))*) => {{
        let t: &OtlpTarget = $t;
        match t.protocol {
            Protocol::Grpc => <$ty>::builder()
                .with_tonic()
                $(.$extra($($arg),*))*
                .with_endpoint(t.endpoint.clone())
                .with_timeout(t.timeout)
                .with_metadata(metadata(&t.headers))
                .build(),
            Protocol::HttpProtobuf => <$ty>::builder()
                .with_http()
                $(.$extra($($arg),*))*
                .with_endpoint(t.endpoint.clone())
                .with_timeout(t.timeout)
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_headers(t.headers.iter().cloned().collect())
                .build(),
        }
        .map_err(|e| exporter_error($signal, t, e))
    }};
}

pub(crate) fn spans(t: &OtlpTarget) -> Result<SpanExporter, Error> {
    otlp_exporter!(SpanExporter, Signal::Traces, t)
}

pub(crate) fn logs(t: &OtlpTarget) -> Result<LogExporter, Error> {
    otlp_exporter!(LogExporter, Signal::Logs, t)
}

pub(crate) fn metrics(t: &OtlpTarget) -> Result<MetricExporter, Error> {
    otlp_exporter!(
        MetricExporter,
        Signal::Metrics,
        t,
        with_temporality(Temporality::Cumulative)
    )
}
