//! Every semantic instrument handle records into the meter it was built with, with no
//! global pipeline installed; and a handle built on the global meter before `init` says
//! so on its first recording, then records once `init` has run.

#[path = "../support/sql_literals.rs"]
mod sql_literals;
#[path = "../support/mod.rs"]
mod support;

use std::process::Command;

use ferrotel::app_errors::{Category, ErrorCounter};
use ferrotel::cache::Cache;
use ferrotel::db::Db;
use ferrotel::failure::Failure;
use ferrotel::genai::{GenAi, TokenUsage};
use ferrotel::http::ClientTelemetry;
use ferrotel::queue::Queue;

#[test]
fn each_handle_records_into_the_meter_it_was_given() {
    // ferrotel::testing::Capture: the SDK's in-memory exporters, nothing installed globally.
    let capture = ferrotel::testing::Capture::new();
    let meter = capture.meter();

    let db = Db::new("sqlite").with_meter(&meter);
    let cache = Cache::new("users").with_meter(&meter);
    let queue = Queue::with_meter("emails", &meter);
    let genai = GenAi::with_meter(&meter).with_tracer(capture.tracer());
    let errors = ErrorCounter::with_meter(&meter);
    let http = ClientTelemetry::with_meter(&meter);
    capture.in_scope(|| {
        db.query("SELECT id FROM users").finish(Some(2));
        cache.start("get").miss();
        queue.enqueued().dequeued().finish();
        let run = genai.agent_run("planner");
        run.llm_call("openai", "chat", "gpt-4o-mini")
            .finish(TokenUsage::new(10, 5).with_reported_cost(0.01));
        run.tool_call("search", "function", None)
            .fail(&Failure::new("timeout"));
        run.finish();
        errors.record(Category::Internal, "jobs", &std::fmt::Error);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dead = support::dead_addr();
        let refused = rt.block_on(http.send(reqwest::Client::new().get(format!("http://{dead}/"))));
        assert!(refused.is_err());
    });

    let mut names: Vec<String> = capture.all_points().into_iter().map(|p| p.name).collect();
    names.sort();
    names.dedup();
    for expected in [
        "db.client.operation.duration",
        "db.client.response.returned_rows",
        "cache.requests",
        "cache.operation.duration",
        "queue.depth",
        "queue.wait.duration",
        "queue.processed",
        "gen_ai.client.token.usage",
        "gen_ai.client.cost",
        "gen_ai.client.operation.duration",
        "gen_ai.invoke_agent.duration",
        "gen_ai.execute_tool.duration",
        "app.errors",
        "http.client.request.duration",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let tool = capture.points("gen_ai.execute_tool.duration");
    assert_eq!(tool[0].attributes["error.type"], "timeout");
    assert_eq!(tool[0].count, Some(1));
    // The spans went to the capture's tracer: the LLM and tool calls nest under the run.
    let spans = capture.spans();
    let run = spans
        .iter()
        .find(|s| s.name == "invoke_agent planner")
        .expect("the run's span");
    for child in ["chat gpt-4o-mini", "execute_tool search"] {
        let s = spans.iter().find(|s| s.name == child).expect(child);
        assert_eq!(s.parent_span_id, run.span_context.span_id(), "{child}");
    }
}

/// Run by `handles_built_before_init_say_so_then_record` in a process of its own, so the
/// global pipeline it installs touches no other test.
#[test]
fn child_before_init() {
    if std::env::var_os("FERROTEL_TEST_CHILD").is_none() {
        return;
    }
    let db = Db::new("sqlite");
    let cache = Cache::new("early");
    let genai = GenAi::new();
    // Before init: nothing to record into; the first drop is reported on stderr.
    db.query("SELECT 1").finish(Some(1));
    cache.start("get").hit();
    let telemetry = ferrotel::init(
        ferrotel::Config::from_vars([("OTEL_SERVICE_NAME", "early")])
            .unwrap()
            .without_prometheus_listener(),
    )
    .unwrap();
    // After init: the same handles bind to the installed pipeline and record.
    db.query("SELECT 2").finish(Some(1));
    cache.start("get").hit();
    genai
        .llm_call("openai", "chat", "gpt-4o-mini")
        .finish(TokenUsage::new(1, 1).with_reported_cost(0.5));
    let scrape =
        ferrotel::testing::parse_exposition(&telemetry.prometheus_exposition().unwrap()).unwrap();
    let count = |name: &str, labels: &[(&str, &str)]| scrape.value(name, labels);
    assert_eq!(
        count(
            "db_client_operation_duration_seconds_count",
            &[("db_system_name", "sqlite")]
        ),
        Some(1.0),
        "one recording after init, none before"
    );
    assert_eq!(
        count(
            "cache_requests_total",
            &[("cache_name", "early"), ("cache_result", "hit")]
        ),
        Some(1.0)
    );
    assert_eq!(
        count(
            "gen_ai_client_cost_total",
            &[("gen_ai_request_model", "gpt-4o-mini")]
        ),
        Some(0.5)
    );
    telemetry.shutdown().unwrap();
}

#[test]
fn handles_built_before_init_say_so_then_record() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_before_init",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FERROTEL_TEST_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the child failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run:\n{stdout}"
    );
    let reports: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("used before ferrotel::init"))
        .collect();
    assert_eq!(
        reports.len(),
        1,
        "one report of the dropped recordings, naming the fix:\n{stderr}"
    );
    assert!(reports[0].contains("with_meter"), "{}", reports[0]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 3000, ..Default::default() })]

    /// Literals of every kind, in every position, in every dialect: none survives
    /// sanitizing in its own dialect. `cargo bench --bench sanitizer_fuzz` runs the same
    /// generator over hundreds of thousands of statements.
    #[test]
    fn no_literal_survives_in_any_dialect(statement in sql_literals::any_statement()) {
        if let Some((secret, out)) = sql_literals::leak(&statement) {
            proptest::prop_assert!(false, "{:?} leaked {secret:?}: {:?} became {out:?}", statement.dialect, statement.sql);
        }
    }
}

/// Route-like labels a caller's data can invent: tables named from data, gRPC methods
/// a scanner calls. Past the budget they share `_OTHER`; spans keep the real names.
#[test]
fn data_driven_labels_stop_at_their_budget() {
    let capture = ferrotel::testing::Capture::new();
    let meter = capture.meter();
    let db = Db::new("postgresql")
        .with_meter(&meter)
        .with_label_limit(10);
    capture.in_scope(|| {
        for i in 0..300 {
            db.query(&format!("SELECT * FROM events_{i} WHERE id = 1"))
                .finish(Some(1));
        }
    });
    let points = capture.points("db.client.operation.duration");
    let label = |key: &str| {
        let mut values: Vec<String> = points.iter().map(|p| p.attributes[key].clone()).collect();
        values.sort();
        values.dedup();
        values
    };
    for key in ["db.query.summary", "db.collection.name"] {
        let values = label(key);
        assert_eq!(values.len(), 11, "{key}: {values:?}");
        assert!(values.iter().any(|v| v == "_OTHER"), "{key}: {values:?}");
    }
    let other = points
        .iter()
        .find(|p| p.attributes["db.collection.name"] == "_OTHER")
        .unwrap();
    assert_eq!(other.count, Some(290));
    // The span of the 300th statement still names its table.
    assert!(capture
        .spans()
        .iter()
        .any(|s| s.name == "SELECT events_299"));
}

/// A scanner calling random gRPC paths that an interceptor rejects before routing
/// (UNAUTHENTICATED, not UNIMPLEMENTED): the budget, or the list of known methods,
/// keeps `rpc.method` bounded.
#[test]
fn grpc_methods_from_random_paths_share_other() {
    use tower::{Layer, ServiceExt};
    let capture = ferrotel::testing::Capture::new();
    let meter = capture.meter();
    let rejecting = tower::service_fn(|_req: http::Request<String>| async {
        let mut response = http::Response::new(String::new());
        response
            .headers_mut()
            .insert("grpc-status", http::HeaderValue::from_static("16"));
        Ok::<_, std::convert::Infallible>(response)
    });
    let known = "shop.Orders/Get";
    let budgeted = ferrotel::grpc::ServerLayer::with_meter(&meter).with_method_limit(5);
    let listed = ferrotel::grpc::ServerLayer::with_meter(&meter).with_methods([known]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    capture.in_scope(|| {
        rt.block_on(async {
            for (layer, tag) in [(budgeted, "budget"), (listed, "listed")] {
                for i in 0..50 {
                    let path = if i == 0 {
                        format!("/{known}")
                    } else {
                        format!("/scan.{tag}{i}/Probe")
                    };
                    let req = http::Request::post(path).body(String::new()).unwrap();
                    let response = layer.layer(rejecting).oneshot(req).await.unwrap();
                    drop(response);
                }
            }
        })
    });
    let mut methods: Vec<String> = capture
        .points("rpc.server.call.duration")
        .iter()
        .map(|p| p.attributes["rpc.method"].clone())
        .collect();
    methods.sort();
    methods.dedup();
    // The budget: the known method and four scanned paths, then _OTHER; the list: only
    // the known method and _OTHER.
    assert_eq!(methods.len(), 6, "{methods:?}");
    assert!(methods.iter().any(|m| m == "_OTHER"));
    assert!(methods.iter().any(|m| m == known));
    assert!(!methods.iter().any(|m| m.contains("listed")), "{methods:?}");
}

/// The attribute keys each handle actually emits, captured in-process over every option
/// and outcome it has, are the catalogue's, label for label: a key recorded but not
/// declared (the tenant on the cost used to be) or declared but never recorded fails.
#[test]
fn every_attribute_key_emitted_is_the_catalogues() {
    use std::collections::{BTreeMap, BTreeSet};
    let capture = ferrotel::testing::Capture::new();
    let meter = capture.meter();
    let db = Db::new("postgresql")
        .with_namespace("shop")
        .with_server_address("db.internal")
        .with_meter(&meter);
    let cache = Cache::new("users").with_meter(&meter);
    let queue = Queue::with_meter("emails", &meter);
    let genai = GenAi::with_meter(&meter);
    let errors = ErrorCounter::with_meter(&meter);
    capture.in_scope(|| {
        db.query("SELECT id FROM users WHERE id = 1")
            .finish(Some(1));
        db.query("UPDATE users SET a = 1")
            .fail(&Failure::new("timeout"));
        cache.start("get").hit();
        cache.start("get").miss();
        cache.start("set").fail(&Failure::new("connection_refused"));
        queue.enqueued().dequeued().finish();
        queue.enqueued().dequeued().fail(&Failure::new("timeout"));
        drop(queue.enqueued());
        let run = genai.agent_run("planner");
        let mut call = run
            .llm_call("openai", "chat", "gpt-4o-mini")
            .with_tenant("acme");
        call.streaming();
        call.first_chunk();
        call.finish(TokenUsage::new(10, 5).with_response_model("gpt-4o-mini-2024-07-18"));
        run.llm_call("openai", "chat", "gpt-4o-mini")
            .fail(&Failure::new("429"));
        // A stream that breaks after its first chunk: time to first chunk with the failure.
        let mut broken = run.llm_call("openai", "chat", "gpt-4o-mini");
        broken.streaming();
        broken.first_chunk();
        broken.fail(&Failure::new("stream_error"));
        run.tool_call("search", "function", None)
            .fail(&Failure::new("timeout"));
        run.tool_call("search", "function", None).finish();
        run.finish();
        genai.agent_run("planner").fail(&Failure::new("boom"));
        errors.record(Category::Internal, "jobs", &std::fmt::Error);
    });
    // A real database error carries its code (db.response.status_code): SQLite through sqlx.
    let rt = tokio::runtime::Runtime::new().unwrap();
    capture.in_scope(|| {
        rt.block_on(async {
            let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
            let sql = "SELECT * FROM missing_table";
            let failed = db.run(sql, sqlx::query(sql).fetch_all(&pool)).await;
            assert!(failed.is_err());
        })
    });

    // A call made while serving a request: its cost carries the route.
    capture.in_scope(|| {
        rt.block_on(async {
            let served = genai.clone();
            let app = axum::Router::new()
                .route(
                    "/ask",
                    axum::routing::get(move || async move {
                        served
                            .llm_call("openai", "chat", "gpt-4o-mini")
                            .finish(TokenUsage::new(10, 5));
                        "ok"
                    }),
                )
                .layer(ferrotel::http::ServerLayer::new());
            let req = http::Request::get("/ask")
                .body(axum::body::Body::empty())
                .unwrap();
            let status = tower::ServiceExt::oneshot(app, req).await.unwrap().status();
            assert_eq!(status, 200);
        })
    });

    let mut emitted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in capture.all_points() {
        emitted
            .entry(p.name)
            .or_default()
            .extend(p.attributes.into_keys());
    }
    let mut differences = Vec::new();
    for (name, keys) in &emitted {
        let Some(spec) = ferrotel::catalog::CATALOG.iter().find(|s| s.name == name) else {
            differences.push(format!("{name}: recorded, not in the catalogue"));
            continue;
        };
        let declared: BTreeSet<String> = spec.attributes.iter().map(|k| k.to_string()).collect();
        if &declared != keys {
            differences.push(format!(
                "{name}: recorded {:?}, declared {:?}",
                keys.iter().collect::<Vec<_>>(),
                declared.iter().collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "attribute keys differ from the catalogue:\n{}",
        differences.join("\n")
    );
    assert!(emitted.len() >= 14, "{:?}", emitted.keys());
}

/// Errors of distinct kinds from real sources — an I/O timeout, SQLite's "no rows", a
/// refused connection through reqwest, an `anyhow::Error` with context around a
/// permission error, an application failure the code names — arrive as
/// distinct `error.type` labels, each sorted into its `error.category` by the map; the
/// application's own mapping moves its kind.
#[test]
fn error_kinds_arrive_as_distinct_labels_and_categories() {
    use ferrotel::app_errors::CategoryMap;
    let capture = ferrotel::testing::Capture::new();
    let meter = capture.meter();
    let errors = ErrorCounter::with_meter(&meter);
    let mapped = ErrorCounter::with_meter(&meter)
        .with_categories(CategoryMap::default().with("card_declined", Category::ExternalService));
    let rt = tokio::runtime::Runtime::new().unwrap();
    capture.in_scope(|| {
        rt.block_on(async {
            let timeout = std::io::Error::new(std::io::ErrorKind::TimedOut, "upstream");
            assert_eq!(
                errors.record_error("search", &timeout),
                Category::ExternalService
            );

            let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
            let none = sqlx::query("SELECT 1 WHERE 0")
                .fetch_one(&pool)
                .await
                .unwrap_err();
            assert_eq!(errors.record_error("users", &none), Category::Database);

            let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = dead.local_addr().unwrap();
            drop(dead);
            let refused = reqwest::get(format!("http://{addr}/")).await.unwrap_err();
            assert_eq!(
                errors.record_error("billing", &refused),
                Category::ExternalService
            );

            // An anyhow::Error with context: named by the I/O error at its root.
            let denied =
                anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
                    .context("reading the report");
            assert_eq!(errors.record_dyn("files", denied.as_ref()), Category::Auth);

            let declined = Failure::new("card_declined");
            assert_eq!(
                errors.record_error("checkout", &declined),
                Category::Internal
            );
            assert_eq!(
                mapped.record_error("checkout", &declined),
                Category::ExternalService
            );
        })
    });
    let mut got: Vec<(String, String, String)> = capture
        .points("app.errors")
        .into_iter()
        .map(|p| {
            (
                p.attributes["app.component"].clone(),
                p.attributes["error.type"].clone(),
                p.attributes["error.category"].clone(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, String)> = [
        ("billing", "connection_refused", "external_service"),
        ("checkout", "card_declined", "external_service"),
        ("checkout", "card_declined", "internal"),
        ("files", "permission_denied", "auth"),
        ("search", "timed_out", "external_service"),
        ("users", "row_not_found", "database"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
}
