//! Why an export failed, where the exporter's own error lost it: the OTLP/HTTP exporter
//! reports every transport failure (an untrusted certificate, a refused connection, a
//! name that does not resolve) as "network error". Its HTTP client records the cause
//! here, and the sink adds it to the error the batcher counts and logs.

use std::sync::{Arc, Mutex};

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};

/// The cause of the last failed request, shared by a client and its sink.
#[derive(Debug, Clone, Default)]
pub(crate) struct Why(Arc<Mutex<Option<String>>>);

impl Why {
    /// Records the outcome of one request: its cause when it failed, nothing when not.
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(crate) fn set(&self, cause: Option<String>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = cause;
    }

    /// `result`, with the recorded cause added to a failure's words.
    pub(crate) fn explain(&self, result: OTelSdkResult) -> OTelSdkResult {
        match result {
            Err(OTelSdkError::InternalFailure(message)) => {
                let cause = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
                Err(OTelSdkError::InternalFailure(match cause {
                    Some(cause) => format!("{message}: {cause}"),
                    None => message,
                }))
            }
            other => other,
        }
    }
}

/// An error with its sources, `outer: inner: innermost`, skipping a source whose
/// words its parent already contains.
#[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let words = s.to_string();
        if !out.contains(&words) {
            out.push_str(": ");
            out.push_str(&words);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_cause_is_added_once_and_only_to_failures() {
        let why = Why::default();
        why.set(Some("invalid peer certificate: UnknownIssuer".into()));
        assert!(why.explain(Ok(())).is_ok());
        let e = why
            .explain(Err(OTelSdkError::InternalFailure("network error".into())))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Operation failed: network error: invalid peer certificate: UnknownIssuer"
        );
        let again = why
            .explain(Err(OTelSdkError::InternalFailure("network error".into())))
            .unwrap_err();
        assert_eq!(again.to_string(), "Operation failed: network error");
    }

    #[test]
    fn chain_names_every_source() {
        let io = std::io::Error::other("invalid peer certificate");
        let outer = std::io::Error::other(io);
        assert_eq!(chain(&outer), "invalid peer certificate");
    }
}
