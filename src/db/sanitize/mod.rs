//! SQL sanitizer: query text with every literal replaced by `?`, and the
//! low-cardinality summary (`SELECT users`) the DB conventions name spans by.
//!
//! It is a tokenizer, not a parser: it never fails and never panics, whatever the
//! input, and errs on the side of hiding text (an unterminated string hides the rest).

/// Statement keywords that start an operation in a summary.
const OPERATIONS: [&str; 14] = [
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE", "DROP",
    "ALTER", "TRUNCATE", "WITH", "CALL", "EXEC",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A keyword or identifier, as written (quoted identifiers keep their quotes).
    Word(String),
    /// A literal, already replaced: always `?`.
    Literal,
    /// A bind parameter as written: `?`, `$1`, `:name`, `@p1`.
    Param(String),
    /// Punctuation and operators, one character each.
    Punct(char),
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// How a database reads the characters SQL dialects disagree on: `"`, `[`, `#`, a
/// backslash in a string, Oracle's `q'[…]'`. It decides what the sanitizer hides.
///
/// [`Db`](crate::db::Db) picks it from its `db.system.name`; [`Dialect::Generic`] is for
/// text of unknown origin and reads every dialect's literals as literals.
///
/// | dialect | `"…"` | `[…]` | `#` | `\` in `'…'` |
/// |---|---|---|---|---|
/// | `Generic` | a literal (a name after `FROM`, `INTO`, `UPDATE`, `JOIN`, `TABLE`, `.`) | brackets | an operator | an escape or the end: ambiguous, the rest is hidden |
/// | `Postgres` | a name | brackets (`ARRAY[…]`, `a[1]`) | an operator (`#>>`) | a character (an escape in `E'…'`) |
/// | `Sqlite` | as `Generic` (SQLite reads it as a string when no column matches) | a name | an operator | a character |
/// | `MySql` | a literal (`\` escapes) | brackets | a comment | an escape |
/// | `MsSql` | a name | a name | an operator | a character |
/// | `Oracle` | a name | brackets | an operator | a character; `q'[…]'` is a literal |
///
/// Whatever cannot be closed — an unterminated string, name or comment, or a
/// `Generic` ambiguity — hides everything after it.
///
/// ```
/// use ferrotel::db::Dialect;
/// assert_eq!(Dialect::Postgres.sanitize(r"SELECT 'C:\', 'x' FROM t", 100), "SELECT ?, ? FROM t");
/// assert_eq!(Dialect::MySql.sanitize(r#"SELECT "it\"s" FROM t # note"#, 100), "SELECT ? FROM t");
/// assert_eq!(Dialect::Generic.sanitize(r"SELECT 'C:\', 'secret' FROM t", 100), "SELECT ?");
/// assert_eq!(Dialect::from_system("postgresql"), Dialect::Postgres);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// Unknown origin: every dialect's literal is a literal; an ambiguity hides the rest.
    #[default]
    Generic,
    /// PostgreSQL (and CockroachDB, Redshift).
    Postgres,
    /// SQLite.
    Sqlite,
    /// MySQL and MariaDB.
    MySql,
    /// Microsoft SQL Server.
    MsSql,
    /// Oracle Database.
    Oracle,
}

impl Dialect {
    /// The dialect of a `db.system.name` value; [`Dialect::Generic`] for any other.
    ///
    /// ```
    /// use ferrotel::db::Dialect;
    /// assert_eq!(Dialect::from_system("mariadb"), Dialect::MySql);
    /// assert_eq!(Dialect::from_system("h2"), Dialect::Generic);
    /// ```
    pub fn from_system(system: &str) -> Dialect {
        match system {
            "postgresql" | "cockroachdb" | "aws.redshift" | "redshift" => Dialect::Postgres,
            "sqlite" => Dialect::Sqlite,
            "mysql" | "mariadb" | "tidb" => Dialect::MySql,
            "microsoft.sql_server" | "mssql" => Dialect::MsSql,
            "oracle.db" | "oracle" => Dialect::Oracle,
            _ => Dialect::Generic,
        }
    }

    /// `sql` as [`sanitize`] renders it, read in this dialect.
    ///
    /// ```
    /// use ferrotel::db::Dialect;
    /// assert_eq!(Dialect::Postgres.sanitize("SELECT data #>> '{a,b}' FROM docs", 100), "SELECT data #>> ? FROM docs");
    /// ```
    pub fn sanitize(self, sql: &str, max_chars: usize) -> String {
        sanitize_tokens(&tokenize(sql, self), max_chars)
    }

    /// `sql`'s summary as [`summarize`] gives it, read in this dialect.
    ///
    /// ```
    /// use ferrotel::db::Dialect;
    /// assert_eq!(Dialect::Postgres.summarize("SELECT data #>> '{a}' FROM docs").as_deref(), Some("SELECT docs"));
    /// ```
    pub fn summarize(self, sql: &str) -> Option<String> {
        summary_of(&operations(&tokenize(sql, self)))
    }

    /// What `"` opens.
    fn double_quote(self) -> Quote {
        match self {
            Dialect::Postgres | Dialect::MsSql | Dialect::Oracle => Quote::Name,
            Dialect::MySql => Quote::String,
            Dialect::Generic | Dialect::Sqlite => Quote::StringUnlessNamePosition,
        }
    }

    /// How a backslash inside a plain `'…'` reads.
    fn backslash(self) -> Backslash {
        match self {
            Dialect::MySql => Backslash::Escape,
            Dialect::Generic => Backslash::Ambiguous,
            _ => Backslash::Plain,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    Name,
    String,
    StringUnlessNamePosition,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backslash {
    /// `\x` is one escaped character.
    Escape,
    /// A backslash is an ordinary character.
    Plain,
    /// Either: a `\` before the closing quote makes the end unknowable.
    Ambiguous,
}

/// Where a quoted run ended.
enum Close {
    /// Just after the closing quote.
    At(usize),
    /// Never: it runs to the end of the text, or its end cannot be known.
    Never,
}

/// Scans a string opened by `quote` at `open`: doubled quotes are one character and a
/// backslash reads as `backslash` says.
fn close_string(chars: &[char], open: usize, quote: char, backslash: Backslash) -> Close {
    let mut i = open + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && backslash != Backslash::Plain {
            match chars.get(i + 1) {
                Some(&q) if q == quote && backslash == Backslash::Ambiguous => return Close::Never,
                _ => i += 2,
            }
            continue;
        }
        if c == quote {
            if chars.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Close::At(i + 1);
        }
        i += 1;
    }
    Close::Never
}

/// Oracle's `q'<d>…<d>'` at `open` (the quote after `q`): the delimiter pairs `[]`, `{}`,
/// `()`, `<>`, or any other character closes itself.
fn close_q_quote(chars: &[char], open: usize) -> Close {
    let Some(&d) = chars.get(open + 1) else {
        return Close::Never;
    };
    let close = match d {
        '[' => ']',
        '{' => '}',
        '(' => ')',
        '<' => '>',
        other => other,
    };
    let mut i = open + 2;
    while i + 1 < chars.len() {
        if chars[i] == close && chars[i + 1] == '\'' {
            return Close::At(i + 2);
        }
        i += 1;
    }
    Close::Never
}

/// Words after which a quoted token is a table name, never a value.
fn names_follow(prev: Option<&Token>) -> bool {
    match prev {
        Some(Token::Punct('.')) => true,
        Some(Token::Word(w)) => ["FROM", "INTO", "UPDATE", "JOIN", "TABLE"]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k)),
        _ => false,
    }
}

fn tokenize(sql: &str, dialect: Dialect) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let n = chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    // Pushes a literal that ends at `close`, or a literal hiding the rest of the text.
    macro_rules! literal_until {
        ($close:expr) => {{
            out.push(Token::Literal);
            match $close {
                Close::At(end) => {
                    i = end;
                    continue;
                }
                Close::Never => break,
            }
        }};
    }
    while i < n {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // Comments.
        if c == '-' && next == Some('-') || c == '#' && dialect == Dialect::MySql {
            while i < n && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < n {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' {
            literal_until!(close_string(&chars, i, '\'', dialect.backslash()));
        }
        // Dollar: $1 parameter, or a $tag$ … $tag$ string.
        if c == '$' {
            if next.is_some_and(|d| d.is_ascii_digit()) {
                let start = i;
                i += 1;
                while i < n && chars[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(Token::Param(chars[start..i].iter().collect()));
                continue;
            }
            let mut j = i + 1;
            while j < n && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            if j < n && chars[j] == '$' {
                let tag = &chars[i..=j];
                let mut k = j + 1;
                let close = loop {
                    if k >= n {
                        break Close::Never;
                    }
                    if chars[k..].starts_with(tag) {
                        break Close::At(k + tag.len());
                    }
                    k += 1;
                };
                literal_until!(close);
            }
            out.push(Token::Punct('$'));
            i += 1;
            continue;
        }
        // Numbers (decimal, exponent, hex), not inside identifiers.
        if c.is_ascii_digit() || (c == '.' && next.is_some_and(|d| d.is_ascii_digit())) {
            i += 1;
            while i < n && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                // An exponent sign: 1e-5.
                if (chars[i] == 'e' || chars[i] == 'E')
                    && matches!(chars.get(i + 1), Some('+') | Some('-'))
                {
                    i += 1;
                }
                i += 1;
            }
            out.push(Token::Literal);
            continue;
        }
        if c == '"' {
            let name = match dialect.double_quote() {
                Quote::Name => true,
                Quote::String => false,
                Quote::StringUnlessNamePosition => names_follow(out.last()),
            };
            if !name {
                let backslash = match dialect {
                    Dialect::MySql => Backslash::Escape,
                    Dialect::Generic => Backslash::Ambiguous,
                    _ => Backslash::Plain,
                };
                literal_until!(close_string(&chars, i, '"', backslash));
            }
        }
        // Quoted names, kept as written; one never closed hides the rest.
        let brackets_name = matches!(dialect, Dialect::MsSql | Dialect::Sqlite);
        if c == '"' || c == '`' || (c == '[' && brackets_name) {
            let close = if c == '[' { ']' } else { c };
            let start = i;
            i += 1;
            while i < n && chars[i] != close {
                i += 1;
            }
            if i == n {
                out.push(Token::Literal);
                break;
            }
            i += 1;
            out.push(Token::Word(chars[start..i].iter().collect()));
            continue;
        }
        // Named parameters.
        if (c == ':' || c == '@') && next.is_some_and(is_ident_start) {
            let start = i;
            i += 1;
            while i < n && is_ident(chars[i]) {
                i += 1;
            }
            out.push(Token::Param(chars[start..i].iter().collect()));
            continue;
        }
        if c == '?' {
            out.push(Token::Param("?".into()));
            i += 1;
            continue;
        }
        if is_ident_start(c) {
            let start = i;
            while i < n && is_ident(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if i < n && chars[i] == '\'' {
                let upper = word.to_ascii_uppercase();
                // Oracle's alternative quoting: q'[…]', nq'{…}'.
                if matches!(upper.as_str(), "Q" | "NQ")
                    && matches!(dialect, Dialect::Oracle | Dialect::Generic)
                {
                    literal_until!(close_q_quote(&chars, i));
                }
                // E'…' reads backslash escapes in every dialect that has it.
                if upper == "E" {
                    literal_until!(close_string(&chars, i, '\'', Backslash::Escape));
                }
                // N'…', X'…', B'…': the prefix belongs to the literal.
                if matches!(upper.as_str(), "N" | "X" | "B") {
                    continue;
                }
            }
            if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") {
                out.push(Token::Literal);
            } else {
                out.push(Token::Word(word));
            }
            continue;
        }
        out.push(Token::Punct(c));
        i += 1;
    }
    collapse_in_lists(out)
}

/// `IN (?, ?, $3)` → `IN (?)`; a subquery `IN (SELECT …)` is kept.
fn collapse_in_lists(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let is_in = matches!(&tokens[i], Token::Word(w) if w.eq_ignore_ascii_case("in"));
        if is_in && tokens.get(i + 1) == Some(&Token::Punct('(')) {
            let mut j = i + 2;
            let mut only_values = true;
            while j < tokens.len() && tokens[j] != Token::Punct(')') {
                if !matches!(
                    tokens[j],
                    Token::Literal | Token::Param(_) | Token::Punct(',') | Token::Punct('-')
                ) {
                    only_values = false;
                    break;
                }
                j += 1;
            }
            if only_values && j > i + 2 {
                out.push(tokens[i].clone());
                out.push(Token::Punct('('));
                out.push(Token::Literal);
                out.push(Token::Punct(')'));
                i = (j + 1).min(tokens.len());
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

/// Characters that glue into one operator when written together (`>=`, `#>>`, `||`).
fn is_operator(c: char) -> bool {
    matches!(
        c,
        '<' | '>' | '=' | '!' | '#' | '|' | '&' | '~' | '^' | '%' | '*' | '+' | '-' | '/' | ':'
    )
}

fn render(tokens: &[Token]) -> String {
    let mut s = String::new();
    let mut prev: Option<&Token> = None;
    for t in tokens {
        let after_open = matches!(
            prev,
            Some(Token::Punct('(')) | Some(Token::Punct('[')) | Some(Token::Punct('.'))
        );
        let text: &str = match t {
            Token::Word(w) => w,
            Token::Literal => "?",
            Token::Param(p) => p,
            Token::Punct(c) => {
                let operator_run =
                    is_operator(*c) && matches!(prev, Some(Token::Punct(p)) if is_operator(*p));
                let subscript = *c == '[' && matches!(prev, Some(Token::Word(_)));
                let glue = matches!(c, ',' | ')' | ']' | ';' | '.' | ':')
                    || after_open
                    || operator_run
                    || subscript;
                if !glue && !s.is_empty() {
                    s.push(' ');
                }
                s.push(*c);
                prev = Some(t);
                continue;
            }
        };
        if !after_open && !s.is_empty() {
            s.push(' ');
        }
        s.push_str(text);
        prev = Some(t);
    }
    s
}

/// `sql` with literals replaced by `?`, comments removed, whitespace folded, `IN`
/// lists collapsed, and cut to at most `max_chars` characters; read as
/// [`Dialect::Generic`] (text of unknown origin). A [`Db`](crate::db::Db) reads its own
/// system's dialect.
///
/// ```
/// use ferrotel::db::sanitize;
/// assert_eq!(
///     sanitize("SELECT * FROM users WHERE name = 'ann' AND id IN (1, 2, 3) -- hi", 1000),
///     "SELECT * FROM users WHERE name = ? AND id IN (?)"
/// );
/// assert_eq!(sanitize("UPDATE t SET a = $1 WHERE b = :b", 1000), "UPDATE t SET a = $1 WHERE b = :b");
/// ```
pub fn sanitize(sql: &str, max_chars: usize) -> String {
    Dialect::Generic.sanitize(sql, max_chars)
}

fn sanitize_tokens(tokens: &[Token], max_chars: usize) -> String {
    let s = render(tokens);
    match s.char_indices().nth(max_chars) {
        Some((cut, _)) => s[..cut].to_string(),
        None => s,
    }
}

/// Everything the DB instrumentation records about a statement, from one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Analysis {
    pub(crate) text: String,
    pub(crate) summary: Option<String>,
    pub(crate) operation: Option<String>,
    pub(crate) collection: Option<String>,
}

pub(crate) fn analyze(sql: &str, dialect: Dialect, max_chars: usize) -> Analysis {
    let tokens = tokenize(sql, dialect);
    let parts = operations(&tokens);
    let (operation, collection) = match parts.first() {
        Some((op, target)) => (Some(op.clone()), target.clone()),
        None => (None, None),
    };
    Analysis {
        text: sanitize_tokens(&tokens, max_chars),
        summary: summary_of(&parts),
        operation,
        collection,
    }
}

/// The operation and collection of each statement, e.g. `SELECT users` or
/// `INSERT orders SELECT carts`; `None` when no known operation is found. Read as
/// [`Dialect::Generic`].
///
/// ```
/// use ferrotel::db::summarize;
/// assert_eq!(summarize("select id from public.users u join orders o on o.uid = u.id").as_deref(), Some("SELECT public.users"));
/// assert_eq!(summarize("INSERT INTO orders (id) SELECT id FROM carts").as_deref(), Some("INSERT orders SELECT carts"));
/// assert_eq!(summarize("hello world"), None);
/// ```
pub fn summarize(sql: &str) -> Option<String> {
    Dialect::Generic.summarize(sql)
}

fn summary_of(parts: &[(String, Option<String>)]) -> Option<String> {
    if parts.is_empty() {
        return None;
    }
    let mut summary = parts
        .iter()
        .map(|(op, target)| match target {
            Some(t) => format!("{op} {t}"),
            None => op.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    if let Some((cut, _)) = summary.char_indices().nth(255) {
        summary.truncate(cut);
    }
    Some(summary)
}

/// Each statement's operation and its collection, in order.
fn operations(tokens: &[Token]) -> Vec<(String, Option<String>)> {
    let words: Vec<&str> = tokens
        .iter()
        .map(|t| match t {
            Token::Word(w) => w.as_str(),
            Token::Punct('.') => ".",
            _ => "",
        })
        .collect();
    let mut parts: Vec<(String, Option<String>)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let upper = words[i].to_ascii_uppercase();
        if OPERATIONS.contains(&upper.as_str()) && upper != "WITH" {
            // The collection: after FROM / INTO / TABLE, or right after UPDATE.
            let mut j = i + 1;
            let mut target = None;
            while j < words.len() {
                let w = words[j].to_ascii_uppercase();
                if OPERATIONS.contains(&w.as_str()) {
                    break;
                }
                let takes_next = matches!(w.as_str(), "FROM" | "INTO" | "TABLE" | "JOIN")
                    || (upper == "UPDATE" && j == i + 1);
                let name_at = if upper == "UPDATE" && j == i + 1 {
                    j
                } else {
                    j + 1
                };
                if takes_next && target.is_none() {
                    target = qualified_name(&words, name_at);
                    if target.is_some() {
                        break;
                    }
                }
                j += 1;
            }
            parts.push((upper, target));
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    parts
}

/// `schema.table` starting at `at`, if a name is there.
fn qualified_name(words: &[&str], at: usize) -> Option<String> {
    let first = *words.get(at)?;
    if first.is_empty()
        || first == "."
        || matches!(
            first.to_ascii_uppercase().as_str(),
            "IF" | "NOT" | "EXISTS" | "ONLY" | "LATERAL"
        )
    {
        // CREATE TABLE IF NOT EXISTS t: skip the qualifiers.
        if matches!(
            first.to_ascii_uppercase().as_str(),
            "IF" | "NOT" | "EXISTS" | "ONLY"
        ) {
            return qualified_name(words, at + 1);
        }
        return None;
    }
    let mut name = first.to_string();
    let mut k = at + 1;
    while words.get(k) == Some(&".") {
        match words.get(k + 1) {
            Some(w) if !w.is_empty() && *w != "." => {
                name.push('.');
                name.push_str(w);
                k += 2;
            }
            _ => break,
        }
    }
    Some(name)
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
