//! The idle timeout of an HTTP connection, whatever its protocol.
//!
//! hyper bounds an HTTP/1 request head (`header_read_timeout`), but
//! nothing bounds a connection that never sends the bytes by which
//! HTTP/1 and HTTP/2 are told apart, an HTTP/2 connection with no stream
//! open, or a client that stopped reading its response. [`Watched`] wraps
//! the socket and stamps every byte moved either way into an
//! [`Activity`]; the service counts requests in flight; and
//! [`Activity::idle_expired`] resolves once no byte has moved for the idle
//! timeout while no request is being handled, when the connection is
//! dropped. A request in flight is bounded by its own timeouts instead
//! (the body stall, the cluster clients' network timeout).
//!
//! While no request is in flight the connection is also on its listener's
//! idle list ([`Activity::evicted`]): a full listener closes its
//! longest-idle connection to serve a newcomer, as nginx reuses idle
//! keep-alive connections, so a flood of idle sockets cannot lock S3 out
//! until the timeouts fire.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use fdfs_protocol::admission::IdleSlot;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// When a connection last moved a byte, and how many of its requests are
/// being handled.
#[derive(Debug)]
pub struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    busy: AtomicUsize,
    /// Woken when `busy` changes.
    changed: Notify,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
            changed: Notify::new(),
        }
    }
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// Marks a request in flight until the guard drops.
    pub fn busy(self: &std::sync::Arc<Self>) -> BusyGuard {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.changed.notify_waiters();
        BusyGuard(std::sync::Arc::clone(self))
    }

    /// Resolves when the listener evicts this connection during a period
    /// with no request in flight; never without a `slot`.
    pub async fn evicted(&self, slot: Option<std::sync::Arc<IdleSlot>>) {
        let Some(slot) = slot else { return std::future::pending().await };
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before `busy` is read, so no change is missed.
            changed.as_mut().enable();
            if self.busy.load(Ordering::Acquire) == 0 {
                let idle = slot.enter();
                tokio::select! {
                    () = idle.evicted() => return,
                    () = &mut changed => {}
                }
            } else {
                changed.await;
            }
        }
    }

    /// Resolves once the connection has been idle for `timeout`: no request
    /// in flight and no byte moved.
    pub async fn idle_expired(&self, timeout: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + timeout;
            if self.busy.load(Ordering::Acquire) > 0 {
                tokio::time::sleep(timeout).await;
            } else if Instant::now() >= deadline {
                return;
            } else {
                tokio::time::sleep_until(deadline).await;
            }
        }
    }
}

/// A request in flight; see [`Activity::busy`].
#[derive(Debug)]
pub struct BusyGuard(std::sync::Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        // A request that ends restarts the idle clock.
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_waiters();
    }
}

/// A stream that stamps its traffic into an [`Activity`].
#[derive(Debug)]
pub struct Watched<T> {
    inner: T,
    activity: std::sync::Arc<Activity>,
}

impl<T> Watched<T> {
    /// `inner`, stamping into `activity`.
    pub fn new(inner: T, activity: std::sync::Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
