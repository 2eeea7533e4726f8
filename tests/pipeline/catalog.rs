//! Every catalogue entry gets the Prometheus name the catalogue declares from the Rust
//! exporter (the pull path; tests/e2e holds the collector path to it), and docs/metrics.md's
//! metric table is the catalogue's.

use std::collections::BTreeSet;

use ferrotel::catalog::{Kind, CATALOG};

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

/// The pull path names each entry as the catalogue declares. The collector path is held
/// to the pull path by the real collector in tests/e2e (collector.rs).
#[test]
fn the_pull_path_names_every_catalogue_entry_as_declared() {
    let mut mismatches = Vec::new();
    for spec in CATALOG {
        let rust = rust_name(spec.name, spec.unit, spec.kind, spec.description);
        let declared = spec.prometheus_name();
        if rust != declared {
            mismatches.push(format!("{}: rust {rust}, catalogue {declared}", spec.name));
        }
    }
    assert!(
        mismatches.is_empty(),
        "Prometheus names differ from the catalogue:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn readme_metric_table_is_the_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find("<!-- metrics:start -->\n")
        .expect("docs/metrics.md has the metrics:start marker")
        + "<!-- metrics:start -->\n".len();
    let end = readme
        .find("<!-- metrics:end -->")
        .expect("docs/metrics.md has the metrics:end marker");
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
        "docs/metrics.md's metric table is stale: run `FERROTEL_BLESS=1 cargo test --all-features --test pipeline readme` to regenerate it"
    );
}
