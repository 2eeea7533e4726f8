//! Statements with literals of every kind each SQL dialect writes, in every position,
//! for the sanitizer's property test (`tests/instruments`) and its fuzzing run
//! (`benches/sanitizer_fuzz.rs`). Each statement carries the secrets its literals hold:
//! none may survive sanitizing in the statement's own dialect.
#![allow(dead_code, unreachable_pub)]

use ferrotel::db::Dialect;
use proptest::prelude::*;

/// Every dialect the sanitizer knows.
pub const DIALECTS: [Dialect; 6] = [
    Dialect::Generic,
    Dialect::Postgres,
    Dialect::Sqlite,
    Dialect::MySql,
    Dialect::MsSql,
    Dialect::Oracle,
];

/// Literals every dialect writes: `{s}` is a word secret, `{n}` a digit secret.
const COMMON: &[&str] = &[
    "'{s}'",
    "'it''s {s}'",
    "N'{s}'",
    "{n}",
    "-{n}",
    "{n}.25",
    "0.{n}",
    "'{s}' || 'x'",
];
/// A backslash is an ordinary character in a string.
const BACKSLASH_PLAIN: &[&str] = &[r"'C:\{s}\'", r"'{s}\'"];
/// MySQL: backslash escapes, double-quoted strings.
const MYSQL: &[&str] = &[
    r"'it\'s {s}'",
    r"'C:\\{s}\\'",
    r#""{s}""#,
    r#""it\"s {s}""#,
    r#""a""{s}""#,
];
const POSTGRES: &[&str] = &[
    "$${s}$$",
    "$q${s}$q$",
    r"E'it\'s {s}'",
    r"E'C:\\{s}'",
    "ARRAY['{s}', {n}]",
    "'{\"k\": \"{s}\"}'::jsonb",
];
const SQLITE: &[&str] = &[r#""{s}""#, "X'{n}'"];
const ORACLE: &[&str] = &["q'[{s}]'", "q'{it's {s}}'", "nq'<{s}>'", "Q'!{s}!'"];

/// Code between literals: balanced, and never a name position (`FROM`, `INTO`, `.`)
/// right before a literal, where a quoted token is a name in every dialect.
const CODE: &[&str] = &[
    "SELECT",
    "SELECT *",
    "FROM users WHERE email =",
    "AND id =",
    "OR",
    ",",
    "(",
    ")",
    "IN (",
    "VALUES (",
    "SET note =",
    "WHERE",
    "LIKE",
    "CASE WHEN a =",
    "THEN",
    "ELSE",
    "END",
    ";",
    "-- trailing note\n",
    "/* note */",
    "=",
    "<>",
    "||",
    "+",
    "a.b =",
    "LIMIT",
    "?",
    "$1",
    ":name",
    "@p1",
    "INSERT INTO t (a, b) VALUES (",
    "UPDATE t SET a =",
    "data #>> '{a}' =",
    "`col` =",
];
const CODE_POSTGRES: &[&str] = &["tags[1] =", "x::text =", "\"Name\" ="];
const CODE_MYSQL: &[&str] = &["# a comment\n"];
const CODE_BRACKETS: &[&str] = &["[Order Id] ="];
const CODE_QUOTED_NAME: &[&str] = &["\"Name\" ="];

/// The literal forms `dialect` writes; [`Dialect::Generic`] gets every dialect's.
pub fn literal_forms(dialect: Dialect) -> Vec<&'static str> {
    let mut forms = COMMON.to_vec();
    let extra: &[&[&str]] = match dialect {
        Dialect::Postgres => &[BACKSLASH_PLAIN, POSTGRES],
        Dialect::Sqlite => &[BACKSLASH_PLAIN, SQLITE],
        Dialect::MySql => &[MYSQL],
        Dialect::MsSql => &[BACKSLASH_PLAIN],
        Dialect::Oracle => &[BACKSLASH_PLAIN, ORACLE],
        _ => &[BACKSLASH_PLAIN, MYSQL, POSTGRES, SQLITE, ORACLE],
    };
    for more in extra {
        forms.extend_from_slice(more);
    }
    forms
}

/// The code fragments `dialect` reads as code.
pub fn code_forms(dialect: Dialect) -> Vec<&'static str> {
    let mut forms = CODE.to_vec();
    let extra: &[&[&str]] = match dialect {
        Dialect::Postgres => &[CODE_POSTGRES],
        Dialect::MySql => &[CODE_MYSQL],
        Dialect::MsSql => &[CODE_BRACKETS, CODE_QUOTED_NAME],
        Dialect::Sqlite => &[CODE_BRACKETS],
        Dialect::Oracle => &[CODE_QUOTED_NAME],
        _ => &[],
    };
    for more in extra {
        forms.extend_from_slice(more);
    }
    forms
}

/// One generated statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub dialect: Dialect,
    pub sql: String,
    /// The text inside the statement's literals that must not survive.
    pub secrets: Vec<String>,
}

#[derive(Debug, Clone)]
enum Piece {
    Code(&'static str),
    Literal(&'static str, String, String),
}

/// Statements of `dialect`: one to eight pieces of code and literals (at least one
/// literal), separated by spaces, newlines or tabs.
pub fn statement(dialect: Dialect) -> impl Strategy<Value = Statement> {
    let literals = literal_forms(dialect);
    let code = code_forms(dialect);
    let literal = (
        prop::sample::select(literals),
        "zq[a-z0-9]{6,10}",
        "[1-9][0-9]{6,11}",
    )
        .prop_map(|(form, s, n)| Piece::Literal(form, s, n));
    let piece = prop_oneof![
        prop::sample::select(code).prop_map(Piece::Code),
        literal.clone(),
    ];
    let separator = || prop::sample::select(vec![" ", "\n", "\t", "  "]);
    // Up to seven pieces, and one literal inserted at any place among them.
    (
        prop::collection::vec((piece, separator()), 0..7),
        (literal, separator()),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut pieces, one, at)| {
            pieces.insert(at.index(pieces.len() + 1), one);
            pieces
        })
        .prop_map(move |pieces| {
            let mut sql = String::new();
            let mut secrets = Vec::new();
            for (piece, separator) in pieces {
                match piece {
                    Piece::Code(code) => sql.push_str(code),
                    Piece::Literal(form, s, n) => {
                        sql.push_str(&form.replace("{s}", &s).replace("{n}", &n));
                        if form.contains("{s}") {
                            secrets.push(s);
                        }
                        if form.contains("{n}") {
                            secrets.push(n);
                        }
                    }
                }
                sql.push_str(separator);
            }
            Statement {
                dialect,
                sql,
                secrets,
            }
        })
}

/// Statements of any dialect.
pub fn any_statement() -> impl Strategy<Value = Statement> {
    prop::sample::select(DIALECTS.to_vec()).prop_flat_map(statement)
}

/// The first secret of `statement` that survives sanitizing, with the output.
pub fn leak(statement: &Statement) -> Option<(String, String)> {
    let out = statement.dialect.sanitize(&statement.sql, 100_000);
    statement
        .secrets
        .iter()
        .find(|s| out.contains(s.as_str()))
        .map(|s| (s.clone(), out))
}
