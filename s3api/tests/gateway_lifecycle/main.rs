//! Bucket lifecycle end to end, in process: a real tracker and storage,
//! the gateway with its lifecycle worker running every 200 ms and a
//! lifecycle day shortened to one second (the test-only time scale),
//! driven by `aws-sdk-s3`.
//!
//! - `config` — Put/Get/DeleteBucketLifecycleConfiguration and AWS's errors;
//! - `unversioned` — expiry by prefix and size, `x-amz-expiration`, stale
//!   multipart uploads;
//! - `versioned` — delete markers, noncurrent versions, lone markers,
//!   suspended buckets;
//! - `tags` — Tag and And{Prefix, Tags} filters over each version's tags.

#[path = "../support/mod.rs"]
mod support;

mod config;
mod tags;
mod unversioned;
mod versioned;

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};
use aws_sdk_s3::types::BucketLifecycleConfiguration;
use aws_sdk_s3::types::{
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
};
use support::Stack;

/// A stack whose lifecycle day is one second and whose worker runs
/// every 200 ms.
pub(crate) async fn stack() -> Stack {
    Stack::start_configured(|c| {
        c.lifecycle.day = Duration::from_secs(1);
        c.lifecycle.interval = Duration::from_millis(200);
    })
    .await
}

pub(crate) fn filter_prefix(p: &str) -> LifecycleRuleFilter {
    LifecycleRuleFilter::builder().prefix(p).build()
}

pub(crate) fn expire_days(id: &str, filter: LifecycleRuleFilter, days: i32) -> LifecycleRule {
    LifecycleRule::builder()
        .id(id)
        .status(ExpirationStatus::Enabled)
        .filter(filter)
        .expiration(LifecycleExpiration::builder().days(days).build())
        .build()
        .unwrap()
}

pub(crate) async fn put_rules(
    s3: &Client,
    bucket: &str,
    rules: Vec<LifecycleRule>,
) -> Result<(), String> {
    let config = BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(config)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error().code().unwrap_or("?").to_string())
}

pub(crate) async fn put(s3: &Client, bucket: &str, key: &str, len: usize) -> Option<String> {
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

pub(crate) async fn exists(s3: &Client, bucket: &str, key: &str) -> bool {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => true,
        Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(404) => false,
        Err(e) => panic!("HEAD {key}: {e:?}"),
    }
}

/// Waits until `key` is gone (the worker expired it).
pub(crate) async fn wait_gone(s3: &Client, bucket: &str, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while exists(s3, bucket, key).await {
        assert!(Instant::now() < deadline, "{key} never expired");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The instant an `x-amz-expiration` value names, and its rule ID.
pub(crate) fn parse_expiration(v: &str) -> (DateTime, String) {
    let rest = v.strip_prefix("expiry-date=\"").unwrap_or_else(|| panic!("{v}"));
    let (date, rest) = rest.split_once("\", rule-id=\"").unwrap();
    let rule = rest.strip_suffix('"').unwrap();
    (DateTime::from_str(date, DateTimeFormat::HttpDate).unwrap(), rule.to_string())
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
