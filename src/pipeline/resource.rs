//! The resource every signal carries: what `opentelemetry-resource-detectors` finds
//! (service instance, host, OS, process; the container and Kubernetes pod when their
//! environment is present), `telemetry.sdk.*`, then the configured attributes and the
//! service identity, which win.

use opentelemetry::KeyValue;
use opentelemetry_resource_detectors::{
    ContainerResourceDetector, HostResourceDetector, K8sResourceDetector, OsResourceDetector,
    ProcessResourceDetector, ServiceInstanceIdResourceDetector,
};
use opentelemetry_sdk::resource::{Resource, ResourceDetector, TelemetryResourceDetector};

use crate::config::Resolved;
use crate::names;

/// Left out of what the detectors find: a command line may carry credentials
/// (`--password=…`), and it would travel on every span, record and series.
const WITHHELD: &[&str] = &["process.command_args"];

/// The set Kubernetes gives every pod: only there is `HOSTNAME` the pod's name (the K8s
/// detector reads it unconditionally).
const KUBERNETES: &str = "KUBERNETES_SERVICE_HOST";

/// What the detectors find on this machine, without what [`WITHHELD`] names.
fn detected() -> Vec<KeyValue> {
    let mut detectors: Vec<Box<dyn ResourceDetector>> = vec![
        Box::new(ServiceInstanceIdResourceDetector),
        Box::new(HostResourceDetector::default()),
        Box::new(OsResourceDetector),
        Box::new(ProcessResourceDetector),
        Box::new(ContainerResourceDetector),
    ];
    if std::env::var_os(KUBERNETES).is_some() {
        detectors.push(Box::new(K8sResourceDetector));
    }
    let found = Resource::builder_empty().with_detectors(&detectors).build();
    found
        .iter()
        .filter(|(k, _)| !WITHHELD.contains(&k.as_str()))
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect()
}

/// The detected attributes, `telemetry.sdk.*`, then the configured attributes; the
/// service name, version and environment set in code win.
pub(crate) fn build(config: &Resolved) -> Resource {
    let mut attrs = detected();
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
