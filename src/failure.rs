//! `error.type` from an error, derived the same way by every guard's `fail(&error)` and by
//! `app_errors`: the kind the error names (an I/O error's kind, a database error's class),
//! else its type's short name. [`Failure`] stands for an error the code has no value for.
//! [`Category`] and [`CategoryMap`] sort those kinds into the few `error.category` values
//! `app_errors` counts by.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// An error known only by its kind: an HTTP status, `rate_limited`, `timeout`. Its kind
/// becomes `error.type`.
///
/// ```
/// use ferrotel::failure::{error_type, Failure};
/// assert_eq!(error_type(&Failure::new("rate_limited")), "rate_limited");
/// assert_eq!(error_type(&Failure::new(format!("{}", 503))), "503");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    kind: Cow<'static, str>,
}

impl Failure {
    /// A failure of `kind`: keep it low-cardinality (a code or a class, never a message).
    pub fn new(kind: impl Into<Cow<'static, str>>) -> Self {
        Failure { kind: kind.into() }
    }

    /// The kind, as recorded in `error.type`.
    pub fn kind(&self) -> &str {
        &self.kind
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)
    }
}

impl std::error::Error for Failure {}

/// What kind of error it was, for `error.category`: a fixed set, so it stays a bounded label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Category {
    /// Authentication or authorization.
    Auth,
    /// A database.
    Database,
    /// A service we call.
    ExternalService,
    /// An LLM provider or agent.
    Ai,
    /// Session state.
    Session,
    /// Bad input from a caller.
    Validation,
    /// A bug or an invariant broken.
    Internal,
}

impl Category {
    /// The label value: `auth`, `database`, `external_service`, `ai`, `session`,
    /// `validation`, `internal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Auth => "auth",
            Category::Database => "database",
            Category::ExternalService => "external_service",
            Category::Ai => "ai",
            Category::Session => "session",
            Category::Validation => "validation",
            Category::Internal => "internal",
        }
    }

    /// The category a label value names.
    ///
    /// ```
    /// use ferrotel::failure::Category;
    /// assert_eq!(Category::parse("external_service"), Some(Category::ExternalService));
    /// ```
    pub fn parse(label: &str) -> Option<Category> {
        [
            Category::Auth,
            Category::Database,
            Category::ExternalService,
            Category::Ai,
            Category::Session,
            Category::Validation,
            Category::Internal,
        ]
        .into_iter()
        .find(|c| c.as_str() == label)
    }
}

/// Which `error.category` an `error.type` belongs to, for
/// [`ErrorCounter::record_error`](crate::app_errors::ErrorCounter::record_error). The
/// defaults sort the kinds ferrotel derives (database classes, timeouts and refused
/// connections, HTTP statuses, gRPC codes); an application adds its own kinds, or
/// overrides these, in code or with `FERROTEL_ERROR_CATEGORIES`
/// (`card_declined=external_service,stale_session=session`).
///
/// ```
/// use ferrotel::failure::{Category, CategoryMap};
/// let map = CategoryMap::default().with("card_declined", Category::ExternalService);
/// assert_eq!(map.category("card_declined"), Category::ExternalService);
/// assert_eq!(map.category("pool_timed_out"), Category::Database);
/// assert_eq!(map.category("401"), Category::Auth);
/// assert_eq!(map.category("ParseIntError"), Category::Internal);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryMap {
    exact: BTreeMap<String, Category>,
}

impl Default for CategoryMap {
    fn default() -> Self {
        use Category::*;
        let pairs: &[(&str, Category)] = &[
            // sqlx classes
            ("database", Database),
            ("row_not_found", Database),
            ("pool_timed_out", Database),
            ("pool_closed", Database),
            ("protocol", Database),
            ("decode", Database),
            // the network and the services behind it
            ("timeout", ExternalService),
            ("timed_out", ExternalService),
            ("connection_refused", ExternalService),
            ("connection_reset", ExternalService),
            ("connection_aborted", ExternalService),
            ("connection_dropped", ExternalService),
            ("connect", ExternalService),
            ("unavailable", ExternalService),
            ("deadline_exceeded", ExternalService),
            ("429", ExternalService),
            // who the caller is and what they may do
            ("401", Auth),
            ("403", Auth),
            ("unauthenticated", Auth),
            ("permission_denied", Auth),
            // what the caller sent
            ("400", Validation),
            ("404", Validation),
            ("409", Validation),
            ("422", Validation),
            ("invalid_input", Validation),
            ("invalid_data", Validation),
            ("invalid_argument", Validation),
            ("not_found", Validation),
            ("already_exists", Validation),
            // agents
            ("step_limit", Ai),
            ("tool_error", Ai),
        ];
        CategoryMap {
            exact: pairs.iter().map(|(k, c)| (k.to_string(), *c)).collect(),
        }
    }
}

impl CategoryMap {
    /// The defaults, built once.
    pub(crate) fn defaults() -> &'static CategoryMap {
        static DEFAULTS: std::sync::OnceLock<CategoryMap> = std::sync::OnceLock::new();
        DEFAULTS.get_or_init(CategoryMap::default)
    }

    /// No kinds at all: everything is `internal` until mapped.
    pub fn empty() -> Self {
        CategoryMap {
            exact: BTreeMap::new(),
        }
    }

    /// Maps `error_type` to `category` (replacing a default).
    #[must_use]
    pub fn with(mut self, error_type: impl Into<String>, category: Category) -> Self {
        self.exact.insert(error_type.into(), category);
        self
    }

    /// Adds `kind=category` pairs, comma-separated, as `FERROTEL_ERROR_CATEGORIES` holds
    /// them; the first pair that is not one names itself in the error.
    ///
    /// ```
    /// use ferrotel::failure::{Category, CategoryMap};
    /// let map = CategoryMap::default().with_pairs("card_declined=external_service").unwrap();
    /// assert_eq!(map.category("card_declined"), Category::ExternalService);
    /// let err = CategoryMap::default().with_pairs("x=weird").unwrap_err();
    /// assert!(err.contains("x=weird"), "{err}");
    /// ```
    pub fn with_pairs(mut self, pairs: &str) -> Result<Self, String> {
        for pair in pairs.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let category = pair
                .split_once('=')
                .filter(|(k, _)| !k.trim().is_empty())
                .and_then(|(k, c)| Some((k.trim(), Category::parse(c.trim())?)));
            match category {
                Some((kind, c)) => {
                    self.exact.insert(kind.to_string(), c);
                }
                None => {
                    return Err(format!(
                        "{pair:?} is not KIND=CATEGORY with CATEGORY one of auth, database, external_service, ai, session, validation, internal"
                    ))
                }
            }
        }
        Ok(self)
    }

    /// The category of `error_type`: its mapping, else `validation` for other 4xx
    /// statuses and `external_service` for 5xx, else `internal`.
    pub fn category(&self, error_type: &str) -> Category {
        if let Some(c) = self.exact.get(error_type) {
            return *c;
        }
        match error_type.parse::<u16>() {
            Ok(400..=499) => Category::Validation,
            Ok(500..=599) => Category::ExternalService,
            _ => Category::Internal,
        }
    }
}

/// The last path segment of a type's name: `std::io::error::Error` → `Error`,
/// generics dropped.
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// `error.type` for `error`: a [`Failure`]'s kind, an I/O error's kind (`timed_out`),
/// an sqlx error's class (`pool_timed_out`, feature `sqlx`), a Redis error's
/// (`connection_refused`, feature `redis`), a reqwest error's (`timeout`, the I/O kind of
/// a failed connect such as `connection_refused`, or the HTTP status `503`; feature
/// `reqwest`), a gRPC status's code (`unavailable`, `deadline_exceeded`; feature
/// `tonic`); otherwise the kind of an I/O error among its sources (the root cause of a
/// wrapped error), else the type's short name.
///
/// ```
/// use ferrotel::failure::error_type;
/// let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "upstream");
/// assert_eq!(error_type(&e), "timed_out");
/// ```
pub fn error_type<E: std::error::Error + 'static>(error: &E) -> Cow<'static, str> {
    known_kind(error).unwrap_or(Cow::Borrowed(short_type_name::<E>()))
}

/// `error.type` for an error known only as `dyn Error`: an `anyhow::Error`
/// (`error_type_dyn(err.as_ref())`), a `Box<dyn Error>`. The first error in its chain
/// (it, then its sources down to the root cause) whose kind is known names it, as in
/// [`error_type`]; with none, `_OTHER`.
///
/// ```
/// use ferrotel::failure::error_type_dyn;
/// let root = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(root);
/// assert_eq!(error_type_dyn(boxed.as_ref()), "connection_refused");
/// ```
pub fn error_type_dyn(error: &(dyn std::error::Error + 'static)) -> Cow<'static, str> {
    known_kind(error).unwrap_or(Cow::Borrowed("_OTHER"))
}

/// The kind of the first error in the chain whose type is known.
fn known_kind(error: &(dyn std::error::Error + 'static)) -> Option<Cow<'static, str>> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(kind) = kind_of(e) {
            return Some(kind);
        }
        next = e.source();
    }
    None
}

/// The kind of `error` itself, when its type is one ferrotel knows.
fn kind_of(error: &(dyn std::error::Error + 'static)) -> Option<Cow<'static, str>> {
    if let Some(f) = error.downcast_ref::<Failure>() {
        return Some(f.kind.clone());
    }
    if let Some(e) = error.downcast_ref::<std::io::Error>() {
        // An I/O error wrapping another (io::Error::other) is named by what it wraps.
        if e.kind() == std::io::ErrorKind::Other {
            if let Some(inner) = e.get_ref().and_then(|i| known_kind(i)) {
                return Some(inner);
            }
        }
        return Some(io_kind(e));
    }
    #[cfg(feature = "_sqlx")]
    if let Some(e) = error.downcast_ref::<sqlx::Error>() {
        return Some(Cow::Borrowed(sqlx_error_type(e)));
    }
    #[cfg(feature = "redis")]
    if let Some(e) = error.downcast_ref::<redis::RedisError>() {
        return Some(Cow::Borrowed(if e.is_connection_refusal() {
            "connection_refused"
        } else if e.is_timeout() {
            "timeout"
        } else if e.is_connection_dropped() {
            "connection_dropped"
        } else if e.is_io_error() {
            "io"
        } else {
            "redis"
        }));
    }
    #[cfg(feature = "reqwest")]
    if let Some(e) = error.downcast_ref::<reqwest::Error>() {
        if e.is_timeout() {
            return Some(Cow::Borrowed("timeout"));
        }
        if let Some(status) = e.status() {
            return Some(Cow::Owned(status.as_u16().to_string()));
        }
        if let Some(kind) = io_source(e) {
            return Some(kind);
        }
        if e.is_connect() {
            return Some(Cow::Borrowed("connect"));
        }
        if e.is_decode() || e.is_body() {
            return Some(Cow::Borrowed("body"));
        }
        return Some(Cow::Borrowed("reqwest"));
    }
    #[cfg(feature = "tonic")]
    if let Some(s) = error.downcast_ref::<tonic::Status>() {
        return Some(Cow::Owned(snake_case(&format!("{:?}", s.code()))));
    }
    None
}

/// An I/O error's kind as `error.type` spells it: `connection_refused`, `timed_out`.
fn io_kind(e: &std::io::Error) -> Cow<'static, str> {
    Cow::Owned(snake_case(&format!("{:?}", e.kind())))
}

/// The kind of the first I/O error among `error`'s sources (its root cause, when the
/// error wraps one), as `error.type` spells it.
#[cfg(feature = "reqwest")]
fn io_source(error: &(dyn std::error::Error + 'static)) -> Option<Cow<'static, str>> {
    let mut source = error.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io_kind(io));
        }
        source = s.source();
    }
    None
}

/// The class of an sqlx error, for `error.type`.
#[cfg(feature = "_sqlx")]
fn sqlx_error_type(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::Database(_) => "database",
        sqlx::Error::RowNotFound => "row_not_found",
        sqlx::Error::PoolTimedOut => "pool_timed_out",
        sqlx::Error::PoolClosed => "pool_closed",
        sqlx::Error::Io(_) => "io",
        sqlx::Error::Protocol(_) => "protocol",
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode",
        _ => "_OTHER",
    }
}

fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_type_names() {
        assert_eq!(short_type_name::<std::io::Error>(), "Error");
        assert_eq!(
            short_type_name::<std::num::ParseIntError>(),
            "ParseIntError"
        );
        assert_eq!(short_type_name::<Vec<String>>(), "Vec");
        assert_eq!(short_type_name::<dyn std::error::Error>(), "Error");
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(error_type(&refused), "connection_refused");
        let parse = "x".parse::<u8>().unwrap_err();
        assert_eq!(error_type(&parse), "ParseIntError");
        assert_eq!(error_type(&Failure::new("429")), "429");
    }

    /// A wrapped error is named by the I/O error at its root.
    #[test]
    fn the_root_cause_names_a_wrapped_error() {
        #[derive(Debug)]
        struct Wrapped(std::io::Error);
        impl fmt::Display for Wrapped {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("loading the profile")
            }
        }
        impl std::error::Error for Wrapped {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Wrapped(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(error_type(&e), "permission_denied");
    }

    #[cfg(feature = "tonic")]
    #[test]
    fn grpc_statuses_by_code() {
        assert_eq!(
            error_type(&tonic::Status::unavailable("down")),
            "unavailable"
        );
        assert_eq!(
            error_type(&tonic::Status::deadline_exceeded("slow")),
            "deadline_exceeded"
        );
    }

    /// Real reqwest failures against real sockets: refused, silent past the timeout,
    /// and an error status, each its own kind.
    #[cfg(feature = "reqwest")]
    #[test]
    fn reqwest_failures_by_kind() {
        use std::io::{Read, Write};
        use std::net::TcpListener;
        let refused = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let silent_addr = silent.local_addr().unwrap();
        let failing = TcpListener::bind("127.0.0.1:0").unwrap();
        let failing_addr = failing.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in failing.incoming().flatten() {
                let mut stream = stream;
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(300))
            .build()
            .unwrap();
        let kind = |url: String| {
            rt.block_on(async {
                let e = match client.get(url).send().await {
                    Ok(r) => r.error_for_status().unwrap_err(),
                    Err(e) => e,
                };
                error_type(&e).into_owned()
            })
        };
        assert_eq!(kind(format!("http://{refused}/")), "connection_refused");
        assert_eq!(kind(format!("http://{silent_addr}/")), "timeout");
        assert_eq!(kind(format!("http://{failing_addr}/")), "503");
        drop(silent);
    }
}
