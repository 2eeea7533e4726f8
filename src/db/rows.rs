//! [`Rows`]: how many rows an operation returned, read from its result's type.

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

#[cfg(feature = "sqlx-sqlite")]
impl Rows for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> Option<u64> {
        None
    }
}

#[cfg(feature = "sqlx-postgres")]
impl Rows for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> Option<u64> {
        None
    }
}

#[cfg(feature = "sqlx-sqlite")]
impl Rows for sqlx::sqlite::SqliteRow {
    fn rows(&self) -> Option<u64> {
        Some(1)
    }
}

#[cfg(feature = "sqlx-postgres")]
impl Rows for sqlx::postgres::PgRow {
    fn rows(&self) -> Option<u64> {
        Some(1)
    }
}
