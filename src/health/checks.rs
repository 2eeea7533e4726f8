//! Built-in checks: TCP connect, HTTP GET, and a closure.

use std::future::Future;

use super::{CheckFuture, HealthCheck, Outcome};

/// Healthy when a TCP connection to `addr` opens.
///
/// ```
/// let check = ferrotel::health::TcpCheck::new("127.0.0.1:5432");
/// ```
#[derive(Debug, Clone)]
pub struct TcpCheck {
    addr: String,
}

impl TcpCheck {
    /// Checks `addr` (`host:port`).
    pub fn new(addr: impl Into<String>) -> Self {
        TcpCheck { addr: addr.into() }
    }
}

impl HealthCheck for TcpCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            match tokio::net::TcpStream::connect(&self.addr).await {
                Ok(_) => Outcome::healthy(),
                Err(e) => Outcome::unhealthy(format!("cannot connect to {}: {e}", self.addr)),
            }
        })
    }
}

/// Healthy when `GET url` answers 2xx. Its messages (shown on `/health`) name the URL
/// without credentials or query string.
///
/// ```
/// let check = ferrotel::health::HttpCheck::new("http://127.0.0.1:8081/healthz");
/// ```
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
#[derive(Debug, Clone)]
pub struct HttpCheck {
    url: String,
    /// The URL as reports show it: no credentials, no query (it may hold an API key).
    shown: String,
    client: reqwest::Client,
}

/// `url` without userinfo, query or fragment, for messages that `/health` shows.
#[cfg(feature = "reqwest")]
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        // Not a URL: show none of it; the check fails and says so.
        Err(_) => "(an invalid URL)".to_string(),
    }
}

#[cfg(feature = "reqwest")]
impl HttpCheck {
    /// Checks `url` with a GET. Redirects are not followed; the registry's timeout bounds it.
    pub fn new(url: impl Into<String>) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        let url = url.into();
        HttpCheck {
            shown: shown_url(&url),
            url,
            client,
        }
    }
}

#[cfg(feature = "reqwest")]
impl HealthCheck for HttpCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            match self.client.get(&self.url).send().await {
                Ok(r) if r.status().is_success() => Outcome::healthy(),
                Ok(r) => Outcome::unhealthy(format!("GET {} answered {}", self.shown, r.status())),
                // reqwest's message names the URL: drop it, ours has no secrets.
                Err(e) => {
                    Outcome::unhealthy(format!("GET {} failed: {}", self.shown, e.without_url()))
                }
            }
        })
    }
}

/// A check from a closure returning `Result<(), impl Display>`; see [`from_fn`].
#[derive(Debug, Clone)]
pub struct FnCheck<F>(F);

/// Wraps an async closure as a check: `Ok(())` is healthy, `Err(reason)` unhealthy.
///
/// ```
/// let check = ferrotel::health::from_fn(|| async {
///     if std::path::Path::new("/").exists() { Ok(()) } else { Err("no root") }
/// });
/// ```
pub fn from_fn<F, Fut, E>(f: F) -> FnCheck<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    FnCheck(f)
}

impl<F, Fut, E> HealthCheck for FnCheck<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    fn check(&self) -> CheckFuture<'_> {
        let fut = (self.0)();
        Box::pin(async move {
            match fut.await {
                Ok(()) => Outcome::healthy(),
                Err(e) => Outcome::unhealthy(e.to_string()),
            }
        })
    }
}

/// Healthy when Redis answers `PING` (feature `redis`).
///
/// The connection is opened on the first check and reopened after a failure, so the
/// check follows Redis going away and coming back.
///
/// ```
/// let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
/// let check = ferrotel::health::RedisCheck::new(client);
/// ```
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub struct RedisCheck {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
}

#[cfg(feature = "redis")]
impl std::fmt::Debug for RedisCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection info may hold a password: show the address only.
        f.debug_struct("RedisCheck")
            .field(
                "addr",
                &self.client.get_connection_info().addr().to_string(),
            )
            .finish()
    }
}

#[cfg(feature = "redis")]
impl RedisCheck {
    /// Checks the server `client` points at.
    pub fn new(client: redis::Client) -> Self {
        RedisCheck {
            client,
            conn: tokio::sync::Mutex::new(None),
        }
    }
}

#[cfg(feature = "redis")]
impl HealthCheck for RedisCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let mut slot = self.conn.lock().await;
            if slot.is_none() {
                match self.client.get_multiplexed_async_connection().await {
                    Ok(c) => *slot = Some(c),
                    Err(e) => return Outcome::unhealthy(format!("cannot connect to Redis: {e}")),
                }
            }
            let Some(conn) = slot.as_mut() else {
                return Outcome::unhealthy("no Redis connection");
            };
            match redis::cmd("PING").query_async::<String>(conn).await {
                Ok(pong) if pong == "PONG" => Outcome::healthy(),
                Ok(other) => Outcome::unhealthy(format!("PING answered {other:?}")),
                Err(e) => {
                    *slot = None;
                    Outcome::unhealthy(format!("PING failed: {e}"))
                }
            }
        })
    }
}

/// Healthy when `SELECT 1` succeeds on an sqlx pool (features `sqlx-sqlite`, `sqlx-postgres`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
/// let check = ferrotel::health::SqlCheck::sqlite(pool);
/// # }
/// ```
#[cfg(feature = "_sqlx")]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "sqlx-sqlite", feature = "sqlx-postgres")))
)]
#[derive(Debug, Clone)]
pub struct SqlCheck(SqlPool);

#[cfg(feature = "_sqlx")]
#[derive(Debug, Clone)]
enum SqlPool {
    #[cfg(feature = "sqlx-sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "sqlx-postgres")]
    Postgres(sqlx::PgPool),
}

#[cfg(feature = "_sqlx")]
impl SqlCheck {
    /// Checks a SQLite pool.
    #[cfg(feature = "sqlx-sqlite")]
    pub fn sqlite(pool: sqlx::SqlitePool) -> Self {
        SqlCheck(SqlPool::Sqlite(pool))
    }

    /// Checks a Postgres pool.
    #[cfg(feature = "sqlx-postgres")]
    pub fn postgres(pool: sqlx::PgPool) -> Self {
        SqlCheck(SqlPool::Postgres(pool))
    }
}

#[cfg(feature = "_sqlx")]
impl HealthCheck for SqlCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let result = match &self.0 {
                #[cfg(feature = "sqlx-sqlite")]
                SqlPool::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
                #[cfg(feature = "sqlx-postgres")]
                SqlPool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
            };
            match result {
                Ok(()) => Outcome::healthy(),
                Err(e) => Outcome::unhealthy(format!("SELECT 1 failed: {e}")),
            }
        })
    }
}

/// Checks the process's own resources against limits: resident memory, open file
/// descriptors, and CPU use since the previous check (as a fraction of one core).
/// Over a limit is unhealthy; register it non-critical to make that degraded instead.
///
/// ```
/// let check = ferrotel::health::ProcessCheck::new()
///     .with_max_memory_bytes(2 << 30)
///     .with_max_open_fds(50_000)
///     .with_max_cpu_cores(3.5);
/// ```
#[derive(Debug, Default)]
pub struct ProcessCheck {
    max_memory: Option<u64>,
    max_fds: Option<u64>,
    max_cpu: Option<f64>,
    last_cpu: std::sync::Mutex<Option<(std::time::Instant, f64)>>,
}

impl ProcessCheck {
    /// No limits yet: healthy until one is set and crossed.
    pub fn new() -> Self {
        ProcessCheck::default()
    }

    /// Unhealthy above this resident memory.
    pub fn with_max_memory_bytes(mut self, bytes: u64) -> Self {
        self.max_memory = Some(bytes);
        self
    }

    /// Unhealthy above this many open file descriptors.
    pub fn with_max_open_fds(mut self, fds: u64) -> Self {
        self.max_fds = Some(fds);
        self
    }

    /// Unhealthy when CPU use between two checks exceeds this many cores.
    pub fn with_max_cpu_cores(mut self, cores: f64) -> Self {
        self.max_cpu = Some(cores);
        self
    }

    fn evaluate(&self, s: &crate::runtime::ProcStats) -> Outcome {
        let mut over = Vec::new();
        if let (Some(max), Some(rss)) = (self.max_memory, s.rss_bytes) {
            if rss > max {
                over.push(format!("resident memory {rss} bytes is over {max}"));
            }
        }
        if let (Some(max), Some(fds)) = (self.max_fds, s.open_fds) {
            if fds > max {
                over.push(format!("{fds} open file descriptors is over {max}"));
            }
        }
        if let (Some(user), Some(system)) = (s.user_seconds, s.system_seconds) {
            let now = std::time::Instant::now();
            let total = user + system;
            let previous = self
                .last_cpu
                .lock()
                .ok()
                .and_then(|mut l| l.replace((now, total)));
            if let (Some(max), Some((then, before))) = (self.max_cpu, previous) {
                let wall = now.duration_since(then).as_secs_f64();
                if wall > 0.0 {
                    let cores = (total - before) / wall;
                    if cores > max {
                        over.push(format!("CPU use {cores:.2} cores is over {max}"));
                    }
                }
            }
        }
        if over.is_empty() {
            Outcome::healthy()
        } else {
            Outcome::unhealthy(over.join("; "))
        }
    }
}

impl HealthCheck for ProcessCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move { self.evaluate(&crate::runtime::ProcStats::read()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Status;
    use crate::runtime::ProcStats;

    #[test]
    fn process_limits() {
        let stats = ProcStats {
            user_seconds: Some(10.0),
            system_seconds: Some(0.0),
            rss_bytes: Some(500),
            virtual_bytes: Some(1000),
            threads: Some(4),
            open_fds: Some(20),
        };
        assert_eq!(ProcessCheck::new().evaluate(&stats), Outcome::healthy());
        let over = ProcessCheck::new()
            .with_max_memory_bytes(100)
            .with_max_open_fds(10)
            .evaluate(&stats);
        assert_eq!(over.status, Status::Unhealthy);
        let msg = over.message.unwrap();
        assert!(
            msg.contains("resident memory 500 bytes is over 100"),
            "{msg}"
        );
        assert!(msg.contains("20 open file descriptors is over 10"), "{msg}");
        // CPU: 10 s used before, 12 s now, over (at least) the wall time between checks.
        let cpu = ProcessCheck::new().with_max_cpu_cores(0.5);
        assert_eq!(
            cpu.evaluate(&stats).status,
            Status::Healthy,
            "no baseline yet"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
        let busier = ProcStats {
            user_seconds: Some(12.0),
            ..stats
        };
        let o = cpu.evaluate(&busier);
        assert_eq!(o.status, Status::Unhealthy);
        assert!(o.message.unwrap().contains("cores is over 0.5"));
    }
}
