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
/// (`connection_refused`, feature `redis`), else the type's short name.
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
    Cow::Borrowed(short_type_name::<E>())
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
}
