//! An inactivity bound for a whole HTTP connection.
//!
//! hyper bounds how long request headers may take, but not how long a
//! response may wait for a client that stopped reading, nor how long an
//! idle keep-alive connection may stay open. [`TimedIo`] covers all three
//! with one rule: once the connection has gone `timeout` without a single
//! byte read or written, the operation waiting on it fails with
//! `TimedOut`, and hyper closes the connection. Progress in either
//! direction counts, so a long download that keeps moving is never cut,
//! even while hyper also waits to read the next request.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// A stream whose pending reads and writes fail after `timeout` without
/// progress.
#[derive(Debug)]
pub struct TimedIo<S> {
    inner: S,
    timeout: Duration,
    last_progress: Instant,
    timer: Pin<Box<Sleep>>,
}

impl<S> TimedIo<S> {
    /// Wraps `inner`; the clock starts now.
    pub fn new(inner: S, timeout: Duration) -> Self {
        let now = Instant::now();
        Self {
            inner,
            timeout,
            last_progress: now,
            timer: Box::pin(tokio::time::sleep_until(now + timeout)),
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    fn progressed(&mut self) {
        self.last_progress = Instant::now();
    }

    /// Called when an operation is pending: fails once the connection has
    /// been inactive for the timeout, else makes sure the task is woken
    /// when it would be.
    fn check_idle(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let deadline = self.last_progress + self.timeout;
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no progress for {:?}", self.timeout),
            )),
            Poll::Pending => Ok(()),
        }
    }

    /// Turns an inner poll result into the timed one.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(result) => {
                self.progressed();
                Poll::Ready(result)
            }
            Poll::Pending => {
                self.check_idle(cx)?;
                Poll::Pending
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        this.watch(cx, polled)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::TimedIo;

    #[tokio::test]
    async fn idle_read_times_out_and_progress_resets_the_clock() {
        let (client, server) = tokio::io::duplex(64);
        let mut timed = TimedIo::new(server, Duration::from_millis(300));
        let mut client = client;
        let mut buf = [0u8; 4];
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.write_all(b"ab").await.unwrap();
        assert_eq!(timed.read(&mut buf).await.unwrap(), 2);
        // Past the timeout since the start, but not since the last byte.
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.write_all(b"c").await.unwrap();
        assert_eq!(timed.read(&mut buf).await.unwrap(), 1);
        let err = timed.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_stalled_reader_fails_the_writer() {
        let (_client, server) = tokio::io::duplex(8);
        let mut timed = TimedIo::new(server, Duration::from_millis(100));
        let err = timed.write_all(&[0u8; 64]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    }
}
