//! Caller-supplied label values with a budget: the first `limit` distinct values keep
//! their own label, later ones share one overflow value, so a flood of distinct values
//! (a scanner's paths, generated table names, tenants) cannot grow the series.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// The label value that values past a budget share (the semantic conventions' spelling).
pub(crate) const OTHER: &str = "_OTHER";

/// The distinct values admitted so far under one label.
#[derive(Debug)]
pub(crate) struct Admitted {
    seen: RwLock<HashSet<Arc<str>>>,
    overflow: Arc<str>,
}

impl Admitted {
    /// A budget whose overflow value is `overflow`.
    pub(crate) fn new(overflow: &str) -> Self {
        Admitted {
            seen: RwLock::new(HashSet::new()),
            overflow: Arc::from(overflow),
        }
    }

    /// `value` itself while fewer than `limit` distinct values were admitted (or it was
    /// admitted before), else the overflow value.
    pub(crate) fn label(&self, value: &str, limit: usize) -> Arc<str> {
        if let Ok(set) = self.seen.read() {
            if let Some(v) = set.get(value) {
                return v.clone();
            }
        }
        if let Ok(mut set) = self.seen.write() {
            if let Some(v) = set.get(value) {
                return v.clone();
            }
            if set.len() < limit {
                let v: Arc<str> = Arc::from(value);
                set.insert(v.clone());
                return v;
            }
        }
        self.overflow.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_past_the_budget_share_the_overflow_label() {
        let a = Admitted::new(OTHER);
        assert_eq!(&*a.label("users", 2), "users");
        assert_eq!(&*a.label("orders", 2), "orders");
        assert_eq!(&*a.label("carts", 2), "_OTHER");
        assert_eq!(&*a.label("users", 2), "users");
        assert_eq!(&*a.label("anything", 0), "_OTHER");
    }
}
