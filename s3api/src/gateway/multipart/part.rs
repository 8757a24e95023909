//! UploadPart: the body takes PutObject's path — verified while it
//! streams to a storage of the bucket's home group, under an upload intent
//! — and the part is recorded only after the storage acknowledged it and
//! every checksum matched. A part whose upload vanished meanwhile
//! (aborted, reaped) is rejected and its file queued through the intent.

use s3s::dto::{ETag, UploadPartInput, UploadPartOutput};
use s3s::{S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::super::bucket::check_owner;
use super::super::object_put::{
    EchoChecksums, Origin, Verified, reject, upload_verified, verified_body,
};
use super::super::sse;
use super::super::transport::Transport;
use super::super::{Inner, error, now_ms, owner_of};
use super::part_number;
use crate::crypto::segments::FileKey;
use crate::index::{PartInfo, Upload};
use crate::rebuild::tags::FileTag;

pub async fn upload_part(
    inner: &Inner,
    req: S3Request<UploadPartInput>,
) -> S3Result<S3Response<UploadPartOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.upload_part", bucket = %req.input.bucket, key = %req.input.key,
        upload_id = %req.input.upload_id, part = req.input.part_number);
    async {
        let number = part_number(Some(req.input.part_number))?;
        let bucket = check_owner(inner, &req.input.bucket, &owner).await?;
        let upload = (req.input.bucket.as_str(), req.input.key.as_str(), &*req.input.upload_id);
        let found = check_upload(inner, &owner, upload).await?;
        let transport = req.extensions.get::<Transport>().copied();
        let sealed = sse::unlock_part(inner, &found, &req.input, transport.as_ref())?;
        let (input, len, mut verifying) = verified_body(req)?;
        // A part of an upload with a checksum algorithm always gets that
        // checksum, sent or not, for the object's checksum at completion.
        if let Some(c) = super::checksum_type::UploadChecksum::recorded(&found.meta.checksums) {
            verifying = verifying.compute(c.algorithm);
        }
        let tag = FileTag::part(&bucket.name, &input.key, &input.upload_id, number);
        let file_key = sealed.as_ref().map(|u| FileKey::create(&u.data_key.0, number));
        let Verified { token, file_id, digests } =
            upload_verified(inner, &owner, &bucket, &tag, len, verifying, Origin::Body, file_key)
                .await?;

        let etag = sse::etag_of(sealed.as_ref(), digests.etag());
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
            last_modified_ms: now_ms(),
        };
        let upload = (bucket.name.as_str(), input.key.as_str(), input.upload_id.as_str());
        record_part(inner, &owner, upload, part, token).await?;
        if sealed.is_some() {
            // A rebuild cannot recompute an encrypted part's ETag.
            let meta = crate::rebuild::tags::sse_etag_metadata(&etag);
            super::super::object_put::merge_tags(inner, std::slice::from_ref(&file_id), &meta)
                .await;
        }
        tracing::debug!(%file_id, size = len, "part stored");
        let mut out =
            UploadPartOutput { e_tag: Some(ETag::Strong(etag)), ..UploadPartOutput::default() };
        out.echo_checksums(&digests);
        (out.server_side_encryption, out.sse_customer_algorithm, out.sse_customer_key_md5) =
            sse::unlocked_headers(sealed.as_ref());
        Ok(S3Response::new(out))
    }
    .instrument(span)
    .await
}

/// Refuses, before any byte moves, a part of an unknown `upload`
/// (bucket, key, upload ID).
pub(super) async fn check_upload(
    inner: &Inner,
    owner: &str,
    upload: (&str, &str, &str),
) -> S3Result<Upload> {
    let (b, k, u) = (upload.0.to_string(), upload.1.to_string(), upload.2.to_string());
    inner
        .index
        .read(move |ix| ix.get_upload(&b, &k, &u))
        .await
        .map_err(|e| error::from_index(e, owner))
}

/// Records `part` of `upload` (bucket, key, upload ID), stored under
/// intent `token`. When the upload is gone (aborted, reaped), the intent
/// is abandoned, which queues the part's file for deletion.
pub(super) async fn record_part(
    inner: &Inner,
    owner: &str,
    upload: (&str, &str, &str),
    part: PartInfo,
    token: String,
) -> S3Result<()> {
    let (b, k, u) = (upload.0.to_string(), upload.1.to_string(), upload.2.to_string());
    let t = token.clone();
    let written = inner.index.write(move |ix| ix.upload_part(&b, &k, &u, &part, Some(&t))).await;
    let released = match written {
        Ok(released) => released,
        Err(e) => {
            // The upload is gone; the intent still holds the file.
            reject(inner, token).await;
            return Err(error::from_index(e, owner));
        }
    };
    if !released.is_empty() {
        inner.deletes.notify_one();
    }
    Ok(())
}
