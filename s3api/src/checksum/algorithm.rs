//! The five checksum algorithms S3 accepts, and their names.
//!
//! S3 names an algorithm three ways: the value of `x-amz-checksum-algorithm`
//! / `x-amz-sdk-checksum-algorithm` (`CRC32`, …), the header that carries a
//! value (`x-amz-checksum-crc32`, …) and the XML elements of responses
//! (`ChecksumCRC32`, …). Clients are not consistent about case, so parsing
//! ignores it.

use std::fmt;
use std::str::FromStr;

use super::error::ChecksumError;

/// A checksum algorithm S3 supports for object integrity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, the zlib/Ethernet CRC), 4 bytes big-endian.
    Crc32,
    /// CRC-32C (Castagnoli, iSCSI), 4 bytes big-endian.
    Crc32c,
    /// SHA-1, 20 bytes.
    Sha1,
    /// SHA-256, 32 bytes.
    Sha256,
    /// CRC-64/NVME, 8 bytes big-endian; S3's default for new uploads.
    Crc64Nvme,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Self; 5] =
        [Self::Crc32, Self::Crc32c, Self::Sha1, Self::Sha256, Self::Crc64Nvme];

    /// The S3 name, as in `x-amz-checksum-algorithm: CRC32C`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Crc64Nvme => "CRC64NVME",
        }
    }

    /// The (lower-case) header that carries a value of this algorithm,
    /// e.g. `x-amz-checksum-crc32c`; also the name used in `x-amz-trailer`.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
        }
    }

    /// Parses a header name such as `X-Amz-Checksum-CRC32` (any case).
    /// Returns `None` for any other header.
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.header_name().eq_ignore_ascii_case(name))
    }

    /// Length in bytes of a raw value of this algorithm.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// Whether this is a CRC, whose whole-object value can be combined from
    /// part values (S3's `FULL_OBJECT` checksum type for multipart uploads).
    pub fn is_crc(self) -> bool {
        matches!(self, Self::Crc32 | Self::Crc32c | Self::Crc64Nvme)
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChecksumAlgorithm {
    type Err = ChecksumError;

    /// Parses an S3 algorithm name (`CRC32`, `crc64nvme`, …; any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ChecksumError::UnknownAlgorithm(truncate(s)))
    }
}

/// Bounds how much of a client-supplied string an error message keeps.
pub(super) fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}
