//! The gateway in front of a storage that behaves like a real FastDFS one
//! on the upload-with-metadata probe: it answers EINVAL to the unknown
//! command and then closes the connection (issue 10, point 13). Before the
//! fix the probe's connection went back to the pool, the fallback upload
//! was sent on it and died: a 1-byte PUT answered 400 IncompleteBody, a
//! bigger one 503, and the object was lost.
//!
//! The storage here is a relay in front of the stack's real storage that
//! plays FastDFS on the probe and forwards every other request byte for
//! byte; a relay in front of the real tracker points upload queries at it.
//! A second gateway uses that tracker relay, so its uploads take the
//! FastDFS path: probe, UPLOAD_FILE, SET_METADATA.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::primitives::ByteStream;
use fdfs_protocol::client::{Pool, TrackerClient, storage_socket_addr};
use fdfs_protocol::server::shutdown_channel;
use fdfs_protocol::tracker::query::StoreTarget;
use fdfs_protocol::tracker::records::ServerAddr;
use fdfs_protocol::{Decode, Encode, HEADER_LEN, Header, cmd};
use fdfs_s3api::gateway::server::{GatewayConfig, GatewayServer};
use support::{SECRET, Stack, body, client_at, make_bucket, owner_key};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Requests the FastDFS-like storage relay saw, by kind.
#[derive(Default)]
struct Seen {
    probes: AtomicUsize,
    uploads: AtomicUsize,
}

async fn read_header(s: &mut TcpStream) -> Option<Header> {
    let mut h = [0u8; HEADER_LEN];
    s.read_exact(&mut h).await.ok()?;
    Header::decode(&h).ok()
}

/// Copies `len` bytes from `from` to `to`.
async fn pass(from: &mut TcpStream, to: &mut TcpStream, len: u64) -> std::io::Result<()> {
    let n = tokio::io::copy(&mut from.take(len), to).await?;
    if n != len {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// A storage that answers the probe as FastDFS does (EINVAL, then a close
/// a moment later) and relays everything else to `upstream`.
async fn fastdfs_like_storage(upstream: SocketAddr) -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut up = TcpStream::connect(upstream).await.unwrap();
                while let Some(h) = read_header(&mut client).await {
                    if h.cmd == cmd::UPLOAD_FILE_WITH_METADATA {
                        log.probes.fetch_add(1, Ordering::SeqCst);
                        let answer = Header { pkg_len: 0, cmd: cmd::RESP, status: 22 };
                        client.write_all(&answer.to_bytes()).await.unwrap();
                        // FastDFS hangs up after the error, not at once.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        return;
                    }
                    if h.cmd == cmd::UPLOAD_FILE {
                        log.uploads.fetch_add(1, Ordering::SeqCst);
                    }
                    let relayed = async {
                        up.write_all(&h.to_bytes()).await?;
                        pass(&mut client, &mut up, h.pkg_len).await?;
                        let r = read_header(&mut up).await.ok_or(std::io::ErrorKind::Other)?;
                        client.write_all(&r.to_bytes()).await?;
                        pass(&mut up, &mut client, r.pkg_len).await
                    };
                    if relayed.await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen)
}

/// A relay to the tracker at `upstream` whose answers to upload queries
/// name `storage` instead of the real storage.
async fn tracker_pointing_at(upstream: SocketAddr, storage: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut up = TcpStream::connect(upstream).await.unwrap();
                while let Some(h) = read_header(&mut client).await {
                    let relayed = async {
                        up.write_all(&h.to_bytes()).await?;
                        pass(&mut client, &mut up, h.pkg_len).await?;
                        let mut r = read_header(&mut up).await.ok_or(std::io::ErrorKind::Other)?;
                        let mut body = vec![0u8; usize::try_from(r.pkg_len).unwrap()];
                        up.read_exact(&mut body).await?;
                        let query =
                            [cmd::QUERY_STORE_WITH_GROUP_ONE, cmd::QUERY_STORE_WITHOUT_GROUP_ONE];
                        if r.status == 0 && query.contains(&h.cmd) {
                            let mut target = StoreTarget::decode(&body).unwrap();
                            target.storage =
                                ServerAddr::new(storage.ip().to_string(), storage.port());
                            body = target.to_body().to_vec();
                            r.pkg_len = body.len() as u64;
                        }
                        client.write_all(&r.to_bytes()).await?;
                        client.write_all(&body).await
                    };
                    if relayed.await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn puts_through_a_fastdfs_like_storage_are_stored() {
    let stack = Stack::start().await;
    let tracker = TrackerClient::new(vec![stack.tracker], Pool::default()).unwrap();
    let real = storage_socket_addr(&tracker.query_store(Some("group1")).await.unwrap().storage);
    let (storage, seen) = fastdfs_like_storage(real.unwrap()).await;
    let tracker_relay = tracker_pointing_at(stack.tracker, storage).await;

    let dir = tempfile::tempdir().unwrap();
    let mut config = GatewayConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        vec![tracker_relay],
        dir.path().join("gateway"),
    );
    config.owner_key = Some(owner_key());
    config.drain_timeout = Duration::from_secs(2);
    let gateway = GatewayServer::bind(config).await.unwrap();
    // No SDK retries: a lost upload must not hide behind a retried 503.
    let s3 = client_at(gateway.local_addr(), SECRET);
    let s3 = aws_sdk_s3::Client::from_conf(
        s3.config().to_builder().retry_config(RetryConfig::disabled()).build(),
    );
    let (trigger, shutdown) = shutdown_channel();
    let task = tokio::spawn(gateway.run(shutdown));

    make_bucket(&s3, "fastdfs").await;
    // Twice each: the first PUT probes, the later ones reuse what the
    // pool kept (only connections whose last exchange succeeded).
    let sizes = [1usize, 1, 1000, 200 * 1024, 6 << 20, 1];
    for (i, size) in sizes.into_iter().enumerate() {
        let data: Vec<u8> = (0..size).map(|n| (n * 31 + i) as u8).collect();
        let key = format!("k{i}");
        let put = s3
            .put_object()
            .bucket("fastdfs")
            .key(&key)
            .body(ByteStream::from(data.clone()))
            .send()
            .await;
        assert!(put.is_ok(), "PUT of {size} bytes failed: {put:?}");
        let got = s3.get_object().bucket("fastdfs").key(&key).send().await.unwrap();
        assert_eq!(body(got).await, data, "object {key}");
    }
    assert_eq!(seen.probes.load(Ordering::SeqCst), 1, "one probe, its answer remembered");
    assert_eq!(seen.uploads.load(Ordering::SeqCst), sizes.len(), "every PUT went the FastDFS way");

    trigger.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    stack.stop().await;
}
