//! Tagging: PutObjectTagging / GetObjectTagging / DeleteObjectTagging on a
//! version ([`object`]), Put/Get/DeleteBucketTagging ([`bucket`]), the
//! `x-amz-tagging` header of writes ([`header`]) and S3's limits on a tag
//! set ([`rules`]).
//!
//! A version's tags live on its index row (`crate::index::tagging`), so
//! GET and HEAD answer `x-amz-tagging-count` from the row they already
//! read, and lifecycle tag filters read them from the same rows. Each
//! change is also recorded in the rebuild tags of the version's files, so
//! `fdfs gateway rebuild-index` brings the tags back.
//!
//! Writes carry tags as AWS does: PutObject and CreateMultipartUpload take
//! `x-amz-tagging` (an upload's tags go to the object it completes into);
//! CopyObject copies the source version's tags unless
//! `x-amz-tagging-directive: REPLACE` gives new ones (none without the
//! header). Tags are not protected by Object Lock: a locked version's
//! tags may change, as on AWS.

pub mod header;
pub mod rules;

pub(super) mod bucket;
pub(super) mod object;
pub(super) mod record;

use std::collections::BTreeMap;

use s3s::dto::{Tag, TagSet, TaggingDirective};
use s3s::{S3Error, S3ErrorCode, S3Result};

use rules::{TagTarget, validate};

/// `x-amz-tagging-count`, on GET and HEAD of a version with tags.
pub(super) const COUNT_HEADER: &str = "x-amz-tagging-count";

/// Adds `x-amz-tagging-count` to `headers` when `tags` is not empty.
pub(super) fn add_count(headers: &mut http::HeaderMap, tags: &BTreeMap<String, String>) {
    if !tags.is_empty() {
        headers.insert(COUNT_HEADER, http::HeaderValue::from(tags.len()));
    }
}

/// A tag set as S3's XML carries it.
pub(super) fn to_dto(tags: BTreeMap<String, String>) -> TagSet {
    tags.into_iter().map(|(k, v)| Tag { key: Some(k), value: Some(v) }).collect()
}

/// A request's XML tag set, checked for `target`. A `Tag` without a `Key`
/// is an invalid key; one without a `Value` has an empty value.
pub(super) fn from_dto(set: TagSet, target: TagTarget) -> S3Result<BTreeMap<String, String>> {
    let pairs = set.into_iter().map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()));
    validate(pairs, target)
}

/// CopyObject's `x-amz-tagging-directive`: `true` for `REPLACE`, `false`
/// for `COPY` (the default); anything else is 400 InvalidArgument.
pub(super) fn replaces(d: Option<&TaggingDirective>) -> S3Result<bool> {
    match d.map(TaggingDirective::as_str) {
        None => Ok(false),
        Some(s) if s.eq_ignore_ascii_case(TaggingDirective::COPY) => Ok(false),
        Some(s) if s.eq_ignore_ascii_case(TaggingDirective::REPLACE) => Ok(true),
        Some(s) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("Unknown tagging directive: {s}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use s3s::dto::TaggingDirective;

    use super::{add_count, replaces};

    #[test]
    fn count_header_only_with_tags() {
        let mut h = http::HeaderMap::new();
        add_count(&mut h, &BTreeMap::new());
        assert!(h.is_empty());
        add_count(&mut h, &BTreeMap::from([("a".into(), "1".into()), ("b".into(), "".into())]));
        assert_eq!(h.get("x-amz-tagging-count").unwrap(), "2");
    }

    #[test]
    fn directives() {
        assert!(!replaces(None).unwrap());
        assert!(!replaces(Some(&TaggingDirective::from_static("COPY"))).unwrap());
        assert!(replaces(Some(&TaggingDirective::from_static("REPLACE"))).unwrap());
        assert!(replaces(Some(&TaggingDirective::from_static("KEEP"))).is_err());
    }
}
