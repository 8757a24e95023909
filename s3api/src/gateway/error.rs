//! Our failures as S3 errors, by an explicit table: every index, storage
//! and checksum failure a client can cause has its own S3 code, and
//! `InternalError` is kept for true internals (a corrupt index, a stopped
//! worker), so SDK retry logic and users see what actually went wrong.

use fdfs_protocol::Status;
use fdfs_protocol::connection::ConnError;
use s3s::{S3Error, S3ErrorCode};

use crate::checksum::{ChecksumError, VerifyError};
use crate::index::IndexError;

/// The S3 error for an index failure. `me` is the requester's owner name,
/// to tell BucketAlreadyOwnedByYou from BucketAlreadyExists.
pub fn from_index(e: IndexError, me: &str) -> S3Error {
    let (code, msg) = match &e {
        IndexError::NoSuchBucket(_) => (S3ErrorCode::NoSuchBucket, e.to_string()),
        IndexError::NoSuchKey { .. } => (S3ErrorCode::NoSuchKey, e.to_string()),
        IndexError::NoSuchVersion { .. } => {
            (S3ErrorCode::NoSuchVersion, "The specified version does not exist.".to_string())
        }
        IndexError::DeleteMarker { version_id, addressed, .. } => {
            return delete_marker(version_id, *addressed);
        }
        IndexError::BucketExists { owner, .. } if owner == me => {
            (S3ErrorCode::BucketAlreadyOwnedByYou, e.to_string())
        }
        IndexError::BucketExists { .. } => (S3ErrorCode::BucketAlreadyExists, e.to_string()),
        IndexError::BucketNotEmpty(_) => (S3ErrorCode::BucketNotEmpty, e.to_string()),
        IndexError::NoSuchUpload(_) => (S3ErrorCode::NoSuchUpload, e.to_string()),
        IndexError::InvalidPartNumber(_) | IndexError::InvalidArgument(_) => {
            (S3ErrorCode::InvalidArgument, e.to_string())
        }
        IndexError::InvalidPart(_) => (S3ErrorCode::InvalidPart, e.to_string()),
        IndexError::InvalidPartOrder => (S3ErrorCode::InvalidPartOrder, e.to_string()),
        IndexError::NoParts => (S3ErrorCode::MalformedXML, e.to_string()),
        IndexError::EntityTooSmall { .. } => (S3ErrorCode::EntityTooSmall, e.to_string()),
        IndexError::AccessKeyExists(_) => (S3ErrorCode::InvalidArgument, e.to_string()),
        IndexError::PreconditionFailed(_) => (S3ErrorCode::PreconditionFailed, e.to_string()),
        IndexError::ObjectLocked(_) => (S3ErrorCode::AccessDenied, e.to_string()),
        IndexError::InvalidBucketState(_) => (S3ErrorCode::InvalidBucketState, e.to_string()),
        // A write raced the delete queue or an abandoned intent: the client
        // may simply retry.
        IndexError::FileQueuedForDeletion(_) | IndexError::NoSuchIntent(_) => {
            (S3ErrorCode::ServiceUnavailable, e.to_string())
        }
        IndexError::Sqlite(_)
        | IndexError::Corrupt(_)
        | IndexError::FutureSchema { .. }
        | IndexError::NotAnIndex(_)
        | IndexError::Spawn(_)
        | IndexError::Files(..)
        | IndexError::Closed
        | IndexError::JobPanicked
        | IndexError::GroupCommit(_) => return internal(e),
    };
    S3Error::with_message(code, msg)
}

/// The answer to a read of a delete marker: 404 NoSuchKey when it is the
/// latest version, 405 MethodNotAllowed when the request named it by its
/// version ID; both carry `x-amz-delete-marker: true` and the marker's
/// `x-amz-version-id`, as on S3 (clients tell a deleted key by them).
pub fn delete_marker(version_id: &str, addressed: bool) -> S3Error {
    let mut e = if addressed {
        S3Error::with_message(
            S3ErrorCode::MethodNotAllowed,
            "The specified method is not allowed against this resource.",
        )
    } else {
        S3Error::with_message(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
    };
    let mut headers = http::HeaderMap::new();
    headers.insert("x-amz-delete-marker", http::HeaderValue::from_static("true"));
    if let Ok(v) = http::HeaderValue::from_str(version_id) {
        headers.insert("x-amz-version-id", v);
    }
    e.set_headers(headers);
    e
}

/// The S3 error for a tracker or storage failure.
pub fn from_conn(e: ConnError) -> S3Error {
    match e.status() {
        Status::ENOENT => S3Error::with_message(S3ErrorCode::NoSuchKey, e.to_string()),
        Status::ENOSPC => insufficient_storage(),
        _ => {
            tracing::warn!(error = %e, "cluster request failed");
            S3Error::with_message(S3ErrorCode::ServiceUnavailable, format!("cluster: {e}"))
        }
    }
}

/// The code of [`insufficient_storage`]. AWS has no error for a full
/// disk; this one is named after HTTP's 507 and WebDAV's usage of it.
pub const INSUFFICIENT_STORAGE: &str = "InsufficientStorage";

/// 507 InsufficientStorage: the tracker has no group with room above its
/// reserve, or the storage it picked has none left (FastDFS `ENOSPC`).
/// Not a 503: SDKs retry 503s at once, and a full cluster stays full until
/// an operator frees or adds space; uploads work again as soon as that
/// happens (storages re-report their free space within about a second).
pub fn insufficient_storage() -> S3Error {
    let mut e = S3Error::with_message(
        S3ErrorCode::Custom(INSUFFICIENT_STORAGE.into()),
        default_message(INSUFFICIENT_STORAGE),
    );
    e.set_status_code(http::StatusCode::INSUFFICIENT_STORAGE);
    e
}

/// The S3 error for a body that failed verification.
pub fn from_verify(e: &VerifyError) -> S3Error {
    match e {
        VerifyError::BadDigest => S3Error::with_message(S3ErrorCode::BadDigest, e.to_string()),
        // AWS answers a wrong x-amz-checksum-* value (header or trailer)
        // with BadDigest, as it does a wrong Content-MD5.
        VerifyError::ChecksumMismatch { .. } => {
            S3Error::with_message(S3ErrorCode::BadDigest, e.to_string())
        }
        VerifyError::MissingChecksum { .. } => {
            S3Error::with_message(S3ErrorCode::InvalidRequest, e.to_string())
        }
        VerifyError::Body(source) if chunk_signature_mismatch(source.as_ref()) => {
            S3Error::with_message(
                S3ErrorCode::SignatureDoesNotMatch,
                "The chunk signature of an aws-chunked body does not match its bytes.",
            )
        }
        VerifyError::Body(_) => S3Error::with_message(S3ErrorCode::IncompleteBody, e.to_string()),
    }
}

/// The S3 error for a malformed checksum header (`InvalidDigest` for
/// Content-MD5, `InvalidRequest` for `x-amz-checksum-*`).
pub fn from_checksum(e: &ChecksumError, md5: bool) -> S3Error {
    use crate::checksum::AlgorithmOrMd5;
    let code = if md5 { S3ErrorCode::InvalidDigest } else { S3ErrorCode::InvalidRequest };
    // A malformed x-amz-checksum-* value reads as AWS words it.
    let message = match e {
        ChecksumError::InvalidEncoding { algorithm: AlgorithmOrMd5::Algorithm(a) }
        | ChecksumError::InvalidLength { algorithm: AlgorithmOrMd5::Algorithm(a), .. } => {
            format!("Value for {} header is invalid.", a.header_name())
        }
        _ => e.to_string(),
    };
    S3Error::with_message(code, message)
}

/// `InternalError`, logged: for failures that are ours, not the client's.
pub fn internal(e: impl std::fmt::Display) -> S3Error {
    tracing::error!(error = %e, "internal error");
    S3Error::with_message(S3ErrorCode::InternalError, "internal error; see the gateway log")
}

/// The description S3 documents for error `code`, for error bodies that
/// reached the wire without a `<Message>` (errors `s3s` raises itself
/// before a handler runs, e.g. InvalidBucketName). S3 always sends one,
/// and clients print "Unknown" without it.
pub fn default_message(code: &str) -> &'static str {
    match code {
        "AccessDenied" => "Access Denied",
        "AuthorizationHeaderMalformed" => "The authorization header you provided is invalid.",
        "AuthorizationQueryParametersError" => "The query parameters of the request are invalid.",
        "BadDigest" => "The Content-MD5 you specified did not match what we received.",
        "BucketAlreadyExists" => {
            "The requested bucket name is not available. The bucket namespace is shared by all \
             users of the system. Please select a different name and try again."
        }
        "BucketAlreadyOwnedByYou" => {
            "Your previous request to create the named bucket succeeded and you already own it."
        }
        "BucketNotEmpty" => "The bucket you tried to delete is not empty.",
        "ConditionalRequestConflict" => {
            "A conflicting operation occurred. If using PutObject you can retry the request. If \
             using multipart upload you should initiate another CreateMultipartUpload request \
             and re-upload each part."
        }
        "EntityTooLarge" => "Your proposed upload exceeds the maximum allowed object size.",
        "EntityTooSmall" => "Your proposed upload is smaller than the minimum allowed object size.",
        "ExpiredToken" => "The provided token has expired.",
        "IncompleteBody" => {
            "You did not provide the number of bytes specified by the Content-Length HTTP header."
        }
        "InsufficientStorage" => {
            "The storage cluster is out of space: no storage has room for this upload above its \
             reserved free space. Uploads resume as soon as space is freed or added."
        }
        "InternalError" => "We encountered an internal error. Please try again.",
        "InvalidAccessKeyId" => "The AWS access key ID you provided does not exist in our records.",
        "InvalidArgument" => "Invalid Argument",
        "InvalidBucketName" => "The specified bucket is not valid.",
        "InvalidDigest" => "The Content-MD5 you specified is not valid.",
        "InvalidPart" => {
            "One or more of the specified parts could not be found. The part might not have been \
             uploaded, or the specified entity tag might not have matched the part's entity tag."
        }
        "InvalidPartOrder" => {
            "The list of parts was not in ascending order. The parts list must be specified in \
             order by part number."
        }
        "InvalidRange" => "The requested range cannot be satisfied.",
        "InvalidRequest" => "Invalid Request",
        "InvalidStorageClass" => "The storage class you specified is not valid.",
        "InvalidURI" => "Couldn't parse the specified URI.",
        "KeyTooLongError" => "Your key is too long.",
        "MalformedXML" => {
            "The XML you provided was not well-formed or did not validate against our published \
             schema."
        }
        "MetadataTooLarge" => "Your metadata headers exceed the maximum allowed metadata size.",
        "MethodNotAllowed" => "The specified method is not allowed against this resource.",
        "MissingContentLength" => "You must provide the Content-Length HTTP header.",
        "MissingRequestBodyError" => "Request body is empty.",
        "MissingSecurityHeader" => "Your request is missing a required header.",
        "NoSuchBucket" => "The specified bucket does not exist.",
        "NoSuchKey" => "The specified key does not exist.",
        "NoSuchVersion" => "The specified version does not exist.",
        "NoSuchUpload" => {
            "The specified multipart upload does not exist. The upload ID might be invalid, or \
             the multipart upload might have been aborted or completed."
        }
        "NotImplemented" => "A header you provided implies functionality that is not implemented.",
        "PreconditionFailed" => "At least one of the preconditions you specified did not hold.",
        "RequestTimeTooSkewed" => {
            "The difference between the request time and the server's time is too large."
        }
        "RequestTimeout" => {
            "Your socket connection to the server was not read from or written to within the \
             timeout period."
        }
        "ServiceUnavailable" | "SlowDown" => "Please reduce your request rate.",
        "SignatureDoesNotMatch" => {
            "The request signature we calculated does not match the signature you provided. \
             Check your key and signing method."
        }
        "UnexpectedContent" => "This request does not support content.",
        "XAmzContentSHA256Mismatch" => {
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        }
        _ => "The request failed; the error code says why.",
    }
}

/// Whether a body error is `s3s`'s signed-chunk check failing. Its error
/// type is private to `s3s`, so it is recognised by its text, anywhere in
/// the source chain.
fn chunk_signature_mismatch(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        if err.to_string().contains("AwsChunkedStreamError: SignatureMismatch") {
            return true;
        }
        next = err.source();
    }
    false
}
