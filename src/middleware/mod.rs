//! The response path shared by the HTTP and gRPC server layers (and the gRPC client
//! layer): one future and one body, generic over what is measured.
//!
//! A layer builds a measurement (`http::Measurement`, `grpc::Measurement`) when a request
//! arrives and starts the request's span (`span`); [`ResponseFuture`] polls the inner
//! service with the request's context current and tells
//! the measurement how it answered; [`ResponseBody`] tells it about each frame. The
//! measurement records when it is dropped: when the response body is consumed, dropped,
//! or fails, or when the request failed or was cancelled before a response — so a
//! streamed body is timed to its last byte and nothing ends unrecorded.

mod body;
mod future;
pub(crate) mod span;

pub use body::ResponseBody;
pub use future::ResponseFuture;

use http::{HeaderMap, Response};

/// What a request's measurement learns as its response arrives and streams. It records
/// when dropped.
pub trait Measure: Send + 'static {
    /// The response head arrived.
    fn on_response<B>(&mut self, response: &Response<B>);
    /// The inner service failed with an error of this type (no response).
    fn on_error(&mut self, error_type: &'static str);
    /// A data frame of `bytes` bytes was sent.
    fn on_data(&mut self, _bytes: usize) {}
    /// The trailers were sent.
    fn on_trailers(&mut self, _trailers: &HeaderMap) {}
    /// The body failed mid-stream with an error of this type.
    fn on_body_error(&mut self, error_type: &'static str);
}
