//! The response body wrapper that ends a request's measurement.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::layer::{Outcome, Recorder};

/// What a response body reports to as it streams; records when dropped.
#[derive(Debug)]
pub(crate) enum Observer {
    Http(Recorder),
    Grpc(crate::grpc::CallRecorder),
}

/// What a request's recorder learns when its response (or error) arrives; shared by
/// the HTTP and gRPC futures.
pub(crate) trait Measure: Sized {
    /// The response head arrived.
    fn on_response<B>(&mut self, response: &axum::http::Response<B>);
    /// The inner service failed with an error of this type.
    fn on_error(&mut self, error_type: &'static str);
    /// The recorder, handed on to the response body.
    fn into_observer(self) -> Observer;
}

/// Ends a request's future: records what the result says and wraps the body so the
/// measurement ends with it.
pub(crate) fn complete<B, E, M: Measure>(
    result: Result<axum::http::Response<B>, E>,
    mut recorder: Option<M>,
) -> Result<axum::http::Response<ResponseBody<B>>, E> {
    match result {
        Ok(response) => {
            if let Some(r) = recorder.as_mut() {
                r.on_response(&response);
            }
            Ok(response.map(|b| ResponseBody::new(b, recorder.map(Measure::into_observer))))
        }
        Err(e) => {
            if let Some(r) = recorder.as_mut() {
                r.on_error(std::any::type_name::<E>());
            }
            Err(e)
        }
    }
}

impl Observer {
    fn data(&mut self, n: usize) {
        if let Observer::Http(r) = self {
            r.response_bytes += n as u64;
        }
    }

    fn trailers(&mut self, trailers: &axum::http::HeaderMap) {
        if let Observer::Grpc(r) = self {
            r.status_from(trailers);
        }
    }

    fn failed(&mut self, error_type: &'static str) {
        match self {
            Observer::Http(r) => {
                if let Outcome::Status(s) = r.outcome {
                    r.outcome = Outcome::BodyFailed(s, error_type);
                }
            }
            Observer::Grpc(r) => r.body_failed(error_type),
        }
    }
}

pin_project_lite::pin_project! {
    /// A response body that counts its bytes and ends the request's span and metrics
    /// when it is consumed, dropped, or fails.
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        observer: Option<Observer>,
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn new(inner: B, observer: Option<Observer>) -> Self {
        ResponseBody { inner, observer }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let mut inner = this.inner;
        let frame = match inner.as_mut().poll_frame(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(f) => f,
        };
        match &frame {
            Some(Ok(f)) => {
                if let Some(o) = this.observer.as_mut() {
                    if let Some(data) = f.data_ref() {
                        o.data(data.len());
                    } else if let Some(trailers) = f.trailers_ref() {
                        o.trailers(trailers);
                    }
                }
                // hyper stops polling a body that says it has ended.
                if inner.is_end_stream() {
                    this.observer.take();
                }
            }
            Some(Err(_)) => {
                if let Some(o) = this.observer.as_mut() {
                    o.failed(std::any::type_name::<B::Error>());
                }
                this.observer.take();
            }
            None => {
                this.observer.take();
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
