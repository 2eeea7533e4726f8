//! Database telemetry: a span and `db.client.operation.duration` per operation,
//! sanitized query text, slow-query warnings, and connection-pool metrics.
//!
//! ```no_run
//! # #[cfg(feature = "sqlx")]
//! # async fn run(pool: sqlx::SqlitePool) -> Result<(), sqlx::Error> {
//! use ferrotel::db::Db;
//!
//! let db = Db::new("sqlite").with_namespace("app");
//! let sql = "SELECT id, name FROM users WHERE id = ?";
//! let users: Vec<(i64, String)> = db
//!     .run(sql, sqlx::query_as(sql).bind(7).fetch_all(&pool))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Per operation, following the database semantic conventions: a client span named by
//! `db.query.summary` (`SELECT users`) with `db.system.name`, `db.namespace`,
//! `db.operation.name`, `db.collection.name`, `db.query.summary`, `db.query.text`
//! (sanitized: every literal is `?`), `server.address`, and on failure
//! `db.response.status_code` and `error.type`; `db.client.operation.duration` and
//! `db.client.response.returned_rows`. Operations slower than the threshold (default
//! 500 ms, `FERROTEL_DB_SLOW_QUERY_MS`) log a `WARN` with the sanitized statement inside
//! the span.

mod sanitize;

pub use sanitize::{sanitize, summarize};

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry::metrics::Histogram;
use opentelemetry::KeyValue;

use crate::{catalog, names};

/// Longest `db.query.text` recorded by default, in characters.
pub const MAX_QUERY_TEXT: usize = 2048;

static SLOW_MS: AtomicU64 = AtomicU64::new(500);

/// Sets the slow-query threshold for the whole process (`init` applies the configured one).
pub(crate) fn set_slow_threshold(d: Duration) {
    SLOW_MS.store(
        d.as_millis().min(u128::from(u64::MAX)) as u64,
        Ordering::Relaxed,
    );
}

fn slow_threshold() -> Duration {
    Duration::from_millis(SLOW_MS.load(Ordering::Relaxed))
}

struct Instruments {
    duration: Histogram<f64>,
    rows: Histogram<u64>,
}

/// Created on first use from the global meter provider, then reused.
fn instruments() -> &'static Instruments {
    static I: OnceLock<Instruments> = OnceLock::new();
    I.get_or_init(|| {
        let meter = opentelemetry::global::meter("ferrotel");
        let d = &catalog::DB_CLIENT_OPERATION_DURATION;
        let r = &catalog::DB_CLIENT_RESPONSE_RETURNED_ROWS;
        Instruments {
            duration: d.f64_histogram(
                &meter,
                vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0],
            ),
            rows: r.u64_histogram(
                &meter,
                vec![
                    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0,
                    10000.0,
                ],
            ),
        }
    })
}

/// One database (system, namespace, server): cheap to clone, the source of [`Query`] guards.
///
/// ```
/// let db = ferrotel::db::Db::new("postgresql").with_namespace("orders").with_server_address("db.internal");
/// ```
#[derive(Debug, Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

#[derive(Debug)]
struct DbInner {
    system: &'static str,
    namespace: Option<String>,
    server_address: Option<String>,
    max_text: usize,
}

impl Db {
    /// A database of `db.system.name` `system` (`sqlite`, `postgresql`, `mysql`, `redis`, …).
    pub fn new(system: &'static str) -> Self {
        Db {
            inner: Arc::new(DbInner {
                system,
                namespace: None,
                server_address: None,
                max_text: MAX_QUERY_TEXT,
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut DbInner)) -> Self {
        let mut inner = DbInner {
            system: self.inner.system,
            namespace: self.inner.namespace.clone(),
            server_address: self.inner.server_address.clone(),
            max_text: self.inner.max_text,
        };
        f(&mut inner);
        Db {
            inner: Arc::new(inner),
        }
    }

    /// `db.namespace`: the database (or schema) name.
    pub fn with_namespace(self, namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        self.with(|i| i.namespace = Some(namespace))
    }

    /// `server.address`: the host the database runs on.
    pub fn with_server_address(self, host: impl Into<String>) -> Self {
        let host = host.into();
        self.with(|i| i.server_address = Some(host))
    }

    /// Cuts `db.query.text` to `chars` characters (default [`MAX_QUERY_TEXT`]); 0 records none.
    pub fn with_max_query_text(self, chars: usize) -> Self {
        self.with(|i| i.max_text = chars)
    }

    /// Starts measuring one operation running `sql`; see [`Query`].
    pub fn query(&self, sql: &str) -> Query {
        Query::start(self, sql)
    }

    /// Runs `operation` (any future giving `Result<T, E>`) as one measured operation
    /// executing `sql`. Rows returned are counted from `T`, the status code read from `E`.
    pub async fn run<T, E, F>(&self, sql: &str, operation: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        T: Rows,
        E: DbError,
    {
        let q = self.query(sql);
        let result = tracing::Instrument::instrument(operation, q.span.clone()).await;
        match &result {
            Ok(value) => q.finish(value.rows()),
            Err(e) => q.fail(e),
        }
        result
    }
}

/// How many rows an operation's result holds, for `db.client.response.returned_rows`.
pub trait Rows {
    /// Rows returned, or `None` when the result is not a row set (an `UPDATE`'s).
    fn rows(&self) -> Option<u64>;
}

impl<T> Rows for Vec<T> {
    fn rows(&self) -> Option<u64> {
        Some(self.len() as u64)
    }
}

impl<T> Rows for Option<T> {
    fn rows(&self) -> Option<u64> {
        Some(u64::from(self.is_some()))
    }
}

impl Rows for () {
    fn rows(&self) -> Option<u64> {
        None
    }
}

/// One row: scalars and tuples, as `fetch_one` returns them.
macro_rules! one_row {
    ($($t:ty),*) => {$(
        impl Rows for $t {
            fn rows(&self) -> Option<u64> {
                Some(1)
            }
        }
    )*};
}
one_row!(bool, i16, i32, i64, u32, u64, f32, f64, String);

impl<A> Rows for (A,) {
    fn rows(&self) -> Option<u64> {
        Some(1)
    }
}
impl<A, B> Rows for (A, B) {
    fn rows(&self) -> Option<u64> {
        Some(1)
    }
}
impl<A, B, C> Rows for (A, B, C) {
    fn rows(&self) -> Option<u64> {
        Some(1)
    }
}
impl<A, B, C, D> Rows for (A, B, C, D) {
    fn rows(&self) -> Option<u64> {
        Some(1)
    }
}

#[cfg(feature = "sqlx")]
impl Rows for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> Option<u64> {
        None
    }
}

#[cfg(feature = "sqlx")]
impl Rows for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> Option<u64> {
        None
    }
}

#[cfg(feature = "sqlx")]
impl Rows for sqlx::sqlite::SqliteRow {
    fn rows(&self) -> Option<u64> {
        Some(1)
    }
}

#[cfg(feature = "sqlx")]
impl Rows for sqlx::postgres::PgRow {
    fn rows(&self) -> Option<u64> {
        Some(1)
    }
}

/// What a failed operation's error says, for `db.response.status_code` and `error.type`.
pub trait DbError: std::fmt::Display {
    /// The database's own status code (SQLSTATE, SQLite result code), if any.
    fn status_code(&self) -> Option<String> {
        None
    }
    /// A low-cardinality class of the error for `error.type`.
    fn error_type(&self) -> String {
        std::any::type_name::<Self>().to_string()
    }
}

#[cfg(feature = "sqlx")]
impl DbError for sqlx::Error {
    fn status_code(&self) -> Option<String> {
        self.as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned())
    }

    fn error_type(&self) -> String {
        match self {
            sqlx::Error::Database(_) => "database",
            sqlx::Error::RowNotFound => "row_not_found",
            sqlx::Error::PoolTimedOut => "pool_timed_out",
            sqlx::Error::PoolClosed => "pool_closed",
            sqlx::Error::Io(_) => "io",
            sqlx::Error::Protocol(_) => "protocol",
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode",
            _ => "_OTHER",
        }
        .to_string()
    }
}

/// One database operation: a guard that opens the span and the timer when started
/// and records when finished, failed or dropped (a dropped, unfinished operation
/// counts as `error.type=cancelled`).
///
/// ```
/// let db = ferrotel::db::Db::new("sqlite");
/// let q = db.query("SELECT * FROM users WHERE email = 'a@b.c'");
/// assert_eq!(q.text(), "SELECT * FROM users WHERE email = ?");
/// q.finish(Some(1));
/// ```
#[derive(Debug)]
pub struct Query {
    span: tracing::Span,
    start: Instant,
    attrs: Vec<KeyValue>,
    text: String,
    done: bool,
}

impl Query {
    fn start(db: &Db, sql: &str) -> Query {
        let sanitize::Analysis {
            text,
            summary,
            operation,
            collection,
        } = sanitize::analyze(sql, db.inner.max_text);
        let name = summary
            .clone()
            .unwrap_or_else(|| db.inner.system.to_string());
        let span = tracing::info_span!(
            target: "ferrotel::db",
            "db operation",
            otel.name = %name,
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            db.system.name = db.inner.system,
            db.namespace = db.inner.namespace.as_deref(),
            db.operation.name = operation.as_deref(),
            db.collection.name = collection.as_deref(),
            db.query.summary = summary.as_deref(),
            db.query.text = (!text.is_empty()).then_some(text.as_str()),
            server.address = db.inner.server_address.as_deref(),
            db.response.returned_rows = tracing::field::Empty,
            db.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let mut attrs = Vec::with_capacity(8);
        attrs.push(KeyValue::new(names::DB_SYSTEM_NAME, db.inner.system));
        if let Some(ns) = &db.inner.namespace {
            attrs.push(KeyValue::new(names::DB_NAMESPACE, ns.clone()));
        }
        if let Some(op) = operation {
            attrs.push(KeyValue::new(names::DB_OPERATION_NAME, op));
        }
        if let Some(c) = collection {
            attrs.push(KeyValue::new(names::DB_COLLECTION_NAME, c));
        }
        if let Some(s) = summary {
            attrs.push(KeyValue::new(names::DB_QUERY_SUMMARY, s));
        }
        if let Some(a) = &db.inner.server_address {
            attrs.push(KeyValue::new(names::SERVER_ADDRESS, a.clone()));
        }
        Query {
            span,
            start: Instant::now(),
            attrs,
            text,
            done: false,
        }
    }

    /// The sanitized statement recorded as `db.query.text`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The operation's span, to enter while it runs.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Records success; `rows` is the number of rows returned, when it is a row set.
    pub fn finish(mut self, rows: Option<u64>) {
        if let Some(n) = rows {
            self.span.record("db.response.returned_rows", n);
            instruments().rows.record(n, &self.attrs);
        }
        self.record(None, None);
    }

    /// Records failure with the error's status code and type.
    pub fn fail<E: DbError + ?Sized>(mut self, error: &E) {
        let code = error.status_code();
        let kind = error.error_type();
        let _entered = self.span.enter();
        tracing::error!(target: "ferrotel::db", error = %error, "database operation failed");
        drop(_entered);
        self.record(code, Some(kind));
    }

    fn record(&mut self, code: Option<String>, error: Option<String>) {
        self.done = true;
        let took = self.start.elapsed();
        let mut attrs = std::mem::take(&mut self.attrs);
        if let Some(c) = code {
            self.span.record("db.response.status_code", c.as_str());
            attrs.push(KeyValue::new(names::DB_RESPONSE_STATUS_CODE, c));
        }
        if let Some(e) = error {
            self.span.record("error.type", e.as_str());
            self.span.record("otel.status_code", "error");
            attrs.push(KeyValue::new(names::ERROR_TYPE, e));
        }
        if took >= slow_threshold() {
            let _entered = self.span.enter();
            tracing::warn!(
                target: "ferrotel::db",
                statement = %self.text,
                duration_ms = took.as_millis() as u64,
                threshold_ms = slow_threshold().as_millis() as u64,
                "slow database operation"
            );
        }
        instruments().duration.record(took.as_secs_f64(), &attrs);
    }
}

impl Drop for Query {
    fn drop(&mut self) {
        if !self.done {
            self.record(None, Some("cancelled".into()));
        }
    }
}

/// Observes an sqlx pool's connections as `db.client.connection.count` (by
/// `db.client.connection.state`: `idle`, `used`) and `db.client.connection.max`
/// (feature `sqlx`).
///
/// ```no_run
/// # async fn run() {
/// let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
/// ferrotel::db::observe_pool("main", pool.clone());
/// # }
/// ```
#[cfg(feature = "sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx")))]
pub fn observe_pool<DB: sqlx::Database>(name: &str, pool: sqlx::Pool<DB>) {
    let meter = opentelemetry::global::meter("ferrotel");
    let count = &catalog::DB_CLIENT_CONNECTION_COUNT;
    let max = &catalog::DB_CLIENT_CONNECTION_MAX;
    let pool_name = KeyValue::new(names::DB_CLIENT_CONNECTION_POOL_NAME, name.to_string());
    let (p, n) = (pool.clone(), pool_name.clone());
    meter
        .i64_observable_up_down_counter(count.name)
        .with_unit(count.unit)
        .with_description(count.description)
        .with_callback(move |o| {
            let size = i64::from(p.size());
            let idle = p.num_idle() as i64;
            o.observe(
                idle,
                &[
                    n.clone(),
                    KeyValue::new(names::DB_CLIENT_CONNECTION_STATE, "idle"),
                ],
            );
            o.observe(
                (size - idle).max(0),
                &[
                    n.clone(),
                    KeyValue::new(names::DB_CLIENT_CONNECTION_STATE, "used"),
                ],
            );
        })
        .build();
    meter
        .i64_observable_up_down_counter(max.name)
        .with_unit(max.unit)
        .with_description(max.description)
        .with_callback(move |o| {
            o.observe(
                i64::from(pool.options().get_max_connections()),
                std::slice::from_ref(&pool_name),
            );
        })
        .build();
}
