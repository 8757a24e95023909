//! Streamed requests (uploads, appends) that survive a dead pooled
//! connection.
//!
//! A streamed request's content comes from a source that cannot be
//! rewound (an S3 request body, say), so once bytes of it went into a
//! connection they cannot be sent again. But a pooled connection can be
//! dead before the request reaches the peer: the peer closed it while it
//! sat idle, and the close raced the pool's staleness check. Losing the
//! upload then (and blaming whoever sent the content) would be wrong.
//!
//! So the first [`IO_BUFFER_SIZE`] bytes of the content are read before a
//! connection is taken and kept until the exchange ends. When a reused
//! connection dies — the peer closed or reset it — before any byte past
//! that prefix was taken from the source, the request is sent again, once,
//! on a fresh connection. An upload that fits in the prefix (most small
//! files) is therefore never lost to a stale connection, and memory stays
//! one buffer per upload whatever its size. A timeout is not retried: the
//! peer may still be working on the request, and a second copy of the file
//! would be an orphan.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt};
use tracing::debug;

use super::storage::StorageClient;
use crate::connection::{ConnError, Connection, DEFAULT_BODY_LIMIT, IO_BUFFER_SIZE};
use crate::header::Header;
use crate::message::Streamed;

impl StorageClient {
    /// Sends a streamed request and decodes its response, retrying once on
    /// a fresh connection as the module docs describe.
    pub(super) async fn call_streamed<R, C>(
        &self,
        addr: SocketAddr,
        req: &R,
        content: &mut C,
    ) -> Result<R::Response, ConnError>
    where
        R: Streamed,
        C: AsyncRead + Unpin + ?Sized,
    {
        let len = req.content_len();
        let timeout = self.pool().config().network_timeout;
        let mut prefix = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX).min(IO_BUFFER_SIZE)];
        read_prefix(content, &mut prefix, len, timeout).await?;

        let mut conn = self.pool().get(addr).await?;
        let mut rest_taken = false;
        let result = exchange(conn.conn(), req, &prefix, content, &mut rest_taken).await;
        if let Err(e) = &result
            && conn.was_reused()
            && !rest_taken
            && connection_died(e)
        {
            debug!(%addr, error = %e, "pooled connection was dead; sending again on a fresh one");
            drop(conn);
            let mut fresh = self.pool().connect(addr).await?;
            let retry = exchange(fresh.conn(), req, &prefix, content, &mut rest_taken).await;
            fresh.finish(&retry);
            return retry;
        }
        conn.finish(&result);
        result
    }
}

/// Whether `e` says the peer closed or reset the connection.
pub(crate) fn connection_died(e: &ConnError) -> bool {
    matches!(e, ConnError::Io(io) if matches!(
        io.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    ))
}

/// Fills `buf` from `content`, each read bounded by `timeout`; a source
/// that ends first is [`ConnError::ShortContent`] of `len`.
async fn read_prefix<C>(
    content: &mut C,
    buf: &mut [u8],
    len: u64,
    timeout: std::time::Duration,
) -> Result<(), ConnError>
where
    C: AsyncRead + Unpin + ?Sized,
{
    let mut filled = 0;
    while filled < buf.len() {
        let n = tokio::time::timeout(timeout, content.read(&mut buf[filled..]))
            .await
            .map_err(|_| ConnError::Timeout(timeout))??;
        if n == 0 {
            return Err(ConnError::ShortContent { expected: len, got: filled as u64 });
        }
        filled += n;
    }
    Ok(())
}

/// One exchange: header, head, `prefix`, then the rest of the content from
/// `rest` (setting `rest_taken` before the first read of it), then the
/// response.
async fn exchange<R, C>(
    conn: &mut Connection,
    req: &R,
    prefix: &[u8],
    rest: &mut C,
    rest_taken: &mut bool,
) -> Result<R::Response, ConnError>
where
    R: Streamed,
    C: AsyncRead + Unpin + ?Sized,
{
    let head = req.to_body();
    let content_len = req.content_len();
    conn.write_header(&Header::request(R::CMD, head.len() as u64 + content_len)).await?;
    conn.write_all(&head).await?;
    conn.write_all(prefix).await?;
    let left = content_len - prefix.len() as u64;
    if left > 0 {
        *rest_taken = true;
        conn.copy_from(rest, left).await?;
    }
    conn.flush().await?;
    conn.recv::<R::Response>(DEFAULT_BODY_LIMIT).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{connection_died, read_prefix};
    use crate::connection::ConnError;

    #[test]
    fn only_a_closed_or_reset_connection_died() {
        for kind in [
            std::io::ErrorKind::UnexpectedEof,
            std::io::ErrorKind::ConnectionReset,
            std::io::ErrorKind::BrokenPipe,
        ] {
            assert!(connection_died(&ConnError::Io(kind.into())));
        }
        assert!(!connection_died(&ConnError::Timeout(Duration::from_secs(1))));
        assert!(!connection_died(&ConnError::Status(crate::Status::EINVAL)));
        assert!(!connection_died(&ConnError::ShortContent { expected: 2, got: 1 }));
        assert!(!connection_died(&ConnError::Io(std::io::ErrorKind::TimedOut.into())));
    }

    #[tokio::test]
    async fn a_short_source_is_short_content() {
        let mut src: &[u8] = b"ab";
        let mut buf = [0u8; 3];
        let e = read_prefix(&mut src, &mut buf, 3, Duration::from_secs(1)).await.unwrap_err();
        assert!(matches!(e, ConnError::ShortContent { expected: 3, got: 2 }), "{e:?}");
        let mut src: &[u8] = b"abcd";
        read_prefix(&mut src, &mut buf, 4, Duration::from_secs(1)).await.unwrap();
        assert_eq!(&buf, b"abc");
        assert_eq!(src, b"d");
    }
}
