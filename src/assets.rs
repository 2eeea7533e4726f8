//! The observability stack as files, embedded in the crate: the collector configuration
//! and its distribution's sources, the Prometheus configuration, rules and rule tests,
//! Alertmanager's configuration, Grafana's provisioning and dashboards, Tempo's
//! configuration, the scaling configurations, the runbooks and the compose file. A
//! service that depends on ferrotel from crates.io gets the stack with
//! `ferrotel assets export DIR` (or [`export`]) without cloning the repository.
//!
//! The compose file's `demo` and `loadgen` services build from the repository's source;
//! outside a checkout start the rest by name (`docker compose up otel-collector
//! prometheus alertmanager alert-webhook grafana tempo loki`) and point your service at
//! the collector.
//!
//! ```
//! let (path, bytes) = ferrotel::assets::FILES.iter().find(|(p, _)| *p == "otel-collector.yaml").unwrap();
//! assert!(std::str::from_utf8(bytes).unwrap().contains("receivers:"));
//! # let _ = path;
//! ```

use std::io;
use std::path::{Path, PathBuf};

/// Every embedded file: its path relative to the stack's root, and its bytes.
pub const FILES: &[(&str, &[u8])] = &[
    (
        "otel-collector.yaml",
        include_bytes!("../otel-collector.yaml"),
    ),
    (
        "docker-compose.yml",
        include_bytes!("../docker-compose.yml"),
    ),
    (
        "prometheus/prometheus.yml",
        include_bytes!("../prometheus/prometheus.yml"),
    ),
    (
        "prometheus/rules/ferrotel-alerts.yml",
        include_bytes!("../prometheus/rules/ferrotel-alerts.yml"),
    ),
    (
        "prometheus/rules/ferrotel-recording.yml",
        include_bytes!("../prometheus/rules/ferrotel-recording.yml"),
    ),
    (
        "prometheus/rules/ferrotel-slo.yml",
        include_bytes!("../prometheus/rules/ferrotel-slo.yml"),
    ),
    (
        "prometheus/slo.yml",
        include_bytes!("../prometheus/slo.yml"),
    ),
    (
        "prometheus/tests/alerts_test.yml",
        include_bytes!("../prometheus/tests/alerts_test.yml"),
    ),
    (
        "alertmanager/alertmanager.yml",
        include_bytes!("../alertmanager/alertmanager.yml"),
    ),
    (
        "alertmanager/templates/ferrotel.tmpl",
        include_bytes!("../alertmanager/templates/ferrotel.tmpl"),
    ),
    (
        "grafana/provisioning/dashboards/ferrotel.yaml",
        include_bytes!("../grafana/provisioning/dashboards/ferrotel.yaml"),
    ),
    (
        "grafana/provisioning/datasources/datasources.yaml",
        include_bytes!("../grafana/provisioning/datasources/datasources.yaml"),
    ),
    (
        "grafana/dashboards/database-cache.json",
        include_bytes!("../grafana/dashboards/database-cache.json"),
    ),
    (
        "grafana/dashboards/llm-agents.json",
        include_bytes!("../grafana/dashboards/llm-agents.json"),
    ),
    (
        "grafana/dashboards/service-overview.json",
        include_bytes!("../grafana/dashboards/service-overview.json"),
    ),
    (
        "grafana/dashboards/telemetry-pipeline.json",
        include_bytes!("../grafana/dashboards/telemetry-pipeline.json"),
    ),
    ("tempo/tempo.yaml", include_bytes!("../tempo/tempo.yaml")),
    (
        "collector/Dockerfile",
        include_bytes!("../collector/Dockerfile"),
    ),
    (
        "collector/README.md",
        include_bytes!("../collector/README.md"),
    ),
    (
        "collector/manifest.yaml",
        include_bytes!("../collector/manifest.yaml"),
    ),
    ("collector/go.mod", include_bytes!("../collector/go.mod")),
    ("collector/go.sum", include_bytes!("../collector/go.sum")),
    ("collector/main.go", include_bytes!("../collector/main.go")),
    (
        "collector/main_others.go",
        include_bytes!("../collector/main_others.go"),
    ),
    (
        "collector/main_windows.go",
        include_bytes!("../collector/main_windows.go"),
    ),
    (
        "collector/components.go",
        include_bytes!("../collector/components.go"),
    ),
    (
        "scaling/otel-agent.yaml",
        include_bytes!("../scaling/otel-agent.yaml"),
    ),
    (
        "scaling/otel-gateway.yaml",
        include_bytes!("../scaling/otel-gateway.yaml"),
    ),
    (
        "scaling/prometheus-remote-write.yml",
        include_bytes!("../scaling/prometheus-remote-write.yml"),
    ),
    ("docs/runbooks.md", include_bytes!("../docs/runbooks.md")),
];

/// Writes every file of [`FILES`] under `dir`, creating directories as needed, and
/// returns the paths written. A file that exists with other contents is refused
/// (naming it) unless `overwrite`; one with the same contents is left as it is.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("ferrotel-assets-doc-{}", std::process::id()));
/// let written = ferrotel::assets::export(&dir, false).unwrap();
/// assert_eq!(written.len(), ferrotel::assets::FILES.len());
/// assert!(dir.join("grafana/dashboards/service-overview.json").exists());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn export(dir: &Path, overwrite: bool) -> io::Result<Vec<PathBuf>> {
    // Check every file before writing any, so a refusal leaves the directory as it was.
    if !overwrite {
        for (rel, bytes) in FILES {
            let path = dir.join(rel);
            match std::fs::read(&path) {
                Ok(existing) if existing != *bytes => {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "{} exists with other contents (pass --force to overwrite it)",
                            path.display()
                        ),
                    ))
                }
                _ => {}
            }
        }
    }
    let mut written = Vec::with_capacity(FILES.len());
    for (rel, bytes) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&path, bytes)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        written.push(path);
    }
    Ok(written)
}
