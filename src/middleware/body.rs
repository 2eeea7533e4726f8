//! [`ResponseBody`]: the response body that ends a request's measurement.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::Measure;

pin_project_lite::pin_project! {
    /// A response body that reports its frames to the measurement `M` and ends it (drops
    /// it, which records) when the body is consumed, dropped, or fails.
    #[derive(Debug)]
    pub struct ResponseBody<B, M> {
        #[pin]
        inner: B,
        measure: Option<M>,
    }
}

impl<B, M> ResponseBody<B, M> {
    pub(crate) fn new(inner: B, measure: Option<M>) -> Self {
        ResponseBody { inner, measure }
    }
}

impl<B, M> Body for ResponseBody<B, M>
where
    B: Body<Data = Bytes>,
    M: Measure,
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
                if let Some(m) = this.measure.as_mut() {
                    if let Some(data) = f.data_ref() {
                        m.on_data(data.len());
                    } else if let Some(trailers) = f.trailers_ref() {
                        m.on_trailers(trailers);
                    }
                }
                // hyper stops polling a body that says it has ended.
                if inner.is_end_stream() {
                    this.measure.take();
                }
            }
            Some(Err(_)) => {
                if let Some(m) = this.measure.as_mut() {
                    m.on_body_error(crate::failure::short_type_name::<B::Error>());
                }
                this.measure.take();
            }
            None => {
                this.measure.take();
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
