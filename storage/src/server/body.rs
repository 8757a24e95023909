//! Reading request bodies: the bounded head of a streamed request, and its
//! content as an `AsyncRead` that fails when the client stalls.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use fdfs_protocol::connection::Connection;
use fdfs_protocol::{Decode, Streamed};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::session::Fault;

/// Longest head any FastDFS streamed storage request has (fixed fields +
/// two logic filenames + a signature), with room to spare; the default of
/// [`Streamed::MAX_HEAD_LEN`]. A request type may allow more (the upload
/// with metadata extension carries its metadata in the head).
pub const MAX_HEAD_LEN: usize = 1024;

/// Bodies of requests without file content are at most this long (the
/// largest is SET_METADATA with its metadata blob).
pub const MAX_PLAIN_BODY: u64 = 1 << 20;

/// Content left unread after a refusal is drained to keep the connection
/// usable up to this size; beyond it the connection is closed instead.
pub const MAX_DRAIN: u64 = 16 << 20;

/// Reads and decodes the head of a streamed request whose body is
/// `pkg_len` bytes; returns it and the content length that follows.
pub async fn read_head<R: Streamed>(
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<(R, u64), Fault> {
    if pkg_len < R::PREFIX_LEN as u64 {
        return Err(Fault::malformed(format!("body of {pkg_len} bytes is shorter than its head")));
    }
    let prefix = read_exact(conn, R::PREFIX_LEN).await?;
    let head_len = R::head_len(&prefix).map_err(Fault::Malformed)?;
    if head_len > R::MAX_HEAD_LEN.max(MAX_HEAD_LEN)
        || head_len as u64 > pkg_len
        || head_len < R::PREFIX_LEN
    {
        return Err(Fault::malformed(format!("head of {head_len} bytes in a {pkg_len}-byte body")));
    }
    let mut head = BytesMut::with_capacity(head_len);
    head.extend_from_slice(&prefix);
    let rest = head_len - R::PREFIX_LEN;
    let rest = conn.read_body(rest as u64, rest as u64).await.map_err(Fault::Io)?;
    head.extend_from_slice(&rest);
    let req = R::decode(&head).map_err(Fault::Malformed)?;
    let content = pkg_len - head_len as u64;
    if content != req.content_len() {
        return Err(Fault::malformed(format!(
            "head announces {} content bytes, the packet carries {content}",
            req.content_len()
        )));
    }
    Ok((req, content))
}

/// Reads a whole bounded body and decodes it.
pub async fn read_plain<T: Decode>(conn: &mut Connection, pkg_len: u64) -> Result<T, Fault> {
    if pkg_len > MAX_PLAIN_BODY {
        return Err(Fault::malformed(format!("body of {pkg_len} bytes is too large")));
    }
    let body = conn.read_body(pkg_len, MAX_PLAIN_BODY).await.map_err(Fault::Io)?;
    T::decode(&body).map_err(Fault::Malformed)
}

async fn read_exact(conn: &mut Connection, n: usize) -> Result<BytesMut, Fault> {
    conn.read_body(n as u64, MAX_HEAD_LEN as u64).await.map_err(Fault::Io)
}

/// An `AsyncRead` that fails with `TimedOut` when the inner reader makes
/// no progress for `timeout` — a stalled client must not pin a connection
/// (and a temp file) forever. The clock starts when a read starts waiting.
#[derive(Debug)]
pub struct Timed<R> {
    inner: R,
    timeout: Duration,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<R> Timed<R> {
    pub fn new(inner: R, timeout: Duration) -> Self {
        Self { inner, timeout, deadline: None }
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Timed<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.deadline = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let deadline = this.deadline.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep_until(Instant::now() + timeout))
                });
                if deadline.as_mut().poll(cx).is_ready() {
                    this.deadline = None;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "client sent no content within the network timeout",
                    )));
                }
                Poll::Pending
            }
        }
    }
}
