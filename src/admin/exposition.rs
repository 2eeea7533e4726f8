//! The in-process Prometheus exposition: the registry the OpenTelemetry Prometheus
//! exporter fills, rendered in the text format on every scrape.

#[cfg(feature = "prometheus")]
pub(crate) use enabled::{Exposition, CONTENT_TYPE};

#[cfg(feature = "prometheus")]
mod enabled {
    use std::sync::Arc;

    use opentelemetry::Key;
    use opentelemetry_prometheus::{PrometheusExporter, ResourceSelector};
    use prometheus::{Encoder, TextEncoder};

    use crate::names;

    /// Content type of the text exposition format.
    pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

    /// Resource attributes that become labels on every series, so dashboards can
    /// group by them on the pull path exactly as on the collector path.
    const RESOURCE_LABELS: [&str; 4] = [
        names::SERVICE_NAME,
        names::SERVICE_NAMESPACE,
        names::SERVICE_VERSION,
        names::DEPLOYMENT_ENVIRONMENT_NAME,
    ];

    /// Renders the current value of every instrument in the Prometheus text format.
    #[derive(Clone, Debug)]
    pub(crate) struct Exposition {
        registry: Arc<prometheus::Registry>,
    }

    impl Exposition {
        pub(crate) fn new() -> Result<(Exposition, PrometheusExporter), String> {
            let registry = prometheus::Registry::new();
            let keys = RESOURCE_LABELS
                .iter()
                .map(|k| Key::from_static_str(k))
                .collect();
            let exporter = opentelemetry_prometheus::exporter()
                .with_registry(registry.clone())
                .with_resource_selector(ResourceSelector::KeyAllowList(keys))
                .build()
                .map_err(|e| e.to_string())?;
            Ok((
                Exposition {
                    registry: Arc::new(registry),
                },
                exporter,
            ))
        }

        pub(crate) fn render(&self) -> String {
            let mut buf = Vec::new();
            // Encoding into a Vec only fails on invalid families, which the exporter never builds.
            let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
            String::from_utf8(buf).unwrap_or_default()
        }
    }
}

/// Without the `prometheus` feature there is no exposition: this type has no value, so
/// every path that would serve one is statically unreachable.
#[cfg(not(feature = "prometheus"))]
#[derive(Clone, Debug)]
pub(crate) struct Exposition(std::convert::Infallible);

#[cfg(not(feature = "prometheus"))]
#[allow(dead_code)]
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(not(feature = "prometheus"))]
impl Exposition {
    pub(crate) fn render(&self) -> String {
        match self.0 {}
    }
}
