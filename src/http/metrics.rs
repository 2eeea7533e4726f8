//! The HTTP server instruments, created once per layer.

use opentelemetry::metrics::{BoundHistogram, BoundUpDownCounter, Histogram, Meter, UpDownCounter};

use crate::catalog;
use crate::instrument::resolved::Resolved;

/// Bucket boundaries the HTTP semantic conventions advise for durations, in seconds.
pub(crate) const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Body sizes from 0 bytes to 100 MiB in powers of four.
pub(crate) const SIZE_BUCKETS: [f64; 14] = [
    0.0,
    64.0,
    256.0,
    1024.0,
    4096.0,
    16384.0,
    65536.0,
    262144.0,
    1048576.0,
    4194304.0,
    16777216.0,
    67108864.0,
    104857600.0,
    1073741824.0,
];

#[derive(Debug)]
pub(crate) struct ServerInstruments {
    pub(crate) duration: Histogram<f64>,
    pub(crate) active: UpDownCounter<i64>,
    pub(crate) request_size: Histogram<u64>,
    pub(crate) response_size: Histogram<u64>,
    /// Bound per completed request's attribute set (see [`Key`]).
    pub(crate) sets: Resolved<Key, Set>,
    /// `http.server.active_requests` bound per (method, scheme).
    pub(crate) active_sets: Resolved<(usize, &'static str), BoundUpDownCounter<i64>>,
}

/// What tells one completed request's attribute set from another: the route template's
/// identity (0: none), the method's index, scheme, protocol version, and status code
/// (`error.type` follows from it). Requests that failed otherwise are recorded unbound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) route: usize,
    pub(crate) method: usize,
    pub(crate) scheme: &'static str,
    pub(crate) version: &'static str,
    pub(crate) status: u16,
}

/// A completed request's histograms, bound to its attributes. The request body size is
/// bound at the first request that declares one: a bound instrument shows its series at
/// once, and requests without a `Content-Length` record no body size.
#[derive(Debug)]
pub(crate) struct Set {
    pub(crate) duration: BoundHistogram<f64>,
    pub(crate) request_size: std::sync::OnceLock<BoundHistogram<u64>>,
    pub(crate) response_size: BoundHistogram<u64>,
}

impl ServerInstruments {
    pub(crate) fn new(meter: &Meter) -> Self {
        let d = &catalog::HTTP_SERVER_REQUEST_DURATION;
        let a = &catalog::HTTP_SERVER_ACTIVE_REQUESTS;
        let rq = &catalog::HTTP_SERVER_REQUEST_BODY_SIZE;
        let rs = &catalog::HTTP_SERVER_RESPONSE_BODY_SIZE;
        ServerInstruments {
            duration: d.f64_histogram(meter, DURATION_BUCKETS.to_vec()),
            active: a.i64_up_down_counter(meter),
            request_size: rq.u64_histogram(meter, SIZE_BUCKETS.to_vec()),
            response_size: rs.u64_histogram(meter, SIZE_BUCKETS.to_vec()),
            sets: Resolved::default(),
            active_sets: Resolved::default(),
        }
    }
}
