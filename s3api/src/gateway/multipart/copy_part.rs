//! UploadPartCopy: a part whose bytes come from an existing object (or a
//! range of it) instead of the request body. Unlike CopyObject the bytes
//! do move — a part must be one file of the upload's home group — so the
//! source range streams out of the storages through GetObject's reader
//! (which spans the parts of a multipart source), through an MD5 hasher
//! for the part ETag, straight into an upload under an intent, exactly as
//! UploadPart stores a body. Memory stays bounded by the pipe depth.
//! An encrypted source is decrypted on the way (its SSE-C key in the
//! copy-source headers), and the part sealed again under the upload's
//! data key when the upload is encrypted.

use std::ops::Range;

use s3s::dto::{CopyPartResult, ETag, Timestamp, UploadPartCopyInput, UploadPartCopyOutput};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::super::bucket::check_owner;
use super::super::copy::{Conditions, source, unix_secs};
use super::super::file_fetch;
use super::super::object_get::{open_body, slices};
use super::super::object_put::{Origin, Verified, upload_verified};
use super::super::transport::Transport;
use super::super::{Inner, now_ms, owner_of, sealed_read, sse, timestamp};
use super::part::{check_upload, record_part};
use super::part_number;
use crate::checksum::VerifyingStream;
use crate::crypto::segments::FileKey;
use crate::index::PartInfo;
use crate::rebuild::tags::FileTag;

/// The largest part S3 lets a copy produce (5 GiB).
const MAX_COPY_PART: u64 = 5 * 1024 * 1024 * 1024;

pub async fn upload_part_copy(
    inner: &Inner,
    req: S3Request<UploadPartCopyInput>,
) -> S3Result<S3Response<UploadPartCopyOutput>> {
    let owner = owner_of(inner, &req).await?;
    let transport = req.extensions.get::<Transport>().copied();
    let input = req.input;
    let src = source(&input.copy_source)?;
    let span = info_span!("s3.upload_part_copy", bucket = %input.bucket, key = %input.key,
        upload_id = %input.upload_id, part = input.part_number,
        src_bucket = %src.bucket, src_key = %src.key);
    async {
        let number = part_number(Some(input.part_number))?;
        let conditions = conditions(&input)?;
        check_owner(inner, &src.bucket, &owner).await?;
        let bucket = check_owner(inner, &input.bucket, &owner).await?;
        let upload = (input.bucket.as_str(), input.key.as_str(), input.upload_id.as_str());
        let found = check_upload(inner, &owner, upload).await?;
        let sealed = sse::unlock_part(inner, &found, &input, transport.as_ref())?;
        let (sb, sk, sv) = (src.bucket.clone(), src.key.clone(), src.version_id.clone());
        let record = inner
            .index
            .read(move |ix| ix.get_version(&sb, &sk, sv.as_deref()))
            .await
            .map_err(|e| super::super::copy::copy_source_error(e, &owner))?;
        conditions.check(&record.info)?;
        // An encrypted source opens with the copy-source SSE-C headers.
        let source_key = sse::customer_key(
            input.copy_source_sse_customer_algorithm.as_deref(),
            input.copy_source_sse_customer_key.as_deref(),
            input.copy_source_sse_customer_key_md5.as_deref(),
            transport.as_ref(),
        )?;
        let stored = record.info.meta.encryption.as_deref();
        let source_dk = sse::unlock(inner, stored, source_key.as_ref(), &src.bucket, &src.key)?;
        let range = match &input.copy_source_range {
            Some(text) => parse_range(text, record.info.size)?,
            None => 0..record.info.size,
        };
        let len = range.end - range.start;
        if len > MAX_COPY_PART {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!("a copied part may hold at most {MAX_COPY_PART} bytes"),
            ));
        }
        let (t, st) = (&inner.tracker, &inner.storage);
        let body = match &source_dk {
            Some(u) => {
                let (data, size) = (&record.data, record.info.size);
                sealed_read::open_body(t, st, data, size, (range.start, range.end), &u.data_key)
                    .await
            }
            None => open_body(t, st, slices(&record.data, range.start, range.end)?).await,
        }
        .map_err(|e| file_fetch::report(e, &src.bucket, &src.key))?;

        // A part of an upload with a checksum algorithm carries that
        // checksum, computed as the bytes go by.
        let upload_checksum = super::checksum_type::UploadChecksum::recorded(&found.meta.checksums);
        let mut verifying = VerifyingStream::new(body);
        if let Some(c) = upload_checksum {
            verifying = verifying.compute(c.algorithm);
        }
        let tag = FileTag::part(&bucket.name, &input.key, &input.upload_id, number);
        let file_key = sealed.as_ref().map(|u| FileKey::create(&u.data_key.0, number));
        let origin = Origin::CopySource;
        let Verified { token, file_id, digests } =
            upload_verified(inner, &owner, &bucket, &tag, len, verifying, origin, file_key).await?;

        let etag = sse::etag_of(sealed.as_ref(), digests.etag());
        let modified_ms = now_ms();
        let part = PartInfo {
            part_number: number,
            file_id: file_id.clone(),
            size: len,
            etag: etag.clone(),
            checksums: digests
                .checksums
                .iter()
                .map(|c| (c.algorithm().as_str().to_string(), c.to_base64()))
                .collect(),
            last_modified_ms: modified_ms,
        };
        record_part(inner, &owner, upload, part, token).await?;
        if sealed.is_some() {
            // A rebuild cannot recompute an encrypted part's ETag.
            let meta = crate::rebuild::tags::sse_etag_metadata(&etag);
            super::super::object_put::merge_tags(inner, std::slice::from_ref(&file_id), &meta)
                .await;
        }
        tracing::debug!(%file_id, size = len, "part copied");
        let (server_side_encryption, sse_customer_algorithm, sse_customer_key_md5) =
            sse::unlocked_headers(sealed.as_ref());
        Ok(S3Response::new(UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(ETag::Strong(etag)),
                last_modified: Some(timestamp(modified_ms)),
                ..CopyPartResult::default()
            }),
            server_side_encryption,
            sse_customer_algorithm,
            sse_customer_key_md5,
            copy_source_version_id: record.info.version_id.clone(),
            ..UploadPartCopyOutput::default()
        }))
    }
    .instrument(span)
    .await
}

/// The request's `x-amz-copy-source-if-*` conditions.
fn conditions(input: &UploadPartCopyInput) -> S3Result<Conditions> {
    let secs = |t: &Option<Timestamp>| -> S3Result<Option<i64>> {
        t.as_ref()
            .map(|t| {
                unix_secs(t).ok_or_else(|| {
                    S3Error::with_message(S3ErrorCode::InvalidArgument, "invalid date")
                })
            })
            .transpose()
    };
    Ok(Conditions {
        if_match: input.copy_source_if_match.clone(),
        if_none_match: input.copy_source_if_none_match.clone(),
        if_modified_since: secs(&input.copy_source_if_modified_since)?,
        if_unmodified_since: secs(&input.copy_source_if_unmodified_since)?,
    })
}

/// `bytes=first-last` (both inclusive, both required) as a half-open
/// range of a source of `size` bytes. A malformed value is
/// InvalidArgument; one reaching past the source is InvalidRange.
pub(in crate::gateway) fn parse_range(text: &str, size: u64) -> S3Result<Range<u64>> {
    let malformed = || {
        S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "the x-amz-copy-source-range value must be of the form bytes=first-last where \
             first and last are the zero-based offsets of the first and last bytes to copy",
        )
    };
    let spec = text.trim().strip_prefix("bytes=").ok_or_else(malformed)?;
    let (first, last) = spec.split_once('-').ok_or_else(malformed)?;
    let digits = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (first, last) = (digits(first).ok_or_else(malformed)?, digits(last).ok_or_else(malformed)?);
    if first > last {
        return Err(malformed());
    }
    if last >= size {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRange,
            format!("range specified is not valid for source object of size: {size}"),
        ));
    }
    Ok(first..last + 1)
}

#[cfg(test)]
mod tests {
    use s3s::S3ErrorCode;

    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 10).unwrap(), 0..10);
        assert_eq!(parse_range("bytes=3-3", 10).unwrap(), 3..4);
        let code = |t: &str, size| parse_range(t, size).unwrap_err().code().clone();
        assert_eq!(code("bytes=0-10", 10), S3ErrorCode::InvalidRange);
        assert_eq!(code("bytes=10-12", 10), S3ErrorCode::InvalidRange);
        assert_eq!(code("bytes=0-0", 0), S3ErrorCode::InvalidRange);
        for bad in ["0-9", "bytes=5-2", "bytes=-5", "bytes=5-", "bytes=a-b", "bytes=+1-2"] {
            assert_eq!(code(bad, 10), S3ErrorCode::InvalidArgument, "{bad}");
        }
    }
}
