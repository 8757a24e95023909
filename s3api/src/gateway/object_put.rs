//! PutObject: the body streams through a
//! [`VerifyingStream`](crate::checksum::VerifyingStream) (MD5 for the
//! ETag, plus every checksum the client sent or announced as a trailer)
//! straight into an upload to the storage the tracker picked in the
//! bucket's home group. The index row is written only after the storage
//! acknowledged the bytes *and* every checksum matched; a body that fails
//! verification after the storage stored it is queued for deletion
//! through its upload intent.
//!
//! Every stored file carries its bucket and key in its FastDFS metadata
//! (`crate::rebuild::tags`), sent with the bytes in one request where the
//! storage speaks fdfs's upload-with-metadata extension (no second round
//! trip, no second fsync), else as upload + SET_METADATA.
//!
//! The reading of the request ([`verify`]) and the intent-guarded upload
//! ([`upload`]) are shared with UploadPart and UploadPartCopy.
//!
//! `If-Match` / `If-None-Match: *` are checked before the body streams
//! (412 at once) and again in the index write; a write that loses the
//! race in between answers 409 and its file is queued for deletion
//! ([`super::write_conditions`]).

use fdfs_protocol::filename::validate_ext;
use fdfs_protocol::metadata::{MetaOp, Metadata};
use s3s::dto::{PutObjectInput, PutObjectOutput};
use s3s::{S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::limits::check_new_object;
use super::request_meta::RequestedMeta;
use super::sse::{self, Sealing};
use super::transport::Transport;
use super::write_conditions::{condition_failed, lost_race, precheck, write_condition};
use super::{Inner, error, now_ms, owner_of};
use crate::checksum::ChecksumAlgorithm;
use crate::crypto::segments::FileKey;
use crate::index::{IndexError, NewObject, ObjectData, Written};
use crate::rebuild::tags::FileTag;

mod tagging;
mod upload;
mod verify;
pub(super) use tagging::{merge_tags, record_alias};
pub(super) use upload::{Origin, Verified, reject, store, upload_verified};
pub(super) use verify::{EchoChecksums, verified_body};

pub async fn put_object(
    inner: &Inner,
    req: S3Request<PutObjectInput>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.put_object", bucket = %req.input.bucket, key = %req.input.key);
    async {
        let bucket = check_owner(inner, &req.input.bucket, &owner).await?;
        check_new_object(&req.input.key, req.input.metadata.as_ref())?;
        let cond = write_condition(req.input.if_match.as_ref(), req.input.if_none_match.as_ref())?;
        precheck(inner, &owner, &bucket.name, &req.input.key, &cond).await?;
        let asked = sse::write_request(&req.input, req.extensions.get::<Transport>())?;
        let asked = super::bucket_encryption::with_default(inner, &bucket.name, asked).await?;
        let sealing = asked.seal(inner, &bucket.name, &req.input.key);
        let lock = super::object_lock::for_new_object(
            inner,
            &bucket.name,
            &owner,
            &req.input,
            Some(&req.headers),
            now_ms(),
        )
        .await?;
        // An explicit hold (ON or OFF) reads back as set; none is 404.
        let hold_given = lock.is_some() && req.input.object_lock_legal_hold_status.is_some();
        let object_tags = super::tagging::header::parse_opt(req.input.tagging.as_deref())?;
        let object_tags = object_tags.unwrap_or_default();
        let acl = super::acl::for_new_object(inner, &req.headers, &bucket, &owner).await?;
        let (input, len, verifying) = verified_body(req)?;
        let mut meta = input.requested_meta();
        meta.tags = object_tags.clone();
        meta.encryption = sealing.as_ref().map(|s| s.envelope.encode());
        let mut tag = FileTag::object(&bucket.name, &input.key, input.content_type.as_deref())
            .with_meta(&meta);
        // The WORM tags ride with the upload: protected from the first byte.
        tag.attrs.extend(crate::rebuild::lock_tags::lock_attrs(lock.as_ref()));
        // The ACL too, so rebuild-index restores it.
        tag.attrs.extend(crate::rebuild::acl_tags::acl_attrs(acl.as_deref()));
        let file_key = sealing.as_ref().map(|s| FileKey::create(&s.data_key.0, 0));
        let Verified { token, file_id, digests } =
            upload_verified(inner, &owner, &bucket, &tag, len, verifying, Origin::Body, file_key)
                .await?;

        let etag = match &sealing {
            Some(s @ Sealing { customer_md5: Some(_), .. }) => {
                sse::customer_etag(&s.data_key, &digests.etag())
            }
            _ => digests.etag(),
        };
        for algorithm in ChecksumAlgorithm::ALL {
            if let Some(c) = digests.checksum(algorithm) {
                meta.checksums.insert(algorithm.as_str().to_string(), c.to_base64());
            }
        }
        let last_modified_ms = now_ms();
        let object = NewObject {
            data: ObjectData::Single(file_id.clone()),
            size: len,
            etag: etag.clone(),
            meta,
            last_modified_ms,
        };
        let (b, k, t) = (bucket.name.clone(), input.key.clone(), token.clone());
        let written = inner
            .index
            .write(move |ix| {
                ix.atomically(|ix| {
                    let w = ix.put_version_if(&b, &k, &object, Some(&t), &cond)?;
                    if acl.is_some() {
                        ix.set_object_acl(&b, &k, None, acl.as_deref())?;
                    }
                    if let Some(lock) = &lock {
                        ix.lock_new_object(&b, &k, lock)?;
                    }
                    if hold_given {
                        ix.mark_legal_hold_set(&b, &k)?;
                    }
                    Ok(w)
                })
            })
            .await;
        let Written { version_id, seq, released } = match written {
            Ok(w) => w,
            Err(e) if condition_failed(&e) || matches!(e, IndexError::ObjectLocked(_)) => {
                // The write changed nothing; abandoning the intent queues
                // the file just stored.
                reject(inner, token).await;
                if matches!(e, IndexError::ObjectLocked(_)) {
                    return Err(error::from_index(e, &owner));
                }
                return Err(lost_race(&e));
            }
            Err(e) => return Err(error::from_index(e, &owner)),
        };
        if !released.is_empty() {
            inner.deletes.notify_one();
        }
        let mut tags = Metadata::new();
        if sealing.is_some() {
            // A rebuild cannot recompute an encrypted object's ETag.
            tags.apply(MetaOp::Merge, &crate::rebuild::tags::sse_etag_metadata(&etag));
        }
        if let Some(v) = &version_id {
            // The version and its order, for a rebuild of the versions.
            tags.apply(MetaOp::Merge, &crate::rebuild::version_tags::version_metadata(v, seq));
        }
        if !tags.is_empty() {
            merge_tags(inner, std::slice::from_ref(&file_id), &tags).await;
        }
        tracing::debug!(%file_id, size = len, "stored");
        let mut out = PutObjectOutput {
            e_tag: Some(s3s::dto::ETag::Strong(etag)),
            size: Some(i64::try_from(len).unwrap_or(i64::MAX)),
            version_id,
            ..PutObjectOutput::default()
        };
        out.echo_checksums(&digests);
        // A single PUT's checksum is of the whole object, as AWS says.
        if !digests.checksums.is_empty() {
            let full = s3s::dto::ChecksumType::FULL_OBJECT;
            out.checksum_type = Some(s3s::dto::ChecksumType::from_static(full));
        }
        out.expiration = super::bucket_lifecycle::expiration(
            inner,
            &bucket.name,
            &input.key,
            len,
            last_modified_ms,
            &object_tags,
        )
        .await;
        let md5 = sealing.as_ref().and_then(|s| s.customer_md5.as_deref());
        (out.server_side_encryption, out.sse_customer_algorithm, out.sse_customer_key_md5) =
            sse::reply_headers(md5, sealing.is_some());
        Ok(S3Response::new(out))
    }
    .instrument(span)
    .await
}

/// The FastDFS extension for `key`: the key's own when FastDFS can carry
/// it (≤ 6 of `[A-Za-z0-9._-]`), else none.
fn extension(key: &str) -> &str {
    let name = key.rsplit('/').next().unwrap_or(key);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && validate_ext(ext).is_ok() => {
            ext
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::extension;

    #[test]
    fn extensions() {
        assert_eq!(extension("a/b/photo.jpg"), "jpg");
        assert_eq!(extension("archive.tar.gz"), "gz");
        assert_eq!(extension("noext"), "");
        assert_eq!(extension(".hidden"), "");
        assert_eq!(extension("dir.d/file"), "");
        assert_eq!(extension("x.toolongext"), "");
        assert_eq!(extension("x.a b"), "");
    }
}
