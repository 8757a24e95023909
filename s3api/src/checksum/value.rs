//! A checksum value and its wire form.
//!
//! S3 transmits every checksum as standard base64 (with padding) of the
//! raw digest: CRCs as big-endian integers (4 bytes for CRC32/CRC32C,
//! 8 for CRC64NVME), SHA digests as their bytes. `Content-MD5` is the same
//! shape for a 16-byte MD5. Decoding checks the length so a value of the
//! wrong algorithm can never be compared or combined.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::algorithm::ChecksumAlgorithm;
use super::error::{AlgorithmOrMd5, ChecksumError};

/// Longest base64 text any supported value can have (SHA-256: 44 chars);
/// longer input is rejected before decoding, bounding the allocation.
const MAX_BASE64_LEN: usize = 64;

/// A checksum of some bytes: its algorithm and raw digest.
///
/// The raw value always has [`ChecksumAlgorithm::digest_len`] bytes; the
/// constructors enforce it, which is why the fields are private.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    value: Vec<u8>,
}

impl Checksum {
    /// Wraps a raw digest, checking its length.
    pub fn new(algorithm: ChecksumAlgorithm, value: Vec<u8>) -> Result<Self, ChecksumError> {
        check_len(AlgorithmOrMd5::Algorithm(algorithm), algorithm.digest_len(), value.len())?;
        Ok(Self { algorithm, value })
    }

    /// Decodes the base64 form S3 uses in headers, trailers and XML.
    pub fn from_base64(algorithm: ChecksumAlgorithm, text: &str) -> Result<Self, ChecksumError> {
        let value = decode(AlgorithmOrMd5::Algorithm(algorithm), text)?;
        Self::new(algorithm, value)
    }

    /// Computes the checksum of `data` in one call.
    pub fn compute(algorithm: ChecksumAlgorithm, data: &[u8]) -> Self {
        let mut hasher = super::Hasher::new(algorithm);
        hasher.update(data);
        hasher.finish()
    }

    /// Builds a CRC checksum from its integer value (big-endian bytes).
    /// Returns `None` for SHA algorithms.
    pub fn from_crc(algorithm: ChecksumAlgorithm, crc: u64) -> Option<Self> {
        let value = match algorithm {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => {
                (crc as u32).to_be_bytes().to_vec()
            }
            ChecksumAlgorithm::Crc64Nvme => crc.to_be_bytes().to_vec(),
            ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => return None,
        };
        Some(Self { algorithm, value })
    }

    /// The CRC as an integer, or `None` for SHA algorithms.
    pub fn crc(&self) -> Option<u64> {
        if !self.algorithm.is_crc() {
            return None;
        }
        Some(self.value.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// The raw digest bytes.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// Consumes the checksum, returning the raw digest.
    pub fn into_value(self) -> Vec<u8> {
        self.value
    }

    /// The base64 form S3 transmits.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.value)
    }
}

/// Decodes a `Content-MD5` header value (base64 of the 16-byte MD5).
pub fn decode_content_md5(text: &str) -> Result<[u8; 16], ChecksumError> {
    let raw = decode(AlgorithmOrMd5::Md5, text)?;
    check_len(AlgorithmOrMd5::Md5, 16, raw.len())?;
    let mut out = [0u8; 16];
    out.copy_from_slice(&raw);
    Ok(out)
}

/// Encodes an MD5 digest as a `Content-MD5` header value.
pub fn encode_content_md5(md5: &[u8; 16]) -> String {
    STANDARD.encode(md5)
}

fn decode(algorithm: AlgorithmOrMd5, text: &str) -> Result<Vec<u8>, ChecksumError> {
    let text = text.trim();
    if text.len() > MAX_BASE64_LEN {
        return Err(ChecksumError::InvalidEncoding { algorithm });
    }
    STANDARD.decode(text).map_err(|_| ChecksumError::InvalidEncoding { algorithm })
}

fn check_len(
    algorithm: AlgorithmOrMd5,
    expected: usize,
    actual: usize,
) -> Result<(), ChecksumError> {
    if expected == actual {
        Ok(())
    } else {
        Err(ChecksumError::InvalidLength { algorithm, expected, actual })
    }
}
