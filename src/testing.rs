//! Helpers for testing instrumented code.
