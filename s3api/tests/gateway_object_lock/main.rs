//! Object Lock end to end through a real tracker + storage + gateway with
//! `aws-sdk-s3`: a bucket created with object lock, its configuration and
//! default retention, retention and legal hold per object, deletes refused
//! (or allowed with the GOVERNANCE bypass), COMPLIANCE that cannot be
//! shortened, lock headers refused on a bucket without lock, the
//! Content-MD5 requirement, and the WORM tags written onto the files.

#[path = "../support/mod.rs"]
mod support;

mod config;
mod deletes;
mod disk;

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
