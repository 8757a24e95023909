//! The request-body stall timeout: a body that stops flowing mid-request
//! ends the request.
//!
//! Every request body is wrapped in a [`StallBody`]. While the handler is
//! waiting for body bytes and none arrive for the timeout, the body ends
//! with [`BodyStalled`] and marks the request's [`StallFlag`]; the reply is
//! then S3's `RequestTimeout` (400) with `Connection: close`, whatever
//! error the handler made of the broken body (see `http_fixups`). Time the
//! handler spends elsewhere (writing to a storage) does not count: the
//! clock runs only while a poll for bytes is pending, and restarts with
//! every frame.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

/// Whether a request's body stalled.
#[derive(Debug, Clone, Default)]
pub struct StallFlag(Arc<AtomicBool>);

impl StallFlag {
    /// Whether the body ended by stalling.
    pub fn stalled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The error a stalled body ends with.
#[derive(Debug, thiserror::Error)]
#[error("no request body bytes arrived for {0:?}")]
pub struct BodyStalled(pub Duration);

/// The error of a [`StallBody`]: hyper's, or the stall.
pub type StallError = Box<dyn std::error::Error + Send + Sync>;

/// A request body bounded by the stall timeout; see the module docs.
#[derive(Debug)]
pub struct StallBody {
    inner: Incoming,
    timeout: Duration,
    timer: Option<Pin<Box<Sleep>>>,
    flag: StallFlag,
}

impl StallBody {
    /// `inner`, ended after `timeout` without bytes; `flag` records a stall.
    pub fn new(inner: Incoming, timeout: Duration, flag: StallFlag) -> Self {
        Self { inner, timeout, timer: None, flag }
    }
}

impl Body for StallBody {
    type Data = Bytes;
    type Error = StallError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StallError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.timer = None;
                Poll::Ready(frame.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let timer = this.timer.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep_until(Instant::now() + timeout))
                });
                ready!(timer.as_mut().poll(cx));
                this.timer = None;
                this.flag.set();
                Poll::Ready(Some(Err(Box::new(BodyStalled(timeout)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
