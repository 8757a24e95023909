//! `rebuild-index` restores versions: every version and delete marker of
//! a versioned bucket comes back with its ID, order and latest flag, from
//! the tags on the storages (`rebuild::version_tags`), against a real
//! tracker, storage and gateway in-process. Versions of single-file,
//! multipart and copied objects, delete markers (recorded by their marker
//! files), the null version of a suspended bucket replacing an earlier
//! one, and a version copied onto its own key are written through S3; the
//! index is rebuilt into an empty directory and a second gateway must
//! list and serve exactly the same versions.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, VersioningConfiguration,
};
use fdfs_protocol::client::{Pool, StorageClient, TrackerClient};
use fdfs_s3api::rebuild::{RebuildError, rebuild_index};
use support::{SECRET, Stack, body};

async fn set_versioning(s3: &Client, bucket: &str, status: BucketVersioningStatus) {
    let config = VersioningConfiguration::builder().status(status).build();
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(config)
        .send()
        .await
        .unwrap();
}

async fn put(s3: &Client, bucket: &str, key: &str, data: &[u8]) -> Option<String> {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap();
    out.version_id().map(str::to_string)
}

/// One listed version: key, version ID, latest, marker, and the body a
/// GET by that version answers (empty for a marker).
type Seen = (String, String, bool, bool, Vec<u8>);

/// Every version of `bucket` with its body, in listing order (versions
/// and markers merged per key by the order the listing gave each list).
async fn snapshot(s3: &Client, bucket: &str) -> Vec<Seen> {
    let page = s3.list_object_versions().bucket(bucket).send().await.unwrap();
    assert_eq!(page.is_truncated(), Some(false));
    let mut out = Vec::new();
    for v in page.versions() {
        let (key, id) = (v.key().unwrap().to_string(), v.version_id().unwrap().to_string());
        let got = s3.get_object().bucket(bucket).key(&key).version_id(&id).send().await.unwrap();
        out.push((key, id, v.is_latest().unwrap(), false, body(got).await));
    }
    for m in page.delete_markers() {
        let (key, id) = (m.key().unwrap().to_string(), m.version_id().unwrap().to_string());
        out.push((key, id, m.is_latest().unwrap(), true, Vec::new()));
    }
    out.sort();
    out
}

async fn state(s3: &Client, bucket: &str) -> Option<BucketVersioningStatus> {
    s3.get_bucket_versioning().bucket(bucket).send().await.unwrap().status().cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_restores_versions_and_delete_markers() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    for b in ["rbv", "rbs"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    // rbv: an object from before versioning, versions, a marker on top.
    put(&s3, "rbv", "k", b"zero").await;
    // Never written again: its null version must stay `null`, also in a
    // rebuild beside an index that says the bucket is versioned.
    put(&s3, "rbv", "old", b"old").await;
    set_versioning(&s3, "rbv", BucketVersioningStatus::Enabled).await;
    let v1 = put(&s3, "rbv", "k", b"one").await.unwrap();
    put(&s3, "rbv", "k", b"two").await;
    s3.delete_object().bucket("rbv").key("k").send().await.unwrap();
    // A copy of an old version, and of one onto its own key.
    let src = format!("rbv/k?versionId={v1}");
    s3.copy_object().bucket("rbv").key("c").copy_source(&src).send().await.unwrap();
    put(&s3, "rbv", "self", b"self-1").await;
    let s1 = put(&s3, "rbv", "self", b"self-2").await.unwrap();
    let src = format!("rbv/self?versionId={s1}");
    s3.copy_object().bucket("rbv").key("self").copy_source(&src).send().await.unwrap();
    // A multipart version over a single-file one.
    put(&s3, "rbv", "mp", b"before").await;
    let up = s3.create_multipart_upload().bucket("rbv").key("mp").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket("rbv")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"multipart body"))
        .send()
        .await
        .unwrap();
    let parts = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
        .build();
    s3.complete_multipart_upload()
        .bucket("rbv")
        .key("mp")
        .upload_id(id)
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    // A marker that is not the latest any more.
    put(&s3, "rbv", "back", b"b1").await;
    s3.delete_object().bucket("rbv").key("back").send().await.unwrap();
    put(&s3, "rbv", "back", b"b2").await;

    // rbs: a version, then suspended writes replacing the null version,
    // and a null marker.
    set_versioning(&s3, "rbs", BucketVersioningStatus::Enabled).await;
    put(&s3, "rbs", "a", b"a-versioned").await;
    set_versioning(&s3, "rbs", BucketVersioningStatus::Suspended).await;
    put(&s3, "rbs", "a", b"a-null-1").await;
    put(&s3, "rbs", "a", b"a-null-2").await;
    put(&s3, "rbs", "gone", b"g").await;
    s3.delete_object().bucket("rbs").key("gone").send().await.unwrap();

    let before = [snapshot(&s3, "rbv").await, snapshot(&s3, "rbs").await];
    assert_eq!(before[0].len(), 14, "{:?}", before[0]);
    assert_eq!(before[1].len(), 3, "{:?}", before[1]);

    let pool = Pool::default();
    let tracker = TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap();
    let storage = StorageClient::new(pool);
    let fresh = stack.dir.path().join("rebuilt");
    std::fs::create_dir_all(&fresh).unwrap();
    rebuild_index(&tracker, &storage, &fresh).await.unwrap();
    let (s3b, trigger) = stack.gateway_on(fresh.clone()).await;
    assert_eq!(snapshot(&s3b, "rbv").await, before[0], "rbv after the rebuild");
    assert_eq!(snapshot(&s3b, "rbs").await, before[1], "rbs after the rebuild");
    // Without an old index, tagged versions make a bucket Enabled.
    assert_eq!(state(&s3b, "rbv").await, Some(BucketVersioningStatus::Enabled));
    // The current view agrees: k is deleted, back is b2.
    let e = s3b.get_object().bucket("rbv").key("k").send().await;
    assert!(e.is_err());
    let back = s3b.get_object().bucket("rbv").key("back").send().await.unwrap();
    assert_eq!(body(back).await, b"b2");

    // A rebuild beside an existing index keeps its buckets' states.
    set_versioning(&s3b, "rbs", BucketVersioningStatus::Suspended).await;
    trigger.trigger();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match rebuild_index(&tracker, &storage, &fresh).await {
            Err(RebuildError::InUse(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => break other.map(|_| ()).unwrap(),
        }
    }
    let (s3c, _trigger) = stack.gateway_on(fresh).await;
    assert_eq!(state(&s3c, "rbs").await, Some(BucketVersioningStatus::Suspended));
    assert_eq!(snapshot(&s3c, "rbv").await, before[0], "rbv after a second rebuild");
    stack.stop().await;
}
