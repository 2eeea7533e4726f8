//! Unit tests of reading and resolving configuration.

use super::*;
use crate::Signal;

/// The error strict mode gives for `vars`.
fn err(vars: &[(&str, &str)]) -> String {
    Config::from_vars(vars.iter().copied())
        .and_then(|c| c.strict().resolve())
        .map(|_| panic!("{vars:?} should be rejected"))
        .unwrap_err()
        .to_string()
}

#[test]
fn defaults_are_prometheus_only() {
    let c = Config::from_vars(Vec::<(String, String)>::new())
        .unwrap()
        .resolve()
        .unwrap();
    // The in-process exposition is the default wherever it is built in.
    assert_eq!(c.prometheus(), cfg!(feature = "prometheus"));
    assert!(Signal::ALL.iter().all(|s| !c.exporters.get(*s).otlp));
    assert!(c.otlp(Signal::Traces).is_none());
    assert_eq!(c.sampler(), Sampler::ParentBasedAlwaysOn);
    assert_eq!(
        (c.prometheus_host.as_str(), c.prometheus_port),
        ("127.0.0.1", 9464)
    );
    assert_eq!(c.shutdown_timeout, Duration::from_secs(5));
}

#[test]
fn endpoint_turns_on_otlp_for_every_signal() {
    let c = Config::from_vars([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")])
        .unwrap()
        .resolve()
        .unwrap();
    assert_eq!(
        c.otlp(Signal::Traces).unwrap().endpoint,
        "http://c:4318/v1/traces"
    );
    assert_eq!(
        c.otlp(Signal::Metrics).unwrap().endpoint,
        "http://c:4318/v1/metrics"
    );
    assert_eq!(
        c.otlp(Signal::Logs).unwrap().endpoint,
        "http://c:4318/v1/logs"
    );
    assert!(
        c.prometheus() == cfg!(feature = "prometheus"),
        "Prometheus stays as it was by default"
    );
}

#[test]
fn signal_variables_win_over_general_ones() {
    let c = Config::from_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        (
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            "http://logs:4318/custom",
        ),
        ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=x%20y"),
        ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700"),
    ])
    .unwrap()
    .resolve()
    .unwrap();
    let t = c.otlp(Signal::Traces).unwrap();
    assert_eq!(t.endpoint, "http://c:4317");
    assert_eq!(t.protocol, Protocol::Grpc);
    assert_eq!(
        t.headers,
        vec![("a".into(), "1".into()), ("b".into(), "2".into())]
    );
    assert_eq!(t.timeout, Duration::from_millis(2500));
    assert_eq!(
        c.otlp(Signal::Metrics).unwrap().timeout,
        Duration::from_millis(700)
    );
    let l = c.otlp(Signal::Logs).unwrap();
    assert_eq!(l.endpoint, "http://logs:4318/custom");
    assert_eq!(l.protocol, Protocol::HttpProtobuf);
    assert_eq!(l.headers[1], ("b".into(), "x y".into()));
}

#[test]
fn exporter_lists() {
    let c = Config::from_vars([
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_LOGS_EXPORTER", "console"),
    ])
    .unwrap()
    .resolve()
    .unwrap();
    assert_eq!(
        c.otlp(Signal::Traces).unwrap().endpoint,
        "http://localhost:4318/v1/traces"
    );
    assert!(!c.prometheus() && c.otlp(Signal::Metrics).is_none());
    assert!(c.exporters.get(Signal::Logs).console && c.otlp(Signal::Logs).is_none());
    assert!(err(&[("OTEL_TRACES_EXPORTER", "prometheus")]).contains("OTEL_TRACES_EXPORTER"));
    assert!(err(&[("OTEL_LOGS_EXPORTER", "jaeger")]).contains("otlp, console, none"));
}

#[test]
fn samplers() {
    let c = Config::from_vars([
        ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
    ])
    .unwrap()
    .resolve()
    .unwrap();
    assert_eq!(c.sampler(), Sampler::ParentBasedTraceIdRatio(0.25));
    let c = Config::from_vars([("OTEL_TRACES_SAMPLER", "always_off")])
        .unwrap()
        .resolve()
        .unwrap();
    assert_eq!(c.sampler(), Sampler::AlwaysOff);
}

#[test]
fn every_bad_value_names_its_variable() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "udp",
            "grpc, http/protobuf or http/json",
        ),
        (
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "http/xml",
            "grpc, http/protobuf or http/json",
        ),
        (
            "OTEL_TRACES_SAMPLER",
            "jaeger_remote",
            "parentbased_traceidratio",
        ),
        ("OTEL_TRACES_SAMPLER_ARG", "1.5", "0.0 to 1.0"),
        ("OTEL_TRACES_SAMPLER_ARG", "-0.1", "0.0 to 1.0"),
        ("OTEL_TRACES_SAMPLER_ARG", "half", "0.0 to 1.0"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "novalue", "key=value"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "=x", "key=value"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "bad key=x", "header names"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "k=%zz", "percent-encoded"),
        (
            "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
            "k=a%0Ab",
            "control characters",
        ),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://c:21", "https:// URL"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", ":4317", "https:// URL"),
        ("OTEL_EXPORTER_OTLP_INSECURE", "maybe", "true or false"),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "not a url",
            "https:// URL",
        ),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "0", "greater than 0"),
        ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "10s", "milliseconds"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "0", "greater than 0"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "-1", "whole number"),
        // Sizes a machine cannot hold: before, these passed and panicked or aborted in init.
        (
            "OTEL_BSP_MAX_QUEUE_SIZE",
            "18446744073709551615",
            "from 1 to 1048576",
        ),
        (
            "OTEL_BLRP_MAX_QUEUE_SIZE",
            "1000000000000",
            "from 1 to 1048576",
        ),
        (
            "OTEL_BSP_MAX_QUEUE_SIZE",
            "100000000000000000",
            "from 1 to 1048576",
        ),
        ("OTEL_BLRP_SCHEDULE_DELAY", "soon", "milliseconds"),
        (
            "FERROTEL_BSP_MAX_QUEUE_BYTES",
            "17179869185",
            "from 1 to 17179869184",
        ),
        ("FERROTEL_BLRP_MAX_QUEUE_BYTES", "lots", "whole number"),
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "0", "greater than 0"),
        (
            "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            "-5",
            "whole number",
        ),
        ("OTEL_SDK_DISABLED", "yes", "true or false"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "-1", "from 0 to 4294967295"),
        (
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
            "monthly",
            "cumulative, delta or lowmemory",
        ),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "gzip or none"),
        (
            "OTEL_PROPAGATORS",
            "tracecontext,xray",
            "tracecontext, baggage, b3, b3multi, jaeger, none",
        ),
        ("OTEL_RESOURCE_ATTRIBUTES", "team", "key=value"),
        ("FERROTEL_LOG_FORMAT", "xml", "text or json"),
        ("OTEL_EXPORTER_PROMETHEUS_PORT", "99999", "port number"),
        ("FERROTEL_SHUTDOWN_TIMEOUT", "0", "greater than 0"),
        ("RUST_LOG", "info,[[", "EnvFilter"),
        ("FERROTEL_HEALTH_CACHE_TTL", "0", "greater than 0"),
        (
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
            "maybe",
            "true or false",
        ),
        ("FERROTEL_GENAI_TENANT_LIMIT", "lots", "whole number"),
        ("FERROTEL_ERROR_CATEGORIES", "card=weird", "KIND=CATEGORY"),
        ("OTEL_BSP_MAX_CONCURRENT_EXPORTS", "0", "greater than 0"),
        ("FERROTEL_BLRP_MAX_CONCURRENT_EXPORTS", "17", "from 1 to 16"),
    ];
    for (var, value, allowed) in cases {
        let msg = err(&[(var, value)]);
        assert!(msg.contains(var), "{var}={value}: {msg}");
        if var.contains("HEADERS") {
            // Header values are credentials: the position is named, the value never shown.
            assert!(msg.contains("(pair 1)"), "{var}={value}: {msg}");
        } else {
            assert!(msg.contains(&format!("{value:?}")), "{var}={value}: {msg}");
        }
        assert!(msg.contains(allowed), "{var}={value}: {msg}");
    }
    let msg = err(&[
        ("OTEL_BSP_MAX_QUEUE_SIZE", "10"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "20"),
    ]);
    assert!(msg.contains("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") && msg.contains("queue size"));
}

#[test]
fn secrets_never_appear_in_configuration_errors() {
    let secret = "s3cr3t-Abc123";
    let cases: [(&str, String, &str); 5] = [
        // A bad header name after a good, secret one: pair 2 is named.
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("authorization=Bearer%20{secret},bad key=x"),
            "(pair 2)",
        ),
        // A control character in an API key.
        (
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            format!("x-api-key={secret}%0A"),
            "(pair 1)",
        ),
        // A token pasted without its key.
        ("OTEL_EXPORTER_OTLP_HEADERS", secret.to_string(), "(pair 1)"),
        // A password in an endpoint that is wrong for another reason.
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("ftp://user:{secret}@collector:21"),
            "***@collector:21",
        ),
        (
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            format!("ftp://user:{secret}@collector:4318/v1/logs"),
            "ftp://***@collector:4318/v1/logs",
        ),
    ];
    for (var, value, shown) in &cases {
        let msg = err(&[(var, value.as_str())]);
        assert!(msg.contains(var), "{msg}");
        assert!(msg.contains(shown), "{var}: {msg}");
        assert!(!msg.contains(secret), "{var} leaked the secret: {msg}");
    }
    let e = Config::default()
        .with_otlp_header("x-api-key", format!("{secret}\n"))
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(e.contains("with_otlp_header") && !e.contains(secret), "{e}");
    let e = Config::default()
        .with_otlp(format!("collector://u:{secret}@c:1"), Protocol::Grpc)
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(e.contains("with_otlp") && !e.contains(secret), "{e}");
}

#[test]
fn builder_errors_name_the_field() {
    let c = Config::default();
    let check = |c: Config, field: &str| {
        let e = c.resolve().unwrap_err();
        assert!(e.to_string().contains(field), "{e}");
    };
    check(
        c.clone().with_sampler(Sampler::TraceIdRatio(2.0)),
        "with_sampler",
    );
    check(
        c.clone().with_otlp("localhost:4317", Protocol::Grpc),
        "with_otlp",
    );
    check(
        c.clone().with_shutdown_timeout(Duration::ZERO),
        "with_shutdown_timeout",
    );
    check(
        c.clone().with_otlp_header("bad key", "v"),
        "with_otlp_header",
    );
    check(
        c.clone().with_metric_interval(Duration::ZERO),
        "with_metric_interval",
    );
    check(c.clone().with_health_ttl(Duration::ZERO), "with_health_ttl");
    check(c.with_log_filter("info,[["), "with_log_filter");
}

#[test]
fn setter_order_does_not_matter() {
    let env = [("OTEL_EXPORTER_OTLP_HEADERS", "x-env=1,x-both=env")];
    let a = Config::from_vars(env)
        .unwrap()
        .with_otlp_header("x-both", "code")
        .with_otlp("http://c:4318", Protocol::HttpProtobuf)
        .resolve()
        .unwrap();
    let b = Config::from_vars(env)
        .unwrap()
        .with_otlp("http://c:4318", Protocol::HttpProtobuf)
        .with_otlp_header("x-both", "code")
        .resolve()
        .unwrap();
    for s in Signal::ALL {
        assert_eq!(a.otlp(s), b.otlp(s), "{s}");
        let t = a.otlp(s).unwrap();
        assert_eq!(
            t.headers,
            vec![
                ("x-env".into(), "1".into()),
                ("x-both".into(), "code".into())
            ]
        );
        assert_eq!(t.endpoint, format!("http://c:4318/v1/{s}"));
    }
}

#[test]
fn only_known_variables_are_read_and_must_be_utf8() {
    use std::os::unix::ffi::OsStringExt;
    let bad = std::ffi::OsString::from_vec(vec![0x66, 0x6f, 0xff]);
    // An unrelated variable is never looked at: from_env reads exactly env::ALL.
    assert!(!env::ALL.contains(&"HOME"));
    let e = Config::from_os_vars([
        (env::OTEL_SERVICE_NAME, Some("ok".into())),
        (env::OTEL_RESOURCE_ATTRIBUTES, Some(bad)),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("OTEL_RESOURCE_ATTRIBUTES") && e.contains("UTF-8"),
        "{e}"
    );
    let c = Config::from_os_vars([(env::OTEL_SERVICE_NAME, Some("ok".into()))]).unwrap();
    assert_eq!(c.service_name(), "ok");
}

#[test]
fn admin_tokens_are_checked_and_never_echoed() {
    let c = Config::from_vars([("FERROTEL_ADMIN_TOKEN", "0123456789abcdef")])
        .unwrap()
        .resolve()
        .unwrap();
    assert_eq!(c.admin_token.as_deref(), Some("0123456789abcdef"));
    for bad in ["short", "has a space in it ok", "tab\there-is-long-enough"] {
        let msg = err(&[("FERROTEL_ADMIN_TOKEN", bad)]);
        assert!(
            msg.contains("FERROTEL_ADMIN_TOKEN") && msg.contains("16 visible"),
            "{msg}"
        );
        assert!(!msg.contains(bad), "the token leaked into {msg}");
    }
    let e = Config::default()
        .with_admin_token("tiny")
        .resolve()
        .unwrap_err();
    assert!(e.to_string().contains("with_admin_token") && !e.to_string().contains("tiny"));
}

#[test]
fn builder_wins_over_env() {
    let c = Config::from_vars([
        ("OTEL_SERVICE_NAME", "from-env"),
        ("OTEL_RESOURCE_ATTRIBUTES", "service.name=attr,team=core"),
    ])
    .unwrap();
    assert_eq!(c.service_name(), "from-env");
    let c = c.with_service_name("from-code");
    assert_eq!(c.service_name(), "from-code");
    assert_eq!(c.resolve().unwrap().resource_attributes["team"], "core");
    let c = Config::from_vars([("OTEL_RESOURCE_ATTRIBUTES", "service.name=attr")]).unwrap();
    assert_eq!(c.service_name(), "attr");
}

#[test]
fn disabled_and_empty_values() {
    let c = Config::from_vars([("OTEL_SDK_DISABLED", "TRUE"), ("OTEL_SERVICE_NAME", "")]).unwrap();
    assert!(c.resolve().unwrap().is_disabled());
    assert!(c.service_name().starts_with("unknown_service"));
}

#[test]
fn value_length_limits_and_byte_capacities() {
    let r = Config::from_vars([
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "300"),
        ("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "50"),
        ("FERROTEL_BSP_MAX_QUEUE_BYTES", "1048576"),
    ])
    .unwrap()
    .resolve()
    .unwrap();
    let (spans, logs) = (r.batch(Signal::Traces), r.batch(Signal::Logs));
    assert_eq!((spans.max_value_chars, logs.max_value_chars), (300, 50));
    assert_eq!(
        (spans.max_queue_bytes, logs.max_queue_bytes),
        (1 << 20, 16 << 20)
    );
    let d = Config::default().resolve().unwrap().batch(Signal::Traces);
    assert_eq!((d.max_value_chars, d.max_queue_bytes), (4096, 16 << 20));
}

/// As the SDK specification asks, a value that cannot be used is ignored with a warning
/// naming the variable, and the default stands in; strict mode keeps the errors. The
/// admin token, which guards the admin endpoints, is never ignored.
#[test]
fn unusable_values_are_ignored_with_a_warning_unless_strict() {
    let vars = [
        ("OTEL_PROPAGATORS", "tracecontext,xray"),
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_TRACES_EXPORTER", "zipkin"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc+tls"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "lots"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "10s"),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer%20s3cr3t-token,bad key=x",
        ),
        ("OTEL_SERVICE_NAME", "kept"),
    ];
    let r = Config::from_vars(vars).unwrap().resolve().unwrap();
    let ignored = r.ignored().join("\n");
    for (var, _) in &vars[..7] {
        assert!(ignored.contains(var), "{var} not reported in:\n{ignored}");
    }
    assert!(!ignored.contains("s3cr3t"), "{ignored}");
    assert_eq!(r.ignored().len(), 7);
    // The defaults stand in; what was valid is kept.
    assert_eq!(r.service_name(), "kept");
    assert_eq!(r.batch(Signal::Traces).max_queue_size, 2048);
    assert_eq!(r.sampler, Sampler::ParentBasedAlwaysOn);
    // Strict mode, by variable or by code: the first one is an error.
    for strict in [
        Config::from_vars(
            vars.iter()
                .copied()
                .chain([("FERROTEL_STRICT_CONFIG", "true")]),
        ),
        Config::from_vars(vars)
            .map(Config::strict)
            .and_then(|c| c.resolve().map(|_| c)),
    ] {
        assert!(strict.is_err());
    }
    let token = Config::from_vars([("FERROTEL_ADMIN_TOKEN", "short")]);
    assert!(token
        .unwrap_err()
        .to_string()
        .contains("FERROTEL_ADMIN_TOKEN"));
}

#[test]
fn otel_log_level_sets_the_sdk_crates_console_level() {
    let r = Config::from_vars([("RUST_LOG", "warn"), ("OTEL_LOG_LEVEL", "debug")])
        .unwrap()
        .resolve()
        .unwrap();
    assert_eq!(
        r.log_filter,
        "warn,opentelemetry=debug,opentelemetry_sdk=debug,opentelemetry_otlp=debug"
    );
    assert!(err(&[("OTEL_LOG_LEVEL", "loud")]).contains("OTEL_LOG_LEVEL"));
}

/// A file for the TLS tests below, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let dir = std::env::temp_dir().join(format!("ferrotel-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A PEM certificate block (not a valid X.509 certificate: resolving reads only the PEM
/// layer; the handshake tests in tests/pipeline use real ones).
const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBfjCCASSgAwIBAgIUNjUp3sL0a1Y3nzKJ2V4Hn7a0XvYwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJdGVzdCBjZXJ0MB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAw
MDAwMFowFDESMBAGA1UEAwwJdGVzdCBjZXJ0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEb6PmfP0Yy1r3gqzY8m9h8bGmW0Gm3kq5f9D4b9lHq8wOQm5pJcQ5Y3xP
wGvV7m3yq1bqvNRv3Zr0w0Vt9m1Xo6NTMFEwHQYDVR0OBBYEFG0R8n8q2f0d5i8p
m0y4Xl1oQkqxMB8GA1UdIwQYMBaAFG0R8n8q2f0d5i8pm0y4Xl1oQkqxMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgS2b3j0y6d6WcQm8f9i0k2p3Q
9w5n0Vb3z9lQm2u2x1cCIQDd8Xh0b1i1p7lD2tq3s0c1f0yq3m4x7o5r2u8w9k6y1A==
-----END CERTIFICATE-----
";

#[test]
fn https_endpoints_are_accepted_and_scheme_less_ones_follow_insecure() {
    let resolve = |vars: &[(&str, &str)]| {
        Config::from_vars(vars.iter().copied())
            .unwrap()
            .strict()
            .resolve()
            .unwrap()
    };
    let c = resolve(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318")]);
    assert_eq!(
        c.otlp(Signal::Traces).unwrap().endpoint,
        "https://c:4318/v1/traces"
    );
    // Without a scheme: TLS unless OTEL_EXPORTER_OTLP_INSECURE says otherwise.
    let c = resolve(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ]);
    assert_eq!(
        c.otlp(Signal::Metrics).unwrap().endpoint,
        "https://collector:4317"
    );
    let c = resolve(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_INSECURE", "true"),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "logs:4317"),
        ("OTEL_EXPORTER_OTLP_LOGS_INSECURE", "false"),
    ]);
    assert_eq!(
        c.otlp(Signal::Traces).unwrap().endpoint,
        "http://collector:4317"
    );
    assert_eq!(c.otlp(Signal::Logs).unwrap().endpoint, "https://logs:4317");
    // http/json is a protocol value, sent to the HTTP paths.
    let c = resolve(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
    ]);
    let t = c.otlp(Signal::Logs).unwrap();
    assert_eq!(
        (t.protocol, t.endpoint.as_str()),
        (Protocol::HttpJson, "http://c:4318/v1/logs")
    );
}

#[test]
fn tls_files_are_read_per_signal_and_their_faults_are_always_errors() {
    let ca = TempFile::new("ca.pem", CERT);
    let other = TempFile::new("other-ca.pem", CERT);
    let not_pem = TempFile::new("not.pem", "hello");
    let c = Config::from_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.path()),
        ("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", other.path()),
    ])
    .unwrap()
    .resolve()
    .unwrap();
    let ca_of = |s| c.otlp(s).unwrap().tls.ca.as_ref().unwrap().path.clone();
    assert_eq!(ca_of(Signal::Traces), ca.0);
    assert_eq!(ca_of(Signal::Logs), other.0, "the per-signal file wins");
    assert!(c.otlp(Signal::Traces).unwrap().tls.client.is_none());

    // Lenient mode does not ignore these: each is an error naming the variable and path.
    let lenient = |vars: &[(&str, &str)]| {
        Config::from_vars(vars.iter().copied())
            .and_then(|c| c.resolve())
            .expect_err("a TLS file fault is an error")
            .to_string()
    };
    let e = lenient(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"),
    ]);
    assert!(
        e.contains("OTEL_EXPORTER_OTLP_CERTIFICATE") && e.contains("/nonexistent/ca.pem"),
        "{e}"
    );
    let e = lenient(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"),
        ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", not_pem.path()),
    ]);
    assert!(
        e.contains("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE") && e.contains("no PEM block"),
        "{e}"
    );
    let e = lenient(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"),
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", ca.path()),
    ]);
    assert!(
        e.contains("OTEL_EXPORTER_OTLP_CLIENT_KEY"),
        "a certificate without its key: {e}"
    );
    // A key file that holds a certificate: named, its contents never printed.
    let e = lenient(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"),
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", ca.path()),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", ca.path()),
    ]);
    #[cfg(feature = "tls")]
    assert!(
        e.contains("OTEL_EXPORTER_OTLP_CLIENT_KEY") && e.contains("no private key"),
        "{e}"
    );
    assert!(!e.contains("MIIB"), "no PEM contents in the message: {e}");
    // Not read at all when no signal goes over OTLP.
    assert!(
        Config::from_vars([("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem")])
            .unwrap()
            .resolve()
            .is_ok()
    );
}

#[test]
fn error_categories_from_the_environment_and_code() {
    use crate::failure::{Category, CategoryMap};
    let c = Config::from_vars([(
        "FERROTEL_ERROR_CATEGORIES",
        "card_declined=external_service, 404=internal",
    )])
    .unwrap()
    .resolve()
    .unwrap();
    let map = &c.instruments.error_categories;
    assert_eq!(map.category("card_declined"), Category::ExternalService);
    assert_eq!(map.category("404"), Category::Internal);
    assert_eq!(
        map.category("pool_timed_out"),
        Category::Database,
        "defaults kept"
    );
    let c = Config::from_vars([("FERROTEL_ERROR_CATEGORIES", "card_declined=auth")])
        .unwrap()
        .with_error_categories(CategoryMap::empty())
        .resolve()
        .unwrap();
    assert_eq!(
        c.instruments.error_categories.category("card_declined"),
        Category::Internal,
        "code wins"
    );
}
