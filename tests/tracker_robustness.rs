//! Bad input against a real `fdfs tracker`: every case gets the right status
//! or a closed connection, and the tracker keeps serving.

mod support;

use std::time::Duration;

use fdfs_protocol::client::{Pool, TrackerClient};
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::message::{ActiveTest, Empty};
use fdfs_protocol::tracker::Beat;
use fdfs_protocol::{Header, Status, cmd};
use rand::{Rng, SeedableRng};
use support::process::{TempDir, free_addr, tracker};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const T: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_answers_and_the_tracker_keeps_serving() {
    let dir = TempDir::new("tracker-bad-input");
    let addr = free_addr(10);
    let t = tracker(addr, dir.path(), &[]);

    // Unknown command: EINVAL, connection stays usable.
    let mut c = Connection::connect(addr, T, T).await.unwrap();
    c.write_frame(250, 0, b"").await.unwrap();
    assert!(matches!(c.recv::<Empty>(64).await, Err(ConnError::Status(Status::EINVAL))));
    c.call(&ActiveTest).await.unwrap();

    // A storage command before JOIN: EACCES.
    let refused = c.call(&Beat { stat: None }).await;
    assert!(matches!(refused, Err(ConnError::Status(Status::EACCES))), "{refused:?}");

    // Malformed body (QUERY_STORE_WITH_GROUP_ONE needs exactly 16 bytes):
    // EINVAL, then the tracker closes the connection.
    c.write_frame(cmd::QUERY_STORE_WITH_GROUP_ONE, 0, b"short").await.unwrap();
    assert!(matches!(c.recv::<Empty>(64).await, Err(ConnError::Status(Status::EINVAL))));
    assert!(c.read_header_or_eof().await.unwrap().is_none(), "connection left open");

    // A length field far beyond what a tracker accepts: refused at once,
    // nothing allocated, connection closed.
    let mut raw = TcpStream::connect(addr).await.unwrap();
    raw.write_all(&Header::request(cmd::SERVER_LIST_STORAGE, 1 << 40).to_bytes()).await.unwrap();
    let mut answer = [0u8; 10];
    raw.read_exact(&mut answer).await.unwrap();
    assert_eq!(Header::decode(&answer).unwrap().status, Status::EINVAL.0);
    assert_eq!(raw.read(&mut answer).await.unwrap(), 0);

    // A negative length, and plain garbage: the connection just closes.
    let mut raw = TcpStream::connect(addr).await.unwrap();
    raw.write_all(&[0xff; 10]).await.unwrap();
    assert_eq!(tokio::time::timeout(T, raw.read(&mut answer)).await.unwrap().unwrap(), 0);

    // Random frames from a seeded generator, many connections.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    for _ in 0..200 {
        let mut raw = TcpStream::connect(addr).await.unwrap();
        let code: u8 = rng.random_range(50..=115);
        let len: usize = rng.random_range(0..300);
        let body: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let mut frame = Header::request(code, len as u64).to_bytes().to_vec();
        frame.extend_from_slice(&body);
        let _ = raw.write_all(&frame).await;
        let _ = tokio::time::timeout(Duration::from_millis(200), raw.read(&mut answer)).await;
    }

    // Still serving, and still alive.
    let client = TrackerClient::new(vec![addr], Pool::default()).unwrap();
    let _ = client.list_groups().await.unwrap();
    assert!(!t.log_text().contains("panicked"), "{}", t.log_text());
}
