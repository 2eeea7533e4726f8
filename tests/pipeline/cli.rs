//! The `ferrotel` command as an operator runs it: `doctor` against endpoints that are
//! up, down, behind a certificate it does not trust and behind mutual TLS; `assets
//! export` compared byte for byte with the repository's files.

use std::process::Command;

use crate::support::{dead_addr, root, Pki, Receiver};

/// Runs `ferrotel ARGS` with exactly `env` (and PATH); returns the exit code and stdout.
fn ferrotel(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotel"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

fn probe_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with("ok") || l.starts_with("FAIL"))
        .collect()
}

#[test]
fn doctor_reaches_a_receiver_over_both_protocols_with_an_empty_export() {
    for protocol in ["grpc", "http/protobuf"] {
        let rx = Receiver::start();
        let endpoint = rx.endpoint(protocol);
        let (code, out) = ferrotel(
            &["doctor"],
            &[
                ("OTEL_SERVICE_NAME", "checkout"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s3cret-value"),
            ],
        );
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("service.name     checkout"), "{out}");
        assert!(
            out.contains(&format!("otlp {protocol} {endpoint}")),
            "{out}"
        );
        assert!(
            !out.contains("s3cret-value"),
            "header values stay hidden: {out}"
        );
        let lines = probe_lines(&out);
        assert_eq!(lines.len(), 3, "one line per signal: {out}");
        for line in lines {
            assert!(
                line.starts_with("ok") && line.contains("empty export accepted"),
                "{line}"
            );
        }
        // The empty exports reached the receiver, with the configured header.
        let seen = rx.headers();
        for signal in ["traces", "metrics", "logs"] {
            assert!(
                seen.iter().any(|(s, _, h)| *s == signal
                    && h.get("x-api-key").map(String::as_str) == Some("s3cret-value")),
                "{protocol}: no {signal} export arrived: {seen:?}"
            );
        }
    }
}

#[test]
fn doctor_says_what_is_wrong_in_one_line_each() {
    // Nothing listening.
    let down = format!("http://{}", dead_addr());
    let (code, out) = ferrotel(&["doctor"], &[("OTEL_EXPORTER_OTLP_ENDPOINT", &down)]);
    assert_eq!(code, 1, "{out}");
    let lines = probe_lines(&out);
    assert_eq!(lines.len(), 3, "{out}");
    for line in lines {
        assert!(
            line.starts_with("FAIL") && line.contains("nothing listens there"),
            "{line}"
        );
    }

    // A certificate it does not trust, then the same with the CA named.
    let pki = Pki::new("doctor");
    let rx = Receiver::start_tls(&pki, false);
    let endpoint = rx.tls_endpoint("grpc");
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_LOGS_EXPORTER", "none"),
    ];
    let (code, out) = ferrotel(&["doctor"], &env);
    assert_eq!(code, 1, "{out}");
    let line = probe_lines(&out)[0];
    eprintln!("{line}");
    assert!(
        line.starts_with("FAIL")
            && line.contains("TLS handshake")
            && line.contains("UnknownIssuer")
            && line.contains("OTEL_EXPORTER_OTLP_CERTIFICATE"),
        "{line}"
    );
    let ca = pki.ca.to_str().unwrap();
    let mut trusted = env.to_vec();
    trusted.push(("OTEL_EXPORTER_OTLP_CERTIFICATE", ca));
    let (code, out) = ferrotel(&["doctor"], &trusted);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("(TLS, CA {ca})")), "{out}");
    let line = probe_lines(&out)[0];
    assert!(
        line.contains("tls ") && line.contains("empty export accepted"),
        "{line}"
    );

    // Mutual TLS without a client certificate: the server refuses the export.
    let mutual = Receiver::start_tls(&pki, true);
    let endpoint = mutual.tls_endpoint("http/protobuf");
    let (code, out) = ferrotel(
        &["doctor"],
        &[
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                &format!("{endpoint}/v1/traces"),
            ),
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca),
        ],
    );
    assert_eq!(code, 1, "{out}");
    let line = probe_lines(&out)[0];
    eprintln!("{line}");
    assert!(
        line.starts_with("FAIL") && line.contains("empty export"),
        "{line}"
    );
    assert!(
        line.contains("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"),
        "{line}"
    );

    // A configuration strict mode refuses: exit 2, naming the variable.
    let (code, out) = ferrotel(
        &["doctor"],
        &[
            ("FERROTEL_STRICT_CONFIG", "true"),
            ("OTEL_TRACES_SAMPLER", "sometimes"),
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("OTEL_TRACES_SAMPLER"), "{out}");
}

#[test]
fn assets_export_writes_the_repository_files_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("ferrotel-assets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let target = dir.to_str().unwrap();
    let (code, out) = ferrotel(&["assets", "export", target], &[]);
    assert_eq!(code, 0, "{out}");

    // Every embedded file equals the repository's.
    for (rel, _) in ferrotel::assets::FILES {
        let exported = std::fs::read(dir.join(rel)).unwrap();
        let repo = std::fs::read(root().join(rel)).unwrap();
        assert!(exported == repo, "{rel} differs from the repository's");
    }
    // Every file of the stack's folders is embedded: a new dashboard or rule file that
    // is not would be missing from the export.
    let embedded: Vec<&str> = ferrotel::assets::FILES.iter().map(|(p, _)| *p).collect();
    for folder in [
        "grafana/dashboards",
        "grafana/provisioning/dashboards",
        "grafana/provisioning/datasources",
        "prometheus/rules",
        "alertmanager",
        "alertmanager/templates",
        "tempo",
        "scaling",
    ] {
        for entry in std::fs::read_dir(root().join(folder)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                continue; // listed on its own above
            }
            let name = entry.file_name().into_string().unwrap();
            let rel = format!("{folder}/{name}");
            assert!(embedded.contains(&rel.as_str()), "{rel} is not embedded");
        }
    }
    // What the compose file mounts or builds from is there (the demo builds from source).
    let compose = std::fs::read_to_string(dir.join("docker-compose.yml")).unwrap();
    for line in compose.lines() {
        let line = line.trim();
        let path = line
            .strip_prefix("- ./")
            .or_else(|| line.strip_prefix("build: ./"))
            .map(|rest| rest.split(':').next().unwrap());
        if let Some(path) = path {
            assert!(
                dir.join(path).exists(),
                "compose refers to ./{path}, not exported"
            );
        }
    }

    // A changed file is not overwritten without --force; the refusal names it.
    let changed = dir.join("otel-collector.yaml");
    std::fs::write(&changed, "# mine\n").unwrap();
    let (code, out) = ferrotel(&["assets", "export", target], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("otel-collector.yaml") && out.contains("--force"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&changed).unwrap(), "# mine\n");
    let (code, out) = ferrotel(&["assets", "export", target, "--force"], &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read(&changed).unwrap(),
        std::fs::read(root().join("otel-collector.yaml")).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
