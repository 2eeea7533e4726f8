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

fn tokenize(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let n = chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // Comments.
        if c == '-' && next == Some('-') || c == '#' {
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
        // String literals, with '' and backslash escapes; an unterminated one runs to the end.
        if c == '\'' {
            i += 1;
            while i < n {
                match chars[i] {
                    '\\' => i += 2,
                    '\'' if chars.get(i + 1) == Some(&'\'') => i += 2,
                    '\'' => {
                        i += 1;
                        break;
                    }
                    _ => i += 1,
                }
            }
            out.push(Token::Literal);
            continue;
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
                let tag: Vec<char> = chars[i..=j].to_vec();
                i = j + 1;
                loop {
                    if i >= n {
                        break;
                    }
                    if chars[i..].starts_with(&tag) {
                        i += tag.len();
                        break;
                    }
                    i += 1;
                }
                out.push(Token::Literal);
                continue;
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
        // Quoted identifiers: kept as written.
        if c == '"' || c == '`' || c == '[' {
            let close = if c == '[' { ']' } else { c };
            let start = i;
            i += 1;
            while i < n && chars[i] != close {
                i += 1;
            }
            i = (i + 1).min(n);
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
            // Prefixed strings: E'…', N'…', X'…', B'…' are literals as a whole.
            if i < n
                && chars[i] == '\''
                && matches!(
                    word.to_ascii_uppercase().as_str(),
                    "E" | "N" | "X" | "B" | "U&"
                )
            {
                continue;
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

fn render(tokens: &[Token]) -> String {
    let mut s = String::new();
    let mut prev: Option<&Token> = None;
    for t in tokens {
        let text: &str = match t {
            Token::Word(w) => w,
            Token::Literal => "?",
            Token::Param(p) => p,
            Token::Punct(c) => {
                let glue = matches!(c, ',' | ')' | ';' | '.')
                    || matches!(prev, Some(Token::Punct('(')) | Some(Token::Punct('.')));
                if !glue && !s.is_empty() {
                    s.push(' ');
                }
                s.push(*c);
                prev = Some(t);
                continue;
            }
        };
        let glue = matches!(prev, Some(Token::Punct('(')) | Some(Token::Punct('.')));
        if !glue && !s.is_empty() {
            s.push(' ');
        }
        s.push_str(text);
        prev = Some(t);
    }
    s
}

/// `sql` with literals replaced by `?`, comments removed, whitespace folded, `IN`
/// lists collapsed, and cut to at most `max_chars` characters.
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
    sanitize_tokens(&tokenize(sql), max_chars)
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

pub(crate) fn analyze(sql: &str, max_chars: usize) -> Analysis {
    let tokens = tokenize(sql);
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
/// `INSERT orders SELECT carts`; `None` when no known operation is found.
///
/// ```
/// use ferrotel::db::summarize;
/// assert_eq!(summarize("select id from public.users u join orders o on o.uid = u.id").as_deref(), Some("SELECT public.users"));
/// assert_eq!(summarize("INSERT INTO orders (id) SELECT id FROM carts").as_deref(), Some("INSERT orders SELECT carts"));
/// assert_eq!(summarize("hello world"), None);
/// ```
pub fn summarize(sql: &str) -> Option<String> {
    summary_of(&operations(&tokenize(sql)))
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
