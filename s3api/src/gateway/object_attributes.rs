//! GetObjectAttributes: what HeadObject would say, chosen by
//! `x-amz-object-attributes`, in an XML body — the ETag, the checksum, the
//! parts of a multipart object, the storage class and the size — with
//! `Last-Modified` as a header. No byte of the object is read.
//!
//! As S3 answers it:
//! - `x-amz-object-attributes` is a comma-separated list (one header or
//!   several) of `ETag`, `Checksum`, `ObjectParts`, `StorageClass`,
//!   `ObjectSize`; any other name is 400 InvalidArgument, no header 400
//!   (`s3s` refuses that before we see the request).
//! - `Checksum` is the object's stored checksum (what PutObject or
//!   CompleteMultipartUpload verified), with its `ChecksumType`. A
//!   multipart object's composite checksum is given without the `-N` part
//!   count that HeadObject appends: here the count is `TotalPartsCount`.
//! - `ObjectParts` is present for a multipart object only. It always
//!   carries `TotalPartsCount`; the `Part` list (part number, size, the
//!   part's checksums) only when the object has a checksum, as S3 does for
//!   general purpose buckets. `x-amz-max-parts` (default and cap 1,000)
//!   and `x-amz-part-number-marker` (parts numbered above it) page it,
//!   with `IsTruncated` and `NextPartNumberMarker`.
//! - `StorageClass` is always named, `STANDARD` included (unlike the
//!   HeadObject header S3 omits for it).
//! - There are no conditional headers. An SSE-C object needs its key (400
//!   without, 403 with a wrong one), checked as GET checks it.
//! - `versionId`: an unversioned bucket has only the `null` version; any
//!   other is 404 NoSuchVersion. [`resolve`] is the one place that maps
//!   the request to an object row, where versions are to be looked up.
//!
//! One difference from S3 that `s3s` 0.14.1 imposes: it writes the
//! `<ETag>` element quoted, where S3 leaves it bare. SDKs pass either
//! through as a string.
//!
//! A group bucket's file answers from its FastDFS file info (admin keys
//! only): ETag, size, storage class; it has no checksum and no parts.

use std::collections::BTreeMap;

use s3s::dto::{
    Checksum, ETag, GetObjectAttributesInput, GetObjectAttributesOutput, GetObjectAttributesParts,
    ObjectAttributes, ObjectPart, StorageClass,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::read_plan::stored_checksums;
use super::transport::Transport;
use super::{Inner, error, group_bucket, object_get, owner_of, timestamp};
use crate::checksum::ChecksumAlgorithm;
use crate::index::{ObjectData, ObjectInfo, ObjectRecord, PartRef};

/// The most parts one reply lists, and the default.
const MAX_PARTS: i32 = 1000;

/// The attributes a request asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Wanted {
    etag: bool,
    checksum: bool,
    parts: bool,
    storage_class: bool,
    size: bool,
}

pub async fn get_object_attributes(
    inner: &Inner,
    req: S3Request<GetObjectAttributesInput>,
) -> S3Result<S3Response<GetObjectAttributesOutput>> {
    let transport = req.extensions.get::<Transport>().copied();
    let span = info_span!(
        "s3.get_object_attributes",
        bucket = %req.input.bucket,
        key = %req.input.key,
    );
    async {
        let input = &req.input;
        let wanted = wanted(&input.object_attributes)?;
        let paging = Paging::of(input.max_parts, input.part_number_marker)?;
        if group_bucket::is_group_bucket(inner, &input.bucket).await {
            check_version(input.version_id.as_deref())?;
            let info = group_bucket::file_info(inner, &req, &input.bucket, &input.key).await?;
            return Ok(S3Response::new(answer(&info, None, wanted, &paging)));
        }
        let owner = owner_of(inner, &req).await?;
        check_owner(inner, &input.bucket, &owner).await?;
        let record = resolve(inner, input, &owner).await?;
        // An SSE-C object's attributes need its key, as its bytes do.
        object_get::unlock(inner, input, &record.info, transport.as_ref())?;
        Ok(S3Response::new(answer(&record.info, Some(&record.data), wanted, &paging)))
    }
    .instrument(span)
    .await
}

/// The object row the request addresses.
async fn resolve(
    inner: &Inner,
    input: &GetObjectAttributesInput,
    owner: &str,
) -> S3Result<ObjectRecord> {
    let (b, k, v) = (input.bucket.clone(), input.key.clone(), input.version_id.clone());
    inner
        .index
        .read(move |ix| ix.get_version(&b, &k, v.as_deref()))
        .await
        .map_err(|e| error::from_index(e, owner))
}

/// A group bucket's file is version `null` and no other.
fn check_version(version: Option<&str>) -> S3Result<()> {
    match version {
        None | Some("null") => Ok(()),
        Some(v) => Err(S3Error::with_message(
            S3ErrorCode::NoSuchVersion,
            format!("version {v:?} of the object does not exist"),
        )),
    }
}

/// The attributes named by the header's values (each a comma-separated
/// list); 400 InvalidArgument for a name S3 does not know.
fn wanted(list: &[ObjectAttributes]) -> S3Result<Wanted> {
    let mut w = Wanted::default();
    for name in list.iter().flat_map(|v| v.as_str().split(',')).map(str::trim) {
        let slot = match name {
            ObjectAttributes::ETAG => &mut w.etag,
            ObjectAttributes::CHECKSUM => &mut w.checksum,
            ObjectAttributes::OBJECT_PARTS => &mut w.parts,
            ObjectAttributes::STORAGE_CLASS => &mut w.storage_class,
            ObjectAttributes::OBJECT_SIZE => &mut w.size,
            _ => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    format!("Invalid attribute name specified: {name:?}"),
                ));
            }
        };
        *slot = true;
    }
    if w == Wanted::default() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "x-amz-object-attributes names no attribute",
        ));
    }
    Ok(w)
}

/// `x-amz-max-parts` and `x-amz-part-number-marker`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Paging {
    max: i32,
    marker: i32,
}

impl Paging {
    fn of(max: Option<i32>, marker: Option<i32>) -> S3Result<Self> {
        let negative = |what: &str| {
            S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                format!("{what} must be a non-negative integer"),
            )
        };
        let max = match max {
            Some(n) if n < 0 => return Err(negative("x-amz-max-parts")),
            Some(n) => n.min(MAX_PARTS),
            None => MAX_PARTS,
        };
        let marker = match marker {
            Some(n) if n < 0 => return Err(negative("x-amz-part-number-marker")),
            Some(n) => n,
            None => 0,
        };
        Ok(Self { max, marker })
    }
}

/// The reply for the object of `info` stored as `data` (`None`: a group
/// bucket's file).
fn answer(
    info: &ObjectInfo,
    data: Option<&ObjectData>,
    w: Wanted,
    paging: &Paging,
) -> GetObjectAttributesOutput {
    let class = info.meta.storage_class.as_deref().unwrap_or(StorageClass::STANDARD);
    let checksum = object_checksum(info);
    let has_checksum = checksum.is_some();
    GetObjectAttributesOutput {
        e_tag: w.etag.then(|| ETag::Strong(info.etag.clone())),
        checksum: checksum.filter(|_| w.checksum),
        object_parts: match data {
            Some(ObjectData::Parts(parts)) if w.parts => {
                Some(object_parts(parts, has_checksum, paging))
            }
            _ => None,
        },
        storage_class: w.storage_class.then(|| StorageClass::from(class.to_string())),
        object_size: w.size.then(|| i64::try_from(info.size).unwrap_or(i64::MAX)),
        last_modified: Some(timestamp(info.last_modified_ms)),
        version_id: info.version_id.clone(),
        ..GetObjectAttributesOutput::default()
    }
}

/// The object's checksum element; `None` when it has none.
fn object_checksum(info: &ObjectInfo) -> Option<Checksum> {
    let h = stored_checksums(info);
    h.checksum_type.as_ref()?;
    // The part count rides in `TotalPartsCount`, not in the value.
    let bare = |v: Option<String>| v.map(|v| strip_count(&v).to_string());
    Some(Checksum {
        checksum_crc32: bare(h.crc32),
        checksum_crc32c: bare(h.crc32c),
        checksum_crc64nvme: bare(h.crc64nvme),
        checksum_sha1: bare(h.sha1),
        checksum_sha256: bare(h.sha256),
        checksum_type: h.checksum_type,
    })
}

/// `value` without a composite checksum's `-N` suffix.
fn strip_count(value: &str) -> &str {
    match value.rsplit_once('-') {
        Some((base, n)) if n.parse::<u32>().is_ok() => base,
        _ => value,
    }
}

/// The `ObjectParts` element of a multipart object of `parts`; the part
/// list only when the object has a checksum (see the module docs).
fn object_parts(parts: &[PartRef], listed: bool, paging: &Paging) -> GetObjectAttributesParts {
    let total = i32::try_from(parts.len()).unwrap_or(i32::MAX);
    let mut out = GetObjectAttributesParts {
        total_parts_count: Some(total),
        max_parts: Some(paging.max),
        part_number_marker: Some(paging.marker),
        is_truncated: Some(false),
        ..GetObjectAttributesParts::default()
    };
    if !listed {
        return out;
    }
    let after: Vec<&PartRef> =
        parts.iter().filter(|p| i64::from(p.part_number) > i64::from(paging.marker)).collect();
    let take = usize::try_from(paging.max).unwrap_or(0);
    let page: Vec<ObjectPart> = after.iter().take(take).map(|p| object_part(p)).collect();
    out.is_truncated = Some(after.len() > page.len());
    out.next_part_number_marker = page.last().and_then(|p| p.part_number);
    out.parts = Some(page);
    out
}

fn object_part(p: &PartRef) -> ObjectPart {
    let sum = |a: ChecksumAlgorithm| nonempty(&p.checksums, a);
    ObjectPart {
        part_number: i32::try_from(p.part_number).ok(),
        size: Some(i64::try_from(p.size).unwrap_or(i64::MAX)),
        checksum_crc32: sum(ChecksumAlgorithm::Crc32),
        checksum_crc32c: sum(ChecksumAlgorithm::Crc32c),
        checksum_crc64nvme: sum(ChecksumAlgorithm::Crc64Nvme),
        checksum_sha1: sum(ChecksumAlgorithm::Sha1),
        checksum_sha256: sum(ChecksumAlgorithm::Sha256),
    }
}

fn nonempty(sums: &BTreeMap<String, String>, a: ChecksumAlgorithm) -> Option<String> {
    sums.get(a.as_str()).filter(|v| !v.is_empty()).cloned()
}

#[cfg(test)]
mod tests {
    use s3s::dto::{ChecksumType, ObjectAttributes};

    use super::{Paging, Wanted, answer, strip_count, wanted};
    use crate::index::{ObjectData, ObjectInfo, ObjectMeta, PartRef};

    fn names(values: &[&str]) -> Vec<ObjectAttributes> {
        values.iter().map(|v| ObjectAttributes::from((*v).to_string())).collect()
    }

    fn all() -> Wanted {
        Wanted { etag: true, checksum: true, parts: true, storage_class: true, size: true }
    }

    fn multipart(numbers: &[u32], with_sums: bool) -> (ObjectInfo, ObjectData) {
        let parts: Vec<PartRef> = numbers
            .iter()
            .map(|&n| PartRef {
                part_number: n,
                file_id: format!("g/M00/00/00/p{n}"),
                size: u64::from(n) * 10,
                etag: String::new(),
                checksums: if with_sums {
                    [("CRC32".to_string(), format!("c{n}=="))].into_iter().collect()
                } else {
                    Default::default()
                },
            })
            .collect();
        let mut meta = ObjectMeta::default();
        if with_sums {
            meta.checksums.insert("CRC32".into(), "AAAAAA==-3".into());
        }
        let size = parts.iter().map(|p| p.size).sum();
        let info = ObjectInfo {
            key: "k".into(),
            size,
            etag: "abc-3".into(),
            last_modified_ms: 1000,
            part_count: 3,
            meta,
            version_id: None,
        };
        (info, ObjectData::Parts(parts))
    }

    #[test]
    fn attribute_names() {
        let w = wanted(&names(&["ETag,ObjectSize", " StorageClass "])).unwrap();
        assert!(w.etag && w.size && w.storage_class && !w.checksum && !w.parts);
        let every = wanted(&names(&["ETag,Checksum,ObjectParts,StorageClass,ObjectSize"]));
        assert_eq!(every.unwrap(), all());
        for bad in ["etag", "ETag,Colour", "", "ETag,"] {
            let e = wanted(&names(&[bad])).unwrap_err();
            assert_eq!(e.code().as_str(), "InvalidArgument", "{bad:?}");
        }
    }

    #[test]
    fn paging_arguments() {
        assert_eq!(Paging::of(None, None).unwrap(), Paging { max: 1000, marker: 0 });
        assert_eq!(Paging::of(Some(5000), Some(3)).unwrap(), Paging { max: 1000, marker: 3 });
        assert!(Paging::of(Some(-1), None).is_err());
        assert!(Paging::of(None, Some(-1)).is_err());
    }

    #[test]
    fn parts_are_paged_by_number() {
        let (info, data) = multipart(&[1, 3, 4], true);
        let paging = Paging::of(Some(1), Some(1)).unwrap();
        let out = answer(&info, Some(&data), all(), &paging);
        let parts = out.object_parts.unwrap();
        assert_eq!(parts.total_parts_count, Some(3));
        let listed = parts.parts.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].part_number, listed[0].size), (Some(3), Some(30)));
        assert_eq!(listed[0].checksum_crc32.as_deref(), Some("c3=="));
        assert_eq!((parts.is_truncated, parts.next_part_number_marker), (Some(true), Some(3)));
        let last = answer(&info, Some(&data), all(), &Paging::of(None, Some(3)).unwrap());
        let parts = last.object_parts.unwrap();
        assert_eq!(parts.is_truncated, Some(false));
        assert_eq!(parts.parts.unwrap().len(), 1);
        // The composite checksum without its part count.
        let sum = out.checksum.unwrap();
        assert_eq!(sum.checksum_crc32.as_deref(), Some("AAAAAA=="));
        assert_eq!(sum.checksum_type, Some(ChecksumType::from_static(ChecksumType::COMPOSITE)));
        assert_eq!(out.storage_class.as_ref().map(|c| c.as_str()), Some("STANDARD"));
        assert_eq!(out.object_size, Some(80));
    }

    #[test]
    fn no_part_list_without_checksums_and_no_parts_for_single_files() {
        let (info, data) = multipart(&[1, 2, 3], false);
        let out = answer(&info, Some(&data), all(), &Paging::of(None, None).unwrap());
        let parts = out.object_parts.unwrap();
        assert_eq!((parts.total_parts_count, parts.parts), (Some(3), None));
        assert_eq!(out.checksum, None);
        let single = ObjectData::Single("g/M00/00/00/x".into());
        let out = answer(&info, Some(&single), all(), &Paging::of(None, None).unwrap());
        assert_eq!(out.object_parts, None);
        let only_size = Wanted { size: true, ..Wanted::default() };
        let out = answer(&info, Some(&data), only_size, &Paging::of(None, None).unwrap());
        assert!(out.e_tag.is_none() && out.object_parts.is_none() && out.storage_class.is_none());
        assert!(out.last_modified.is_some());
    }

    proptest::proptest! {
        /// The attribute header and the paging headers are network input:
        /// anything is an answer or an error, never a panic, and a
        /// listing never holds more than `max` parts.
        #[test]
        fn any_request_headers_are_answered(
            values in proptest::collection::vec("\\PC{0,40}", 0..4),
            max in proptest::option::of(proptest::prelude::any::<i32>()),
            marker in proptest::option::of(proptest::prelude::any::<i32>()),
        ) {
            let list: Vec<ObjectAttributes> =
                values.into_iter().map(ObjectAttributes::from).collect();
            let _ = wanted(&list);
            if let Ok(paging) = Paging::of(max, marker) {
                let (info, data) = multipart(&[1, 2, 3, 7], true);
                let out = answer(&info, Some(&data), all(), &paging);
                let listed = out.object_parts.and_then(|p| p.parts).unwrap_or_default();
                proptest::prop_assert!(listed.len() <= usize::try_from(paging.max).unwrap());
            }
        }
    }

    #[test]
    fn part_counts_are_stripped() {
        assert_eq!(strip_count("abc==-12"), "abc==");
        assert_eq!(strip_count("abc=="), "abc==");
        assert_eq!(strip_count("a-b"), "a-b");
    }
}
