//! Tagging end to end through a real tracker + storage + gateway, driven
//! by `aws-sdk-s3`: Put/Get/DeleteObjectTagging per version, `x-amz-tagging`
//! on PutObject, CreateMultipartUpload and CopyObject (with its tagging
//! directive), `x-amz-tagging-count` on GET and HEAD, bucket tagging, and
//! AWS's limits with AWS's errors.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, MetadataDirective, Tag,
    Tagging, TaggingDirective, VersioningConfiguration,
};
use support::{SECRET, Stack, make_bucket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    let tags = pairs.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap());
    Tagging::builder().set_tag_set(Some(tags.collect())).build().unwrap()
}

/// The tag set of `key` (version `version`), sorted, and the version the
/// gateway answered.
async fn tags_of(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> (Vec<(String, String)>, Option<String>) {
    let out = s3.get_object_tagging().bucket(bucket).key(key);
    let out = out.set_version_id(version.map(str::to_string)).send().await.unwrap();
    let mut tags: Vec<_> =
        out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
    tags.sort();
    (tags, out.version_id().map(str::to_string))
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    v.sort();
    v
}

/// Status and code of a failed request.
fn failure<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> (u16, String) {
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (status, e.code().unwrap_or("").to_string())
}

async fn put(s3: &Client, bucket: &str, key: &str, header: Option<&str>) -> Option<String> {
    let req = s3.put_object().bucket(bucket).key(key).body(ByteStream::from_static(b"data"));
    let out = req.set_tagging(header.map(str::to_string)).send().await.unwrap();
    out.version_id().map(str::to_string)
}

/// `x-amz-tagging-count` of a HEAD of `key`, read from the raw reply (the
/// SDK's HeadObjectOutput has no field for it).
async fn head_count(s3: &Client, addr: SocketAddr, bucket: &str, key: &str) -> Option<String> {
    let cfg = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let req = s3.head_object().bucket(bucket).key(key).presigned(cfg).await.unwrap();
    raw_header(addr, &req, "x-amz-tagging-count").await
}

async fn raw_header(addr: SocketAddr, req: &PresignedRequest, name: &str) -> Option<String> {
    let uri: http::Uri = req.uri().parse().unwrap();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        req.method(),
        uri.path_and_query().unwrap(),
        uri.authority().unwrap()
    );
    for (k, v) in req.headers() {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    let text = String::from_utf8_lossy(&reply).to_string();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text.split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_tags_round_trip_with_counts_on_reads() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "tags").await;

    put(&s3, "tags", "k", Some("project=blue&note=two+words%2Bplus&empty=")).await;
    let want = pairs(&[("project", "blue"), ("note", "two words+plus"), ("empty", "")]);
    assert_eq!(tags_of(&s3, "tags", "k", None).await, (want, None));
    let got = s3.get_object().bucket("tags").key("k").send().await.unwrap();
    assert_eq!(got.tag_count(), Some(3));
    assert_eq!(head_count(&s3, stack.s3, "tags", "k").await.as_deref(), Some("3"));

    let put_tags = s3.put_object_tagging().bucket("tags").key("k");
    let out = put_tags.tagging(tagging(&[("ünïcode", "välue @:/=+-._")])).send().await.unwrap();
    assert_eq!(out.version_id(), None, "a never-versioned bucket answers no version");
    assert_eq!(tags_of(&s3, "tags", "k", None).await.0, pairs(&[("ünïcode", "välue @:/=+-._")]));

    s3.delete_object_tagging().bucket("tags").key("k").send().await.unwrap();
    assert_eq!(tags_of(&s3, "tags", "k", None).await.0, []);
    let got = s3.get_object().bucket("tags").key("k").send().await.unwrap();
    assert_eq!(got.tag_count(), None, "no count without tags");
    assert_eq!(head_count(&s3, stack.s3, "tags", "k").await, None);

    // An untagged PUT has none; an overwrite replaces the tags with its own.
    put(&s3, "tags", "plain", None).await;
    assert_eq!(tags_of(&s3, "tags", "plain", None).await.0, []);
    put(&s3, "tags", "k", Some("a=1")).await;
    put(&s3, "tags", "k", None).await;
    assert_eq!(tags_of(&s3, "tags", "k", None).await.0, []);

    let e = s3.get_object_tagging().bucket("tags").key("nope").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "NoSuchKey".into()));
    let e = s3.get_object_tagging().bucket("none").key("k").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "NoSuchBucket".into()));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_answered_as_aws_does() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "lim").await;
    put(&s3, "lim", "k", None).await;
    let put_tags = |t: Tagging| s3.put_object_tagging().bucket("lim").key("k").tagging(t).send();

    let ten: Vec<(String, String)> = (0..10).map(|i| (format!("k{i}"), "v".into())).collect();
    let as_ref: Vec<(&str, &str)> = ten.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    put_tags(tagging(&as_ref)).await.unwrap();
    let mut eleven = as_ref.clone();
    eleven.push(("k10", "v"));
    let e = put_tags(tagging(&eleven)).await.unwrap_err();
    assert_eq!(failure(&e), (400, "BadRequest".into()));
    assert_eq!(e.message(), Some("Object tags cannot be greater than 10"));
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    for bad in [
        vec![("a", "1"), ("a", "2")],
        vec![("aws:reserved", "1")],
        vec![(long_key.as_str(), "1")],
        vec![("k", long_value.as_str())],
        vec![("k", "what?")],
        vec![("", "v")],
    ] {
        let e = put_tags(tagging(&bad)).await.unwrap_err();
        assert_eq!(failure(&e), (400, "InvalidTag".into()), "{bad:?}");
    }
    // The ten tags are still there.
    assert_eq!(tags_of(&s3, "lim", "k", None).await.0.len(), 10);

    // The header's own errors, before any byte is stored.
    for (header, code) in [("a=1&a=2", "InvalidArgument"), ("a=%FF", "InvalidArgument")] {
        let req = s3.put_object().bucket("lim").key("h").body(ByteStream::from_static(b"x"));
        let e = req.tagging(header).send().await.unwrap_err();
        assert_eq!(failure(&e), (400, code.into()), "{header}");
    }
    let req = s3.put_object().bucket("lim").key("h").body(ByteStream::from_static(b"x"));
    let e = req.tagging("aws%3Ax=1").send().await.unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidTag".into()));
    let e = s3.head_object().bucket("lim").key("h").send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 404, "a refused PUT stores nothing");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_are_per_version_and_markers_have_none() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "ver").await;
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning().bucket("ver").versioning_configuration(on).send().await.unwrap();
    let v1 = put(&s3, "ver", "k", Some("gen=1")).await.unwrap();
    let v2 = put(&s3, "ver", "k", None).await.unwrap();
    let out = s3.put_object_tagging().bucket("ver").key("k").version_id(&v1);
    let out = out.tagging(tagging(&[("gen", "first")])).send().await.unwrap();
    assert_eq!(out.version_id(), Some(v1.as_str()));
    assert_eq!(
        tags_of(&s3, "ver", "k", Some(&v1)).await,
        (pairs(&[("gen", "first")]), Some(v1.clone()))
    );
    assert_eq!(tags_of(&s3, "ver", "k", None).await, (vec![], Some(v2.clone())));
    let get = s3.get_object().bucket("ver").key("k").version_id(&v1).send().await.unwrap();
    assert_eq!(get.tag_count(), Some(1));
    let del = s3.delete_object_tagging().bucket("ver").key("k").version_id(&v1).send().await;
    assert_eq!(del.unwrap().version_id(), Some(v1.as_str()));
    assert_eq!(tags_of(&s3, "ver", "k", Some(&v1)).await.0, []);

    let marker = s3.delete_object().bucket("ver").key("k").send().await.unwrap();
    let marker = marker.version_id().unwrap().to_string();
    let e = s3.get_object_tagging().bucket("ver").key("k").version_id(&marker).send().await;
    assert_eq!(failure(&e.unwrap_err()), (405, "MethodNotAllowed".into()));
    let e = s3.put_object_tagging().bucket("ver").key("k").version_id(&marker);
    let e = e.tagging(tagging(&[("a", "b")])).send().await.unwrap_err();
    assert_eq!(failure(&e), (405, "MethodNotAllowed".into()));
    let e = s3.get_object_tagging().bucket("ver").key("k").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "NoSuchKey".into()));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_and_uploads_carry_tags() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "copies").await;
    put(&s3, "copies", "src", Some("from=src&keep=1")).await;
    let copy =
        |dst: &'static str| s3.copy_object().bucket("copies").key(dst).copy_source("copies/src");

    copy("default").send().await.unwrap();
    assert_eq!(
        tags_of(&s3, "copies", "default", None).await.0,
        pairs(&[("from", "src"), ("keep", "1")])
    );
    copy("copied")
        .tagging_directive(TaggingDirective::Copy)
        .tagging("x=ignored")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&s3, "copies", "copied", None).await.0.len(), 2);
    let replaced = copy("replaced").tagging_directive(TaggingDirective::Replace).tagging("new=1");
    replaced.send().await.unwrap();
    assert_eq!(tags_of(&s3, "copies", "replaced", None).await.0, pairs(&[("new", "1")]));
    copy("emptied").tagging_directive(TaggingDirective::Replace).send().await.unwrap();
    assert_eq!(tags_of(&s3, "copies", "emptied", None).await.0, []);
    // New metadata, the source's tags.
    let meta = copy("meta").metadata_directive(MetadataDirective::Replace).content_type("a/b");
    meta.send().await.unwrap();
    assert_eq!(tags_of(&s3, "copies", "meta", None).await.0.len(), 2);
    let bad = copy("bad").tagging_directive(TaggingDirective::Replace).tagging("a=1&a=2");
    assert_eq!(failure(&bad.send().await.unwrap_err()), (400, "InvalidArgument".into()));

    // CreateMultipartUpload's tags go to the completed object.
    let up = s3.create_multipart_upload().bucket("copies").key("mp").tagging("stage=raw&n=2");
    let id = up.send().await.unwrap().upload_id().unwrap().to_string();
    let part = s3.upload_part().bucket("copies").key("mp").upload_id(&id).part_number(1);
    let etag = part.body(ByteStream::from_static(b"part")).send().await.unwrap();
    let parts = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(etag.e_tag().unwrap()).build())
        .build();
    let done = s3.complete_multipart_upload().bucket("copies").key("mp").upload_id(&id);
    done.multipart_upload(parts).send().await.unwrap();
    assert_eq!(tags_of(&s3, "copies", "mp", None).await.0, pairs(&[("stage", "raw"), ("n", "2")]));
    assert_eq!(head_count(&s3, stack.s3, "copies", "mp").await.as_deref(), Some("2"));
    let bad = s3.create_multipart_upload().bucket("copies").key("mp2").tagging("aws:x=1");
    assert_eq!(failure(&bad.send().await.unwrap_err()), (400, "InvalidTag".into()));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_tagging_and_locked_versions() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "btags").await;
    let e = s3.get_bucket_tagging().bucket("btags").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "NoSuchTagSet".into()));
    let set = tagging(&[("team", "storage"), ("cost center", "42")]);
    s3.put_bucket_tagging().bucket("btags").tagging(set).send().await.unwrap();
    let got = s3.get_bucket_tagging().bucket("btags").send().await.unwrap();
    let mut got: Vec<_> =
        got.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
    got.sort();
    assert_eq!(got, pairs(&[("team", "storage"), ("cost center", "42")]));
    let fifty: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    let refs: Vec<(&str, &str)> = fifty.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s3.put_bucket_tagging().bucket("btags").tagging(tagging(&refs[..50])).send().await.unwrap();
    let e = s3.put_bucket_tagging().bucket("btags").tagging(tagging(&refs)).send().await;
    assert_eq!(failure(&e.unwrap_err()), (400, "InvalidTag".into()));
    let got = s3.get_bucket_tagging().bucket("btags").send().await.unwrap();
    assert_eq!(got.tag_set().len(), 50);
    s3.delete_bucket_tagging().bucket("btags").send().await.unwrap();
    let e = s3.get_bucket_tagging().bucket("btags").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "NoSuchTagSet".into()));

    // Tags are not protected by Object Lock: a held version's may change.
    let lock = s3.create_bucket().bucket("locked").object_lock_enabled_for_bucket(true);
    lock.send().await.unwrap();
    let req = s3.put_object().bucket("locked").key("k").body(ByteStream::from_static(b"x"));
    let req = req.object_lock_legal_hold_status(aws_sdk_s3::types::ObjectLockLegalHoldStatus::On);
    let v = req.content_md5("ndTkYSaMgDT1yFZOFVxnpg==").send().await;
    let v = v.unwrap().version_id().unwrap().to_string();
    let t = s3.put_object_tagging().bucket("locked").key("k").version_id(&v);
    t.tagging(tagging(&[("held", "yes")])).send().await.unwrap();
    assert_eq!(tags_of(&s3, "locked", "k", Some(&v)).await.0, pairs(&[("held", "yes")]));
    stack.stop().await;
}
