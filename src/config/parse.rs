//! Reading values: each function takes a variable's (or setter's) name and its text and
//! returns the value or an [`Error`] naming both. No precedence here: see `resolve`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::env;
use super::types::{BatchSettings, Propagator, Sampler};
use crate::error::Error;

pub(crate) const SAMPLERS: &str = "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio";

pub(crate) fn invalid(var: &'static str, value: &str, allowed: &'static str) -> Error {
    Error::InvalidEnv {
        var,
        value: value.to_string(),
        allowed,
    }
}

/// Variables looked up by name; empty values count as unset, as the specification asks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars(pub(crate) BTreeMap<String, String>);

impl Vars {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(|v| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    pub(crate) fn millis(&self, var: &'static str) -> Result<Option<Duration>, Error> {
        self.get(var)
            .map(|v| match v.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
                _ => Err(invalid(
                    var,
                    v,
                    "a whole number of milliseconds greater than 0",
                )),
            })
            .transpose()
    }

    pub(crate) fn count(&self, var: &'static str) -> Result<Option<usize>, Error> {
        self.get(var)
            .map(|v| match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(invalid(var, v, "a whole number greater than 0")),
            })
            .transpose()
    }
}

pub(crate) const TOKEN_RULE: &str = "at least 16 visible ASCII characters without spaces";

/// A token short enough to guess, or one that cannot travel in a header, is refused.
pub(crate) fn validate_token(var: &'static str, v: &str) -> Result<String, Error> {
    let v = v.trim();
    if v.len() >= 16 && v.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(v.to_string())
    } else {
        // The value is a secret: never echo it.
        Err(Error::InvalidEnv {
            var,
            value: "(hidden)".into(),
            allowed: TOKEN_RULE,
        })
    }
}

pub(crate) fn parse_bool(var: &'static str, v: &str) -> Result<bool, Error> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(var, v, "true or false")),
    }
}

pub(crate) fn validate_filter(var: &'static str, v: &str) -> Result<(), Error> {
    tracing_subscriber::EnvFilter::builder()
        .parse(v)
        .map(|_| ())
        .map_err(|_| Error::InvalidEnv {
            var,
            value: v.to_string(),
            allowed: "an EnvFilter directive list such as `info` or `info,my_crate=debug`",
        })
}

/// `gzip` → `true`, `none` → `false`.
pub(crate) fn parse_compression(var: &'static str, v: &str) -> Result<bool, Error> {
    match v.trim() {
        "gzip" => Ok(true),
        "none" => Ok(false),
        _ => Err(invalid(var, v, "gzip or none")),
    }
}

pub(crate) fn parse_sampler(name: Option<&str>, arg: Option<&str>) -> Result<Sampler, Error> {
    let ratio = || -> Result<f64, Error> {
        match arg {
            None => Ok(1.0),
            Some(a) => match a.trim().parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                _ => Err(invalid(
                    env::OTEL_TRACES_SAMPLER_ARG,
                    a,
                    "a ratio from 0.0 to 1.0",
                )),
            },
        }
    };
    let Some(name) = name else {
        // A stray ratio with no sampler is still checked: it is a typo waiting to bite.
        ratio()?;
        return Ok(Sampler::ParentBasedAlwaysOn);
    };
    Ok(match name.trim() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatio(ratio()?),
        "parentbased_always_on" => Sampler::ParentBasedAlwaysOn,
        "parentbased_always_off" => Sampler::ParentBasedAlwaysOff,
        "parentbased_traceidratio" => Sampler::ParentBasedTraceIdRatio(ratio()?),
        _ => return Err(invalid(env::OTEL_TRACES_SAMPLER, name, SAMPLERS)),
    })
}

/// The propagators, in the order given (the composite extracts in that order).
pub(crate) fn parse_propagators(v: &str) -> Result<Vec<Propagator>, Error> {
    let mut out = Vec::new();
    for p in v.split(',').map(str::trim) {
        let chosen =
            match p {
                "tracecontext" => Propagator::TraceContext,
                "baggage" => Propagator::Baggage,
                "b3" => Propagator::B3,
                "b3multi" => Propagator::B3Multi,
                "jaeger" => Propagator::Jaeger,
                "none" => continue,
                _ => return Err(invalid(
                    env::OTEL_PROPAGATORS,
                    v,
                    "a comma-separated list of tracecontext, baggage, b3, b3multi, jaeger, none",
                )),
            };
        if !out.contains(&chosen) {
            out.push(chosen);
        }
    }
    Ok(out)
}

/// The largest span or log queue, and batch, ferrotel accepts: about a million items, a
/// few hundred MiB of spans at the worst — more than a process should hold, far less than
/// the allocation that aborts it.
pub(crate) const MAX_QUEUE_ITEMS: usize = 1 << 20;

const QUEUE_RULE: &str = "a whole number from 1 to 1048576";

/// The largest byte capacity of one queue: 16 GiB.
pub(crate) const MAX_QUEUE_BYTES: usize = 16 << 30;

const BYTES_RULE: &str = "a whole number of bytes from 1 to 17179869184 (16 GiB)";

/// The variables one batched signal reads.
pub(crate) struct BatchVars {
    pub(crate) delay: &'static str,
    pub(crate) timeout: &'static str,
    pub(crate) queue: &'static str,
    pub(crate) batch: &'static str,
    pub(crate) bytes: &'static str,
    /// The signal's own value length limit, which wins over the general one.
    pub(crate) value_length: &'static str,
    pub(crate) concurrent: &'static str,
}

/// Most exports a queue keeps in flight.
const MAX_CONCURRENT_EXPORTS: usize = 16;

pub(crate) fn parse_batch(
    vars: &Vars,
    default: BatchSettings,
    names: BatchVars,
) -> Result<BatchSettings, Error> {
    let BatchVars {
        delay,
        timeout,
        queue,
        batch,
        bytes,
        value_length,
        concurrent,
    } = names;
    let value_chars = match vars.count(value_length)? {
        Some(n) => Some(n),
        None => vars.count(env::OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT)?,
    };
    let s = BatchSettings {
        schedule_delay: vars.millis(delay)?.unwrap_or(default.schedule_delay),
        export_timeout: vars.millis(timeout)?.unwrap_or(default.export_timeout),
        max_queue_size: vars.count(queue)?.unwrap_or(default.max_queue_size),
        max_export_batch_size: vars.count(batch)?.unwrap_or(default.max_export_batch_size),
        max_queue_bytes: vars.count(bytes)?.unwrap_or(default.max_queue_bytes),
        max_value_chars: value_chars.unwrap_or(default.max_value_chars),
        max_concurrent_exports: vars
            .count(concurrent)?
            .unwrap_or(default.max_concurrent_exports),
    };
    if !(1..=MAX_CONCURRENT_EXPORTS).contains(&s.max_concurrent_exports) {
        return Err(invalid(
            concurrent,
            vars.get(concurrent).unwrap_or_default(),
            "a number of exports in flight from 1 to 16",
        ));
    }
    for (var, n) in [(queue, s.max_queue_size), (batch, s.max_export_batch_size)] {
        if n > MAX_QUEUE_ITEMS {
            return Err(invalid(var, vars.get(var).unwrap_or_default(), QUEUE_RULE));
        }
    }
    if s.max_queue_bytes > MAX_QUEUE_BYTES {
        return Err(invalid(
            bytes,
            vars.get(bytes).unwrap_or_default(),
            BYTES_RULE,
        ));
    }
    if s.max_export_batch_size > s.max_queue_size {
        return Err(Error::InvalidEnv {
            var: batch,
            value: s.max_export_batch_size.to_string(),
            allowed: "a batch size no larger than the queue size",
        });
    }
    Ok(s)
}

/// An OTLP endpoint: an `http://` or `https://` URL with a host. One given without a
/// scheme (`collector:4317`, as some operators inject) gets `https://`, or `http://`
/// when `insecure` (`OTEL_EXPORTER_OTLP_INSECURE=true`), as the specification reads;
/// `None` (code's settings) wants the scheme written.
pub(crate) fn validate_endpoint(
    var: &'static str,
    v: &str,
    insecure: Option<bool>,
) -> Result<String, Error> {
    let given = v;
    let v = match insecure {
        _ if v.contains("://") => v.to_string(),
        Some(true) => format!("http://{v}"),
        Some(false) => format!("https://{v}"),
        None => v.to_string(),
    };
    let ok = v
        .parse::<http::Uri>()
        .ok()
        .filter(|u| matches!(u.scheme_str(), Some("http" | "https")))
        .filter(|u| u.host().is_some_and(|h| !h.is_empty()));
    match ok {
        Some(u) if u.scheme_str() == Some("https") && !cfg!(feature = "tls") => Err(invalid(
            var,
            &mask_userinfo(given),
            "an http:// URL: this build of ferrotel has no TLS client (enable its `tls` feature, on by default)",
        )),
        Some(_) => Ok(v),
        None => Err(invalid(
            var,
            &mask_userinfo(given),
            "an http:// or https:// URL with a host, e.g. http://localhost:4318",
        )),
    }
}

/// The TLS files of one signal: its own variables over the general ones. A file that
/// cannot be read, or a key without its certificate, is an error naming the variable.
pub(crate) fn tls_files(
    vars: &Vars,
    [ca, cert, key]: [[&'static str; 2]; 3],
) -> Result<super::types::TlsFiles, Error> {
    let read = |[own, general]: [&'static str; 2],
                holds: Holds|
     -> Result<Option<super::types::Pem>, Error> {
        let Some((var, path)) = vars
            .get(own)
            .map(|p| (own, p))
            .or(vars.get(general).map(|p| (general, p)))
        else {
            return Ok(None);
        };
        let path = path.trim();
        super::types::Pem::read(path)
            .and_then(|pem| check_pem(holds, &pem).map(|()| pem))
            .map(Some)
            .map_err(|e| Error::TlsFile {
                var,
                path: path.to_string(),
                reason: e.to_string(),
            })
    };
    let ca = read(ca, Holds::Certificate)?;
    let client = match (read(cert, Holds::Certificate)?, read(key, Holds::Key)?) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        (c, _) => {
            let (var, missing) = if c.is_some() {
                (cert[1], key[1])
            } else {
                (key[1], cert[1])
            };
            return Err(Error::TlsFile {
                var,
                path: String::new(),
                reason: format!("mutual TLS needs both a client certificate and its key; {missing} (or its per-signal form) is not set"),
            });
        }
    };
    Ok(super::types::TlsFiles { ca, client })
}

/// What a TLS file must hold.
#[derive(Clone, Copy)]
enum Holds {
    Certificate,
    Key,
}

/// With TLS built in, a certificate file must hold a certificate and a key file a key.
#[allow(unused_variables)]
fn check_pem(holds: Holds, pem: &super::types::Pem) -> std::io::Result<()> {
    #[cfg(feature = "tls")]
    {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let bad = |what: &str| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("no {what} in the PEM file"),
            )
        };
        if let Holds::Key = holds {
            PrivateKeyDer::from_pem_slice(pem.bytes()).map_err(|_| bad("private key"))?;
        } else if CertificateDer::pem_slice_iter(pem.bytes())
            .filter_map(Result::ok)
            .next()
            .is_none()
        {
            return Err(bad("certificate"));
        }
    }
    Ok(())
}

/// A URL as it may be shown in an error: the password (all userinfo) masked.
pub(crate) fn mask_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    match scheme {
        Some(s) => format!("{s}://{authority}{tail}"),
        None => format!("{authority}{tail}"),
    }
}

/// Header pairs as they may be shown in an error: names kept, values masked, and which
/// pair (1-based) is at fault. A header value is often a credential.
pub(crate) fn mask_pairs(v: &str, at: usize) -> String {
    let shown: Vec<String> = v
        .split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| match item.split_once('=') {
            Some((k, _)) => format!("{}=***", k.trim()),
            None => format!("<{} characters without '='>", item.trim().chars().count()),
        })
        .collect();
    format!("{} (pair {at})", shown.join(","))
}

/// `key=value,key2=value2`, values percent-decoded, as in `OTEL_RESOURCE_ATTRIBUTES`.
/// With `secret`, an error shows the keys and the faulty pair's position, never a value.
pub(crate) fn parse_pairs(
    var: &'static str,
    v: &str,
    secret: bool,
) -> Result<Vec<(String, String)>, Error> {
    let bad = |at: usize| {
        Error::InvalidEnv {
        var,
        value: if secret { mask_pairs(v, at) } else { v.to_string() },
        allowed: "a comma-separated list of key=value pairs with non-empty keys and percent-encoded values",
    }
    };
    let mut out = Vec::new();
    for (i, item) in v.split(',').filter(|i| !i.trim().is_empty()).enumerate() {
        let (k, val) = item.split_once('=').ok_or_else(|| bad(i + 1))?;
        let k = k.trim();
        if k.is_empty() {
            return Err(bad(i + 1));
        }
        out.push((
            k.to_string(),
            percent_decode(val.trim()).ok_or_else(|| bad(i + 1))?,
        ));
    }
    Ok(out)
}

pub(crate) fn parse_headers(var: &'static str, v: &str) -> Result<Vec<(String, String)>, Error> {
    let pairs = parse_pairs(var, v, true)?;
    for (i, (k, val)) in pairs.iter().enumerate() {
        check_header(var, k, val).map_err(|_| Error::InvalidEnv {
            var,
            value: mask_pairs(v, i + 1),
            allowed: HEADER_RULE,
        })?;
    }
    Ok(pairs)
}

pub(crate) fn check_header(var: &'static str, k: &str, v: &str) -> Result<(), Error> {
    let name_ok = http::HeaderName::from_bytes(k.as_bytes()).is_ok();
    let value_ok = http::HeaderValue::from_str(v).is_ok();
    if name_ok && value_ok {
        Ok(())
    } else {
        Err(Error::InvalidEnv {
            var,
            value: format!("{k}=***"),
            allowed: HEADER_RULE,
        })
    }
}

pub(crate) const HEADER_RULE: &str =
    "header names made of token characters and values without control characters";

pub(crate) fn merge_headers(into: &mut Vec<(String, String)>, more: Vec<(String, String)>) {
    for (k, v) in more {
        into.retain(|(old, _)| !old.eq_ignore_ascii_case(&k));
        into.push((k, v));
    }
}

pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
