//! Database telemetry: a span and `db.client.operation.duration` per operation,
//! sanitized query text, slow-query warnings, and connection-pool metrics.
//!
//! ```no_run
//! # #[cfg(feature = "_sqlx")]
//! # async fn run(pool: sqlx::SqlitePool) -> Result<(), sqlx::Error> {
//! use ferrotel::db::Db;
//!
//! let db = Db::new("sqlite").with_namespace("app"); // after ferrotel::init, or .with_meter(..)
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
//! 500 ms, `FERROTEL_DB_SLOW_QUERY_MS`, or [`Db::with_slow_query_threshold`]) log a `WARN` with the sanitized statement inside
//! the span.

#[cfg(feature = "_sqlx")]
mod pool;
mod rows;
mod sanitize;

#[cfg(feature = "_sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "_sqlx")))]
pub use pool::Pool;
pub use rows::Rows;

pub use sanitize::{sanitize, summarize, Dialect};

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::KeyValue;

use crate::failure::error_type;
use crate::instrument::guard::{End, Guard, Operation};
use crate::instrument::labels::{self, Admitted};
use crate::instrument::Bound;
use crate::{catalog, names};

/// Longest `db.query.text` recorded by default, in characters.
pub const MAX_QUERY_TEXT: usize = 2048;

#[derive(Debug)]
struct Instruments {
    duration: Histogram<f64>,
    rows: Histogram<u64>,
}

impl Instruments {
    fn new(meter: &Meter) -> Self {
        let d = &catalog::DB_CLIENT_OPERATION_DURATION;
        let r = &catalog::DB_CLIENT_RESPONSE_RETURNED_ROWS;
        Instruments {
            duration: d.f64_histogram(
                meter,
                vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0],
            ),
            rows: r.u64_histogram(
                meter,
                vec![
                    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0,
                    10000.0,
                ],
            ),
        }
    }
}

/// One database (system, namespace, server): cheap to clone, the source of [`Query`] guards.
///
/// Its instruments come from the meter it is built with: the global one by default (the
/// pipeline `init` installed; a `Db` built before `init` binds on first use after it), or
/// the one given to [`with_meter`](Db::with_meter).
///
/// ```
/// let db = ferrotel::db::Db::new("postgresql").with_namespace("orders").with_server_address("db.internal");
/// ```
#[derive(Debug, Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

/// Distinct `db.query.summary` and `db.collection.name` label values a [`Db`] records
/// by default before later ones share `_OTHER` ([`Db::with_label_limit`]).
pub const LABEL_LIMIT: usize = 100;

#[derive(Debug)]
struct Labels {
    summaries: Admitted,
    collections: Admitted,
}

#[derive(Debug)]
struct DbInner {
    system: &'static str,
    dialect: Dialect,
    namespace: Option<String>,
    server_address: Option<String>,
    max_text: usize,
    slow: Option<Duration>,
    raw_errors: bool,
    label_limit: usize,
    /// Summaries and collections admitted as labels, shared by clones.
    labels: Arc<Labels>,
    bound: Arc<Bound<Instruments>>,
}

impl Db {
    /// A database of `db.system.name` `system` (`sqlite`, `postgresql`, `mysql`, `redis`, …).
    #[must_use]
    pub fn new(system: &'static str) -> Self {
        Db {
            inner: Arc::new(DbInner {
                system,
                dialect: Dialect::from_system(system),
                namespace: None,
                server_address: None,
                max_text: MAX_QUERY_TEXT,
                slow: None,
                raw_errors: false,
                label_limit: LABEL_LIMIT,
                labels: Arc::new(Labels {
                    summaries: Admitted::new(labels::OTHER),
                    collections: Admitted::new(labels::OTHER),
                }),
                bound: Arc::new(Bound::new("db", None, Instruments::new)),
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut DbInner)) -> Self {
        let mut inner = DbInner {
            system: self.inner.system,
            dialect: self.inner.dialect,
            namespace: self.inner.namespace.clone(),
            server_address: self.inner.server_address.clone(),
            max_text: self.inner.max_text,
            slow: self.inner.slow,
            raw_errors: self.inner.raw_errors,
            label_limit: self.inner.label_limit,
            labels: self.inner.labels.clone(),
            bound: self.inner.bound.clone(),
        };
        f(&mut inner);
        Db {
            inner: Arc::new(inner),
        }
    }

    /// Records through `meter` instead of the global meter.
    ///
    /// ```
    /// let provider = opentelemetry_sdk::metrics::SdkMeterProvider::default();
    /// let meter = opentelemetry::metrics::MeterProvider::meter(&provider, "app");
    /// let db = ferrotel::db::Db::new("sqlite").with_meter(&meter);
    /// db.query("SELECT 1").finish(Some(1));
    /// ```
    #[must_use]
    pub fn with_meter(self, meter: &Meter) -> Self {
        let bound = Arc::new(Bound::new("db", Some(meter), Instruments::new));
        self.with(|i| i.bound = bound)
    }

    /// Reads statements as `dialect` instead of the one `db.system.name` implies
    /// ([`Dialect::from_system`]; unknown systems read as [`Dialect::Generic`]).
    ///
    /// ```
    /// use ferrotel::db::{Db, Dialect};
    /// let db = Db::new("yugabytedb").with_dialect(Dialect::Postgres);
    /// let q = db.query(r"SELECT 'C:\', secret FROM t");
    /// assert_eq!(q.text(), "SELECT ?, secret FROM t");
    /// q.finish(None);
    /// ```
    #[must_use]
    pub fn with_dialect(self, dialect: Dialect) -> Self {
        self.with(|i| i.dialect = dialect)
    }

    /// `db.namespace`: the database (or schema) name.
    #[must_use]
    pub fn with_namespace(self, namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        self.with(|i| i.namespace = Some(namespace))
    }

    /// `server.address`: the host the database runs on.
    #[must_use]
    pub fn with_server_address(self, host: impl Into<String>) -> Self {
        let host = host.into();
        self.with(|i| i.server_address = Some(host))
    }

    /// Cuts `db.query.text` to `chars` characters (default [`MAX_QUERY_TEXT`]); 0 records none.
    #[must_use]
    pub fn with_max_query_text(self, chars: usize) -> Self {
        self.with(|i| i.max_text = chars)
    }

    /// Operations slower than `threshold` log a `WARN`. Wins over the pipeline's setting
    /// (`FERROTEL_DB_SLOW_QUERY_MS`, default 500 ms).
    #[must_use]
    pub fn with_slow_query_threshold(self, threshold: Duration) -> Self {
        self.with(|i| i.slow = Some(threshold))
    }

    /// Records failures' messages as the database wrote them. By default a message
    /// passes through the sanitizer first ([`Dialect::Generic`]: quoted values and
    /// numbers become `?`), because databases quote the offending value
    /// (`invalid input syntax for type integer: "alice@example.com"`).
    ///
    /// ```
    /// let db = ferrotel::db::Db::new("postgresql").with_raw_error_messages();
    /// ```
    #[must_use]
    pub fn with_raw_error_messages(self) -> Self {
        self.with(|i| i.raw_errors = true)
    }

    /// How many distinct `db.query.summary` and `db.collection.name` values (each) get
    /// their own metric label; later ones are recorded as `_OTHER`, so statements built
    /// from data (generated table names) cannot grow the series. Spans always carry the
    /// real values. Default [`LABEL_LIMIT`].
    ///
    /// ```
    /// let db = ferrotel::db::Db::new("postgresql").with_label_limit(500);
    /// ```
    #[must_use]
    pub fn with_label_limit(self, distinct: usize) -> Self {
        self.with(|i| i.label_limit = distinct)
    }

    /// Starts measuring one operation running `sql`; see [`Query`].
    pub fn query(&self, sql: &str) -> Query {
        Query::start(self, sql)
    }

    /// Runs `operation` (any future giving `Result<T, E>`) as one measured operation
    /// executing `sql`. Rows returned are counted from `T`; `error.type` and
    /// `db.response.status_code` are read from `E`.
    pub async fn run<T, E, F>(&self, sql: &str, operation: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        T: Rows,
        E: std::error::Error + 'static,
    {
        let q = self.query(sql);
        let result = tracing::Instrument::instrument(operation, q.span().clone()).await;
        match &result {
            Ok(value) => q.finish(value.rows()),
            Err(e) => q.fail(e),
        }
        result
    }
}

/// The database's own status code (SQLSTATE, SQLite result code), when the error is one
/// sqlx reports.
#[allow(unused_variables)]
fn status_code<E: std::error::Error + 'static>(error: &E) -> Option<String> {
    #[cfg(feature = "_sqlx")]
    if let Some(e) = (error as &dyn std::any::Any).downcast_ref::<sqlx::Error>() {
        return e
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
    }
    None
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
#[must_use = "an operation records when finished or failed; dropped, it counts as cancelled"]
pub struct Query(Guard<QueryOp>);

#[derive(Debug)]
struct QueryOp {
    db: Arc<DbInner>,
    span: tracing::Span,
    start: Instant,
    attrs: Vec<KeyValue>,
    text: String,
    rows: Option<u64>,
    status_code: Option<String>,
}

impl Query {
    fn start(db: &Db, sql: &str) -> Query {
        let db = &db.inner;
        let sanitize::Analysis {
            text,
            summary,
            operation,
            collection,
        } = sanitize::analyze(sql, db.dialect, db.max_text);
        let name = summary.clone().unwrap_or_else(|| db.system.to_string());
        let span = tracing::info_span!(
            target: "ferrotel::db",
            "db operation",
            otel.name = %name,
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            db.system.name = db.system,
            db.namespace = db.namespace.as_deref(),
            db.operation.name = operation.as_deref(),
            db.collection.name = collection.as_deref(),
            db.query.summary = summary.as_deref(),
            db.query.text = (!text.is_empty()).then_some(text.as_str()),
            server.address = db.server_address.as_deref(),
            db.response.returned_rows = tracing::field::Empty,
            db.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let mut attrs = Vec::with_capacity(8);
        attrs.push(KeyValue::new(names::DB_SYSTEM_NAME, db.system));
        if let Some(ns) = &db.namespace {
            attrs.push(KeyValue::new(names::DB_NAMESPACE, ns.clone()));
        }
        if let Some(op) = operation {
            attrs.push(KeyValue::new(names::DB_OPERATION_NAME, op));
        }
        if let Some(c) = collection {
            let label = db.labels.collections.label(&c, db.label_limit);
            attrs.push(KeyValue::new(names::DB_COLLECTION_NAME, label));
        }
        if let Some(s) = summary {
            let label = db.labels.summaries.label(&s, db.label_limit);
            attrs.push(KeyValue::new(names::DB_QUERY_SUMMARY, label));
        }
        if let Some(a) = &db.server_address {
            attrs.push(KeyValue::new(names::SERVER_ADDRESS, a.clone()));
        }
        Query(Guard::new(QueryOp {
            db: db.clone(),
            span,
            start: Instant::now(),
            attrs,
            text,
            rows: None,
            status_code: None,
        }))
    }

    /// The sanitized statement recorded as `db.query.text`.
    pub fn text(&self) -> &str {
        &self.0.op().text
    }

    /// The operation's span, to enter while it runs.
    pub fn span(&self) -> &tracing::Span {
        &self.0.op().span
    }

    /// Records success; `rows` is the number of rows returned, when it is a row set.
    pub fn finish(mut self, rows: Option<u64>) {
        self.0.op_mut().rows = rows;
        self.0.end(End::Finished);
    }

    /// Records failure: `error.type` from the error's kind (an sqlx error's class),
    /// `db.response.status_code` from the database's code, and a `WARN` event in the
    /// span with the error's message, sanitized unless
    /// [`with_raw_error_messages`](Db::with_raw_error_messages).
    pub fn fail<E: std::error::Error + 'static>(mut self, error: &E) {
        let kind = error_type(error);
        let op = self.0.op_mut();
        op.status_code = status_code(error);
        let message = if op.db.raw_errors {
            error.to_string()
        } else {
            sanitize(&error.to_string(), MAX_QUERY_TEXT)
        };
        op.span.in_scope(|| {
            tracing::event!(
                target: "ferrotel::db",
                tracing::Level::WARN,
                error.type = kind.as_ref(),
                db.response.status_code = op.status_code.as_deref(),
                error = message.as_str(),
                "database operation failed"
            );
        });
        self.0.end(End::Failed(kind));
    }
}

impl Operation for QueryOp {
    fn end(&mut self, end: End) {
        let took = self.start.elapsed();
        let mut attrs = std::mem::take(&mut self.attrs);
        if let Some(c) = self.status_code.take() {
            self.span.record("db.response.status_code", c.as_str());
            attrs.push(KeyValue::new(names::DB_RESPONSE_STATUS_CODE, c));
        }
        end.mark(&self.span, &mut attrs);
        let Some(bound) = self.db.bound.get() else {
            return;
        };
        let slow = self.db.slow.unwrap_or(bound.settings.slow_query);
        if took >= slow {
            self.span.in_scope(|| {
                tracing::warn!(
                    target: "ferrotel::db",
                    statement = %self.text,
                    duration_ms = took.as_millis() as u64,
                    threshold_ms = slow.as_millis() as u64,
                    "slow database operation"
                );
            });
        }
        if let Some(n) = self.rows {
            self.span.record("db.response.returned_rows", n);
            bound.instruments.rows.record(n, &attrs);
        }
        bound
            .instruments
            .duration
            .record(took.as_secs_f64(), &attrs);
    }
}

/// Observes an sqlx pool's connections as `db.client.connection.count` (by
/// `db.client.connection.state`: `idle`, `used`) and `db.client.connection.max`
/// (feature `sqlx`).
///
/// `meter` is the one the pool's gauges are registered on: `telemetry.meter("ferrotel")`,
/// or the global meter after `init`.
///
/// ```no_run
/// # async fn run(telemetry: &ferrotel::Telemetry) {
/// let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
/// ferrotel::db::observe_pool(&telemetry.meter("ferrotel"), "main", pool.clone());
/// # }
/// ```
#[cfg(feature = "_sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "_sqlx")))]
pub fn observe_pool<DB: sqlx::Database>(meter: &Meter, name: &str, pool: sqlx::Pool<DB>) {
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
