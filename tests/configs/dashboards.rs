//! The Grafana dashboards: what grafana/gen_dashboards.py writes, type-checked against
//! @grafana/schema with tsc, every panel described, with a unit, on a provisioned
//! datasource, selecting by service_name and never by job, laid out without overlaps.
//! (tests/e2e checks every query returns data.)

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::root;
use crate::support::dashboards;

pub(crate) fn datasource_uids_are_provisioned(uids: &BTreeSet<String>) {
    for (file, d) in dashboards() {
        let text = d.to_string();
        for part in text.split("\"uid\":\"").skip(1) {
            let uid = part.split('"').next().unwrap();
            if uid != d["uid"].as_str().unwrap() {
                assert!(
                    uids.contains(uid),
                    "{file} uses datasource {uid}, not provisioned"
                );
            }
        }
    }
}

#[test]
fn every_panel_has_a_description_a_unit_and_selects_by_service_name() {
    let all = dashboards();
    let names: Vec<&str> = all.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        [
            "database-cache.json",
            "llm-agents.json",
            "service-overview.json",
            "telemetry-pipeline.json"
        ]
    );
    let mut uids = BTreeSet::new();
    for (file, d) in &all {
        assert!(
            uids.insert(d["uid"].as_str().unwrap().to_string()),
            "{file}: duplicate uid"
        );
        let vars: Vec<&str> = d["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(vars[0], "service_name", "{file}");
        let mut ids = BTreeSet::new();
        let mut cells = BTreeSet::new();
        let mut queries = 0;
        for p in d["panels"].as_array().unwrap() {
            let title = p["title"].as_str().unwrap_or_default();
            assert!(
                ids.insert(p["id"].as_u64().unwrap()),
                "{file}: duplicate panel id ({title})"
            );
            let g = &p["gridPos"];
            let (x, y, w, h) = (
                g["x"].as_u64().unwrap(),
                g["y"].as_u64().unwrap(),
                g["w"].as_u64().unwrap(),
                g["h"].as_u64().unwrap(),
            );
            assert!(x + w <= 24, "{file}: {title} is wider than the grid");
            for cx in x..x + w {
                for cy in y..y + h {
                    assert!(
                        cells.insert((cx, cy)),
                        "{file}: {title} overlaps another panel"
                    );
                }
            }
            if p["type"] == "row" {
                continue;
            }
            assert!(!title.is_empty(), "{file}: a panel without a title");
            let desc = p["description"].as_str().unwrap_or_default();
            assert!(desc.len() > 20, "{file}: {title} has no real description");
            let unit = p["fieldConfig"]["defaults"]["unit"]
                .as_str()
                .unwrap_or_default();
            assert!(!unit.is_empty(), "{file}: {title} has no unit");
            for t in p["targets"].as_array().unwrap() {
                let expr = t["expr"].as_str().unwrap();
                queries += 1;
                // Every selector in the query picks the dashboard's service.
                let selectors = expr.matches('{').count();
                let by_service = expr.matches("service_name=\"$service_name\"").count();
                assert!(
                    selectors > 0 && selectors == by_service,
                    "{file}: {title}: every selector must filter service_name=\"$service_name\":\n{expr}"
                );
                assert!(
                    !expr.contains("job"),
                    "{file}: {title} selects by job:\n{expr}"
                );
            }
        }
        assert!(queries >= 10, "{file}: {queries} queries");
    }
}

#[test]
fn the_committed_dashboards_are_what_the_generator_writes() {
    let dir = std::env::temp_dir().join(format!("ferrotel-dashboards-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new("python3")
        .arg(root().join("grafana/gen_dashboards.py"))
        .arg(&dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (file, _) in dashboards() {
        let committed =
            std::fs::read_to_string(root().join("grafana/dashboards").join(&file)).unwrap();
        let fresh = std::fs::read_to_string(dir.join(&file)).unwrap();
        assert!(
            committed == fresh,
            "grafana/dashboards/{file} differs from what grafana/gen_dashboards.py writes: run it"
        );
    }
}

fn check(files: &[PathBuf]) -> (bool, String) {
    let script = root().join("grafana/check/check.mjs");
    assert!(
        root()
            .join("grafana/check/node_modules/typescript")
            .exists(),
        "grafana/check/node_modules is missing: scripts/test runs `npm ci` there"
    );
    let mut args = vec![script.display().to_string()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::try_run("node", &args)
}

#[test]
fn dashboards_type_check_against_grafana_schema_and_mistakes_do_not() {
    let files: Vec<PathBuf> = dashboards()
        .iter()
        .map(|(f, _)| root().join("grafana/dashboards").join(f))
        .collect();
    let (ok, text) = check(&files);
    assert!(ok, "{text}");
    assert!(text.contains("4 dashboards type-check"), "{text}");

    // A misspelt option, a wrong enum value and an unknown field-config key: all caught.
    let mut d: Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    let ts = d["panels"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["type"] == "timeseries")
        .unwrap();
    ts["options"]["legend"]["displayMode"] = "lists".into();
    ts["fieldConfig"]["defaults"]["custom"]["lineWidht"] = 2.into();
    ts["targets"][0]["exprr"] = "up".into();
    let dir = std::env::temp_dir().join(format!("ferrotel-badboard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, serde_json::to_string_pretty(&d).unwrap()).unwrap();
    let (ok, text) = check(&[bad]);
    assert!(!ok, "a broken dashboard passed:\n{text}");
    for word in ["\"lists\"", "lineWidht", "exprr"] {
        assert!(text.contains(word), "tsc did not name {word}:\n{text}");
    }
}

/// The token panels describe the token types that are recorded: `gen_ai.token.type` is
/// `input` or `output` (tests/genai checks the emitted values); cached input and reasoning
/// are parts of those, never types of their own.
#[test]
fn token_panels_name_only_the_types_recorded() {
    let mut seen = 0;
    for (file, d) in crate::support::dashboards() {
        for p in d["panels"].as_array().unwrap() {
            let queries_tokens = p["targets"].as_array().into_iter().flatten().any(|t| {
                t["expr"]
                    .as_str()
                    .unwrap_or("")
                    .contains("gen_ai_client_token_usage")
            });
            if !queries_tokens {
                continue;
            }
            seen += 1;
            let text = p["description"].as_str().unwrap();
            assert!(
                text.contains("nput and output"),
                "{file} / {}: {text}",
                p["title"]
            );
            for wrong in [
                "cached input, reasoning",
                "output and cached",
                "output, cached",
            ] {
                assert!(
                    !text.contains(wrong),
                    "{file} / {}: names a type never recorded: {text}",
                    p["title"]
                );
            }
        }
    }
    assert!(seen >= 2, "the token panels were found");
}
