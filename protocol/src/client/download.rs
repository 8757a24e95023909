//! A download body streamed straight out of a pooled connection.
//!
//! The file never sits in memory: [`Download`] is an `AsyncRead` over the
//! response body, and returns its connection to the pool once every byte was
//! read. A reader dropped early closes the connection instead (the rest of the
//! body is still in flight). Each read is bounded by the network timeout, so
//! a stalled server fails the read instead of hanging it. The timeout counts
//! from when a read starts waiting for the server (FastDFS's recv timeout),
//! so time the caller spends between reads does not count against it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::pool::PooledConnection;

/// The body of a DOWNLOAD_FILE response.
#[derive(Debug)]
pub struct Download {
    conn: Option<PooledConnection>,
    remaining: u64,
    len: u64,
    /// When the read currently waiting for the server gives up.
    deadline: Pin<Box<Sleep>>,
    /// Whether `deadline` is armed for a read that is waiting.
    waiting: bool,
}

impl Download {
    pub(crate) fn new(mut conn: PooledConnection, len: u64) -> Self {
        let timeout = conn.conn().timeout();
        let mut download = Self {
            conn: Some(conn),
            remaining: len,
            len,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            waiting: false,
        };
        if len == 0 {
            download.finish();
        }
        download
    }

    /// Total bytes of the body.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    fn finish(&mut self) {
        if let Some(conn) = self.conn.take() {
            conn.release();
        }
    }
}

impl AsyncRead for Download {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.remaining == 0 || buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let Some(conn) = this.conn.as_mut() else {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        };
        let want = buf.remaining().min(usize::try_from(this.remaining).unwrap_or(usize::MAX));
        let mut limited = ReadBuf::new(buf.initialize_unfilled_to(want));
        let polled = conn.conn().poll_read_body(cx, &mut limited);
        if polled.is_ready() {
            this.waiting = false;
        }
        match polled {
            Poll::Ready(Ok(())) => {
                let n = limited.filled().len();
                if n == 0 {
                    this.conn = None;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "download ended with {} of {} bytes missing",
                            this.remaining, this.len
                        ),
                    )));
                }
                // `limited` filled the front of `buf`'s initialized unfilled part.
                buf.advance(n);
                this.remaining -= n as u64;
                if this.remaining == 0 {
                    this.finish();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                this.conn = None;
                Poll::Ready(Err(e))
            }
            Poll::Pending => {
                if !this.waiting {
                    // This read starts waiting now: arm its deadline.
                    let timeout = conn.conn().timeout();
                    this.deadline.as_mut().reset(Instant::now() + timeout);
                    this.waiting = true;
                }
                if this.deadline.as_mut().poll(cx).is_ready() {
                    this.conn = None;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "download stalled past the network timeout",
                    )));
                }
                Poll::Pending
            }
        }
    }
}
