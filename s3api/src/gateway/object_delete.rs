//! DeleteObject: in a versioned bucket a delete without `versionId` adds
//! a delete marker and one with it removes exactly that version (see
//! `index::versions`); otherwise the index row goes at once; the object's file IDs are put
//! on the persistent delete queue in the same transaction and the drainer
//! removes them from the storages later. `If-Match` (an ETag or `*`) is
//! checked in that transaction: 412 when the current object's ETag
//! differs, 404 NoSuchKey when there is no object (as on S3; without the
//! header a missing key is a 204). `x-amz-if-match-last-modified-time` and
//! `x-amz-if-match-size` (S3 Express directory buckets only) are refused
//! with 501 NotImplemented rather than ignored: a client that sends them
//! expects the delete to depend on them.

use s3s::dto::{DeleteObjectInput, DeleteObjectOutput};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::write_conditions::write_condition;
use super::{Inner, delete_marker, error, now_ms, owner_of};

pub async fn delete_object(
    inner: &Inner,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    let owner = owner_of(inner, &req).await?;
    let bucket = req.input.bucket.clone();
    let key = req.input.key.clone();
    let span = info_span!("s3.delete_object", %bucket, %key);
    async {
        let row = check_owner(inner, &bucket, &owner).await?;
        if req.input.if_match_last_modified_time.is_some() || req.input.if_match_size.is_some() {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "x-amz-if-match-last-modified-time and x-amz-if-match-size are not supported",
            ));
        }
        let cond = write_condition(req.input.if_match.as_ref(), None)?;
        // The bucket's owner may bypass (see `object_lock`), not an owner
        // an ACL or a grant lets delete; a legal hold or COMPLIANCE still
        // refuses (403).
        let bypass = (req.input.bypass_governance_retention == Some(true)
            || super::object_lock::bypass_requested(&req.headers))
            && row.owner == owner;
        let version = req.input.version_id.clone();
        // A delete that makes a marker records it on the storages first.
        let marker = match &version {
            None => delete_marker::prepare(inner, &owner, &bucket, &key).await?,
            Some(_) => None,
        };
        let file = marker.as_ref().map(|m| m.file_id.clone());
        let deleted = inner
            .index
            .write(move |ix| {
                let (v, f) = (version.as_deref(), file.as_deref());
                ix.delete_version_bypass(&bucket, &key, v, f, now_ms(), &cond, bypass)
            })
            .await;
        let deleted = match (deleted, marker) {
            (Ok(d), Some(m)) => {
                delete_marker::settle(inner, m, &d).await;
                d
            }
            (Ok(d), None) => d,
            (Err(e), m) => {
                if let Some(m) = m {
                    delete_marker::discard(inner, m).await;
                }
                return Err(error::from_index(e, &owner));
            }
        };
        if !deleted.released.is_empty() {
            inner.deletes.notify_one();
        }
        Ok(S3Response::new(DeleteObjectOutput {
            version_id: deleted.version_id,
            delete_marker: deleted.delete_marker.then_some(true),
            ..DeleteObjectOutput::default()
        }))
    }
    .instrument(span)
    .await
}
