//! The real `fdfs tracker` and `fdfs storage` close connections that sit
//! idle for `--network-timeout`: one that never sends a byte, and one that
//! sent half a FastDFS header (FastDFS's network_timeout semantics, also
//! for a header that never completes). A client that keeps talking is
//! served throughout.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fdfs_protocol::connection::Connection;
use fdfs_protocol::message::ActiveTest;
use support::process::{TempDir, free_addr, storage, tracker};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// When the server closed `stream`, measured from `start`.
async fn closed_after(mut stream: TcpStream, start: Instant) -> Duration {
    let mut buf = [0u8; 64];
    loop {
        match tokio::time::timeout(Duration::from_secs(15), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return start.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("connection still open after 15 s"),
        }
    }
}

/// Checks the idle close of the server on `addr` (network timeout 1 s).
async fn idle_connections_are_closed(addr: SocketAddr) {
    let start = Instant::now();
    let silent = TcpStream::connect(addr).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(&[0, 0, 0, 0, 0]).await.unwrap();
    let silent = tokio::spawn(closed_after(silent, start));
    let half = tokio::spawn(closed_after(half, start));
    // A client talking every 400 ms is never idle for a second.
    let t = Duration::from_secs(2);
    let mut live = Connection::connect(addr, t, t).await.unwrap();
    for _ in 0..6 {
        live.call(&ActiveTest).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    for (name, closed) in [("silent", silent.await.unwrap()), ("half", half.await.unwrap())] {
        assert!(closed >= Duration::from_millis(900), "{addr} {name}: closed after {closed:?}");
        assert!(closed < Duration::from_secs(4), "{addr} {name}: closed after {closed:?}");
    }
    live.call(&ActiveTest).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracker_and_storage_close_idle_and_half_header_connections() {
    let dir = TempDir::new("native-idle");
    let t_addr = free_addr(83);
    let mut t = tracker(t_addr, &dir.path().join("tracker"), &["--network-timeout", "1"]);
    let s_addr = free_addr(84);
    let data = dir.path().join("storage");
    let mut s = storage(s_addr, "group1", &[t_addr], &data, &["--network-timeout", "1"]);
    idle_connections_are_closed(t_addr).await;
    idle_connections_are_closed(s_addr).await;
    assert!(s.terminate(Duration::from_secs(10)), "{}", s.log_text());
    assert!(t.terminate(Duration::from_secs(10)), "{}", t.log_text());
}
