//! What LLM calls record, resolved once per model: the `(operation, provider, model)`
//! attributes shared by every call instead of copied per call, and the SDK's bound
//! instruments per attribute set (response model, tenant, route), so a call's
//! recordings hash no `KeyValue` set.
//!
//! Bounded: [`MODELS`] models per handle, [`RESPONSE_MODELS`] response models per model;
//! past either, a call records unbound, as before. Names and labels are unchanged.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock, RwLock};

use opentelemetry::metrics::{BoundCounter, BoundHistogram};
use opentelemetry::{KeyValue, StringValue};
use rustc_hash::FxHashMap;

use crate::middleware::span::Names;
use crate::names;

/// Models a handle resolves (the SDK's default cardinality limit).
pub(super) const MODELS: usize = 2000;
/// Response models kept per requested model (a provider answers with a few dated names).
const RESPONSE_MODELS: usize = 16;

/// The span names of the models every [`GenAi`](super::GenAi) has seen.
static SPAN_NAMES: Names = Names::new();

/// One `(provider, operation, model)`.
#[derive(Debug)]
pub(super) struct Model {
    pub(super) provider: Arc<str>,
    pub(super) operation: Arc<str>,
    pub(super) model: Arc<str>,
    /// The span name, `{operation} {model}`, formatted once and shared by the process's
    /// models (see [`Names`]): a call's span borrows it.
    pub(super) span_name: Cow<'static, str>,
    responses: RwLock<Vec<Arc<str>>>,
}

impl Model {
    fn new(provider: &str, operation: &str, model: &str) -> Model {
        Model {
            provider: provider.into(),
            operation: operation.into(),
            model: model.into(),
            span_name: {
                let name = format!("{operation} {model}");
                SPAN_NAMES
                    .learn(&name)
                    .map_or(Cow::Owned(name), Cow::Borrowed)
            },
            responses: RwLock::new(Vec::new()),
        }
    }

    /// The call's metric attributes: operation, provider, requested model.
    pub(super) fn attrs(&self) -> Vec<KeyValue> {
        let value = |s: &Arc<str>| StringValue::from(s.clone());
        vec![
            KeyValue::new(names::GEN_AI_OPERATION_NAME, value(&self.operation)),
            KeyValue::new(names::GEN_AI_PROVIDER_NAME, value(&self.provider)),
            KeyValue::new(names::GEN_AI_REQUEST_MODEL, value(&self.model)),
        ]
    }

    /// The shared name of a response model; `None` past [`RESPONSE_MODELS`].
    pub(super) fn response(&self, name: &str) -> Option<Arc<str>> {
        if let Ok(seen) = self.responses.read() {
            if let Some(r) = seen.iter().find(|r| &***r == name) {
                return Some(r.clone());
            }
        }
        let mut seen = self.responses.write().ok()?;
        if let Some(r) = seen.iter().find(|r| &***r == name) {
            return Some(r.clone());
        }
        if seen.len() >= RESPONSE_MODELS {
            return None;
        }
        let r: Arc<str> = name.into();
        seen.push(r.clone());
        Some(r)
    }
}

/// The models a handle has seen.
#[derive(Debug, Default)]
pub(super) struct Models {
    by_model: RwLock<FxHashMap<Box<str>, Vec<Arc<Model>>>>,
}

impl Models {
    /// The shared `(provider, operation, model)`; `None` past [`MODELS`].
    pub(super) fn get(&self, provider: &str, operation: &str, model: &str) -> Option<Arc<Model>> {
        let find = |list: &Vec<Arc<Model>>| {
            list.iter()
                .find(|m| &*m.provider == provider && &*m.operation == operation)
                .cloned()
        };
        if let Some(m) = self.by_model.read().ok()?.get(model).and_then(find) {
            return Some(m);
        }
        let mut all = self.by_model.write().ok()?;
        if let Some(m) = all.get(model).and_then(find) {
            return Some(m);
        }
        if all.values().map(Vec::len).sum::<usize>() >= MODELS {
            return None;
        }
        let m = Arc::new(Model::new(provider, operation, model));
        all.entry(model.into()).or_default().push(m.clone());
        Some(m)
    }
}

/// The identity of a shared value, for keys (0: none).
pub(super) fn id<T: ?Sized>(value: Option<&Arc<T>>) -> usize {
    value.map_or(0, |v| Arc::as_ptr(v) as *const u8 as usize)
}

/// Tokens and cost of one (model, response model, tenant, route), bound. The cost is
/// bound at the first priced call: a bound instrument shows its series at once, and an
/// unpriced model must never show a $0 cost.
#[derive(Debug)]
pub(super) struct Billed {
    pub(super) input: BoundHistogram<u64>,
    pub(super) output: BoundHistogram<u64>,
    pub(super) cost: OnceLock<BoundCounter<f64>>,
}

/// Duration and time to first chunk of one (model, response model) that succeeded; the
/// time to first chunk bound at the first streamed call (no empty series otherwise).
#[derive(Debug)]
pub(super) struct Timed {
    pub(super) duration: BoundHistogram<f64>,
    pub(super) ttfc: OnceLock<BoundHistogram<f64>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_and_response_models_are_shared_and_bounded() {
        let models = Models::default();
        let a = models.get("openai", "chat", "gpt-4o").unwrap();
        let b = models.get("openai", "chat", "gpt-4o").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let embed = models.get("openai", "embeddings", "gpt-4o").unwrap();
        assert!(!Arc::ptr_eq(&a, &embed));
        assert_eq!(&*embed.operation, "embeddings");
        // The span name is formatted once and shared: another GenAi's set borrows the same.
        assert_eq!(a.span_name, "chat gpt-4o");
        let other = Models::default().get("openai", "chat", "gpt-4o").unwrap();
        match (&a.span_name, &other.span_name) {
            (Cow::Borrowed(x), Cow::Borrowed(y)) => assert_eq!(x.as_ptr(), y.as_ptr()),
            names => panic!("span names not shared: {names:?}"),
        }
        let r1 = a.response("gpt-4o-2024-08-06").unwrap();
        assert!(Arc::ptr_eq(&r1, &a.response("gpt-4o-2024-08-06").unwrap()));
        for i in 1..RESPONSE_MODELS {
            a.response(&format!("v{i}")).unwrap();
        }
        assert!(a.response("one-too-many").is_none());
        assert!(a.response("gpt-4o-2024-08-06").is_some());
        for i in 2..MODELS {
            models.get("p", "chat", &format!("m{i}")).unwrap();
        }
        assert!(models.get("p", "chat", "past-the-limit").is_none());
        assert!(models.get("openai", "chat", "gpt-4o").is_some());
        assert_eq!(id::<str>(None), 0);
        assert_ne!(id(Some(&a)), id(Some(&embed)));
    }
}
