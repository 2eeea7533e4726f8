//! The configuration files agree with each other: every collector pipeline references
//! components that are defined (and of types the pinned contrib distribution has), and
//! the ports and names the collector, Prometheus, Alertmanager, Grafana, Tempo,
//! docker-compose and ferrotel's own defaults use are the same ones.

use std::collections::BTreeSet;

use serde_norway::Value as Yaml;

use crate::support::yaml;
use crate::{root, run};

fn s(v: &Yaml) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

fn keys(v: &Yaml) -> BTreeSet<String> {
    v.as_mapping()
        .map(|m| m.keys().map(|k| s(k).to_string()).collect())
        .unwrap_or_default()
}

fn list(v: &Yaml) -> Vec<String> {
    v.as_sequence()
        .map(|l| l.iter().map(|x| s(x).to_string()).collect())
        .unwrap_or_default()
}

/// The value the collector uses when the variable is unset: `${env:NAME:-default}` →
/// `default`; anything else as it is.
fn defaulted(v: &str) -> &str {
    v.strip_prefix("${env:")
        .and_then(|r| r.strip_suffix('}'))
        .and_then(|r| r.split_once(":-"))
        .map_or(v, |(_, default)| default)
}

/// `host:port` (or `scheme://host:port/path`, or either as a `${env:…:-default}`) →
/// (host, port).
fn host_port(url: &str) -> (String, u16) {
    let url = defaulted(url);
    let rest = url.split("://").last().unwrap();
    let hp = rest.split('/').next().unwrap();
    let (h, p) = hp
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("no port in {url}"));
    (
        h.to_string(),
        p.parse().unwrap_or_else(|_| panic!("port in {url}")),
    )
}

fn port(url: &str) -> u16 {
    host_port(url).1
}

/// Component types of the contrib distribution these configs use (pinned image
/// otel/opentelemetry-collector-contrib in docker-compose.yml). A misspelt type is
/// caught here rather than at the collector's start-up.
const RECEIVERS: &[&str] = &["otlp"];
const PROCESSORS: &[&str] = &[
    "memory_limiter",
    "batch",
    "attributes",
    "redaction",
    "tail_sampling",
    "resource",
];
const EXPORTERS: &[&str] = &[
    "otlp",
    "otlphttp",
    "prometheus",
    "prometheusremotewrite",
    "loadbalancing",
];
const EXTENSIONS: &[&str] = &["health_check"];
const CONNECTORS: &[&str] = &["spanmetrics"];

/// Checks one collector config; returns it.
fn collector(path: &str) -> Yaml {
    let c = yaml(path);
    let defined = |section: &str, types: &[&str]| -> BTreeSet<String> {
        let names = keys(&c[section]);
        for n in &names {
            let ty = n.split('/').next().unwrap();
            assert!(
                types.contains(&ty),
                "{path}: {section}.{n}: unknown type {ty}"
            );
        }
        names
    };
    let connectors = defined("connectors", CONNECTORS);
    // A connector is an exporter of one pipeline and a receiver of another.
    let receivers: BTreeSet<String> = defined("receivers", RECEIVERS)
        .union(&connectors)
        .cloned()
        .collect();
    let processors = defined("processors", PROCESSORS);
    let exporters: BTreeSet<String> = defined("exporters", EXPORTERS)
        .union(&connectors)
        .cloned()
        .collect();
    let extensions = defined("extensions", EXTENSIONS);
    let mut connector_ends: BTreeSet<(String, &str)> = BTreeSet::new();
    for e in list(&c["service"]["extensions"]) {
        assert!(
            extensions.contains(&e),
            "{path}: service.extensions names undefined {e}"
        );
    }
    let pipelines = c["service"]["pipelines"].as_mapping().expect("pipelines");
    assert!(!pipelines.is_empty(), "{path}: no pipelines");
    let mut used = BTreeSet::new();
    for (name, p) in pipelines {
        let name = s(name);
        let signal = name.split('/').next().unwrap();
        assert!(
            ["traces", "metrics", "logs"].contains(&signal),
            "{path}: pipeline {name}"
        );
        for (kind, set) in [
            ("receivers", &receivers),
            ("processors", &processors),
            ("exporters", &exporters),
        ] {
            let names = list(&p[kind]);
            if kind != "processors" {
                assert!(!names.is_empty(), "{path}: pipeline {name} has no {kind}");
            }
            for n in &names {
                assert!(
                    set.contains(n),
                    "{path}: pipeline {name} uses undefined {kind} {n}"
                );
                if connectors.contains(n) {
                    connector_ends.insert((n.clone(), kind));
                }
                used.insert(n.clone());
            }
        }
        let procs = list(&p["processors"]);
        assert_eq!(
            procs.first().map(String::as_str),
            Some("memory_limiter"),
            "{path}: pipeline {name}: memory_limiter must come first"
        );
        assert_eq!(
            procs.last().map(String::as_str),
            Some("batch"),
            "{path}: pipeline {name}: batch must come last"
        );
    }
    for n in receivers.iter().chain(&processors).chain(&exporters) {
        assert!(
            used.contains(n),
            "{path}: {n} is defined but in no pipeline"
        );
    }
    for n in &connectors {
        for end in ["receivers", "exporters"] {
            assert!(
                connector_ends.contains(&(n.clone(), end)),
                "{path}: connector {n} is in no pipeline's {end}"
            );
        }
    }
    c
}

fn compose_service<'a>(compose: &'a Yaml, name: &str) -> &'a Yaml {
    let svc = &compose["services"][name];
    assert!(svc.is_mapping(), "docker-compose.yml has no service {name}");
    svc
}

fn env_of(svc: &Yaml, var: &str) -> String {
    s(&svc["environment"][var]).to_string()
}

#[test]
fn collector_pipelines_reference_defined_components() {
    let c = collector("otel-collector.yaml");
    // Metrics on both paths carry service_name: the collector must convert resources.
    assert_eq!(
        c["exporters"]["prometheus"]["resource_to_telemetry_conversion"]["enabled"],
        Yaml::Bool(true)
    );
    for p in ["traces", "logs"] {
        assert!(
            list(&c["service"]["pipelines"][p]["processors"]).contains(&"redaction".to_string()),
            "{p} pipeline redacts"
        );
    }
    collector("scaling/otel-agent.yaml");
    collector("scaling/otel-gateway.yaml");
}

#[test]
fn a_pipeline_with_an_undefined_component_is_caught() {
    // The check above must be able to fail: a copy with one typo.
    let text = std::fs::read_to_string(root().join("otel-collector.yaml")).unwrap();
    let bad = text.replacen("exporters: [otlp/tempo,", "exporters: [otlp/tempoo,", 1);
    assert_ne!(bad, text);
    let dir = std::env::temp_dir().join(format!("ferrotel-configs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.yaml"), bad).unwrap();
    let rel = dir.join("bad.yaml");
    let result = std::panic::catch_unwind(|| collector(rel.to_str().unwrap()));
    let msg = result
        .err()
        .and_then(|e| e.downcast_ref::<String>().cloned())
        .expect("the typo is caught");
    assert!(msg.contains("undefined exporters otlp/tempoo"), "{msg}");
}

#[test]
fn ports_and_names_agree_across_collector_prometheus_grafana_compose_and_the_sdk() {
    let col = yaml("otel-collector.yaml");
    let compose = yaml("docker-compose.yml");
    let prom = yaml("prometheus/prometheus.yml");
    let am = yaml("alertmanager/alertmanager.yml");
    let tempo = yaml("tempo/tempo.yaml");
    let ds = yaml("grafana/provisioning/datasources/datasources.yaml");
    let services = keys(&compose["services"]);

    // Every image is pinned to a version (the demo is built from this repository).
    for name in &services {
        let svc = &compose["services"][name.as_str()];
        let image = s(&svc["image"]);
        if svc.get("build").is_some() {
            continue;
        }
        let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
        assert!(
            tag.chars().any(|c| c.is_ascii_digit()) && tag != "latest",
            "{name}: image {image} is not pinned"
        );
    }
    // What the tests run is what compose ships: the collector built from collector/,
    // Prometheus and Alertmanager at the releases scripts/build-go-tools builds.
    let script = std::fs::read_to_string(root().join("scripts/build-go-tools")).unwrap();
    let module = |var: &str| {
        script
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{var}=")))
            .unwrap_or_else(|| panic!("{var} in scripts/build-go-tools"))
            .to_string()
    };
    let collector = &compose["services"]["otel-collector"];
    assert_eq!(s(&collector["build"]), "./collector");
    // Prometheus 3.x.y is Go module v0.3xx.y.
    let prom_module = module("PROMETHEUS_MODULE");
    let minor: u32 = prom_module
        .trim_start_matches("v0.3")
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let patch = prom_module.rsplit('.').next().unwrap();
    assert_eq!(
        s(&compose["services"]["prometheus"]["image"]),
        format!("prom/prometheus:v3.{minor}.{patch}")
    );
    assert_eq!(
        s(&compose["services"]["alertmanager"]["image"]),
        format!("prom/alertmanager:{}", module("ALERTMANAGER_MODULE"))
    );
    // Published ports listen on loopback only: the stack has default logins.
    for name in &services {
        for p in list(&compose["services"][name.as_str()]["ports"]) {
            assert!(
                p.starts_with("127.0.0.1:"),
                "{name} publishes {p} beyond loopback"
            );
        }
    }
    // Files mounted into containers exist here.
    for name in &services {
        for v in compose["services"][name.as_str()]["volumes"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            let v = s(v);
            if let Some(local) = v.strip_prefix("./") {
                let local = local.split(':').next().unwrap();
                assert!(
                    root().join(local).exists(),
                    "{name} mounts missing ./{local}"
                );
            }
        }
    }

    // OTLP: the collector's receivers, the ports compose publishes, the SDK's defaults
    // for each protocol, and what compose tells the demo.
    let grpc = port(s(&col["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]));
    let http = port(s(&col["receivers"]["otlp"]["protocols"]["http"]["endpoint"]));
    assert_eq!((grpc, http), (4317, 4318));
    let collector_svc = compose_service(&compose, "otel-collector");
    let published = list(&collector_svc["ports"]);
    for p in [grpc, http] {
        assert!(
            published.contains(&format!("127.0.0.1:{p}:{p}")),
            "compose publishes {p}"
        );
    }
    for (protocol, expected) in [("grpc", grpc), ("http/protobuf", http)] {
        let c = ferrotel::Config::from_vars([
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ])
        .unwrap();
        let r = c.resolve().unwrap();
        let t = r.otlp(ferrotel::Signal::Traces).unwrap();
        assert_eq!(
            port(&t.endpoint),
            expected,
            "ferrotel's default for {protocol}"
        );
    }
    let demo = compose_service(&compose, "demo");
    let (host, p) = host_port(&env_of(demo, "OTEL_EXPORTER_OTLP_ENDPOINT"));
    assert_eq!(host, "otel-collector");
    let expected = if env_of(demo, "OTEL_EXPORTER_OTLP_PROTOCOL") == "grpc" {
        grpc
    } else {
        http
    };
    assert_eq!(p, expected, "the demo sends to the collector's receiver");
    // The demo's metrics take one path (pulled), or every request would count twice.
    assert_eq!(env_of(demo, "OTEL_METRICS_EXPORTER"), "prometheus");

    // Prometheus scrapes what the collector and the demo expose, under compose names.
    let exporter = port(s(&col["exporters"]["prometheus"]["endpoint"]));
    let own: u16 = defaulted(s(&col["service"]["telemetry"]["metrics"]["readers"][0]
        ["pull"]["exporter"]["prometheus"]["port"]))
    .parse()
    .unwrap();
    let demo_port = port(&env_of(demo, "DEMO_ADDR"));
    let demo_rs = std::fs::read_to_string(root().join("examples/demo.rs")).unwrap();
    assert!(
        demo_rs.contains(&format!("\"127.0.0.1:{demo_port}\"")),
        "demo.rs listens on {demo_port} by default"
    );
    let service_name = env_of(demo, "OTEL_SERVICE_NAME");
    assert!(
        demo_rs.contains(&format!("with_default_service_name(\"{service_name}\")")),
        "demo.rs's default service name is {service_name}"
    );
    let mut targets = BTreeSet::new();
    for job in prom["scrape_configs"].as_sequence().unwrap() {
        for sc in job["static_configs"].as_sequence().unwrap() {
            for t in list(&sc["targets"]) {
                let (h, p) = host_port(&t);
                assert!(
                    services.contains(&h),
                    "Prometheus scrapes {t}: no such compose service"
                );
                let want = match h.as_str() {
                    "otel-collector" if s(&job["job_name"]) == "otel-collector" => exporter,
                    "otel-collector" => own,
                    "demo" => {
                        assert_eq!(s(&sc["labels"]["service_name"]), service_name);
                        demo_port
                    }
                    other => panic!("unexpected scrape target {other}"),
                };
                assert_eq!(p, want, "scrape target {t}");
                targets.insert(t);
            }
        }
    }
    assert_eq!(targets.len(), 3, "{targets:?}");
    let alerts = std::fs::read_to_string(root().join("prometheus/rules/ferrotel-slo.yml")).unwrap();
    assert!(alerts.contains(&format!("absent(up{{service_name=\"{service_name}\"}})")));

    // Prometheus → Alertmanager → the webhook container and Slack's secret file.
    let am_target = s(&prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"][0]);
    let (h, p) = host_port(am_target);
    assert_eq!(h, "alertmanager");
    assert!(list(&compose_service(&compose, "alertmanager")["ports"])
        .contains(&format!("127.0.0.1:{p}:{p}")));
    let webhook = compose_service(&compose, "alert-webhook");
    let mut secrets = BTreeSet::new();
    for r in am["receivers"].as_sequence().unwrap() {
        for w in r["webhook_configs"].as_sequence().into_iter().flatten() {
            let (h, p) = host_port(s(&w["url"]));
            assert_eq!(h, "alert-webhook");
            assert_eq!(p.to_string(), env_of(webhook, "HTTP_PORT"));
        }
        for sl in r["slack_configs"].as_sequence().into_iter().flatten() {
            let file = s(&sl["api_url_file"]);
            secrets.insert(
                file.strip_prefix("/run/secrets/")
                    .expect("a compose secret")
                    .to_string(),
            );
        }
    }
    assert!(!secrets.is_empty());
    let mounted = list(&compose_service(&compose, "alertmanager")["secrets"]);
    for secret in &secrets {
        assert!(
            mounted.contains(secret),
            "alertmanager mounts secret {secret}"
        );
        let var = s(&compose["secrets"][secret.as_str()]["environment"]);
        let dotenv = std::fs::read_to_string(root().join(".env")).unwrap();
        assert!(
            dotenv.lines().any(|l| l.starts_with(&format!("{var}="))),
            ".env sets {var}"
        );
    }

    // The collector's trace and log exporters reach Tempo and Loki.
    let (h, p) = host_port(s(&col["exporters"]["otlp/tempo"]["endpoint"]));
    assert_eq!(h, "tempo");
    assert_eq!(
        p,
        port(s(
            &tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
        ))
    );
    let (h, _) = host_port(s(&col["exporters"]["otlphttp/loki"]["endpoint"]));
    assert_eq!(h, "loki");

    // Grafana's datasources point at compose services on their ports, and every
    // cross-link names a provisioned datasource.
    let mut uids = BTreeSet::new();
    for d in ds["datasources"].as_sequence().unwrap() {
        uids.insert(s(&d["uid"]).to_string());
        let (h, p) = host_port(s(&d["url"]));
        assert!(
            services.contains(&h),
            "datasource {} → {h}: no such service",
            s(&d["name"])
        );
        let want = match h.as_str() {
            "prometheus" => 9090,
            "alertmanager" => port(am_target),
            "tempo" => tempo["server"]["http_listen_port"].as_u64().unwrap() as u16,
            "loki" => port(s(&col["exporters"]["otlphttp/loki"]["endpoint"])),
            other => panic!("unexpected datasource host {other}"),
        };
        assert_eq!(p, want, "datasource {}", s(&d["name"]));
    }
    let ds_text =
        std::fs::read_to_string(root().join("grafana/provisioning/datasources/datasources.yaml"))
            .unwrap();
    for line in ds_text.lines().filter(|l| l.contains("datasourceUid:")) {
        let uid = line.split(':').nth(1).unwrap().trim();
        assert!(uids.contains(uid), "a link to unknown datasource {uid}");
    }
    assert!(list(&compose_service(&compose, "prometheus")["ports"])
        .contains(&"127.0.0.1:9090:9090".to_string()));
    crate::dashboards::datasource_uids_are_provisioned(&uids);

    // Grafana loads the dashboards from where compose mounts them.
    let provider = yaml("grafana/provisioning/dashboards/ferrotel.yaml");
    let path = s(&provider["providers"][0]["options"]["path"]);
    let grafana = list(&compose_service(&compose, "grafana")["volumes"]);
    assert!(
        grafana.contains(&format!("./grafana/dashboards:{path}:ro")),
        "{grafana:?}"
    );
    assert!(grafana.contains(&"./grafana/provisioning:/etc/grafana/provisioning:ro".to_string()));
    let col_cmd = list(&collector_svc["command"]);
    let col_vol = list(&collector_svc["volumes"]);
    let cfg = col_cmd[0].strip_prefix("--config=").unwrap();
    assert!(col_vol.contains(&format!("./otel-collector.yaml:{cfg}:ro")));
}

#[test]
fn scaling_out_configs_agree_and_prometheus_accepts_remote_write() {
    let agent = yaml("scaling/otel-agent.yaml");
    let gateway = yaml("scaling/otel-gateway.yaml");
    let lb = &agent["exporters"]["loadbalancing"];
    // Spans of one trace meet on one gateway: routed by trace id.
    assert_eq!(s(&lb["routing_key"]), "traceID");
    let gw_grpc = port(s(
        &gateway["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    ));
    // The loadbalancing exporter reads the port as a string: an integer fails at start-up.
    assert_eq!(
        s(&lb["resolver"]["dns"]["port"]).parse::<u16>().ok(),
        Some(gw_grpc)
    );
    assert_eq!(
        port(s(&agent["exporters"]["otlp/gateway"]["endpoint"])),
        gw_grpc
    );
    assert_eq!(
        list(&agent["service"]["pipelines"]["traces"]["exporters"]),
        ["loadbalancing"]
    );
    let gw_traces = list(&gateway["service"]["pipelines"]["traces"]["processors"]);
    assert!(gw_traces.contains(&"tail_sampling".to_string()));
    assert!(
        !list(&agent["service"]["pipelines"]["traces"]["processors"])
            .contains(&"tail_sampling".to_string()),
        "tail sampling belongs on the gateway, where whole traces arrive"
    );
    // Gateway and Prometheus write to the same long-term store.
    let rw = yaml("scaling/prometheus-remote-write.yml");
    let url = s(&rw["remote_write"][0]["url"]);
    assert_eq!(
        defaulted(s(&gateway["exporters"]["prometheusremotewrite"]["endpoint"])),
        url
    );

    // prometheus.yml with the remote_write block added is a valid config.
    let dir = std::env::temp_dir().join(format!("ferrotel-remote-write-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    for f in [
        "ferrotel-recording.yml",
        "ferrotel-alerts.yml",
        "ferrotel-slo.yml",
    ] {
        std::fs::copy(
            root().join("prometheus/rules").join(f),
            dir.join("rules").join(f),
        )
        .unwrap();
    }
    let mut merged = std::fs::read_to_string(root().join("prometheus/prometheus.yml")).unwrap();
    merged.push('\n');
    merged.push_str(
        &std::fs::read_to_string(root().join("scaling/prometheus-remote-write.yml")).unwrap(),
    );
    std::fs::write(dir.join("prometheus.yml"), merged).unwrap();
    let out = run(
        "promtool",
        &[
            "check",
            "config",
            dir.join("prometheus.yml").to_str().unwrap(),
        ],
    );
    assert!(out.contains("SUCCESS"), "{out}");
}

/// The single collector, the agent and the gateway delete and mask the same things:
/// personal data must not reach the backends on either path.
#[test]
fn every_collector_config_scrubs_alike() {
    let single = yaml("otel-collector.yaml");
    for f in ["scaling/otel-agent.yaml", "scaling/otel-gateway.yaml"] {
        let other = yaml(f);
        for processor in ["attributes/scrub", "redaction"] {
            assert_eq!(
                other["processors"][processor], single["processors"][processor],
                "{f}: {processor} differs from otel-collector.yaml"
            );
        }
        for (name, p) in other["service"]["pipelines"].as_mapping().unwrap() {
            let processors = list(&p["processors"]);
            assert!(
                processors.contains(&"attributes/scrub".to_string()),
                "{f}: {} pipeline does not scrub",
                s(name)
            );
            if s(name) != "metrics" {
                assert!(
                    processors.contains(&"redaction".to_string()),
                    "{f}: {} pipeline does not redact",
                    s(name)
                );
            }
        }
    }
}

#[test]
fn the_stack_guide_shows_the_scaling_configs_as_they_are() {
    let readme = std::fs::read_to_string(root().join("docs/stack.md")).unwrap();
    for f in [
        "scaling/otel-agent.yaml",
        "scaling/otel-gateway.yaml",
        "scaling/prometheus-remote-write.yml",
    ] {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        assert!(
            readme.contains(&format!("```yaml\n# {f}\n{text}```")),
            "docs/stack.md must quote {f} verbatim in a ```yaml block starting with `# {f}`"
        );
    }
}

/// Grafana in compose has no default password and no anonymous access unless asked: the
/// admin password is a file the one-shot service writes into a volume Grafana mounts
/// (the service's script, run here: a random password, made once, kept on re-runs, only
/// Grafana's user may read it), and anonymous viewing follows one documented variable
/// that defaults to off.
#[test]
fn grafana_has_a_generated_admin_password_and_no_anonymous_access_by_default() {
    let compose = yaml("docker-compose.yml");
    let grafana = compose_service(&compose, "grafana");
    let env = &grafana["environment"];
    assert!(
        env["GF_SECURITY_ADMIN_PASSWORD"].is_null(),
        "a password in the compose file"
    );
    assert!(env["GF_SECURITY_ADMIN_USER"].is_null());
    assert_eq!(
        env_of(grafana, "GF_AUTH_ANONYMOUS_ENABLED"),
        "${GRAFANA_ANONYMOUS_VIEWING:-false}"
    );
    let file = env_of(grafana, "GF_SECURITY_ADMIN_PASSWORD__FILE");
    let dir = file.rsplit_once('/').unwrap().0.to_string();
    let mounts = list(&grafana["volumes"]);
    let volume = mounts
        .iter()
        .find_map(|m| m.strip_suffix(&format!(":{dir}:ro")))
        .unwrap_or_else(|| panic!("Grafana mounts nothing read-only at {dir}: {mounts:?}"))
        .to_string();
    assert!(
        compose["volumes"]
            .as_mapping()
            .unwrap()
            .contains_key(volume.as_str()),
        "{volume} is not a named volume"
    );
    let init = compose_service(&compose, "grafana-admin-password");
    assert_eq!(
        s(&grafana["depends_on"]["grafana-admin-password"]["condition"]),
        "service_completed_successfully"
    );
    let out = list(&init["volumes"])
        .iter()
        .find_map(|m| m.strip_prefix(&format!("{volume}:")).map(str::to_string))
        .expect("the init service writes into Grafana's volume");
    let script = list(&init["command"]).last().unwrap().replace(&out, "$OUT");
    assert!(
        script.contains(&format!("$OUT/{}", file.rsplit('/').next().unwrap())),
        "{script}"
    );

    // The script itself, in a temporary folder standing for the volume.
    let tmp = std::env::temp_dir().join(format!("ferrotel-grafana-pw-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let run_script = || {
        let ok = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env("OUT", &tmp)
            .status()
            .unwrap()
            .success();
        assert!(ok, "{script}");
        std::fs::read_to_string(tmp.join("password")).unwrap()
    };
    let first = run_script();
    assert_eq!(first.trim().len(), 24, "{first:?}"); // 18 random bytes in base64
    assert_ne!(first.trim(), "admin");
    assert_eq!(run_script(), first, "a second start keeps the password");
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(tmp.join("password")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o077, 0, "readable by others");
    if std::process::Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        == b"0\n"
    {
        assert_eq!(meta.uid(), 472, "Grafana's user owns it");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
