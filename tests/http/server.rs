//! `ServerLayer`: spans and metrics of real requests.

use std::time::Duration;

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use tower::ServiceExt;

use crate::support::attr;
use crate::{request, scrape, world};

/// The application's routes, the admin router merged in, and the layer over all of it.
pub(crate) fn app(admin: Router) -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(
                |axum::extract::Path(id): axum::extract::Path<String>| async move {
                    format!("user {id}")
                },
            ),
        )
        .route("/echo", post(|body: String| async move { body }))
        .route("/nested/{id}", get(nested))
        .route(
            "/fail",
            get(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/stream",
            get(|| async {
                let chunks = futures_util::stream::unfold(0u8, |i| async move {
                    if i == 3 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    Some((
                        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"abcd")),
                        i + 1,
                    ))
                });
                Body::from_stream(chunks)
            }),
        )
        .merge(admin)
        // Raw paths opted in (the tests find spans by them); capped at 64 characters.
        .layer(ferrotel::http::ServerLayer::new().with_raw_path(64))
}

/// A handler as services write them: an event at its top level, a `tracing` span of its
/// own with an event inside, an attribute set on the server span through the accessor.
/// Answers what `tracing::Span::current()` was at its top level.
async fn nested(axum::extract::Path(id): axum::extract::Path<String>) -> String {
    use ferrotel::opentelemetry::trace::TraceContextExt;
    use tracing::Instrument;
    let top_level_span_is_none = tracing::Span::current().is_none();
    tracing::info!(order = %id, "nested: handler top");
    if let Some(cx) = ferrotel::server_context() {
        cx.span()
            .set_attribute(ferrotel::opentelemetry::KeyValue::new("app.tier", "gold"));
    }
    async {
        tracing::info!("nested: loading");
        tokio::task::yield_now().await;
    }
    .instrument(tracing::info_span!("load_order"))
    .await;
    format!("current span none: {top_level_span_is_none}")
}

const LABELS: [(&str, &str); 1] = [("service_name", "http-test")];

fn count(route: &str, status: &str) -> f64 {
    let mut l = LABELS.to_vec();
    l.extend([("http_route", route), ("http_response_status_code", status)]);
    scrape()
        .value("http_server_request_duration_seconds_count", &l)
        .unwrap_or(0.0)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn a_request_records_a_server_span_parented_on_traceparent_and_red_metrics() {
    let w = world();
    let before = count("/users/{id}", "200");
    let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let (status, _, body) = request(w.app, "GET", "/users/42", &[("traceparent", tp)], "");
    assert_eq!((status, body.as_str()), (200, "user 42"));

    w.receiver.wait_for("the server span", |r| {
        r.spans().iter().any(|(_, s)| {
            s.name == "GET /users/{id}" && hex(&s.trace_id) == "0af7651916cd43dd8448eb211c80319c"
        })
    });
    let spans = w.receiver.spans();
    let (_, span) = spans
        .iter()
        .find(|(_, s)| hex(&s.trace_id) == "0af7651916cd43dd8448eb211c80319c")
        .unwrap();
    assert_eq!(hex(&span.parent_span_id), "b7ad6b7169203331");
    assert_eq!(span.kind, 2, "SPAN_KIND_SERVER");
    assert_eq!(
        attr(&span.attributes, "http.route").as_deref(),
        Some("/users/{id}")
    );
    assert_eq!(
        attr(&span.attributes, "url.path").as_deref(),
        Some("/users/42")
    );
    assert_eq!(
        attr(&span.attributes, "http.request.method").as_deref(),
        Some("GET")
    );
    assert_eq!(
        attr(&span.attributes, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        attr(&span.attributes, "network.protocol.version").as_deref(),
        Some("1.1")
    );

    assert_eq!(count("/users/{id}", "200"), before + 1.0);
    let s = scrape();
    let bounds: Vec<String> = s
        .find(
            "http_server_request_duration_seconds_bucket",
            &[("http_route", "/users/{id}")],
        )
        .map(|x| x.labels["le"].clone())
        .collect();
    assert_eq!(
        bounds,
        [
            "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5",
            "5", "7.5", "10", "+Inf"
        ],
        "the HTTP semantic-convention buckets"
    );
    assert_eq!(s.kind("http_server_active_requests"), Some("gauge"));
}

#[test]
fn server_errors_carry_error_type() {
    let w = world();
    let (status, _, _) = request(w.app, "GET", "/fail", &[], "");
    assert_eq!(status, 500);
    let s = scrape();
    assert!(
        s.value(
            "http_server_request_duration_seconds_count",
            &[("http_route", "/fail"), ("error_type", "500")]
        )
        .unwrap()
            >= 1.0
    );
    w.receiver.wait_for("the failed span", |r| {
        r.spans().iter().any(|(_, s)| s.name == "GET /fail")
    });
    let spans = w.receiver.spans();
    let (_, span) = spans.iter().find(|(_, s)| s.name == "GET /fail").unwrap();
    assert_eq!(attr(&span.attributes, "error.type").as_deref(), Some("500"));
    assert_eq!(
        span.status.as_ref().map(|s| s.code),
        Some(2),
        "STATUS_CODE_ERROR"
    );
}

#[test]
fn malformed_traceparent_starts_a_new_trace() {
    let w = world();
    for tp in [
        "garbage",
        "00-xyz-abc-01",
        "00-00000000000000000000000000000000-0000000000000000-01",
    ] {
        let (status, _, _) = request(w.app, "GET", "/users/malformed", &[("traceparent", tp)], "");
        assert_eq!(status, 200, "{tp}");
    }
    w.receiver.wait_for("three root spans", |r| {
        r.spans()
            .iter()
            .filter(|(_, s)| attr(&s.attributes, "url.path").as_deref() == Some("/users/malformed"))
            .count()
            == 3
    });
    for (_, s) in w
        .receiver
        .spans()
        .iter()
        .filter(|(_, s)| attr(&s.attributes, "url.path").as_deref() == Some("/users/malformed"))
    {
        assert!(
            s.parent_span_id.is_empty(),
            "a malformed traceparent gives a root span"
        );
    }
}

#[test]
fn streamed_bodies_are_measured_when_they_end() {
    let w = world();
    let l = [("http_route", "/stream")];
    let sum = || {
        scrape()
            .value("http_server_request_duration_seconds_sum", &l)
            .unwrap_or(0.0)
    };
    let size = || {
        scrape()
            .value("http_server_response_body_size_bytes_sum", &l)
            .unwrap_or(0.0)
    };
    let (d0, s0) = (sum(), size());
    let (status, _, body) = request(w.app, "GET", "/stream", &[], "");
    assert_eq!((status, body.as_str()), (200, "abcdabcdabcd"));
    // Three chunks 150 ms apart: the measurement covers the body, not just the headers.
    assert!(sum() - d0 >= 0.45, "duration {}", sum() - d0);
    assert_eq!(size() - s0, 12.0);
}

#[test]
fn request_and_response_sizes() {
    let w = world();
    let l = [("http_route", "/echo")];
    let get = |name: &str| scrape().value(name, &l).unwrap_or(0.0);
    let (q0, r0) = (
        get("http_server_request_body_size_bytes_sum"),
        get("http_server_response_body_size_bytes_sum"),
    );
    let payload = "x".repeat(1000);
    let (status, _, body) = request(
        w.app,
        "POST",
        "/echo",
        &[("Content-Type", "text/plain")],
        &payload,
    );
    assert_eq!((status, body.len()), (200, 1000));
    assert_eq!(get("http_server_request_body_size_bytes_sum") - q0, 1000.0);
    assert_eq!(get("http_server_response_body_size_bytes_sum") - r0, 1000.0);
}

#[test]
fn unknown_methods_and_raw_paths_make_no_new_series() {
    let w = world();
    // Requests no route matched (other tests add routed series meanwhile).
    let series = || -> std::collections::BTreeSet<Vec<(String, String)>> {
        scrape()
            .find("http_server_request_duration_seconds_count", &[])
            .filter(|s| !s.labels.contains_key("http_route"))
            .map(|s| s.labels.clone().into_iter().collect())
            .collect()
    };
    w.block_on(async {
        let app = app(w.telemetry.admin_router());
        // Warm up the two label sets these requests may use: unmatched GET and unmatched _OTHER.
        for (m, p) in [("GET", "/nope/warm"), ("FOO", "/nope/warm")] {
            let req = axum::http::Request::builder()
                .method(m)
                .uri(p)
                .body(Body::empty())
                .unwrap();
            app.clone().oneshot(req).await.unwrap();
        }
    });
    let before = series();
    w.block_on(async {
        let app = app(w.telemetry.admin_router());
        for i in 0..10_000 {
            let method = if i % 2 == 0 { "GET" } else { "FOO" };
            let req = axum::http::Request::builder()
                .method(method)
                .uri(format!("/nope/{i}/{}", "%7Eweird%00".repeat(i % 7)))
                .body(Body::empty())
                .unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), 404);
        }
        let huge = format!("/{}", "a".repeat(16_000));
        let req = axum::http::Request::builder()
            .uri(huge)
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.clone().oneshot(req).await.unwrap().status(), 404);
    });
    let after = series();
    let new: Vec<_> = after.difference(&before).collect();
    assert!(new.is_empty(), "10,000 raw paths made new series: {new:?}");
    assert!(
        after.iter().flatten().all(|(_, v)| !v.contains("/nope/")),
        "a raw path became a label"
    );
    assert!(after
        .iter()
        .any(|l| l.contains(&("http_request_method".into(), "_OTHER".into()))));
}

#[test]
fn admin_paths_are_left_out() {
    let w = world();
    for _ in 0..3 {
        assert_eq!(request(w.app, "GET", "/health/live", &[], "").0, 200);
    }
    let s = scrape();
    assert!(s
        .find(
            "http_server_request_duration_seconds_count",
            &[("http_route", "/health/live")]
        )
        .next()
        .is_none());
}

#[test]
fn reqwest_calls_are_traced_into_the_server_and_measured() {
    use tracing::Instrument;
    let w = world();
    let app = w.app;
    let dead = crate::support::dead_addr();
    let (ok, missing, refused) = w.block_on(
        async move {
            let client = reqwest::Client::new();
            let http = ferrotel::http::ClientTelemetry::new();
            let ok = http
                .send(client.get(format!(
                    "http://agent:pa55word@{app}/users/client?token=secret"
                )))
                .await
                .unwrap();
            let missing = http
                .send(client.get(format!("http://{app}/no/such/route")))
                .await
                .unwrap();
            let refused = http.send(client.get(format!("http://{dead}/"))).await;
            (
                ok.status().as_u16(),
                missing.status().as_u16(),
                refused.is_err(),
            )
        }
        .instrument(tracing::info_span!("http_caller")),
    );
    assert_eq!((ok, missing, refused), (200, 404, true));

    // caller -> client span -> server span, one trace.
    w.receiver
        .wait_for("the caller's and the server's spans", |r| {
            let spans = r.spans();
            spans.iter().any(|(_, s)| s.name == "http_caller")
                && spans.iter().any(|(_, s)| {
                    attr(&s.attributes, "url.path").as_deref() == Some("/users/client")
                })
        });
    let spans = w.receiver.spans();
    let caller = spans
        .iter()
        .find(|(_, s)| s.name == "http_caller")
        .map(|(_, s)| s.clone())
        .unwrap();
    let server = spans
        .iter()
        .find(|(_, s)| attr(&s.attributes, "url.path").as_deref() == Some("/users/client"))
        .map(|(_, s)| s.clone())
        .unwrap();
    let client = spans
        .iter()
        .find(|(_, s)| s.span_id == server.parent_span_id)
        .map(|(_, s)| s.clone())
        .expect("the server's parent is the client span");
    assert_eq!(client.kind, 3, "SPAN_KIND_CLIENT");
    assert_eq!(client.parent_span_id, caller.span_id);
    assert_eq!(client.trace_id, caller.trace_id);
    let full = attr(&client.attributes, "url.full").unwrap();
    assert!(
        full.ends_with("/users/client") && !full.contains("secret"),
        "no query in url.full: {full}"
    );
    assert!(
        !full.contains("agent") && !full.contains("pa55word"),
        "no credentials in url.full: {full}"
    );

    let s = scrape();
    let get =
        |labels: &[(&str, &str)]| s.value("http_client_request_duration_seconds_count", labels);
    assert!(
        get(&[
            ("http_request_method", "GET"),
            ("server_address", "127.0.0.1"),
            ("http_response_status_code", "200")
        ])
        .unwrap()
            >= 1.0
    );
    assert!(get(&[("http_response_status_code", "404"), ("error_type", "404")]).unwrap() >= 1.0);
    assert!(get(&[("error_type", "connect")]).unwrap() >= 1.0);
}

/// An application's own tower-http TraceLayer spans are application telemetry, not the
/// exporter's internals (its target, `tower_http`, starts with `tower`): they are exported,
/// as children of ferrotel's server span.
#[test]
fn tower_http_trace_layer_spans_are_exported() {
    let w = world();
    let app = Router::new()
        .route("/traced", axum::routing::get(|| async { "traced" }))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
            ),
        )
        .layer(ferrotel::http::ServerLayer::new());
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    w.block_on(async {
        let req = axum::http::Request::builder()
            .uri("/traced")
            .header("traceparent", tp)
            .body(Body::empty())
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
    });
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    w.receiver.wait_for("tower-http's span", |r| {
        r.spans()
            .iter()
            .any(|(_, s)| s.name == "request" && hex(&s.trace_id) == trace)
    });
    let spans = w.receiver.spans();
    let server = spans
        .iter()
        .find(|(_, s)| s.name == "GET /traced" && hex(&s.trace_id) == trace)
        .map(|(_, s)| s.span_id.clone())
        .expect("ferrotel's server span");
    let (_, inner) = spans
        .iter()
        .find(|(_, s)| s.name == "request" && hex(&s.trace_id) == trace)
        .unwrap();
    assert_eq!(inner.parent_span_id, server);
}

/// An unknown method is `_OTHER` on the span and in metrics; the span keeps the original.
#[test]
fn unknown_methods_keep_the_original_on_the_span() {
    let w = world();
    let tp = "00-5cf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    w.block_on(async {
        let req = axum::http::Request::builder()
            .method("PURGE")
            .uri("/users/7")
            .header("traceparent", tp)
            .body(Body::empty())
            .unwrap();
        app(w.telemetry.admin_router()).oneshot(req).await.unwrap();
    });
    let trace = "5cf92f3577b34da6a3ce929d0e0e4736";
    w.receiver.wait_for("the PURGE span", |r| {
        r.spans().iter().any(|(_, s)| hex(&s.trace_id) == trace)
    });
    let spans = w.receiver.spans();
    let (_, span) = spans
        .iter()
        .find(|(_, s)| hex(&s.trace_id) == trace)
        .unwrap();
    assert_eq!(
        attr(&span.attributes, "http.request.method").as_deref(),
        Some("_OTHER")
    );
    assert_eq!(
        attr(&span.attributes, "http.request.method_original").as_deref(),
        Some("PURGE")
    );
}

/// The raw path is personal data: by default server spans carry the route template only
/// (before: `url.path` was always exported); opted in, it is cut to the limit.
#[test]
fn raw_paths_leave_only_when_opted_in_and_capped() {
    let w = world();
    let route = || Router::new().route("/reset/{token}", axum::routing::get(|| async { "reset" }));
    let long = format!("/reset/{}", "x".repeat(200));
    let cases = [
        (
            route().layer(ferrotel::http::ServerLayer::new()),
            "6cf92f3577b34da6a3ce929d0e0e4736",
            "/reset/SECRET-TOKEN-123".to_string(),
        ),
        (
            route().layer(ferrotel::http::ServerLayer::new().with_raw_path(20)),
            "7cf92f3577b34da6a3ce929d0e0e4736",
            long.clone(),
        ),
    ];
    for (app, trace, path) in &cases {
        let tp = format!("00-{trace}-00f067aa0ba902b7-01");
        w.block_on(async {
            let req = axum::http::Request::builder()
                .uri(path.as_str())
                .header("traceparent", tp)
                .body(Body::empty())
                .unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        });
    }
    let span_of = |trace: &str| {
        w.receiver.wait_for("the reset span", |r| {
            r.spans().iter().any(|(_, s)| hex(&s.trace_id) == trace)
        });
        let spans = w.receiver.spans();
        spans
            .iter()
            .find(|(_, s)| hex(&s.trace_id) == trace)
            .map(|(_, s)| s.clone())
            .unwrap()
    };
    let default = span_of(cases[0].1);
    assert_eq!(
        attr(&default.attributes, "http.route").as_deref(),
        Some("/reset/{token}")
    );
    assert_eq!(attr(&default.attributes, "url.path"), None);
    assert!(!format!("{:?}", default.attributes).contains("SECRET-TOKEN"));
    let opted = span_of(cases[1].1);
    assert_eq!(
        attr(&opted.attributes, "url.path").as_deref(),
        Some(&long[..20])
    );
}

/// The server span is an OpenTelemetry span, not a `tracing` one: what the handler does
/// must still land under it (children, correlated logs), and the handler reaches it.
#[test]
fn handler_spans_are_children_and_handler_events_carry_the_server_span() {
    let w = world();
    let tp = "00-5bf9c3a1e2d4f6a8b0c2d4e6f8a0b2c4-a1b2c3d4e5f60718-01";
    let (status, _, body) = request(w.app, "GET", "/nested/77", &[("traceparent", tp)], "");
    assert_eq!((status, body.as_str()), (200, "current span none: true"));
    let trace = "5bf9c3a1e2d4f6a8b0c2d4e6f8a0b2c4";
    let trace_id: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&trace[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let said = |r: &crate::support::Receiver, text: &str| r.log_saying(&trace_id, text);
    w.receiver
        .wait_for("the server span, its child and both log records", |r| {
            let spans = r.spans();
            let in_trace = |name: &str| {
                spans
                    .iter()
                    .any(|(_, s)| s.name == name && hex(&s.trace_id) == trace)
            };
            in_trace("GET /nested/{id}")
                && in_trace("load_order")
                && said(r, "handler top").is_some()
                && said(r, "loading").is_some()
        });
    let spans = w.receiver.spans();
    let find = |name: &str| {
        spans
            .iter()
            .find(|(_, s)| s.name == name && hex(&s.trace_id) == trace)
            .map(|(_, s)| s.clone())
            .unwrap()
    };
    let server = find("GET /nested/{id}");
    let child = find("load_order");
    assert_eq!(hex(&server.parent_span_id), "a1b2c3d4e5f60718");
    assert_eq!(server.kind, 2, "SPAN_KIND_SERVER");
    assert_eq!(
        child.parent_span_id, server.span_id,
        "the handler's span is a child"
    );
    assert_eq!(
        attr(&server.attributes, "app.tier").as_deref(),
        Some("gold")
    );
    assert_eq!(
        attr(&server.attributes, "http.route").as_deref(),
        Some("/nested/{id}")
    );
    let top = said(&w.receiver, "handler top").unwrap();
    assert_eq!(
        top.span_id, server.span_id,
        "a top-level event is the server span's"
    );
    assert_eq!(attr(&top.attributes, "order").as_deref(), Some("77"));
    let inner = said(&w.receiver, "loading").unwrap();
    assert_eq!(
        inner.span_id, child.span_id,
        "an event in the child span is the child's"
    );
}

/// A server span the sampler drops (the caller's traceparent says not sampled): nothing
/// of the request is exported as a span, the handler's spans neither, and the metrics
/// still count it.
#[test]
fn a_dropped_server_span_exports_nothing_but_the_metrics_count() {
    let w = world();
    let before = count("/nested/{id}", "200");
    let dropped = "6c0ad2b4e6f8a0c2e4a6c8e0a2c4e6f8";
    let tp = format!("00-{dropped}-b1c2d3e4f5a60718-00");
    let (status, _, _) = request(w.app, "GET", "/nested/9", &[("traceparent", &tp)], "");
    assert_eq!(status, 200);
    // A sampled request after it: once its spans are here, the dropped one's would be.
    let kept = "7d1be3c5f7a9b1d3f5b7d9f1b3d5f7a9";
    let tp = format!("00-{kept}-c1d2e3f4a5b60718-01");
    let (status, _, _) = request(w.app, "GET", "/nested/10", &[("traceparent", &tp)], "");
    assert_eq!(status, 200);
    w.receiver.wait_for("the sampled request's spans", |r| {
        r.spans()
            .iter()
            .filter(|(_, s)| hex(&s.trace_id) == kept)
            .count()
            == 2
    });
    assert!(
        !w.receiver
            .spans()
            .iter()
            .any(|(_, s)| hex(&s.trace_id) == dropped),
        "no span of the dropped trace is exported"
    );
    assert_eq!(count("/nested/{id}", "200") - before, 2.0);
}

/// A request that declares no body size records none (the body-size histogram is bound
/// only when a request declares one), while its duration is recorded.
#[test]
fn a_request_without_content_length_records_no_body_size() {
    let w = world();
    let app = Router::new()
        .route("/no-length", get(|| async { "ok" }))
        .layer(ferrotel::http::ServerLayer::new());
    for _ in 0..2 {
        let req = axum::http::Request::get("/no-length")
            .body(Body::empty())
            .unwrap();
        let resp = w.block_on(app.clone().oneshot(req)).unwrap();
        assert_eq!(resp.status(), 200);
        w.block_on(axum::body::to_bytes(resp.into_body(), 64))
            .unwrap();
    }
    let s = scrape();
    let route = [("http_route", "/no-length")];
    assert_eq!(
        s.value("http_server_request_duration_seconds_count", &route),
        Some(2.0)
    );
    assert_eq!(
        s.value("http_server_response_body_size_bytes_count", &route),
        Some(2.0)
    );
    assert!(s
        .find("http_server_request_body_size_bytes_count", &route)
        .next()
        .is_none());
}
