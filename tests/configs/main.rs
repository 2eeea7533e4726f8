//! The pipeline's configuration files, checked by the tools that load them:
//! `promtool check config`, `promtool check rules`, `promtool test rules` (every alert
//! fires when it should and stays silent when it should not) and `amtool check-config`.
//! The tools come from Debian's `prometheus` and `prometheus-alertmanager` packages,
//! which `scripts/test` installs.

use std::path::Path;
use std::process::Command;

mod consistency;
mod dashboards;
#[path = "../support/mod.rs"]
mod support;

pub use support::root;

pub fn run(tool: &str, args: &[&str]) -> String {
    let root = root();
    let out = Command::new(tool)
        .args(args)
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {tool} ({e}): scripts/test installs it from Debian's packages")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{tool} {args:?} failed:\n{text}");
    text
}

#[test]
fn prometheus_config_and_rules_load() {
    let out = run(
        "promtool",
        &["check", "config", "prometheus/prometheus.yml"],
    );
    assert!(
        out.contains("SUCCESS: 18 rules found") && out.contains("SUCCESS: 13 rules found"),
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
    // Every alert in the rules has a test case.
    let rules = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("prometheus/rules/ferrotel-alerts.yml"),
    )
    .unwrap();
    let tests = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("prometheus/tests/alerts_test.yml"),
    )
    .unwrap();
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert_eq!(alerts.len(), 18);
    for a in alerts {
        let cases = tests.matches(&format!("alertname: {a}\n")).count();
        assert!(
            cases >= 2,
            "{a} has {cases} test cases; it needs one firing and one silent"
        );
    }
}

#[test]
fn alertmanager_config_loads() {
    let out = run("amtool", &["check-config", "alertmanager/alertmanager.yml"]);
    assert!(
        out.contains("SUCCESS") && out.contains("1 inhibit rules") && out.contains("2 receivers"),
        "{out}"
    );
}

#[test]
fn rules_select_by_service_name_never_by_job() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in [
        "prometheus/rules/ferrotel-alerts.yml",
        "prometheus/rules/ferrotel-recording.yml",
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
