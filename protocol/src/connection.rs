//! A framed connection: headers and small bodies are decoded into typed
//! messages, large bodies stream through without being buffered.
//!
//! Handlers and clients never touch raw socket bytes; they send a typed
//! [`Request`], stream content after a [`Streamed`] head, and either decode a
//! bounded response body or read it as a stream with [`Connection::body`].
//! Every socket operation is bounded by the connection's network timeout.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;

use crate::error::DecodeError;
use crate::header::{HEADER_LEN, Header};
use crate::message::{Decode, Encode, Request, Streamed};
use crate::status::Status;

/// Buffer size of each direction; bounds the memory of one connection.
pub const IO_BUFFER_SIZE: usize = 64 * 1024;

/// Default upper bound on a body decoded into memory (responses that are
/// lists or text). File content never goes through this path.
pub const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;

/// What can go wrong talking to a FastDFS server.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The server answered with a non-zero status.
    #[error("server answered {0}")]
    Status(Status),
    #[error("bad message: {0}")]
    Decode(#[from] DecodeError),
    /// The peer broke the protocol (wrong response code, oversized body).
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The content source ended before the announced length.
    #[error("content ended after {got} of {expected} bytes")]
    ShortContent { expected: u64, got: u64 },
}

impl ConnError {
    /// Whether the connection can still be used after this error: only a
    /// status answer leaves the stream in a known state.
    pub fn connection_reusable(&self) -> bool {
        matches!(self, Self::Status(_))
    }

    /// Whether the server answered (with an error status): the request
    /// was read and refused, so sending it again would not help. Any other
    /// error leaves unknown how far the request got.
    pub fn is_answer(&self) -> bool {
        matches!(self, Self::Status(_))
    }

    /// The status a server would see for this failure.
    pub fn status(&self) -> Status {
        match self {
            Self::Status(s) => *s,
            Self::Decode(_) | Self::Protocol(_) => Status::EINVAL,
            Self::Io(e) => Status::from_io(e),
            Self::Timeout(_) | Self::ShortContent { .. } => Status::EIO,
        }
    }
}

/// The buffered socket: reads and writes each through their own buffer.
pub type BufferedStream = BufReader<BufWriter<TcpStream>>;

/// A framed FastDFS connection over TCP.
#[derive(Debug)]
pub struct Connection {
    stream: BufferedStream,
    peer: SocketAddr,
    timeout: Duration,
}

impl Connection {
    /// Connects to `addr` within `connect_timeout`; later socket operations
    /// are bounded by `network_timeout`.
    pub async fn connect(
        addr: SocketAddr,
        connect_timeout: Duration,
        network_timeout: Duration,
    ) -> Result<Self, ConnError> {
        let stream = tokio::time::timeout(connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ConnError::Timeout(connect_timeout))??;
        Self::new(stream, network_timeout)
    }

    /// Wraps an accepted or connected stream.
    pub fn new(stream: TcpStream, network_timeout: Duration) -> Result<Self, ConnError> {
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        Ok(Self {
            stream: BufReader::with_capacity(
                IO_BUFFER_SIZE,
                BufWriter::with_capacity(IO_BUFFER_SIZE, stream),
            ),
            peer,
            timeout: network_timeout,
        })
    }

    /// The remote address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.get_ref().get_ref().local_addr()
    }

    /// The per-operation network timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether the peer has closed the connection or sent unsolicited bytes,
    /// checked without blocking. An idle pooled connection that fails this
    /// must not be reused.
    pub fn is_stale(&self) -> bool {
        if !self.stream.buffer().is_empty() {
            return true;
        }
        let mut probe = [0u8; 1];
        match self.stream.get_ref().get_ref().try_read(&mut probe) {
            Ok(_) => true, // 0 = closed by peer, >0 = bytes nobody asked for
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        }
    }

    /// Writes a header and a body from memory, and flushes.
    pub async fn write_frame(&mut self, cmd: u8, status: u8, body: &[u8]) -> Result<(), ConnError> {
        let header = Header { pkg_len: body.len() as u64, cmd, status };
        self.write_header(&header).await?;
        self.write_all(body).await?;
        self.flush().await
    }

    /// Writes a header into the send buffer (not flushed).
    pub async fn write_header(&mut self, header: &Header) -> Result<(), ConnError> {
        self.write_all(&header.to_bytes()).await
    }

    /// Sends a request whose whole body is its encoding.
    pub async fn send<R: Request>(&mut self, req: &R) -> Result<(), ConnError> {
        self.send_with_status(req, 0).await
    }

    /// Sends a request with a non-zero header status byte (QUERY_FILE_INFO
    /// flags, SYNC_CREATE's "no content follows").
    pub async fn send_with_status<R: Request>(
        &mut self,
        req: &R,
        status: u8,
    ) -> Result<(), ConnError> {
        let body = req.to_body();
        self.write_frame(R::CMD, status, &body).await
    }

    /// Sends a streamed request: its head, then exactly `content_len()` bytes
    /// copied from `content` through a bounded buffer.
    pub async fn send_streamed<R, C>(&mut self, req: &R, content: &mut C) -> Result<(), ConnError>
    where
        R: Streamed,
        C: AsyncRead + Unpin + ?Sized,
    {
        let head = req.to_body();
        let total = head.len() as u64 + req.content_len();
        self.write_header(&Header::request(R::CMD, total)).await?;
        self.write_all(&head).await?;
        self.copy_from(content, req.content_len()).await?;
        self.flush().await
    }

    /// Appends raw bytes to the send buffer.
    pub async fn write_all(&mut self, bytes: &[u8]) -> Result<(), ConnError> {
        timed(self.timeout, self.stream.write_all(bytes)).await
    }

    /// Flushes the send buffer.
    pub async fn flush(&mut self) -> Result<(), ConnError> {
        timed(self.timeout, self.stream.flush()).await
    }

    /// Copies exactly `len` bytes from `content` to the peer. Each read and
    /// write is bounded by the timeout, so a stalled source or peer fails
    /// instead of hanging.
    pub async fn copy_from<C>(&mut self, content: &mut C, len: u64) -> Result<(), ConnError>
    where
        C: AsyncRead + Unpin + ?Sized,
    {
        let mut buf = vec![0u8; IO_BUFFER_SIZE.min(len.max(1) as usize)];
        let mut left = len;
        while left > 0 {
            let want = buf.len().min(left as usize);
            let n = timed(self.timeout, content.read(&mut buf[..want])).await?;
            if n == 0 {
                return Err(ConnError::ShortContent { expected: len, got: len - left });
            }
            self.write_all(&buf[..n]).await?;
            left -= n as u64;
        }
        Ok(())
    }

    /// Sends `len` bytes of `file` from `offset` straight from the page
    /// cache to the socket with `sendfile(2)` (zero-copy: the bytes never
    /// enter user space), after flushing anything buffered. Each wait for
    /// the socket to take more is bounded by the network timeout. Falls
    /// back to a buffered copy where the kernel refuses `sendfile` for this
    /// pair of descriptors.
    pub async fn send_file(
        &mut self,
        file: &mut tokio::fs::File,
        offset: u64,
        len: u64,
    ) -> Result<(), ConnError> {
        self.flush().await?;
        let mut position = offset;
        let end = offset.saturating_add(len);
        while position < end {
            let chunk = usize::try_from(end - position).unwrap_or(usize::MAX).min(1 << 30);
            let socket = self.stream.get_ref().get_ref();
            timed(self.timeout, socket.writable()).await?;
            let sent = socket.try_io(tokio::io::Interest::WRITABLE, || {
                rustix::fs::sendfile(socket, &*file, Some(&mut position), chunk)
                    .map_err(io::Error::from)
            });
            match sent {
                Ok(0) => return Err(ConnError::Io(io::ErrorKind::UnexpectedEof.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if matches!(e.raw_os_error(), Some(22 | 38 | 95)) => {
                    // EINVAL / ENOSYS / EOPNOTSUPP: no sendfile for this file.
                    use tokio::io::AsyncSeekExt;
                    file.seek(std::io::SeekFrom::Start(position)).await?;
                    self.copy_from(file, end - position).await?;
                    return self.flush().await;
                }
                Err(e) => return Err(ConnError::Io(e)),
            }
        }
        Ok(())
    }

    /// Reads the next header, or `None` on a clean close before any byte.
    /// The first byte must come within the network timeout (the idle
    /// bound) and the rest of the header within one more: a peer that
    /// dribbles a header a byte at a time cannot stretch it.
    pub async fn read_header_or_eof(&mut self) -> Result<Option<Header>, ConnError> {
        let mut buf = [0u8; HEADER_LEN];
        let got = timed(self.timeout, self.stream.read(&mut buf)).await?;
        if got == 0 {
            return Ok(None);
        }
        if got < HEADER_LEN {
            timed(self.timeout, self.stream.read_exact(&mut buf[got..])).await?;
        }
        Ok(Some(Header::from_bytes(&buf)?))
    }

    /// Reads the next header; a close is an error.
    pub async fn read_header(&mut self) -> Result<Header, ConnError> {
        self.read_header_or_eof()
            .await?
            .ok_or_else(|| ConnError::Io(io::ErrorKind::UnexpectedEof.into()))
    }

    /// Reads a whole body of `len` bytes into memory, refusing bodies over
    /// `limit` before allocating anything.
    pub async fn read_body(&mut self, len: u64, limit: u64) -> Result<BytesMut, ConnError> {
        if len > limit {
            return Err(ConnError::Protocol(format!("body of {len} bytes exceeds limit {limit}")));
        }
        let mut body = BytesMut::zeroed(len as usize);
        timed(self.timeout, self.stream.read_exact(&mut body)).await?;
        Ok(body)
    }

    /// Reads and drops `len` body bytes (to keep the stream in sync after
    /// refusing a request whose body was already on its way).
    pub async fn discard(&mut self, len: u64) -> Result<(), ConnError> {
        let mut buf = [0u8; 8 * 1024];
        let mut left = len;
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = timed(self.timeout, self.stream.read(&mut buf[..want])).await?;
            if n == 0 {
                return Err(ConnError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
            left -= n as u64;
        }
        Ok(())
    }

    /// The next `len` body bytes as a stream. The caller must read all of it
    /// before using the connection again, and bounds its own reads in time
    /// (see [`Connection::copy_body_to`] for the timed copy).
    pub fn body(&mut self, len: u64) -> tokio::io::Take<&mut BufferedStream> {
        (&mut self.stream).take(len)
    }

    /// Polls body bytes into `buf`, for readers that stream a response body
    /// out of a pooled connection (the caller limits `buf` to the bytes left).
    pub fn poll_read_body(
        &mut self,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }

    /// Copies exactly `len` body bytes to `out`, each read and write bounded
    /// by the timeout.
    pub async fn copy_body_to<W>(&mut self, out: &mut W, len: u64) -> Result<(), ConnError>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        let mut left = len;
        while left > 0 {
            let chunk = timed(self.timeout, self.stream.fill_buf()).await?;
            if chunk.is_empty() {
                return Err(ConnError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
            let n = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let slice = &chunk[..n];
            timed(self.timeout, out.write_all(slice)).await?;
            self.stream.consume(n);
            left -= n as u64;
        }
        Ok(())
    }

    /// Reads a response header and checks it is a response. A non-zero status
    /// becomes [`ConnError::Status`] (with any error body drained).
    pub async fn read_response_header(&mut self) -> Result<Header, ConnError> {
        let header = self.read_header().await?;
        if header.cmd != crate::cmd::RESP {
            return Err(ConnError::Protocol(format!(
                "expected response code {}, got {}",
                crate::cmd::RESP,
                header.cmd
            )));
        }
        if header.status != 0 {
            // FastDFS sends no body with an error, but stay in sync if one came.
            if header.pkg_len > 0 {
                self.discard(header.pkg_len).await?;
            }
            return Err(ConnError::Status(Status(header.status)));
        }
        Ok(header)
    }

    /// Reads a complete, bounded response and decodes it.
    pub async fn recv<T: Decode>(&mut self, limit: u64) -> Result<T, ConnError> {
        let header = self.read_response_header().await?;
        let body = self.read_body(header.pkg_len, limit).await?;
        Ok(T::decode(&body)?)
    }

    /// Sends a request and decodes its response (bounded by
    /// [`DEFAULT_BODY_LIMIT`]).
    pub async fn call<R: Request>(&mut self, req: &R) -> Result<R::Response, ConnError> {
        self.send(req).await?;
        self.recv::<R::Response>(DEFAULT_BODY_LIMIT).await
    }

    /// Sends a request with `status` in its header and decodes the
    /// response (bounded by [`DEFAULT_BODY_LIMIT`]).
    pub async fn exchange<R: Request>(
        &mut self,
        req: &R,
        status: u8,
    ) -> Result<R::Response, ConnError> {
        self.send_with_status(req, status).await?;
        self.recv::<R::Response>(DEFAULT_BODY_LIMIT).await
    }

    /// Sends a success response with a typed body.
    pub async fn respond<T: Encode>(&mut self, body: &T) -> Result<(), ConnError> {
        let bytes = body.to_body();
        self.write_frame(crate::cmd::RESP, 0, &bytes).await
    }

    /// Sends an error response: status set, no body.
    pub async fn respond_status(&mut self, status: Status) -> Result<(), ConnError> {
        self.write_frame(crate::cmd::RESP, status.0, &[]).await
    }

    /// Shuts the write side down (best effort).
    pub async fn shutdown(&mut self) {
        let _ = self.stream.shutdown().await;
    }
}

/// Bounds one I/O operation by `timeout`.
async fn timed<T>(
    timeout: Duration,
    fut: impl Future<Output = io::Result<T>>,
) -> Result<T, ConnError> {
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| ConnError::Timeout(timeout))?
        .map_err(ConnError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{ActiveTest, Empty};
    use tokio::net::TcpListener;

    const T: Duration = Duration::from_secs(5);

    async fn pair() -> (Connection, Connection) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = tokio::join!(Connection::connect(addr, T, T), listener.accept());
        (client.unwrap(), Connection::new(accepted.unwrap().0, T).unwrap())
    }

    #[tokio::test]
    async fn call_and_respond() {
        let (mut client, mut server) = pair().await;
        let srv = tokio::spawn(async move {
            let h = server.read_header().await.unwrap();
            assert_eq!(h, Header::request(crate::cmd::ACTIVE_TEST, 0));
            server.respond(&Empty).await.unwrap();
            let h = server.read_header().await.unwrap();
            server.discard(h.pkg_len).await.unwrap();
            server.respond_status(Status::ENOENT).await.unwrap();
            assert!(server.read_header_or_eof().await.unwrap().is_none());
        });
        client.call(&ActiveTest).await.unwrap();
        client.write_frame(250, 0, b"junk").await.unwrap();
        let err = client.recv::<Empty>(16).await.unwrap_err();
        assert!(matches!(err, ConnError::Status(Status::ENOENT)));
        assert!(!client.is_stale());
        drop(client);
        srv.await.unwrap();
    }

    #[tokio::test]
    async fn oversized_body_is_refused_before_allocation() {
        let (mut client, mut server) = pair().await;
        server.write_header(&Header::response(u64::MAX >> 1)).await.unwrap();
        server.flush().await.unwrap();
        let err = client.recv::<Empty>(1024).await.unwrap_err();
        assert!(matches!(err, ConnError::Protocol(_)));
    }

    #[tokio::test]
    async fn send_file_streams_a_range_zero_copy() {
        let (mut client, mut server) = pair().await;
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let path = std::env::temp_dir().join(format!("fdfs-sendfile-{}", std::process::id()));
        std::fs::write(&path, &data).unwrap();
        let mut file = tokio::fs::File::open(&path).await.unwrap();
        let sender = tokio::spawn(async move {
            server.write_header(&Header::response(2_500_000)).await.unwrap();
            server.send_file(&mut file, 123, 2_500_000).await.unwrap();
            server
        });
        let h = client.read_response_header().await.unwrap();
        let body = client.read_body(h.pkg_len, 4 << 20).await.unwrap();
        assert_eq!(&body[..], &data[123..123 + 2_500_000]);
        sender.await.unwrap();
        std::fs::remove_file(&path).unwrap();
    }

    #[tokio::test]
    async fn closed_peer_is_stale() {
        let (client, server) = pair().await;
        drop(server);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(client.is_stale());
    }
}
