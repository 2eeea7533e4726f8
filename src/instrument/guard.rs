//! The lifecycle every operation guard shares (`db::Query`, `cache::CacheOp`,
//! `queue::Ticket` and `Work`, `genai::LlmCall`, `AgentRun`, `ToolCall`): `start` opens the
//! span and timer, `finish` or `fail(&error)` records once, and a guard dropped before
//! either records the operation as cancelled. Nothing is lost, nothing counted twice.
//!
//! The core owns only the lifecycle; each guard keeps its own attributes (the cache's
//! stack-only path stays allocation-free).

use std::borrow::Cow;

/// How an operation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// `finish`: it succeeded.
    Finished,
    /// `fail`: it failed with this `error.type`.
    Failed(Cow<'static, str>),
    /// Dropped before it ended: `error.type=cancelled`.
    Cancelled,
}

impl End {
    /// The `error.type` to record, if any.
    pub(crate) fn error_type(&self) -> Option<&str> {
        match self {
            End::Finished => None,
            End::Failed(e) => Some(e),
            End::Cancelled => Some("cancelled"),
        }
    }

    /// For a failed or cancelled end: marks `span` failed (`error.type`, error status)
    /// and adds `error.type` to the metric attributes. The one place guards do it.
    pub(crate) fn mark(&self, span: &tracing::Span, attrs: &mut Vec<opentelemetry::KeyValue>) {
        if let Some(e) = self.error_type() {
            span.record("error.type", e);
            span.record("otel.status_code", "error");
            attrs.push(opentelemetry::KeyValue::new(
                crate::names::ERROR_TYPE,
                e.to_string(),
            ));
        }
    }
}

/// What recording an operation's end means for one kind of guard.
pub(crate) trait Operation {
    /// Records the end; called exactly once per guard.
    fn end(&mut self, end: End);
}

/// Calls [`Operation::end`] exactly once: through [`Guard::end`], or on drop with
/// [`End::Cancelled`].
#[derive(Debug)]
pub(crate) struct Guard<O: Operation> {
    op: O,
    done: bool,
}

impl<O: Operation> Guard<O> {
    pub(crate) fn new(op: O) -> Self {
        Guard { op, done: false }
    }

    pub(crate) fn op(&self) -> &O {
        &self.op
    }

    pub(crate) fn op_mut(&mut self) -> &mut O {
        &mut self.op
    }

    /// Ends the operation as `end` says.
    pub(crate) fn end(mut self, end: End) {
        self.done = true;
        self.op.end(end);
    }
}

impl<O: Operation> Drop for Guard<O> {
    fn drop(&mut self) {
        if !self.done {
            self.done = true;
            self.op.end(End::Cancelled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Log(Arc<Mutex<Vec<End>>>);

    impl Operation for Log {
        fn end(&mut self, end: End) {
            self.0.lock().unwrap().push(end);
        }
    }

    #[test]
    fn each_guard_ends_exactly_once() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        Guard::new(Log(seen.clone())).end(End::Finished);
        Guard::new(Log(seen.clone())).end(End::Failed("timeout".into()));
        drop(Guard::new(Log(seen.clone())));
        assert_eq!(
            *seen.lock().unwrap(),
            vec![End::Finished, End::Failed("timeout".into()), End::Cancelled,]
        );
        assert_eq!(End::Cancelled.error_type(), Some("cancelled"));
        assert_eq!(End::Finished.error_type(), None);
    }
}
