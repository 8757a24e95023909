//! Server-side encryption as the write and read paths see it: the
//! request's headers become a [`WriteSse`] (what a new object is to be) or
//! a customer key (what a read, or an UploadPart, unlocks the object
//! with); an object's stored envelope and the given key become its data
//! key, or the S3 error for a missing (400) or wrong (403) key.
//!
//! What is not built is refused, never silently ignored: SSE-KMS
//! (`aws:kms`, `aws:kms:dsse`) is 501 NotImplemented, an unknown
//! `x-amz-server-side-encryption` value 400 InvalidArgument. (The object
//! lock headers are `super::object_lock`'s.)
//! SSE-C keys are refused over plain HTTP unless the request counts as
//! secure (loopback, or a trusted proxy; see [`super::transport`]).

use s3s::dto::{CopyObjectInput, CreateMultipartUploadInput, PutObjectInput, ServerSideEncryption};
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::Inner;
use super::error;
use super::transport::Transport;
use crate::crypto::{CustomerKey, CustomerKeyError, DataKey, Envelope, EnvelopeError};

/// What a write asks the new object to be.
#[derive(Debug, Clone)]
pub(super) enum WriteSse {
    /// No encryption asked for.
    Plain,
    /// SSE-S3 (`x-amz-server-side-encryption: AES256`).
    S3,
    /// SSE-C with this key.
    Customer(CustomerKey),
}

/// A new object's encryption: its envelope (stored) and its data key
/// (in memory only).
#[derive(Debug, Clone)]
pub(super) struct Sealing {
    pub envelope: Envelope,
    pub data_key: DataKey,
    /// SSE-C: the key's MD5, which replies echo.
    pub customer_md5: Option<String>,
}

impl WriteSse {
    /// A fresh data key wrapped as asked, for object `bucket`/`key`;
    /// `None` for a plain object.
    pub(super) fn seal(&self, inner: &Inner, bucket: &str, key: &str) -> Option<Sealing> {
        let data_key = DataKey::generate();
        let (envelope, customer_md5) = match self {
            Self::Plain => return None,
            Self::S3 => (Envelope::seal_s3(&inner.master_key, bucket, key, &data_key), None),
            Self::Customer(ck) => {
                (Envelope::seal_customer(ck, bucket, key, &data_key), Some(ck.md5().to_string()))
            }
        };
        Some(Sealing { envelope, data_key, customer_md5 })
    }
}

/// The encryption headers of a request that makes an object.
pub(super) trait SseInput {
    /// `x-amz-server-side-encryption`.
    fn sse(&self) -> Option<&ServerSideEncryption>;
    /// The three SSE-C headers.
    fn sse_customer(&self) -> (Option<&str>, Option<&str>, Option<&str>);
    /// Whether any SSE-KMS-only header was given.
    fn kms_fields(&self) -> bool;
}

/// Implements [`SseInput`] for inputs with the same field names.
macro_rules! sse_input {
    ($($input:ty),+) => {$(
        impl SseInput for $input {
            fn sse(&self) -> Option<&ServerSideEncryption> {
                self.server_side_encryption.as_ref()
            }

            fn sse_customer(&self) -> (Option<&str>, Option<&str>, Option<&str>) {
                (
                    self.sse_customer_algorithm.as_deref(),
                    self.sse_customer_key.as_deref(),
                    self.sse_customer_key_md5.as_deref(),
                )
            }

            fn kms_fields(&self) -> bool {
                self.ssekms_key_id.is_some()
                    || self.ssekms_encryption_context.is_some()
                    || self.bucket_key_enabled == Some(true)
            }
        }
    )+};
}

sse_input!(PutObjectInput, CopyObjectInput, CreateMultipartUploadInput);

/// The encryption a PutObject, CopyObject (destination) or
/// CreateMultipartUpload asks for, or the S3 error refusing it.
pub(super) fn write_request(
    input: &impl SseInput,
    transport: Option<&Transport>,
) -> S3Result<WriteSse> {
    let (a, k, m) = input.sse_customer();
    let customer = customer_key(a, k, m, transport)?;
    let sse = input.sse().map(ServerSideEncryption::as_str);
    match sse {
        Some(ServerSideEncryption::AWS_KMS | ServerSideEncryption::AWS_KMS_DSSE) => {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "SSE-KMS is not implemented; use AES256 (SSE-S3) or SSE-C",
            ));
        }
        Some(ServerSideEncryption::AES256) | None => {}
        Some(other) => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                format!("the server side encryption {other:?} is not valid"),
            ));
        }
    }
    if input.kms_fields() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "SSE-KMS headers require x-amz-server-side-encryption: aws:kms",
        ));
    }
    match (sse, customer) {
        (Some(_), Some(_)) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Server Side Encryption with Customer provided key is incompatible with the \
             encryption method specified",
        )),
        (Some(_), None) => Ok(WriteSse::S3),
        (None, Some(ck)) => Ok(WriteSse::Customer(ck)),
        (None, None) => Ok(WriteSse::Plain),
    }
}

/// The SSE-C key of headers `algorithm`, `key`, `md5`, checked as S3
/// checks it, refused over an insecure transport; `None` when absent.
pub(super) fn customer_key(
    algorithm: Option<&str>,
    key: Option<&str>,
    md5: Option<&str>,
    transport: Option<&Transport>,
) -> S3Result<Option<CustomerKey>> {
    let ck = CustomerKey::from_headers(algorithm, key, md5).map_err(|e| match e {
        CustomerKeyError::Algorithm => {
            S3Error::with_message(S3ErrorCode::InvalidEncryptionAlgorithmError, e.to_string())
        }
        _ => S3Error::with_message(S3ErrorCode::InvalidArgument, e.to_string()),
    })?;
    if ck.is_some() && !transport.is_some_and(|t| t.secure) {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Requests specifying Server Side Encryption with Customer provided keys must be \
             made over a secure connection.",
        ));
    }
    Ok(ck)
}

/// What a read of an encrypted object needs: its data key, and the
/// headers the reply carries.
#[derive(Debug, Clone)]
pub(super) struct Unlocked {
    pub data_key: DataKey,
    /// SSE-C: the key's MD5; `None` for SSE-S3.
    pub customer_md5: Option<String>,
}

/// Opens the envelope `stored` of object `bucket`/`key` with `customer`
/// (the request's SSE-C key): `None` for a plain object.
pub(super) fn unlock(
    inner: &Inner,
    stored: Option<&[u8]>,
    customer: Option<&CustomerKey>,
    bucket: &str,
    key: &str,
) -> S3Result<Option<Unlocked>> {
    let data_key = unlock_with(&inner.master_key, stored, customer, bucket, key)?;
    Ok(data_key
        .map(|data_key| Unlocked { data_key, customer_md5: customer.map(|c| c.md5().to_string()) }))
}

/// [`unlock`] with the master key `master`: the data key only.
pub(super) fn unlock_with(
    master: &crate::crypto::MasterKey,
    stored: Option<&[u8]>,
    customer: Option<&CustomerKey>,
    bucket: &str,
    key: &str,
) -> S3Result<Option<DataKey>> {
    let Some(bytes) = stored else {
        if customer.is_some() {
            return Err(not_applicable());
        }
        return Ok(None);
    };
    let envelope =
        Envelope::decode(bytes).map_err(|e| error::internal(format!("object {key:?}: {e}")))?;
    let data_key = envelope.open(master, customer, bucket, key).map_err(|e| match e {
        EnvelopeError::WrongKey => S3Error::with_message(
            S3ErrorCode::AccessDenied,
            "The provided customer key does not match the object's",
        ),
        EnvelopeError::KindMismatch if envelope.is_customer() => S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "The object was stored using a form of Server Side Encryption. The correct \
             parameters must be provided to retrieve the object.",
        ),
        EnvelopeError::KindMismatch => not_applicable(),
        other => error::internal(format!("object {key:?}: {other}")),
    })?;
    Ok(Some(data_key))
}

fn not_applicable() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        "The encryption parameters are not applicable to this object.",
    )
}

/// The reply headers of an object encrypted as `envelope` (with the
/// SSE-C key of MD5 `customer_md5`): `(x-amz-server-side-encryption,
/// algorithm, key MD5)`.
pub(super) fn reply_headers(
    customer_md5: Option<&str>,
    encrypted: bool,
) -> (Option<ServerSideEncryption>, Option<String>, Option<String>) {
    match (encrypted, customer_md5) {
        (false, _) => (None, None, None),
        (true, None) => {
            (Some(ServerSideEncryption::from_static(ServerSideEncryption::AES256)), None, None)
        }
        (true, Some(md5)) => (None, Some("AES256".to_string()), Some(md5.to_string())),
    }
}

/// The ETag of an SSE-C object: not the MD5 of its plaintext (which would
/// leak a hash of the data to whoever lists the bucket), but a keyed hash
/// of it under the object's data key, as opaque as AWS's.
pub(super) fn customer_etag(data_key: &DataKey, md5_hex: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&data_key.0)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(b"fdfs-sse-c-etag-v1");
    mac.update(md5_hex.as_bytes());
    let out = mac.finalize().into_bytes();
    out[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The SSE-C headers of a request that reads or adds to an object.
pub(super) trait SseCustomerFields {
    /// The bucket.
    fn bucket(&self) -> &str;
    /// The three SSE-C headers.
    fn sse_customer(&self) -> (Option<&str>, Option<&str>, Option<&str>);
}

/// Implements [`SseCustomerFields`] for inputs with the same field names.
macro_rules! sse_customer_fields {
    ($($input:ty),+) => {$(
        impl SseCustomerFields for $input {
            fn bucket(&self) -> &str {
                &self.bucket
            }

            fn sse_customer(&self) -> (Option<&str>, Option<&str>, Option<&str>) {
                (
                    self.sse_customer_algorithm.as_deref(),
                    self.sse_customer_key.as_deref(),
                    self.sse_customer_key_md5.as_deref(),
                )
            }
        }
    )+};
}

sse_customer_fields!(
    s3s::dto::GetObjectInput,
    s3s::dto::HeadObjectInput,
    s3s::dto::UploadPartInput,
    s3s::dto::UploadPartCopyInput,
    s3s::dto::GetObjectAttributesInput
);

/// 501 NotImplemented for `what`.
pub(super) fn not_built(what: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NotImplemented,
        format!("server-side encryption is not implemented for {what}"),
    )
}

/// The data key of multipart upload `upload` for a part request with
/// `input`'s SSE-C headers (required and checked for an SSE-C upload,
/// refused for any other): `None` for a plain upload.
pub(super) fn unlock_part(
    inner: &Inner,
    upload: &crate::index::Upload,
    input: &impl SseCustomerFields,
    transport: Option<&Transport>,
) -> S3Result<Option<Unlocked>> {
    let (a, k, m) = input.sse_customer();
    let customer = customer_key(a, k, m, transport)?;
    let stored = upload.meta.encryption.as_deref();
    unlock(inner, stored, customer.as_ref(), &upload.bucket, &upload.key)
}

/// The ETag of a body of plaintext MD5 `md5_hex` stored as `sealed`:
/// the MD5 but for SSE-C (see [`customer_etag`]).
pub(super) fn etag_of(sealed: Option<&Unlocked>, md5_hex: String) -> String {
    match sealed {
        Some(u) if u.customer_md5.is_some() => customer_etag(&u.data_key, &md5_hex),
        _ => md5_hex,
    }
}

/// The reply headers of a body stored as `sealed`.
pub(super) fn unlocked_headers(
    sealed: Option<&Unlocked>,
) -> (Option<ServerSideEncryption>, Option<String>, Option<String>) {
    reply_headers(sealed.and_then(|u| u.customer_md5.as_deref()), sealed.is_some())
}
