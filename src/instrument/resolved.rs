//! Attribute sets resolved once: the SDK's bound instruments, one per attribute set a
//! handle records, looked up by a small key instead of hashing a `KeyValue` set on every
//! recording.
//!
//! The SDK stays the source of truth: a bound instrument writes into the same series an
//! unbound recording of the same attributes would (past the SDK's cardinality limit, into
//! its overflow series), so names, labels and what is exported do not change. Past
//! [`LIMIT`] sets per handle a recording goes through the unbound path, as before.

use std::hash::Hash;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use rustc_hash::FxHashMap;

/// Attribute sets a handle keeps bound: the SDK's default cardinality limit.
pub(crate) const LIMIT: usize = 2000;

/// The bound instruments `V` of each attribute set a handle has recorded, by key `K`.
///
/// Reading takes no lock and writes nothing shared (an `ArcSwap` load), so threads
/// recording at once do not contend here; a new set copies the map once, under a lock
/// only binders take.
#[derive(Debug)]
pub(crate) struct Resolved<K, V> {
    sets: ArcSwap<FxHashMap<K, Arc<V>>>,
    binding: Mutex<()>,
}

impl<K, V> Default for Resolved<K, V> {
    fn default() -> Self {
        Resolved {
            sets: ArcSwap::from_pointee(FxHashMap::default()),
            binding: Mutex::new(()),
        }
    }
}

impl<K: Hash + Eq + Clone, V> Resolved<K, V> {
    /// Runs `record` on the set for `key`, bound with `bind` the first time it is seen.
    /// `false` when the handle holds [`LIMIT`] sets already and `key` is not one of them:
    /// the caller records unbound.
    #[inline]
    pub(crate) fn record(&self, key: K, bind: impl FnOnce() -> V, record: impl FnOnce(&V)) -> bool {
        if let Some(set) = self.sets.load().get(&key) {
            record(set);
            return true;
        }
        self.bind(key, bind, record)
    }

    #[cold]
    fn bind(&self, key: K, bind: impl FnOnce() -> V, record: impl FnOnce(&V)) -> bool {
        let Ok(_binding) = self.binding.lock() else {
            return false;
        };
        let current = self.sets.load_full();
        if let Some(set) = current.get(&key) {
            record(set);
            return true;
        }
        if current.len() >= LIMIT {
            return false;
        }
        let set = Arc::new(bind());
        record(&set);
        let mut next = (*current).clone();
        next.insert(key, set);
        self.sets.store(Arc::new(next));
        true
    }

    /// Sets bound so far.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.sets.load().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_set_is_bound_once_and_past_the_limit_nothing_is_bound() {
        let r: Resolved<usize, usize> = Resolved::default();
        let binds = Cell::new(0);
        let bind = |v| {
            binds.set(binds.get() + 1);
            v
        };
        let seen = Cell::new(0);
        assert!(r.record(7, || bind(70), |v| seen.set(*v)));
        assert!(r.record(7, || bind(71), |v| seen.set(*v)));
        assert_eq!((binds.get(), seen.get()), (1, 70));
        for k in 0..LIMIT {
            r.record(1000 + k, || bind(k), |_| {});
        }
        assert_eq!(r.len(), LIMIT);
        assert!(!r.record(99_999, || bind(0), |_| panic!("not bound past the limit")));
        assert!(
            r.record(7, || bind(0), |v| seen.set(*v + 1)),
            "old sets still record"
        );
        assert_eq!(seen.get(), 71);
    }
}
