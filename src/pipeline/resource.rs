//! The resource every signal carries: service identity, host, process, SDK.

use opentelemetry::KeyValue;
use opentelemetry_sdk::resource::{Resource, TelemetryResourceDetector};

use crate::config::Resolved;
use crate::names;

/// `service.*`, `host.name`, `process.pid`, `telemetry.sdk.*`, then the configured
/// attributes; the service name, version and environment set in code win.
pub(crate) fn build(config: &Resolved) -> Resource {
    let mut attrs: Vec<KeyValue> = vec![
        KeyValue::new(names::SERVICE_INSTANCE_ID, uuid::Uuid::new_v4().to_string()),
        KeyValue::new(
            names::HOST_NAME,
            gethostname::gethostname().to_string_lossy().into_owned(),
        ),
        KeyValue::new(names::PROCESS_PID, i64::from(std::process::id())),
    ];
    attrs.extend(
        config
            .resource_attributes
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    if let Some(v) = &config.service_version {
        attrs.push(KeyValue::new(names::SERVICE_VERSION, v.clone()));
    }
    if let Some(v) = &config.environment {
        attrs.push(KeyValue::new(names::DEPLOYMENT_ENVIRONMENT_NAME, v.clone()));
    }
    Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(attrs)
        .with_service_name(config.service_name.clone())
        .build()
}
