//! What a GetObject or HeadObject answers, decided before any byte moves:
//! the conditional headers (412 PreconditionFailed, or 304 Not Modified
//! carrying the validators), the bytes to serve (whole object, a `Range`,
//! or a `partNumber`), and which checksums go back. GET and HEAD, of
//! index and group buckets alike, share it so they give the same status
//! for the same request; [`super::read_reply`] builds their headers.
//!
//! `partNumber` counts the completed object's parts in order (1 to the
//! parts count, the number `x-amz-mp-parts-count` reports); an object
//! stored whole has exactly one part. Like a range, a part is served as
//! 206 with the part's `Content-Range` within the object.
//!
//! With `x-amz-checksum-mode: ENABLED` the stored checksums go back as
//! `x-amz-checksum-*` with `x-amz-checksum-type`, as S3 does: the
//! object's when the whole object is served, the part's own (what its
//! UploadPart verified) for a `partNumber` read of a multipart object, and
//! none for a range.

use std::collections::BTreeMap;
use std::ops::Range;

use http::{HeaderMap, HeaderValue, StatusCode};
use s3s::dto::{
    ChecksumMode, ChecksumType, CompleteMultipartUploadOutput, ETag, GetObjectOutput,
    HeadObjectOutput, Timestamp, TimestampFormat,
};
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::conditions::{Conditions, Verdict};
use super::timestamp;
use crate::checksum::ChecksumAlgorithm;
use crate::index::{ObjectData, ObjectInfo};

/// The highest part number S3 accepts.
const MAX_PART_NUMBER: i32 = 10_000;

/// The bytes a request selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Selection {
    /// Bytes of the object to send.
    pub range: Range<u64>,
    /// `Content-Range`, for a range or a part (makes the reply a 206).
    pub content_range: Option<String>,
    /// `x-amz-mp-parts-count`: only for a `partNumber` request on a
    /// multipart object, as S3 documents.
    pub parts_count: Option<i32>,
    /// For a `partNumber` read of a multipart object: that part's
    /// checksums.
    pub part_checksums: Option<BTreeMap<String, String>>,
}

/// Refuses argument combinations S3 refuses, before the object is read.
pub(super) fn check_args(range: Option<&s3s::dto::Range>, part: Option<i32>) -> S3Result<()> {
    let Some(n) = part else { return Ok(()) };
    if range.is_some() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Cannot specify both Range header and partNumber query parameter",
        ));
    }
    if !(1..=MAX_PART_NUMBER).contains(&n) {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive",
        ));
    }
    Ok(())
}

/// The conditions' verdict as an error: 412, or 304 with the validators
/// (RFC 9110 §15.4.5: ETag, Last-Modified, Cache-Control, Expires).
pub(super) fn check_conditions(c: &Conditions, info: &ObjectInfo) -> S3Result<()> {
    match c.evaluate(info) {
        Verdict::Proceed => Ok(()),
        Verdict::Failed(what) => Err(S3Error::with_message(
            S3ErrorCode::PreconditionFailed,
            format!("At least one of the pre-conditions you specified did not hold ({what})"),
        )),
        Verdict::NotModified(what) => {
            tracing::debug!(condition = what, "not modified");
            let mut err = S3Error::with_message(S3ErrorCode::NotModified, "Not Modified");
            err.set_status_code(StatusCode::NOT_MODIFIED);
            err.set_headers(validators(info));
            Err(err)
        }
    }
}

/// The headers a 304 carries.
fn validators(info: &ObjectInfo) -> HeaderMap {
    let mut map = HeaderMap::new();
    if let Ok(v) = ETag::Strong(info.etag.clone()).to_http_header() {
        map.insert(http::header::ETAG, v);
    }
    if let Some(v) = http_date(&timestamp(info.last_modified_ms)) {
        map.insert(http::header::LAST_MODIFIED, v);
    }
    let mut raw = |name, value: &Option<String>| {
        if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            map.insert(name, v);
        }
    };
    raw(http::header::CACHE_CONTROL, &info.meta.cache_control);
    raw(http::header::EXPIRES, &info.meta.expires);
    map
}

fn http_date(t: &Timestamp) -> Option<HeaderValue> {
    let mut buf = Vec::new();
    t.format(TimestampFormat::HttpDate, &mut buf).ok()?;
    HeaderValue::from_bytes(&buf).ok()
}

/// The bytes `range` or `part` selects of an object of `info` stored as
/// `data` (`data` may be `None` when `part` is).
pub(super) fn select(
    info: &ObjectInfo,
    data: Option<&ObjectData>,
    range: Option<&s3s::dto::Range>,
    part: Option<i32>,
) -> S3Result<Selection> {
    let size = info.size;
    if let Some(r) = range {
        let range = r.check(size).map_err(|_| {
            S3Error::with_message(
                S3ErrorCode::InvalidRange,
                "The requested range is not satisfiable",
            )
        })?;
        let content_range = content_range(&range, size);
        return Ok(Selection { range, content_range, parts_count: None, part_checksums: None });
    }
    let Some(n) = part else {
        return Ok(Selection {
            range: 0..size,
            content_range: None,
            parts_count: None,
            part_checksums: None,
        });
    };
    let index = usize::try_from(n).ok().and_then(|n| n.checked_sub(1));
    let (range, parts_count, part_checksums) = match data {
        Some(ObjectData::Parts(parts)) => {
            let Some(index) = index.filter(|&i| i < parts.len()) else {
                return Err(invalid_part_number());
            };
            let start: u64 = parts[..index].iter().map(|p| p.size).sum();
            let end = start.saturating_add(parts[index].size);
            let count = i32::try_from(parts.len()).unwrap_or(i32::MAX);
            (start..end.min(size), Some(count), Some(parts[index].checksums.clone()))
        }
        Some(ObjectData::Single(_)) | None if info.part_count == 0 => {
            if index != Some(0) {
                return Err(invalid_part_number());
            }
            (0..size, None, None)
        }
        Some(ObjectData::Single(_)) | None => {
            return Err(super::error::internal("multipart object read without its manifest"));
        }
    };
    let content_range = content_range(&range, size);
    Ok(Selection { range, content_range, parts_count, part_checksums })
}

/// `bytes first-last/size`; none for an empty selection, which has no
/// byte positions to name.
fn content_range(range: &Range<u64>, size: u64) -> Option<String> {
    (range.end > range.start).then(|| format!("bytes {}-{}/{size}", range.start, range.end - 1))
}

/// 416 InvalidPartNumber (not among `s3s`'s known codes).
fn invalid_part_number() -> S3Error {
    let mut err = S3Error::with_message(
        S3ErrorCode::Custom("InvalidPartNumber".into()),
        "The requested partnumber is not satisfiable",
    );
    err.set_status_code(StatusCode::RANGE_NOT_SATISFIABLE);
    err
}

/// The `x-amz-checksum-*` headers of a reply, base64 as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ChecksumHeaders {
    pub crc32: Option<String>,
    pub crc32c: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
    pub crc64nvme: Option<String>,
    /// `COMPOSITE` for a checksum of part checksums (`base64-N`), else
    /// `FULL_OBJECT`; none without a checksum.
    pub checksum_type: Option<ChecksumType>,
}

/// A reply carrying `x-amz-checksum-*` and `x-amz-checksum-type`.
pub(super) trait ChecksumFields {
    /// Sets the reply's checksum headers to `sums`.
    fn set_checksums(&mut self, sums: ChecksumHeaders);
}

/// Implements [`ChecksumFields`] for output types with the same field
/// names.
macro_rules! checksum_fields {
    ($($output:ty),+) => {$(
        impl ChecksumFields for $output {
            fn set_checksums(&mut self, sums: ChecksumHeaders) {
                self.checksum_crc32 = sums.crc32;
                self.checksum_crc32c = sums.crc32c;
                self.checksum_sha1 = sums.sha1;
                self.checksum_sha256 = sums.sha256;
                self.checksum_crc64nvme = sums.crc64nvme;
                self.checksum_type = sums.checksum_type;
            }
        }
    )+};
}

checksum_fields!(GetObjectOutput, HeadObjectOutput, CompleteMultipartUploadOutput);

/// The checksums to return for `sel` of the object of `info` (see the
/// module docs): none unless `mode` is `ENABLED`; the part's for a part of
/// a multipart object; the object's when the whole object is served (no
/// range; no part but part 1 of an object stored whole, which is the
/// whole object).
pub(super) fn checksum_headers(
    info: &ObjectInfo,
    sel: &Selection,
    mode: Option<&ChecksumMode>,
    range: Option<&s3s::dto::Range>,
    part: Option<i32>,
) -> ChecksumHeaders {
    let enabled = mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED));
    if !enabled || range.is_some() {
        return ChecksumHeaders::default();
    }
    match (&sel.part_checksums, part) {
        (Some(sums), _) => checksums_of(sums),
        (None, Some(_)) if info.part_count != 0 => ChecksumHeaders::default(),
        (None, _) => stored_checksums(info),
    }
}

/// Every checksum `info` has (also what CompleteMultipartUpload answers).
pub(super) fn stored_checksums(info: &ObjectInfo) -> ChecksumHeaders {
    checksums_of(&info.meta.checksums)
}

/// The headers of a stored checksum map (algorithm name -> base64).
fn checksums_of(sums: &BTreeMap<String, String>) -> ChecksumHeaders {
    let mut out = ChecksumHeaders::default();
    for (name, value) in sums {
        // An upload records its algorithm with an empty value.
        let Some(algorithm) = ChecksumAlgorithm::ALL.into_iter().find(|a| a.as_str() == name)
        else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let composite = value.rsplit_once('-').is_some_and(|(_, n)| n.parse::<u32>().is_ok());
        let kind = if composite { ChecksumType::COMPOSITE } else { ChecksumType::FULL_OBJECT };
        out.checksum_type = Some(ChecksumType::from_static(kind));
        let slot = match algorithm {
            ChecksumAlgorithm::Crc32 => &mut out.crc32,
            ChecksumAlgorithm::Crc32c => &mut out.crc32c,
            ChecksumAlgorithm::Sha1 => &mut out.sha1,
            ChecksumAlgorithm::Sha256 => &mut out.sha256,
            ChecksumAlgorithm::Crc64Nvme => &mut out.crc64nvme,
        };
        *slot = Some(value.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use s3s::dto::Range;

    use s3s::dto::ChecksumMode;

    use super::{Selection, check_args, checksum_headers, content_range, select};
    use crate::index::{ObjectData, ObjectInfo, ObjectMeta, PartRef};

    fn info(size: u64, parts: u32) -> ObjectInfo {
        ObjectInfo {
            key: "k".into(),
            size,
            etag: "e".into(),
            last_modified_ms: 0,
            part_count: parts,
            meta: ObjectMeta::default(),
            version_id: None,
        }
    }

    fn parts(sizes: &[u64]) -> ObjectData {
        let part = |(i, &size): (usize, &u64)| PartRef {
            part_number: u32::try_from(i).unwrap() * 2 + 1,
            file_id: format!("g/M00/00/00/p{i}"),
            size,
            etag: String::new(),
            checksums: [("CRC32".to_string(), format!("AAAAA{i}==="))].into_iter().collect(),
        };
        ObjectData::Parts(sizes.iter().enumerate().map(part).collect())
    }

    fn code(r: s3s::S3Result<Selection>) -> String {
        r.unwrap_err().code().as_str().to_string()
    }

    #[test]
    fn args() {
        let r = Range::Int { first: 0, last: None };
        assert!(check_args(None, None).is_ok());
        assert!(check_args(Some(&r), None).is_ok());
        assert!(check_args(None, Some(1)).is_ok());
        assert!(check_args(None, Some(10_000)).is_ok());
        assert_eq!(check_args(Some(&r), Some(1)).unwrap_err().code().as_str(), "InvalidRequest");
        assert_eq!(check_args(None, Some(0)).unwrap_err().code().as_str(), "InvalidArgument");
        assert_eq!(check_args(None, Some(10_001)).unwrap_err().code().as_str(), "InvalidArgument");
    }

    #[test]
    fn parts_of_a_multipart_object() {
        let (i, d) = (info(12, 3), parts(&[5, 5, 2]));
        let s = select(&i, Some(&d), None, Some(2)).unwrap();
        assert_eq!(s.range, 5..10);
        assert_eq!(s.content_range.as_deref(), Some("bytes 5-9/12"));
        assert_eq!(s.parts_count, Some(3));
        assert_eq!(select(&i, Some(&d), None, Some(3)).unwrap().range, 10..12);
        assert_eq!(code(select(&i, Some(&d), None, Some(4))), "InvalidPartNumber");
        // Without the manifest a multipart object cannot be split.
        assert!(select(&i, None, None, Some(1)).is_err());
    }

    #[test]
    fn part_one_of_a_whole_object() {
        let i = info(10, 0);
        let d = ObjectData::Single("g/M00/00/00/x".into());
        let s = select(&i, Some(&d), None, Some(1)).unwrap();
        assert_eq!((s.range, s.content_range.as_deref()), (0..10, Some("bytes 0-9/10")));
        assert_eq!(s.parts_count, None);
        assert_eq!(select(&i, None, None, Some(1)).unwrap().range, 0..10);
        assert_eq!(code(select(&i, Some(&d), None, Some(2))), "InvalidPartNumber");
        let empty = select(&info(0, 0), None, None, Some(1)).unwrap();
        assert_eq!((empty.range, empty.content_range), (0..0, None));
    }

    #[test]
    fn ranges_and_whole() {
        let i = info(10, 0);
        let s = select(&i, None, Some(&Range::Suffix { length: 3 }), None).unwrap();
        assert_eq!((s.range, s.content_range.as_deref()), (7..10, Some("bytes 7-9/10")));
        let whole = select(&i, None, None, None).unwrap();
        assert_eq!((whole.range, whole.content_range), (0..10, None));
        let beyond = Range::Int { first: 10, last: None };
        assert_eq!(code(select(&i, None, Some(&beyond), None)), "InvalidRange");
        assert_eq!(content_range(&(0..0), 0), None);
    }

    #[test]
    fn checksums_of_the_whole_object_or_of_the_part() {
        let mut i = info(10, 0);
        i.meta.checksums.insert("CRC32".into(), "AAAAAA==".into());
        i.meta.checksums.insert("SHA1".into(), String::new());
        let on = ChecksumMode::from_static(ChecksumMode::ENABLED);
        let whole = select(&i, None, None, None).unwrap();
        let h = checksum_headers(&i, &whole, Some(&on), None, None);
        assert_eq!(h.crc32.as_deref(), Some("AAAAAA=="));
        assert_eq!(h.sha1, None);
        assert_eq!(h.checksum_type.as_ref().map(|t| t.as_str()), Some("FULL_OBJECT"));
        let first = select(&i, None, None, Some(1)).unwrap();
        assert_eq!(checksum_headers(&i, &first, Some(&on), None, Some(1)), h);
        assert_eq!(checksum_headers(&i, &whole, None, None, None).crc32, None);
        let r = Range::Int { first: 0, last: Some(1) };
        assert_eq!(checksum_headers(&i, &whole, Some(&on), Some(&r), None).crc32, None);

        // A multipart object: the composite for the whole, the part's own
        // for a part.
        let mut m = info(12, 3);
        m.meta.checksums.insert("CRC32C".into(), "AAAAAA==-3".into());
        let data = parts(&[4, 4, 4]);
        let whole = select(&m, Some(&data), None, None).unwrap();
        let h = checksum_headers(&m, &whole, Some(&on), None, None);
        assert_eq!(h.crc32c.as_deref(), Some("AAAAAA==-3"));
        assert_eq!(h.checksum_type.as_ref().map(|t| t.as_str()), Some("COMPOSITE"));
        let second = select(&m, Some(&data), None, Some(2)).unwrap();
        let h = checksum_headers(&m, &second, Some(&on), None, Some(2));
        assert_eq!(h.crc32c, None);
        assert_eq!(h.crc32.as_deref(), Some("AAAAA1==="));
        assert_eq!(h.checksum_type.as_ref().map(|t| t.as_str()), Some("FULL_OBJECT"));
    }
}
