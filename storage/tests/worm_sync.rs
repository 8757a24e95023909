//! Retention and replication (two real storages in-process on 127.0.0.4
//! and 127.0.0.5, the real sync managers and receiver): a legal hold set on
//! the source reaches the peer with the file, and the peer then refuses a
//! native delete (EPERM, nothing in its binlog) and the same change sent as
//! sync commands by a host outside the group; the source's lock admin
//! deletes, and the peer applies that delete from the sync stream as
//! FastDFS would — the peer checked nothing it did not have to.

#[path = "replication/support.rs"]
#[allow(dead_code)]
mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use fdfs_protocol::Status;
use fdfs_protocol::client::storage::Content;
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::message::ActiveTest;
use fdfs_protocol::metadata::{MetaOp, Metadata};
use fdfs_protocol::storage::{SyncDeleteFile, SyncUpdateFile};
use fdfs_storage::binlog::Op;
use fdfs_storage::server::worm::LockAdmins;
use support::{GROUP, Node, Sync, client, wait_until};

#[tokio::test]
async fn a_hold_replicates_and_only_the_sources_admin_delete_reaches_the_peer() {
    // The test's client connects from 127.0.0.1: an admin of `a` only.
    let admins = LockAdmins::parse(["127.0.0.1"]).unwrap();
    let a = Node::start_with_admins("127.0.0.4", admins).await;
    let b = Node::start("127.0.0.5").await;
    let c = client();
    let data = b"held for the courts";
    let content = Content { len: data.len() as u64, reader: &mut &data[..] };
    let held = c.upload(a.addr, 0, "txt", false, content).await.unwrap().filename;
    let mut hold = Metadata::new();
    hold.push("s3-legal-hold", "ON");
    c.set_metadata(a.addr, GROUP, &held, MetaOp::Merge, &hold).await.unwrap();

    let sync = Sync::start(&a, &[&b]);
    // b's own manager learns the group (a and b) as from a tracker.
    let b_sync = Sync::start(&b, &[&a]);
    let stranger = loopback(77);
    wait_until("b knows its group", || !b.state.sync.member_or_unknown(stranger)).await;
    let meta_name = format!("{held}-m");
    wait_until("file and tags on the peer", || {
        let files = b.files();
        files.contains_key(&held) && files.contains_key(&meta_name)
    })
    .await;

    // On the peer nobody is an admin: the native delete is refused and
    // leaves no trace to replicate.
    let refused = c.delete(b.addr, GROUP, &held).await.unwrap_err();
    assert!(matches!(refused, ConnError::Status(Status::EPERM)), "{refused:?}");
    let mut off = Metadata::new();
    off.push("s3-legal-hold", "OFF");
    let refused = c.set_metadata(b.addr, GROUP, &held, MetaOp::Merge, &off).await.unwrap_err();
    assert!(matches!(refused, ConnError::Status(Status::EPERM)), "{refused:?}");
    // The sync commands from outside the group obey the same rule; the
    // refused content is drained and the connection stays usable.
    let mut conn = connect_from(stranger, b.addr).await;
    let delete = SyncDeleteFile { timestamp: 1, group: GROUP.into(), filename: held.clone() };
    let refused = conn.call(&delete).await.unwrap_err();
    assert!(matches!(refused, ConnError::Status(Status::EPERM)), "{refused:?}");
    let update = SyncUpdateFile {
        filename: meta_name.clone(),
        file_size: 3,
        timestamp: 1,
        group: GROUP.into(),
        content_omitted: false,
    };
    conn.send_streamed(&update, &mut &b"a\x02b"[..]).await.unwrap();
    let refused = conn.read_response_header().await.unwrap_err();
    assert!(matches!(refused, ConnError::Status(Status::EPERM)), "{refused:?}");
    conn.call(&ActiveTest).await.unwrap();
    assert_eq!(b.files().get(&held).map(Vec::as_slice), Some(&data[..]));
    assert!(b.files()[&meta_name].ends_with(b"ON"));
    let peer_log = b.binlog().await;
    assert!(
        !peer_log.iter().any(|r| r.filename == held && matches!(r.op, Op::Delete)),
        "{peer_log:?}"
    );

    // The source's admin deletes; the peer applies the replicated delete.
    c.delete(a.addr, GROUP, &held).await.unwrap();
    wait_until("delete replicated", || !b.files().contains_key(&held)).await;
    assert!(!b.files().contains_key(&meta_name));
    let peer_log = b.binlog().await;
    assert!(peer_log.iter().any(|r| r.filename == held && matches!(r.op, Op::Delete)));

    sync.stop().await;
    b_sync.stop().await;
    a.stop().await;
    b.stop().await;
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A connection to `to` from the source address `from`.
async fn connect_from(from: IpAddr, to: SocketAddr) -> Connection {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let stream = socket.connect(to).await.unwrap();
    Connection::new(stream, support::TIMEOUT).unwrap()
}
