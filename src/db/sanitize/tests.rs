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
        s("SELECT /* a /* nested */ comment */ 1 -- tail\nFROM t # mysql"),
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
