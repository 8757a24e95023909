//! Multipart uploads: CreateMultipartUpload, UploadPart,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts and
//! ListMultipartUploads, plus the [`reaper`] that aborts forgotten
//! uploads.
//!
//! Each part is stored as its own FastDFS file in the bucket's home group
//! (streamed and verified like PutObject, see `part`). Completing never
//! copies bytes: the object's index row becomes a manifest of the part
//! files, which GetObject serves in order, and parts left out go on the
//! delete queue in the same transaction.
//!
//! After the completion is committed, each part of the object is marked
//! with the object's ETag (`s3-complete`, `crate::rebuild::tags`), so an
//! index rebuild can reassemble it. Marking after the commit means only
//! parts of a committed manifest are ever marked (a completion that fails
//! validation marks nothing); a crash between the commit and the marks
//! leaves that object out of a later rebuild. The ETag names the part
//! count, so a rebuild ignores a partly marked upload.
//!
//! A completion honours `If-Match` / `If-None-Match: *` on the key (checked
//! in its index transaction: 412, the upload kept), and a retried
//! completion of an upload that already completed answers 200 with the
//! same object while that object is still the upload's — an SDK retries
//! when the first reply was lost, and the data is stored.
//!
//! The completion's SSE-C headers, and its reply's encryption headers, are
//! `complete_sse`'s.

mod complete_sse;
pub(super) mod copy_part;
mod lists;
mod part;
pub mod reaper;

pub use lists::{list_multipart_uploads, list_parts};
pub use part::upload_part;

use s3s::dto::{
    AbortMultipartUploadInput, AbortMultipartUploadOutput, CompleteMultipartUploadInput,
    CompleteMultipartUploadOutput, CreateMultipartUploadInput, CreateMultipartUploadOutput, ETag,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::limits::check_new_object;
use super::object_put::merge_tags;
use super::read_plan::{ChecksumFields, stored_checksums};
use super::request_meta::RequestedMeta;
use super::write_conditions::write_condition;
use super::{Inner, error, now_ms, owner_of};
use crate::checksum::multipart_etag;
use crate::index::{CompleteUpload, CompletedPart};
use crate::rebuild::tags::complete_metadata;

/// The smallest size of every part but the last (S3: 5 MiB).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// The highest part number S3 allows.
const MAX_PART_NUMBER: u32 = 10_000;

/// The most parts or uploads one listing page returns (S3's cap).
const MAX_PAGE: i32 = 1000;

pub async fn create_multipart_upload(
    inner: &Inner,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let owner = owner_of(inner, &req).await?;
    let transport = req.extensions.get::<super::transport::Transport>().copied();
    let headers = req.headers;
    let input = req.input;
    let span = info_span!("s3.create_multipart_upload", bucket = %input.bucket, key = %input.key);
    async {
        let bucket = check_owner(inner, &input.bucket, &owner).await?;
        // Kept on the upload, given to the object at completion.
        let acl = super::acl::for_new_object(inner, &headers, &bucket, &owner).await?;
        check_new_object(&input.key, input.metadata.as_ref())?;
        let asked = super::sse::write_request(&input, transport.as_ref())?;
        let asked = super::bucket_encryption::with_default(inner, &input.bucket, asked).await?;
        // The object's attributes, snapshotted now, with the data key
        // every part will be sealed under (wrapped).
        let sealing = asked.seal(inner, &input.bucket, &input.key);
        let mut meta = input.requested_meta();
        meta.encryption = sealing.as_ref().map(|s| s.envelope.encode());
        // Kept on the upload, handed to the object at completion.
        let lock = super::object_lock::for_new_object(
            inner,
            &input.bucket,
            &owner,
            &input,
            None,
            now_ms(),
        )
        .await?;
        let (b, k) = (input.bucket.clone(), input.key.clone());
        let upload_id = inner
            .index
            .write(move |ix| {
                ix.atomically(|ix| {
                    let id = ix.create_upload(&b, &k, &meta, now_ms())?;
                    if let Some(lock) = &lock {
                        ix.set_upload_lock(&b, &k, &id, lock)?;
                    }
                    if acl.is_some() {
                        ix.set_upload_acl(&id, acl.as_deref())?;
                    }
                    Ok(id)
                })
            })
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        tracing::debug!(%upload_id, "upload created");
        let md5 = sealing.as_ref().and_then(|s| s.customer_md5.clone());
        let (sse, sse_alg, sse_md5) = super::sse::reply_headers(md5.as_deref(), sealing.is_some());
        Ok(S3Response::new(CreateMultipartUploadOutput {
            server_side_encryption: sse,
            sse_customer_algorithm: sse_alg,
            sse_customer_key_md5: sse_md5,
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            // Echoed as S3 does; the object's checksum is derived from the
            // parts' at completion.
            checksum_algorithm: input.checksum_algorithm.clone(),
            ..CreateMultipartUploadOutput::default()
        }))
    }
    .instrument(span)
    .await
}

pub async fn complete_multipart_upload(
    inner: &Inner,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let owner = owner_of(inner, &req).await?;
    let transport = req.extensions.get::<super::transport::Transport>().copied();
    let input = req.input;
    let span = info_span!("s3.complete_multipart_upload", bucket = %input.bucket,
        key = %input.key, upload_id = %input.upload_id);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let customer = complete_sse::check_key(inner, &owner, &input, transport.as_ref()).await?;
        let cond = write_condition(input.if_match.as_ref(), input.if_none_match.as_ref())?;
        let given = input.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
        let mut parts = Vec::with_capacity(given.len());
        let mut md5s = Some(Vec::with_capacity(given.len()));
        for p in given {
            let number = part_number(p.part_number)?;
            let etag = p.e_tag.map(ETag::into_value).unwrap_or_default();
            // An ETag that is no MD5 cannot match any part we stored: the
            // index refuses it as InvalidPart, after it looked the upload
            // up (an unknown upload is NoSuchUpload, whatever the list).
            md5s = md5s.zip(parse_md5(&etag)).map(|(mut all, md5)| {
                all.push(md5);
                all
            });
            parts.push(CompletedPart { part_number: number, etag });
        }
        if parts.is_empty() {
            return Err(S3Error::with_message(S3ErrorCode::MalformedXML, "the part list is empty"));
        }
        let etag = md5s.map(|md5s| multipart_etag(&md5s)).unwrap_or_default();
        let request = CompleteUpload {
            parts,
            etag: etag.clone(),
            checksums: None,
            min_part_size: MIN_PART_SIZE,
            now_ms: now_ms(),
        };
        let (b, k, u) = (input.bucket.clone(), input.key.clone(), input.upload_id.clone());
        let done = inner
            .index
            .write(move |ix| {
                ix.atomically(|ix| {
                    // The upload's ACL goes to the object (the upload row
                    // is gone after completion).
                    let acl = ix.get_upload_acl(&u)?;
                    let done = ix.complete_upload_if(&b, &k, &u, &request, &cond)?;
                    if acl.is_some() && !done.retried {
                        ix.set_object_acl(&b, &k, None, acl.as_deref())?;
                    }
                    Ok(done)
                })
            })
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        if !done.released.is_empty() {
            inner.deletes.notify_one();
        }
        let info = done.info;
        if done.retried {
            tracing::debug!(etag = %info.etag, "completion retried: answered with its object");
        } else {
            tracing::debug!(size = info.size, parts = info.part_count, "upload completed");
            mark_parts(inner, &input.bucket, &input.key, &info, done.seq).await;
            super::object_lock::retag_if_locked(inner, &input.bucket, &input.key).await;
        }
        let mut out = CompleteMultipartUploadOutput {
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            e_tag: Some(ETag::Strong(info.etag.clone())),
            version_id: info.version_id.clone(),
            expiration: super::bucket_lifecycle::expiration(
                inner,
                &input.bucket,
                &input.key,
                info.size,
                info.last_modified_ms,
            )
            .await,
            ..CompleteMultipartUploadOutput::default()
        };
        out.set_checksums(stored_checksums(&info));
        let (sse, sse_c_headers) =
            complete_sse::reply(inner, &info, &input.bucket, customer.as_ref())?;
        out.server_side_encryption = sse;
        let mut resp = S3Response::new(out);
        resp.headers = sse_c_headers;
        Ok(resp)
    }
    .instrument(span)
    .await
}

/// Marks the parts of the object just completed (see the module docs).
async fn mark_parts(
    inner: &Inner,
    bucket: &str,
    key: &str,
    info: &crate::index::ObjectInfo,
    seq: i64,
) {
    let (b, k, v) = (bucket.to_string(), key.to_string(), info.version_id.clone());
    let files = match inner.index.read(move |ix| ix.get_version(&b, &k, v.as_deref())).await {
        // A concurrent write may have replaced it already: nothing to mark.
        Ok(record) if record.info.etag == info.etag => {
            record.data.file_ids().into_iter().map(str::to_string).collect::<Vec<_>>()
        }
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the completed object to tag its parts");
            return;
        }
    };
    let mut meta = complete_metadata(&info.etag, info.last_modified_ms, &info.meta);
    if let Some(v) = &info.version_id {
        let version = crate::rebuild::version_tags::version_metadata(v, seq);
        meta.apply(fdfs_protocol::metadata::MetaOp::Merge, &version);
    }
    merge_tags(inner, &files, &meta).await;
}

pub async fn abort_multipart_upload(
    inner: &Inner,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.abort_multipart_upload", bucket = %input.bucket,
        key = %input.key, upload_id = %input.upload_id);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let (b, k, u) = (input.bucket, input.key, input.upload_id);
        let released = inner
            .index
            .write(move |ix| ix.abort_upload(&b, &k, &u, now_ms()))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        if !released.is_empty() {
            inner.deletes.notify_one();
        }
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }
    .instrument(span)
    .await
}

/// A part number from the wire, checked against 1..=10000.
pub(crate) fn part_number(n: Option<i32>) -> S3Result<u32> {
    n.and_then(|n| u32::try_from(n).ok()).filter(|n| (1..=MAX_PART_NUMBER).contains(n)).ok_or_else(
        || {
            S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                format!("part number must be an integer between 1 and {MAX_PART_NUMBER}"),
            )
        },
    )
}

/// The raw MD5 of a part ETag (32 hex digits, quotes optional).
fn parse_md5(etag: &str) -> Option<[u8; 16]> {
    let hex = etag.trim_matches('"').as_bytes();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        let digit = |c: u8| char::from(c).to_digit(16);
        let (hi, lo) = (digit(pair[0])?, digit(pair[1])?);
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// A listing page size from the wire: default and cap 1000.
fn page_size(n: Option<i32>, what: &str) -> S3Result<usize> {
    let n = n.unwrap_or(MAX_PAGE);
    if n < 0 {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("negative {what}"),
        ));
    }
    Ok(usize::try_from(n.min(MAX_PAGE)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::{parse_md5, part_number};

    #[test]
    fn md5s_parse_from_etags() {
        let hex = "0123456789abcdef0123456789ABCDEF";
        let raw = parse_md5(&format!("\"{hex}\"")).unwrap();
        assert_eq!(raw[0], 0x01);
        assert_eq!(raw[15], 0xef);
        assert!(parse_md5("abc").is_none());
        assert!(parse_md5("zz23456789abcdef0123456789abcdef").is_none());
        assert!(parse_md5("0123456789abcdef0123456789abcdef-2").is_none());
    }

    #[test]
    fn part_numbers_are_bounded() {
        assert_eq!(part_number(Some(1)).unwrap(), 1);
        assert_eq!(part_number(Some(10_000)).unwrap(), 10_000);
        assert!(part_number(Some(0)).is_err());
        assert!(part_number(Some(10_001)).is_err());
        assert!(part_number(Some(-1)).is_err());
        assert!(part_number(None).is_err());
    }
}
