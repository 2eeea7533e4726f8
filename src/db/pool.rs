//! [`Pool`]: an sqlx pool whose every query is measured, the SQL written once.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, Stream};
use sqlx::error::BoxDynError;
use sqlx::{Database, Describe, Either, Error, Execute, Executor, SqlStr, Statement};

use super::{Db, Query};

/// An sqlx pool that measures every query run through it, as [`Db::run`] does, with the
/// SQL read from the query itself: pass `&pool` wherever sqlx takes an executor.
///
/// ```no_run
/// # async fn run() -> Result<(), sqlx::Error> {
/// use ferrotel::db::{Db, Pool};
///
/// let pool = Pool::new(sqlx::SqlitePool::connect("sqlite::memory:").await?, Db::new("sqlite"));
/// let users: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM users WHERE id > ?")
///     .bind(7)
///     .fetch_all(&pool)
///     .await?;
/// # Ok(()) }
/// ```
///
/// Each query gets the client span, the sanitized `db.query.text`, the
/// `db.client.operation.duration` and returned-rows metrics, the slow-query `WARN` and,
/// on failure, `error.type` and `db.response.status_code`. A stream dropped before its
/// end counts as `cancelled`. Statements run inside a transaction (`&mut *tx`) do not
/// pass through the pool: measure those with [`Db::run`].
#[derive(Debug)]
pub struct Pool<DB: Database> {
    pool: sqlx::Pool<DB>,
    db: Db,
}

/// Another handle on the same pool and [`Db`].
impl<DB: Database> Clone for Pool<DB> {
    fn clone(&self) -> Self {
        Pool {
            pool: self.pool.clone(),
            db: self.db.clone(),
        }
    }
}

impl<DB: Database> Pool<DB> {
    /// Measures the queries run through `pool` as operations of `db`.
    pub fn new(pool: sqlx::Pool<DB>, db: Db) -> Self {
        Pool { pool, db }
    }

    /// The sqlx pool, for what is not a query (`begin`, `acquire`, `close`).
    pub fn inner(&self) -> &sqlx::Pool<DB> {
        &self.pool
    }

    /// The [`Db`] queries are recorded as.
    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// A query whose SQL text was read before it ran: reading it takes the query, so its
/// arguments and flags are taken first and handed on from here.
enum Measured<E, DB: Database> {
    /// A prepared statement's query: its text is read from the statement, the query
    /// passes on untouched.
    Original(E),
    Taken {
        sql: SqlStr,
        arguments: Option<Result<Option<DB::Arguments>, BoxDynError>>,
        persistent: bool,
    },
}

/// The text to record, and the query to run.
fn measured<'q, DB: Database, E: Execute<'q, DB>>(mut query: E) -> (String, Measured<E, DB>) {
    if let Some(statement) = query.statement() {
        let text = statement.sql().as_str().to_owned();
        return (text, Measured::Original(query));
    }
    let arguments = Some(query.take_arguments());
    let persistent = query.persistent();
    let sql = query.sql();
    (
        sql.as_str().to_owned(),
        Measured::Taken {
            sql,
            arguments,
            persistent,
        },
    )
}

impl<'q, DB: Database, E: Execute<'q, DB>> Execute<'q, DB> for Measured<E, DB> {
    fn sql(self) -> SqlStr {
        match self {
            Measured::Original(e) => e.sql(),
            Measured::Taken { sql, .. } => sql,
        }
    }

    fn statement(&self) -> Option<&DB::Statement> {
        match self {
            Measured::Original(e) => e.statement(),
            Measured::Taken { .. } => None,
        }
    }

    fn take_arguments(&mut self) -> Result<Option<DB::Arguments>, BoxDynError> {
        match self {
            Measured::Original(e) => e.take_arguments(),
            Measured::Taken { arguments, .. } => arguments.take().unwrap_or(Ok(None)),
        }
    }

    fn persistent(&self) -> bool {
        match self {
            Measured::Original(e) => e.persistent(),
            Measured::Taken { persistent, .. } => *persistent,
        }
    }
}

/// What `fetch_many` yields: statement results and rows.
type Steps<'e, DB> =
    BoxStream<'e, Result<Either<<DB as Database>::QueryResult, <DB as Database>::Row>, Error>>;

/// A result stream that records its query when it ends, fails, or is dropped.
struct Counted<'e, T> {
    inner: BoxStream<'e, Result<T, Error>>,
    query: Option<Query>,
    rows: u64,
    /// Whether the items are a row set (a `SELECT`'s) or only results (`execute`).
    row_set: bool,
    is_row: fn(&T) -> bool,
}

impl<T> Stream for Counted<'_, T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let _in_span = this.query.as_ref().map(|q| q.span().clone().entered());
        let next = this.inner.as_mut().poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(item))) => {
                if (this.is_row)(item) {
                    this.rows += 1;
                }
            }
            Poll::Ready(Some(Err(e))) => {
                if let Some(q) = this.query.take() {
                    q.fail(e);
                }
            }
            Poll::Ready(None) => {
                if let Some(q) = this.query.take() {
                    q.finish(this.row_set.then_some(this.rows));
                }
            }
            Poll::Pending => {}
        }
        next
    }
}

fn is_row<R, Q>(item: &Either<Q, R>) -> bool {
    item.is_right()
}

impl<'p, DB: Database> Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    fn stream<'e, 'q: 'e, E>(&'p self, query: E, row_set: bool) -> Steps<'e, DB>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (text, query) = measured(query);
        let q = self.db.query(&text);
        let inner = (&self.pool).fetch_many(query);
        Box::pin(Counted {
            inner,
            query: Some(q),
            rows: 0,
            row_set,
            is_row,
        })
    }
}

impl<'p, DB: Database> Executor<'p> for &'p Pool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> Steps<'e, DB>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        self.stream(query, true)
    }

    fn execute_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<DB::QueryResult, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        use futures_util::TryStreamExt;
        Box::pin(self.stream(query, false).try_filter_map(|step| async move {
            Ok(match step {
                Either::Left(result) => Some(result),
                Either::Right(_) => None,
            })
        }))
    }

    fn execute<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<DB::QueryResult, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        use futures_util::TryStreamExt;
        Box::pin(self.execute_many(query).try_collect())
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (text, query) = measured(query);
        let q = self.db.query(&text);
        let span = q.span().clone();
        let fut = (&self.pool).fetch_optional(query);
        Box::pin(async move {
            let result = tracing::Instrument::instrument(fut, span).await;
            match &result {
                Ok(row) => q.finish(Some(u64::from(row.is_some()))),
                Err(e) => q.fail(e),
            }
            result
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement, Error>>
    where
        'p: 'e,
    {
        (&self.pool).prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<DB>, Error>>
    where
        'p: 'e,
    {
        (&self.pool).describe(sql)
    }
}
