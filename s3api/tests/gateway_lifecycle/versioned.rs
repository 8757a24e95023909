//! Lifecycle in versioned and suspended buckets.

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    ExpirationStatus, LifecycleExpiration, LifecycleRule, NoncurrentVersionExpiration,
};

use crate::support::{SECRET, make_bucket};
use crate::{exists, expire_days, filter_prefix, put, put_rules, stack, wait_gone};

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
    // The marker is recorded on the storages too: an index rebuilt from
    // them keeps cur/a deleted, with the same versions.
    let (rebuilt, trigger) = stack.rebuilt_gateway("rebuilt").await;
    assert_eq!(versions(&rebuilt, "vcur", "cur/").await, v);
    assert!(!exists(&rebuilt, "vcur", "cur/a").await);
    assert!(exists(&rebuilt, "vcur", "keep/a").await);
    trigger.trigger();
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
