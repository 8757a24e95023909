//! CopyObject of a whole object. No bytes move: the destination row shares
//! the source's FastDFS file IDs (the index raises their refcounts), so a
//! copy costs one index transaction whatever the object's size, and
//! deleting either object later leaves the other intact.
//!
//! The copy-source conditions (`x-amz-copy-source-if-*`, evaluated by
//! [`super::conditions`]) are checked inside the same writer job as the
//! copy itself: the index has a single writer, so no other write can slip
//! between the check and the copy. So are the request's own `If-Match` /
//! `If-None-Match: *`, which are about the destination
//! ([`super::write_conditions`]; 412 when they fail).

use s3s::dto::{
    CopyObjectInput, CopyObjectOutput, CopyObjectResult, CopySource, ETag, MetadataDirective,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::limits::{check_key, check_metadata};
use super::request_meta::RequestedMeta;
use super::sse_copy::CopyCrypto;
use super::write_conditions::write_condition_from_headers;
// `Conditions` and `unix_secs` are re-exported for UploadPartCopy.
pub(super) use super::conditions::{Conditions, unix_secs};
use super::{Inner, error, now_ms, owner_of, timestamp};
use crate::checksum::ChecksumAlgorithm;
use crate::index::{
    Copied, Index, IndexError, MetaDirective, ObjectInfo, ObjectMeta, WriteCondition,
    is_valid_version_id,
};

/// The source named by `x-amz-copy-source`, already URL-decoded by `s3s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Source {
    pub(super) bucket: String,
    pub(super) key: String,
    /// `?versionId=` of the copy source: that version, not the current one.
    pub(super) version_id: Option<String>,
}

/// What the writer job decided: the copy (with the file IDs its write
/// queued), or the refusal of a failed condition.
type Outcome = Result<Copied, S3Error>;

pub async fn copy_object(
    inner: &Inner,
    req: S3Request<CopyObjectInput>,
) -> S3Result<S3Response<CopyObjectOutput>> {
    let owner = owner_of(inner, &req).await?;
    let dst_cond = write_condition_from_headers(&req.headers)?;
    let transport = req.extensions.get::<super::transport::Transport>().copied();
    let headers = req.headers;
    let input = req.input;
    let src = source(&input.copy_source)?;
    let span = info_span!(
        "s3.copy_object",
        bucket = %input.bucket,
        key = %input.key,
        src_bucket = %src.bucket,
        src_key = %src.key,
    );
    async {
        check_owner(inner, &src.bucket, &owner).await?;
        let dst_row = check_owner(inner, &input.bucket, &owner).await?;
        check_key(&input.key)?;
        // The copy is the copier's, with the ACL its headers ask for.
        let acl = super::acl::for_new_object(inner, &headers, &dst_row, &owner).await?;
        let dest = super::sse::write_request(&input, transport.as_ref())?;
        // CopyObject's body is not the client's: no Content-MD5 to ask for.
        let lock = super::object_lock::for_new_object(
            inner,
            &input.bucket,
            &owner,
            &input,
            None,
            now_ms(),
        )
        .await?;
        let has_lock = lock.is_some_and(|l| l != crate::index::ObjectLock::default());
        let hold_given = lock.is_some() && input.object_lock_legal_hold_status.is_some();
        let source_key = super::sse::customer_key(
            input.copy_source_sse_customer_algorithm.as_deref(),
            input.copy_source_sse_customer_key.as_deref(),
            input.copy_source_sse_customer_key_md5.as_deref(),
            transport.as_ref(),
        )?;
        let reencrypt = !matches!(dest, super::sse::WriteSse::Plain);
        let crypto = CopyCrypto {
            master: inner.master_key.clone(),
            source_key,
            dest,
            src: (src.bucket.clone(), src.key.clone()),
            dst: (input.bucket.clone(), input.key.clone()),
        };
        let replace = directive(input.metadata_directive.as_ref())?;
        if replace {
            check_metadata(input.metadata.as_ref())?;
        }
        // Copying an older version onto its own key restores it, and is
        // allowed (as on S3); a copy of the current object onto itself
        // must change something.
        let same = src.bucket == input.bucket && src.key == input.key && src.version_id.is_none();
        if same && !replace && !reencrypt {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself \
                 without changing the object's metadata, storage class, website redirect \
                 location or encryption attributes.",
            ));
        }
        let conditions = conditions(&input)?;
        // A `REPLACE` copy gives the destination the request's metadata.
        let new_meta = replace.then(|| input.requested_meta());
        let (src_bucket, src_key) = (src.bucket.clone(), src.key.clone());
        let (dst_bucket, dst_key) = (input.bucket.clone(), input.key.clone());
        let crypto_job = crypto.clone();
        let outcome = inner
            .index
            .write(move |ix| {
                ix.atomically(|ix| {
                    let dst = (dst_bucket.as_str(), dst_key.as_str());
                    let now = now_ms();
                    let out = copy_job(
                        ix,
                        &src,
                        dst,
                        (&conditions, &dst_cond),
                        new_meta,
                        &crypto_job,
                        now,
                    )?;
                    if let (Ok(_), Some(_)) = (&out, &acl) {
                        ix.set_object_acl(dst.0, dst.1, None, acl.as_deref())?;
                    }
                    if let (Ok(_), Some(lock)) = (&out, &lock) {
                        ix.lock_new_object(dst.0, dst.1, lock)?;
                        if hold_given {
                            ix.mark_legal_hold_set(dst.0, dst.1)?;
                        }
                    }
                    Ok(out)
                })
            })
            .await
            .map_err(|e| copy_source_error(e, &owner))?;
        let Copied { info, source_version_id, seq, released } = outcome?;
        if !released.is_empty() {
            inner.deletes.notify_one();
        }
        // Rebuild tags: the destination shares the source's files.
        let src_ref = (src_bucket.as_str(), src_key.as_str());
        super::object_put::record_alias(inner, src_ref, &input.bucket, &input.key, &info, seq)
            .await;
        if has_lock {
            // The shared files now carry the strongest of both locks.
            super::object_lock::retention::retag_object(inner, &input.bucket, &input.key, None)
                .await;
        }
        tracing::debug!(size = info.size, "copied by reference");
        let mut out = CopyObjectOutput {
            copy_object_result: Some(result(&info)),
            version_id: info.version_id.clone(),
            copy_source_version_id: source_version_id,
            expiration: super::bucket_lifecycle::expiration(
                inner,
                &input.bucket,
                &input.key,
                info.size,
                info.last_modified_ms,
            )
            .await,
            ..CopyObjectOutput::default()
        };
        (out.server_side_encryption, out.sse_customer_algorithm, out.sse_customer_key_md5) =
            crypto.reply_headers(info.meta.encryption.is_some());
        Ok(S3Response::new(out))
    }
    .instrument(span)
    .await
}

/// The writer job: read the source, check the source's conditions, copy
/// if the destination's hold.
fn copy_job(
    ix: &mut Index,
    src: &Source,
    dst: (&str, &str),
    (conditions, dst_cond): (&Conditions, &WriteCondition),
    new_meta: Option<ObjectMeta>,
    crypto: &CopyCrypto,
    now_ms: i64,
) -> Result<Outcome, IndexError> {
    let version = src.version_id.as_deref();
    let head = ix.head_version(&src.bucket, &src.key, version)?;
    if let Err(e) = conditions.check(&head) {
        return Ok(Err(e));
    }
    // The data key re-wrapped for the destination (see `sse_copy`).
    let encryption = match crypto.envelope(head.meta.encryption.as_deref()) {
        Ok(e) => e,
        Err(e) => return Ok(Err(e)),
    };
    let directive = match new_meta {
        None if encryption.is_none() => MetaDirective::Copy,
        None => MetaDirective::Replace(Box::new(ObjectMeta { encryption, ..head.meta })),
        Some(mut meta) => {
            // The bytes are the same, so their checksums still hold.
            meta.checksums = head.meta.checksums;
            meta.encryption = encryption;
            MetaDirective::Replace(Box::new(meta))
        }
    };
    let src_ref = (src.bucket.as_str(), src.key.as_str());
    Ok(Ok(ix.copy_version_if(src_ref, version, dst, directive, now_ms, dst_cond)?))
}

/// An index failure of a copy: as any other, except that naming a delete
/// marker as the source by its version ID is 400 InvalidRequest (S3's
/// answer; a marker that is merely the latest is 404 NoSuchKey).
pub(super) fn copy_source_error(e: IndexError, owner: &str) -> S3Error {
    match e {
        IndexError::DeleteMarker { addressed: true, .. } => S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "The source of a copy request may not specifically refer to a delete marker by \
             version id.",
        ),
        e => error::from_index(e, owner),
    }
}

/// The source bucket, key and version; a malformed version ID is 400
/// InvalidArgument, and access points are not served.
pub(super) fn source(cs: &CopySource) -> S3Result<Source> {
    match cs {
        CopySource::Bucket { bucket, key, version_id } => {
            if let Some(v) = version_id
                && !is_valid_version_id(v)
            {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "Invalid version id specified",
                ));
            }
            if key.is_empty() {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "the copy source has no key",
                ));
            }
            Ok(Source {
                bucket: bucket.to_string(),
                key: key.to_string(),
                version_id: version_id.as_ref().map(|v| v.to_string()),
            })
        }
        _ => Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            "access point copy sources are not supported",
        )),
    }
}

/// `true` for `REPLACE`, `false` for `COPY` (the default).
fn directive(d: Option<&MetadataDirective>) -> S3Result<bool> {
    match d.map(MetadataDirective::as_str) {
        None => Ok(false),
        Some(s) if s.eq_ignore_ascii_case(MetadataDirective::COPY) => Ok(false),
        Some(s) if s.eq_ignore_ascii_case(MetadataDirective::REPLACE) => Ok(true),
        Some(s) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("unknown metadata directive {s:?}"),
        )),
    }
}

/// The `x-amz-copy-source-if-*` conditions of a request.
fn conditions(input: &CopyObjectInput) -> S3Result<Conditions> {
    Conditions::new(
        input.copy_source_if_match.clone(),
        input.copy_source_if_none_match.clone(),
        input.copy_source_if_modified_since.as_ref(),
        input.copy_source_if_unmodified_since.as_ref(),
    )
}

/// The response body: the new object's ETag, time and checksums.
fn result(info: &ObjectInfo) -> CopyObjectResult {
    let sum = |a: ChecksumAlgorithm| info.meta.checksums.get(a.as_str()).cloned();
    CopyObjectResult {
        e_tag: Some(ETag::Strong(info.etag.clone())),
        last_modified: Some(timestamp(info.last_modified_ms)),
        checksum_crc32: sum(ChecksumAlgorithm::Crc32),
        checksum_crc32c: sum(ChecksumAlgorithm::Crc32c),
        checksum_crc64nvme: sum(ChecksumAlgorithm::Crc64Nvme),
        checksum_sha1: sum(ChecksumAlgorithm::Sha1),
        checksum_sha256: sum(ChecksumAlgorithm::Sha256),
        ..CopyObjectResult::default()
    }
}

#[cfg(test)]
mod tests {
    use s3s::dto::{CopySource, MetadataDirective};

    use super::{directive, source};

    #[test]
    fn sources() {
        let cs = CopySource::parse("/bkt/d%C3%A4r/a%20b.txt").unwrap();
        let s = source(&cs).unwrap();
        assert_eq!((s.bucket.as_str(), s.key.as_str()), ("bkt", "där/a b.txt"));
        let null = CopySource::parse("bkt/k?versionId=null").unwrap();
        assert!(source(&null).is_ok());
        let v = "A".repeat(32);
        let other = CopySource::parse(&format!("bkt/k?versionId={v}")).unwrap();
        assert_eq!(source(&other).unwrap().version_id, Some(v));
        let bad = CopySource::parse("bkt/k?versionId=3").unwrap();
        assert!(source(&bad).is_err());
    }

    #[test]
    fn directives() {
        assert!(!directive(None).unwrap());
        assert!(!directive(Some(&MetadataDirective::from_static("COPY"))).unwrap());
        assert!(directive(Some(&MetadataDirective::from_static("REPLACE"))).unwrap());
        assert!(directive(Some(&MetadataDirective::from_static("MOVE"))).is_err());
    }
}
