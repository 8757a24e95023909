//! DeleteObjects: up to 1000 keys in one request, deleted in one index
//! transaction. Each entry is a DeleteObject of its own (with its
//! `VersionId`, see `object_delete`); its `Deleted` entry carries the
//! `VersionId`, `DeleteMarker` and `DeleteMarkerVersionId` S3 answers. As
//! in S3, deleting a key or version that does not exist succeeds; a key
//! fails on its own (listed under `Error`) only when its version ID is
//! malformed, or when it carries an `ETag` (a conditional delete, as S3's
//! DeleteObjects allows per object) that the current object does not have
//! (`PreconditionFailed`, or `NoSuchKey` when there is none); that check
//! runs in the deleting transaction. Quiet mode reports failures only.

use s3s::dto::{
    DeleteObjectsInput, DeleteObjectsOutput, DeletedObject, ETag, Error, ObjectIdentifier,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::delete_marker::{self, MarkerFile};
use super::{Inner, error, now_ms, owner_of};
use crate::index::{DeleteTarget, Deleted, IndexError, WriteCondition, is_valid_version_id};

/// The most keys one request may name (S3's limit).
pub const MAX_KEYS: usize = 1000;

pub async fn delete_objects(
    inner: &Inner,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let owner = owner_of(inner, &req).await?;
    // The bucket's owner may bypass a GOVERNANCE retention (see
    // `object_lock`), not an owner an ACL or a grant lets delete.
    let bypass = req.input.bypass_governance_retention == Some(true)
        || super::object_lock::bypass_requested(&req.headers);
    let input = req.input;
    let count = input.delete.objects.len();
    let span = info_span!("s3.delete_objects", bucket = %input.bucket, count);
    async {
        if count == 0 || count > MAX_KEYS {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                format!("a delete request names 1 to {MAX_KEYS} keys, not {count}"),
            ));
        }
        let row = check_owner(inner, &input.bucket, &owner).await?;
        let bypass = bypass && row.owner == owner;
        let quiet = input.delete.quiet.unwrap_or(false);
        let (valid, refused): (Vec<ObjectIdentifier>, Vec<ObjectIdentifier>) =
            input.delete.objects.into_iter().partition(|o| version_ok(o) && !o.key.is_empty());
        let markers = marker_files(inner, &owner, &input.bucket, &valid).await?;
        let targets: Vec<DeleteTarget> = valid
            .iter()
            .zip(&markers)
            .map(|(o, m)| DeleteTarget {
                key: o.key.clone(),
                version_id: o.version_id.clone(),
                cond: condition(o.e_tag.as_ref()),
                marker_file: m.as_ref().map(|m| m.file_id.clone()),
                bypass,
            })
            .collect();
        let bucket = input.bucket.clone();
        let results =
            inner.index.write(move |ix| ix.delete_versions_if(&bucket, &targets, now_ms())).await;
        let results = match results {
            Ok(results) => results,
            Err(e) => {
                for m in markers.into_iter().flatten() {
                    delete_marker::discard(inner, m).await;
                }
                return Err(error::from_index(e, &owner));
            }
        };
        for (m, result) in markers.into_iter().zip(&results) {
            match (m, result) {
                (Some(m), Ok(d)) => delete_marker::settle(inner, m, d).await,
                (Some(m), Err(_)) => delete_marker::discard(inner, m).await,
                (None, _) => {}
            }
        }
        if results.iter().flatten().any(|d| !d.released.is_empty()) {
            inner.deletes.notify_one();
        }
        let mut deleted = Vec::new();
        let mut errors: Vec<Error> = refused.into_iter().map(key_error).collect();
        for (o, result) in valid.into_iter().zip(results) {
            match result {
                Ok(_) if quiet => {}
                Ok(d) => deleted.push(deleted_entry(o, d)),
                Err(e) => errors.push(condition_error(o, &e)),
            }
        }
        tracing::debug!(requested = count, failed = errors.len(), "batch delete");
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!deleted.is_empty()).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..DeleteObjectsOutput::default()
        }))
    }
    .instrument(span)
    .await
}

/// The marker file of each entry that may make a delete marker (one
/// without a version ID, in a versioned bucket; see `delete_marker`). On
/// a failure the files stored so far are dropped.
async fn marker_files(
    inner: &Inner,
    owner: &str,
    bucket: &str,
    entries: &[ObjectIdentifier],
) -> S3Result<Vec<Option<MarkerFile>>> {
    let mut out = Vec::with_capacity(entries.len());
    for o in entries {
        if o.version_id.is_some() {
            out.push(None);
            continue;
        }
        match delete_marker::prepare(inner, owner, bucket, &o.key).await {
            Ok(m) => out.push(m),
            Err(e) => {
                for m in out.into_iter().flatten() {
                    delete_marker::discard(inner, m).await;
                }
                return Err(e);
            }
        }
    }
    Ok(out)
}

/// The `Deleted` entry of a delete: the version removed, or the delete
/// marker created (`DeleteMarker` and its `DeleteMarkerVersionId`).
fn deleted_entry(o: ObjectIdentifier, d: Deleted) -> DeletedObject {
    let named = o.version_id.is_some();
    DeletedObject {
        key: Some(o.key),
        version_id: if named { d.version_id.clone() } else { None },
        delete_marker: d.delete_marker.then_some(true),
        delete_marker_version_id: if d.delete_marker { d.version_id } else { None },
    }
}

/// The condition of an identifier's `ETag`: the object must have it. A
/// weak tag never matches (If-Match compares strongly).
fn condition(etag: Option<&ETag>) -> WriteCondition {
    match etag {
        None => WriteCondition::none(),
        Some(ETag::Strong(v)) => WriteCondition::if_match(v.clone()),
        Some(ETag::Weak(v)) => WriteCondition::if_match(format!("W/{v}")),
    }
}

/// The per-key error of a key whose condition failed, or that Object Lock
/// protects.
fn condition_error(o: ObjectIdentifier, e: &IndexError) -> Error {
    let (code, message) = match e {
        IndexError::NoSuchKey { .. } => ("NoSuchKey", "The specified key does not exist."),
        IndexError::ObjectLocked(_) => {
            ("AccessDenied", "Access Denied because object protected by object lock.")
        }
        _ => {
            ("PreconditionFailed", "At least one of the preconditions you specified did not hold.")
        }
    };
    Error {
        code: Some(code.to_string()),
        key: Some(o.key),
        message: Some(message.to_string()),
        version_id: o.version_id,
    }
}

/// Whether the identifier's version ID is well-formed (or absent).
fn version_ok(o: &ObjectIdentifier) -> bool {
    o.version_id.as_deref().is_none_or(is_valid_version_id)
}

/// The per-key error for an identifier [`version_ok`] or the key check
/// refused.
fn key_error(o: ObjectIdentifier) -> Error {
    let (code, message) = if o.key.is_empty() {
        ("InvalidArgument", "the key is empty".to_string())
    } else {
        ("InvalidArgument", "Invalid version id specified".to_string())
    };
    Error {
        code: Some(code.to_string()),
        key: Some(o.key),
        message: Some(message),
        version_id: o.version_id,
    }
}

#[cfg(test)]
mod tests {
    use s3s::dto::ObjectIdentifier;

    use super::{key_error, version_ok};

    fn ident(key: &str, version: Option<&str>) -> ObjectIdentifier {
        ObjectIdentifier {
            key: key.into(),
            version_id: version.map(str::to_string),
            ..ObjectIdentifier::default()
        }
    }

    #[test]
    fn versions() {
        assert!(version_ok(&ident("a", None)));
        assert!(version_ok(&ident("a", Some("null"))));
        assert!(version_ok(&ident("a", Some(&"A".repeat(32)))));
        assert!(!version_ok(&ident("a", Some("v1"))));
        let e = key_error(ident("a", Some("v1")));
        assert_eq!(e.code.as_deref(), Some("InvalidArgument"));
        assert_eq!(e.version_id.as_deref(), Some("v1"));
        assert_eq!(key_error(ident("", None)).code.as_deref(), Some("InvalidArgument"));
    }
}
