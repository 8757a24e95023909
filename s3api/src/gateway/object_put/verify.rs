//! What a request says about its body, for the verifier PutObject and
//! UploadPart put in front of the upload: its length (Content-Length or
//! the aws-chunked decoded length), its Content-MD5 and `x-amz-checksum-*`
//! values, the checksums announced as trailers, and the echo of the
//! verified checksums in the reply. Both requests carry these under the
//! same field names, so one implementation serves both.

use s3s::dto::{PutObjectInput, PutObjectOutput, StreamingBlob, UploadPartInput, UploadPartOutput};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Result, TrailingHeaders};

use super::super::error;
use crate::checksum::{Checksum, ChecksumAlgorithm, Digests, VerifyingStream, decode_content_md5};

/// A request carrying an object's or a part's body.
pub(in crate::gateway) trait UploadInput {
    /// `Content-Length`.
    fn content_length(&self) -> Option<i64>;
    /// The body, taken out of the request.
    fn take_body(&mut self) -> Option<StreamingBlob>;
    /// `Content-MD5`.
    fn content_md5(&self) -> Option<&str>;
    /// The `x-amz-checksum-*` values given as headers.
    fn checksums(&self) -> [(ChecksumAlgorithm, Option<&str>); 5];
}

/// A reply echoing the verified checksums.
pub(in crate::gateway) trait EchoChecksums {
    /// Sets the `x-amz-checksum-*` values of `digests`, as S3 does.
    fn echo_checksums(&mut self, digests: &Digests);
}

/// Implements [`UploadInput`] and [`EchoChecksums`] for request and reply
/// types with the same field names.
macro_rules! digest_fields {
    ($($input:ty => $output:ty),+) => {$(
        impl UploadInput for $input {
            fn content_length(&self) -> Option<i64> {
                self.content_length
            }

            fn take_body(&mut self) -> Option<StreamingBlob> {
                self.body.take()
            }

            fn content_md5(&self) -> Option<&str> {
                self.content_md5.as_deref()
            }

            fn checksums(&self) -> [(ChecksumAlgorithm, Option<&str>); 5] {
                [
                    (ChecksumAlgorithm::Crc32, self.checksum_crc32.as_deref()),
                    (ChecksumAlgorithm::Crc32c, self.checksum_crc32c.as_deref()),
                    (ChecksumAlgorithm::Sha1, self.checksum_sha1.as_deref()),
                    (ChecksumAlgorithm::Sha256, self.checksum_sha256.as_deref()),
                    (ChecksumAlgorithm::Crc64Nvme, self.checksum_crc64nvme.as_deref()),
                ]
            }
        }

        impl EchoChecksums for $output {
            fn echo_checksums(&mut self, digests: &Digests) {
                let get = |a| digests.checksum(a).map(Checksum::to_base64);
                self.checksum_crc32 = get(ChecksumAlgorithm::Crc32);
                self.checksum_crc32c = get(ChecksumAlgorithm::Crc32c);
                self.checksum_sha1 = get(ChecksumAlgorithm::Sha1);
                self.checksum_sha256 = get(ChecksumAlgorithm::Sha256);
                self.checksum_crc64nvme = get(ChecksumAlgorithm::Crc64Nvme);
            }
        }
    )+};
}

digest_fields!(PutObjectInput => PutObjectOutput, UploadPartInput => UploadPartOutput);

/// The request's input, its body's length (see [`body_length`]) and the
/// body behind its verifier.
pub(in crate::gateway) fn verified_body<I: UploadInput>(
    req: S3Request<I>,
) -> S3Result<(I, u64, VerifyingStream<StreamingBlob>)> {
    let announced = announced_trailers(&req.headers)?;
    let len = body_length(req.input.content_length(), &req.headers)?;
    let S3Request { mut input, trailing_headers, .. } = req;
    let body = input.take_body().unwrap_or_else(|| StreamingBlob::from(s3s::Body::empty()));
    let verifying = verifier(&input, body, announced, trailing_headers)?;
    Ok((input, len, verifying))
}

/// The verifier for `input`'s body: MD5 always (the ETag), the given
/// Content-MD5 and `x-amz-checksum-*` values, and announced trailers.
fn verifier(
    input: &impl UploadInput,
    body: StreamingBlob,
    announced: Vec<ChecksumAlgorithm>,
    trailers: Option<TrailingHeaders>,
) -> S3Result<VerifyingStream<StreamingBlob>> {
    let mut v = VerifyingStream::new(body);
    if let Some(md5) = input.content_md5() {
        let md5 = decode_content_md5(md5).map_err(|e| error::from_checksum(&e, true))?;
        v = v.expect_md5(md5);
    }
    for (algorithm, value) in input.checksums() {
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

/// The checksum algorithms `x-amz-trailer` announces (other trailers are
/// ignored).
fn announced_trailers(headers: &http::HeaderMap) -> S3Result<Vec<ChecksumAlgorithm>> {
    let mut out = Vec::new();
    for value in headers.get_all("x-amz-trailer") {
        let text = value.to_str().map_err(|_| {
            S3Error::with_message(S3ErrorCode::InvalidRequest, "x-amz-trailer is not ASCII")
        })?;
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if let Some(algorithm) = ChecksumAlgorithm::from_header_name(name)
                && !out.contains(&algorithm)
            {
                out.push(algorithm);
            }
        }
    }
    Ok(out)
}

/// The announced checksum values found in the trailers; a malformed or
/// missing one is left out, which the verifier reports as missing.
fn trailer_values(
    names: &[ChecksumAlgorithm],
    trailers: Option<&TrailingHeaders>,
) -> Vec<Checksum> {
    let Some(trailers) = trailers else { return Vec::new() };
    trailers
        .read(|map| {
            names
                .iter()
                .filter_map(|&algorithm| {
                    let text = map.get(algorithm.header_name())?.to_str().ok()?;
                    Checksum::from_base64(algorithm, text.trim()).ok()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The length of the object a PUT or UploadPart body carries: its
/// Content-Length, or for an aws-chunked body sent with
/// `Transfer-Encoding: chunked` (boto3 over TLS) the
/// `x-amz-decoded-content-length` it announces. Without either, S3
/// answers 411 MissingContentLength.
fn body_length(content_length: Option<i64>, headers: &http::HeaderMap) -> S3Result<u64> {
    let decoded = || {
        headers
            .get("x-amz-decoded-content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    content_length.and_then(|l| u64::try_from(l).ok()).or_else(decoded).ok_or_else(|| {
        S3Error::with_message(
            S3ErrorCode::MissingContentLength,
            error::default_message("MissingContentLength"),
        )
    })
}
