//! `ferrotel doctor`: the configuration `init` resolves from the environment, and a probe
//! of every OTLP endpoint it would send to — TCP connect, TLS handshake, then an empty
//! export through the very exporter `init` builds — with what is wrong in one line each.
//!
//! ```no_run
//! # async fn run() -> Result<(), ferrotel::Error> {
//! let resolved = ferrotel::Config::from_env()?.resolve()?;
//! for line in ferrotel::doctor::configuration(&resolved) {
//!     println!("{line}");
//! }
//! for finding in ferrotel::doctor::probe(&resolved).await {
//!     println!("{finding}");
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{mask_userinfo, OtlpTarget, Resolved};
use crate::Signal;

/// What the probe of one signal's endpoint found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The signal whose endpoint was probed.
    pub signal: Signal,
    /// The endpoint, credentials masked.
    pub endpoint: String,
    /// What is wrong and what to do about it; `None` when every step passed.
    pub problem: Option<String>,
    /// The steps that passed, with their times.
    pub passed: Vec<String>,
}

impl Finding {
    /// Whether every step passed.
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// `ok    traces   URL  tcp 0.2 ms, tls ok 3.1 ms, empty export accepted 4.0 ms`, or
/// `FAIL  traces   URL  what is wrong — what to do`.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.ok() { "ok  " } else { "FAIL" };
        write!(
            f,
            "{status}  {:<8} {}  ",
            self.signal.to_string(),
            self.endpoint
        )?;
        match &self.problem {
            None => f.write_str(&self.passed.join(", ")),
            Some(p) => f.write_str(p),
        }
    }
}

/// The effective configuration, one setting per line, as `init` would use it.
///
/// ```
/// let resolved = ferrotel::Config::from_vars([("OTEL_SERVICE_NAME", "checkout")]).unwrap().resolve().unwrap();
/// let lines = ferrotel::doctor::configuration(&resolved);
/// assert!(lines.iter().any(|l| l.contains("service.name") && l.contains("checkout")));
/// ```
pub fn configuration(r: &Resolved) -> Vec<String> {
    let row = |k: &str, v: String| format!("  {k:<16} {v}");
    let mut out = vec![row("service.name", r.service_name.clone())];
    if r.disabled {
        out.push(row(
            "disabled",
            "OTEL_SDK_DISABLED=true: nothing is recorded or exported".into(),
        ));
        return out;
    }
    if let Some(v) = &r.service_version {
        out.push(row("service.version", v.clone()));
    }
    if let Some(v) = &r.environment {
        out.push(row("environment", v.clone()));
    }
    for signal in Signal::ALL {
        let to = crate::pipeline::destinations(r, signal, r.prometheus_listener(), |t| {
            let mut s = format!("otlp {} {}", t.protocol, mask_userinfo(&t.endpoint));
            if t.endpoint.starts_with("https://") {
                s.push_str(&match &t.tls.ca {
                    Some(ca) => format!(" (TLS, CA {})", ca.path.display()),
                    None => " (TLS, system and webpki roots)".to_string(),
                });
                if let Some((cert, _)) = &t.tls.client {
                    s.push_str(&format!(" (client certificate {})", cert.path.display()));
                }
            }
            if t.gzip {
                s.push_str(" gzip");
            }
            if !t.headers.is_empty() {
                let names: Vec<&str> = t.headers.iter().map(|(k, _)| k.as_str()).collect();
                s.push_str(&format!(" headers {} (values not shown)", names.join(",")));
            }
            s.push_str(&format!(" timeout {:?}", t.timeout));
            s
        });
        out.push(row(&signal.to_string(), to.join(" and ")));
    }
    out.push(row("sampler", r.sampler.to_string()));
    let propagators: Vec<String> = r
        .propagators
        .iter()
        .map(|p| format!("{p:?}").to_lowercase())
        .collect();
    out.push(row("propagators", propagators.join(",")));
    out.push(row("console filter", r.log_filter.clone()));
    out.push(row("telemetry filter", r.telemetry_filter.clone()));
    for (_, why) in &r.ignored {
        out.push(row("ignored", why.clone()));
    }
    out
}

/// Probes every signal that goes over OTLP, one after the other.
pub async fn probe(r: &Resolved) -> Vec<Finding> {
    let mut out = Vec::new();
    if r.disabled {
        return out;
    }
    for signal in Signal::ALL {
        if let Some(t) = r.otlp(signal).filter(|_| r.exporters.get(signal).otlp) {
            out.push(probe_one(signal, t).await);
        }
    }
    out
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn probe_one(signal: Signal, t: &OtlpTarget) -> Finding {
    let mut finding = Finding {
        signal,
        endpoint: mask_userinfo(&t.endpoint),
        problem: None,
        passed: Vec::new(),
    };
    if let Err(problem) = steps(signal, t, &mut finding.passed).await {
        finding.problem = Some(problem);
    }
    finding
}

async fn steps(signal: Signal, t: &OtlpTarget, passed: &mut Vec<String>) -> Result<(), String> {
    let url: http::Uri = t.endpoint.parse().map_err(|e| format!("not a URL: {e}"))?;
    let tls = url.scheme_str() == Some("https");
    let host = url
        .host()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_string();
    let port = url.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let limit = t.timeout.min(Duration::from_secs(5));

    let start = Instant::now();
    let tcp = match tokio::time::timeout(limit, tokio::net::TcpStream::connect((host.as_str(), port))).await {
        Err(_) => {
            return Err(format!(
                "TCP connect to {host}:{port}: no answer within {limit:?} — a firewall drops it, or the host is wrong"
            ))
        }
        Ok(Err(e)) => {
            let hint = match e.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    " — nothing listens there: is the collector up, and is the port right (4317 gRPC, 4318 HTTP)?"
                }
                _ if e.to_string().contains("lookup") || e.to_string().contains("resolve") => {
                    " — the host name does not resolve"
                }
                _ => "",
            };
            return Err(format!("TCP connect to {host}:{port}: {e}{hint}"));
        }
        Ok(Ok(stream)) => stream,
    };
    passed.push(format!("tcp {}", ms(start.elapsed())));

    if tls {
        let start = Instant::now();
        let config = crate::pipeline::tls::client_config(&t.tls)
            .map_err(|e| format!("TLS settings: {e}"))?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| format!("TLS: {host} is not a valid server name: {e}"))?;
        match tokio::time::timeout(limit, connector.connect(name, tcp)).await {
            Err(_) => {
                return Err(format!(
                    "TLS handshake with {host}:{port}: no answer within {limit:?} — does the server speak TLS? (try http://)"
                ))
            }
            Ok(Err(e)) => {
                let words = crate::export::chain(&e);
                return Err(format!("TLS handshake with {host}:{port}: {words}{}", tls_hint(&words)));
            }
            Ok(Ok(_)) => passed.push(format!("tls {}", ms(start.elapsed()))),
        }
    } else {
        drop(tcp);
    }

    let start = Instant::now();
    let result =
        tokio::time::timeout(t.timeout + Duration::from_secs(1), empty_export(signal, t)).await;
    match result {
        Err(_) => Err(format!("empty export: no answer within {:?}", t.timeout)),
        Ok(Err(e)) => Err(format!("empty export: {e}{}", export_hint(&e))),
        Ok(Ok(())) => {
            passed.push(format!("empty export accepted {}", ms(start.elapsed())));
            Ok(())
        }
    }
}

/// Sends a request with no items through the exporter `init` builds for the target.
async fn empty_export(signal: Signal, t: &OtlpTarget) -> Result<(), String> {
    use opentelemetry_sdk::logs::{LogBatch, LogExporter};
    use opentelemetry_sdk::metrics::data::ResourceMetrics;
    use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
    use opentelemetry_sdk::trace::SpanExporter;
    let otlp = |e: crate::error::Error| e.to_string();
    let result = match signal {
        Signal::Traces => {
            let (e, why) = crate::pipeline::otlp::spans(t).map_err(otlp)?;
            why.explain(e.export(Vec::new()).await)
        }
        Signal::Logs => {
            let (e, why) = crate::pipeline::otlp::logs(t).map_err(otlp)?;
            why.explain(e.export(LogBatch::new(&[])).await)
        }
        Signal::Metrics => {
            let (e, why) = crate::pipeline::otlp::metrics(t, Default::default()).map_err(otlp)?;
            why.explain(e.export(&ResourceMetrics::default()).await)
        }
    };
    result.map_err(|e| e.to_string())
}

fn tls_hint(words: &str) -> &'static str {
    if words.contains("UnknownIssuer") || words.contains("unknown issuer") {
        " — the certificate is not signed by a CA this service trusts: set OTEL_EXPORTER_OTLP_CERTIFICATE to the CA's PEM file"
    } else if words.contains("NotValidForName") {
        " — the certificate is for another name: use the name it was issued for in the endpoint"
    } else if words.contains("Expired") {
        " — the server's certificate has expired"
    } else if words.contains("corrupt message") || words.contains("InvalidContentType") {
        " — the server does not speak TLS there: use http://"
    } else {
        ""
    }
}

fn export_hint(words: &str) -> &'static str {
    // Status codes as the exporters word them, so a port such as :33403 is not a 403.
    let status = |code: &str| words.contains(&format!("status code: {code}"));
    if words.contains("CertificateRequired") || words.contains("certificate required") {
        " — the server wants a client certificate: set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY"
    } else if status("401")
        || status("403")
        || words.contains("Unauthenticated")
        || words.contains("PermissionDenied")
    {
        " — the backend refused the credentials: check OTEL_EXPORTER_OTLP_HEADERS"
    } else if status("404") {
        " — no such path: HTTP appends /v1/{signal} to OTEL_EXPORTER_OTLP_ENDPOINT, a per-signal endpoint is used as-is"
    } else if words.contains("Unimplemented")
        || status("415")
        || words.contains("h2 protocol error")
        || words.contains("http2 error")
    {
        " — the server speaks another protocol: check OTEL_EXPORTER_OTLP_PROTOCOL against the port (4317 gRPC, 4318 HTTP)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::export_hint;

    #[test]
    fn hints_read_status_codes_not_port_numbers() {
        let tls = "error sending request for url (https://localhost:33403/v1/traces): received fatal alert: CertificateRequired";
        assert!(export_hint(tls).contains("client certificate"));
        let port =
            "error sending request for url (http://localhost:40404/v1/traces): connection reset";
        assert_eq!(export_hint(port), "");
        assert!(export_hint("HTTP export failed with status code: 403").contains("credentials"));
        assert!(export_hint("HTTP export failed with status code: 404").contains("no such path"));
    }
}
