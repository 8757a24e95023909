//! Body integrity for the S3 gateway: `Content-MD5`, `x-amz-checksum-*`
//! and the whole-object values of multipart uploads.
//!
//! `s3s` parses the checksum headers and trailers but verifies none of
//! them, so the gateway does, in one pass over each body as it streams to
//! a storage server ([`VerifyingStream`] over a [`MultiHasher`]). The
//! multipart helpers ([`multipart_etag`], [`composite_checksum`],
//! [`full_object_checksum`]) derive what CompleteMultipartUpload reports
//! from the per-part values the index keeps.
//!
//! Nothing here does I/O or depends on `s3s`; mapping [`VerifyError`] and
//! [`ChecksumError`] to S3 error codes is the gateway's job.

mod algorithm;
mod combine;
mod error;
mod hasher;
mod multipart;
mod value;
mod verify;

#[cfg(test)]
mod tests;

pub use algorithm::ChecksumAlgorithm;
pub use combine::crc_combine;
pub use error::{AlgorithmOrMd5, BoxError, ChecksumError, VerifyError};
pub use hasher::{Digests, Hasher, MultiHasher};
pub use multipart::{
    CompositeChecksum, composite_checksum, full_object_checksum, multipart_etag, object_checksums,
};
pub use value::{Checksum, decode_content_md5, encode_content_md5};
pub use verify::{DigestSlot, TrailerFn, VerifyingStream};
