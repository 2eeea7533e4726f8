//! The SLO file and what `ferrotel slo` generates from it: the checked-in rules are
//! current, every runbook link is absolute and lands on a runbook, and services with
//! their own objectives fire at their own thresholds (promtool, on generated rules).

use std::path::Path;
use std::process::Command;

use ferrotel::slo::SloFile;

use super::root;

fn slo_file() -> SloFile {
    SloFile::read(&root().join("prometheus/slo.yml")).unwrap()
}

#[test]
fn the_rules_are_what_the_slo_file_generates() {
    let stale = slo_file()
        .sync(&root().join("prometheus/rules"), true)
        .unwrap();
    assert!(
        stale.is_empty(),
        "{stale:?} differ from prometheus/slo.yml: run `cargo run --features cli --bin ferrotel -- slo prometheus/slo.yml prometheus/rules`"
    );
}

/// Every `runbook_url` is the SLO file's base plus an anchor that one of the runbooks'
/// headings produces (rustdoc and GitHub both lowercase a heading into its id).
#[test]
fn every_runbook_link_is_absolute_and_lands_on_a_runbook() {
    let base = slo_file().runbook_base;
    assert!(base.starts_with("https://"), "{base}");
    let runbooks = std::fs::read_to_string(root().join("docs/runbooks.md")).unwrap();
    let anchors: Vec<String> = runbooks
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| h.trim().to_lowercase())
        .collect();
    let mut links = 0;
    for f in ["ferrotel-alerts.yml", "ferrotel-slo.yml"] {
        let text = std::fs::read_to_string(root().join("prometheus/rules").join(f)).unwrap();
        let mut alert = String::new();
        for line in text.lines().map(str::trim) {
            if let Some(a) = line.strip_prefix("- alert: ") {
                alert = a.to_string();
            }
            if let Some(url) = line.strip_prefix("runbook_url: ") {
                let url = url.trim_matches('"');
                let anchor = url
                    .strip_prefix(&format!("{base}#"))
                    .unwrap_or_else(|| panic!("{f}: {alert}'s runbook {url} is not on {base}"));
                assert_eq!(anchor, alert.to_lowercase(), "{f}: {alert} links to {url}");
                assert!(
                    anchors.iter().any(|a| a == anchor),
                    "{f}: no runbook heading `## {alert}` in docs/runbooks.md"
                );
                links += 1;
            }
        }
    }
    // 27 hand-written alerts and 7 generated (six burn rates and TargetAbsent).
    assert_eq!(links, 34);
}

/// Three services: `api` on the defaults (99.9 %, 99 % within 0.5 s), `batch` with 99 %
/// availability, `voice` with 95 % within 1 s. The same traffic fires for one and not
/// for another, and TargetAbsent covers every service the file names.
#[test]
fn services_fire_at_their_own_objectives() {
    let dir = std::env::temp_dir().join(format!("ferrotel-slo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    let file = SloFile::from_yaml(
        "runbook_base: https://runbooks.example.com/ferrotel\n\
         services:\n  - name: api\n  - name: batch\n    availability: 99\n  - name: voice\n    latency: {threshold: 1, objective: 95}\n",
    )
    .unwrap();
    assert_eq!(
        file.sync(&dir.join("rules"), false).unwrap(),
        vec![dir.join("rules/ferrotel-slo.yml")]
    );
    // Per minute: `ok` fast requests, `err` failing ones; `slow` of the ok ones take
    // between 0.5 s and 1 s, `slower` over 1 s.
    let series = |svc: &str, ok: u32, err: u32, slow: u32, slower: u32| {
        let fast = ok - slow - slower;
        format!(
            r#"      - series: 'http_server_request_duration_seconds_count{{service_name="{svc}",http_response_status_code="200"}}'
        values: '0+{ok}x80'
      - series: 'http_server_request_duration_seconds_count{{service_name="{svc}",http_response_status_code="500"}}'
        values: '0+{err}x80'
      - series: 'http_server_request_duration_seconds_bucket{{service_name="{svc}",http_response_status_code="200",le="0.5"}}'
        values: '0+{fast}x80'
      - series: 'http_server_request_duration_seconds_bucket{{service_name="{svc}",http_response_status_code="200",le="1"}}'
        values: '0+{le1}x80'
      - series: 'up{{service_name="{svc}",job="x",instance="{svc}:1"}}'
        values: '1x80'
"#,
            le1 = fast + slow,
        )
    };
    // What each alert that fires must say: its labels, and its annotations for the
    // service and value given.
    let expect = |alert: &str, fired: &[(&str, &str)]| {
        let mut out = format!(
            "          - eval_time: 70m\n            alertname: {alert}\n            exp_alerts:"
        );
        if fired.is_empty() {
            out.push_str(" []");
        }
        out.push('\n');
        let base = "https://runbooks.example.com/ferrotel";
        for (svc, value) in fired {
            let annotations = match alert {
                "HttpErrorBudgetFastBurn" => format!(
                    "{{summary: '{svc} burns its error budget 14.4x too fast', description: 'Over 1.44 % of requests fail (5xx) over the last 1h and 5m (the SLO allows 0.1 % over 30d): 2 % of the budget is gone in 1h.', value: '{value}', runbook_url: '{base}#httperrorbudgetfastburn'}}"
                ),
                "HttpLatencyBudgetFastBurn" => format!(
                    "{{summary: '{svc} burns its latency budget 14.4x too fast', description: 'Over 14.4 % of requests take over 0.5 s over the last 1h and 5m (the SLO allows 1 % over 30d): 2 % of the budget is gone in 1h.', value: '{value}', runbook_url: '{base}#httplatencybudgetfastburn'}}"
                ),
                _ => format!(
                    "{{summary: 'No scrape target for {svc} at all', description: 'Service discovery lost the service, or its scrape job is gone.', runbook_url: '{base}#targetabsent'}}"
                ),
            };
            out.push_str(&format!(
                "              - exp_labels: {{severity: page, service_name: {svc}}}\n                exp_annotations: {annotations}\n"
            ));
        }
        out
    };
    // api and batch: 5 % errors (api fires: over 1.44 %; batch does not: under 14.4 %);
    // voice: 20 % errors fires. Latency: api's 24 % over 0.5 s (19 % of the ok ones, and
    // the errors, which have no buckets here) fires over its 14.4 %; voice's 20 % over
    // 1 s does not reach its 72 % (14.4 x 5 %), though 36 % of its requests take over
    // 0.5 s; batch (no up series) is absent.
    let mut input = String::new();
    input.push_str(&series("api", 950, 50, 190, 0));
    input.push_str(&series("voice", 800, 200, 160, 0));
    let batch = series("batch", 950, 50, 0, 0);
    input.push_str(batch.split("      - series: 'up").next().unwrap());
    let test = format!(
        "rule_files: [rules/ferrotel-slo.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{input}    alert_rule_test:\n{}{}{}",
        expect("HttpErrorBudgetFastBurn", &[("api", "5%"), ("voice", "20%")]),
        expect("HttpLatencyBudgetFastBurn", &[("api", "24%")]),
        expect("TargetAbsent", &[("batch", "")]),
    );
    std::fs::write(dir.join("test.yml"), &test).unwrap();
    let out = Command::new("promtool")
        .args(["test", "rules", "--junit=/dev/null"])
        .arg(dir.join("test.yml"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{text}\n{test}");
}

/// The command: `--check` on a stale directory lists it and exits 1; writing makes it
/// current; a bad file exits 2 naming the key.
#[test]
fn ferrotel_slo_command() {
    let dir = std::env::temp_dir().join(format!("ferrotel-slo-cmd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("other.yml"),
        "      - alert: X\n        annotations:\n          runbook_url: \"docs/runbooks.md#x\"\n",
    )
    .unwrap();
    let slo = root().join("prometheus/slo.yml");
    let ferrotel = |args: &[&Path]| {
        let out = Command::new(env!("CARGO_BIN_EXE_ferrotel"))
            .arg("slo")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let check = Path::new("--check");
    let (code, out) = ferrotel(&[&slo, &dir, check]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("out of date")
            && out.contains("ferrotel-slo.yml")
            && out.contains("other.yml"),
        "{out}"
    );
    let (code, out) = ferrotel(&[&slo, &dir]);
    assert_eq!(code, Some(0), "{out}");
    let other = std::fs::read_to_string(dir.join("other.yml")).unwrap();
    assert!(
        other.contains(&format!("runbook_url: \"{}#x\"", slo_file().runbook_base)),
        "{other}"
    );
    let (code, out) = ferrotel(&[&slo, &dir, check]);
    assert_eq!(code, Some(0), "{out}");
    let bad = dir.join("bad.slo");
    std::fs::write(
        &bad,
        "runbook_base: https://x\nservices:\n  - name: a\n    availability: 120\n",
    )
    .unwrap();
    let (code, out) = ferrotel(&[&bad, &dir]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("services[0].availability: 120 is not a percentage"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
