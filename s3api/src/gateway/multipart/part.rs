//! UploadPart: the body takes PutObject's path — verified while it
//! streams to a storage of the bucket's home group, under an upload intent
//! — and the part is recorded only after the storage acknowledged it and
//! every checksum matched. A part whose upload vanished meanwhile
//! (aborted, reaped) is rejected and its file queued through the intent.

use s3s::dto::{ETag, StreamingBlob, UploadPartInput, UploadPartOutput};
use s3s::{S3Request, S3Response, S3Result, TrailingHeaders};
use tracing::{Instrument, info_span};

use super::super::bucket::check_owner;
use super::super::object_put::{
    Verified, announced_trailers, body_length, reject, trailer_values, upload_verified,
};
use super::super::{Inner, error, now_ms, owner_of};
use super::part_number;
use crate::checksum::{Checksum, ChecksumAlgorithm, Digests, VerifyingStream, decode_content_md5};
use crate::index::PartInfo;
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
        // Refuse before any byte moves when the upload is unknown.
        let (b, k, u) =
            (req.input.bucket.clone(), req.input.key.clone(), req.input.upload_id.clone());
        inner
            .index
            .read(move |ix| ix.get_upload(&b, &k, &u))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let announced = announced_trailers(&req.headers)?;
        let len = body_length(req.input.content_length, &req.headers)?;
        let S3Request { mut input, trailing_headers, .. } = req;
        let body = input.body.take().unwrap_or_else(|| StreamingBlob::from(s3s::Body::empty()));
        let verifying = verifier(&input, body, announced, trailing_headers)?;
        let tag = FileTag::part(&bucket.name, &input.key, &input.upload_id, number);
        let Verified { token, file_id, digests } =
            upload_verified(inner, &owner, &bucket, &tag, len, verifying).await?;

        let etag = digests.etag();
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
        let (b, k, u, t) =
            (bucket.name.clone(), input.key.clone(), input.upload_id.clone(), token.clone());
        let written =
            inner.index.write(move |ix| ix.upload_part(&b, &k, &u, &part, Some(&t))).await;
        let released = match written {
            Ok(released) => released,
            Err(e) => {
                // The upload is gone; the intent still holds the file.
                reject(inner, token).await;
                return Err(error::from_index(e, &owner));
            }
        };
        if !released.is_empty() {
            inner.deletes.notify_one();
        }
        tracing::debug!(%file_id, size = len, "part stored");
        let mut out =
            UploadPartOutput { e_tag: Some(ETag::Strong(etag)), ..UploadPartOutput::default() };
        set_checksums(&mut out, &digests);
        Ok(S3Response::new(out))
    }
    .instrument(span)
    .await
}

/// The verifier for `input`'s body: MD5 always (the part ETag), the given
/// Content-MD5 and `x-amz-checksum-*` values, and announced trailers.
fn verifier(
    input: &UploadPartInput,
    body: StreamingBlob,
    announced: Vec<ChecksumAlgorithm>,
    trailers: Option<TrailingHeaders>,
) -> S3Result<VerifyingStream<StreamingBlob>> {
    let mut v = VerifyingStream::new(body);
    if let Some(md5) = &input.content_md5 {
        let md5 = decode_content_md5(md5).map_err(|e| error::from_checksum(&e, true))?;
        v = v.expect_md5(md5);
    }
    let given = [
        (ChecksumAlgorithm::Crc32, &input.checksum_crc32),
        (ChecksumAlgorithm::Crc32c, &input.checksum_crc32c),
        (ChecksumAlgorithm::Sha1, &input.checksum_sha1),
        (ChecksumAlgorithm::Sha256, &input.checksum_sha256),
        (ChecksumAlgorithm::Crc64Nvme, &input.checksum_crc64nvme),
    ];
    for (algorithm, value) in given {
        if let Some(text) = value {
            let c = Checksum::from_base64(algorithm, text)
                .map_err(|e| error::from_checksum(&e, false))?;
            v = v.expect(c);
        }
    }
    if !announced.is_empty() {
        let names = announced.clone();
        v = v.expect_trailer(announced, move || trailer_values(&names, trailers.as_ref()));
    }
    Ok(v)
}

/// Echoes the verified checksums the way S3 does.
fn set_checksums(out: &mut UploadPartOutput, digests: &Digests) {
    let get = |a| digests.checksum(a).map(Checksum::to_base64);
    out.checksum_crc32 = get(ChecksumAlgorithm::Crc32);
    out.checksum_crc32c = get(ChecksumAlgorithm::Crc32c);
    out.checksum_sha1 = get(ChecksumAlgorithm::Sha1);
    out.checksum_sha256 = get(ChecksumAlgorithm::Sha256);
    out.checksum_crc64nvme = get(ChecksumAlgorithm::Crc64Nvme);
}
