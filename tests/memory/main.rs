//! Memory bounded by design, measured with an allocator that counts the bytes each
//! thread holds: handles built and dropped, or fed unbounded distinct names, stop
//! growing once their caps are reached. The SDK's own background threads are not
//! counted; every recording here happens on the test's thread.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use opentelemetry::metrics::MeterProvider;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

struct Counting;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread.
    static HELD: Cell<isize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the thread-local
// counter is a `const` Cell, which allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = HELD.try_with(|h| h.set(h.get() + layout.size() as isize));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = HELD.try_with(|h| h.set(h.get() - layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = HELD.try_with(|h| h.set(h.get() + new_size as isize - layout.size() as isize));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn held() -> isize {
    HELD.with(Cell::get)
}

/// A meter whose provider has a reader, so instruments and callbacks are real.
fn provider() -> SdkMeterProvider {
    let reader = PeriodicReader::builder(InMemoryMetricExporter::default()).build();
    SdkMeterProvider::builder().with_reader(reader).build()
}

/// Bytes this thread still holds after `rounds` rounds of `step` (each given its index),
/// measured after a warm-up round so lazily built state is not counted.
fn growth(rounds: usize, mut step: impl FnMut(usize)) -> isize {
    step(usize::MAX);
    let before = held();
    for i in 0..rounds {
        step(i);
    }
    held() - before
}

/// Each `Queue` used to register a meter callback that the SDK keeps forever (about
/// 300 B per queue built); its depth is now an up-down counter moved by its tickets.
#[test]
fn queues_built_and_dropped_leave_nothing_behind() {
    let provider = provider();
    let meter = provider.meter("memory-test");
    let grew = growth(20_000, |_| {
        let queue = ferrotel::queue::Queue::with_meter("jobs", &meter);
        queue.enqueued().dequeued().finish();
    });
    eprintln!("20,000 queues: {grew} bytes held");
    assert!(grew < 64 * 1024, "20,000 queues left {grew} bytes behind");
    let _ = provider.shutdown();
}

/// Unknown model names from callers: the price table's resolutions and the warned-about
/// set are capped, and the metric series by the SDK's cardinality limit, so a second
/// flood of new names adds (almost) nothing.
#[test]
fn distinct_model_names_stop_growing_memory_at_their_caps() {
    let provider = provider();
    let meter = provider.meter("memory-test");
    let genai = ferrotel::genai::GenAi::with_meter(&meter);
    let call = |i: usize| {
        genai
            .llm_call("flood", "chat", &format!("model-{i}"))
            .finish(ferrotel::genai::TokenUsage::new(10, 10));
    };
    // Past every cap (1,024 price resolutions, 256 warnings, 2,000 series).
    let first = growth(5_000, call);
    let second = growth(5_000, |i| call(i.saturating_add(5_000)));
    eprintln!("model names: first 5,000 {first} bytes, next 5,000 {second} bytes");
    assert!(first > 0, "the first flood is what fills the caps");
    assert!(
        second < 64 * 1024,
        "5,000 more model names held {second} more bytes (the first 5,000: {first})"
    );
    let _ = provider.shutdown();
}
