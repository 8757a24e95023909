//! Errors of checksum parsing, combination and verification.
//!
//! Two kinds: [`ChecksumError`] for malformed input (names, encodings,
//! lengths — S3's `InvalidRequest` / `InvalidArgument`) and [`VerifyError`]
//! for a body whose bytes do not match what the client declared (S3's
//! `BadDigest`) or that failed to arrive.

use std::error::Error as StdError;
use std::io;

use super::algorithm::ChecksumAlgorithm;

/// Boxed error of an underlying body stream (the shape `s3s` uses).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A malformed checksum name, value or combination request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    /// Not one of `CRC32`, `CRC32C`, `SHA1`, `SHA256`, `CRC64NVME`.
    #[error("unknown checksum algorithm {0:?}")]
    UnknownAlgorithm(String),
    /// A value that is not valid standard base64 (or `Content-MD5` that is
    /// not 16 bytes of base64).
    #[error("invalid base64 in {algorithm} checksum value")]
    InvalidEncoding {
        /// Algorithm (or `None` for `Content-MD5`) the value was for.
        algorithm: AlgorithmOrMd5,
    },
    /// Decoded value has the wrong length for its algorithm.
    #[error("{algorithm} checksum must be {expected} bytes, got {actual}")]
    InvalidLength {
        /// Algorithm (or MD5) the value was for.
        algorithm: AlgorithmOrMd5,
        /// Bytes the algorithm produces.
        expected: usize,
        /// Bytes decoded.
        actual: usize,
    },
    /// Part checksums of different algorithms were combined.
    #[error("part checksum is {actual}, expected {expected}")]
    MixedAlgorithms {
        /// Algorithm of the combination.
        expected: ChecksumAlgorithm,
        /// Algorithm of the offending part.
        actual: ChecksumAlgorithm,
    },
    /// A full-object combination was asked of SHA-1 or SHA-256.
    #[error("{0} cannot be combined into a full-object checksum")]
    NotCombinable(ChecksumAlgorithm),
    /// Combining an empty list of parts.
    #[error("no parts to combine")]
    NoParts,
}

/// Names either a checksum algorithm or MD5 (`Content-MD5`) in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgorithmOrMd5 {
    /// One of the `x-amz-checksum-*` algorithms.
    Algorithm(ChecksumAlgorithm),
    /// `Content-MD5`.
    Md5,
}

impl std::fmt::Display for AlgorithmOrMd5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Algorithm(a) => a.fmt(f),
            Self::Md5 => f.write_str("MD5"),
        }
    }
}

/// Why a verified body stream failed.
///
/// The gateway maps [`VerifyError::BadDigest`] to S3 `BadDigest`,
/// [`VerifyError::ChecksumMismatch`] to `BadDigest` too (as AWS does),
/// [`VerifyError::MissingChecksum`] to
/// `InvalidRequest` and [`VerifyError::Body`] to whatever the transport
/// error warrants (usually `IncompleteBody` or a dropped connection).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The underlying body stream failed.
    #[error("request body: {0}")]
    Body(#[source] BoxError),
    /// The MD5 of the body differs from `Content-MD5`.
    #[error("the Content-MD5 you specified did not match what was received")]
    BadDigest,
    /// The body's checksum differs from the declared `x-amz-checksum-*`.
    #[error("the {algorithm} checksum you specified did not match what was received")]
    ChecksumMismatch {
        /// The algorithm whose value differed.
        algorithm: ChecksumAlgorithm,
    },
    /// A checksum announced for the trailer (`x-amz-trailer`) never came,
    /// or a trailer carried one that was not announced.
    #[error("the {algorithm} checksum was announced but not provided")]
    MissingChecksum {
        /// The algorithm concerned.
        algorithm: ChecksumAlgorithm,
    },
}

impl VerifyError {
    /// Whether the body arrived whole but did not match (as opposed to a
    /// transport failure).
    pub fn is_mismatch(&self) -> bool {
        !matches!(self, Self::Body(_))
    }
}

impl From<VerifyError> for io::Error {
    /// Keeps the [`VerifyError`] as the inner error, so code reading
    /// through `tokio_util::io::StreamReader` can downcast it back.
    fn from(e: VerifyError) -> Self {
        let kind = if e.is_mismatch() { io::ErrorKind::InvalidData } else { io::ErrorKind::Other };
        io::Error::new(kind, e)
    }
}
