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
        | IndexError::Closed
        | IndexError::JobPanicked
        | IndexError::GroupCommit(_) => return internal(e),
    };
    S3Error::with_message(code, msg)
}

/// The S3 error for a tracker or storage failure.
pub fn from_conn(e: ConnError) -> S3Error {
    match e.status() {
        Status::ENOENT => S3Error::with_message(S3ErrorCode::NoSuchKey, e.to_string()),
        Status::ENOSPC => {
            S3Error::with_message(S3ErrorCode::ServiceUnavailable, format!("no storage space: {e}"))
        }
        _ => {
            tracing::warn!(error = %e, "cluster request failed");
            S3Error::with_message(S3ErrorCode::ServiceUnavailable, format!("cluster: {e}"))
        }
    }
}

/// The S3 error for a body that failed verification.
pub fn from_verify(e: &VerifyError) -> S3Error {
    match e {
        VerifyError::BadDigest => S3Error::with_message(S3ErrorCode::BadDigest, e.to_string()),
        VerifyError::ChecksumMismatch { .. } => checksum_mismatch(e.to_string()),
        VerifyError::MissingChecksum { .. } => {
            S3Error::with_message(S3ErrorCode::InvalidRequest, e.to_string())
        }
        VerifyError::Body(_) => S3Error::with_message(S3ErrorCode::IncompleteBody, e.to_string()),
    }
}

/// `XAmzContentChecksumMismatch` (400): not among `s3s`'s known codes.
pub fn checksum_mismatch(msg: String) -> S3Error {
    let mut err =
        S3Error::with_message(S3ErrorCode::Custom("XAmzContentChecksumMismatch".into()), msg);
    err.set_status_code(http::StatusCode::BAD_REQUEST);
    err
}

/// The S3 error for a malformed checksum header (`InvalidDigest` for
/// Content-MD5, `InvalidRequest` for `x-amz-checksum-*`).
pub fn from_checksum(e: &ChecksumError, md5: bool) -> S3Error {
    let code = if md5 { S3ErrorCode::InvalidDigest } else { S3ErrorCode::InvalidRequest };
    S3Error::with_message(code, e.to_string())
}

/// `InternalError`, logged: for failures that are ours, not the client's.
pub fn internal(e: impl std::fmt::Display) -> S3Error {
    tracing::error!(error = %e, "internal error");
    S3Error::with_message(S3ErrorCode::InternalError, "internal error; see the gateway log")
}
