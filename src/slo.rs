//! Service level objectives as Prometheus rules: `ferrotel slo FILE RULES_DIR` reads an
//! SLO file (YAML: each service's availability and latency objectives, with defaults,
//! the SLO period, the burn-rate windows and the runbook base) and writes the recording
//! rules, the multi-window burn-rate alerts and one `TargetAbsent` per service. Targets
//! live in one reviewed file instead of numbers copied into every rule.
//!
//! ```
//! let slos = ferrotel::slo::SloFile::from_yaml(
//!     "runbook_base: https://runbooks.example.com/ferrotel\n\
//!      services:\n  - name: chat-api\n  - name: billing\n    availability: 99.5\n",
//! )
//! .unwrap();
//! let rules = slos.rules();
//! assert!(rules.contains("absent(up{service_name=\"billing\"})"));
//! assert!(rules.contains("runbook_url: \"https://runbooks.example.com/ferrotel#httperrorbudgetfastburn\""));
//! ```
//!
//! The file's format (every key but `runbook_base` and `services` has the default shown):
//!
//! ```yaml
//! runbook_base: https://docs.rs/ferrotel/latest/ferrotel/guides/runbooks/index.html
//! defaults:
//!   availability: 99.9     # % of requests answered without a 5xx
//!   latency:
//!     threshold: 0.5       # seconds: a bucket boundary of http.server.request.duration
//!     objective: 99        # % of requests answered within the threshold
//!   period: 30d            # the window the error budget is spent over
//! windows:                 # share of the budget spent within `long` (and `short`) alerts
//!   - {name: FastBurn, budget: 2, long: 1h, short: 5m, for: 2m, severity: page}
//!   - {name: SlowBurn, budget: 5, long: 6h, short: 30m, for: 15m, severity: page}
//!   - {name: Ticket, budget: 10, long: 1d, short: 2h, for: 1h, severity: ticket}
//! services:                # each may override availability, latency and period
//!   - name: chat-api
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the generated rules go inside the rules directory.
pub const RULES_FILE: &str = "ferrotel-slo.yml";

/// Why an SLO file was refused, naming the file's key that is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SloError {
    /// The YAML does not parse or has an unknown key.
    #[error("SLO file: {0}")]
    Yaml(String),
    /// A value is out of range or inconsistent.
    #[error("SLO file: {key}: {problem}")]
    Invalid {
        /// The key, e.g. `services[1].latency.threshold`.
        key: String,
        /// What is wrong with its value.
        problem: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The SLO file. See the [module documentation](self) for its format.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SloFile {
    /// The page the runbooks are on; every alert's `runbook_url` is this plus `#alertname`.
    pub runbook_base: String,
    /// Objectives of the services that name none of their own.
    #[serde(default)]
    pub defaults: Objectives,
    /// The burn-rate alert windows, fastest first.
    #[serde(default = "default_windows")]
    pub windows: Vec<Window>,
    /// The services; every one gets a `TargetAbsent` alert.
    pub services: Vec<Service>,
}

/// A service's objectives.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Objectives {
    /// Percent of requests answered without a 5xx.
    #[serde(default = "default_availability")]
    pub availability: f64,
    /// The latency objective.
    #[serde(default)]
    pub latency: Latency,
    /// The SLO period, a Prometheus duration (`30d`).
    #[serde(default = "default_period")]
    pub period: String,
}

impl Default for Objectives {
    fn default() -> Self {
        Objectives {
            availability: default_availability(),
            latency: Latency::default(),
            period: default_period(),
        }
    }
}

/// The latency objective: `objective` percent of requests within `threshold` seconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Latency {
    /// Seconds; must be a bucket boundary of `http.server.request.duration`.
    pub threshold: f64,
    /// Percent of requests within the threshold.
    pub objective: f64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            threshold: 0.5,
            objective: 99.0,
        }
    }
}

/// One burn-rate alert window pair.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Window {
    /// Suffix of the alert names (`HttpErrorBudget<name>`, `HttpLatencyBudget<name>`).
    pub name: String,
    /// Percent of the period's budget that, spent within `long`, fires the alert.
    pub budget: f64,
    /// The long window (a Prometheus duration).
    pub long: String,
    /// The short window, which resets the alert fast once the burn stops.
    pub short: String,
    /// The alert's `for`.
    #[serde(rename = "for")]
    pub for_: String,
    /// `page` or `ticket`.
    pub severity: String,
}

/// One service of the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Service {
    /// Its `service_name` label (the `service.name` resource attribute).
    pub name: String,
    /// Overrides the default availability.
    pub availability: Option<f64>,
    /// Overrides the default latency objective.
    pub latency: Option<Latency>,
    /// Overrides the default period.
    pub period: Option<String>,
}

fn default_availability() -> f64 {
    99.9
}
fn default_period() -> String {
    "30d".into()
}
fn default_windows() -> Vec<Window> {
    let w = |name: &str, budget, long: &str, short: &str, for_: &str, severity: &str| Window {
        name: name.into(),
        budget,
        long: long.into(),
        short: short.into(),
        for_: for_.into(),
        severity: severity.into(),
    };
    vec![
        w("FastBurn", 2.0, "1h", "5m", "2m", "page"),
        w("SlowBurn", 5.0, "6h", "30m", "15m", "page"),
        w("Ticket", 10.0, "1d", "2h", "1h", "ticket"),
    ]
}

/// Seconds in a Prometheus duration with one unit (`5m`, `1h`, `30d`).
fn seconds(key: &str, d: &str) -> Result<f64, SloError> {
    let bad = |problem: &str| SloError::Invalid {
        key: key.into(),
        problem: format!("{d:?} {problem}"),
    };
    let split = d
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| bad("has no unit (s, m, h, d or w)"))?;
    let n: f64 = d[..split]
        .parse()
        .map_err(|_| bad("does not start with a number"))?;
    let unit = match &d[split..] {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        "w" => 604800.0,
        _ => return Err(bad("is not a duration like 5m, 1h or 30d")),
    };
    if n == 0.0 {
        return Err(bad("is zero"));
    }
    Ok(n * unit)
}

/// A number as short as it is exact to nine decimals: 14.4, 0.001, 1.
fn num(x: f64) -> String {
    let s = format!("{:.9}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

impl Objectives {
    fn merged(&self, s: &Service) -> Objectives {
        Objectives {
            availability: s.availability.unwrap_or(self.availability),
            latency: s.latency.clone().unwrap_or_else(|| self.latency.clone()),
            period: s.period.clone().unwrap_or_else(|| self.period.clone()),
        }
    }

    fn check(&self, key: &str) -> Result<(), SloError> {
        let pct = |k: &str, v: f64| {
            if v > 0.0 && v < 100.0 {
                Ok(())
            } else {
                Err(SloError::Invalid {
                    key: format!("{key}{k}"),
                    problem: format!("{v} is not a percentage between 0 and 100 (exclusive)"),
                })
            }
        };
        pct("availability", self.availability)?;
        pct("latency.objective", self.latency.objective)?;
        let t = self.latency.threshold;
        if !crate::http::DURATION_BUCKETS.contains(&t) {
            return Err(SloError::Invalid {
                key: format!("{key}latency.threshold"),
                problem: format!(
                    "{t} s is not a bucket boundary of http.server.request.duration ({})",
                    crate::http::DURATION_BUCKETS.map(num).join(", ")
                ),
            });
        }
        seconds(&format!("{key}period"), &self.period)?;
        Ok(())
    }
}

/// Services sharing one set of objectives, and the selector that picks them.
struct Group {
    objectives: Objectives,
    selector: String,
}

impl Group {
    /// The label matchers of a series selector: the group's and `extra`, in braces, or
    /// nothing when there are none.
    fn braces(&self, extra: &str) -> String {
        match (self.selector.is_empty(), extra.is_empty()) {
            (true, true) => String::new(),
            (true, false) => format!("{{{extra}}}"),
            (false, true) => format!("{{{}}}", self.selector),
            (false, false) => format!("{{{}, {extra}}}", self.selector),
        }
    }
}

/// Seconds in a duration `SloFile::check` has already accepted.
fn checked_seconds(d: &str) -> f64 {
    seconds("", d).unwrap_or(0.0)
}

impl SloFile {
    /// Parses and checks an SLO file.
    ///
    /// ```
    /// let err = ferrotel::slo::SloFile::from_yaml(
    ///     "runbook_base: https://x\nservices:\n  - name: a\n    latency: {threshold: 0.3, objective: 99}\n",
    /// )
    /// .unwrap_err();
    /// assert!(err.to_string().contains("services[0].latency.threshold"), "{err}");
    /// ```
    pub fn from_yaml(text: &str) -> Result<SloFile, SloError> {
        let file: SloFile =
            serde_norway::from_str(text).map_err(|e| SloError::Yaml(e.to_string()))?;
        file.check()?;
        Ok(file)
    }

    /// Reads and checks an SLO file.
    pub fn read(path: &Path) -> Result<SloFile, SloError> {
        let text = std::fs::read_to_string(path).map_err(|source| SloError::Io {
            path: path.into(),
            source,
        })?;
        Self::from_yaml(&text).map_err(|e| match e {
            SloError::Yaml(m) => SloError::Yaml(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    fn check(&self) -> Result<(), SloError> {
        let invalid = |key: String, problem: String| Err(SloError::Invalid { key, problem });
        if !self.runbook_base.starts_with("https://") && !self.runbook_base.starts_with("http://") {
            return invalid(
                "runbook_base".into(),
                format!(
                    "{:?} is not an absolute http(s) URL (Slack shows it as a link)",
                    self.runbook_base
                ),
            );
        }
        if self.runbook_base.contains('#') {
            return invalid(
                "runbook_base".into(),
                "holds a '#': the alert's anchor is appended to it".into(),
            );
        }
        self.defaults.check("defaults.")?;
        if self.services.is_empty() {
            return invalid("services".into(), "is empty".into());
        }
        let mut seen = BTreeSet::new();
        for (i, s) in self.services.iter().enumerate() {
            let ok = !s.name.is_empty()
                && s.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !ok {
                return invalid(
                    format!("services[{i}].name"),
                    format!(
                        "{:?} is not a service.name of letters, digits, '-', '_', '.'",
                        s.name
                    ),
                );
            }
            if !seen.insert(&s.name) {
                return invalid(
                    format!("services[{i}].name"),
                    format!("{} appears twice", s.name),
                );
            }
            self.defaults.merged(s).check(&format!("services[{i}]."))?;
        }
        if self.windows.is_empty() {
            return invalid("windows".into(), "is empty".into());
        }
        for (i, w) in self.windows.iter().enumerate() {
            let key = |k: &str| format!("windows[{i}].{k}");
            let long = seconds(&key("long"), &w.long)?;
            let short = seconds(&key("short"), &w.short)?;
            seconds(&key("for"), &w.for_)?;
            if short >= long {
                return invalid(
                    key("short"),
                    format!("{} is not shorter than long ({})", w.short, w.long),
                );
            }
            if !(w.budget > 0.0 && w.budget <= 100.0) {
                return invalid(
                    key("budget"),
                    format!("{} is not a percentage of the budget", w.budget),
                );
            }
            if !matches!(w.severity.as_str(), "page" | "ticket") {
                return invalid(
                    key("severity"),
                    format!("{:?} is neither page nor ticket", w.severity),
                );
            }
            if w.name.is_empty() || !w.name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return invalid(
                    key("name"),
                    format!("{:?} is not a word of letters and digits", w.name),
                );
            }
        }
        Ok(())
    }

    /// Services grouped by objectives: the defaults' group first (every service the file
    /// does not give other objectives, named or not), then one group per distinct set.
    fn groups(&self) -> Vec<Group> {
        let mut others: Vec<(Objectives, Vec<&str>)> = Vec::new();
        for s in &self.services {
            let o = self.defaults.merged(s);
            if o == self.defaults {
                continue;
            }
            match others.iter_mut().find(|(g, _)| *g == o) {
                Some((_, names)) => names.push(&s.name),
                None => others.push((o, vec![&s.name])),
            }
        }
        let all_others: Vec<&str> = others.iter().flat_map(|(_, n)| n.iter().copied()).collect();
        let mut groups = vec![Group {
            objectives: self.defaults.clone(),
            selector: if all_others.is_empty() {
                String::new()
            } else {
                format!("service_name!~\"{}\"", all_others.join("|"))
            },
        }];
        for (o, names) in others {
            groups.push(Group {
                objectives: o,
                selector: format!("service_name=~\"{}\"", names.join("|")),
            });
        }
        groups
    }

    /// The rules file's text: recording rules, burn-rate alerts and `TargetAbsent`s.
    pub fn rules(&self) -> String {
        let groups = self.groups();
        let mut windows: Vec<&str> = Vec::new();
        for w in &self.windows {
            for d in [w.short.as_str(), w.long.as_str()] {
                if !windows.contains(&d) {
                    windows.push(d);
                }
            }
        }
        windows.sort_by(|a, b| checked_seconds(a).total_cmp(&checked_seconds(b)));
        let mut out = String::new();
        out.push_str(
            "# Generated by `ferrotel slo prometheus/slo.yml prometheus/rules` from the SLO file:\n\
             # edit that file, not this one (a test fails when they differ).\n\
             groups:\n  - name: ferrotel-slo-recording\n    rules:\n",
        );
        let count = "http_server_request_duration_seconds_count";
        for w in &windows {
            let _ = write!(
                out,
                "      # Share of HTTP requests answered with a 5xx over {w}.\n\
                 \x20     - record: service:http_server_errors:ratio_rate{w}\n\
                 \x20       expr: |\n\
                 \x20         sum by (service_name) (rate({count}{{http_response_status_code=~\"5..\"}}[{w}]))\n\
                 \x20         / sum by (service_name) (rate({count}[{w}]))\n"
            );
        }
        for g in &groups {
            let t = num(g.objectives.latency.threshold);
            for w in &windows {
                let _ = write!(
                    out,
                    "      # Share of HTTP requests slower than {t} s over {w}{}.\n\
                     \x20     - record: service:http_server_slow:ratio_rate{w}\n\
                     \x20       expr: |\n\
                     \x20         1 - sum by (service_name) (rate(http_server_request_duration_seconds_bucket{}[{w}]))\n\
                     \x20           / sum by (service_name) (rate({count}{}[{w}]))\n",
                    if g.selector.is_empty() { String::new() } else { format!(", {}", g.selector) },
                    g.braces(&format!("le=\"{t}\"")),
                    g.braces(""),
                );
            }
        }
        out.push_str("  - name: ferrotel-slo\n    rules:\n");
        for g in &groups {
            let o = &g.objectives;
            let period_h = checked_seconds(&o.period) / 3600.0;
            let sel = g.braces("");
            for (kind, record, allowed, what) in [
                (
                    "Error",
                    "errors",
                    100.0 - o.availability,
                    "fail (5xx)".to_string(),
                ),
                (
                    "Latency",
                    "slow",
                    100.0 - o.latency.objective,
                    format!("take over {} s", num(o.latency.threshold)),
                ),
            ] {
                for w in &self.windows {
                    let long_h = checked_seconds(&w.long) / 3600.0;
                    let factor = w.budget * period_h / 100.0 / long_h;
                    let limit = factor * allowed / 100.0;
                    let alert = format!("Http{kind}Budget{}", w.name);
                    let _ = write!(
                        out,
                        "      - alert: {alert}\n\
                         \x20       expr: |\n\
                         \x20         service:http_server_{record}:ratio_rate{long}{sel} > {limit}\n\
                         \x20         and service:http_server_{record}:ratio_rate{short}{sel} > {limit}\n\
                         \x20       for: {for_}\n\
                         \x20       labels:\n\
                         \x20         severity: {severity}\n\
                         \x20       annotations:\n\
                         \x20         summary: \"{{{{ $labels.service_name }}}} burns its {lower} budget {f}x too fast\"\n\
                         \x20         description: \"Over {pct} % of requests {what} over the last {long} and {short} (the SLO allows {allowed} % over {period}): {budget} % of the budget is gone in {long}.\"\n\
                         \x20         value: \"{{{{ $value | humanizePercentage }}}}\"\n\
                         \x20         runbook_url: \"{base}#{anchor}\"\n",
                        limit = num(limit),
                        long = w.long,
                        short = w.short,
                        for_ = w.for_,
                        severity = w.severity,
                        lower = kind.to_lowercase(),
                        f = num(factor),
                        pct = num(limit * 100.0),
                        allowed = num(allowed),
                        period = o.period,
                        budget = num(w.budget),
                        base = self.runbook_base,
                        anchor = alert.to_lowercase(),
                    );
                }
            }
        }
        for s in &self.services {
            let _ = write!(
                out,
                "      - alert: TargetAbsent\n\
                 \x20       expr: absent(up{{service_name=\"{name}\"}})\n\
                 \x20       for: 5m\n\
                 \x20       labels:\n\
                 \x20         severity: page\n\
                 \x20         service_name: {name}\n\
                 \x20       annotations:\n\
                 \x20         summary: \"No scrape target for {name} at all\"\n\
                 \x20         description: \"Service discovery lost the service, or its scrape job is gone.\"\n\
                 \x20         runbook_url: \"{base}#targetabsent\"\n",
                name = s.name,
                base = self.runbook_base,
            );
        }
        out
    }

    /// Writes the rules into `dir` and points every other rule file's `runbook_url` there
    /// at `runbook_base`; with `check`, writes nothing. Returns the files that were (or,
    /// with `check`, would be) changed.
    pub fn sync(&self, dir: &Path, check: bool) -> Result<Vec<PathBuf>, SloError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SloError::Io { path, source }
        };
        let mut wanted = vec![(dir.join(RULES_FILE), self.rules())];
        let mut others: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "yml" || x == "yaml")
                    && p.file_name().is_some_and(|n| n != RULES_FILE)
            })
            .collect();
        others.sort();
        for p in others {
            let text = std::fs::read_to_string(&p).map_err(io(&p))?;
            wanted.push((p, self.rebase_runbooks(&text)));
        }
        let mut changed = Vec::new();
        for (path, text) in wanted {
            if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
                continue;
            }
            if !check {
                std::fs::write(&path, &text).map_err(io(&path))?;
            }
            changed.push(path);
        }
        Ok(changed)
    }

    /// `text` with every `runbook_url: "…#anchor"` line pointing at `runbook_base`.
    fn rebase_runbooks(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            let rebased = trimmed
                .strip_prefix("runbook_url: \"")
                .and_then(|rest| rest.split_once('#'))
                .and_then(|(_, anchor)| anchor.split_once('"'))
                .map(|(anchor, tail)| {
                    let indent = &line[..line.len() - trimmed.len()];
                    format!(
                        "{indent}runbook_url: \"{}#{anchor}\"{tail}",
                        self.runbook_base
                    )
                });
            out.push_str(rebased.as_deref().unwrap_or(line));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(services: &str) -> String {
        format!("runbook_base: https://runbooks.example.com/r\nservices:\n{services}")
    }

    #[test]
    fn defaults_give_the_workbook_factors() {
        let f = SloFile::from_yaml(&file("  - name: api\n")).unwrap();
        let r = f.rules();
        // 2 % of a 30-day budget in 1 h is 14.4x; 0.1 % allowed → 1.44 %.
        assert!(r.contains("ratio_rate1h > 0.0144\n"), "{r}");
        assert!(r.contains("ratio_rate6h > 0.006\n"), "{r}");
        assert!(r.contains("ratio_rate1d > 0.003\n"), "{r}");
        // Latency: 1 % allowed.
        assert!(
            r.contains("service:http_server_slow:ratio_rate1h > 0.144\n"),
            "{r}"
        );
        assert!(r.contains("le=\"0.5\""), "{r}");
        assert_eq!(r.matches("- alert: TargetAbsent").count(), 1);
    }

    #[test]
    fn services_with_their_own_objectives_are_split_from_the_defaults() {
        let f = SloFile::from_yaml(&file(
            "  - name: api\n  - name: voice\n    latency: {threshold: 1, objective: 95}\n  - name: batch\n    availability: 99\n",
        ))
        .unwrap();
        let r = f.rules();
        assert!(r.contains("service_name!~\"voice|batch\""), "{r}");
        assert!(r.contains("{service_name=~\"voice\", le=\"1\"}"), "{r}");
        // batch: 1 % allowed, 14.4x → 14.4 %.
        assert!(
            r.contains("ratio_rate1h{service_name=~\"batch\"} > 0.144\n"),
            "{r}"
        );
        assert_eq!(r.matches("- alert: TargetAbsent").count(), 3);
    }

    #[test]
    fn bad_files_name_the_key() {
        for (services, key) in [
            (
                "  - name: a\n    availability: 100\n",
                "services[0].availability",
            ),
            ("  - name: a\n    period: 30x\n", "services[0].period"),
            ("  - name: a\n  - name: a\n", "services[1].name"),
            ("  - name: 'a b'\n", "services[0].name"),
        ] {
            let e = SloFile::from_yaml(&file(services)).unwrap_err().to_string();
            assert!(e.contains(key), "{e}");
        }
        let e = SloFile::from_yaml("runbook_base: docs/runbooks.md\nservices: [{name: a}]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("runbook_base"), "{e}");
        let e = SloFile::from_yaml(&format!(
            "{}\nwindows: [{{name: X, budget: 2, long: 5m, short: 1h, for: 1m, severity: page}}]\n",
            file("  - name: a")
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("windows[0].short"), "{e}");
        let e = SloFile::from_yaml(&format!("{}\ncolour: red\n", file("  - name: a")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn runbook_lines_are_rebased_and_nothing_else() {
        let f = SloFile::from_yaml(&file("  - name: a\n")).unwrap();
        let text =
            "  a: 1\n      runbook_url: \"docs/runbooks.md#targetdown\"\n  summary: \"x#y\"\n";
        assert_eq!(
            f.rebase_runbooks(text),
            "  a: 1\n      runbook_url: \"https://runbooks.example.com/r#targetdown\"\n  summary: \"x#y\"\n"
        );
    }
}
