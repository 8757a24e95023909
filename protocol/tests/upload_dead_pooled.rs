//! A streamed upload on a pooled connection the peer is closing: a server
//! that answers one upload per connection and then hangs up a little later
//! (after the client already took the connection from the pool again),
//! leaving the next request unread. The client must send the upload again
//! on a fresh connection — it still holds every byte it sent — instead of
//! losing it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fdfs_protocol::client::pool::{Pool, PoolConfig};
use fdfs_protocol::client::storage::{Content, StorageClient};
use fdfs_protocol::cmd;
use fdfs_protocol::connection::Connection;
use fdfs_protocol::storage::FileIdResponse;
use tokio::net::TcpListener;

const T: Duration = Duration::from_secs(5);

/// Serves one UPLOAD_FILE per connection, then closes it 200 ms later
/// without reading anything more. Counts accepted connections and uploads
/// stored.
async fn one_shot_storage() -> (SocketAddr, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let stored = Arc::new(AtomicUsize::new(0));
    let (a, s) = (Arc::clone(&accepted), Arc::clone(&stored));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            a.fetch_add(1, Ordering::SeqCst);
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                let mut conn = Connection::new(stream, T).unwrap();
                let Ok(Some(h)) = conn.read_header_or_eof().await else { return };
                assert_eq!(h.cmd, cmd::UPLOAD_FILE);
                conn.discard(h.pkg_len).await.unwrap();
                s.fetch_add(1, Ordering::SeqCst);
                let reply = FileIdResponse {
                    group: "group1".into(),
                    filename: "M00/00/00/fakeAAAAAAAAAAAAAAAAAAAAAAAAAA.txt".into(),
                };
                conn.respond(&reply).await.unwrap();
                tokio::time::sleep(Duration::from_millis(200)).await;
            });
        }
    });
    (addr, accepted, stored)
}

async fn upload(c: &StorageClient, addr: SocketAddr, data: &[u8]) -> FileIdResponse {
    let content = Content { len: data.len() as u64, reader: &mut &data[..] };
    c.upload(addr, 0, "txt", false, content).await.unwrap()
}

#[tokio::test]
async fn an_upload_on_a_dead_pooled_connection_is_sent_again() {
    let (addr, accepted, stored) = one_shot_storage().await;
    let c =
        StorageClient::new(Pool::new(PoolConfig { network_timeout: T, ..PoolConfig::default() }));
    for (i, size) in [1usize, 1000, 64 * 1024].into_iter().enumerate() {
        upload(&c, addr, &vec![1u8; size]).await;
        assert_eq!(c.pool().idle_count(addr), 1, "upload {i} pooled its connection");
    }
    // Every upload after the first took the pooled connection, found it
    // dead and went again on a fresh one: one stored file each.
    assert_eq!(stored.load(Ordering::SeqCst), 3);
    assert!(accepted.load(Ordering::SeqCst) >= 3);
}
