//! Bad input and misuse: clear errors, nothing lost, nothing crashed.

use crate::support::Receiver;

#[test]
fn init_twice_is_an_error_not_a_panic() {
    let first = ferrotel::init(
        ferrotel::Config::from_vars([("OTEL_EXPORTER_PROMETHEUS_PORT", "0")]).unwrap(),
    )
    .expect("the first global init works");
    let second = ferrotel::init(
        ferrotel::Config::from_vars([("OTEL_EXPORTER_PROMETHEUS_PORT", "0")]).unwrap(),
    );
    let err = second.expect_err("a second global init is refused");
    assert!(matches!(err, ferrotel::Error::AlreadyInitialized));
    assert!(err.to_string().contains("init was called twice"), "{err}");
    // The first handle is untouched, and it installed the W3C propagators globally.
    assert!(first.prometheus_addr().is_some());
    let fields: Vec<String> = ferrotel::opentelemetry::global::get_text_map_propagator(|p| {
        p.fields().map(str::to_string).collect()
    });
    assert!(
        fields.contains(&"traceparent".to_string()) && fields.contains(&"baggage".to_string()),
        "{fields:?}"
    );
    first.shutdown().unwrap();
}

#[test]
fn a_taken_prometheus_port_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = ferrotel::init(crate::config(&[(
        "OTEL_EXPORTER_PROMETHEUS_PORT",
        &port.to_string(),
    )]))
    .expect_err("the port is taken");
    let msg = err.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(msg.contains("OTEL_EXPORTER_PROMETHEUS_PORT"), "{msg}");
}

/// The same inside async code on both runtime flavours: the error unwinds the export
/// runtime without dropping it in a blocking way (before the fix: "Cannot drop a runtime
/// in a context where blocking is not allowed").
#[test]
fn a_taken_port_inside_async_main_is_an_error_not_a_panic() {
    for multi_thread in [false, true] {
        let rt = if multi_thread {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        }
        .unwrap();
        rt.block_on(async {
            let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = taken.local_addr().unwrap().port().to_string();
            let err = ferrotel::init(crate::config(&[("OTEL_EXPORTER_PROMETHEUS_PORT", &port)]))
                .expect_err("the port is taken");
            assert!(err.to_string().contains(&port), "{err}");
        });
    }
}

#[test]
fn sdk_disabled_gives_a_working_handle_that_exports_nothing() {
    let rx = Receiver::start();
    let telemetry = ferrotel::init(crate::config(&[
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.endpoint("http/protobuf")),
    ]))
    .unwrap();
    telemetry
        .meter("x")
        .u64_counter("x.things")
        .build()
        .add(1, &[]);
    tracing::dispatcher::with_default(telemetry.dispatch(), || {
        let span = tracing::info_span!("nothing");
        let _e = span.enter();
        tracing::info!("printed, not exported");
    });
    assert!(telemetry.prometheus_addr().is_none());
    assert!(telemetry.prometheus_exposition().is_none());
    telemetry.force_flush().unwrap();
    telemetry.shutdown().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(rx.spans().is_empty() && rx.logs().is_empty() && rx.metrics().is_empty());
}

/// In strict mode a bad value fails `init` before anything starts; by default it is
/// ignored, and `init` logs a warning naming it (tests in src/config).
#[test]
fn bad_environment_fails_before_anything_starts_in_strict_mode() {
    let err = ferrotel::Config::from_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc+tls"),
        ("FERROTEL_STRICT_CONFIG", "true"),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value \"grpc+tls\" for OTEL_EXPORTER_OTLP_PROTOCOL: expected grpc, http/protobuf or http/json"
    );
    match err {
        ferrotel::Error::InvalidEnv { var, value, .. } => {
            assert_eq!(var, "OTEL_EXPORTER_OTLP_PROTOCOL");
            assert_eq!(value, "grpc+tls");
        }
        other => panic!("unexpected {other:?}"),
    }
}
