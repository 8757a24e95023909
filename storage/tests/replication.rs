//! Replication between two real storage servers in-process on 127.0.0.2
//! and 127.0.0.3 (temp dirs, real sockets, the real sync manager and
//! receiver): every kind of change ends byte-identical on the peer with
//! replica records in its binlog; a restarted worker resumes from its mark;
//! a peer that was down catches up; an existing same-size file counts as
//! done; the receiver refuses malformed and short sync requests; with a
//! real tracker, a new member is filled by its sync source and turns ACTIVE;
//! a stalled peer holds up only its own worker.

#[path = "replication/support.rs"]
mod support;

use std::time::Duration;

use fdfs_protocol::Status;
use fdfs_protocol::client::storage::Content;
use fdfs_protocol::cmd;
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::message::ActiveTest;
use fdfs_protocol::metadata::{MetaOp, Metadata};
use fdfs_protocol::storage::{
    FetchOnePathBinlog, ReportServerId, SyncAppendFile, SyncCreateFile, SyncDeleteFile,
    SyncRenameFile, SyncTruncateFile,
};
use fdfs_protocol::tracker::{StorageBrief, StorageStatus};
use fdfs_storage::binlog::{Origin, SyncMark};
use fdfs_storage::store::WriteMode;
use support::{
    GROUP, Node, Reporting, Sync, TIMEOUT, TrackerNode, client, now_secs, until_status, wait_until,
};

/// A client on `node` uploads `data` (appender when asked); its filename.
async fn upload(node: &Node, data: &[u8], ext: &str, appender: bool) -> String {
    let content = Content { len: data.len() as u64, reader: &mut &data[..] };
    client().upload(node.addr, 0, ext, appender, content).await.unwrap().filename
}

#[tokio::test]
async fn every_change_reaches_the_peer() {
    let (a, b) = (Node::start("127.0.0.2").await, Node::start("127.0.0.3").await);
    let c = client();
    let plain = upload(&a, b"hello fastdfs fixture\n", "txt", false).await;
    let mut meta = Metadata::new();
    meta.push("author", "probe");
    c.set_metadata(a.addr, GROUP, &plain, MetaOp::Overwrite, &meta).await.unwrap();
    meta.push("width", "100");
    c.set_metadata(a.addr, GROUP, &plain, MetaOp::Merge, &meta).await.unwrap();
    let slave = c
        .upload_slave(a.addr, &plain, "_big", "bin", Content { len: 3, reader: &mut &b"big"[..] })
        .await
        .unwrap()
        .filename;
    let log = upload(&a, b"APPENDER-INIT-0123456789\n", "log", true).await;
    c.append(a.addr, &log, Content { len: 12, reader: &mut &b"append-part\n"[..] }).await.unwrap();
    c.modify(a.addr, &log, 3, Content { len: 4, reader: &mut &b"MODI"[..] }).await.unwrap();
    c.truncate(a.addr, &log, 30).await.unwrap();
    let renamed = upload(&a, b"to be renamed", "dat", true).await;
    c.append(a.addr, &renamed, Content { len: 4, reader: &mut &b"+abc"[..] }).await.unwrap();
    c.set_metadata(a.addr, GROUP, &renamed, MetaOp::Overwrite, &meta).await.unwrap();
    let regenerated = c.regenerate_appender_filename(a.addr, &renamed).await.unwrap().filename;
    let doomed = upload(&a, b"short-lived", "tmp", false).await;
    c.delete(a.addr, GROUP, &doomed).await.unwrap();
    let gone_appender = upload(&a, b"gone", "", true).await;
    c.append(a.addr, &gone_appender, Content { len: 1, reader: &mut &b"!"[..] }).await.unwrap();
    c.delete(a.addr, GROUP, &gone_appender).await.unwrap();
    c.delete(a.addr, GROUP, &slave).await.unwrap();

    let sync = Sync::start(&a, &[&b]);
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await, "peer acked");
    assert_eq!(b.files(), a.files(), "peer holds the same files");
    for name in [&plain, &log, &regenerated] {
        assert!(b.files().contains_key(name.as_str()), "{name}");
    }
    assert!(b.files().contains_key(&format!("{plain}-m")));
    assert!(b.files().contains_key(&format!("{regenerated}-m")));
    assert!(!b.files().contains_key(&renamed) && !b.files().contains_key(&doomed));
    let info_a = c.query_file_info(a.addr, GROUP, &plain, 0).await.unwrap();
    let info_b = c.query_file_info(b.addr, GROUP, &plain, 0).await.unwrap();
    assert_eq!(info_a, info_b, "size, source timestamp and CRC32 preserved");

    let stats = b.state.stats.snapshot();
    assert!(stats.success_sync_in_bytes > 0 && stats.last_sync_update > 0);
    let stamps = b.state.sync.sync_timestamps();
    assert_eq!(stamps.len(), 1);
    assert_eq!(stamps[0].src_id, "127.0.0.2");
    assert!(stamps[0].timestamp > 0);
    assert!(a.state.stats.snapshot().success_sync_out_bytes > 0);

    // Later changes flow incrementally, in place on the peer.
    let later = upload(&a, b"later", "txt", false).await;
    let second = upload(&a, b"appender two", "log", true).await;
    wait_until("incremental creates", || {
        let files = b.files();
        files.contains_key(&later) && files.contains_key(&second)
    })
    .await;
    c.append(a.addr, &log, Content { len: 2, reader: &mut &b"+x"[..] }).await.unwrap();
    // Let the append reach the peer as an append before the truncate cuts
    // its bytes away (a later push would ship the whole file instead).
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await);
    c.truncate(a.addr, &log, 31).await.unwrap();
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await);
    // In-place changes then a rename while the worker is stopped: when it
    // comes back the appender is already renamed here, its changes cannot
    // be sent, and the rename must ship the final content.
    sync.stop().await;
    c.append(a.addr, &second, Content { len: 5, reader: &mut &b"+tail"[..] }).await.unwrap();
    c.modify(a.addr, &second, 0, Content { len: 3, reader: &mut &b"APP"[..] }).await.unwrap();
    c.truncate(a.addr, &second, 14).await.unwrap();
    let second = c.regenerate_appender_filename(a.addr, &second).await.unwrap().filename;
    c.delete(a.addr, GROUP, &later).await.unwrap();
    let sync = Sync::start(&a, &[&b]);
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await);
    assert_eq!(b.files(), a.files());
    assert!(b.files().contains_key(&second));

    let records = b.binlog().await;
    assert!(records.iter().all(|r| r.origin == Origin::Replica), "{records:?}");
    let letters: String = records.iter().map(|r| r.letter() as char).collect();
    for op in ['c', 'u', 'd', 'a', 'm', 't', 'r'] {
        assert!(letters.contains(op), "{op} in {letters}");
    }
    sync.stop().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_restarted_worker_resumes_from_its_mark() {
    let (a, b) = (Node::start("127.0.0.2").await, Node::start("127.0.0.3").await);
    for i in 0..3 {
        upload(&a, &vec![b'x'; 100 + i], "bin", false).await;
    }
    let sync = Sync::start(&a, &[&b]);
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await);
    sync.stop().await;
    let mark_path =
        SyncMark::path_for_peer(a.state.binlog.dir(), "127.0.0.3", b.addr.port()).unwrap();
    let mark = SyncMark::load_blocking(&mark_path).unwrap();
    assert_eq!(mark.position(), end, "mark saved at the end");
    assert_eq!(mark.sync_row_count, 3);
    let sent_before = a.state.stats.snapshot().total_sync_out_bytes;
    assert_eq!(sent_before, 100 + 101 + 102);

    upload(&a, &[b'y'; 1000], "bin", false).await;
    let sync = Sync::start(&a, &[&b]);
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await);
    assert_eq!(
        a.state.stats.snapshot().total_sync_out_bytes - sent_before,
        1000,
        "only the new file"
    );
    assert_eq!(b.files(), a.files());
    sync.stop().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_peer_that_was_down_catches_up() {
    let (a, mut b) = (Node::start("127.0.0.2").await, Node::start("127.0.0.3").await);
    b.stop_serving().await;
    let sync = Sync::start(&a, &[&b]);
    for i in 0..4 {
        upload(&a, format!("while down {i}").as_bytes(), "txt", false).await;
    }
    let end = a.state.binlog.durable_end();
    assert!(!a.state.sync.wait_replicated(end, 2, Duration::from_millis(600)).await);
    b.serve_again().await;
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await, "caught up");
    assert_eq!(b.files(), a.files());
    sync.stop().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_existing_same_size_file_counts_as_done() {
    let (a, b) = (Node::start("127.0.0.2").await, Node::start("127.0.0.3").await);
    let data = b"already on the peer";
    let first = upload(&a, data, "txt", false).await;
    let name = LogicName::parse(&first).unwrap();
    b.state
        .store
        .write_named(&name, data.len() as u64, 1, WriteMode::Create, &mut &data[..])
        .await
        .unwrap();

    // The receiver answers 17 and keeps the connection usable.
    let mut conn =
        Connection::connect(b.addr, Duration::from_secs(2), Duration::from_secs(5)).await.unwrap();
    let req = SyncCreateFile {
        filename: first.clone(),
        file_size: data.len() as u64,
        timestamp: 1,
        group: GROUP.into(),
        content_omitted: false,
    };
    conn.send_streamed(&req, &mut &data[..]).await.unwrap();
    let answer = conn.read_response_header().await;
    assert!(matches!(answer, Err(ConnError::Status(Status::EEXIST))), "{answer:?}");
    conn.call(&ActiveTest).await.unwrap();

    // The worker moves on past it.
    let second = upload(&a, b"second", "txt", false).await;
    let sync = Sync::start(&a, &[&b]);
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await);
    assert!(b.files().contains_key(&second));
    assert!(
        b.binlog().await.iter().all(|r| r.filename != first),
        "nothing applied for the existing file"
    );
    sync.stop().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_receiver_refuses_bad_sync_requests() {
    let b = Node::start("127.0.0.3").await;
    let connect = || Connection::connect(b.addr, Duration::from_secs(2), Duration::from_secs(5));
    // A delete body too short to hold its fields: EINVAL, then closed.
    let mut conn = connect().await.unwrap();
    conn.write_frame(cmd::SYNC_DELETE_FILE, 0, &[0, 1, 2]).await.unwrap();
    assert_eq!(conn.read_header().await.unwrap().status, Status::EINVAL.0);
    assert!(conn.read_header_or_eof().await.map_or(true, |h| h.is_none()), "closed");

    // A create whose filename length overruns the packet: EINVAL, closed.
    let mut conn = connect().await.unwrap();
    let mut head = Vec::new();
    head.extend_from_slice(&500u64.to_be_bytes());
    head.extend_from_slice(&3u64.to_be_bytes());
    conn.write_frame(cmd::SYNC_CREATE_FILE, 0, &head).await.unwrap();
    assert_eq!(conn.read_header().await.unwrap().status, Status::EINVAL.0);
    assert!(conn.read_header_or_eof().await.map_or(true, |h| h.is_none()), "closed");

    // Another group: EINVAL, the connection stays usable.
    let mut conn = connect().await.unwrap();
    let delete = SyncDeleteFile {
        timestamp: 1,
        group: "group9".into(),
        filename: "M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt".into(),
    };
    let answer = conn.call(&delete).await;
    assert!(matches!(answer, Err(ConnError::Status(Status::EINVAL))), "{answer:?}");
    let delete = SyncDeleteFile { group: GROUP.into(), ..delete };
    let answer = conn.call(&delete).await;
    assert!(matches!(answer, Err(ConnError::Status(Status::ENOENT))), "{answer:?}");
    let answer = conn.call(&FetchOnePathBinlog { group: GROUP.into(), store_path_index: 9 }).await;
    assert!(matches!(answer, Err(ConnError::Status(Status::EINVAL))), "{answer:?}");
    let answer = conn.call(&FetchOnePathBinlog { group: GROUP.into(), store_path_index: 0 }).await;
    assert!(answer.is_ok(), "{answer:?}");

    // Content shorter than announced, then the sender goes away: no file.
    let name = "M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt";
    let req = SyncCreateFile {
        filename: name.into(),
        file_size: 100,
        timestamp: 1,
        group: GROUP.into(),
        content_omitted: false,
    };
    let mut head = bytes::BytesMut::new();
    fdfs_protocol::Encode::encode(&req, &mut head);
    let mut conn = connect().await.unwrap();
    conn.write_header(&fdfs_protocol::Header::request(
        cmd::SYNC_CREATE_FILE,
        head.len() as u64 + 100,
    ))
    .await
    .unwrap();
    conn.write_all(&head).await.unwrap();
    conn.write_all(&[7u8; 10]).await.unwrap();
    conn.flush().await.unwrap();
    conn.shutdown().await;
    wait_until("the partial write is cleaned up", || b.tmp_files() == 0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(b.files().is_empty(), "{:?}", b.files().keys());
    assert_eq!(b.tmp_files(), 0);
    assert!(b.binlog().await.is_empty());
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_member_is_filled_by_its_sync_source() {
    let dir = tempfile::tempdir().unwrap();
    let tracker = TrackerNode::start("127.0.0.40", dir.path()).await;
    let (a, b) = Node::pair("127.0.0.2", "127.0.0.3").await;
    let own = upload(&a, b"an old file of the source", "txt", false).await;

    // A change A received from a third member: a replica record on A.
    let replica = "M00/00/00/fwAABGsH8l-Ad5C4AAAAFpR_bpI442.txt";
    let mut conn = Connection::connect(a.addr, Duration::from_secs(2), TIMEOUT).await.unwrap();
    conn.call(&ReportServerId { storage_id: "127.0.0.4".into() }).await.unwrap();
    let data = b"hello fastdfs fixture\n";
    let timestamp = u32::try_from(now_secs() - 60).unwrap();
    let req = SyncCreateFile {
        filename: replica.into(),
        file_size: data.len() as u64,
        timestamp,
        group: GROUP.into(),
        content_omitted: false,
    };
    conn.send_streamed(&req, &mut &data[..]).await.unwrap();
    conn.read_response_header().await.unwrap();

    let (a_reporting, a_members) = Reporting::start(&a, tracker.addr);
    let sync = Sync::run(&a, a_members, vec![tracker.addr]);
    until_status(tracker.addr, "127.0.0.2", StorageStatus::Active).await;

    // B joins after A is ACTIVE: WAIT_SYNC with A as source; A replays its
    // binlog (the replica record included), reports it OFFLINE, and B's
    // next beat makes it ACTIVE.
    let (b_reporting, _b_members) = Reporting::start(&b, tracker.addr);
    until_status(tracker.addr, "127.0.0.3", StorageStatus::Active).await;
    assert_eq!(b.files(), a.files());
    assert!(b.files().contains_key(&own) && b.files().contains_key(replica));
    let mark_path =
        SyncMark::path_for_peer(a.state.binlog.dir(), "127.0.0.3", b.addr.port()).unwrap();
    let mark = SyncMark::load_blocking(&mark_path).unwrap();
    assert!(mark.need_sync_old && mark.sync_old_done, "{mark:?}");
    assert!(mark.until_timestamp >= i64::from(timestamp));
    let source = b_reporting.facts.snapshot().sync_source.unwrap();
    assert_eq!(source.src_id, "127.0.0.2");

    // From then on changes flow incrementally.
    let later = upload(&a, b"after the join", "txt", false).await;
    wait_until("incremental create on the new member", || b.files().contains_key(&later)).await;

    sync.stop().await;
    a_reporting.stop().await;
    b_reporting.stop().await;
    tracker.stop().await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_receiver_answers_17_and_2_as_fastdfs() {
    let b = Node::start("127.0.0.3").await;
    let name = "M00/00/00/fwAAAmsH8mCEQZQeAAAAAPbBNlU326.log";
    let data = b"APPENDER-INIT-0123456789\n";
    let logic = LogicName::parse(name).unwrap();
    b.state.store.write_named(&logic, 25, 1, WriteMode::Create, &mut &data[..]).await.unwrap();
    let mut conn = Connection::connect(b.addr, Duration::from_secs(2), TIMEOUT).await.unwrap();
    let status = |r: Result<(), ConnError>| match r {
        Ok(()) => Status::OK,
        Err(ConnError::Status(s)) => s,
        Err(e) => panic!("{e}"),
    };
    let append = |filename: &str, offset: u64, length: u64| SyncAppendFile {
        filename: filename.into(),
        offset,
        length,
        timestamp: 2,
        group: GROUP.into(),
    };
    // The bytes are already here / the file is missing.
    conn.send_streamed(&append(name, 12, 13), &mut &data[12..]).await.unwrap();
    assert_eq!(status(conn.read_response_header().await.map(drop)), Status::EEXIST);
    let missing = "M00/00/00/fwAAA2sH8mCEFjRcAAAAAPbBNlU408.log";
    conn.send_streamed(&append(missing, 0, 3), &mut &b"abc"[..]).await.unwrap();
    assert_eq!(status(conn.read_response_header().await.map(drop)), Status::ENOENT);
    // A truncate to the current size is already done.
    let truncate = SyncTruncateFile {
        filename: name.into(),
        old_size: 30,
        new_size: 25,
        timestamp: 2,
        group: "group1\0\0M00/00/0".into(),
    };
    assert_eq!(status(conn.call(&truncate).await.map(drop)), Status::EEXIST);
    // Renames: the echo, then 17 when done, 2 when the source is missing.
    let rename = SyncRenameFile {
        dest_filename: "M00/00/00/fwAAAmsH8mKAVMtlAAAABqq7hX0661.log".into(),
        src_filename: name.into(),
        timestamp: 3,
        group: GROUP.into(),
    };
    assert_eq!(conn.call(&rename).await.unwrap(), rename);
    assert_eq!(status(conn.call(&rename).await.map(drop)), Status::EEXIST);
    let gone = SyncRenameFile { dest_filename: missing.into(), ..rename.clone() };
    assert_eq!(status(conn.call(&gone).await.map(drop)), Status::ENOENT);
    let letters: String = b.binlog().await.iter().map(|r| r.letter() as char).collect();
    assert_eq!(letters, "r");
    assert_eq!(b.files().keys().collect::<Vec<_>>(), [&rename.dest_filename]);
    b.stop().await;
}

#[tokio::test]
async fn a_stalled_peer_only_holds_up_its_own_worker() {
    let (a, b) = (Node::start("127.0.0.2").await, Node::start("127.0.0.3").await);
    // A "peer" that accepts and never answers.
    let stalled = tokio::net::TcpListener::bind(("127.0.0.4", 0)).await.unwrap();
    let stalled_addr = stalled.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = stalled.accept().await {
            open.push(socket);
        }
    });
    let c_brief = StorageBrief {
        status: StorageStatus::Active,
        port: stalled_addr.port(),
        id: "127.0.0.4".into(),
        ip: "127.0.0.4".into(),
    };
    let sync = Sync::start_with(&a, &[&b], vec![c_brief]);
    let name = upload(&a, b"for everyone", "txt", false).await;
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await);
    assert!(b.files().contains_key(&name));
    assert!(!a.state.sync.wait_replicated(end, 3, Duration::from_millis(300)).await);
    sync.stop().await;
    hold.abort();
    a.stop().await;
    b.stop().await;
}
