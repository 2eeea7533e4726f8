//! The sanitizer's unit tests.

use super::*;

fn s(sql: &str) -> String {
    sanitize(sql, 10_000)
}

#[test]
fn literals_become_placeholders() {
    assert_eq!(
        s("SELECT * FROM t WHERE a = 'x' AND b = 42 AND c = 3.5e-3 AND d = 0xFF"),
        "SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?"
    );
    assert_eq!(s("SELECT 'it''s', 'back\\'slash'"), "SELECT ?, ?");
    assert_eq!(
        s("SELECT E'\\n', N'unicode', X'ABCD', B'0101'"),
        "SELECT ?, ?, ?, ?"
    );
    assert_eq!(s("SELECT $tag$ secret $tag$, $$ also $$"), "SELECT ?, ?");
    assert_eq!(
        s("UPDATE t SET on = TRUE, off = false"),
        "UPDATE t SET on = ?, off = ?"
    );
    assert_eq!(
        s("SELECT col1, t2.col_9 FROM t2"),
        "SELECT col1, t2.col_9 FROM t2"
    );
}

#[test]
fn comments_in_lists_and_whitespace() {
    assert_eq!(
        s("SELECT /* a /* nested */ comment */ 1 -- tail\nFROM t"),
        "SELECT ? FROM t"
    );
    assert_eq!(
        Dialect::MySql.sanitize("SELECT 1 FROM t # a 'comment", 100),
        "SELECT ? FROM t"
    );
    assert_eq!(
        s("DELETE FROM t WHERE id IN (1, 2, 'three', $4)"),
        "DELETE FROM t WHERE id IN (?)"
    );
    assert_eq!(
        s("SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = 5)"),
        "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = ?)"
    );
    assert_eq!(s("SELECT\n\t a\n FROM    t"), "SELECT a FROM t");
}

#[test]
fn placeholders_are_kept() {
    assert_eq!(
        s("SELECT * FROM t WHERE a = ? AND b = $2 AND c = :name AND d = @p1"),
        "SELECT * FROM t WHERE a = ? AND b = $2 AND c = :name AND d = @p1"
    );
}

#[test]
fn broken_input_hides_rather_than_leaks() {
    assert_eq!(s("SELECT 'unterminated secret"), "SELECT ?");
    assert_eq!(s("SELECT $x$ never closed"), "SELECT ?");
    assert_eq!(s("SELECT 1 /* unterminated"), "SELECT ?");
    assert_eq!(
        s("just some prose, not SQL at all!"),
        "just some prose, not SQL at all !"
    );
    assert_eq!(s(""), "");
    assert_eq!(sanitize("SELECT abcdef FROM t", 8), "SELECT a");
    assert_eq!(sanitize("SELECT 'ééé' FROM tété", 16), "SELECT ? FROM té");
}

#[test]
fn summaries() {
    let sum = |q| summarize(q);
    assert_eq!(
        sum("SELECT * FROM users WHERE id = 1").as_deref(),
        Some("SELECT users")
    );
    assert_eq!(
        sum("update accounts set x = 1").as_deref(),
        Some("UPDATE accounts")
    );
    assert_eq!(
        sum("DELETE FROM s.sessions").as_deref(),
        Some("DELETE s.sessions")
    );
    assert_eq!(
        sum("CREATE TABLE IF NOT EXISTS items (id int)").as_deref(),
        Some("CREATE items")
    );
    assert_eq!(sum("SELECT 1").as_deref(), Some("SELECT"));
    assert_eq!(
        sum("WITH x AS (SELECT * FROM a) SELECT * FROM x").as_deref(),
        Some("SELECT a SELECT x")
    );
    assert_eq!(sum("").as_deref(), None);
}

/// The leaks the fuzzer found in the dialect-blind sanitizer, each read in the dialect
/// that writes it.
#[test]
fn each_dialect_reads_its_own_quotes() {
    use Dialect::*;
    let d = |dialect: Dialect, sql: &str| dialect.sanitize(sql, 10_000);
    // A string ending in a backslash is closed by its quote outside MySQL.
    for dialect in [Postgres, Sqlite, MsSql, Oracle] {
        assert_eq!(
            d(dialect, r"SELECT * FROM t WHERE p = 'C:\' AND q = 'secret'"),
            "SELECT * FROM t WHERE p = ? AND q = ?",
            "{dialect:?}"
        );
    }
    assert_eq!(
        d(
            MySql,
            r"SELECT * FROM t WHERE p = 'C:\\' AND q = 'it\'s secret'"
        ),
        "SELECT * FROM t WHERE p = ? AND q = ?"
    );
    // Unknown origin: the end of the string cannot be known, so nothing after it shows.
    assert_eq!(d(Generic, r"SELECT 'C:\', 'secret', x"), "SELECT ?");
    // E'…' escapes in PostgreSQL.
    assert_eq!(
        d(Postgres, r"SELECT E'it\'s', 'C:\' FROM t"),
        "SELECT ?, ? FROM t"
    );
    // MySQL's double-quoted strings; names elsewhere.
    assert_eq!(
        d(
            MySql,
            r#"SELECT * FROM t WHERE a = "sec\"ret" OR b = "x""y""#
        ),
        "SELECT * FROM t WHERE a = ? OR b = ?"
    );
    assert_eq!(
        d(Postgres, r#"SELECT "Name" FROM "Users""#),
        r#"SELECT "Name" FROM "Users""#
    );
    assert_eq!(
        d(Generic, r#"SELECT "secret" FROM "users""#),
        r#"SELECT ? FROM "users""#
    );
    assert_eq!(
        d(Sqlite, r#"UPDATE "t" SET a = "secret""#),
        r#"UPDATE "t" SET a = ?"#
    );
    // Brackets: PostgreSQL arrays and subscripts; SQL Server names.
    assert_eq!(
        d(Postgres, "SELECT ARRAY['secret', 'x'], a[2] FROM t"),
        "SELECT ARRAY[?, ?], a[?] FROM t"
    );
    assert_eq!(
        d(
            MsSql,
            "SELECT [Order Id] FROM [dbo].[Orders] WHERE x = N'secret'"
        ),
        "SELECT [Order Id] FROM [dbo].[Orders] WHERE x = ?"
    );
    // Whatever is never closed hides everything after it.
    assert_eq!(d(Postgres, r#"SELECT "unclosed, 'x' secret"#), "SELECT ?");
    assert_eq!(d(MsSql, "SELECT [unclosed secret"), "SELECT ?");
    assert_eq!(d(Generic, "SELECT `unclosed secret"), "SELECT ?");
    // Oracle's alternative quoting.
    assert_eq!(
        d(Oracle, "SELECT q'[it's secret]', nq'{x}' FROM dual"),
        "SELECT ?, ? FROM dual"
    );
    assert_eq!(
        d(Generic, "SELECT Q'<a'b>' FROM dual"),
        "SELECT ? FROM dual"
    );
    assert_eq!(d(Oracle, "SELECT q'[never closed secret"), "SELECT ?");
}

#[test]
fn hash_is_a_comment_only_in_mysql() {
    let sql = "SELECT data #>> '{a,b}', data # 'x' FROM docs WHERE id = 1";
    assert_eq!(
        Dialect::Postgres.sanitize(sql, 1000),
        "SELECT data #>> ?, data # ? FROM docs WHERE id = ?"
    );
    assert_eq!(
        Dialect::Postgres.summarize(sql).as_deref(),
        Some("SELECT docs")
    );
    assert_eq!(Dialect::MySql.sanitize(sql, 1000), "SELECT data");
}

#[test]
fn systems_map_to_dialects() {
    for (system, dialect) in [
        ("postgresql", Dialect::Postgres),
        ("cockroachdb", Dialect::Postgres),
        ("sqlite", Dialect::Sqlite),
        ("mysql", Dialect::MySql),
        ("mariadb", Dialect::MySql),
        ("microsoft.sql_server", Dialect::MsSql),
        ("oracle.db", Dialect::Oracle),
        ("redis", Dialect::Generic),
    ] {
        assert_eq!(Dialect::from_system(system), dialect, "{system}");
    }
}
