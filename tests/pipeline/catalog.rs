//! Every catalogue entry gets the same Prometheus name from the Rust exporter
//! (the pull path) and from the Collector's OTLP translation (the collector path),
//! and the README's metric table is the catalogue's.

use std::collections::BTreeSet;

use ferrotel::catalog::{Kind, CATALOG};

/// The Collector's `prometheus` exporter naming (translator/prometheus
/// `normalizeName` with metric suffixes on): split the name into alphanumeric
/// tokens, append the unit word unless already present (annotations in braces
/// dropped, `1` has no word), `per_{unit}` for `a/b`, `total` moved to the end of
/// counters, `ratio` for gauges with unit `1`.
fn collector_name(name: &str, unit: &str, kind: Kind) -> String {
    fn unit_word(u: &str) -> &str {
        match u {
            "d" => "days",
            "h" => "hours",
            "min" => "minutes",
            "s" => "seconds",
            "ms" => "milliseconds",
            "us" => "microseconds",
            "ns" => "nanoseconds",
            "By" => "bytes",
            "KiBy" => "kibibytes",
            "MiBy" => "mebibytes",
            "GiBy" => "gibibytes",
            "TiBy" => "tebibytes",
            "KBy" => "kilobytes",
            "MBy" => "megabytes",
            "GBy" => "gigabytes",
            "TBy" => "terabytes",
            "m" => "meters",
            "V" => "volts",
            "A" => "amperes",
            "J" => "joules",
            "W" => "watts",
            "g" => "grams",
            "Cel" => "celsius",
            "Hz" => "hertz",
            "1" => "",
            "%" => "percent",
            other => other,
        }
    }
    fn per_word(u: &str) -> &str {
        match u {
            "s" => "second",
            "m" => "minute",
            "h" => "hour",
            "d" => "day",
            "w" => "week",
            "mo" => "month",
            "y" => "year",
            other => other,
        }
    }
    let mut tokens: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let mut parts = unit.splitn(2, '/');
    let main = parts.next().unwrap_or("").trim();
    if !main.is_empty() && !main.contains(['{', '}']) {
        let w = unit_word(main);
        if !w.is_empty() && !tokens.iter().any(|t| t == w) {
            tokens.push(w.to_string());
        }
    }
    if let Some(per) = parts.next().map(str::trim) {
        if !per.is_empty() && !per.contains(['{', '}']) {
            let w = per_word(per);
            if !tokens.iter().any(|t| t == w) {
                tokens.push("per".into());
                tokens.push(w.to_string());
            }
        }
    }
    if kind == Kind::Counter {
        tokens.retain(|t| t != "total");
        tokens.push("total".into());
    }
    if unit == "1" && kind == Kind::Gauge {
        tokens.retain(|t| t != "ratio");
        tokens.push("ratio".into());
    }
    tokens.join("_")
}

/// The family name the Rust exporter (through ferrotel's own exposition) gives an
/// instrument, found by the scope it was recorded under.
fn rust_name(
    name: &'static str,
    unit: &'static str,
    kind: Kind,
    description: &'static str,
) -> String {
    let telemetry = ferrotel::init(crate::config(&[]).without_prometheus_listener()).unwrap();
    let meter = telemetry.meter("catalog-probe");
    match kind {
        Kind::Counter => meter
            .u64_counter(name)
            .with_unit(unit)
            .with_description(description)
            .build()
            .add(1, &[]),
        Kind::UpDownCounter => meter
            .i64_up_down_counter(name)
            .with_unit(unit)
            .with_description(description)
            .build()
            .add(1, &[]),
        Kind::Histogram => meter
            .f64_histogram(name)
            .with_unit(unit)
            .with_description(description)
            .build()
            .record(1.0, &[]),
        Kind::Gauge => meter
            .f64_gauge(name)
            .with_unit(unit)
            .with_description(description)
            .build()
            .record(1.0, &[]),
        _ => unreachable!("a kind this test does not know"),
    }
    let scrape =
        ferrotel::testing::parse_exposition(&telemetry.prometheus_exposition().unwrap()).unwrap();
    telemetry.shutdown().unwrap();
    let families: BTreeSet<String> = scrape
        .find_any_name(&[("otel_scope_name", "catalog-probe")])
        .map(|sample| {
            scrape
                .kinds
                .keys()
                .find(|f| {
                    sample
                        .name
                        .strip_prefix(f.as_str())
                        .is_some_and(|rest| ["", "_bucket", "_sum", "_count"].contains(&rest))
                })
                .cloned()
                .unwrap_or_else(|| panic!("sample {} has no family", sample.name))
        })
        .collect();
    assert_eq!(families.len(), 1, "{name} made families {families:?}");
    families.into_iter().next().unwrap()
}

#[test]
fn collector_rules_match_known_translations() {
    assert_eq!(
        collector_name("system.filesystem.usage", "By", Kind::UpDownCounter),
        "system_filesystem_usage_bytes"
    );
    assert_eq!(
        collector_name("http.server.request.duration", "s", Kind::Histogram),
        "http_server_request_duration_seconds"
    );
    assert_eq!(
        collector_name("requests.total", "{request}", Kind::Counter),
        "requests_total"
    );
    assert_eq!(
        collector_name("cpu.utilization", "1", Kind::Gauge),
        "cpu_utilization_ratio"
    );
    assert_eq!(
        collector_name("net.io", "By/s", Kind::Counter),
        "net_io_bytes_per_second_total"
    );
    assert_eq!(collector_name("a__b", "", Kind::Gauge), "a_b");
}

#[test]
fn both_paths_name_every_catalogue_entry_alike() {
    let mut mismatches = Vec::new();
    for spec in CATALOG {
        let rust = rust_name(spec.name, spec.unit, spec.kind, spec.description);
        let collector = collector_name(spec.name, spec.unit, spec.kind);
        let declared = spec.prometheus_name();
        if rust != collector || rust != declared {
            mismatches.push(format!(
                "{}: rust {rust}, collector {collector}, catalogue {declared}",
                spec.name
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "Prometheus names differ between paths:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn the_check_catches_names_that_differ_between_paths() {
    // Names a careless catalogue entry could have: each is named differently by the two exporters.
    for (name, unit, kind) in [
        ("process.cpu.time.seconds", "s", Kind::Counter),
        ("jobs.processed.total", "{job}", Kind::Counter),
        ("cpu.utilization", "1", Kind::UpDownCounter),
        ("queue..depth", "{item}", Kind::Gauge),
    ] {
        assert_ne!(
            rust_name(name, unit, kind, "probe"),
            collector_name(name, unit, kind),
            "{name}"
        );
    }
}

#[test]
fn readme_metric_table_is_the_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find("<!-- metrics:start -->\n")
        .expect("README has the metrics:start marker")
        + "<!-- metrics:start -->\n".len();
    let end = readme
        .find("<!-- metrics:end -->")
        .expect("README has the metrics:end marker");
    if std::env::var_os("FERROTEL_BLESS").is_some() {
        let fresh = format!(
            "{}{}{}",
            &readme[..start],
            ferrotel::catalog::markdown_table(),
            &readme[end..]
        );
        std::fs::write(path, fresh).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        ferrotel::catalog::markdown_table(),
        "README's metric table is stale: run `FERROTEL_BLESS=1 cargo test --all-features --test pipeline readme` to regenerate it"
    );
}
