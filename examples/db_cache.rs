//! A repository layer over SQLite with a Redis cache in front, instrumented: a span
//! and `db.client.operation.duration` per query (sanitized text, no literals), cache
//! hits and misses, a failing query and a slow one. Runs to completion and exits 0.
//!
//! ```text
//! cargo run --example db_cache
//! REDIS_URL=redis://127.0.0.1:6380 cargo run --example db_cache
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 cargo run --example db_cache
//! ```
//!
//! Redis comes from `REDIS_URL` (default `redis://127.0.0.1:6379`); without a reachable
//! Redis the example says so and runs with the cache disabled. The SQLite file is
//! `DB_CACHE_SQLITE` (default: a file in the system's temporary folder).

use std::time::Duration;

use ferrotel::app_errors::{Category, ErrorCounter};
use ferrotel::cache::Cache;
use ferrotel::db::{Db, Pool};
use redis::AsyncCommands;
use tracing::{info, instrument, warn};

struct Repo {
    pool: Pool<sqlx::Sqlite>,
    redis: Option<redis::aio::MultiplexedConnection>,
    cache: Cache,
}

impl Repo {
    #[instrument(skip(self))]
    async fn user_email(&mut self, id: i64) -> Result<Option<String>, sqlx::Error> {
        let key = format!("user:{id}:email");
        if let Some(conn) = self.redis.as_mut() {
            match self.cache.get(conn.get::<_, Option<String>>(&key)).await {
                Ok(Some(hit)) => return Ok(Some(hit)),
                Ok(None) => {}
                Err(e) => warn!(error = %e, "cache unavailable, reading through"),
            }
        }
        let row: Option<(String,)> = sqlx::query_as("SELECT email FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let email = row.map(|(e,)| e);
        if let (Some(conn), Some(email)) = (self.redis.as_mut(), &email) {
            let op = self.cache.start("set");
            match conn.set_ex::<_, _, ()>(&key, email, 60).await {
                Ok(()) => op.finish(),
                Err(e) => op.fail(&e),
            }
        }
        Ok(email)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry =
        ferrotel::init(ferrotel::Config::from_env()?.with_default_service_name("db-cache"))?;

    let path = std::env::var("DB_CACHE_SQLITE").unwrap_or_else(|_| {
        std::env::temp_dir()
            .join("ferrotel-db-cache.db")
            .display()
            .to_string()
    });
    let sqlite = sqlx::SqlitePool::connect(&format!("sqlite://{path}?mode=rwc")).await?;
    ferrotel::db::observe_pool(&telemetry.meter("ferrotel"), "main", sqlite.clone());
    let db = Db::new("sqlite").with_namespace("main");
    // Every query through `pool` is measured; the SQL is written once, in the query.
    let pool = Pool::new(sqlite, db.clone());
    println!("db_cache: SQLite at {path}");

    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let redis = match redis::Client::open(redis_url.as_str()) {
        Ok(client) => match tokio::time::timeout(
            Duration::from_secs(2),
            client.get_multiplexed_async_connection(),
        )
        .await
        {
            Ok(Ok(conn)) => {
                println!("db_cache: caching in Redis at {redis_url}");
                Some(conn)
            }
            Ok(Err(e)) => {
                println!("db_cache: Redis at {redis_url} is not reachable ({e}); running with the cache disabled");
                None
            }
            Err(_) => {
                println!("db_cache: Redis at {redis_url} did not answer; running with the cache disabled");
                None
            }
        },
        Err(e) => {
            println!("db_cache: REDIS_URL {redis_url:?} is not a Redis URL ({e}); running with the cache disabled");
            None
        }
    };

    let setup = [
        "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)",
        "INSERT OR REPLACE INTO users (id, email) VALUES (1, 'ann@example.com'), (2, 'bob@example.com')",
    ];
    for sql in setup {
        sqlx::query(sql).execute(&pool).await?;
    }

    let mut repo = Repo {
        pool: pool.clone(),
        redis,
        cache: Cache::new("users"),
    };
    // Misses then hits (when Redis is there), and a user that does not exist.
    for id in [1, 2, 1, 2, 3] {
        let email = repo.user_email(id).await?;
        info!(id, found = email.is_some(), "looked a user up");
    }

    // A failing query: the unique constraint refuses a second 'ann'.
    let dup = sqlx::query("INSERT INTO users (id, email) VALUES (9, 'ann@example.com')");
    if let Err(e) = dup.execute(&pool).await {
        ErrorCounter::new().record(Category::Database, "users-repo", &e);
        println!("db_cache: the duplicate insert failed as expected: {e}");
    }

    // A slow query: a recursive count, past the slow-query threshold (FERROTEL_DB_SLOW_QUERY_MS,
    // default 500). `db.run` measures any future as the statement given, here one with a wait.
    let slow = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000) SELECT count(*) FROM n";
    let op = async {
        // Guarantee it is slow even on a fast machine.
        tokio::time::sleep(Duration::from_millis(600)).await;
        sqlx::query_scalar::<_, i64>(slow)
            .fetch_one(pool.inner())
            .await
    };
    let count = db.run(slow, op).await?;
    println!("db_cache: counted {count} rows the slow way");

    pool.inner().close().await;
    // The exit code never depends on the telemetry backend: say what was lost, exit 0.
    if let Err(e) = telemetry.shutdown() {
        println!("db_cache: {e}");
    }
    println!("db_cache: done, telemetry flushed");
    Ok(())
}
