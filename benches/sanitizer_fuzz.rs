//! Fuzzes the SQL sanitizer with the property test's generator, at volume:
//! `FUZZ_CASES` statements (default 600,000, split evenly over the dialects) with
//! literals of every kind in every position, each sanitized in its own dialect.
//! Prints per-dialect counts and exits 1 if any literal survived.
//!
//! ```text
//! cargo bench --bench sanitizer_fuzz
//! FUZZ_CASES=3000000 cargo bench --bench sanitizer_fuzz
//! ```

#[path = "../tests/support/sql_literals.rs"]
mod sql_literals;

use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn main() {
    let cases: usize = match std::env::var("FUZZ_CASES") {
        Ok(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("FUZZ_CASES={v:?} is not a count");
            std::process::exit(2)
        }),
        Err(_) => 600_000,
    };
    let per_dialect = cases.div_ceil(sql_literals::DIALECTS.len());
    // The same seed every run, so a count can be reproduced.
    let mut runner = TestRunner::deterministic();
    let mut total_leaks = 0usize;
    println!(
        "{:<10} {:>10} {:>10} {:>7} {:>14}",
        "dialect", "statements", "literals", "leaks", "statements/s"
    );
    for dialect in sql_literals::DIALECTS {
        let strategy = sql_literals::statement(dialect);
        let (mut literals, mut leaks) = (0usize, 0usize);
        let mut shown = 0;
        let started = Instant::now();
        for _ in 0..per_dialect {
            let statement = strategy
                .new_tree(&mut runner)
                .expect("the generator never rejects every case")
                .current();
            literals += statement.secrets.len();
            if let Some((secret, out)) = sql_literals::leak(&statement) {
                leaks += 1;
                if shown < 3 {
                    shown += 1;
                    eprintln!(
                        "{dialect:?} leaked {secret:?}: {:?} became {out:?}",
                        statement.sql
                    );
                }
            }
        }
        let rate = per_dialect as f64 / started.elapsed().as_secs_f64();
        println!(
            "{:<10} {per_dialect:>10} {literals:>10} {leaks:>7} {rate:>14.0}",
            format!("{dialect:?}")
        );
        total_leaks += leaks;
    }
    if total_leaks > 0 {
        eprintln!("{total_leaks} statements leaked a literal");
        std::process::exit(1);
    }
}
