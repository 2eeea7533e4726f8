//! Built-in checks: TCP connect, HTTP GET (an LLM provider's API among them), Redis,
//! SQL pools, disk space, memory, process limits, and a closure.

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
    /// Headers sent with each request; values are marked sensitive (never printed).
    headers: reqwest::header::HeaderMap,
    /// Why the request cannot be made as configured (a variable not set), if so.
    broken: Option<String>,
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
            headers: reqwest::header::HeaderMap::new(),
            broken: None,
        }
    }

    /// Checks an LLM provider's API: `GET {base_url}/models` (OpenAI and the APIs that
    /// copy it) with `Authorization: Bearer $key_var`. The key is read once, here; it is
    /// never logged, shown on `/health` or printed by `Debug`. A variable that is not set
    /// makes the check unhealthy, naming the variable.
    ///
    /// ```
    /// let check = ferrotel::health::HttpCheck::llm_provider("https://api.openai.com/v1", "OPENAI_API_KEY");
    /// assert!(!format!("{check:?}").contains("sk-"));
    /// ```
    pub fn llm_provider(base_url: &str, key_var: &str) -> Self {
        let url = format!("{}/models", base_url.trim_end_matches('/'));
        HttpCheck::new(url).with_header_from_env("authorization", "Bearer ", key_var)
    }

    /// Sends header `name` with the value `prefix` + the environment variable `var`
    /// (read once, here), e.g. `("x-api-key", "", "ANTHROPIC_API_KEY")`.
    pub fn with_header_from_env(mut self, name: &str, prefix: &str, var: &str) -> Self {
        let value = std::env::var(var).ok().filter(|v| !v.is_empty());
        let header = value.and_then(|v| {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).ok()?;
            let mut value = reqwest::header::HeaderValue::from_str(&format!("{prefix}{v}")).ok()?;
            value.set_sensitive(true);
            Some((name, value))
        });
        match header {
            Some((name, value)) => {
                self.headers.insert(name, value);
            }
            None => {
                self.broken = Some(format!(
                    "environment variable {var} is not set or not a valid {name} header value"
                ))
            }
        }
        self
    }
}

#[cfg(feature = "reqwest")]
impl HealthCheck for HttpCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            if let Some(broken) = &self.broken {
                return Outcome::unhealthy(format!("GET {}: {broken}", self.shown));
            }
            let request = self.client.get(&self.url).headers(self.headers.clone());
            match request.send().await {
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
            let start = std::time::Instant::now();
            match redis::cmd("PING").query_async::<String>(conn).await {
                Ok(pong) if pong == "PONG" => {
                    let ping_ms = start.elapsed().as_secs_f64() * 1000.0;
                    let mut outcome = Outcome::healthy().with_detail("ping_ms", ping_ms);
                    // INFO's fields, for /health: memory in use and clients connected.
                    let info = redis::cmd("INFO")
                        .arg("memory")
                        .arg("clients")
                        .query_async::<String>(conn)
                        .await
                        .unwrap_or_default();
                    for line in info.lines() {
                        for key in ["used_memory", "maxmemory", "connected_clients"] {
                            if let Some(v) =
                                line.strip_prefix(key).and_then(|r| r.strip_prefix(':'))
                            {
                                if let Ok(n) = v.trim().parse::<u64>() {
                                    outcome = outcome.with_detail(key, n);
                                }
                            }
                        }
                    }
                    outcome
                }
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
            let (size, idle, max) = match &self.0 {
                #[cfg(feature = "sqlx-sqlite")]
                SqlPool::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
                #[cfg(feature = "sqlx-postgres")]
                SqlPool::Postgres(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
            };
            let in_use = (size as usize).saturating_sub(idle);
            let pool = |o: Outcome| {
                o.with_detail("connections_in_use", in_use)
                    .with_detail("connections_max", max)
            };
            // Every connection taken: a query would only wait for one (and time out).
            if size >= max && idle == 0 {
                return pool(Outcome::degraded(format!(
                    "the pool is exhausted: {in_use} of {max} connections in use"
                )));
            }
            let result = match &self.0 {
                #[cfg(feature = "sqlx-sqlite")]
                SqlPool::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
                #[cfg(feature = "sqlx-postgres")]
                SqlPool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
            };
            pool(match result {
                Ok(()) => Outcome::healthy(),
                Err(e) => Outcome::unhealthy(format!("SELECT 1 failed: {e}")),
            })
        })
    }
}

/// Free space of the filesystem holding a path, as a percentage: degraded below 10 %,
/// unhealthy below 5 % (both adjustable). `/health` shows the free and total bytes.
///
/// ```
/// let check = ferrotel::health::DiskCheck::new("/var/lib/app").degraded_below(20.0);
/// ```
#[derive(Debug, Clone)]
pub struct DiskCheck {
    path: std::path::PathBuf,
    degraded_below: f64,
    unhealthy_below: f64,
}

impl DiskCheck {
    /// Checks the filesystem that holds `path`.
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        DiskCheck {
            path: path.into(),
            degraded_below: 10.0,
            unhealthy_below: 5.0,
        }
    }

    /// Degraded when less than `percent` of the filesystem is free. Default 10.
    pub fn degraded_below(mut self, percent: f64) -> Self {
        self.degraded_below = percent;
        self
    }

    /// Unhealthy when less than `percent` of the filesystem is free. Default 5.
    pub fn unhealthy_below(mut self, percent: f64) -> Self {
        self.unhealthy_below = percent;
        self
    }

    fn evaluate(&self, free: u64, total: u64) -> Outcome {
        let pct = if total == 0 {
            0.0
        } else {
            free as f64 * 100.0 / total as f64
        };
        let msg = |limit: f64| {
            format!(
                "{}: {pct:.1} % free ({free} of {total} bytes), under {limit} %",
                self.path.display()
            )
        };
        let outcome = if pct < self.unhealthy_below {
            Outcome::unhealthy(msg(self.unhealthy_below))
        } else if pct < self.degraded_below {
            Outcome::degraded(msg(self.degraded_below))
        } else {
            Outcome::healthy()
        };
        outcome
            .with_detail("free_percent", (pct * 10.0).round() / 10.0)
            .with_detail("free_bytes", free)
            .with_detail("total_bytes", total)
    }
}

impl HealthCheck for DiskCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            #[cfg(unix)]
            {
                match rustix::fs::statvfs(&self.path) {
                    // Space an unprivileged process may use (f_bavail), as df shows it.
                    Ok(s) => self.evaluate(s.f_bavail * s.f_frsize, s.f_blocks * s.f_frsize),
                    Err(e) => {
                        Outcome::unhealthy(format!("{}: statvfs failed: {e}", self.path.display()))
                    }
                }
            }
            #[cfg(not(unix))]
            {
                Outcome::unknown("disk space is read on Unix only")
            }
        })
    }
}

/// Resident memory as a percentage of the memory the process may use (its cgroup's
/// limit, else the machine's, or the limit given): degraded over 80 %, unhealthy over
/// 95 % (both adjustable). `/health` shows the bytes used and the limit.
///
/// ```
/// let check = ferrotel::health::MemoryCheck::new().degraded_above(70.0);
/// ```
#[derive(Debug, Clone)]
pub struct MemoryCheck {
    limit: Option<u64>,
    degraded_above: f64,
    unhealthy_above: f64,
}

impl Default for MemoryCheck {
    fn default() -> Self {
        MemoryCheck {
            limit: None,
            degraded_above: 80.0,
            unhealthy_above: 95.0,
        }
    }
}

impl MemoryCheck {
    /// Against the cgroup's (or machine's) limit, read at each check.
    pub fn new() -> Self {
        MemoryCheck::default()
    }

    /// Against `bytes` instead (a limit the service sets itself).
    pub fn with_limit_bytes(mut self, bytes: u64) -> Self {
        self.limit = Some(bytes);
        self
    }

    /// Degraded when over `percent` of the limit is resident. Default 80.
    pub fn degraded_above(mut self, percent: f64) -> Self {
        self.degraded_above = percent;
        self
    }

    /// Unhealthy when over `percent` of the limit is resident. Default 95.
    pub fn unhealthy_above(mut self, percent: f64) -> Self {
        self.unhealthy_above = percent;
        self
    }

    fn evaluate(&self, rss: u64, limit: u64) -> Outcome {
        let pct = if limit == 0 {
            100.0
        } else {
            rss as f64 * 100.0 / limit as f64
        };
        let msg = |limit_pct: f64| {
            format!("resident memory is {pct:.1} % of the {limit} byte limit ({rss} bytes), over {limit_pct} %")
        };
        let outcome = if pct > self.unhealthy_above {
            Outcome::unhealthy(msg(self.unhealthy_above))
        } else if pct > self.degraded_above {
            Outcome::degraded(msg(self.degraded_above))
        } else {
            Outcome::healthy()
        };
        outcome
            .with_detail("used_percent", (pct * 10.0).round() / 10.0)
            .with_detail("rss_bytes", rss)
            .with_detail("limit_bytes", limit)
    }
}

impl HealthCheck for MemoryCheck {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let rss = crate::runtime::ProcStats::read().rss_bytes;
            let limit = self.limit.or_else(crate::runtime::memory_limit_bytes);
            match (rss, limit) {
                (Some(rss), Some(limit)) => self.evaluate(rss, limit),
                _ => Outcome::unknown("resident memory or its limit cannot be read here"),
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
    fn disk_and_memory_thresholds() {
        let d = DiskCheck::new("/data");
        assert_eq!(d.evaluate(50, 100).status, Status::Healthy);
        assert_eq!(d.evaluate(8, 100).status, Status::Degraded);
        let full = d.evaluate(3, 100);
        assert_eq!(full.status, Status::Unhealthy);
        assert!(full.message.unwrap().contains("/data: 3.0 % free"));
        assert_eq!(full.details["free_bytes"], 3);
        let m = MemoryCheck::new();
        assert_eq!(m.evaluate(50, 100).status, Status::Healthy);
        assert_eq!(m.evaluate(85, 100).status, Status::Degraded);
        assert_eq!(m.evaluate(96, 100).status, Status::Unhealthy);
        assert_eq!(m.evaluate(96, 100).details["limit_bytes"], 100);
    }

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
