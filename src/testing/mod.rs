//! Helpers for testing instrumented code (feature `testing`).
//!
//! [`Capture`] holds the spans, metric points and log records that code produced, in
//! memory, for a unit test to assert on. [`parse_exposition`] reads the Prometheus text
//! format the way Prometheus does, so a test can assert on series and labels instead of
//! grepping strings.
//!
//! ```
//! use ferrotel::testing::parse_exposition;
//!
//! let text = "# TYPE http_requests_total counter\n\
//!             http_requests_total{route=\"/chat\",service_name=\"api\"} 3\n";
//! let scrape = parse_exposition(text).unwrap();
//! assert_eq!(scrape.value("http_requests_total", &[("route", "/chat")]), Some(3.0));
//! assert_eq!(scrape.kind("http_requests_total"), Some("counter"));
//! ```

use std::collections::BTreeMap;

mod capture;
#[cfg(feature = "genai")]
#[cfg_attr(docsrs, doc(cfg(feature = "genai")))]
pub mod openai;

pub use capture::{Capture, Log, Point};

/// One sample line: a series and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Series name, e.g. `http_server_request_duration_seconds_bucket`.
    pub name: String,
    /// Labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// The value (`+Inf`, `-Inf` and `NaN` included).
    pub value: f64,
}

/// A whole scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    /// Samples in the order they appeared.
    pub samples: Vec<Sample>,
    /// `# TYPE` of each metric family.
    pub kinds: BTreeMap<String, String>,
    /// `# HELP` of each metric family.
    pub help: BTreeMap<String, String>,
}

/// A line the parser could not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the exposition is not valid: {reason}: {text:?}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// The line.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Scrape {
    /// Samples named `name` whose labels include every pair in `labels`.
    pub fn find<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// Samples of any name whose labels include every pair in `labels`.
    pub fn find_any_name<'a>(
        &'a self,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// The sum of the values of [`find`](Scrape::find)'s samples, or `None` when there are none.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut found = false;
        let sum = self.find(name, labels).fold(0.0, |acc, s| {
            found = true;
            acc + s.value
        });
        found.then_some(sum)
    }

    /// The `# TYPE` of a family.
    pub fn kind(&self, family: &str) -> Option<&str> {
        self.kinds.get(family).map(String::as_str)
    }

    /// Every distinct sample name.
    pub fn names(&self) -> std::collections::BTreeSet<&str> {
        self.samples.iter().map(|s| s.name.as_str()).collect()
    }
}

/// Parses the Prometheus text exposition format (version 0.0.4).
pub fn parse_exposition(text: &str) -> Result<Scrape, ParseError> {
    let mut scrape = Scrape::default();
    for (i, line) in text.lines().enumerate() {
        let err = |reason| ParseError {
            line: i + 1,
            text: line.to_string(),
            reason,
        };
        let line_t = line.trim();
        if line_t.is_empty() {
            continue;
        }
        if let Some(rest) = line_t.strip_prefix('#') {
            let rest = rest.trim_start();
            if let Some(t) = rest.strip_prefix("TYPE ") {
                let (name, kind) = t
                    .split_once(' ')
                    .ok_or_else(|| err("TYPE without a kind"))?;
                let kind = kind.trim();
                if !matches!(
                    kind,
                    "counter" | "gauge" | "histogram" | "summary" | "untyped"
                ) {
                    return Err(err("unknown TYPE"));
                }
                check_name(name).map_err(err)?;
                scrape.kinds.insert(name.to_string(), kind.to_string());
            } else if let Some(h) = rest.strip_prefix("HELP ") {
                let (name, help) = h.split_once(' ').unwrap_or((h, ""));
                scrape.help.insert(name.to_string(), help.to_string());
            }
            continue;
        }
        scrape.samples.push(parse_sample(line_t).map_err(err)?);
    }
    Ok(scrape)
}

fn check_name(name: &str) -> Result<(), &'static str> {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':' => {}
        _ => return Err("a metric name must start with a letter, '_' or ':'"),
    }
    if chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        Ok(())
    } else {
        Err("a metric name may hold only letters, digits, '_' and ':'")
    }
}

fn parse_sample(line: &str) -> Result<Sample, &'static str> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or("a sample needs a value")?;
    let name = &line[..name_end];
    check_name(name)?;
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices().peekable();
        let close;
        loop {
            // label name
            while chars
                .peek()
                .is_some_and(|(_, c)| *c == ',' || c.is_whitespace())
            {
                chars.next();
            }
            let Some(&(start, c)) = chars.peek() else {
                return Err("unterminated label set");
            };
            if c == '}' {
                close = start;
                break;
            }
            let mut end = start;
            while let Some(&(j, c)) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    end = j + c.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            if end == start {
                return Err("bad label name");
            }
            let key = &body[start..end];
            if chars.next().map(|(_, c)| c) != Some('=') {
                return Err("label name without '='");
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err("label value must be quoted");
            }
            let mut value = String::new();
            loop {
                match chars.next() {
                    None => return Err("unterminated label value"),
                    Some((_, '"')) => break,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        _ => return Err("bad escape in label value"),
                    },
                    Some((_, c)) => value.push(c),
                }
            }
            if labels.insert(key.to_string(), value).is_some() {
                return Err("duplicate label");
            }
        }
        rest = &body[close + 1..];
    }
    let mut parts = rest.split_whitespace();
    let value = parts.next().ok_or("a sample needs a value")?;
    let value = match value {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse::<f64>().map_err(|_| "the value is not a number")?,
    };
    if let Some(ts) = parts.next() {
        ts.parse::<i64>()
            .map_err(|_| "the timestamp is not an integer")?;
    }
    if parts.next().is_some() {
        return Err("trailing text after the sample");
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_escapes_and_special_values() {
        let s = parse_exposition(
            "# HELP x_total Things.\n# TYPE x_total counter\n\
             x_total{a=\"1\",b=\"q\\\"uo\\\\te\\n\"} 2.5\n\
             h_bucket{le=\"+Inf\"} +Inf\n\
             g NaN 1700000000\n",
        )
        .unwrap();
        assert_eq!(s.kind("x_total"), Some("counter"));
        assert_eq!(s.help["x_total"], "Things.");
        assert_eq!(s.samples[0].labels["b"], "q\"uo\\te\n");
        assert_eq!(s.value("x_total", &[("a", "1")]), Some(2.5));
        assert_eq!(s.value("x_total", &[("a", "2")]), None);
        assert!(s.samples[1].value.is_infinite());
        assert!(s.samples[2].value.is_nan());
    }

    #[test]
    fn rejects_malformed_lines_with_their_number() {
        for bad in [
            "x{a=1} 1",
            "x{a=\"1\" 1",
            "x{a=\"1\"}",
            "x{a=\"1\"} one",
            "1x 2",
            "x{a=\"1\",a=\"2\"} 1",
            "# TYPE x thing",
        ] {
            let e = parse_exposition(&format!("ok 1\n{bad}\n")).unwrap_err();
            assert_eq!(e.line, 2, "{bad}: {e}");
        }
    }
}
