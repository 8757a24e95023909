//! Object Lock on the S3 side: the bucket configuration calls
//! ([`config`]), retention and legal hold of one object ([`retention`]),
//! and what every write and read of an object does with locks (this file):
//! the lock headers of PutObject, CopyObject and CreateMultipartUpload
//! become the new object's [`ObjectLock`] (or the bucket's default
//! retention applies), GET and HEAD answer them back.
//!
//! As on AWS: lock headers on a bucket without Object Lock are 400
//! InvalidRequest; a mode without a date (or the reverse) is 400
//! InvalidArgument; a date in the past is 400 InvalidArgument; a PUT with
//! lock headers, or into a bucket with a default retention, must carry
//! Content-MD5 or an `x-amz-checksum-*` (header or trailer), else 400
//! InvalidRequest.
//!
//! Who may bypass a GOVERNANCE retention
//! (`x-amz-bypass-governance-retention: true`): whoever holds
//! s3:BypassGovernanceRetention, which the access decision
//! (`gateway::access`) asks for as a second action when the header comes
//! with DeleteObject, DeleteObjects or PutObjectRetention: the bucket's
//! owner unless a bucket policy denies it (AWS's default), anyone else only
//! where a policy allows it — a grant to write or delete is not enough.
//!
//! The storage keeps what the index promises: the lock is also written
//! into the tags of the version's files (see `crate::rebuild::tags`), which
//! the storage refuses to delete while they say so.

pub(super) mod config;
pub(super) mod retention;

use http::HeaderMap;
use s3s::dto::{
    CopyObjectInput, CreateMultipartUploadInput, ObjectLockLegalHoldStatus, ObjectLockMode,
    PutObjectInput, Timestamp, TimestampFormat,
};
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::{Inner, error};
use crate::index::{BucketLock, LockMode, ObjectLock, Retention};

/// The message AWS gives for a lock header on a bucket without lock.
const NO_LOCK_CONFIG: &str = "Bucket is missing Object Lock Configuration";

/// The lock headers of a request that makes an object.
pub(super) trait LockInput {
    /// `x-amz-object-lock-mode`, `-retain-until-date`, `-legal-hold`.
    fn lock_headers(
        &self,
    ) -> (Option<&ObjectLockMode>, Option<&Timestamp>, Option<&ObjectLockLegalHoldStatus>);
}

macro_rules! lock_input {
    ($($input:ty),+) => {$(
        impl LockInput for $input {
            fn lock_headers(
                &self,
            ) -> (Option<&ObjectLockMode>, Option<&Timestamp>, Option<&ObjectLockLegalHoldStatus>)
            {
                (
                    self.object_lock_mode.as_ref(),
                    self.object_lock_retain_until_date.as_ref(),
                    self.object_lock_legal_hold_status.as_ref(),
                )
            }
        }
    )+};
}

lock_input!(PutObjectInput, CopyObjectInput, CreateMultipartUploadInput);

/// The bucket's lock configuration (`None`: object lock not enabled).
pub(super) async fn bucket_lock(
    inner: &Inner,
    bucket: &str,
    owner: &str,
) -> S3Result<Option<BucketLock>> {
    let b = bucket.to_string();
    inner
        .index
        .read(move |ix| ix.get_bucket_lock(&b))
        .await
        .map_err(|e| error::from_index(e, owner))
}

/// The lock a new object in `bucket` gets from `input`'s headers or the
/// bucket's default retention; `None` when the bucket has no object lock.
/// `headers` are the request's, for the Content-MD5 requirement
/// (`check_integrity`: false where the body is not the client's, as in
/// CopyObject and CreateMultipartUpload).
pub(super) async fn for_new_object(
    inner: &Inner,
    bucket: &str,
    owner: &str,
    input: &impl LockInput,
    headers: Option<&HeaderMap>,
    now_ms: i64,
) -> S3Result<Option<ObjectLock>> {
    let (mode, until, hold) = input.lock_headers();
    let asked = mode.is_some() || until.is_some() || hold.is_some();
    let Some(config) = bucket_lock(inner, bucket, owner).await? else {
        if asked {
            return Err(S3Error::with_message(S3ErrorCode::InvalidRequest, NO_LOCK_CONFIG));
        }
        return Ok(None);
    };
    if let Some(headers) = headers
        && (asked || config.default.is_some())
    {
        require_integrity(headers, "Put Object requests with Object Lock parameters")?;
    }
    let retention = match (mode, until) {
        (None, None) => config.default.map(|d| d.from(now_ms)),
        (Some(m), Some(t)) => Some(retention_of(m.as_str(), t, now_ms)?),
        _ => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be \
                 supplied",
            ));
        }
    };
    let legal_hold = match hold.map(ObjectLockLegalHoldStatus::as_str) {
        None | Some(ObjectLockLegalHoldStatus::OFF) => false,
        Some(ObjectLockLegalHoldStatus::ON) => true,
        Some(other) => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                format!("invalid x-amz-object-lock-legal-hold {other:?}"),
            ));
        }
    };
    Ok(Some(ObjectLock { retention, legal_hold }))
}

/// Re-tags the files of the object at `bucket`/`key` when it is locked
/// (CompleteMultipartUpload: the lock came from the upload).
pub(super) async fn retag_if_locked(inner: &Inner, bucket: &str, key: &str) {
    let (b, k) = (bucket.to_string(), key.to_string());
    match inner.index.read(move |ix| ix.object_lock(&b, &k, None)).await {
        Ok(lock) if lock != ObjectLock::default() => {
            retention::retag_object(inner, bucket, key, None).await;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the lock of a completed object"),
    }
}

/// A retention of mode `mode` until `until`, which must be in the future.
pub(super) fn retention_of(mode: &str, until: &Timestamp, now_ms: i64) -> S3Result<Retention> {
    let mode = LockMode::parse(mode).ok_or_else(|| {
        S3Error::with_message(S3ErrorCode::InvalidArgument, format!("unknown lock mode {mode:?}"))
    })?;
    let until_ms = unix_ms(until).ok_or_else(|| {
        S3Error::with_message(S3ErrorCode::InvalidArgument, "unreadable retain-until date")
    })?;
    if until_ms <= now_ms {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "The retain until date must be in the future!",
        ));
    }
    Ok(Retention { mode, until_ms })
}

/// 400 InvalidRequest unless the request carries Content-MD5 or an
/// `x-amz-checksum-*` header or trailer; `what` names the request kind.
pub(super) fn require_integrity(headers: &HeaderMap, what: &str) -> S3Result<()> {
    let checksum = |name: &str| name.to_ascii_lowercase().starts_with("x-amz-checksum-");
    let present = headers.contains_key("content-md5")
        || headers.keys().any(|k| checksum(k.as_str()))
        || headers
            .get_all("x-amz-trailer")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| checksum(t.trim())));
    if present {
        return Ok(());
    }
    Err(S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        format!("Content-MD5 OR x-amz-checksum- HTTP header is required for {what}"),
    ))
}

/// Whether `x-amz-bypass-governance-retention: true` was sent.
pub(in crate::gateway) fn bypass_requested(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-bypass-governance-retention")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The three reply headers of GET and HEAD for `lock`.
pub(super) fn reply_fields(
    lock: &ObjectLock,
) -> (Option<ObjectLockMode>, Option<Timestamp>, Option<ObjectLockLegalHoldStatus>) {
    let mode = lock.retention.map(|r| ObjectLockMode::from(r.mode.as_str().to_string()));
    let until = lock.retention.map(|r| super::timestamp(r.until_ms));
    let hold = lock.legal_hold.then(|| ObjectLockLegalHoldStatus::from_static("ON"));
    (mode, until, hold)
}

/// A timestamp as unix milliseconds.
pub(super) fn unix_ms(t: &Timestamp) -> Option<i64> {
    let mut buf = Vec::new();
    t.format(TimestampFormat::EpochSeconds, &mut buf).ok()?;
    let text = String::from_utf8(buf).ok()?;
    let (secs, frac) = text.split_once('.').unwrap_or((&text, ""));
    let secs: i64 = secs.parse().ok()?;
    let mut millis = 0_i64;
    for (i, d) in frac.bytes().chain(std::iter::repeat(b'0')).take(3).enumerate() {
        if !d.is_ascii_digit() {
            return None;
        }
        millis += i64::from(d - b'0') * [100, 10, 1][i];
    }
    secs.checked_mul(1000)?.checked_add(millis)
}

#[cfg(test)]
mod tests {
    use super::{require_integrity, unix_ms};
    use http::HeaderMap;
    use s3s::dto::Timestamp;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn millis_round_trip() {
        for ms in [0_u64, 1, 999, 1_000, 1_765_000_123_456] {
            let t = Timestamp::from(UNIX_EPOCH + Duration::from_millis(ms));
            assert_eq!(unix_ms(&t), Some(ms as i64));
        }
    }

    #[test]
    fn integrity_headers() {
        let mut h = HeaderMap::new();
        assert!(require_integrity(&h, "x").is_err());
        h.insert("x-amz-trailer", "x-amz-checksum-crc32".parse().unwrap());
        assert!(require_integrity(&h, "x").is_ok());
        let mut h = HeaderMap::new();
        h.insert("x-amz-checksum-sha256", "abc".parse().unwrap());
        assert!(require_integrity(&h, "x").is_ok());
        let mut h = HeaderMap::new();
        h.insert("content-md5", "abc".parse().unwrap());
        assert!(require_integrity(&h, "x").is_ok());
    }
}
