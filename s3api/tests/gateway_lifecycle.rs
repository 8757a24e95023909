//! Bucket lifecycle end to end, in process: a real tracker and storage,
//! the gateway with its lifecycle worker running every 200 ms and a
//! lifecycle day shortened to one second (the test-only time scale),
//! driven by `aws-sdk-s3`.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter,
    NoncurrentVersionExpiration, Tag, Transition, TransitionStorageClass,
};
use support::{SECRET, Stack, make_bucket};

/// A stack whose lifecycle day is one second and whose worker runs
/// every 200 ms.
async fn stack() -> Stack {
    Stack::start_configured(|c| {
        c.lifecycle.day = Duration::from_secs(1);
        c.lifecycle.interval = Duration::from_millis(200);
    })
    .await
}

fn filter_prefix(p: &str) -> LifecycleRuleFilter {
    LifecycleRuleFilter::builder().prefix(p).build()
}

fn expire_days(id: &str, filter: LifecycleRuleFilter, days: i32) -> LifecycleRule {
    LifecycleRule::builder()
        .id(id)
        .status(ExpirationStatus::Enabled)
        .filter(filter)
        .expiration(LifecycleExpiration::builder().days(days).build())
        .build()
        .unwrap()
}

async fn put_rules(s3: &Client, bucket: &str, rules: Vec<LifecycleRule>) -> Result<(), String> {
    let config = BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(config)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error().code().unwrap_or("?").to_string())
}

async fn put(s3: &Client, bucket: &str, key: &str, len: usize) -> Option<String> {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(vec![b'x'; len]))
        .send()
        .await
        .unwrap();
    out.expiration().map(str::to_string)
}

async fn exists(s3: &Client, bucket: &str, key: &str) -> bool {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => true,
        Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(404) => false,
        Err(e) => panic!("HEAD {key}: {e:?}"),
    }
}

/// Waits until `key` is gone (the worker expired it).
async fn wait_gone(s3: &Client, bucket: &str, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while exists(s3, bucket, key).await {
        assert!(Instant::now() < deadline, "{key} never expired");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The instant an `x-amz-expiration` value names, and its rule ID.
fn parse_expiration(v: &str) -> (DateTime, String) {
    let rest = v.strip_prefix("expiry-date=\"").unwrap_or_else(|| panic!("{v}"));
    let (date, rest) = rest.split_once("\", rule-id=\"").unwrap();
    let rule = rest.strip_suffix('"').unwrap();
    (DateTime::from_str(date, DateTimeFormat::HttpDate).unwrap(), rule.to_string())
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_round_trips_and_get_without_one_is_404() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "conf").await;

    let err = s3.get_bucket_lifecycle_configuration().bucket("conf").send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 404);
    assert_eq!(err.into_service_error().code(), Some("NoSuchLifecycleConfiguration"));

    let and = LifecycleRuleAndOperator::builder()
        .prefix("logs/")
        .tags(Tag::builder().key("class").value("tmp").build().unwrap())
        .object_size_greater_than(10)
        .object_size_less_than(1_000_000)
        .build();
    let rules = vec![
        expire_days("logs", LifecycleRuleFilter::builder().and(and).build(), 30),
        LifecycleRule::builder()
            .id("versions")
            .status(ExpirationStatus::Disabled)
            .filter(filter_prefix("v/"))
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(7)
                    .newer_noncurrent_versions(3)
                    .build(),
            )
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder().days_after_initiation(2).build(),
            )
            .build()
            .unwrap(),
        LifecycleRule::builder()
            .id("markers")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().build())
            .expiration(LifecycleExpiration::builder().expired_object_delete_marker(true).build())
            .build()
            .unwrap(),
    ];
    put_rules(&s3, "conf", rules.clone()).await.unwrap();
    let got = s3.get_bucket_lifecycle_configuration().bucket("conf").send().await.unwrap();
    assert_eq!(got.rules(), rules.as_slice());

    s3.delete_bucket_lifecycle().bucket("conf").send().await.unwrap();
    let err = s3.get_bucket_lifecycle_configuration().bucket("conf").send().await.unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("NoSuchLifecycleConfiguration"));
    // Deleting again is fine, as on AWS.
    s3.delete_bucket_lifecycle().bucket("conf").send().await.unwrap();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configurations_get_aws_errors() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "bad").await;
    let base = || expire_days("r", filter_prefix(""), 1);
    let with = |f: &dyn Fn(LifecycleRule) -> LifecycleRule| vec![f(base())];
    let expiration = |e: LifecycleExpiration| {
        let mut r = base();
        r.expiration = Some(e);
        r
    };
    let tag = Tag::builder().key("k").value("v").build().unwrap();
    let cases: Vec<(&str, Vec<LifecycleRule>, &str)> = vec![
        ("days 0", with(&|_| expire_days("r", filter_prefix(""), 0)), "InvalidArgument"),
        ("duplicate ids", vec![base(), base()], "InvalidArgument"),
        (
            "id too long",
            with(&|mut r| {
                r.id = Some("x".repeat(256));
                r
            }),
            "InvalidArgument",
        ),
        (
            "prefix and filter",
            with(&|mut r| {
                #[allow(deprecated)]
                {
                    r.prefix = Some("a/".into());
                }
                r
            }),
            "MalformedXML",
        ),
        (
            "marker with days",
            vec![expiration(
                LifecycleExpiration::builder().days(1).expired_object_delete_marker(true).build(),
            )],
            "MalformedXML",
        ),
        (
            "date not midnight",
            vec![expiration(
                LifecycleExpiration::builder()
                    .date(DateTime::from_secs(1_893_456_000 + 3600))
                    .build(),
            )],
            "InvalidArgument",
        ),
        (
            "marker with a tag filter",
            with(&|mut r| {
                r.filter = Some(LifecycleRuleFilter::builder().tag(tag.clone()).build());
                r.expiration =
                    Some(LifecycleExpiration::builder().expired_object_delete_marker(true).build());
                r
            }),
            "InvalidRequest",
        ),
        (
            "newer noncurrent 101",
            with(&|mut r| {
                r.noncurrent_version_expiration = Some(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(1)
                        .newer_noncurrent_versions(101)
                        .build(),
                );
                r
            }),
            "InvalidArgument",
        ),
        (
            "sizes not ordered",
            with(&|mut r| {
                let and = LifecycleRuleAndOperator::builder()
                    .object_size_greater_than(100)
                    .object_size_less_than(50)
                    .build();
                r.filter = Some(LifecycleRuleFilter::builder().and(and).build());
                r
            }),
            "InvalidArgument",
        ),
        (
            "no action",
            with(&|mut r| {
                r.expiration = None;
                r
            }),
            "InvalidRequest",
        ),
        (
            "transition",
            with(&|mut r| {
                r.transitions = Some(vec![
                    Transition::builder()
                        .days(30)
                        .storage_class(TransitionStorageClass::Glacier)
                        .build(),
                ]);
                r
            }),
            "NotImplemented",
        ),
    ];
    for (name, rules, want) in cases {
        assert_eq!(put_rules(&s3, "bad", rules).await.unwrap_err(), want, "{name}");
    }
    let err = s3.get_bucket_lifecycle_configuration().bucket("bad").send().await.unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("NoSuchLifecycleConfiguration"));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_under_a_prefix_expire_with_the_header_announcing_it() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "exp").await;
    put_rules(&s3, "exp", vec![expire_days("tmp-rule", filter_prefix("tmp/"), 1)]).await.unwrap();

    let before = now_secs();
    let header = put(&s3, "exp", "tmp/a", 10).await.expect("PUT answers x-amz-expiration");
    let (at, rule) = parse_expiration(&header);
    assert_eq!(rule, "tmp-rule");
    // Created + 1 day, rounded up to the next (one-second) midnight.
    assert!((before + 1..=now_secs() + 2).contains(&at.secs()), "{header} at {before}");
    assert_eq!(put(&s3, "exp", "keep/b", 10).await, None, "no rule for keep/");

    // The object lives at least a (one-second) day: these run well before.
    let head = s3.head_object().bucket("exp").key("tmp/a").send().await.unwrap();
    let get = s3.get_object().bucket("exp").key("tmp/a").send().await.unwrap();
    assert_eq!(head.expiration(), Some(header.as_str()));
    assert_eq!(get.expiration(), Some(header.as_str()));

    wait_gone(&s3, "exp", "tmp/a").await;
    assert!(exists(&s3, "exp", "keep/b").await);
    // A rule that was deleted expires nothing more.
    s3.delete_bucket_lifecycle().bucket("exp").send().await.unwrap();
    put(&s3, "exp", "tmp/c", 1).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(exists(&s3, "exp", "tmp/c").await);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_filters_choose_what_expires() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "sizes").await;
    let and = LifecycleRuleAndOperator::builder()
        .prefix("s/")
        .object_size_greater_than(5)
        .object_size_less_than(100)
        .build();
    let rule = expire_days("mid", LifecycleRuleFilter::builder().and(and).build(), 1);
    put_rules(&s3, "sizes", vec![rule]).await.unwrap();
    assert_eq!(put(&s3, "sizes", "s/small", 5).await, None);
    assert!(put(&s3, "sizes", "s/mid", 50).await.is_some());
    assert_eq!(put(&s3, "sizes", "s/big", 100).await, None);
    wait_gone(&s3, "sizes", "s/mid").await;
    // A few more passes leave the others alone.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(exists(&s3, "sizes", "s/small").await);
    assert!(exists(&s3, "sizes", "s/big").await);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_and_completions_announce_expiry_and_stale_uploads_are_aborted() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "mpu").await;
    let abort = LifecycleRule::builder()
        .id("abort")
        .status(ExpirationStatus::Enabled)
        .filter(filter_prefix("mp/"))
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build(),
        )
        .build()
        .unwrap();
    let rules = vec![abort, expire_days("done", filter_prefix("done/"), 30)];
    put_rules(&s3, "mpu", rules).await.unwrap();

    put(&s3, "mpu", "src", 3).await;
    let copy = s3
        .copy_object()
        .bucket("mpu")
        .key("done/copy")
        .copy_source("mpu/src")
        .send()
        .await
        .unwrap();
    assert!(copy.expiration().unwrap().ends_with("rule-id=\"done\""));
    let up = s3.create_multipart_upload().bucket("mpu").key("done/mp").send().await.unwrap();
    let part = s3
        .upload_part()
        .bucket("mpu")
        .key("done/mp")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap();
    let parts = aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(
            aws_sdk_s3::types::CompletedPart::builder()
                .part_number(1)
                .e_tag(part.e_tag().unwrap())
                .build(),
        )
        .build();
    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("done/mp")
        .upload_id(up.upload_id().unwrap())
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    assert!(done.expiration().unwrap().ends_with("rule-id=\"done\""));

    let stale = s3.create_multipart_upload().bucket("mpu").key("mp/stale").send().await.unwrap();
    s3.upload_part()
        .bucket("mpu")
        .key("mp/stale")
        .upload_id(stale.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap();
    s3.create_multipart_upload().bucket("mpu").key("other/kept").send().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = s3.list_multipart_uploads().bucket("mpu").send().await.unwrap();
        let keys: Vec<&str> = list.uploads().iter().filter_map(|u| u.key()).collect();
        if !keys.contains(&"mp/stale") {
            assert_eq!(keys, ["other/kept"]);
            break;
        }
        assert!(Instant::now() < deadline, "stale upload never aborted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let err = s3
        .list_parts()
        .bucket("mpu")
        .key("mp/stale")
        .upload_id(stale.upload_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("NoSuchUpload"));
    stack.stop().await;
}

/// Turns versioning on for `bucket`.
async fn enable_versioning(s3: &Client, bucket: &str) {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let config = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(config)
        .send()
        .await
        .unwrap();
}

/// The versions and delete markers under `prefix`: (key, version ID,
/// is latest, is a marker), newest first per key.
async fn versions(s3: &Client, bucket: &str, prefix: &str) -> Vec<(String, String, bool, bool)> {
    let out = s3.list_object_versions().bucket(bucket).prefix(prefix).send().await.unwrap();
    let mut all: Vec<(String, String, bool, bool, DateTime)> = Vec::new();
    for v in out.versions() {
        let (k, id) = (v.key().unwrap().to_string(), v.version_id().unwrap().to_string());
        all.push((k, id, v.is_latest().unwrap(), false, *v.last_modified().unwrap()));
    }
    for m in out.delete_markers() {
        let (k, id) = (m.key().unwrap().to_string(), m.version_id().unwrap().to_string());
        all.push((k, id, m.is_latest().unwrap(), true, *m.last_modified().unwrap()));
    }
    // Keys in order, the latest first, then newest first.
    all.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)).then(b.4.cmp(&a.4)));
    all.into_iter().map(|(k, id, latest, marker, _)| (k, id, latest, marker)).collect()
}

/// Polls `versions` until `done` holds for them (20 s at most).
async fn wait_versions(
    s3: &Client,
    bucket: &str,
    prefix: &str,
    what: &str,
    done: impl Fn(&[(String, String, bool, bool)]) -> bool,
) -> Vec<(String, String, bool, bool)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = versions(s3, bucket, prefix).await;
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{what} never happened: {v:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_expiry_in_a_versioned_bucket_adds_a_delete_marker() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "vcur").await;
    enable_versioning(&s3, "vcur").await;
    put_rules(&s3, "vcur", vec![expire_days("cur", filter_prefix("cur/"), 1)]).await.unwrap();
    let header = put(&s3, "vcur", "cur/a", 4).await;
    assert!(header.unwrap().ends_with("rule-id=\"cur\""));
    put(&s3, "vcur", "keep/a", 4).await;
    wait_gone(&s3, "vcur", "cur/a").await;
    let v = versions(&s3, "vcur", "cur/").await;
    // The marker is the latest; the version is kept, noncurrent.
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!((v[0].2, v[0].3), (true, true), "{v:?}");
    assert_eq!((v[1].2, v[1].3), (false, false), "{v:?}");
    // Further passes add no second marker over the first.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(versions(&s3, "vcur", "cur/").await, v);
    assert!(exists(&s3, "vcur", "keep/a").await);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noncurrent_versions_expire_keeping_the_newest_ones() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "vnc").await;
    enable_versioning(&s3, "vnc").await;
    let rule = LifecycleRule::builder()
        .id("nc")
        .status(ExpirationStatus::Enabled)
        .filter(filter_prefix("nc/"))
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(1)
                .newer_noncurrent_versions(1)
                .build(),
        )
        .build()
        .unwrap();
    put_rules(&s3, "vnc", vec![rule]).await.unwrap();
    for len in 1..=4 {
        put(&s3, "vnc", "nc/k", len).await;
    }
    put(&s3, "vnc", "other/k", 1).await;
    put(&s3, "vnc", "other/k", 2).await;
    let before = versions(&s3, "vnc", "nc/").await;
    assert_eq!(before.len(), 4);
    let after = wait_versions(&s3, "vnc", "nc/", "noncurrent expiry", |v| v.len() == 2).await;
    // The current version and the newest noncurrent one stay.
    assert_eq!(after, before[..2]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(versions(&s3, "vnc", "nc/").await, after);
    assert_eq!(versions(&s3, "vnc", "other/").await.len(), 2, "no rule for other/");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lone_delete_markers_are_removed() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "vmark").await;
    enable_versioning(&s3, "vmark").await;
    let rule = LifecycleRule::builder()
        .id("markers")
        .status(ExpirationStatus::Enabled)
        .filter(filter_prefix("m/"))
        .expiration(LifecycleExpiration::builder().expired_object_delete_marker(true).build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder().noncurrent_days(1).build(),
        )
        .build()
        .unwrap();
    put_rules(&s3, "vmark", vec![rule]).await.unwrap();
    put(&s3, "vmark", "m/a", 3).await;
    s3.delete_object().bucket("vmark").key("m/a").send().await.unwrap();
    // A marker over nothing at all goes at the next pass.
    s3.delete_object().bucket("vmark").key("m/never").send().await.unwrap();
    // Outside the prefix a lone marker stays.
    s3.delete_object().bucket("vmark").key("x/never").send().await.unwrap();
    assert_eq!(versions(&s3, "vmark", "m/").await.len(), 3);
    // The noncurrent version expires, then the marker is alone and goes.
    wait_versions(&s3, "vmark", "m/", "lone marker removal", |v| v.is_empty()).await;
    assert_eq!(versions(&s3, "vmark", "x/").await.len(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_in_a_suspended_bucket_replaces_the_null_version_by_a_null_marker() {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "vsusp").await;
    enable_versioning(&s3, "vsusp").await;
    put(&s3, "vsusp", "s/a", 1).await;
    let suspended =
        VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build();
    s3.put_bucket_versioning()
        .bucket("vsusp")
        .versioning_configuration(suspended)
        .send()
        .await
        .unwrap();
    put(&s3, "vsusp", "s/a", 2).await;
    put_rules(&s3, "vsusp", vec![expire_days("s", filter_prefix("s/"), 1)]).await.unwrap();
    wait_gone(&s3, "vsusp", "s/a").await;
    let v = versions(&s3, "vsusp", "s/").await;
    // The null version is gone, a null marker is the latest, and the
    // version from before the suspension stays.
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!((v[0].1.as_str(), v[0].2, v[0].3), ("null", true, true), "{v:?}");
    assert!(v[1].1 != "null" && !v[1].2 && !v[1].3, "{v:?}");
    stack.stop().await;
}
