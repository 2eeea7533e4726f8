//! `error.type` from an error, derived the same way by every guard's `fail(&error)` and by
//! `app_errors`: the kind the error names (an I/O error's kind, a database error's class),
//! else its type's short name. [`Failure`] stands for an error the code has no value for.

use std::borrow::Cow;
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
    let any: &dyn std::any::Any = error;
    if let Some(f) = any.downcast_ref::<Failure>() {
        return f.kind.clone();
    }
    if let Some(e) = any.downcast_ref::<std::io::Error>() {
        return Cow::Owned(snake_case(&format!("{:?}", e.kind())));
    }
    #[cfg(feature = "_sqlx")]
    if let Some(e) = any.downcast_ref::<sqlx::Error>() {
        return Cow::Borrowed(sqlx_error_type(e));
    }
    #[cfg(feature = "redis")]
    if let Some(e) = any.downcast_ref::<redis::RedisError>() {
        return Cow::Borrowed(if e.is_connection_refusal() {
            "connection_refused"
        } else if e.is_timeout() {
            "timeout"
        } else if e.is_connection_dropped() {
            "connection_dropped"
        } else if e.is_io_error() {
            "io"
        } else {
            "redis"
        });
    }
    #[cfg(feature = "reqwest")]
    if let Some(e) = any.downcast_ref::<reqwest::Error>() {
        if e.is_timeout() {
            return Cow::Borrowed("timeout");
        }
        if let Some(status) = e.status() {
            return Cow::Owned(status.as_u16().to_string());
        }
        if let Some(kind) = io_source(e) {
            return kind;
        }
        if e.is_connect() {
            return Cow::Borrowed("connect");
        }
        if e.is_decode() || e.is_body() {
            return Cow::Borrowed("body");
        }
        return Cow::Borrowed("reqwest");
    }
    #[cfg(feature = "tonic")]
    if let Some(s) = any.downcast_ref::<tonic::Status>() {
        return Cow::Owned(snake_case(&format!("{:?}", s.code())));
    }
    if let Some(kind) = io_source(error) {
        return kind;
    }
    Cow::Borrowed(short_type_name::<E>())
}

/// The kind of the first I/O error among `error`'s sources (its root cause, when the
/// error wraps one), as `error.type` spells it.
fn io_source(error: &(dyn std::error::Error + 'static)) -> Option<Cow<'static, str>> {
    let mut source = error.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(Cow::Owned(snake_case(&format!("{:?}", io.kind()))));
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
