//! PutObject: the body streams through a [`VerifyingStream`] (MD5 for the
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

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use fdfs_protocol::client::{Content, storage_socket_addr};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::filename::validate_ext;
use fdfs_protocol::storage::FileIdResponse;
use futures_util::StreamExt;
use s3s::dto::{PutObjectInput, PutObjectOutput, StreamingBlob};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result, TrailingHeaders};
use tokio::io::AsyncReadExt;
use tokio_util::io::StreamReader;
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::limits::check_new_object;
use super::{Inner, error, now_ms, owner_of};
use crate::checksum::{
    Checksum, ChecksumAlgorithm, Digests, VerifyError, VerifyingStream, decode_content_md5,
};
use crate::index::{Bucket, Intent, NewObject, ObjectData, ObjectMeta, random_id};
use crate::rebuild::tags::FileTag;

mod tagging;
pub(super) use tagging::{merge_tags, record_alias};

/// The verification failure of the body, kept for the reply: the upload
/// only sees it as an I/O error.
pub(super) type FailureCell = Arc<Mutex<Option<VerifyError>>>;

pub async fn put_object(
    inner: &Inner,
    req: S3Request<PutObjectInput>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.put_object", bucket = %req.input.bucket, key = %req.input.key);
    async {
        let bucket = check_owner(inner, &req.input.bucket, &owner).await?;
        check_new_object(&req.input.key, req.input.metadata.as_ref())?;
        let announced = announced_trailers(&req.headers)?;
        let len = body_length(req.input.content_length, &req.headers)?;
        let S3Request { mut input, trailing_headers, .. } = req;
        let body = input.body.take().unwrap_or_else(|| StreamingBlob::from(s3s::Body::empty()));
        let verifying = verifier(&input, body, announced, trailing_headers)?;
        let tag = FileTag::object(&bucket.name, &input.key, input.content_type.as_deref());
        let Verified { token, file_id, digests } =
            upload_verified(inner, &owner, &bucket, &tag, len, verifying).await?;

        let etag = digests.etag();
        let mut meta = metadata(&input);
        for algorithm in ChecksumAlgorithm::ALL {
            if let Some(c) = digests.checksum(algorithm) {
                meta.checksums.insert(algorithm.as_str().to_string(), c.to_base64());
            }
        }
        let object = NewObject {
            data: ObjectData::Single(file_id.clone()),
            size: len,
            etag: etag.clone(),
            meta,
            last_modified_ms: now_ms(),
        };
        let (b, k) = (bucket.name.clone(), input.key.clone());
        let released = inner
            .index
            .write(move |ix| ix.put_object(&b, &k, &object, Some(&token)))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        if !released.is_empty() {
            inner.deletes.notify_one();
        }
        tracing::debug!(%file_id, size = len, "stored");
        let mut out = PutObjectOutput {
            e_tag: Some(s3s::dto::ETag::Strong(etag)),
            size: Some(i64::try_from(len).unwrap_or(i64::MAX)),
            ..PutObjectOutput::default()
        };
        set_checksums(&mut out, &digests);
        Ok(S3Response::new(out))
    }
    .instrument(span)
    .await
}

/// A body stored on a storage under its upload intent, every check passed.
pub(super) struct Verified {
    /// The upload intent, to finish with the index write that records it.
    pub token: String,
    /// Where the bytes are.
    pub file_id: String,
    /// MD5 and checksums of the body.
    pub digests: Digests,
}

/// The verified upload path PutObject and UploadPart share: records an
/// upload intent for `tag`'s key, streams `len` bytes of `verifying` to a
/// storage of `bucket`'s home group (the file tagged with `tag`), then
/// requires the body to end exactly there
/// and pass every check. On any failure after the intent, the intent is
/// abandoned (its file queued for deletion) and the S3 error returned.
pub(super) async fn upload_verified(
    inner: &Inner,
    owner: &str,
    bucket: &Bucket,
    tag: &FileTag,
    len: u64,
    verifying: VerifyingStream<StreamingBlob>,
) -> S3Result<Verified> {
    let slot = verifying.slot();
    let failure: FailureCell = Arc::default();
    let cell = Arc::clone(&failure);
    let stream = verifying.map(move |item| {
        item.map_err(|e| {
            let io = io::Error::other(e.to_string());
            *cell.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
            io
        })
    });
    let mut reader = StreamReader::new(stream);

    // Intent first, so a crash between the upload and the row leaves a
    // findable orphan.
    let token = random_id(now_ms());
    let intent = Intent {
        token: token.clone(),
        bucket: bucket.name.clone(),
        key: tag.key.clone(),
        group: bucket.home_group.clone(),
        started_ms: now_ms(),
        file_id: None,
    };
    inner
        .index
        .write(move |ix| ix.begin_intent(&intent))
        .await
        .map_err(|e| error::from_index(e, owner))?;

    let stored = match store(inner, &bucket.home_group, tag, len, &mut reader).await {
        Ok(stored) => stored,
        Err(e) => {
            reject(inner, token).await;
            return Err(upload_failure(e, &failure, len));
        }
    };
    let file_id = stored.file_id();
    let (t, f) = (token.clone(), file_id.clone());
    if let Err(e) = inner.index.write(move |ix| ix.attach_intent_file(&t, &f)).await {
        // The file stays an orphan for the sweep to find.
        return Err(error::from_index(e, owner));
    }

    // The storage took exactly `len` bytes; the body must end there,
    // and reaching its end runs the final verification.
    let mut probe = [0u8; 1];
    let end = reader.read(&mut probe).await;
    let verdict = match (end, slot.take()) {
        (Ok(0), Some(digests)) => Ok(digests),
        (Ok(0), None) => Err(error::internal("body ended without digests")),
        (Ok(_), _) => Err(S3Error::with_message(
            S3ErrorCode::IncompleteBody,
            "the body is longer than its Content-Length",
        )),
        (Err(_), _) => Err(failure_reply(&failure)),
    };
    let digests = match verdict {
        Ok(d) => d,
        Err(reply) => {
            reject(inner, token).await;
            return Err(reply);
        }
    };
    Ok(Verified { token, file_id, digests })
}

/// Uploads `len` bytes from `reader` to a storage of `group` the tracker
/// picks, with `tag` in the file's metadata (one request where the storage
/// supports it).
pub(super) async fn store<R>(
    inner: &Inner,
    group: &str,
    tag: &FileTag,
    len: u64,
    reader: &mut R,
) -> Result<FileIdResponse, ConnError>
where
    R: tokio::io::AsyncRead + Unpin,
{
    let target = inner.tracker.query_store(Some(group)).await?;
    let addr = storage_socket_addr(&target.storage)?;
    let content = Content { len, reader };
    let ext = extension(&tag.key);
    let meta = tag.to_metadata();
    inner.storage.upload_with_metadata(addr, target.store_path_index, ext, &meta, content).await
}

/// The reply for a failed upload: the body's verification failure when
/// there was one, else what the cluster said.
pub(super) fn upload_failure(e: ConnError, failure: &FailureCell, len: u64) -> S3Error {
    if failure.lock().unwrap_or_else(PoisonError::into_inner).is_some() {
        return failure_reply(failure);
    }
    match &e {
        ConnError::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof => S3Error::with_message(
            S3ErrorCode::IncompleteBody,
            format!("the body is shorter than its Content-Length {len}"),
        ),
        ConnError::ShortContent { .. } => {
            S3Error::with_message(S3ErrorCode::IncompleteBody, e.to_string())
        }
        _ => error::from_conn(e),
    }
}

pub(super) fn failure_reply(failure: &FailureCell) -> S3Error {
    match failure.lock().unwrap_or_else(PoisonError::into_inner).take() {
        Some(e) => error::from_verify(&e),
        None => S3Error::with_message(S3ErrorCode::IncompleteBody, "request body failed"),
    }
}

/// Drops a rejected upload: its intent is abandoned, which queues the
/// stored file for deletion.
pub(super) async fn reject(inner: &Inner, token: String) {
    match inner.index.write(move |ix| ix.abandon_intent(&token, now_ms())).await {
        Ok(Some(_)) => inner.deletes.notify_one(),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot abandon upload intent"),
    }
}

/// The verifier for `input`'s body: MD5 always (the ETag), the given
/// Content-MD5 and `x-amz-checksum-*` values, and announced trailers.
fn verifier(
    input: &PutObjectInput,
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

/// The checksum algorithms `x-amz-trailer` announces (other trailers are
/// ignored).
pub(super) fn announced_trailers(headers: &http::HeaderMap) -> S3Result<Vec<ChecksumAlgorithm>> {
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
pub(super) fn trailer_values(
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

/// The length of the object a PUT or UploadPart body carries: its
/// Content-Length, or for an aws-chunked body sent with
/// `Transfer-Encoding: chunked` (boto3 over TLS) the
/// `x-amz-decoded-content-length` it announces. Without either, S3
/// answers 411 MissingContentLength.
pub(super) fn body_length(content_length: Option<i64>, headers: &http::HeaderMap) -> S3Result<u64> {
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

/// The object's stored attributes from the request headers.
fn metadata(input: &PutObjectInput) -> ObjectMeta {
    ObjectMeta {
        content_type: input.content_type.clone(),
        content_encoding: input.content_encoding.clone(),
        content_disposition: input.content_disposition.clone(),
        content_language: input.content_language.clone(),
        cache_control: input.cache_control.clone(),
        expires: input.expires.as_ref().and_then(super::conditions::http_date),
        storage_class: input.storage_class.as_ref().map(|s| s.as_str().to_string()),
        user: input
            .metadata
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect())
            .unwrap_or_default(),
        checksums: Default::default(),
    }
}

/// Echoes the verified checksums the way S3 does.
fn set_checksums(out: &mut PutObjectOutput, digests: &crate::checksum::Digests) {
    let get = |a| digests.checksum(a).map(Checksum::to_base64);
    out.checksum_crc32 = get(ChecksumAlgorithm::Crc32);
    out.checksum_crc32c = get(ChecksumAlgorithm::Crc32c);
    out.checksum_sha1 = get(ChecksumAlgorithm::Sha1);
    out.checksum_sha256 = get(ChecksumAlgorithm::Sha256);
    out.checksum_crc64nvme = get(ChecksumAlgorithm::Crc64Nvme);
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
