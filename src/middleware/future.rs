//! [`ResponseFuture`]: the inner service's future, polled inside the request's span.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;

use super::{Measure, ResponseBody};

pin_project_lite::pin_project! {
    /// The future of an instrumented service: the inner response with its body wrapped
    /// so the measurement `M` ends with it.
    #[derive(Debug)]
    pub struct ResponseFuture<F, M> {
        #[pin]
        inner: F,
        span: tracing::Span,
        measure: Option<M>,
    }
}

impl<F, M> ResponseFuture<F, M> {
    /// `measure` is `None` for a request that records nothing (an excluded path).
    pub(crate) fn new(inner: F, span: tracing::Span, measure: Option<M>) -> Self {
        ResponseFuture {
            inner,
            span,
            measure,
        }
    }
}

impl<F, M, B, E> Future for ResponseFuture<F, M>
where
    F: Future<Output = Result<Response<B>, E>>,
    M: Measure,
{
    type Output = Result<Response<ResponseBody<B, M>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        let mut measure = this.measure.take();
        Poll::Ready(match result {
            Ok(response) => {
                if let Some(m) = measure.as_mut() {
                    m.on_response(&response);
                }
                Ok(response.map(|b| ResponseBody::new(b, measure)))
            }
            Err(e) => {
                if let Some(m) = measure.as_mut() {
                    m.on_error(crate::failure::short_type_name::<E>());
                }
                Err(e)
            }
        })
    }
}
