//! Bad input against a real `fdfs storage`: the right status or a closed
//! connection for each case, no half-written file anywhere, and the storage
//! keeps serving.

mod support;

use std::time::{Duration, Instant};

use fdfs_protocol::client::{Content, Pool, StorageClient};
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::message::{ActiveTest, Empty};
use fdfs_protocol::storage::UploadFile;
use fdfs_protocol::{Encode, Header, Status, cmd};
use rand::{Rng, SeedableRng};
use support::process::{TempDir, free_addr, storage, tracker};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const T: Duration = Duration::from_secs(5);

/// Files under `dir` whose name ends with `suffix`.
fn files_matching(dir: &std::path::Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                out.push(path);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_answers_and_nothing_half_written_remains() {
    let dir = TempDir::new("storage-bad-input");
    let t = free_addr(10);
    let _tracker = tracker(t, &dir.path().join("tracker"), &[]);
    let addr = free_addr(51);
    let data = dir.path().join("s");
    let s = storage(addr, "group1", &[t], &data, &["--network-timeout", "1"]);

    // Unknown command: EINVAL, connection still usable.
    let mut c = Connection::connect(addr, T, T).await.unwrap();
    c.write_frame(250, 0, b"abc").await.unwrap();
    assert!(matches!(c.recv::<Empty>(64).await, Err(ConnError::Status(Status::EINVAL))));
    c.call(&ActiveTest).await.unwrap();

    // Wrong group: EINVAL.
    let wrong = fdfs_protocol::storage::DeleteFile {
        group: "group9".into(),
        filename: "M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt".into(),
    };
    assert!(matches!(c.call(&wrong).await, Err(ConnError::Status(Status::EINVAL))));

    // An upload whose length field claims a terabyte: refused (ENOSPC)
    // before any byte is read, and the connection closed rather than drained.
    let mut raw = TcpStream::connect(addr).await.unwrap();
    let head = UploadFile { store_path_index: 0, file_size: 1 << 40, ext: "bin".into() }.to_body();
    let mut frame =
        Header::request(cmd::UPLOAD_FILE, head.len() as u64 + (1 << 40)).to_bytes().to_vec();
    frame.extend_from_slice(&head);
    raw.write_all(&frame).await.unwrap();
    let mut answer = [0u8; 10];
    tokio::time::timeout(T, raw.read_exact(&mut answer)).await.unwrap().unwrap();
    let status = Header::decode(&answer).unwrap().status;
    assert!(status == Status::ENOSPC.0 || status == Status::EINVAL.0, "status {status}");
    assert_eq!(tokio::time::timeout(T, raw.read(&mut answer)).await.unwrap().unwrap(), 0);

    // A head whose length does not match the packet: EINVAL and closed.
    let mut raw = TcpStream::connect(addr).await.unwrap();
    let head = UploadFile { store_path_index: 0, file_size: 10, ext: "bin".into() }.to_body();
    let mut frame = Header::request(cmd::UPLOAD_FILE, head.len() as u64 + 3).to_bytes().to_vec();
    frame.extend_from_slice(&head);
    frame.extend_from_slice(b"abc");
    raw.write_all(&frame).await.unwrap();
    tokio::time::timeout(T, raw.read_exact(&mut answer)).await.unwrap().unwrap();
    assert_eq!(Header::decode(&answer).unwrap().status, Status::EINVAL.0);

    // A client that announces 1 MiB, sends 1 KiB and stalls: the storage
    // gives up after its network timeout and leaves no file or temp file.
    let mut raw = TcpStream::connect(addr).await.unwrap();
    let head = UploadFile { store_path_index: 0, file_size: 1 << 20, ext: "bin".into() }.to_body();
    let mut frame =
        Header::request(cmd::UPLOAD_FILE, head.len() as u64 + (1 << 20)).to_bytes().to_vec();
    frame.extend_from_slice(&head);
    frame.extend_from_slice(&[7u8; 1024]);
    raw.write_all(&frame).await.unwrap();
    let started = Instant::now();
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), raw.read_to_end(&mut sink)).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "stalled upload held for {:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(files_matching(&data, ".bin").is_empty(), "{:?}", files_matching(&data, ".bin"));
    assert!(files_matching(&data.join("data").join(".tmp"), "").is_empty(), "temp files left");

    // Random frames on many connections.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xfd5);
    for _ in 0..200 {
        let mut raw = TcpStream::connect(addr).await.unwrap();
        let code: u8 = rng.random_range(1..=60);
        let len: usize = rng.random_range(0..200);
        let body: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let mut frame = Header::request(code, len as u64).to_bytes().to_vec();
        frame.extend_from_slice(&body);
        let _ = raw.write_all(&frame).await;
        let _ = tokio::time::timeout(Duration::from_millis(100), raw.read(&mut answer)).await;
    }

    // Still serving.
    let client = StorageClient::new(Pool::default());
    let mut reader: &[u8] = b"still here";
    let stored = client
        .upload(addr, 0xFF, "txt", false, Content { len: 10, reader: &mut reader })
        .await
        .unwrap();
    assert!(stored.filename.ends_with(".txt"));
    assert!(!s.log_text().contains("panicked"), "{}", s.log_text());
}
