//! CopyObject of a whole object. No bytes move: the destination row shares
//! the source's FastDFS file IDs (the index raises their refcounts), so a
//! copy costs one index transaction whatever the object's size, and
//! deleting either object later leaves the other intact.
//!
//! The copy-source conditions (`x-amz-copy-source-if-*`) are evaluated
//! inside the same writer job as the copy itself: the index has a single
//! writer, so no other write can slip between the check and the copy.

use std::collections::BTreeMap;

use s3s::dto::{
    CopyObjectInput, CopyObjectOutput, CopyObjectResult, CopySource, ETag, ETagCondition,
    MetadataDirective, Timestamp, TimestampFormat,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::{Inner, error, now_ms, owner_of, timestamp};
use crate::checksum::ChecksumAlgorithm;
use crate::index::{Index, IndexError, MetaDirective, ObjectInfo, ObjectMeta};

/// The source named by `x-amz-copy-source`, already URL-decoded by `s3s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Source {
    pub(super) bucket: String,
    pub(super) key: String,
}

/// The `x-amz-copy-source-if-*` conditions of a request.
#[derive(Debug, Clone, Default)]
pub(super) struct Conditions {
    pub(super) if_match: Option<ETagCondition>,
    pub(super) if_none_match: Option<ETagCondition>,
    /// Unix seconds.
    pub(super) if_modified_since: Option<i64>,
    /// Unix seconds.
    pub(super) if_unmodified_since: Option<i64>,
}

/// What the writer job decided: the copy and the file IDs its overwrite
/// queued, or the refusal of a failed condition.
type Outcome = Result<(ObjectInfo, Vec<String>), S3Error>;

pub async fn copy_object(
    inner: &Inner,
    req: S3Request<CopyObjectInput>,
) -> S3Result<S3Response<CopyObjectOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let src = source(&input.copy_source)?;
    let span = info_span!(
        "s3.copy_object",
        bucket = %input.bucket,
        key = %input.key,
        src_bucket = %src.bucket,
        src_key = %src.key,
    );
    async {
        check_owner(inner, &src.bucket, &owner).await?;
        check_owner(inner, &input.bucket, &owner).await?;
        let replace = directive(input.metadata_directive.as_ref())?;
        if src.bucket == input.bucket && src.key == input.key && !replace {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself \
                 without changing the object's metadata, storage class, website redirect \
                 location or encryption attributes.",
            ));
        }
        let conditions = conditions(&input)?;
        let new_meta = replace.then(|| requested_meta(&input));
        let (dst_bucket, dst_key) = (input.bucket.clone(), input.key.clone());
        let outcome = inner
            .index
            .write(move |ix| {
                copy_job(ix, &src, (&dst_bucket, &dst_key), &conditions, new_meta, now_ms())
            })
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let (info, released) = outcome?;
        if !released.is_empty() {
            inner.deletes.notify_one();
        }
        tracing::debug!(size = info.size, "copied by reference");
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(result(&info)),
            ..CopyObjectOutput::default()
        }))
    }
    .instrument(span)
    .await
}

/// The writer job: read the source, check the conditions, copy.
fn copy_job(
    ix: &mut Index,
    src: &Source,
    dst: (&str, &str),
    conditions: &Conditions,
    new_meta: Option<ObjectMeta>,
    now_ms: i64,
) -> Result<Outcome, IndexError> {
    let head = ix.head_object(&src.bucket, &src.key)?;
    if let Err(e) = conditions.check(&head) {
        return Ok(Err(e));
    }
    let directive = match new_meta {
        None => MetaDirective::Copy,
        Some(mut meta) => {
            // The bytes are the same, so their checksums still hold.
            meta.checksums = head.meta.checksums;
            MetaDirective::Replace(Box::new(meta))
        }
    };
    let (info, released) = ix.copy_object((&src.bucket, &src.key), dst, directive, now_ms)?;
    Ok(Ok((info, released)))
}

/// The source bucket and key; a version other than `null` (the only one
/// an unversioned bucket has) does not exist, and access points are not
/// served.
pub(super) fn source(cs: &CopySource) -> S3Result<Source> {
    match cs {
        CopySource::Bucket { bucket, key, version_id } => {
            if let Some(v) = version_id
                && &**v != "null"
            {
                return Err(S3Error::with_message(
                    S3ErrorCode::NoSuchVersion,
                    format!("version {v:?} of the copy source does not exist"),
                ));
            }
            if key.is_empty() {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "the copy source has no key",
                ));
            }
            Ok(Source { bucket: bucket.to_string(), key: key.to_string() })
        }
        _ => Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            "access point copy sources are not supported",
        )),
    }
}

/// `true` for `REPLACE`, `false` for `COPY` (the default).
fn directive(d: Option<&MetadataDirective>) -> S3Result<bool> {
    match d.map(MetadataDirective::as_str) {
        None => Ok(false),
        Some(s) if s.eq_ignore_ascii_case(MetadataDirective::COPY) => Ok(false),
        Some(s) if s.eq_ignore_ascii_case(MetadataDirective::REPLACE) => Ok(true),
        Some(s) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("unknown metadata directive {s:?}"),
        )),
    }
}

/// The metadata a `REPLACE` copy gives the destination: the request's.
fn requested_meta(input: &CopyObjectInput) -> ObjectMeta {
    ObjectMeta {
        content_type: input.content_type.clone(),
        content_encoding: input.content_encoding.clone(),
        content_disposition: input.content_disposition.clone(),
        content_language: input.content_language.clone(),
        cache_control: input.cache_control.clone(),
        expires: input.expires.as_ref().and_then(http_date),
        storage_class: input.storage_class.as_ref().map(|s| s.as_str().to_string()),
        user: input
            .metadata
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect())
            .unwrap_or_default(),
        checksums: BTreeMap::new(),
    }
}

fn conditions(input: &CopyObjectInput) -> S3Result<Conditions> {
    let secs = |t: &Option<Timestamp>| -> S3Result<Option<i64>> {
        t.as_ref()
            .map(|t| {
                unix_secs(t).ok_or_else(|| {
                    S3Error::with_message(S3ErrorCode::InvalidArgument, "invalid date")
                })
            })
            .transpose()
    };
    Ok(Conditions {
        if_match: input.copy_source_if_match.clone(),
        if_none_match: input.copy_source_if_none_match.clone(),
        if_modified_since: secs(&input.copy_source_if_modified_since)?,
        if_unmodified_since: secs(&input.copy_source_if_unmodified_since)?,
    })
}

impl Conditions {
    /// S3's rules: a passing `if-match` overrides a failing
    /// `if-unmodified-since`; a present `if-none-match` decides alone
    /// (RFC 9110 ignores `if-modified-since` next to it). Failures are
    /// 412 PreconditionFailed.
    pub(super) fn check(&self, head: &ObjectInfo) -> S3Result<()> {
        let modified = head.last_modified_ms.div_euclid(1000);
        let failed = |what: &str| {
            Err(S3Error::with_message(
                S3ErrorCode::PreconditionFailed,
                format!("copy source condition {what} failed"),
            ))
        };
        match &self.if_match {
            Some(c) if !matches(c, &head.etag) => return failed("if-match"),
            Some(_) => {}
            None => {
                if self.if_unmodified_since.is_some_and(|t| modified > t) {
                    return failed("if-unmodified-since");
                }
            }
        }
        match &self.if_none_match {
            Some(c) if matches(c, &head.etag) => return failed("if-none-match"),
            Some(_) => {}
            None => {
                if self.if_modified_since.is_some_and(|t| modified <= t) {
                    return failed("if-modified-since");
                }
            }
        }
        Ok(())
    }
}

/// Whether a condition names `etag` (stored unquoted); `*` names any.
fn matches(c: &ETagCondition, etag: &str) -> bool {
    match c {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value() == etag,
    }
}

/// A timestamp as whole unix seconds.
pub(super) fn unix_secs(t: &Timestamp) -> Option<i64> {
    let mut buf = Vec::new();
    t.format(TimestampFormat::EpochSeconds, &mut buf).ok()?;
    let text = String::from_utf8(buf).ok()?;
    let whole = text.split('.').next()?;
    whole.parse().ok()
}

/// A timestamp as an HTTP date, the form `Expires` is stored in.
fn http_date(t: &Timestamp) -> Option<String> {
    let mut buf = Vec::new();
    t.format(TimestampFormat::HttpDate, &mut buf).ok()?;
    String::from_utf8(buf).ok()
}

/// The response body: the new object's ETag, time and checksums.
fn result(info: &ObjectInfo) -> CopyObjectResult {
    let sum = |a: ChecksumAlgorithm| info.meta.checksums.get(a.as_str()).cloned();
    CopyObjectResult {
        e_tag: Some(ETag::Strong(info.etag.clone())),
        last_modified: Some(timestamp(info.last_modified_ms)),
        checksum_crc32: sum(ChecksumAlgorithm::Crc32),
        checksum_crc32c: sum(ChecksumAlgorithm::Crc32c),
        checksum_crc64nvme: sum(ChecksumAlgorithm::Crc64Nvme),
        checksum_sha1: sum(ChecksumAlgorithm::Sha1),
        checksum_sha256: sum(ChecksumAlgorithm::Sha256),
        ..CopyObjectResult::default()
    }
}

#[cfg(test)]
mod tests {
    use s3s::dto::TimestampFormat;
    use s3s::dto::{CopySource, ETag, ETagCondition, MetadataDirective, Timestamp};

    use super::{Conditions, directive, source, unix_secs};
    use crate::index::{ObjectInfo, ObjectMeta};

    fn head(etag: &str, secs: i64) -> ObjectInfo {
        ObjectInfo {
            key: "k".into(),
            size: 1,
            etag: etag.into(),
            last_modified_ms: secs * 1000 + 500,
            part_count: 0,
            meta: ObjectMeta::default(),
        }
    }

    #[test]
    fn sources() {
        let cs = CopySource::parse("/bkt/d%C3%A4r/a%20b.txt").unwrap();
        let s = source(&cs).unwrap();
        assert_eq!((s.bucket.as_str(), s.key.as_str()), ("bkt", "där/a b.txt"));
        let null = CopySource::parse("bkt/k?versionId=null").unwrap();
        assert!(source(&null).is_ok());
        let other = CopySource::parse("bkt/k?versionId=3").unwrap();
        assert!(source(&other).is_err());
    }

    #[test]
    fn directives() {
        assert!(!directive(None).unwrap());
        assert!(!directive(Some(&MetadataDirective::from_static("COPY"))).unwrap());
        assert!(directive(Some(&MetadataDirective::from_static("REPLACE"))).unwrap());
        assert!(directive(Some(&MetadataDirective::from_static("MOVE"))).is_err());
    }

    #[test]
    fn timestamps_to_seconds() {
        let t = Timestamp::parse(TimestampFormat::HttpDate, "Thu, 01 Jan 1970 00:01:40 GMT");
        assert_eq!(unix_secs(&t.unwrap()), Some(100));
    }

    #[test]
    fn conditions() {
        let h = head("abc", 100);
        let tag = |s: &str| Some(ETagCondition::ETag(ETag::Strong(s.into())));
        let ok = |c: Conditions| c.check(&h).is_ok();
        assert!(ok(Conditions::default()));
        assert!(ok(Conditions { if_match: tag("abc"), ..Default::default() }));
        assert!(ok(Conditions { if_match: Some(ETagCondition::Any), ..Default::default() }));
        assert!(!ok(Conditions { if_match: tag("x"), ..Default::default() }));
        assert!(!ok(Conditions { if_none_match: tag("abc"), ..Default::default() }));
        assert!(ok(Conditions { if_none_match: tag("x"), ..Default::default() }));
        assert!(ok(Conditions { if_unmodified_since: Some(100), ..Default::default() }));
        assert!(!ok(Conditions { if_unmodified_since: Some(99), ..Default::default() }));
        assert!(ok(Conditions { if_modified_since: Some(99), ..Default::default() }));
        assert!(!ok(Conditions { if_modified_since: Some(100), ..Default::default() }));
        // A passing if-match overrides a failing if-unmodified-since.
        assert!(ok(Conditions {
            if_match: tag("abc"),
            if_unmodified_since: Some(1),
            ..Default::default()
        }));
    }
}
