//! The fdfs extensions on a real storage server in-process: an upload with
//! metadata stores both in one request, reaches a peer with its metadata,
//! and is listed by FETCH_ONE_PATH_BINLOG (the store path's binlog lines,
//! streamed); the empty-body probe answers success; bad metadata is EINVAL.

#[path = "replication/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::Duration;

use fdfs_protocol::Status;
use fdfs_protocol::client::storage::Content;
use fdfs_protocol::cmd;
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::metadata::{MetaOp, Metadata};
use fdfs_protocol::storage::UploadWithMetadata;
use support::{GROUP, Node, Sync, TIMEOUT, client};

fn tags() -> Metadata {
    [("s3-key", "a/b.txt"), ("s3-bucket", "photos"), ("s3-key", "dup-last-wins")]
        .into_iter()
        .collect()
}

#[tokio::test]
async fn upload_with_metadata_in_one_request_and_replicated() {
    let (a, b) = (Node::start("127.0.0.2").await, Node::start("127.0.0.3").await);
    let c = client();
    assert!(c.supports_upload_with_metadata(a.addr).await.unwrap());
    let data = b"tagged bytes\n";
    let content = Content { len: data.len() as u64, reader: &mut &data[..] };
    let id = c.upload_with_metadata(a.addr, 0, "txt", &tags(), content).await.unwrap();
    assert_eq!(id.group, GROUP);
    let meta = c.get_metadata(a.addr, GROUP, &id.filename).await.unwrap();
    assert_eq!(
        &fdfs_protocol::Encode::to_body(&meta)[..],
        b"s3-bucket\x02photos\x01s3-key\x02dup-last-wins"
    );
    let mut out = Vec::new();
    c.download_to(a.addr, GROUP, &id.filename, 0, 0, &mut out).await.unwrap();
    assert_eq!(out, data);

    // Both creates are in the binlog, in one batch, and a peer gets both.
    let records = a.binlog().await;
    let names: Vec<String> = records.iter().map(|r| r.filename.clone()).collect();
    assert_eq!(names, [id.filename.clone(), format!("{}-m", id.filename)]);
    let sync = Sync::start(&a, &[&b]);
    let end = a.state.binlog.durable_end();
    assert!(a.state.sync.wait_replicated(end, 2, Duration::from_secs(20)).await, "peer acked");
    assert_eq!(b.files(), a.files());
    sync.stop().await;

    // The store path's binlog, streamed line by line.
    c.set_metadata(a.addr, GROUP, &id.filename, MetaOp::Merge, &[("x", "y")].into_iter().collect())
        .await
        .unwrap();
    c.delete(a.addr, GROUP, &id.filename).await.unwrap();
    let mut lines = c.fetch_one_path_binlog(a.addr, GROUP, 0).await.unwrap();
    let mut got = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        got.push(line.split(' ').skip(1).collect::<Vec<_>>().join(" "));
    }
    let f = &id.filename;
    assert_eq!(got, [format!("C {f}"), format!("C {f}-m"), format!("U {f}-m"), format!("D {f}")]);
    // The connection went back to the pool in step.
    c.active_test(a.addr).await.unwrap();
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn probe_and_refusals() {
    let a = Node::start("127.0.0.2").await;
    let mut conn = Connection::connect(a.addr, TIMEOUT, TIMEOUT).await.unwrap();
    conn.write_frame(cmd::UPLOAD_FILE_WITH_METADATA, 0, &[]).await.unwrap();
    let h = conn.read_response_header().await.unwrap();
    assert_eq!(h.pkg_len, 0);

    // Metadata FastDFS could not store (a NUL in a value): EINVAL, content
    // drained, the connection stays usable, nothing stored.
    let req = UploadWithMetadata {
        store_path_index: 0,
        file_size: 4,
        ext: "bin".into(),
        metadata: Metadata::from_bytes(b"n\x02v\0"),
    };
    let head = fdfs_protocol::Encode::to_body(&req);
    let mut body = head.to_vec();
    body.extend_from_slice(b"data");
    conn.write_frame(cmd::UPLOAD_FILE_WITH_METADATA, 0, &body).await.unwrap();
    let err = conn.read_response_header().await.unwrap_err();
    assert!(matches!(err, ConnError::Status(Status::EINVAL)), "{err:?}");
    conn.call(&fdfs_protocol::message::ActiveTest).await.unwrap();
    assert!(a.files().is_empty());
    // A store path that does not exist: EINVAL.
    let answer = client().fetch_one_path_binlog(a.addr, GROUP, 3).await.unwrap_err();
    assert!(matches!(answer, ConnError::Status(Status::EINVAL)), "{answer:?}");
    a.stop().await;
}
