//! Whole-object values of multipart uploads.
//!
//! S3 does not hash a multipart object's bytes; CompleteMultipartUpload
//! derives its values from the parts:
//!
//! - ETag: MD5 of the concatenated raw part MD5s, hex, then `-N`.
//! - `COMPOSITE` checksum (any algorithm but CRC64NVME): the same
//!   algorithm over the concatenated raw part checksums, base64, `-N`.
//! - `FULL_OBJECT` checksum (CRC32, CRC32C, CRC64NVME only): the CRC of
//!   the whole object, combined from part CRCs and lengths
//!   ([`super::crc_combine`]); no suffix.

use std::collections::BTreeMap;
use std::fmt;

use md5::{Digest as _, Md5};

use super::algorithm::ChecksumAlgorithm;
use super::combine::crc_combine;
use super::error::ChecksumError;
use super::hasher::{Hasher, hex};
use super::value::Checksum;

/// The ETag of a multipart object from its parts' MD5s, in part order:
/// `hex(md5(md5_1 ‖ … ‖ md5_N))-N`, unquoted.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut md5 = Md5::new();
    for part in part_md5s {
        md5.update(part);
    }
    let digest: [u8; 16] = md5.finalize().into();
    format!("{}-{}", hex(&digest), part_md5s.len())
}

/// A checksum-of-checksums with its part count (S3's `COMPOSITE` type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositeChecksum {
    /// The algorithm applied to the concatenated raw part checksums.
    pub checksum: Checksum,
    /// How many parts went in.
    pub parts: usize,
}

impl CompositeChecksum {
    /// The value as S3 sends it: `base64-N`.
    pub fn to_header_value(&self) -> String {
        format!("{}-{}", self.checksum.to_base64(), self.parts)
    }
}

impl fmt::Display for CompositeChecksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_header_value())
    }
}

/// The `COMPOSITE` checksum of `parts` (in part order), all of which must
/// be of `algorithm`.
pub fn composite_checksum(
    algorithm: ChecksumAlgorithm,
    parts: &[Checksum],
) -> Result<CompositeChecksum, ChecksumError> {
    if parts.is_empty() {
        return Err(ChecksumError::NoParts);
    }
    let mut hasher = Hasher::new(algorithm);
    for part in parts {
        same_algorithm(algorithm, part)?;
        hasher.update(part.value());
    }
    Ok(CompositeChecksum { checksum: hasher.finish(), parts: parts.len() })
}

/// The `FULL_OBJECT` checksum from `(part checksum, part length)` pairs in
/// part order: the CRC the whole object would have. CRC algorithms only.
pub fn full_object_checksum(
    algorithm: ChecksumAlgorithm,
    parts: &[(Checksum, u64)],
) -> Result<Checksum, ChecksumError> {
    if !algorithm.is_crc() {
        return Err(ChecksumError::NotCombinable(algorithm));
    }
    let Some(((first, _), rest)) = parts.split_first() else {
        return Err(ChecksumError::NoParts);
    };
    same_algorithm(algorithm, first)?;
    let mut crc = first.crc().ok_or(ChecksumError::NotCombinable(algorithm))?;
    for (part, len) in rest {
        same_algorithm(algorithm, part)?;
        let part_crc = part.crc().ok_or(ChecksumError::NotCombinable(algorithm))?;
        crc = crc_combine(algorithm, crc, part_crc, *len)
            .ok_or(ChecksumError::NotCombinable(algorithm))?;
    }
    Checksum::from_crc(algorithm, crc).ok_or(ChecksumError::NotCombinable(algorithm))
}

/// The checksums a completed multipart object keeps, by algorithm name →
/// value as S3 sends it, from each part's stored checksums (name →
/// base64) and size, in object order. An algorithm counts only when every
/// part has a valid value of it (what a client that names an algorithm at
/// CreateMultipartUpload must send with each part): CRC64NVME, which S3
/// only combines as `FULL_OBJECT`, gives the whole object's CRC; the
/// others give the `COMPOSITE` `base64-N`.
pub fn object_checksums(parts: &[(&BTreeMap<String, String>, u64)]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if parts.is_empty() {
        return out;
    }
    for algorithm in ChecksumAlgorithm::ALL {
        let values: Option<Vec<(Checksum, u64)>> = parts
            .iter()
            .map(|(sums, size)| {
                let text = sums.get(algorithm.as_str())?;
                Some((Checksum::from_base64(algorithm, text).ok()?, *size))
            })
            .collect();
        let Some(values) = values else { continue };
        let value = if algorithm == ChecksumAlgorithm::Crc64Nvme {
            full_object_checksum(algorithm, &values).map(|c| c.to_base64())
        } else {
            let sums: Vec<Checksum> = values.into_iter().map(|(c, _)| c).collect();
            composite_checksum(algorithm, &sums).map(|c| c.to_header_value())
        };
        if let Ok(v) = value {
            out.insert(algorithm.as_str().to_string(), v);
        }
    }
    out
}

fn same_algorithm(expected: ChecksumAlgorithm, part: &Checksum) -> Result<(), ChecksumError> {
    if part.algorithm() == expected {
        Ok(())
    } else {
        Err(ChecksumError::MixedAlgorithms { expected, actual: part.algorithm() })
    }
}
