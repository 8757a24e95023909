//! `rebuild-index` restores object tags (`rebuild::object_tags`): tags
//! given by `x-amz-tagging` on PutObject and CreateMultipartUpload, changed
//! and removed by Put/DeleteObjectTagging, per version of a versioned
//! bucket, on a copy sharing its source's file (which keeps its own tags
//! when the source's change), and on a legally held version (whose file
//! the storage's WORM guards). The index is rebuilt into an empty
//! directory and a second gateway must answer the same tag sets.

mod support;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, ObjectLockLegalHoldStatus,
    Tag, Tagging, TaggingDirective, VersioningConfiguration,
};
use support::{SECRET, Stack};

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    let tags = pairs.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap());
    Tagging::builder().set_tag_set(Some(tags.collect())).build().unwrap()
}

async fn tags_of(s3: &Client, bucket: &str, key: &str, version: Option<&str>) -> Vec<String> {
    let out = s3.get_object_tagging().bucket(bucket).key(key);
    let out = out.set_version_id(version.map(str::to_string)).send().await.unwrap();
    let mut tags: Vec<_> =
        out.tag_set().iter().map(|t| format!("{}={}", t.key(), t.value())).collect();
    tags.sort();
    tags
}

async fn put(s3: &Client, bucket: &str, key: &str, header: Option<&str>) -> Option<String> {
    let req = s3.put_object().bucket(bucket).key(key).body(ByteStream::from_static(b"data"));
    let out = req.set_tagging(header.map(str::to_string)).send().await.unwrap();
    out.version_id().map(str::to_string)
}

async fn put_tags(s3: &Client, bucket: &str, key: &str, version: Option<&str>, t: Tagging) {
    let req = s3.put_object_tagging().bucket(bucket).key(key);
    req.set_version_id(version.map(str::to_string)).tagging(t).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_restores_object_tags() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("plain").send().await.unwrap();
    // Unversioned: a header's tags, a changed set, a removed one, a set
    // of ten long tags, a copy whose source's tags change afterwards.
    put(&s3, "plain", "header", Some("a=1&b=two+words")).await;
    put(&s3, "plain", "changed", Some("old=1&older=2&oldest=3")).await;
    put_tags(&s3, "plain", "changed", None, tagging(&[("new", "1")])).await;
    put(&s3, "plain", "removed", Some("gone=1")).await;
    s3.delete_object_tagging().bucket("plain").key("removed").send().await.unwrap();
    let long: Vec<(String, String)> =
        (0..10).map(|i| (format!("k{i}-{}", "é".repeat(120)), "v=/".repeat(85))).collect();
    let long_refs: Vec<(&str, &str)> = long.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    put(&s3, "plain", "long", None).await;
    put_tags(&s3, "plain", "long", None, tagging(&long_refs)).await;
    put(&s3, "plain", "src", Some("from=src")).await;
    let copy = s3.copy_object().bucket("plain").key("copy").copy_source("plain/src");
    copy.send().await.unwrap();
    let copy = s3.copy_object().bucket("plain").key("copy2").copy_source("plain/src");
    copy.tagging_directive(TaggingDirective::Replace).tagging("mine=2").send().await.unwrap();
    put_tags(&s3, "plain", "src", None, tagging(&[("from", "later")])).await;
    put_tags(&s3, "plain", "copy2", None, tagging(&[("mine", "3")])).await;
    // A multipart object's tags, from its upload.
    let up = s3.create_multipart_upload().bucket("plain").key("mp").tagging("stage=raw");
    let id = up.send().await.unwrap().upload_id().unwrap().to_string();
    let part = s3.upload_part().bucket("plain").key("mp").upload_id(&id).part_number(1);
    let etag = part.body(ByteStream::from_static(b"part")).send().await.unwrap();
    let parts = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(etag.e_tag().unwrap()).build())
        .build();
    let done = s3.complete_multipart_upload().bucket("plain").key("mp").upload_id(&id);
    done.multipart_upload(parts).send().await.unwrap();

    // Versioned: each version its own tags.
    s3.create_bucket().bucket("vers").send().await.unwrap();
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning().bucket("vers").versioning_configuration(on).send().await.unwrap();
    let v1 = put(&s3, "vers", "k", Some("gen=1")).await.unwrap();
    let v2 = put(&s3, "vers", "k", Some("gen=2")).await.unwrap();
    put_tags(&s3, "vers", "k", Some(&v1), tagging(&[("gen", "first")])).await;

    // Locked: a held version's file still takes its new tags.
    let lock = s3.create_bucket().bucket("locked").object_lock_enabled_for_bucket(true);
    lock.send().await.unwrap();
    let req = s3.put_object().bucket("locked").key("k").body(ByteStream::from_static(b"x"));
    let req = req.object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On);
    let held = req.content_md5("ndTkYSaMgDT1yFZOFVxnpg==").send().await.unwrap();
    let held = held.version_id().unwrap().to_string();
    put_tags(&s3, "locked", "k", Some(&held), tagging(&[("held", "yes")])).await;

    let mut long_want: Vec<String> = long.iter().map(|(k, v)| format!("{k}={v}")).collect();
    long_want.sort();
    let expect: Vec<(&str, &str, Option<&str>, Vec<String>)> = vec![
        ("plain", "header", None, vec!["a=1".into(), "b=two words".into()]),
        ("plain", "changed", None, vec!["new=1".into()]),
        ("plain", "removed", None, vec![]),
        ("plain", "long", None, long_want),
        ("plain", "src", None, vec!["from=later".into()]),
        ("plain", "copy", None, vec!["from=src".into()]),
        ("plain", "copy2", None, vec!["mine=3".into()]),
        ("plain", "mp", None, vec!["stage=raw".into()]),
        ("vers", "k", Some(&v1), vec!["gen=first".into()]),
        ("vers", "k", Some(&v2), vec!["gen=2".into()]),
        ("locked", "k", Some(&held), vec!["held=yes".into()]),
    ];
    for (bucket, key, version, want) in &expect {
        assert_eq!(&tags_of(&s3, bucket, key, *version).await, want, "{bucket}/{key} before");
    }

    let (rebuilt, _trigger) = stack.rebuilt_gateway("rebuilt").await;
    for (bucket, key, version, want) in &expect {
        assert_eq!(&tags_of(&rebuilt, bucket, key, *version).await, want, "{bucket}/{key} rebuilt");
    }
    let got = rebuilt.get_object().bucket("plain").key("header").send().await.unwrap();
    assert_eq!(got.tag_count(), Some(2));
    // The held version is still held, and its tags still change.
    let hold = rebuilt.get_object_legal_hold().bucket("locked").key("k").version_id(&held);
    let hold = hold.send().await.unwrap();
    assert_eq!(hold.legal_hold().and_then(|h| h.status()), Some(&ObjectLockLegalHoldStatus::On));
    stack.stop().await;
}
