//! Versioning end to end through a real tracker + storage + gateway,
//! driven by `aws-sdk-s3`: Put/GetBucketVersioning, version IDs on every
//! write and read, delete markers and their headers, reads, copies and
//! deletes by version, suspended buckets' null version, DeleteObjects with
//! versions, conditions, and bucket deletion.

mod support;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, Delete, MfaDelete,
    ObjectIdentifier, VersioningConfiguration,
};
use support::{SECRET, Stack, body, make_bucket};

async fn set_versioning(s3: &Client, bucket: &str, status: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .unwrap();
}

/// PUTs `data` and returns the version ID the gateway answered.
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

async fn get_version(s3: &Client, bucket: &str, key: &str, version: Option<&str>) -> Vec<u8> {
    let out = s3.get_object().bucket(bucket).key(key).set_version_id(version.map(str::to_string));
    let out = out.send().await.unwrap();
    body(out).await
}

/// The status, code and named response header of a failed request.
fn failure<E: ProvideErrorMetadata>(
    e: &SdkError<E, HttpResponse>,
    header: &str,
) -> (u16, Option<String>, Option<String>) {
    let raw = e.raw_response().expect("a response");
    let status = raw.status().as_u16();
    let value = raw.headers().get(header).map(str::to_string);
    (status, e.code().map(str::to_string), value)
}

/// `(key, version ID, is latest, is marker)` of every version in listing
/// order (versions and markers merged by key, then newest first as listed).
async fn all_versions(s3: &Client, bucket: &str) -> Vec<(String, String, bool, bool)> {
    let page = s3.list_object_versions().bucket(bucket).send().await.unwrap();
    assert_eq!(page.is_truncated(), Some(false));
    let mut out: Vec<(String, String, bool, bool)> = page
        .versions()
        .iter()
        .map(|v| {
            let (k, id) = (v.key().unwrap().to_string(), v.version_id().unwrap().to_string());
            (k, id, v.is_latest().unwrap(), false)
        })
        .chain(page.delete_markers().iter().map(|m| {
            let (k, id) = (m.key().unwrap().to_string(), m.version_id().unwrap().to_string());
            (k, id, m.is_latest().unwrap(), true)
        }))
        .collect();
    // Each list is in order; a key's newest version is its latest one.
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_markers_and_reads_by_version() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "ver").await;
    let state = s3.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(state.status(), None, "never versioned: an empty configuration");
    // Unversioned writes answer no version header.
    assert_eq!(put(&s3, "ver", "k", b"zero").await, None);
    set_versioning(&s3, "ver", BucketVersioningStatus::Enabled).await;
    let state = s3.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(state.status(), Some(&BucketVersioningStatus::Enabled));

    let v1 = put(&s3, "ver", "k", b"one").await.unwrap();
    let v2 = put(&s3, "ver", "k", b"two").await.unwrap();
    assert_ne!(v1, v2);
    let cur = s3.get_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!(cur.version_id(), Some(v2.as_str()));
    assert_eq!(body(cur).await, b"two");
    assert_eq!(get_version(&s3, "ver", "k", Some(&v1)).await, b"one");
    assert_eq!(get_version(&s3, "ver", "k", Some("null")).await, b"zero");
    let head = s3.head_object().bucket("ver").key("k").version_id(&v1).send().await.unwrap();
    assert_eq!((head.version_id(), head.content_length()), (Some(v1.as_str()), Some(3)));

    // Unknown and malformed version IDs.
    let unknown = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let e = s3.get_object().bucket("ver").key("k").version_id(unknown).send().await.unwrap_err();
    assert_eq!(e.code(), Some("NoSuchVersion"));
    let e = s3.get_object().bucket("ver").key("k").version_id("x").send().await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidArgument"));

    // A delete adds a marker; reads of the key are 404 with its headers.
    let del = s3.delete_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap().to_string();
    let e = s3.get_object().bucket("ver").key("k").send().await.unwrap_err();
    assert_eq!(
        failure(&e, "x-amz-delete-marker"),
        (404, Some("NoSuchKey".into()), Some("true".into()))
    );
    assert_eq!(failure(&e, "x-amz-version-id").2.as_deref(), Some(marker.as_str()));
    let e = s3.head_object().bucket("ver").key("k").send().await.unwrap_err();
    assert_eq!(failure(&e, "x-amz-delete-marker").0, 404);
    assert_eq!(failure(&e, "x-amz-delete-marker").2.as_deref(), Some("true"));
    // By its version ID: 405 MethodNotAllowed, with the marker headers.
    let e = s3.get_object().bucket("ver").key("k").version_id(&marker).send().await.unwrap_err();
    let (status, code, dm) = failure(&e, "x-amz-delete-marker");
    assert_eq!(
        (status, code.as_deref(), dm.as_deref()),
        (405, Some("MethodNotAllowed"), Some("true"))
    );
    let e = s3.head_object().bucket("ver").key("k").version_id(&marker).send().await.unwrap_err();
    assert_eq!(failure(&e, "x-amz-version-id"), (405, None, Some(marker.clone())));
    // The current listings hide the key; old versions still read.
    let list = s3.list_objects_v2().bucket("ver").send().await.unwrap();
    assert!(list.contents().is_empty());
    let list = s3.list_objects().bucket("ver").send().await.unwrap();
    assert!(list.contents().is_empty());
    assert_eq!(get_version(&s3, "ver", "k", Some(&v2)).await, b"two");
    assert_eq!(
        all_versions(&s3, "ver").await,
        vec![
            ("k".into(), marker.clone(), true, true),
            ("k".into(), v2.clone(), false, false),
            ("k".into(), v1.clone(), false, false),
            ("k".into(), "null".into(), false, false),
        ]
    );

    // Removing the marker by ID brings v2 back; removing v2, v1.
    let del = s3.delete_object().bucket("ver").key("k").version_id(&marker).send().await.unwrap();
    assert_eq!((del.delete_marker(), del.version_id()), (Some(true), Some(marker.as_str())));
    assert_eq!(get_version(&s3, "ver", "k", None).await, b"two");
    let del = s3.delete_object().bucket("ver").key("k").version_id(&v2).send().await.unwrap();
    assert_eq!((del.delete_marker(), del.version_id()), (None, Some(v2.as_str())));
    assert_eq!(get_version(&s3, "ver", "k", None).await, b"one");

    // Copy from an old version: the new version and the source's.
    let copy = s3
        .copy_object()
        .bucket("ver")
        .key("restored")
        .copy_source("ver/k?versionId=null")
        .send()
        .await
        .unwrap();
    assert_eq!(copy.copy_source_version_id(), Some("null"));
    let restored = copy.version_id().unwrap().to_string();
    assert_eq!(restored.len(), 32);
    assert_eq!(get_version(&s3, "ver", "restored", None).await, b"zero");
    // Copying an old version onto its own key restores it as the newest.
    let copy = s3
        .copy_object()
        .bucket("ver")
        .key("k")
        .copy_source("ver/k?versionId=null")
        .send()
        .await
        .unwrap();
    assert_eq!(get_version(&s3, "ver", "k", copy.version_id()).await, b"zero");
    assert_eq!(get_version(&s3, "ver", "k", None).await, b"zero");
    // A delete marker cannot be a copy source.
    let m = s3.delete_object().bucket("ver").key("gone").send().await;
    assert!(m.is_ok());
    put(&s3, "ver", "gone", b"x").await;
    let m = s3.delete_object().bucket("ver").key("gone").send().await.unwrap();
    let src = format!("ver/gone?versionId={}", m.version_id().unwrap());
    let e = s3.copy_object().bucket("ver").key("c").copy_source(src).send().await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidRequest"));
    let e = s3.copy_object().bucket("ver").key("c").copy_source("ver/gone").send().await;
    assert_eq!(e.unwrap_err().code(), Some("NoSuchKey"));

    // Multipart completion makes a version too.
    let up = s3.create_multipart_upload().bucket("ver").key("mp").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket("ver")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"multi"))
        .send()
        .await
        .unwrap();
    let done = s3
        .complete_multipart_upload()
        .bucket("ver")
        .key("mp")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mp = done.version_id().unwrap();
    assert_eq!(get_version(&s3, "ver", "mp", Some(mp)).await, b"multi");

    // A bucket with versions or markers left is not empty.
    let e = s3.delete_bucket().bucket("ver").send().await.unwrap_err();
    assert_eq!(e.code(), Some("BucketNotEmpty"));
    let every: Vec<ObjectIdentifier> = all_versions(&s3, "ver")
        .await
        .into_iter()
        .map(|(k, v, _, _)| ObjectIdentifier::builder().key(k).version_id(v).build().unwrap())
        .collect();
    let delete = Delete::builder().set_objects(Some(every)).build().unwrap();
    let out = s3.delete_objects().bucket("ver").delete(delete).send().await.unwrap();
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    s3.delete_bucket().bucket("ver").send().await.unwrap();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_buckets_batch_deletes_conditions_and_refusals() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "sus").await;
    set_versioning(&s3, "sus", BucketVersioningStatus::Enabled).await;
    let v1 = put(&s3, "sus", "k", b"one").await.unwrap();
    set_versioning(&s3, "sus", BucketVersioningStatus::Suspended).await;
    let state = s3.get_bucket_versioning().bucket("sus").send().await.unwrap();
    assert_eq!(state.status(), Some(&BucketVersioningStatus::Suspended));
    // Suspended: writes are the null version, overwritten in place.
    assert_eq!(put(&s3, "sus", "k", b"two").await.as_deref(), Some("null"));
    assert_eq!(put(&s3, "sus", "k", b"three").await.as_deref(), Some("null"));
    let head = s3.head_object().bucket("sus").key("k").send().await.unwrap();
    assert_eq!(head.version_id(), Some("null"));
    let ids: Vec<String> = all_versions(&s3, "sus").await.into_iter().map(|v| v.1).collect();
    assert_eq!(ids, vec!["null".to_string(), v1.clone()]);
    assert_eq!(get_version(&s3, "sus", "k", Some("null")).await, b"three");
    // A delete makes a null marker in place of the null version.
    let del = s3.delete_object().bucket("sus").key("k").send().await.unwrap();
    assert_eq!((del.delete_marker(), del.version_id()), (Some(true), Some("null")));
    let all = all_versions(&s3, "sus").await;
    assert_eq!(all[0], ("k".into(), "null".into(), true, true));
    assert_eq!(all.len(), 2);

    // If-None-Match: * succeeds over a delete marker; If-Match fails.
    let e = s3
        .put_object()
        .bucket("sus")
        .key("k")
        .if_match("*")
        .body(ByteStream::from_static(b"c"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NoSuchKey"));
    s3.put_object()
        .bucket("sus")
        .key("k")
        .if_none_match("*")
        .body(ByteStream::from_static(b"c"))
        .send()
        .await
        .unwrap();

    // DeleteObjects: markers made, versions removed, malformed refused.
    set_versioning(&s3, "sus", BucketVersioningStatus::Enabled).await;
    let a = put(&s3, "sus", "a", b"a").await.unwrap();
    put(&s3, "sus", "b", b"b").await;
    let delete = Delete::builder()
        .objects(ObjectIdentifier::builder().key("a").version_id(&a).build().unwrap())
        .objects(ObjectIdentifier::builder().key("b").build().unwrap())
        .objects(ObjectIdentifier::builder().key("k").version_id(&v1).build().unwrap())
        .objects(ObjectIdentifier::builder().key("c").version_id("bad").build().unwrap())
        .build()
        .unwrap();
    let out = s3.delete_objects().bucket("sus").delete(delete).send().await.unwrap();
    let mut got: Vec<(String, Option<String>, Option<bool>, bool)> = out
        .deleted()
        .iter()
        .map(|d| {
            let key = d.key().unwrap().to_string();
            let marker_id = d.delete_marker_version_id().is_some();
            (key, d.version_id().map(str::to_string), d.delete_marker(), marker_id)
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("a".into(), Some(a.clone()), None, false),
            ("b".into(), None, Some(true), true),
            ("k".into(), Some(v1.clone()), None, false),
        ]
    );
    let errors: Vec<_> = out.errors().iter().map(|e| (e.key(), e.code())).collect();
    assert_eq!(errors, [(Some("c"), Some("InvalidArgument"))]);
    let e = s3.get_object().bucket("sus").key("b").send().await.unwrap_err();
    assert_eq!(failure(&e, "x-amz-delete-marker").2.as_deref(), Some("true"));

    // MFA delete is refused, as is a bogus status; the group buckets'
    // versioning cannot be set.
    let mfa = s3
        .put_bucket_versioning()
        .bucket("sus")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .mfa_delete(MfaDelete::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(mfa.code(), Some("NotImplemented"));
    let bogus = s3
        .put_bucket_versioning()
        .bucket("sus")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::from("Disabled"))
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(bogus.code(), Some("MalformedXML"));
    let group = s3
        .put_bucket_versioning()
        .bucket("group1")
        .versioning_configuration(
            VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(group.code(), Some("AccessDenied"));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_part_copy_reads_the_version_it_names() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "upc").await;
    set_versioning(&s3, "upc", BucketVersioningStatus::Enabled).await;
    let v1 = put(&s3, "upc", "src", b"first version").await.unwrap();
    put(&s3, "upc", "src", b"second").await;
    let up = s3.create_multipart_upload().bucket("upc").key("dst").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let copied = s3
        .upload_part_copy()
        .bucket("upc")
        .key("dst")
        .upload_id(id)
        .part_number(1)
        .copy_source(format!("upc/src?versionId={v1}"))
        .send()
        .await
        .unwrap();
    assert_eq!(copied.copy_source_version_id(), Some(v1.as_str()));
    let etag = copied.copy_part_result().and_then(|r| r.e_tag()).unwrap();
    let parts = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(etag).build())
        .build();
    let done = s3
        .complete_multipart_upload()
        .bucket("upc")
        .key("dst")
        .upload_id(id)
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    assert!(done.version_id().is_some());
    assert_eq!(get_version(&s3, "upc", "dst", None).await, b"first version");
    // A delete marker named as the source is refused; so is a latest one.
    let m = s3.delete_object().bucket("upc").key("src").send().await.unwrap();
    let marker = m.version_id().unwrap();
    let up = s3.create_multipart_upload().bucket("upc").key("dst").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let part = |src: String| {
        s3.upload_part_copy().bucket("upc").key("dst").upload_id(id).part_number(1).copy_source(src)
    };
    let e = part(format!("upc/src?versionId={marker}")).send().await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidRequest"));
    let e = part("upc/src".to_string()).send().await.unwrap_err();
    assert_eq!(e.code(), Some("NoSuchKey"));
    stack.stop().await;
}
