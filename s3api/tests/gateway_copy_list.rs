//! CopyObject, DeleteObjects, ListObjects (v1) and ListObjectVersions end
//! to end through a real tracker + storage + gateway, driven by
//! `aws-sdk-s3`.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, EncodingType, MetadataDirective, ObjectIdentifier};
use support::{SECRET, Stack, body, make_bucket};

async fn put(s3: &Client, bucket: &str, key: &str, data: &[u8]) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap();
}

async fn get(s3: &Client, bucket: &str, key: &str) -> Vec<u8> {
    body(s3.get_object().bucket(bucket).key(key).send().await.unwrap()).await
}

/// Waits until the drainer has emptied the delete queue.
async fn drained(stack: &Stack) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let queued = stack.index.read(|ix| ix.delete_queue_len()).await.unwrap();
        if queued == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{queued} deletes still queued");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ident(key: &str) -> ObjectIdentifier {
    ObjectIdentifier::builder().key(key).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_share_files_and_batch_deletes() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "src").await;
    make_bucket(&s3, "dst").await;
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 241) as u8).collect();
    let put = s3
        .put_object()
        .bucket("src")
        .key("orig.txt")
        .content_type("text/plain")
        .metadata("color", "grey")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_string();

    // COPY (the default) within and across buckets keeps the metadata.
    let within =
        s3.copy_object().bucket("src").key("copy.txt").copy_source("src/orig.txt").send().await;
    let within = within.unwrap();
    let result = within.copy_object_result().unwrap();
    assert_eq!(result.e_tag(), Some(etag.as_str()));
    assert!(result.last_modified().is_some());
    s3.copy_object()
        .bucket("dst")
        .key("dir/a b+c.txt")
        .copy_source("/src/orig.txt")
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("dst").key("dir/a b+c.txt").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(head.metadata().and_then(|m| m.get("color")).map(String::as_str), Some("grey"));

    // A URL-encoded source key, with versionId=null.
    s3.copy_object()
        .bucket("dst")
        .key("again")
        .copy_source("dst/dir/a%20b%2Bc.txt?versionId=null")
        .send()
        .await
        .unwrap();

    // REPLACE takes the request's metadata.
    s3.copy_object()
        .bucket("dst")
        .key("replaced")
        .copy_source("src/orig.txt")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("application/json")
        .metadata("shape", "round")
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("dst").key("replaced").send().await.unwrap();
    assert_eq!(head.content_type(), Some("application/json"));
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("shape").map(String::as_str), Some("round"));
    assert!(!meta.contains_key("color"));

    // Onto itself: only with REPLACE.
    let selfcopy =
        s3.copy_object().bucket("src").key("orig.txt").copy_source("src/orig.txt").send().await;
    assert_eq!(selfcopy.unwrap_err().code(), Some("InvalidRequest"));
    s3.copy_object()
        .bucket("src")
        .key("copy.txt")
        .copy_source("src/copy.txt")
        .metadata_directive(MetadataDirective::Replace)
        .metadata("color", "black")
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("src").key("copy.txt").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("color")).map(String::as_str), Some("black"));

    // Errors: missing key, missing bucket, unknown version, conditions.
    let copy = |src: &'static str| s3.copy_object().bucket("dst").key("x").copy_source(src);
    assert_eq!(copy("src/nope").send().await.unwrap_err().code(), Some("NoSuchKey"));
    assert_eq!(copy("nobucket/k").send().await.unwrap_err().code(), Some("NoSuchBucket"));
    // A malformed version ID is InvalidArgument; a well-formed unknown
    // one NoSuchVersion (as on AWS).
    let version = copy("src/orig.txt?versionId=abc").send().await.unwrap_err();
    assert_eq!(version.code(), Some("InvalidArgument"));
    let unknown = "src/orig.txt?versionId=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(copy(unknown).send().await.unwrap_err().code(), Some("NoSuchVersion"));
    let cond = copy("src/orig.txt").copy_source_if_match("\"0000\"").send().await.unwrap_err();
    assert_eq!(cond.code(), Some("PreconditionFailed"));
    let cond = copy("src/orig.txt").copy_source_if_none_match(&etag).send().await.unwrap_err();
    assert_eq!(cond.code(), Some("PreconditionFailed"));
    copy("src/orig.txt").copy_source_if_match(&etag).send().await.unwrap();

    // Deleting the source leaves the copies readable: they share its file.
    s3.delete_object().bucket("src").key("orig.txt").send().await.unwrap();
    drained(&stack).await;
    for (bucket, key) in
        [("src", "copy.txt"), ("dst", "dir/a b+c.txt"), ("dst", "again"), ("dst", "replaced")]
    {
        assert_eq!(get(&s3, bucket, key).await, data, "{bucket}/{key}");
    }

    // DeleteObjects, verbose: a missing key is a success; a malformed
    // version ID fails on its own.
    let delete = Delete::builder()
        .objects(ident("dir/a b+c.txt"))
        .objects(ident("again"))
        .objects(ident("never-existed"))
        .objects(ObjectIdentifier::builder().key("x").version_id("v9").build().unwrap())
        .build()
        .unwrap();
    let out = s3.delete_objects().bucket("dst").delete(delete).send().await.unwrap();
    let mut deleted: Vec<_> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort_unstable();
    assert_eq!(deleted, ["again", "dir/a b+c.txt", "never-existed"]);
    let errors: Vec<_> = out.errors().iter().map(|e| (e.key(), e.code())).collect();
    assert_eq!(errors, [(Some("x"), Some("InvalidArgument"))]);

    // Quiet: successes are not reported.
    let delete = Delete::builder()
        .objects(ident("replaced"))
        .objects(ident("x"))
        .objects(ident("missing"))
        .quiet(true)
        .build()
        .unwrap();
    let out = s3.delete_objects().bucket("dst").delete(delete).send().await.unwrap();
    assert!(out.deleted().is_empty());
    assert!(out.errors().is_empty());
    let left = s3.list_objects_v2().bucket("dst").send().await.unwrap();
    assert!(left.contents().is_empty(), "{:?}", left.contents());
    let missing_bucket = s3
        .delete_objects()
        .bucket("nobucket")
        .delete(Delete::builder().objects(ident("a")).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing_bucket.code(), Some("NoSuchBucket"));

    // The last reference gone, the shared file is deleted.
    s3.delete_object().bucket("src").key("copy.txt").send().await.unwrap();
    drained(&stack).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_v1_and_versions() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "lst").await;
    let mut keys: Vec<String> = (0..24).map(|i| format!("dir{}/f{i:02}", i % 3)).collect();
    keys.extend((0..6).map(|i| format!("top{i}")));
    keys.push("sp ace".into());
    for key in &keys {
        put(&s3, "lst", key, b"x").await;
    }
    keys.sort_unstable();

    // With a delimiter, paged by NextMarker.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = s3
            .list_objects()
            .bucket("lst")
            .delimiter("/")
            .max_keys(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        seen.extend(page.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_string)));
        seen.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        if !page.is_truncated().unwrap_or(false) {
            assert_eq!(page.next_marker(), None);
            break;
        }
        marker = Some(page.next_marker().expect("NextMarker with a delimiter").to_string());
    }
    seen.sort_unstable();
    let want =
        ["dir0/", "dir1/", "dir2/", "sp ace", "top0", "top1", "top2", "top3", "top4", "top5"];
    assert_eq!(seen, want);

    // Without one there is no NextMarker: clients resume after the last key.
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = s3
            .list_objects()
            .bucket("lst")
            .max_keys(7)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(page.next_marker(), None);
        all.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        marker = all.last().cloned();
    }
    assert_eq!(all, keys);

    // Prefix, and encoding-type=url.
    let page = s3.list_objects().bucket("lst").prefix("dir1/").send().await.unwrap();
    assert_eq!(page.contents().len(), 8);
    let page = s3
        .list_objects()
        .bucket("lst")
        .prefix("sp")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    let encoded: Vec<_> = page.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(encoded, ["sp%20ace"]);

    // Versions: each object once, as version "null", paged by key marker.
    let mut versions = Vec::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let page = s3
            .list_object_versions()
            .bucket("lst")
            .max_keys(10)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .unwrap();
        for v in page.versions() {
            assert_eq!(v.version_id(), Some("null"));
            assert_eq!(v.is_latest(), Some(true));
            assert_eq!(v.size(), Some(1));
            versions.push(v.key().unwrap().to_string());
        }
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
        assert_eq!(version_marker.as_deref(), Some("null"));
    }
    assert_eq!(versions, keys);
    let bad = s3.list_object_versions().bucket("lst").version_id_marker("null").send().await;
    assert_eq!(bad.unwrap_err().code(), Some("InvalidArgument"));
    let page =
        s3.list_object_versions().bucket("lst").delimiter("/").prefix("dir").send().await.unwrap();
    let prefixes: Vec<_> = page.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["dir0/", "dir1/", "dir2/"]);
    assert!(page.versions().is_empty());

    stack.stop().await;
}
