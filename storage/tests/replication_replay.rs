//! A create replayed after its sender's crash does not bring back a file
//! the receiver deleted meanwhile (two real storages in-process, the real
//! sync worker and receiver). The fault suite (compat-tests/test_faults.py)
//! found it: a storage SIGKILLed between two saves of its peer's mark
//! pushed its creates again after its restart; files deleted through the
//! peer while it was down came back on the peer, referenced by no index.

#[allow(dead_code)]
#[path = "replication/support.rs"]
mod support;

use std::time::Duration;

use fdfs_protocol::Status;
use fdfs_protocol::client::storage::Content;
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::storage::SyncCreateFile;
use fdfs_storage::binlog::{Position, SyncMark};
use support::{GROUP, Node, Sync, client};

#[tokio::test]
async fn a_replayed_create_does_not_resurrect_a_deleted_file() {
    let (a, b) = (Node::start("127.0.0.2").await, Node::start("127.0.0.3").await);
    let data = b"deleted while its source was down";
    let content = Content { len: data.len() as u64, reader: &mut &data[..] };
    let name = client().upload(a.addr, 0, "txt", false, content).await.unwrap().filename;
    let kept = client()
        .upload(a.addr, 0, "txt", false, Content { len: 4, reader: &mut &b"kept"[..] })
        .await
        .unwrap()
        .filename;
    let sync = Sync::start(&a, &[&b]);
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await);
    sync.stop().await;
    assert!(b.files().contains_key(&name) && b.files().contains_key(&kept));

    // A "crashes" before saving its mark: the mark goes back to the start.
    let mark_path =
        SyncMark::path_for_peer(a.state.binlog.dir(), "127.0.0.3", b.addr.port()).unwrap();
    let mut mark = SyncMark::load_blocking(&mark_path).unwrap();
    mark.set_position(Position::START);
    mark.save_blocking(&mark_path).unwrap();
    // Meanwhile the file is deleted through B (the tracker names a live
    // storage for a delete when the source is down).
    client().delete(b.addr, GROUP, &name).await.unwrap();
    assert!(!b.files().contains_key(&name));

    // A restarts and pushes its creates again: B keeps the delete. (The
    // shared progress still says `end`; the mark file tells the replay.)
    let sync = Sync::start(&a, &[&b]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while SyncMark::load_blocking(&mark_path).unwrap().position() != end {
        assert!(std::time::Instant::now() < deadline, "the worker never replayed to the end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sync.stop().await;
    let files = b.files();
    assert!(!files.contains_key(&name), "the deleted file came back: {:?}", files.keys());
    assert!(!files.contains_key(&format!("{name}-m")), "{:?}", files.keys());
    assert!(files.contains_key(&kept), "other files are still replicated");

    // The same as a raw replayed create, content and metadata file: 17.
    let mut conn =
        Connection::connect(b.addr, Duration::from_secs(2), Duration::from_secs(5)).await.unwrap();
    for file in [name.clone(), format!("{name}-m")] {
        let req = SyncCreateFile {
            filename: file,
            file_size: data.len() as u64,
            timestamp: 1,
            group: GROUP.into(),
            content_omitted: false,
        };
        conn.send_streamed(&req, &mut &data[..]).await.unwrap();
        let answer = conn.read_response_header().await;
        assert!(matches!(answer, Err(ConnError::Status(Status::EEXIST))), "{answer:?}");
    }
    assert!(!b.files().contains_key(&name));
    a.stop().await;
    b.stop().await;
}
