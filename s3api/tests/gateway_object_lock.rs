//! Object Lock end to end through a real tracker + storage + gateway with
//! `aws-sdk-s3`: a bucket created with object lock, its configuration and
//! default retention, retention and legal hold per object, deletes refused
//! (or allowed with the GOVERNANCE bypass), COMPLIANCE that cannot be
//! shortened, lock headers refused on a bucket without lock, the
//! Content-MD5 requirement, and the WORM tags written onto the files.

mod support;

use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration,
    DefaultRetention, Delete, ObjectIdentifier, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetention,
    ObjectLockRetentionMode, ObjectLockRule, VersioningConfiguration,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fdfs_protocol::client::{Content, Pool, StorageClient, TrackerClient, storage_socket_addr};
use fdfs_protocol::metadata::Metadata;
use fdfs_s3api::gateway::server::index_path;
use fdfs_s3api::index::{Index, IndexError, LockMode, ObjectLock, Retention};
use fdfs_s3api::rebuild::lock_tags::lock_metadata;
use fdfs_s3api::rebuild::tags::FileTag;
use fdfs_s3api::rebuild::{rebuild_index, sweep_orphans};
use md5::{Digest, Md5};
use support::{SECRET, Stack, make_bucket, sigv4};

type Raw = aws_sdk_s3::config::http::HttpResponse;

/// The HTTP status and error code of a failed call.
fn failure<E: ProvideErrorMetadata>(e: &SdkError<E, Raw>) -> (u16, String) {
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (status, e.code().unwrap_or("-").to_string())
}

/// A time `secs` from now, whole seconds (what S3 dates carry).
fn in_secs(secs: i64) -> DateTime {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    DateTime::from_secs(now + secs)
}

/// Creates bucket `name` in group1 with object lock enabled.
async fn make_lock_bucket(s3: &Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(true)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from("group1"))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

fn config(
    mode: ObjectLockRetentionMode,
    days: Option<i32>,
    years: Option<i32>,
) -> ObjectLockConfiguration {
    let mut d = DefaultRetention::builder().mode(mode);
    if let Some(n) = days {
        d = d.days(n);
    }
    if let Some(n) = years {
        d = d.years(n);
    }
    ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .rule(ObjectLockRule::builder().default_retention(d.build()).build())
        .build()
}

fn retention(mode: ObjectLockRetentionMode, until: DateTime) -> ObjectLockRetention {
    ObjectLockRetention::builder().mode(mode).retain_until_date(until).build()
}

fn hold(on: bool) -> ObjectLockLegalHold {
    let status = if on { ObjectLockLegalHoldStatus::On } else { ObjectLockLegalHoldStatus::Off };
    ObjectLockLegalHold::builder().status(status).build()
}

/// The FastDFS tags of the (single) file of `bucket`/`key`.
async fn file_tags(stack: &Stack, bucket: &str, key: &str) -> Vec<(String, String)> {
    let pool = Pool::default();
    let (tracker, storage) =
        (TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap(), StorageClient::new(pool));
    let (b, k) = (bucket.to_string(), key.to_string());
    let record = stack.index.read(move |ix| ix.get_object(&b, &k)).await.unwrap();
    let (group, name) = record.data.file_ids()[0].split_once('/').unwrap();
    let target = tracker.query_update(group, name).await.unwrap();
    let addr = storage_socket_addr(&target.storage).unwrap();
    let tags = storage.get_metadata(addr, group, name).await.unwrap();
    tags.iter()
        .map(|(n, v)| {
            (String::from_utf8_lossy(n).into_owned(), String::from_utf8_lossy(v).into_owned())
        })
        .filter(|(n, _)| n.starts_with("s3-lock") || n == "s3-legal-hold")
        .collect()
}

/// Where the storage keeps `file_id` on disk.
fn disk_path(stack: &Stack, file_id: &str) -> std::path::PathBuf {
    // group1/M00/XX/YY/name → storage/data/XX/YY/name
    let rest = file_id.split_once("/M00/").unwrap().1;
    stack.dir.path().join("storage").join("data").join(rest)
}

fn tag<'a>(tags: &'a [(String, String)], name: &str) -> Option<&'a str> {
    tags.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn lock_bucket_configuration_and_default_retention() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "locked").await;
    let got = s3.get_object_lock_configuration().bucket("locked").send().await.unwrap();
    let got = got.object_lock_configuration().unwrap();
    assert_eq!(got.object_lock_enabled(), Some(&ObjectLockEnabled::Enabled));
    assert!(got.rule().is_none());
    // Created versioned, and it stays so.
    let v = s3.get_bucket_versioning().bucket("locked").send().await.unwrap();
    assert_eq!(v.status(), Some(&BucketVersioningStatus::Enabled));
    let e = s3
        .put_bucket_versioning()
        .bucket("locked")
        .versioning_configuration(
            VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (409, "InvalidBucketState".into()));

    // Malformed rules are refused as AWS refuses them.
    for (cfg, want) in [
        (config(ObjectLockRetentionMode::Governance, Some(1), Some(1)), (400, "MalformedXML")),
        (config(ObjectLockRetentionMode::Governance, None, None), (400, "MalformedXML")),
        (config(ObjectLockRetentionMode::Governance, Some(0), None), (400, "InvalidArgument")),
        (config(ObjectLockRetentionMode::Compliance, None, Some(101)), (400, "InvalidArgument")),
    ] {
        let e = s3
            .put_object_lock_configuration()
            .bucket("locked")
            .object_lock_configuration(cfg)
            .send()
            .await
            .unwrap_err();
        assert_eq!(failure(&e), (want.0, want.1.to_string()));
    }
    s3.put_object_lock_configuration()
        .bucket("locked")
        .object_lock_configuration(config(ObjectLockRetentionMode::Governance, Some(2), None))
        .send()
        .await
        .unwrap();
    let got = s3.get_object_lock_configuration().bucket("locked").send().await.unwrap();
    let rule = got.object_lock_configuration().unwrap().rule().unwrap();
    let d = rule.default_retention().unwrap();
    assert_eq!(
        (d.mode(), d.days(), d.years()),
        (Some(&ObjectLockRetentionMode::Governance), Some(2), None)
    );

    // The default applies to a PUT that asks for nothing.
    s3.put_object()
        .bucket("locked")
        .key("d")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("locked").key("d").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    let until = head.object_lock_retain_until_date().unwrap().secs();
    let expect = in_secs(2 * 86_400).secs();
    assert!((until - expect).abs() < 60, "{until} vs {expect}");
    assert!(head.object_lock_legal_hold_status().is_none());
    let got = s3.get_object_retention().bucket("locked").key("d").send().await.unwrap();
    assert_eq!(got.retention().unwrap().mode(), Some(&ObjectLockRetentionMode::Governance));
    // ... and reaches the file's tags, which the storage enforces.
    let tags = file_tags(&stack, "locked", "d").await;
    assert_eq!(tag(&tags, "s3-lock-mode"), Some("GOVERNANCE"));
    let tagged: i64 = tag(&tags, "s3-lock-until").unwrap().parse().unwrap();
    assert_eq!(tagged / 1000, until);

    // A bucket without lock: no configuration, and none can be added
    // while it is not versioned.
    make_bucket(&s3, "plain").await;
    let e = s3.get_object_lock_configuration().bucket("plain").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "ObjectLockConfigurationNotFoundError".into()));
    let e = s3
        .put_object_lock_configuration()
        .bucket("plain")
        .object_lock_configuration(config(ObjectLockRetentionMode::Governance, Some(1), None))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (409, "InvalidBucketState".into()));
    s3.put_object()
        .bucket("plain")
        .key("p")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let e = s3
        .put_object_retention()
        .bucket("plain")
        .key("p")
        .retention(retention(ObjectLockRetentionMode::Governance, in_secs(600)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));
    // Once versioning is Enabled, object lock can be turned on.
    s3.put_bucket_versioning()
        .bucket("plain")
        .versioning_configuration(
            VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object_lock_configuration()
        .bucket("plain")
        .object_lock_configuration(config(ObjectLockRetentionMode::Compliance, Some(1), None))
        .send()
        .await
        .unwrap();
    let got = s3.get_object_lock_configuration().bucket("plain").send().await.unwrap();
    assert!(got.object_lock_configuration().unwrap().rule().is_some());
    stack.stop().await;
}

#[tokio::test]
async fn retention_and_legal_hold_guard_deletes() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "worm").await;

    // COMPLIANCE from the headers: visible on HEAD and GET, never shortened.
    let until = in_secs(3600);
    let put = s3
        .put_object()
        .bucket("worm")
        .key("c")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"kept"))
        .send()
        .await
        .unwrap();
    let vc = put.version_id().unwrap().to_string();
    let got = s3.get_object().bucket("worm").key("c").send().await.unwrap();
    assert_eq!(got.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(got.object_lock_retain_until_date().map(DateTime::secs), Some(until.secs()));
    let e = s3.delete_object().bucket("worm").key("c").version_id(&vc).send().await.unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    let e = s3
        .delete_object()
        .bucket("worm")
        .key("c")
        .version_id(&vc)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    for (mode, at, bypass) in [
        (ObjectLockRetentionMode::Compliance, in_secs(1800), false),
        (ObjectLockRetentionMode::Governance, in_secs(7200), true),
    ] {
        let e = s3
            .put_object_retention()
            .bucket("worm")
            .key("c")
            .retention(retention(mode, at))
            .bypass_governance_retention(bypass)
            .send()
            .await
            .unwrap_err();
        assert_eq!(failure(&e), (403, "AccessDenied".into()));
    }
    let longer = in_secs(7200);
    s3.put_object_retention()
        .bucket("worm")
        .key("c")
        .retention(retention(ObjectLockRetentionMode::Compliance, longer))
        .send()
        .await
        .unwrap();
    let got = s3.get_object_retention().bucket("worm").key("c").send().await.unwrap();
    assert_eq!(
        got.retention().unwrap().retain_until_date().map(DateTime::secs),
        Some(longer.secs())
    );
    let tags = file_tags(&stack, "worm", "c").await;
    assert_eq!(tag(&tags, "s3-lock-mode"), Some("COMPLIANCE"));
    assert_eq!(tag(&tags, "s3-lock-until"), Some(&*(longer.secs() * 1000).to_string()));

    // A date in the past is refused.
    let e = s3
        .put_object_retention()
        .bucket("worm")
        .key("c")
        .retention(retention(ObjectLockRetentionMode::Compliance, in_secs(-60)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidArgument".into()));

    // DeleteObjects names the locked version among its errors.
    let batch = s3
        .delete_objects()
        .bucket("worm")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("c").version_id(&vc).build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(batch.errors()[0].code(), Some("AccessDenied"));
    assert!(batch.deleted().is_empty());
    // A plain DELETE of a locked object adds a delete marker, as on AWS;
    // the version stays, with its lock.
    let marker = s3.delete_object().bucket("worm").key("c").send().await.unwrap();
    assert_eq!(marker.delete_marker(), Some(true));
    let got = s3.get_object_retention().bucket("worm").key("c").version_id(&vc).send().await;
    let got = got.unwrap();
    assert_eq!(got.retention().unwrap().mode(), Some(&ObjectLockRetentionMode::Compliance));

    // GOVERNANCE: shortened or deleted only with the bypass.
    let put = s3
        .put_object()
        .bucket("worm")
        .key("g")
        .body(ByteStream::from_static(b"g"))
        .send()
        .await
        .unwrap();
    let vg = put.version_id().unwrap().to_string();
    let e = s3.get_object_retention().bucket("worm").key("g").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "NoSuchObjectLockConfiguration".into()));
    s3.put_object_retention()
        .bucket("worm")
        .key("g")
        .retention(retention(ObjectLockRetentionMode::Governance, in_secs(3600)))
        .send()
        .await
        .unwrap();
    let e = s3.delete_object().bucket("worm").key("g").version_id(&vg).send().await.unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    let e = s3
        .put_object_retention()
        .bucket("worm")
        .key("g")
        .retention(retention(ObjectLockRetentionMode::Governance, in_secs(60)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    s3.put_object_retention()
        .bucket("worm")
        .key("g")
        .retention(retention(ObjectLockRetentionMode::Governance, in_secs(60)))
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();

    // A legal hold outranks the bypass until it is lifted.
    s3.put_object_legal_hold().bucket("worm").key("g").legal_hold(hold(true)).send().await.unwrap();
    let got = s3.get_object_legal_hold().bucket("worm").key("g").send().await.unwrap();
    assert_eq!(got.legal_hold().unwrap().status(), Some(&ObjectLockLegalHoldStatus::On));
    let head = s3.head_object().bucket("worm").key("g").send().await.unwrap();
    assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::On));
    assert_eq!(tag(&file_tags(&stack, "worm", "g").await, "s3-legal-hold"), Some("ON"));
    let e = s3
        .delete_object()
        .bucket("worm")
        .key("g")
        .version_id(&vg)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    s3.put_object_legal_hold()
        .bucket("worm")
        .key("g")
        .legal_hold(hold(false))
        .send()
        .await
        .unwrap();
    assert_eq!(tag(&file_tags(&stack, "worm", "g").await, "s3-legal-hold"), Some("OFF"));
    let v = vg.clone();
    let record = stack.index.read(move |ix| ix.get_version("worm", "g", Some(&v))).await;
    let on_disk = disk_path(&stack, record.unwrap().data.file_ids()[0]);
    assert!(on_disk.exists());
    s3.delete_object()
        .bucket("worm")
        .key("g")
        .version_id(&vg)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    let e = s3.head_object().bucket("worm").key("g").version_id(&vg).send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
    // The delete queue removes the file, whose tags still carry the
    // (bypassed) GOVERNANCE retention: the gateway is the storage's lock
    // admin.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while on_disk.exists() {
        assert!(std::time::Instant::now() < deadline, "{on_disk:?} never deleted");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stack.stop().await;
}

#[tokio::test]
async fn lock_headers_on_writes() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "hdr").await;
    make_bucket(&s3, "nolock").await;

    // Lock headers on a bucket without lock: 400 InvalidRequest.
    let e = s3
        .put_object()
        .bucket("nolock")
        .key("k")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));
    let e = s3
        .create_multipart_upload()
        .bucket("nolock")
        .key("k")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_secs(600))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));
    // A mode without a date (or the reverse): 400 InvalidArgument.
    let e = s3
        .put_object()
        .bucket("hdr")
        .key("k")
        .object_lock_mode(ObjectLockMode::Governance)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidArgument".into()));

    // Without Content-MD5 or a checksum, a PUT with lock headers is refused.
    let bare = aws_sdk_s3::Client::from_conf(
        s3.config()
            .to_builder()
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .build(),
    );
    let until = in_secs(600);
    let e = bare
        .put_object()
        .bucket("hdr")
        .key("k")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));
    // A plain PUT into a bucket without default retention needs none.
    bare.put_object()
        .bucket("hdr")
        .key("free")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let md5 = STANDARD.encode(Md5::digest(b"x"));
    bare.put_object()
        .bucket("hdr")
        .key("k")
        .content_md5(md5)
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("hdr").key("k").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    // ... and, once the bucket has a default retention, so does a plain PUT.
    s3.put_object_lock_configuration()
        .bucket("hdr")
        .object_lock_configuration(config(ObjectLockRetentionMode::Governance, None, Some(1)))
        .send()
        .await
        .unwrap();
    let e = bare
        .put_object()
        .bucket("hdr")
        .key("free2")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));

    // CopyObject: the destination gets the request's lock, not the source's.
    s3.copy_object()
        .bucket("hdr")
        .key("copy")
        .copy_source("hdr/free")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("hdr").key("copy").send().await.unwrap();
    assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::On));
    // The shared file carries the strongest lock of both.
    assert_eq!(tag(&file_tags(&stack, "hdr", "free").await, "s3-legal-hold"), Some("ON"));

    // Multipart: the upload keeps its lock and hands it to the object.
    let until = in_secs(900);
    let up = s3
        .create_multipart_upload()
        .bucket("hdr")
        .key("mp")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket("hdr")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket("hdr")
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
    let head = s3.head_object().bucket("hdr").key("mp").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(head.object_lock_retain_until_date().map(DateTime::secs), Some(until.secs()));
    assert_eq!(tag(&file_tags(&stack, "hdr", "mp").await, "s3-lock-mode"), Some("COMPLIANCE"));
    stack.stop().await;
}

/// Uploads `data` straight to the storage with tags `meta` (no index row).
async fn raw_upload(stack: &Stack, meta: &Metadata, data: &[u8]) -> String {
    let pool = Pool::default();
    let tracker = TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap();
    let target = tracker.query_store(Some("group1")).await.unwrap();
    let addr = storage_socket_addr(&target.storage).unwrap();
    let content = Content { len: data.len() as u64, reader: &mut &data[..] };
    let stored = StorageClient::new(pool)
        .upload_with_metadata(addr, target.store_path_index, "bin", meta, content)
        .await
        .unwrap();
    stored.file_id()
}

#[tokio::test]
async fn the_orphan_sweep_keeps_locked_files() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "swp").await;
    let tagged = |key: &str, lock: &ObjectLock| {
        let mut meta = FileTag::object("swp", key, None).to_metadata();
        meta.merge(&lock_metadata(lock));
        meta
    };
    let held = ObjectLock { retention: None, legal_hold: true };
    let held = raw_upload(&stack, &tagged("held", &held), b"h").await;
    let future = Retention { mode: LockMode::Governance, until_ms: i64::MAX / 2 };
    let retained = ObjectLock { retention: Some(future), legal_hold: false };
    let retained = raw_upload(&stack, &tagged("retained", &retained), b"r").await;
    let past = Retention { mode: LockMode::Compliance, until_ms: 1 };
    let expired = ObjectLock { retention: Some(past), legal_hold: false };
    let expired = raw_upload(&stack, &tagged("expired", &expired), b"e").await;

    let pool = Pool::default();
    let tracker = TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap();
    let storage = StorageClient::new(pool);
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis();
    let now = i64::try_from(now).unwrap() + 1000;
    let report = sweep_orphans(&stack.index, &tracker, &storage, Duration::ZERO, now).await;
    let report = report.unwrap();
    // Three orphans; only the one whose retention is over is queued.
    assert_eq!(report.unreferenced, 3);
    assert_eq!(report.queued, vec![expired.clone()]);
    assert!(disk_path(&stack, &held).exists() && disk_path(&stack, &retained).exists());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while disk_path(&stack, &expired).exists() {
        assert!(std::time::Instant::now() < deadline, "the expired orphan was never deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stack.stop().await;
}

/// A signed `PUT path?query` with `body` (and `extra` header lines, not
/// signed) sent over a raw socket: what the SDK never sends, a lock call
/// without Content-MD5 or a checksum.
async fn raw_put(stack: &Stack, path: &str, query: &str, body: &str, extra: &str) -> (u16, String) {
    let host = stack.s3.to_string();
    let (_, amz) = sigv4::amz_dates(sigv4::now());
    let sha = sigv4::sha256_hex(body);
    let canonical = format!(
        "PUT\n{path}\n{query}=\nhost:{host}\nx-amz-content-sha256:{sha}\nx-amz-date:{amz}\n\n\
         host;x-amz-content-sha256;x-amz-date\n{sha}"
    );
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/{}/s3/aws4_request, \
         SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={}",
        support::KEY_ID,
        &amz[..8],
        sigv4::REGION,
        sigv4::signature(&amz, &canonical)
    );
    let request = format!(
        "PUT {path}?{query} HTTP/1.1\r\nHost: {host}\r\nx-amz-date: {amz}\r\n\
         x-amz-content-sha256: {sha}\r\nAuthorization: {auth}\r\n{extra}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, _, reply) = sigv4::exchange(stack.s3, &request).await;
    (status, reply)
}

#[tokio::test]
async fn lock_calls_need_content_md5() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "raw").await;
    s3.put_object()
        .bucket("raw")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let ns = "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
    let hold = format!("<LegalHold {ns}><Status>ON</Status></LegalHold>");
    let config = format!(
        "<ObjectLockConfiguration {ns}><ObjectLockEnabled>Enabled</ObjectLockEnabled>\
         </ObjectLockConfiguration>"
    );
    let until = "2099-01-01T00:00:00Z";
    let retention = format!(
        "<Retention {ns}><Mode>GOVERNANCE</Mode><RetainUntilDate>{until}</RetainUntilDate></Retention>"
    );
    for (path, query, body) in [
        ("/raw/k", "legal-hold", &hold),
        ("/raw/k", "retention", &retention),
        ("/raw", "object-lock", &config),
    ] {
        let (status, reply) = raw_put(&stack, path, query, body, "").await;
        assert_eq!(status, 400, "{query}: {reply}");
        assert!(reply.contains("<Code>InvalidRequest</Code>"), "{query}: {reply}");
        assert!(reply.contains("Content-MD5 OR x-amz-checksum-"), "{query}: {reply}");
        let md5 = format!("Content-MD5: {}\r\n", STANDARD.encode(Md5::digest(body.as_bytes())));
        let (status, reply) = raw_put(&stack, path, query, body, &md5).await;
        assert_eq!(status, 200, "{query}: {reply}");
    }
    let head = s3.head_object().bucket("raw").key("k").send().await.unwrap();
    assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::On));
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    stack.stop().await;
}

#[tokio::test]
async fn rebuild_index_restores_locks() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "rbl").await;
    let until = in_secs(3600);
    let kept = s3
        .put_object()
        .bucket("rbl")
        .key("kept")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"c"))
        .send()
        .await
        .unwrap();
    let kept_version = kept.version_id().unwrap().to_string();
    s3.put_object()
        .bucket("rbl")
        .key("held")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .body(ByteStream::from_static(b"h"))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("rbl")
        .key("free")
        .body(ByteStream::from_static(b"f"))
        .send()
        .await
        .unwrap();

    let pool = Pool::default();
    let tracker = TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap();
    let storage = StorageClient::new(pool);
    let fresh = stack.dir.path().join("rebuilt");
    std::fs::create_dir_all(&fresh).unwrap();
    let report = rebuild_index(&tracker, &storage, &fresh).await.unwrap();
    assert_eq!((report.objects, report.locked_files), (3, 2), "{report:?}");
    let mut index = Index::open(index_path(&fresh)).unwrap();
    let kept = index.object_lock("rbl", "kept", Some(&kept_version)).unwrap();
    let want = Retention { mode: LockMode::Compliance, until_ms: until.secs() * 1000 };
    assert_eq!(kept, ObjectLock { retention: Some(want), legal_hold: false });
    assert!(index.object_lock("rbl", "held", None).unwrap().legal_hold);
    assert_eq!(index.object_lock("rbl", "free", None).unwrap(), ObjectLock::default());
    // The bucket is a lock bucket again, so the versions stay protected.
    assert!(index.get_bucket_lock("rbl").unwrap().is_some());
    assert!(matches!(
        index.delete_version_if("rbl", "kept", Some(&kept_version), None, 0, &Default::default()),
        Err(IndexError::ObjectLocked(_))
    ));
    stack.stop().await;
}

/// GetObjectLegalHold of a version whose hold was never set is 404
/// NoSuchObjectLockConfiguration, as on AWS; once set (by the call or by
/// the header, ON or OFF) it reads back.
#[tokio::test]
async fn a_legal_hold_never_set_is_404() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "holds").await;
    let status = |key: &'static str| {
        let s3 = s3.clone();
        async move {
            match s3.get_object_legal_hold().bucket("holds").key(key).send().await {
                Ok(got) => Ok(got.legal_hold().and_then(|h| h.status()).cloned()),
                Err(e) => Err(failure(&e)),
            }
        }
    };
    let put = |key: &'static str, hold: Option<ObjectLockLegalHoldStatus>| {
        s3.put_object()
            .bucket("holds")
            .key(key)
            .set_object_lock_legal_hold_status(hold)
            .body(ByteStream::from_static(b"h"))
            .send()
    };
    put("plain", None).await.unwrap();
    put("off", Some(ObjectLockLegalHoldStatus::Off)).await.unwrap();
    put("on", Some(ObjectLockLegalHoldStatus::On)).await.unwrap();
    let none = (404, "NoSuchObjectLockConfiguration".to_string());
    assert_eq!(status("plain").await, Err(none));
    assert_eq!(status("off").await, Ok(Some(ObjectLockLegalHoldStatus::Off)));
    assert_eq!(status("on").await, Ok(Some(ObjectLockLegalHoldStatus::On)));
    s3.put_object_legal_hold()
        .bucket("holds")
        .key("plain")
        .legal_hold(hold(false))
        .send()
        .await
        .unwrap();
    assert_eq!(status("plain").await, Ok(Some(ObjectLockLegalHoldStatus::Off)));
    // A copy made with the header is set too.
    s3.copy_object()
        .bucket("holds")
        .key("copy")
        .copy_source("holds/off")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::Off)
        .send()
        .await
        .unwrap();
    assert_eq!(status("copy").await, Ok(Some(ObjectLockLegalHoldStatus::Off)));
    stack.stop().await;
}
