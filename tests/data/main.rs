//! Database, cache, queue and error telemetry against real parts: SQLite through
//! sqlx (in memory and on disk), a real `redis-server` as the cache; spans read from
//! the OTLP receiver, metrics from the parsed exposition.

#[path = "../support/mod.rs"]
mod support;

use std::sync::OnceLock;
use std::time::Duration;

use ferrotel::db::Db;
use support::{attr, Installed, RedisServer};
use tracing::Instrument;

fn world() -> &'static Installed {
    static W: OnceLock<Installed> = OnceLock::new();
    W.get_or_init(|| Installed::start("data-test", &[("FERROTEL_DB_SLOW_QUERY_MS", "100")]))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn sqlite_operations_record_sanitized_spans_and_metrics() {
    let w = world();
    let dir = std::env::temp_dir().join(format!("ferrotel-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (label, url) in [
        ("memory", "sqlite::memory:".to_string()),
        (
            "file",
            format!("sqlite://{}?mode=rwc", dir.join("app.db").display()),
        ),
    ] {
        let db = Db::new("sqlite").with_namespace(label);
        let (rows, dup) = w.runtime.block_on(async {
            let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(&url).await.unwrap();
            ferrotel::db::observe_pool(&opentelemetry::global::meter("ferrotel"), label, pool.clone());
            let create = "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)";
            db.run(create, sqlx::query(create).execute(&pool)).await.unwrap();
            let insert = "INSERT INTO users (id, email) VALUES (1, 'ann@example.com'), (2, 'bob@example.com')";
            db.run(insert, sqlx::query(insert).execute(&pool)).await.unwrap();
            let select = "SELECT id, email FROM users WHERE id > ?";
            let rows: Vec<(i64, String)> = db.run(select, sqlx::query_as(select).bind(0).fetch_all(&pool)).await.unwrap();
            let dup = db.run(insert, sqlx::query(insert).execute(&pool)).await.unwrap_err();
            (rows.len(), dup)
        }.instrument(tracing::info_span!("repository", store = label)));
        assert_eq!(rows, 2);
        assert!(dup.to_string().contains("UNIQUE"), "{dup}");

        let s = w.scrape();
        let base = [("db_system_name", "sqlite"), ("db_namespace", label)];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut l = base.to_vec();
            l.extend_from_slice(extra);
            l
        };
        assert_eq!(
            s.value(
                "db_client_operation_duration_seconds_count",
                &with(&[
                    ("db_operation_name", "SELECT"),
                    ("db_collection_name", "users")
                ])
            ),
            Some(1.0)
        );
        assert_eq!(
            s.value(
                "db_client_response_returned_rows_sum",
                &with(&[("db_query_summary", "SELECT users")])
            ),
            Some(2.0)
        );
        let failed_labels = with(&[("error_type", "database")]);
        let failed: Vec<_> = s
            .find("db_client_operation_duration_seconds_count", &failed_labels)
            .collect();
        assert_eq!(failed.len(), 1);
        assert!(!failed[0].labels["db_response_status_code"].is_empty());
        assert_eq!(
            s.value(
                "db_client_connection_max",
                &[("db_client_connection_pool_name", label)]
            ),
            Some(1.0)
        );
        assert!(s
            .value(
                "db_client_connection_count",
                &[
                    ("db_client_connection_pool_name", label),
                    ("db_client_connection_state", "idle")
                ]
            )
            .is_some());
    }

    w.receiver
        .wait_for("the failed inserts and their callers", |r| {
            let spans = r.spans();
            spans.iter().filter(|(_, s)| s.name == "repository").count() == 2
                && spans
                    .iter()
                    .filter(|(_, s)| {
                        s.name == "INSERT users" && attr(&s.attributes, "error.type").is_some()
                    })
                    .count()
                    == 2
        });
    let spans = w.receiver.spans();
    for (_, insert) in spans.iter().filter(|(_, s)| s.name == "INSERT users") {
        assert_eq!(insert.kind, 3, "SPAN_KIND_CLIENT");
        let text = attr(&insert.attributes, "db.query.text").unwrap();
        assert_eq!(text, "INSERT INTO users (id, email) VALUES (?, ?), (?, ?)");
        assert_eq!(
            attr(&insert.attributes, "db.operation.name").as_deref(),
            Some("INSERT")
        );
        assert_eq!(
            attr(&insert.attributes, "db.collection.name").as_deref(),
            Some("users")
        );
        let parent = spans
            .iter()
            .find(|(_, s)| s.span_id == insert.parent_span_id)
            .map(|(_, s)| s.name.clone());
        assert_eq!(parent.as_deref(), Some("repository"));
    }
    let failed = spans
        .iter()
        .find(|(_, s)| s.name == "INSERT users" && attr(&s.attributes, "error.type").is_some())
        .map(|(_, s)| s.clone())
        .unwrap();
    assert_eq!(
        attr(&failed.attributes, "error.type").as_deref(),
        Some("database")
    );
    assert!(attr(&failed.attributes, "db.response.status_code").is_some());
    assert_eq!(failed.status.as_ref().map(|s| s.code), Some(2));
    let select = spans
        .iter()
        .find(|(_, s)| s.name == "SELECT users")
        .map(|(_, s)| s.clone())
        .unwrap();
    assert_eq!(
        attr(&select.attributes, "db.response.returned_rows").as_deref(),
        Some("2")
    );
    // No literal reached the collector.
    for (_, s) in &spans {
        for kv in &s.attributes {
            assert!(
                !format!("{:?}", kv.value).contains("example.com"),
                "{} leaked a literal",
                s.name
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The database quotes the offending value in its message; the message is recorded
/// sanitized (kind and code beside it), raw only when the `Db` opts in.
#[test]
fn database_error_messages_lose_their_literals() {
    let w = world();
    let statements = [
        "CREATE TABLE accounts (email TEXT)",
        "CREATE TRIGGER reject BEFORE INSERT ON accounts BEGIN \
         SELECT RAISE(ABORT, 'invalid input for email: \"alice@example.com\" (card 4111111111111111)'); END",
    ];
    let insert = "INSERT INTO accounts (email) VALUES (?)";
    let sanitized = Db::new("sqlite").with_namespace("messages");
    let raw = Db::new("sqlite")
        .with_namespace("raw-messages")
        .with_raw_error_messages();
    w.runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        for sql in statements {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        for db in [&sanitized, &raw] {
            let err = db
                .run(insert, sqlx::query(insert).bind("x").execute(&pool))
                .await
                .unwrap_err();
            assert!(err.to_string().contains("alice@example.com"), "{err}");
        }
    });
    let failures = |r: &support::Receiver| {
        r.logs()
            .into_iter()
            .filter(|(_, l)| format!("{:?}", l.body).contains("database operation failed"))
            .filter_map(|(_, l)| attr(&l.attributes, "error").map(|e| (e, l)))
            .filter(|(e, _)| e.contains("invalid input for email"))
            .collect::<Vec<_>>()
    };
    w.receiver
        .wait_for("both failure records", |r| failures(r).len() == 2);
    let records = failures(&w.receiver);
    let mut messages: Vec<&str> = records.iter().map(|(e, _)| e.as_str()).collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "error returned from database: (code: 1811) invalid input for email: \"alice@example.com\" (card 4111111111111111)",
            "error returned from database: (code: ?) invalid input for email: ? (card ?)",
        ]
    );
    for (_, record) in &records {
        assert_eq!(
            attr(&record.attributes, "error.type").as_deref(),
            Some("database")
        );
        assert!(attr(&record.attributes, "db.response.status_code").is_some());
    }
    // The sanitized failure's span event carries the same sanitized text.
    let (_, sanitized_record) = records.iter().find(|(e, _)| e.contains('?')).unwrap();
    w.receiver.wait_for("the failed insert's span", |r| {
        r.spans()
            .iter()
            .any(|(_, s)| s.span_id == sanitized_record.span_id)
    });
    let spans = w.receiver.spans();
    let (_, span) = spans
        .iter()
        .find(|(_, s)| s.span_id == sanitized_record.span_id)
        .unwrap();
    let shown = format!("{:?}", span.events);
    assert!(
        shown.contains("invalid input for email: ? (card ?)"),
        "{shown}"
    );
    assert!(!shown.contains("alice@example.com"), "{shown}");
}

#[test]
fn slow_operations_warn_inside_their_span() {
    let w = world();
    let db = Db::new("sqlite").with_namespace("slow");
    w.runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let sql = "SELECT 'slow-secret' AS v";
        // The operation as the guard sees it: a query behind a 150 ms wait (threshold 100 ms).
        let op = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            sqlx::query(sql).fetch_all(&pool).await
        };
        db.run(sql, op).await.unwrap();
    });
    // This test's own warning: other tests in this binary write theirs too.
    let mine = |l: &opentelemetry_proto::tonic::logs::v1::LogRecord| {
        format!("{:?}", l.body).contains("slow database operation")
            && attr(&l.attributes, "statement").as_deref() == Some("SELECT ? AS v")
    };
    w.receiver.wait_for("the slow-query warning", |r| {
        r.logs().iter().any(|(_, l)| mine(l))
    });
    let logs = w.receiver.logs();
    let (_, warn) = logs.iter().find(|(_, l)| mine(l)).unwrap();
    assert_eq!(warn.severity_text, "WARN");
    assert_eq!(
        attr(&warn.attributes, "statement").as_deref(),
        Some("SELECT ? AS v")
    );
    assert!(
        attr(&warn.attributes, "duration_ms")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 150
    );
    w.receiver.wait_for("the slow span", |r| {
        r.spans().iter().any(|(_, s)| s.span_id == warn.span_id)
    });
    let spans = w.receiver.spans();
    let (_, span) = spans
        .iter()
        .find(|(_, s)| s.span_id == warn.span_id)
        .unwrap();
    assert_eq!(span.name, "SELECT");
    assert_eq!(hex(&span.trace_id), hex(&warn.trace_id));
}

#[test]
fn redis_as_a_cache_counts_hits_and_misses() {
    use redis::AsyncCommands;
    let w = world();
    let server = RedisServer::start(0);
    let cache = ferrotel::cache::Cache::new("users");
    let (first, second) = w.runtime.block_on(async {
        let client = redis::Client::open(server.url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let first: Option<String> = cache.get(conn.get("user:1")).await.unwrap();
        let set = cache.start("set");
        let _: () = conn.set("user:1", "ann").await.unwrap();
        set.finish();
        let second: Option<String> = cache.get(conn.get("user:1")).await.unwrap();
        (first, second)
    });
    assert_eq!((first, second.as_deref()), (None, Some("ann")));
    drop(server);
    let failed = w.runtime.block_on(async {
        let client = redis::Client::open("redis://127.0.0.1:1").unwrap();
        cache
            .get(async {
                client
                    .get_multiplexed_async_connection()
                    .await?
                    .get::<_, Option<String>>("user:1")
                    .await
            })
            .await
    });
    assert!(failed.is_err());

    let s = w.scrape();
    let users = [("cache_name", "users")];
    let with = |k: &'static str, v: &'static str| [users[0], (k, v)];
    assert_eq!(
        s.value("cache_requests_total", &with("cache_result", "hit")),
        Some(1.0)
    );
    assert_eq!(
        s.value("cache_requests_total", &with("cache_result", "miss")),
        Some(1.0)
    );
    assert_eq!(
        s.value(
            "cache_operation_duration_seconds_count",
            &with("cache_operation", "set")
        ),
        Some(1.0)
    );
    assert_eq!(
        s.value(
            "cache_operation_duration_seconds_count",
            &[users[0], ("cache_operation", "get")]
        ),
        Some(3.0)
    );
    assert_eq!(
        s.value(
            "cache_operation_duration_seconds_count",
            &with("error_type", "connection_refused")
        ),
        Some(1.0)
    );
}

#[test]
fn queue_depth_wait_and_outcomes() {
    let w = world();
    let queue = ferrotel::queue::Queue::new("emails");
    let tickets: Vec<_> = (0..3).map(|_| queue.enqueued()).collect();
    let depth = |s: &ferrotel::testing::Scrape| s.value("queue_depth", &[("queue_name", "emails")]);
    assert_eq!(depth(&w.scrape()), Some(3.0));
    let mut tickets = tickets.into_iter();
    let a = tickets.next().unwrap().dequeued();
    let b = tickets.next().unwrap().dequeued();
    assert_eq!(depth(&w.scrape()), Some(1.0));
    a.finish();
    b.fail(&std::io::Error::other("smtp refused"));
    drop(tickets); // the last one is abandoned
    let s = w.scrape();
    assert_eq!(depth(&s), Some(0.0));
    let q = ("queue_name", "emails");
    assert_eq!(
        s.value("queue_wait_duration_seconds_count", &[q]),
        Some(2.0)
    );
    assert_eq!(
        s.value("queue_process_duration_seconds_count", &[q]),
        Some(2.0)
    );
    let processed: Vec<_> = s
        .find("queue_processed_total", &[q])
        .map(|x| (x.labels.get("error_type").cloned(), x.value))
        .collect();
    assert!(processed.contains(&(None, 1.0)), "{processed:?}");
    assert!(
        processed.contains(&(Some("other".into()), 1.0)),
        "{processed:?}"
    );
    assert!(
        processed.contains(&(Some("cancelled".into()), 1.0)),
        "{processed:?}"
    );
}

#[test]
fn errors_are_counted_and_attached_to_the_span() {
    use ferrotel::app_errors::{Category, ErrorCounter};
    let w = world();
    {
        let span = tracing::info_span!("charge");
        let _e = span.enter();
        let err = std::io::Error::new(std::io::ErrorKind::TimedOut, "payment provider timed out");
        ErrorCounter::new().record(Category::ExternalService, "billing", &err);
    }
    let s = w.scrape();
    assert_eq!(
        s.value(
            "app_errors_total",
            &[
                ("error_category", "external_service"),
                ("app_component", "billing"),
                ("error_type", "timed_out")
            ]
        ),
        Some(1.0)
    );
    w.receiver.wait_for("the charge span", |r| {
        r.spans().iter().any(|(_, s)| s.name == "charge")
    });
    let spans = w.receiver.spans();
    let (_, span) = spans.iter().find(|(_, s)| s.name == "charge").unwrap();
    let event = span
        .events
        .iter()
        .find(|e| e.name == "exception")
        .expect("an exception event");
    assert_eq!(
        attr(&event.attributes, "exception.message").as_deref(),
        Some("payment provider timed out")
    );
    assert_eq!(
        attr(&event.attributes, "error.category").as_deref(),
        Some("external_service")
    );
    assert_eq!(span.status.as_ref().map(|s| s.code), Some(2));
}

#[test]
fn db_cache_example_with_and_without_redis() {
    use support::{Example, Receiver};
    let redis = RedisServer::start(0);
    let rx = Receiver::start();
    let dir = std::env::temp_dir().join(format!("ferrotel-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = dir.join("example.db").display().to_string();
    let endpoint = rx.endpoint("grpc");
    let url = redis.url();
    let out = Example::start(
        "db_cache",
        &[
            ("REDIS_URL", url.as_str()),
            ("DB_CACHE_SQLITE", sqlite.as_str()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ],
    )
    .wait_success();
    assert!(
        out.iter().any(|l| l.contains("caching in Redis")),
        "{out:#?}"
    );
    assert!(out
        .iter()
        .any(|l| l.contains("duplicate insert failed as expected")));
    assert!(out.iter().any(|l| l.contains("done, telemetry flushed")));
    // Everything was flushed before exit.
    let spans = rx.spans();
    let failed = spans
        .iter()
        .find(|(_, s)| s.name == "INSERT users" && attr(&s.attributes, "error.type").is_some());
    assert!(failed.is_some(), "the failing insert's span arrived");
    assert!(spans.iter().any(|(_, s)| s.name == "SELECT users"));
    assert!(rx
        .logs()
        .iter()
        .any(|(_, l)| format!("{:?}", l.body).contains("slow database operation")));
    let metrics = rx.metrics();
    assert!(
        metrics.iter().any(|(_, m)| m.name == "cache.requests"),
        "cache metrics exported"
    );

    let out = Example::start(
        "db_cache",
        &[
            ("REDIS_URL", "redis://127.0.0.1:1"),
            ("DB_CACHE_SQLITE", sqlite.as_str()),
        ],
    )
    .wait_success();
    assert!(
        out.iter()
            .any(|l| l.contains("running with the cache disabled")),
        "{out:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// What a query through `db::Pool` must leave behind, whichever the database: its span
/// with the sanitized text and rows, its failure's kind and code, no literal anywhere.
fn check_pool_spans(namespace: &str, select_text: &str) {
    let w = world();
    w.receiver.wait_for("the pool's spans", |r| {
        let spans = r.spans();
        let mine = |name: &str| {
            spans.iter().any(|(_, s)| {
                s.name == name && attr(&s.attributes, "db.namespace").as_deref() == Some(namespace)
            })
        };
        // ... and the caller's span, which ends after them (maybe in a later batch).
        let parent_there = spans.iter().any(|(_, s)| {
            s.name == "SELECT pets"
                && attr(&s.attributes, "db.namespace").as_deref() == Some(namespace)
                && spans.iter().any(|(_, p)| p.span_id == s.parent_span_id)
        });
        mine("SELECT pets") && mine("INSERT pets") && parent_there
    });
    let spans: Vec<_> = w
        .receiver
        .spans()
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| attr(&s.attributes, "db.namespace").as_deref() == Some(namespace))
        .collect();
    let select = spans
        .iter()
        .find(|s| {
            s.name == "SELECT pets"
                && attr(&s.attributes, "db.query.text").as_deref() == Some(select_text)
        })
        .unwrap_or_else(|| panic!("{namespace}: no span for {select_text}: {spans:?}"));
    assert_eq!(
        attr(&select.attributes, "db.response.returned_rows").as_deref(),
        Some("2")
    );
    let parent = w
        .receiver
        .spans()
        .into_iter()
        .find(|(_, s)| s.span_id == select.parent_span_id)
        .map(|(_, s)| s.name);
    assert_eq!(
        parent.as_deref(),
        Some("pet repository"),
        "the caller's span is the parent"
    );
    let failed = spans
        .iter()
        .find(|s| s.name == "INSERT pets" && attr(&s.attributes, "error.type").is_some())
        .expect("the failed insert");
    assert_eq!(
        attr(&failed.attributes, "error.type").as_deref(),
        Some("database")
    );
    assert!(attr(&failed.attributes, "db.response.status_code").is_some());
    let cancelled = spans
        .iter()
        .filter(|s| attr(&s.attributes, "error.type").as_deref() == Some("cancelled"))
        .count();
    assert_eq!(cancelled, 1, "the stream dropped early is cancelled");
    for s in &spans {
        for kv in &s.attributes {
            assert!(
                !format!("{:?}", kv.value).contains("rex"),
                "{} leaked a literal",
                s.name
            );
        }
    }
    let scrape = w.scrape();
    let selects = scrape.value(
        "db_client_operation_duration_seconds_count",
        &[
            ("db_namespace", namespace),
            ("db_query_summary", "SELECT pets"),
        ],
    );
    assert_eq!(
        selects,
        Some(3.0),
        "fetch_all, fetch_one and the dropped stream"
    );
    assert_eq!(
        scrape.value(
            "db_client_response_returned_rows_sum",
            &[
                ("db_namespace", namespace),
                ("db_query_summary", "SELECT pets")
            ],
        ),
        Some(3.0),
        "2 from fetch_all, 1 from fetch_one; the cancelled stream records no rows"
    );
}

/// `db::Pool`: the SQL is written once, in the query; the slow-query warning carries it
/// sanitized.
#[test]
fn an_instrumented_sqlite_pool_measures_every_query() {
    use futures_util::StreamExt;
    let w = world();
    let namespace = "pool-sqlite";
    w.runtime.block_on(
        async {
            let sqlite = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect("sqlite::memory:")
                .await
                .unwrap();
            let pool = ferrotel::db::Pool::new(sqlite, Db::new("sqlite").with_namespace(namespace));
            sqlx::query("CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("INSERT INTO pets (id, name) VALUES (1, 'rex'), (2, 'tom')")
                .execute(&pool)
                .await
                .unwrap();
            let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM pets WHERE id > ?")
                .bind(0)
                .fetch_all(&pool)
                .await
                .unwrap();
            assert_eq!(rows.len(), 2);
            let (id,): (i64,) = sqlx::query_as("SELECT id FROM pets WHERE name = 'rex'")
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(id, 1);
            let dup = sqlx::query("INSERT INTO pets (id, name) VALUES (1, 'rex')")
                .execute(&pool)
                .await
                .unwrap_err();
            assert!(dup.to_string().contains("UNIQUE"), "{dup}");
            let mut stream = sqlx::query("SELECT id FROM pets ORDER BY id").fetch(&pool);
            assert!(stream.next().await.is_some());
            drop(stream);
            // Every query over a zero threshold is slow: the warning names it sanitized.
            let slow = ferrotel::db::Pool::new(
                pool.inner().clone(),
                Db::new("sqlite")
                    .with_namespace("pool-slow")
                    .with_slow_query_threshold(Duration::ZERO),
            );
            sqlx::query("SELECT name FROM pets WHERE name = 'rex'")
                .fetch_all(&slow)
                .await
                .unwrap();
        }
        .instrument(tracing::info_span!("pet repository")),
    );
    check_pool_spans(namespace, "SELECT id, name FROM pets WHERE id > ?");
    w.receiver.wait_for("the slow-query warning", |r| {
        r.logs().iter().any(|(_, l)| {
            format!("{:?}", l.body).contains("slow database operation")
                && attr(&l.attributes, "statement").as_deref()
                    == Some("SELECT name FROM pets WHERE name = ?")
        })
    });
}

/// The same against a real PostgreSQL server (Debian's package, started here).
#[test]
fn an_instrumented_postgres_pool_measures_every_query() {
    use futures_util::StreamExt;
    let w = world();
    let server = support::PostgresServer::start("pool");
    let namespace = "pool-postgres";
    w.runtime.block_on(
        async {
            let pg = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect(&server.url())
                .await
                .unwrap();
            let pool = ferrotel::db::Pool::new(
                pg,
                Db::new("postgresql")
                    .with_namespace(namespace)
                    .with_server_address("127.0.0.1"),
            );
            sqlx::query("CREATE TABLE pets (id BIGINT PRIMARY KEY, name TEXT NOT NULL, tags JSONB)")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("INSERT INTO pets (id, name, tags) VALUES (1, 'rex', '{\"a\": 1}'), (2, 'tom', NULL)")
                .execute(&pool)
                .await
                .unwrap();
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, name FROM pets WHERE id > $1 AND tags #>> '{a}' IS DISTINCT FROM 'x'")
                    .bind(0_i64)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            assert_eq!(rows.len(), 2);
            let (id,): (i64,) = sqlx::query_as("SELECT id FROM pets WHERE name = 'rex'")
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(id, 1);
            let dup = sqlx::query("INSERT INTO pets (id, name) VALUES (1, 'rex')")
                .execute(&pool)
                .await
                .unwrap_err();
            assert!(dup.to_string().contains("duplicate key"), "{dup}");
            let mut stream = sqlx::query("SELECT id FROM pets ORDER BY id").fetch(&pool);
            assert!(stream.next().await.is_some());
            drop(stream);
            pool.inner().close().await;
        }
        .instrument(tracing::info_span!("pet repository")),
    );
    // PostgreSQL's `#>>` is an operator, not a comment: the text and summary keep the table.
    check_pool_spans(
        namespace,
        "SELECT id, name FROM pets WHERE id > $1 AND tags #>> ? IS DISTINCT FROM ?",
    );
    let spans = w.receiver.spans();
    let failed = spans
        .iter()
        .find(|(_, s)| {
            s.name == "INSERT pets"
                && attr(&s.attributes, "db.namespace").as_deref() == Some(namespace)
                && attr(&s.attributes, "error.type").is_some()
        })
        .unwrap();
    assert_eq!(
        attr(&failed.1.attributes, "db.response.status_code").as_deref(),
        Some("23505"),
        "PostgreSQL's SQLSTATE for a unique violation"
    );
}
