//! The encryption side of CompleteMultipartUpload: its SSE-C headers and
//! the encryption headers of its reply.
//!
//! AWS answers the completion of an SSE-C upload with
//! `x-amz-server-side-encryption-customer-algorithm` and `-key-MD5`, and
//! of an SSE-S3 upload with `x-amz-server-side-encryption: AES256`.
//! `s3s` 0.14.1's `CompleteMultipartUploadOutput` has no field for the
//! customer headers, so they go out as extra response headers.
//!
//! The key's MD5 is never stored (the envelope keeps only a salted
//! verifier, `crate::crypto::Envelope`), so the reply can echo it only
//! when the request carries the key, as SDK transfer managers (s3transfer,
//! aws-cli `--sse-c`) do. A key given is checked before anything is
//! completed: a wrong one is 403 AccessDenied and the upload stays open;
//! SSE-C headers on an upload that is not SSE-C are 400. Without the
//! key, the completion goes ahead (the parts were already checked against
//! it) and the reply names the algorithm only.

use http::{HeaderMap, HeaderName, HeaderValue};
use s3s::S3Result;
use s3s::dto::{CompleteMultipartUploadInput, ServerSideEncryption};

use super::super::sse::{self, customer_key};
use super::super::transport::Transport;
use super::super::{Inner, error};
use crate::crypto::{CustomerKey, Envelope};
use crate::index::{IndexError, ObjectInfo};

const ALGORITHM: HeaderName =
    HeaderName::from_static("x-amz-server-side-encryption-customer-algorithm");
const KEY_MD5: HeaderName =
    HeaderName::from_static("x-amz-server-side-encryption-customer-key-md5");

/// The SSE-C key of `input`, checked against the open upload's envelope
/// (400 or 403 before completion, see the module docs); `None` when the
/// request gives none. An upload already gone (a retried completion) is
/// checked against the object in [`reply`].
pub(super) async fn check_key(
    inner: &Inner,
    owner: &str,
    input: &CompleteMultipartUploadInput,
    transport: Option<&Transport>,
) -> S3Result<Option<CustomerKey>> {
    let ck = customer_key(
        input.sse_customer_algorithm.as_deref(),
        input.sse_customer_key.as_deref(),
        input.sse_customer_key_md5.as_deref(),
        transport,
    )?;
    let Some(ck) = ck else { return Ok(None) };
    let (b, k, u) = (input.bucket.clone(), input.key.clone(), input.upload_id.clone());
    match inner.index.read(move |ix| ix.get_upload(&b, &k, &u)).await {
        Ok(upload) => {
            let stored = upload.meta.encryption.as_deref();
            sse::unlock(inner, stored, Some(&ck), &input.bucket, &input.key)?;
        }
        // The completion itself answers for an unknown upload.
        Err(IndexError::NoSuchUpload(_)) => {}
        Err(e) => return Err(error::from_index(e, owner)),
    }
    Ok(Some(ck))
}

/// The encryption of the completed object of `info` as reply fields:
/// `x-amz-server-side-encryption` for SSE-S3, and for SSE-C the extra
/// headers (the MD5 only when `given` is the object's key; a wrong one is
/// 403, for a retried completion whose upload was already gone).
pub(super) fn reply(
    inner: &Inner,
    info: &ObjectInfo,
    bucket: &str,
    given: Option<&CustomerKey>,
) -> S3Result<(Option<ServerSideEncryption>, HeaderMap)> {
    let mut headers = HeaderMap::new();
    let Some(bytes) = info.meta.encryption.as_deref() else {
        return Ok((None, headers));
    };
    let customer = Envelope::decode(bytes).is_ok_and(|e| e.is_customer());
    if !customer {
        return Ok((
            Some(ServerSideEncryption::from_static(ServerSideEncryption::AES256)),
            headers,
        ));
    }
    headers.insert(ALGORITHM, HeaderValue::from_static("AES256"));
    if let Some(ck) = given {
        sse::unlock(inner, Some(bytes), Some(ck), bucket, &info.key)?;
        if let Ok(v) = HeaderValue::from_str(ck.md5()) {
            headers.insert(KEY_MD5, v);
        }
    }
    Ok((None, headers))
}
