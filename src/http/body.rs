//! The response body wrapper that ends a request's measurement.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::layer::{Outcome, Recorder};

pin_project_lite::pin_project! {
    /// A response body that counts its bytes and ends the request's span and metrics
    /// when it is consumed, dropped, or fails.
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        recorder: Option<Recorder>,
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn new(inner: B, recorder: Option<Recorder>) -> Self {
        ResponseBody { inner, recorder }
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
                if let (Some(r), Some(data)) = (this.recorder.as_mut(), f.data_ref()) {
                    r.response_bytes += data.len() as u64;
                }
                // hyper stops polling a body that says it has ended.
                if inner.is_end_stream() {
                    this.recorder.take();
                }
            }
            Some(Err(_)) => {
                if let Some(r) = this.recorder.as_mut() {
                    if let Outcome::Status(s) = r.outcome {
                        r.outcome = Outcome::BodyFailed(s, std::any::type_name::<B::Error>());
                    }
                }
                this.recorder.take();
            }
            None => {
                this.recorder.take();
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
