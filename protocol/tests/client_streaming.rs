//! Streaming through the async storage client: large uploads and downloads
//! pass through bounded buffers, a download gives its connection back to
//! the pool only when read to the end, and a stalled server fails a read
//! within the network timeout instead of hanging it.
//!
//! The servers here are minimal FastDFS storages that only frame: the upload
//! sink counts and CRCs the content without keeping it, the download source
//! generates its content on the fly. Nothing on either side ever holds a
//! whole file in memory.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use fdfs_protocol::client::{Content, Pool, PoolConfig, StorageClient};
use fdfs_protocol::cmd;
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::storage::upload::UPLOAD_HEAD_LEN;
use fdfs_protocol::storage::{DownloadFile, FileIdResponse, UploadFile};
use fdfs_protocol::{Decode, Header};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Size of the large transfers. 256 MiB takes a few seconds each way in a
/// debug build on two cores, well within the time budget.
const BIG: u64 = 256 * 1024 * 1024;

/// A prime, so the repeating pattern never lines up with any buffer size:
/// a chunk lost, repeated or reordered changes the CRC.
const BLOCK_LEN: usize = 65_521;

/// Bound on each test, so a client bug fails instead of hanging.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

const FILENAME: &str = "M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.bin";

/// Deterministic content of a given length that CRCs what it hands out.
struct Pattern {
    block: Arc<[u8]>,
    pos: u64,
    len: u64,
    crc: crc32fast::Hasher,
}

impl Pattern {
    fn new(len: u64) -> Self {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let block: Vec<u8> = (0..BLOCK_LEN)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        Self { block: block.into(), pos: 0, len, crc: crc32fast::Hasher::new() }
    }

    /// CRC32 of everything read so far.
    fn crc(&self) -> u32 {
        self.crc.clone().finalize()
    }
}

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let at = (this.pos % BLOCK_LEN as u64) as usize;
        let left = usize::try_from(this.len - this.pos).unwrap_or(usize::MAX);
        let n = buf.remaining().min(left).min(BLOCK_LEN - at);
        let chunk = &this.block[at..at + n];
        buf.put_slice(chunk);
        this.crc.update(chunk);
        this.pos += n as u64;
        Poll::Ready(Ok(()))
    }
}

/// Reads `reader` to its end in 64 KiB steps; returns (bytes, CRC32).
async fn count_and_crc<R: AsyncRead + Unpin + ?Sized>(reader: &mut R) -> io::Result<(u64, u32)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut crc = crc32fast::Hasher::new();
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok((total, crc.finalize()));
        }
        crc.update(&buf[..n]);
        total += n as u64;
    }
}

fn client(network_timeout: Duration) -> StorageClient {
    StorageClient::new(Pool::new(PoolConfig { network_timeout, ..PoolConfig::default() }))
}

/// A storage that takes one UPLOAD_FILE, counts and CRCs its content
/// without storing it, and answers with a file ID.
async fn upload_sink() -> (SocketAddr, JoinHandle<(u64, u32)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = Connection::new(stream, Duration::from_secs(30)).unwrap();
        let header = conn.read_header().await.unwrap();
        assert_eq!(header.cmd, cmd::UPLOAD_FILE);
        let head = conn.read_body(UPLOAD_HEAD_LEN as u64, UPLOAD_HEAD_LEN as u64).await.unwrap();
        let req = UploadFile::decode(&head).unwrap();
        assert_eq!(header.pkg_len, UPLOAD_HEAD_LEN as u64 + req.file_size);
        assert_eq!((req.store_path_index, req.ext.as_str()), (0, "bin"));
        let counted = count_and_crc(&mut conn.body(req.file_size)).await.unwrap();
        let id = FileIdResponse { group: "group1".into(), filename: FILENAME.into() };
        conn.respond(&id).await.unwrap();
        counted
    });
    (addr, task)
}

/// How the download source answers.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// The whole body, for every request on the connection.
    Whole,
    /// The header and half the body, then silence.
    StallHalfway,
    /// Reads the request, then silence.
    StallBeforeHeader,
    /// The header and half the body, a pause of [`PAUSE`], the rest.
    PauseHalfway,
    /// The header and half the body, then a close.
    CloseHalfway,
}

/// The pause of [`Source::PauseHalfway`].
const PAUSE: Duration = Duration::from_millis(800);

/// A storage answering DOWNLOAD_FILE with `len` generated bytes; the task
/// yields the CRC32 of the last body it sent in full.
async fn download_source(len: u64, mode: Source) -> (SocketAddr, JoinHandle<Option<u32>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut sent_crc = None;
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = Connection::new(stream, Duration::from_secs(30)).unwrap();
        while let Ok(Some(header)) = conn.read_header_or_eof().await {
            assert_eq!(header.cmd, cmd::DOWNLOAD_FILE);
            let body = conn.read_body(header.pkg_len, 1024).await.unwrap();
            let req = DownloadFile::decode(&body).unwrap();
            assert_eq!((req.group.as_str(), req.filename.as_str()), ("group1", FILENAME));
            let mut content = Pattern::new(len);
            match mode {
                Source::StallBeforeHeader => {
                    tokio::time::sleep(TEST_TIMEOUT).await;
                    return sent_crc;
                }
                Source::StallHalfway => {
                    conn.write_header(&Header::response(len)).await.unwrap();
                    conn.copy_from(&mut content, len / 2).await.unwrap();
                    conn.flush().await.unwrap();
                    tokio::time::sleep(TEST_TIMEOUT).await;
                    return sent_crc;
                }
                Source::CloseHalfway => {
                    conn.write_header(&Header::response(len)).await.unwrap();
                    conn.copy_from(&mut content, len / 2).await.unwrap();
                    conn.flush().await.unwrap();
                    return sent_crc;
                }
                Source::PauseHalfway => {
                    conn.write_header(&Header::response(len)).await.unwrap();
                    conn.copy_from(&mut content, len / 2).await.unwrap();
                    conn.flush().await.unwrap();
                    tokio::time::sleep(PAUSE).await;
                    conn.copy_from(&mut content, len - len / 2).await.unwrap();
                    conn.flush().await.unwrap();
                    sent_crc = Some(content.crc());
                }
                Source::Whole => {
                    conn.write_header(&Header::response(len)).await.unwrap();
                    // A client that drops the download early resets the
                    // connection mid-body: that ends this server.
                    if conn.copy_from(&mut content, len).await.is_err()
                        || conn.flush().await.is_err()
                    {
                        return sent_crc;
                    }
                    sent_crc = Some(content.crc());
                }
            }
        }
        sent_crc
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_upload_streams_every_byte() {
    tokio::time::timeout(TEST_TIMEOUT, async {
        let (addr, sink) = upload_sink().await;
        let mut content = Pattern::new(BIG);
        let started = Instant::now();
        let id = client(Duration::from_secs(30))
            .upload(addr, 0, "bin", false, Content { len: BIG, reader: &mut content })
            .await
            .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(id.filename, FILENAME);
        let (count, crc) = sink.await.unwrap();
        assert_eq!(count, BIG);
        assert_eq!(crc, content.crc());
        eprintln!("uploaded {} MiB in {elapsed:?}", BIG >> 20);
    })
    .await
    .expect("upload finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_download_streams_every_byte() {
    tokio::time::timeout(TEST_TIMEOUT, async {
        let (addr, source) = download_source(BIG, Source::Whole).await;
        let client = client(Duration::from_secs(30));
        let started = Instant::now();
        let mut download = client.download(addr, "group1", FILENAME, 0, 0).await.unwrap();
        assert_eq!(download.len(), BIG);
        let (count, crc) = count_and_crc(&mut download).await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(count, BIG);
        assert_eq!(download.remaining(), 0);
        assert_eq!(client.pool().idle_count(addr), 1, "released after the last byte");
        drop(download);
        client.pool().clear();
        assert_eq!(source.await.unwrap(), Some(crc));
        eprintln!("downloaded {} MiB in {elapsed:?}", BIG >> 20);
    })
    .await
    .expect("download finished in time");
}

#[tokio::test]
async fn download_returns_its_connection_only_when_read_to_the_end() {
    const LEN: u64 = 4 * 1024 * 1024;
    let (addr, source) = download_source(LEN, Source::Whole).await;
    let client = client(Duration::from_secs(5));

    let mut download = client.download(addr, "group1", FILENAME, 0, 0).await.unwrap();
    let (count, crc) = count_and_crc(&mut download).await.unwrap();
    assert_eq!(count, LEN);
    assert_eq!(client.pool().idle_count(addr), 1);
    drop(download);
    assert_eq!(client.pool().idle_count(addr), 1);

    // The same (pooled) connection, dropped after one read: the rest of the
    // body is still in flight, so the connection must be closed.
    let mut download = client.download(addr, "group1", FILENAME, 0, 0).await.unwrap();
    assert_eq!(client.pool().idle_count(addr), 0, "checked out");
    let mut first = [0u8; 1000];
    download.read_exact(&mut first).await.unwrap();
    assert!(download.remaining() > 0);
    drop(download);
    assert_eq!(client.pool().idle_count(addr), 0, "a half-read download was pooled");

    // The first body went out whole, with the CRC the client computed.
    assert_eq!(source.await.unwrap(), Some(crc));
}

#[tokio::test]
async fn stalled_download_body_times_out() {
    const LEN: u64 = 1024 * 1024;
    let timeout = Duration::from_millis(500);
    let (addr, _source) = download_source(LEN, Source::StallHalfway).await;
    let client = client(timeout);
    let mut download = client.download(addr, "group1", FILENAME, 0, 0).await.unwrap();
    let started = Instant::now();
    let err = count_and_crc(&mut download).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(elapsed >= timeout - Duration::from_millis(50), "gave up after {elapsed:?}");
    assert!(elapsed < timeout * 4, "took {elapsed:?} to notice the stall");
    assert_eq!(download.remaining(), LEN - LEN / 2);
    assert_eq!(client.pool().idle_count(addr), 0);
    // Further reads keep failing instead of hanging.
    let mut byte = [0u8; 1];
    assert!(download.read(&mut byte).await.is_err());
}

#[tokio::test]
async fn download_cut_short_by_the_server_fails() {
    const LEN: u64 = 64 * 1024;
    let (addr, source) = download_source(LEN, Source::CloseHalfway).await;
    let client = client(Duration::from_secs(5));
    let mut download = client.download(addr, "group1", FILENAME, 0, 0).await.unwrap();
    let err = count_and_crc(&mut download).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(download.remaining(), LEN - LEN / 2);
    assert_eq!(client.pool().idle_count(addr), 0);
    assert_eq!(source.await.unwrap(), None);
}

#[tokio::test]
async fn stalled_download_header_times_out() {
    let timeout = Duration::from_millis(500);
    let (addr, _source) = download_source(1, Source::StallBeforeHeader).await;
    let client = client(timeout);
    let started = Instant::now();
    let result = client.download(addr, "group1", FILENAME, 0, 0).await;
    let elapsed = started.elapsed();
    assert!(matches!(result, Err(ConnError::Timeout(t)) if t == timeout), "{result:?}");
    assert!(elapsed < timeout * 4, "took {elapsed:?} to notice the stall");
    assert_eq!(client.pool().idle_count(addr), 0);
}

#[tokio::test]
async fn a_slow_reader_is_not_timed_out_by_its_own_pauses() {
    // The network timeout bounds how long one read waits for the server,
    // as FastDFS's recv timeout does; time the caller spends between reads
    // does not count. Here the reader pauses 700 ms (longer than the
    // timeout) and then waits about 100 ms for the rest of the body.
    const LEN: u64 = 64 * 1024;
    let timeout = Duration::from_millis(500);
    let (addr, source) = download_source(LEN, Source::PauseHalfway).await;
    let client = client(timeout);
    let mut download = client.download(addr, "group1", FILENAME, 0, 0).await.unwrap();
    let mut half = vec![0u8; (LEN / 2) as usize];
    download.read_exact(&mut half).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut rest = Vec::new();
    download.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest.len() as u64, LEN - LEN / 2);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&half);
    crc.update(&rest);
    assert_eq!(client.pool().idle_count(addr), 1);
    client.pool().clear();
    assert_eq!(source.await.unwrap(), Some(crc.finalize()));
}

#[tokio::test]
async fn upload_source_shorter_than_announced_fails_without_pooling() {
    // The storage would wait for the missing bytes: the client must fail and
    // close the connection, not hand a half-sent request back to the pool.
    // (A source shorter than the client's first buffer fails before any
    // connection is made: the server may see none.)
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let accepted = tokio::time::timeout(Duration::from_secs(2), listener.accept()).await;
        let Ok(Ok((mut stream, _))) = accepted else { return 0 };
        let mut received = Vec::new();
        stream.read_to_end(&mut received).await.unwrap();
        received.len()
    });
    let client = client(Duration::from_secs(5));
    let mut short: &[u8] = b"only ten b";
    let result =
        client.upload(addr, 0, "bin", false, Content { len: 1000, reader: &mut short }).await;
    assert!(
        matches!(result, Err(ConnError::ShortContent { expected: 1000, got: 10 })),
        "{result:?}"
    );
    assert_eq!(client.pool().idle_count(addr), 0);
    // The server saw a close (whatever part of the request was flushed
    // before it), not a connection left open mid-request.
    let received = tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap();
    assert!(received <= 10 + UPLOAD_HEAD_LEN + 10, "{received} bytes");
}
