//! The upload-with-metadata fallback against a peer that behaves like a
//! FastDFS storage: a tiny TCP server that answers EINVAL (22) to the
//! extension code, as FastDFS does to any command it does not know
//! (fastdfs-protocol.md §1), or closes the connection, and serves
//! UPLOAD_FILE, SET_METADATA and DELETE_FILE. The client must probe once,
//! remember the answer per address, and upload + SET_METADATA (overwrite);
//! a failed SET_METADATA deletes the new file again. A storage that
//! answers EINVAL and then closes the connection (FastDFS hangs up after
//! most errors) must not have that connection reused for the fallback.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fdfs_protocol::client::pool::{Pool, PoolConfig};
use fdfs_protocol::client::storage::{Content, StorageClient};
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::metadata::{MetaOp, Metadata};
use fdfs_protocol::storage::{FileIdResponse, SetMetadata};
use fdfs_protocol::{Decode, Status, cmd};
use tokio::net::TcpListener;

const T: Duration = Duration::from_secs(5);

/// How the fake storage treats the extension code.
#[derive(Clone, Copy)]
enum Unknown {
    Einval,
    Close,
    /// EINVAL, then the connection is closed a little later, unread bytes
    /// and all, as a FastDFS storage does.
    EinvalThenClose,
}

/// What the fake storage saw: command codes, and SET_METADATA requests.
#[derive(Default)]
struct Seen {
    cmds: Vec<u8>,
    set_meta: Vec<SetMetadata>,
}

/// Starts the fake FastDFS storage; `fail_set_meta` makes SET_METADATA
/// answer EIO.
async fn fake_fastdfs(unknown: Unknown, fail_set_meta: bool) -> (SocketAddr, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut conn = Connection::new(stream, T).unwrap();
                while let Ok(Some(h)) = conn.read_header_or_eof().await {
                    log.lock().unwrap().cmds.push(h.cmd);
                    let body = conn.read_body(h.pkg_len, 1 << 20).await.unwrap();
                    match h.cmd {
                        cmd::UPLOAD_FILE => {
                            let reply = FileIdResponse {
                                group: "group1".into(),
                                filename: "M00/00/00/fakeAAAAAAAAAAAAAAAAAAAAAAAAAA.txt".into(),
                            };
                            conn.respond(&reply).await.unwrap();
                        }
                        cmd::SET_METADATA => {
                            log.lock().unwrap().set_meta.push(SetMetadata::decode(&body).unwrap());
                            if fail_set_meta {
                                conn.respond_status(Status::EIO).await.unwrap();
                            } else {
                                conn.write_frame(cmd::RESP, 0, &[]).await.unwrap();
                            }
                        }
                        cmd::DELETE_FILE => conn.write_frame(cmd::RESP, 0, &[]).await.unwrap(),
                        _ => match unknown {
                            Unknown::Einval => conn.respond_status(Status::EINVAL).await.unwrap(),
                            Unknown::Close => return,
                            Unknown::EinvalThenClose => {
                                conn.respond_status(Status::EINVAL).await.unwrap();
                                tokio::time::sleep(Duration::from_millis(100)).await;
                                return;
                            }
                        },
                    }
                }
            });
        }
    });
    (addr, seen)
}

fn client() -> StorageClient {
    StorageClient::new(Pool::new(PoolConfig { network_timeout: T, ..PoolConfig::default() }))
}

fn tags() -> Metadata {
    [("s3-bucket", "b"), ("s3-key", "k.txt")].into_iter().collect()
}

async fn upload(c: &StorageClient, addr: SocketAddr) -> Result<FileIdResponse, ConnError> {
    upload_bytes(c, addr, b"hello").await
}

async fn upload_bytes(
    c: &StorageClient,
    addr: SocketAddr,
    data: &[u8],
) -> Result<FileIdResponse, ConnError> {
    let content = Content { len: data.len() as u64, reader: &mut &data[..] };
    c.upload_with_metadata(addr, 0, "txt", &tags(), content).await
}

#[tokio::test]
async fn einval_means_upload_then_set_metadata() {
    let (addr, seen) = fake_fastdfs(Unknown::Einval, false).await;
    let c = client();
    let first = upload(&c, addr).await.unwrap();
    let second = upload(&c, addr).await.unwrap();
    assert_eq!(first, second);
    // A clone shares what was learned: no second probe.
    assert!(!c.clone().supports_upload_with_metadata(addr).await.unwrap());
    let seen = seen.lock().unwrap();
    // One probe (the extension code with no body), then plain FastDFS.
    let probe = cmd::UPLOAD_FILE_WITH_METADATA;
    let (up, set) = (cmd::UPLOAD_FILE, cmd::SET_METADATA);
    assert_eq!(seen.cmds, [probe, up, set, up, set]);
    for req in &seen.set_meta {
        assert_eq!(req.op, MetaOp::Overwrite);
        assert_eq!(req.filename, first.filename);
        assert_eq!(req.metadata, tags());
    }
}

#[tokio::test]
async fn a_closed_connection_also_means_unsupported() {
    let (addr, seen) = fake_fastdfs(Unknown::Close, false).await;
    let c = client();
    upload(&c, addr).await.unwrap();
    let cmds = seen.lock().unwrap().cmds.clone();
    assert_eq!(cmds, [cmd::UPLOAD_FILE_WITH_METADATA, cmd::UPLOAD_FILE, cmd::SET_METADATA]);
}

#[tokio::test]
async fn the_connection_of_an_error_answer_is_not_reused() {
    // A 1-byte and a bigger upload right after the probe: before the fix
    // the probe's connection went back to the pool and the upload died on
    // it (EOF or reset), reported as the client's short body.
    for data in [vec![7u8], vec![9u8; 200 * 1024]] {
        let (addr, seen) = fake_fastdfs(Unknown::EinvalThenClose, false).await;
        let c = client();
        assert!(!c.supports_upload_with_metadata(addr).await.unwrap());
        assert_eq!(c.pool().idle_count(addr), 0, "the probe's connection was pooled");
        upload_bytes(&c, addr, &data).await.unwrap();
        let cmds = seen.lock().unwrap().cmds.clone();
        assert_eq!(cmds, [cmd::UPLOAD_FILE_WITH_METADATA, cmd::UPLOAD_FILE, cmd::SET_METADATA]);
        // The probe's connection was closed, not pooled; the upload's
        // connection (a success) was.
        assert_eq!(c.pool().idle_count(addr), 1);
    }
}

#[tokio::test]
async fn a_failed_set_metadata_deletes_the_file() {
    let (addr, seen) = fake_fastdfs(Unknown::Einval, true).await;
    let err = upload(&client(), addr).await.unwrap_err();
    assert!(matches!(err, ConnError::Status(Status::EIO)), "{err:?}");
    let cmds = seen.lock().unwrap().cmds.clone();
    let want =
        [cmd::UPLOAD_FILE_WITH_METADATA, cmd::UPLOAD_FILE, cmd::SET_METADATA, cmd::DELETE_FILE];
    assert_eq!(cmds, want);
}

#[tokio::test]
async fn no_answer_decides_nothing() {
    // Nobody listens: the error is returned and nothing is cached.
    let free = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let c = client();
    assert!(c.supports_upload_with_metadata(free).await.is_err());
    assert!(c.supports_upload_with_metadata(free).await.is_err());
}
