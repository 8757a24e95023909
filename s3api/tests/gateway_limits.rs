//! The gateway's connection limits against real sockets: a request head
//! that never completes, a connection that never sends a byte, an idle
//! keep-alive connection and a body that stops flowing are each cut off
//! after their own timeout, and the stalled body is answered with S3's
//! `RequestTimeout`; the connection cap refuses at once.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::presigning::PresigningConfig;
use fdfs_s3api::gateway::net::HttpLimits;
use support::{SECRET, Stack, make_bucket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A stack whose gateway has `limits`.
async fn stack(limits: HttpLimits) -> Stack {
    Stack::start_configured(move |c| c.limits = limits).await
}

/// Short timeouts, each distinct so a test can tell which one fired.
fn short(header: u64, idle: u64, body: u64) -> HttpLimits {
    HttpLimits {
        header_timeout: Duration::from_millis(header),
        idle_timeout: Duration::from_millis(idle),
        body_timeout: Duration::from_millis(body),
        ..HttpLimits::default()
    }
}

/// Reads until the server closes `stream`: what it sent and when it
/// closed (measured from `start`).
async fn until_closed(stream: &mut TcpStream, start: Instant) -> (String, Duration) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(15), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("still open after 15 s; got {:?}", String::from_utf8_lossy(&got)),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
}

fn between(d: Duration, lo: u64, hi: u64) -> bool {
    d >= Duration::from_millis(lo) && d <= Duration::from_millis(hi)
}

#[tokio::test]
async fn a_request_head_that_never_completes_is_cut_off() {
    // Header 600 ms; idle far longer, so only the head timeout can fire.
    let stack = stack(short(600, 20_000, 20_000)).await;
    let start = Instant::now();
    let mut slow = TcpStream::connect(stack.s3).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let (_, closed) = until_closed(&mut slow, start).await;
    assert!(between(closed, 500, 3_000), "closed after {closed:?}");
    stack.stop().await;
}

#[tokio::test]
async fn silent_and_idle_keep_alive_connections_are_closed() {
    // Idle 600 ms; the head timeout far longer.
    let stack = stack(short(20_000, 600, 20_000)).await;
    let start = Instant::now();
    let mut silent = TcpStream::connect(stack.s3).await.unwrap();
    let (_, closed) = until_closed(&mut silent, start).await;
    assert!(between(closed, 500, 3_000), "silent closed after {closed:?}");

    // One request answered (an anonymous listing is refused, keep-alive),
    // then nothing: closed an idle timeout after the reply.
    let mut kept = TcpStream::connect(stack.s3).await.unwrap();
    kept.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let start = Instant::now();
    let (reply, closed) = until_closed(&mut kept, start).await;
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    assert!(between(closed, 500, 3_000), "keep-alive closed after {closed:?}");

    // A connection in use is not idle: requests 300 ms apart keep it open.
    let mut busy = TcpStream::connect(stack.s3).await.unwrap();
    for _ in 0..5 {
        busy.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 4096];
        let n = busy.read(&mut buf).await.unwrap();
        assert!(n > 0 && buf.starts_with(b"HTTP/1.1 403"));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_stalled_body_is_answered_request_timeout() {
    let stack = stack(short(20_000, 20_000, 700)).await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "stall").await;
    // A presigned PUT, so the raw request needs no signing here.
    let presigned = s3
        .put_object()
        .bucket("stall")
        .key("k")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let uri: http::Uri = presigned.uri().parse().unwrap();
    let mut conn = TcpStream::connect(stack.s3).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 100000\r\n\r\n",
        uri.path_and_query().unwrap(),
        stack.s3
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&[b'x'; 1000]).await.unwrap();
    let start = Instant::now();
    let (reply, closed) = until_closed(&mut conn, start).await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(reply.contains("<Code>RequestTimeout</Code>"), "{reply}");
    assert!(between(closed, 600, 5_000), "answered after {closed:?}");
    // Nothing was stored.
    let err = s3.head_object().bucket("stall").key("k").send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));

    // A body that keeps flowing, however slowly, is not stalled.
    let mut conn = TcpStream::connect(stack.s3).await.unwrap();
    let head = head.replace("Content-Length: 100000", "Content-Length: 10");
    conn.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        conn.write_all(b"y").await.unwrap();
    }
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut buf)).await.unwrap();
    let reply = String::from_utf8_lossy(&buf[..n.unwrap()]).into_owned();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    stack.stop().await;
}

#[tokio::test]
async fn a_full_listener_evicts_idle_connections_and_refuses_when_all_are_busy() {
    let limits = HttpLimits { max_connections: 2, ..HttpLimits::default() };
    let stack = stack(limits).await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "full").await;
    // Two idle connections fill the listener (the SDK's pooled one is
    // evicted as they arrive)...
    let mut idle =
        [TcpStream::connect(stack.s3).await.unwrap(), TcpStream::connect(stack.s3).await.unwrap()];
    tokio::time::sleep(Duration::from_millis(200)).await;
    // ...and a new client is served at once: the longest-idle one goes.
    let fresh = stack.client(SECRET);
    let listed = tokio::time::timeout(Duration::from_secs(5), fresh.list_buckets().send()).await;
    listed.unwrap().unwrap();
    let (_, closed) = until_closed(&mut idle[0], Instant::now()).await;
    assert!(closed < Duration::from_secs(1), "idle connection kept {closed:?}");

    // Connections in the middle of a request (a PUT whose body is still
    // coming) are never evicted: a newcomer is refused at once.
    let presigned = s3
        .put_object()
        .bucket("full")
        .key("slow")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let uri: http::Uri = presigned.uri().parse().unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 100\r\n\r\nxx",
        uri.path_and_query().unwrap(),
        stack.s3
    );
    drop(idle);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut c = TcpStream::connect(stack.s3).await.unwrap();
        c.write_all(head.as_bytes()).await.unwrap();
        busy.push(c);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    let mut refused = TcpStream::connect(stack.s3).await.unwrap();
    let (reply, closed) = until_closed(&mut refused, start).await;
    assert!(reply.is_empty() && closed < Duration::from_secs(2), "{reply} {closed:?}");
    drop(busy);
    tokio::time::sleep(Duration::from_millis(300)).await;
    s3.list_buckets().send().await.unwrap();
    stack.stop().await;
}
