//! PutObjectRetention / GetObjectRetention and PutObjectLegalHold /
//! GetObjectLegalHold on one object, and the WORM tags that follow each
//! change onto the object's files.
//!
//! The index decides (in one transaction, under the rules of
//! `crate::index::object_lock`); then every file of the object is
//! re-tagged with the strongest lock over all rows that reference it, so
//! the storage refuses to delete it early. A tag write that fails is
//! logged: the index stays the authority for S3, and the file is only
//! less protected against native FastDFS clients until the next change.

use s3s::dto::{
    GetObjectLegalHoldInput, GetObjectLegalHoldOutput, GetObjectRetentionInput,
    GetObjectRetentionOutput, ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockRetention,
    ObjectLockRetentionMode, PutObjectLegalHoldInput, PutObjectLegalHoldOutput,
    PutObjectRetentionInput, PutObjectRetentionOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::super::bucket::check_owner;
use super::super::object_put::merge_tags;
use super::super::{Inner, error, now_ms, owner_of, timestamp};
use super::{NO_LOCK_CONFIG, bucket_lock, bypass_requested, require_integrity, retention_of};
use crate::index::ObjectLock;
use crate::rebuild::lock_tags::lock_metadata;

/// Refuses a lock call on a bucket without Object Lock (400
/// InvalidRequest, as AWS answers).
async fn require_lock_bucket(inner: &Inner, bucket: &str, owner: &str) -> S3Result<()> {
    check_owner(inner, bucket, owner).await?;
    match bucket_lock(inner, bucket, owner).await? {
        Some(_) => Ok(()),
        None => Err(S3Error::with_message(S3ErrorCode::InvalidRequest, NO_LOCK_CONFIG)),
    }
}

pub async fn put_object_retention(
    inner: &Inner,
    req: S3Request<PutObjectRetentionInput>,
) -> S3Result<S3Response<PutObjectRetentionOutput>> {
    let owner = owner_of(inner, &req).await?;
    let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
    let span = info_span!("s3.put_object_retention", %bucket, %key);
    async {
        require_lock_bucket(inner, &bucket, &owner).await?;
        require_integrity(&req.headers, "Put Object Retention requests")?;
        let now = now_ms();
        let new = match &req.input.retention {
            None => None,
            Some(ObjectLockRetention { mode: None, retain_until_date: None }) => None,
            Some(ObjectLockRetention { mode: Some(m), retain_until_date: Some(t) }) => {
                Some(retention_of(m.as_str(), t, now)?)
            }
            Some(_) => {
                return Err(S3Error::with_message(
                    S3ErrorCode::MalformedXML,
                    "Retention needs both Mode and RetainUntilDate",
                ));
            }
        };
        // Allowed to bypass: whoever holds s3:BypassGovernanceRetention,
        // which the access decision checked when the header was sent (see
        // the module docs of `object_lock`).
        let bypass =
            req.input.bypass_governance_retention == Some(true) || bypass_requested(&req.headers);
        let (b, k, v) = (bucket.clone(), key.clone(), req.input.version_id.clone());
        inner
            .index
            .write(move |ix| ix.set_retention((&b, &k, v.as_deref()), new, bypass, now))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        retag_object(inner, &bucket, &key, req.input.version_id.as_deref()).await;
        Ok(S3Response::new(PutObjectRetentionOutput::default()))
    }
    .instrument(span)
    .await
}

pub async fn get_object_retention(
    inner: &Inner,
    req: S3Request<GetObjectRetentionInput>,
) -> S3Result<S3Response<GetObjectRetentionOutput>> {
    let owner = owner_of(inner, &req).await?;
    let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
    let span = info_span!("s3.get_object_retention", %bucket, %key);
    async {
        require_lock_bucket(inner, &bucket, &owner).await?;
        let lock = read_lock(inner, &req.input, &owner).await?;
        let Some(r) = lock.retention else {
            return Err(S3Error::with_message(
                S3ErrorCode::NoSuchObjectLockConfiguration,
                "The specified object does not have a ObjectLock configuration",
            ));
        };
        Ok(S3Response::new(GetObjectRetentionOutput {
            retention: Some(ObjectLockRetention {
                mode: Some(ObjectLockRetentionMode::from(r.mode.as_str().to_string())),
                retain_until_date: Some(timestamp(r.until_ms)),
            }),
        }))
    }
    .instrument(span)
    .await
}

pub async fn put_object_legal_hold(
    inner: &Inner,
    req: S3Request<PutObjectLegalHoldInput>,
) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
    let owner = owner_of(inner, &req).await?;
    let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
    let span = info_span!("s3.put_object_legal_hold", %bucket, %key);
    async {
        require_lock_bucket(inner, &bucket, &owner).await?;
        require_integrity(&req.headers, "Put Object Legal Hold requests")?;
        let status = req.input.legal_hold.as_ref().and_then(|h| h.status.as_ref());
        let on = match status.map(ObjectLockLegalHoldStatus::as_str) {
            Some(ObjectLockLegalHoldStatus::ON) => true,
            Some(ObjectLockLegalHoldStatus::OFF) => false,
            _ => {
                return Err(S3Error::with_message(
                    S3ErrorCode::MalformedXML,
                    "LegalHold needs a Status of ON or OFF",
                ));
            }
        };
        let (b, k, v) = (bucket.clone(), key.clone(), req.input.version_id.clone());
        inner
            .index
            .write(move |ix| ix.set_legal_hold((&b, &k, v.as_deref()), on))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        retag_object(inner, &bucket, &key, req.input.version_id.as_deref()).await;
        Ok(S3Response::new(PutObjectLegalHoldOutput::default()))
    }
    .instrument(span)
    .await
}

pub async fn get_object_legal_hold(
    inner: &Inner,
    req: S3Request<GetObjectLegalHoldInput>,
) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
    let owner = owner_of(inner, &req).await?;
    let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
    let span = info_span!("s3.get_object_legal_hold", %bucket, %key);
    async {
        require_lock_bucket(inner, &bucket, &owner).await?;
        let (b, k, v) = req.input.address();
        let hold = inner
            .index
            .read(move |ix| ix.legal_hold(&b, &k, v.as_deref()))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        // A version whose hold was never set has none to show, as on AWS.
        let Some(on) = hold else {
            let mut e = S3Error::with_message(
                S3ErrorCode::NoSuchObjectLockConfiguration,
                "The specified object does not have a ObjectLock configuration",
            );
            e.set_status_code(http::StatusCode::NOT_FOUND);
            return Err(e);
        };
        let status =
            if on { ObjectLockLegalHoldStatus::ON } else { ObjectLockLegalHoldStatus::OFF };
        Ok(S3Response::new(GetObjectLegalHoldOutput {
            legal_hold: Some(ObjectLockLegalHold {
                status: Some(ObjectLockLegalHoldStatus::from_static(status)),
            }),
        }))
    }
    .instrument(span)
    .await
}

/// The inputs of the two Get calls: bucket, key, version.
trait Addressed {
    fn address(&self) -> (String, String, Option<String>);
}

macro_rules! addressed {
    ($($input:ty),+) => {$(
        impl Addressed for $input {
            fn address(&self) -> (String, String, Option<String>) {
                (self.bucket.clone(), self.key.clone(), self.version_id.clone())
            }
        }
    )+};
}

addressed!(GetObjectRetentionInput, GetObjectLegalHoldInput);

/// The lock of the version a lock call addresses (`versionId`, else the
/// current version).
async fn read_lock(inner: &Inner, input: &impl Addressed, owner: &str) -> S3Result<ObjectLock> {
    let (b, k, v) = input.address();
    inner
        .index
        .read(move |ix| ix.object_lock(&b, &k, v.as_deref()))
        .await
        .map_err(|e| error::from_index(e, owner))
}

/// Writes onto every file of version `version` of `bucket`/`key` (`None`:
/// the current one) the strongest lock over all rows referencing it
/// (logged, never an S3 error: see the module docs).
pub(in crate::gateway) async fn retag_object(
    inner: &Inner,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) {
    let (b, k, v) = (bucket.to_string(), key.to_string(), version.map(str::to_string));
    let now = now_ms();
    let per_file = inner
        .index
        .read(move |ix| {
            let record = ix.get_version(&b, &k, v.as_deref())?;
            let files: Vec<String> =
                record.data.file_ids().into_iter().map(str::to_string).collect();
            files
                .into_iter()
                .map(|f| Ok((ix.strongest_file_lock(&f, now)?, f)))
                .collect::<crate::index::Result<Vec<_>>>()
        })
        .await;
    let per_file = match per_file {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the object's files to tag their lock");
            return;
        }
    };
    for (lock, file) in per_file {
        merge_tags(inner, std::slice::from_ref(&file), &lock_metadata(&lock)).await;
    }
}
