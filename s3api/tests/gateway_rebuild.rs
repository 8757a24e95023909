//! The index can be rebuilt from the storages, and the orphan sweep finds
//! what no index row references, against a real tracker, storage and
//! gateway in-process (`support::Stack`):
//!
//! - objects of every kind (single, multipart, CopyObject sharing files,
//!   a long key with separator bytes) are written through S3; the index is
//!   rebuilt into an empty data directory (the running gateway's own index
//!   is refused as in use), a second gateway serves the rebuilt index, and
//!   every listing and GET matches the original;
//! - a file tagged as a crashed gateway would leave it is queued and
//!   deleted by the sweep with a zero grace period, while referenced files,
//!   files of other FastDFS users and files of unknown buckets survive.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use fdfs_protocol::Status;
use fdfs_protocol::client::{Content, Pool, StorageClient, TrackerClient, storage_socket_addr};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::metadata::Metadata;
use fdfs_s3api::rebuild::tags::FileTag;
use fdfs_s3api::rebuild::{RebuildError, rebuild_index, sweep_orphans};
use support::{SECRET, Stack, body};

fn clients(stack: &Stack) -> (TrackerClient, StorageClient) {
    let pool = Pool::default();
    (TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap(), StorageClient::new(pool))
}

/// Every (key, size, etag, content type) of `bucket`, and each body.
async fn snapshot(
    s3: &Client,
    bucket: &str,
) -> Vec<(String, i64, String, Option<String>, Vec<u8>)> {
    let list = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    let mut out = Vec::new();
    for obj in list.contents() {
        let key = obj.key().unwrap().to_string();
        let got = s3.get_object().bucket(bucket).key(&key).send().await.unwrap();
        let ct = got.content_type().map(str::to_string);
        out.push((key, obj.size().unwrap(), obj.e_tag().unwrap().to_string(), ct, body(got).await));
    }
    out
}

#[tokio::test]
async fn rebuilt_index_serves_the_same_objects() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    for b in ["rba", "rbb", "empty"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let put = |key: &str, data: Vec<u8>, ct: Option<&str>| {
        let req = s3.put_object().bucket("rba").key(key).body(ByteStream::from(data));
        match ct {
            Some(ct) => req.content_type(ct),
            None => req,
        }
        .send()
    };
    put("plain.txt", b"hello rebuild".to_vec(), Some("text/plain")).await.unwrap();
    put("zero", Vec::new(), None).await.unwrap();
    let long_key = format!("dir/{}%41/é{}", "k".repeat(300), "z".repeat(500));
    put(&long_key, vec![7u8; 1000], None).await.unwrap();
    // Overwritten: only the second version may come back.
    put("over", b"first".to_vec(), None).await.unwrap();
    put("over", b"second".to_vec(), None).await.unwrap();

    let up = s3
        .create_multipart_upload()
        .bucket("rba")
        .key("multi")
        .content_type("application/x-mp")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let parts = [vec![1u8; 5 * 1024 * 1024], vec![2u8; 1234]];
    let mut done = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let n = i32::try_from(i + 1).unwrap();
        let out = s3
            .upload_part()
            .bucket("rba")
            .key("multi")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        done.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build());
    }
    let parts = CompletedMultipartUpload::builder().set_parts(Some(done)).build();
    s3.complete_multipart_upload()
        .bucket("rba")
        .key("multi")
        .upload_id(id)
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    // An upload left open is no object.
    s3.create_multipart_upload().bucket("rba").key("open").send().await.unwrap();
    // Copies share the files: a single and a multipart source.
    s3.copy_object()
        .bucket("rbb")
        .key("copy.txt")
        .copy_source("rba/plain.txt")
        .send()
        .await
        .unwrap();
    s3.copy_object().bucket("rbb").key("multi-copy").copy_source("rba/multi").send().await.unwrap();

    let mut before = Vec::new();
    for b in ["rba", "rbb"] {
        before.push(snapshot(&s3, b).await);
    }
    assert_eq!(before[0].len(), 5);
    assert_eq!(before[1].len(), 2);

    let (tracker, storage) = clients(&stack);
    // The running gateway's index is in use.
    let live = rebuild_index(&tracker, &storage, &stack.dir.path().join("gateway")).await;
    assert!(matches!(live, Err(RebuildError::InUse(_))), "{live:?}");

    let fresh = stack.dir.path().join("rebuilt");
    std::fs::create_dir_all(&fresh).unwrap();
    let report = rebuild_index(&tracker, &storage, &fresh).await.unwrap();
    assert_eq!((report.buckets, report.objects), (2, 7), "{report:?}");

    let (s3b, trigger) = stack.gateway_on(fresh.clone()).await;
    for (i, b) in ["rba", "rbb"].into_iter().enumerate() {
        assert_eq!(snapshot(&s3b, b).await, before[i], "bucket {b}");
    }
    let multi = s3b.head_object().bucket("rba").key("multi").send().await.unwrap();
    assert!(multi.e_tag().unwrap().ends_with("-2\""), "{:?}", multi.e_tag());
    // A rebuild next to an existing index keeps its keys and buckets.
    trigger.trigger();
    let deadline = Instant::now() + Duration::from_secs(10);
    let again = loop {
        match rebuild_index(&tracker, &storage, &fresh).await {
            Err(RebuildError::InUse(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => break other.unwrap(),
        }
    };
    assert_eq!((again.buckets, again.objects), (2, 7));
    stack.stop().await;
}

/// Stores `data` straight on the storage, with `meta`, as a client of the
/// FastDFS protocol would.
async fn raw_upload(stack: &Stack, meta: &Metadata, data: &[u8]) -> String {
    let (tracker, storage) = clients(stack);
    let target = tracker.query_store(Some("group1")).await.unwrap();
    let addr = storage_socket_addr(&target.storage).unwrap();
    let content = Content { len: data.len() as u64, reader: &mut &data[..] };
    let stored = storage
        .upload_with_metadata(addr, target.store_path_index, "bin", meta, content)
        .await
        .unwrap();
    stored.file_id()
}

async fn exists(stack: &Stack, file_id: &str) -> bool {
    let (tracker, storage) = clients(stack);
    let (group, name) = file_id.split_once('/').unwrap();
    let target = tracker.query_update(group, name).await.unwrap();
    let addr = storage_socket_addr(&target.storage).unwrap();
    match storage.query_file_info(addr, group, name, 1).await {
        Ok(_) => true,
        Err(ConnError::Status(Status::ENOENT)) => false,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn the_sweep_deletes_orphans_only() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("swp").send().await.unwrap();
    s3.put_object()
        .bucket("swp")
        .key("kept")
        .body(ByteStream::from_static(b"k"))
        .send()
        .await
        .unwrap();
    let orphan =
        raw_upload(&stack, &FileTag::object("swp", "lost", None).to_metadata(), b"o").await;
    let foreign: Metadata = [("author", "someone")].into_iter().collect();
    let foreign = raw_upload(&stack, &foreign, b"f").await;
    let other =
        raw_upload(&stack, &FileTag::object("nobucket", "x", None).to_metadata(), b"x").await;

    let (tracker, storage) = clients(&stack);
    let now = i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
    )
    .unwrap();
    // Within the grace period nothing is an orphan.
    let young =
        sweep_orphans(&stack.index, &tracker, &storage, Duration::from_secs(3600), now).await;
    assert!(young.unwrap().queued.is_empty());
    let report =
        sweep_orphans(&stack.index, &tracker, &storage, Duration::ZERO, now + 1000).await.unwrap();
    assert_eq!(report.queued, std::slice::from_ref(&orphan));
    assert_eq!((report.scanned, report.unreferenced), (4, 3));
    let deadline = Instant::now() + Duration::from_secs(20);
    while exists(&stack, &orphan).await {
        assert!(Instant::now() < deadline, "the drainer never deleted the orphan");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(exists(&stack, &foreign).await && exists(&stack, &other).await);
    let kept = s3.get_object().bucket("swp").key("kept").send().await.unwrap();
    assert_eq!(body(kept).await, b"k");
    stack.stop().await;
}
