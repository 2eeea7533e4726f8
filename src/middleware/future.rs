//! [`ResponseFuture`]: the inner service's future, polled with the request's context current.

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
        cx: Option<opentelemetry::Context>,
        measure: Option<M>,
    }
}

impl<F, M> ResponseFuture<F, M> {
    /// `cx`, the request's context, is current while `inner` is polled; both are `None`
    /// for a request that records nothing (an excluded path).
    pub(crate) fn new(inner: F, cx: Option<opentelemetry::Context>, measure: Option<M>) -> Self {
        ResponseFuture { inner, cx, measure }
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
        let _attached = this.cx.as_ref().map(|request| request.clone().attach());
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
