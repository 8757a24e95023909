//! The checksum of a multipart upload, as AWS defines it since 2025:
//! CreateMultipartUpload names an algorithm (`x-amz-checksum-algorithm`)
//! and a type (`x-amz-checksum-type`), and the completed object carries
//! one checksum of that algorithm:
//!
//! - `FULL_OBJECT` (CRC32, CRC32C, CRC64NVME): the CRC of the whole
//!   object, combined from the parts' CRCs and sizes without rereading a
//!   byte ([`crate::checksum::full_object_checksum`]);
//! - `COMPOSITE` (CRC32, CRC32C, SHA1, SHA256): the checksum of the
//!   parts' checksums, `base64-N`.
//!
//! CRC64NVME is FULL_OBJECT only and SHA1/SHA256 COMPOSITE only; another
//! pairing, or a type without an algorithm, is 400 InvalidRequest. The
//! default type is FULL_OBJECT for CRC64NVME and COMPOSITE for the rest.
//! The choice rides in the upload's stored checksum map (the algorithm's
//! name with an empty value, and [`TYPE_KEY`]).
//!
//! At completion the part checksums the client lists are compared with
//! the stored parts' (a mismatch is InvalidPart, as a wrong ETag is), and
//! a whole-object value sent with the request with what the parts give
//! (BadDigest when they differ); a type sent with the request must be
//! the upload's.

use std::collections::BTreeMap;

use s3s::dto::{self, CompleteMultipartUploadInput};
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::super::{Inner, error};
use crate::checksum::{Checksum, ChecksumAlgorithm, composite_checksum, full_object_checksum};
use crate::index::{IndexError, PartInfo};

/// The key of the upload's checksum map that holds its checksum type.
pub(super) const TYPE_KEY: &str = "type";

const FULL_OBJECT: &str = "FULL_OBJECT";
const COMPOSITE: &str = "COMPOSITE";

/// An upload's checksum algorithm and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct UploadChecksum {
    pub algorithm: ChecksumAlgorithm,
    /// `FULL_OBJECT` (else `COMPOSITE`).
    pub full_object: bool,
}

impl UploadChecksum {
    fn type_name(self) -> &'static str {
        if self.full_object { FULL_OBJECT } else { COMPOSITE }
    }

    /// The type as the replies carry it.
    pub fn checksum_type(self) -> dto::ChecksumType {
        dto::ChecksumType::from_static(self.type_name())
    }

    /// Records this choice in an upload's checksum map.
    pub fn record(self, sums: &mut BTreeMap<String, String>) {
        sums.insert(self.algorithm.as_str().to_string(), String::new());
        sums.insert(TYPE_KEY.to_string(), self.type_name().to_string());
    }

    /// The choice recorded in an upload's checksum map, if any.
    pub fn recorded(sums: &BTreeMap<String, String>) -> Option<Self> {
        let full_object = sums.get(TYPE_KEY)? == FULL_OBJECT;
        let algorithm = ChecksumAlgorithm::ALL
            .into_iter()
            .find(|a| sums.get(a.as_str()).is_some_and(String::is_empty))?;
        Some(Self { algorithm, full_object })
    }
}

fn invalid(msg: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, msg.into())
}

/// CreateMultipartUpload's algorithm and type, checked as AWS checks them.
pub(super) fn requested(
    algorithm: Option<&dto::ChecksumAlgorithm>,
    kind: Option<&dto::ChecksumType>,
) -> S3Result<Option<UploadChecksum>> {
    let Some(algorithm) = algorithm else {
        return match kind {
            None => Ok(None),
            Some(_) => Err(invalid(
                "The x-amz-checksum-type header can only be used with the \
                 x-amz-checksum-algorithm header.",
            )),
        };
    };
    let name = algorithm.as_str();
    let algorithm = ChecksumAlgorithm::ALL
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(name))
        .ok_or_else(|| invalid(format!("Checksum algorithm {name:?} is not supported.")))?;
    let full_object = match kind.map(|k| k.as_str().to_ascii_uppercase()) {
        None => algorithm == ChecksumAlgorithm::Crc64Nvme,
        Some(k) if k == FULL_OBJECT => true,
        Some(k) if k == COMPOSITE => false,
        Some(k) => return Err(invalid(format!("Checksum type {k:?} is not supported."))),
    };
    let allowed =
        if full_object { algorithm.is_crc() } else { algorithm != ChecksumAlgorithm::Crc64Nvme };
    if !allowed {
        let kind = if full_object { FULL_OBJECT } else { COMPOSITE };
        return Err(invalid(format!(
            "The {kind} checksum type cannot be used with the {} checksum algorithm.",
            algorithm.as_str().to_ascii_lowercase()
        )));
    }
    Ok(Some(UploadChecksum { algorithm, full_object }))
}

/// The object's checksum (algorithm name → value as S3 sends it) from its
/// `parts`, in object order, by the upload's choice. A part stored
/// without a value of the upload's algorithm is InvalidPart.
pub(super) fn object_checksum(
    upload: UploadChecksum,
    parts: &[&PartInfo],
) -> S3Result<BTreeMap<String, String>> {
    let algorithm = upload.algorithm;
    let mut values = Vec::with_capacity(parts.len());
    for p in parts {
        let value = p
            .checksums
            .get(algorithm.as_str())
            .and_then(|text| Checksum::from_base64(algorithm, text).ok())
            .ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::InvalidPart,
                    format!(
                        "Part {} was uploaded without a {} checksum, which this upload requires.",
                        p.part_number,
                        algorithm.as_str()
                    ),
                )
            })?;
        values.push((value, p.size));
    }
    let value = if upload.full_object {
        full_object_checksum(algorithm, &values).map(|c| c.to_base64())
    } else {
        let sums: Vec<Checksum> = values.into_iter().map(|(c, _)| c).collect();
        composite_checksum(algorithm, &sums).map(|c| c.to_header_value())
    };
    let value = value.map_err(|e| invalid(e.to_string()))?;
    Ok(BTreeMap::from([(algorithm.as_str().to_string(), value)]))
}

/// The checksum values of a completed part as the client lists them.
fn listed(part: &dto::CompletedPart) -> [(ChecksumAlgorithm, Option<&str>); 5] {
    [
        (ChecksumAlgorithm::Crc32, part.checksum_crc32.as_deref()),
        (ChecksumAlgorithm::Crc32c, part.checksum_crc32c.as_deref()),
        (ChecksumAlgorithm::Sha1, part.checksum_sha1.as_deref()),
        (ChecksumAlgorithm::Sha256, part.checksum_sha256.as_deref()),
        (ChecksumAlgorithm::Crc64Nvme, part.checksum_crc64nvme.as_deref()),
    ]
}

/// Compares the checksums the client lists for each part with the stored
/// part's: a malformed value is InvalidRequest, a different or missing
/// one InvalidPart.
pub(super) fn check_listed_parts(
    given: &[dto::CompletedPart],
    stored: &BTreeMap<u32, &PartInfo>,
) -> S3Result<()> {
    for part in given {
        let number = part.part_number.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        for (algorithm, value) in listed(part) {
            let Some(text) = value else { continue };
            let sent = Checksum::from_base64(algorithm, text).map_err(|_| {
                invalid(format!("Value for {} is invalid.", algorithm.header_name()))
            })?;
            let kept = stored
                .get(&number)
                .and_then(|p| p.checksums.get(algorithm.as_str()))
                .and_then(|t| Checksum::from_base64(algorithm, t).ok());
            if kept.as_ref() != Some(&sent) {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidPart,
                    format!(
                        "One or more of the specified parts could not be found: the {} \
                         checksum of part {number} does not match the part's.",
                        algorithm.as_str()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Compares the whole-object checksum and type sent with
/// CompleteMultipartUpload with the upload's (`computed` is the object
/// checksum the parts give).
pub(super) fn check_whole(
    input: &CompleteMultipartUploadInput,
    upload: Option<UploadChecksum>,
    computed: &BTreeMap<String, String>,
) -> S3Result<()> {
    if let Some(kind) = &input.checksum_type {
        let ours = upload.map_or(COMPOSITE, UploadChecksum::type_name);
        if !kind.as_str().eq_ignore_ascii_case(ours) {
            return Err(invalid(format!(
                "The upload was created using the {ours} checksum mode. The complete request \
                 must use the same checksum mode."
            )));
        }
    }
    let sent = [
        (ChecksumAlgorithm::Crc32, input.checksum_crc32.as_deref()),
        (ChecksumAlgorithm::Crc32c, input.checksum_crc32c.as_deref()),
        (ChecksumAlgorithm::Sha1, input.checksum_sha1.as_deref()),
        (ChecksumAlgorithm::Sha256, input.checksum_sha256.as_deref()),
        (ChecksumAlgorithm::Crc64Nvme, input.checksum_crc64nvme.as_deref()),
    ];
    for (algorithm, value) in sent {
        let Some(text) = value else { continue };
        // A composite value may come with or without its `-N`.
        let bare = |v: &str| v.split_once('-').map_or(v, |(b, _)| b).trim().to_string();
        let Some(ours) = computed.get(algorithm.as_str()) else {
            return Err(invalid(format!(
                "The upload was not created with the {} checksum algorithm.",
                algorithm.as_str()
            )));
        };
        Checksum::from_base64(algorithm, &bare(text)).map_err(|_| {
            invalid(format!("Value for {} header is invalid.", algorithm.header_name()))
        })?;
        if bare(text) != bare(ours) {
            return Err(S3Error::with_message(
                S3ErrorCode::BadDigest,
                format!(
                    "The {} you specified for the object did not match what was calculated \
                     from its parts.",
                    algorithm.header_name()
                ),
            ));
        }
    }
    Ok(())
}

/// The object checksums a completion records, checked against what the
/// request says (see the module docs): `Some` for an upload created with
/// an algorithm, `None` to let the index derive them as before. An
/// upload that is gone (completed already, or never was) is left to the
/// index, which answers a retried completion or NoSuchUpload.
pub(super) async fn completion_checksums(
    inner: &Inner,
    owner: &str,
    input: &CompleteMultipartUploadInput,
    given: &[dto::CompletedPart],
) -> S3Result<Option<BTreeMap<String, String>>> {
    let (b, k, u) = (input.bucket.clone(), input.key.clone(), input.upload_id.clone());
    let read = inner
        .index
        .read(move |ix| {
            let upload = ix.get_upload(&b, &k, &u)?;
            let parts = ix.list_parts(&b, &k, &u, 0, MAX_PARTS)?;
            Ok((upload, parts.parts))
        })
        .await;
    let (upload, parts) = match read {
        Ok(found) => found,
        Err(IndexError::NoSuchUpload(_)) => return Ok(None),
        Err(e) => return Err(error::from_index(e, owner)),
    };
    let stored: BTreeMap<u32, &PartInfo> = parts.iter().map(|p| (p.part_number, p)).collect();
    check_listed_parts(given, &stored)?;
    // The parts in the client's order; one it names wrongly fails the
    // completion in the index (InvalidPart), so no checksum is needed.
    let listed: Option<Vec<&PartInfo>> = given
        .iter()
        .map(|g| {
            let n = g.part_number.and_then(|n| u32::try_from(n).ok())?;
            stored.get(&n).copied()
        })
        .collect();
    let Some(listed) = listed.filter(|l| !l.is_empty()) else { return Ok(None) };
    let choice = UploadChecksum::recorded(&upload.meta.checksums);
    let computed = match choice {
        Some(c) => object_checksum(c, &listed)?,
        None => {
            let sums: Vec<_> = listed.iter().map(|p| (&p.checksums, p.size)).collect();
            crate::checksum::object_checksums(&sums)
        }
    };
    check_whole(input, choice, &computed)?;
    Ok(choice.map(|_| computed))
}

/// The most parts an upload has (S3's part number bound).
const MAX_PARTS: usize = 10_000;

#[cfg(test)]
#[path = "checksum_type_tests.rs"]
mod tests;
