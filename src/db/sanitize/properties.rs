//! The sanitizer's property tests: any input, no panic, no literal left.

use super::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Any text at all: no panic, and the output is never longer than asked.
    #[test]
    fn never_panics(input in any::<String>(), max in 0usize..200) {
        let out = sanitize(&input, max);
        prop_assert!(out.chars().count() <= max);
        let _ = summarize(&input);
    }

    /// Arbitrary bytes read as (lossy) UTF-8: still no panic.
    #[test]
    fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let input = String::from_utf8_lossy(&bytes);
        let _ = sanitize(&input, 10_000);
        let _ = summarize(&input);
    }

    /// A string literal placed anywhere in a statement never survives.
    #[test]
    fn string_literals_never_leak(
        secret in "[A-Za-z0-9 _%@.-]{4,24}",
        prefix in prop::sample::select(vec!["SELECT * FROM users WHERE email = ", "INSERT INTO t (a) VALUES (", "UPDATE t SET note = ", "x IN (1, ", "/* c */ SELECT ", "-- a\nSELECT "]),
        suffix in prop::sample::select(vec!["", ")", " AND id = 3", " -- done", "; DROP TABLE x"]),
        quote in prop::sample::select(vec!["'", "$$", "$q$"]),
    ) {
        let sql = format!("{prefix}{quote}{secret}{quote}{suffix}");
        let out = sanitize(&sql, 10_000);
        prop_assert!(!out.contains(secret.trim()) || prefix.contains(secret.trim()) || suffix.contains(secret.trim()),
            "{sql:?} leaked into {out:?}");
    }

    /// Numbers in value position never survive.
    #[test]
    fn numbers_never_leak(n in 100_000u64..u64::MAX) {
        let sql = format!("SELECT * FROM accounts WHERE balance > {n} AND id = -{n}");
        let out = sanitize(&sql, 10_000);
        prop_assert!(!out.contains(&n.to_string()), "{out}");
    }
}
