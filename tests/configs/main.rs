//! The pipeline's configuration files, checked by the tools that load them: the
//! collector's own `validate`, `promtool check config`, `promtool check rules`,
//! `promtool test rules` (every alert fires when it should and stays silent when it
//! should not) and `amtool check-config`. The tools are built from their Go modules at
//! the releases compose ships, by `scripts/build-go-tools`, which `scripts/test` runs.

use std::path::Path;
use std::process::Command;

mod consistency;
mod dashboards;
mod slo;
#[path = "../support/mod.rs"]
mod support;

pub use support::root;

pub(crate) fn run(tool: &str, args: &[&str]) -> String {
    let (ok, text) = try_run(tool, args);
    assert!(ok, "{tool} {args:?} failed:\n{text}");
    text
}

/// Runs `tool` and returns whether it succeeded and what it printed.
pub(crate) fn try_run(tool: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(tool)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {tool} ({e}): scripts/test builds or installs it and puts it on PATH"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_built_collector_validates_every_config() {
    for config in [
        "otel-collector.yaml",
        "scaling/otel-agent.yaml",
        "scaling/otel-gateway.yaml",
    ] {
        let (ok, out) = try_run(
            "ferrotel-otelcol",
            &["validate", &format!("--config={config}")],
        );
        assert!(ok, "{config} does not validate:\n{out}");
    }
    // The check can fail: the agent as it was, with the resolver's port an integer.
    let agent = std::fs::read_to_string(root().join("scaling/otel-agent.yaml")).unwrap();
    assert!(agent.contains("port: \"4317\""));
    let dir = std::env::temp_dir().join(format!("ferrotel-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("agent-int-port.yaml");
    std::fs::write(&bad, agent.replace("port: \"4317\"", "port: 4317")).unwrap();
    let (ok, out) = try_run(
        "ferrotel-otelcol",
        &["validate", &format!("--config={}", bad.display())],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!ok, "an integer port passed validation:\n{out}");
    assert!(out.contains("'port' expected type 'string'"), "{out}");
}

#[test]
fn prometheus_config_and_rules_load() {
    let out = run(
        "promtool",
        &["check", "config", "prometheus/prometheus.yml"],
    );
    assert!(
        out.contains("SUCCESS: 27 rules found")
            && out.contains("SUCCESS: 3 rules found")
            && out.contains("SUCCESS: 19 rules found"),
        "{out}"
    );
}

#[test]
fn every_alert_fires_when_it_should_and_only_then() {
    let out = run(
        "promtool",
        &["test", "rules", "prometheus/tests/alerts_test.yml"],
    );
    assert!(out.contains("SUCCESS"), "{out}");
    // Every alert in the rules (hand-written and generated from the SLO file) has a
    // firing and a silent test case.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tests = std::fs::read_to_string(root.join("prometheus/tests/alerts_test.yml")).unwrap();
    let mut alerts = std::collections::BTreeSet::new();
    for f in ["ferrotel-alerts.yml", "ferrotel-slo.yml"] {
        let rules = std::fs::read_to_string(root.join("prometheus/rules").join(f)).unwrap();
        alerts.extend(
            rules
                .lines()
                .filter_map(|l| l.trim().strip_prefix("- alert: "))
                .map(str::to_string),
        );
    }
    assert_eq!(alerts.len(), 34, "{alerts:?}");
    for a in alerts {
        let cases = tests.matches(&format!("alertname: {a}\n")).count();
        assert!(
            cases >= 2,
            "{a} has {cases} test cases; it needs one firing and one silent"
        );
    }
    // What the test file holds is what its generator writes.
    let dir = std::env::temp_dir().join(format!("ferrotel-alert-tests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("prometheus/tests")).unwrap();
    std::fs::create_dir_all(dir.join("prometheus/rules")).unwrap();
    for f in [
        "ferrotel-alerts.yml",
        "ferrotel-slo.yml",
        "ferrotel-recording.yml",
    ] {
        std::fs::copy(
            root.join("prometheus/rules").join(f),
            dir.join("prometheus/rules").join(f),
        )
        .unwrap();
    }
    let ok = std::process::Command::new("python3")
        .arg(root.join("prometheus/tests/gen_alert_tests.py"))
        .current_dir(&dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "gen_alert_tests.py failed");
    let generated = std::fs::read_to_string(dir.join("prometheus/tests/alerts_test.yml")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        generated == tests,
        "prometheus/tests/alerts_test.yml is not what gen_alert_tests.py writes: run python3 prometheus/tests/gen_alert_tests.py"
    );
}

#[test]
fn alertmanager_config_loads() {
    let out = run("amtool", &["check-config", "alertmanager/alertmanager.yml"]);
    assert!(
        out.contains("SUCCESS")
            && out.contains("1 inhibit rules")
            && out.contains("3 receivers")
            && out.contains("1 templates"),
        "{out}"
    );
}

#[test]
fn rules_select_by_service_name_never_by_job() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in [
        "prometheus/rules/ferrotel-alerts.yml",
        "prometheus/rules/ferrotel-recording.yml",
        "prometheus/rules/ferrotel-slo.yml",
    ] {
        let text = std::fs::read_to_string(root.join(f)).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            assert!(
                !line.contains("job=") && !line.contains("by (job") && !line.contains("job)"),
                "{f} selects by job: {line}"
            );
        }
        assert!(text.contains("service_name"), "{f}");
    }
}
