//! Conditional writes on the wire: `If-Match` and `If-None-Match` of
//! PutObject, CompleteMultipartUpload, CopyObject (its destination) and
//! DeleteObject become an index [`WriteCondition`], which the index checks
//! in the transaction that writes (see `crate::index::conditions` for why).
//!
//! As on S3: `If-None-Match` takes only `*` (any other value is 501
//! NotImplemented); a failed condition is 412 PreconditionFailed, and an
//! `If-Match` with no object at the key 404 NoSuchKey. A PutObject checks
//! before it streams its body ([`precheck`]), so a doomed upload fails
//! fast; when the condition held then but not at the commit, a concurrent
//! write won the race and the answer is 409 ConditionalRequestConflict
//! ([`lost_race`]), after which the client starts over.
//!
//! The read-side conditionals (GET/HEAD, copy source) are `conditions`.

use http::HeaderMap;
use s3s::dto::{ETag, ETagCondition};
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::{Inner, error};
use crate::index::{IndexError, WriteCondition};

/// The write condition of a request's `If-Match` / `If-None-Match`.
pub(super) fn write_condition(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
) -> S3Result<WriteCondition> {
    let if_none_match = match if_none_match {
        None => false,
        Some(ETagCondition::Any) => true,
        Some(ETagCondition::ETag(_)) => {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "A header you provided implies functionality that is not implemented: \
                 If-None-Match takes only '*' on a write",
            ));
        }
    };
    let if_match = if_match.map(|c| match c {
        ETagCondition::Any => "*".to_string(),
        ETagCondition::ETag(ETag::Strong(v)) => v.clone(),
        // If-Match compares strongly: a weak tag names no stored object,
        // and its `W/` prefix keeps it from ever matching one.
        ETagCondition::ETag(ETag::Weak(v)) => format!("W/{v}"),
    });
    Ok(WriteCondition { if_match, if_none_match })
}

/// The write condition of raw request headers, for operations whose `s3s`
/// input does not carry them (CopyObject: its `If-Match` and
/// `If-None-Match` are about the destination).
pub(super) fn write_condition_from_headers(headers: &HeaderMap) -> S3Result<WriteCondition> {
    let parse = |name: &str| -> S3Result<Option<ETagCondition>> {
        headers
            .get(name)
            .map(|v| {
                ETagCondition::parse_http_header(v.as_bytes()).map_err(|_| {
                    S3Error::with_message(S3ErrorCode::InvalidArgument, format!("invalid {name}"))
                })
            })
            .transpose()
    };
    let (m, n) = (parse("if-match")?, parse("if-none-match")?);
    write_condition(m.as_ref(), n.as_ref())
}

/// Checks `cond` against the object at `bucket`/`key` now, before any
/// byte is stored: 412, or 404 for an `If-Match` on a missing object.
pub(super) async fn precheck(
    inner: &Inner,
    owner: &str,
    bucket: &str,
    key: &str,
    cond: &WriteCondition,
) -> S3Result<()> {
    if cond.is_none() {
        return Ok(());
    }
    let (b, k) = (bucket.to_string(), key.to_string());
    let current = match inner.index.read(move |ix| ix.head_object(&b, &k)).await {
        Ok(info) => Some(info.etag),
        // A delete marker as the latest version: no current object.
        Err(IndexError::NoSuchKey { .. } | IndexError::DeleteMarker { .. }) => None,
        Err(e) => return Err(error::from_index(e, owner)),
    };
    cond.check(bucket, key, current.as_deref()).map_err(|e| error::from_index(e, owner))
}

/// Whether an index write failed on its condition.
pub(super) fn condition_failed(e: &IndexError) -> bool {
    matches!(e, IndexError::PreconditionFailed(_) | IndexError::NoSuchKey { .. })
}

/// The reply for a write whose condition held at the [`precheck`] but not
/// in its transaction: another write to the key won the race.
pub(super) fn lost_race(e: &IndexError) -> S3Error {
    tracing::debug!(error = %e, "conditional write lost a race");
    S3Error::with_message(
        S3ErrorCode::ConditionalRequestConflict,
        "A conflicting operation occurred on this key while the object was uploaded; \
         retry the request.",
    )
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};
    use s3s::S3ErrorCode;
    use s3s::dto::{ETag, ETagCondition};

    use super::{write_condition, write_condition_from_headers};
    use crate::index::WriteCondition;

    #[test]
    fn conditions_from_the_wire() {
        assert_eq!(write_condition(None, None).unwrap(), WriteCondition::none());
        let any = ETagCondition::Any;
        assert_eq!(write_condition(None, Some(&any)).unwrap(), WriteCondition::if_absent());
        assert_eq!(write_condition(Some(&any), None).unwrap(), WriteCondition::if_match("*"));
        let tag = ETagCondition::ETag(ETag::Strong("abc".into()));
        assert_eq!(write_condition(Some(&tag), None).unwrap(), WriteCondition::if_match("abc"));
        let e = write_condition(None, Some(&tag)).unwrap_err();
        assert_eq!(*e.code(), S3ErrorCode::NotImplemented);
        let weak = ETagCondition::ETag(ETag::Weak("abc".into()));
        let c = write_condition(Some(&weak), None).unwrap();
        assert!(c.check("b", "k", Some("abc")).is_err());
    }

    #[test]
    fn conditions_from_headers() {
        let mut h = HeaderMap::new();
        assert!(write_condition_from_headers(&h).unwrap().is_none());
        h.insert("if-none-match", HeaderValue::from_static("*"));
        assert_eq!(write_condition_from_headers(&h).unwrap(), WriteCondition::if_absent());
        h.insert("if-match", HeaderValue::from_static("\"abc\""));
        let c = write_condition_from_headers(&h).unwrap();
        assert_eq!(c.if_match.as_deref(), Some("abc"));
        h.insert("if-match", HeaderValue::from_static("not quoted"));
        assert!(write_condition_from_headers(&h).is_err());
    }

    proptest::proptest! {
        /// The headers are network input: any bytes are answered without a
        /// panic, and a quoted tag always becomes the If-Match it names.
        #[test]
        fn any_header_is_parsed(
            raw in proptest::collection::vec(proptest::num::u8::ANY, 0..80),
            tag in "[0-9a-f]{32}(-[0-9]{1,5})?",
        ) {
            if let Ok(v) = HeaderValue::from_bytes(&raw) {
                let mut h = HeaderMap::new();
                h.insert("if-match", v.clone());
                h.insert("if-none-match", v);
                let _ = write_condition_from_headers(&h);
            }
            let mut h = HeaderMap::new();
            h.insert("if-match", HeaderValue::from_str(&format!("\"{tag}\"")).unwrap());
            let c = write_condition_from_headers(&h).unwrap();
            proptest::prop_assert_eq!(c.if_match.as_deref(), Some(tag.as_str()));
        }
    }
}
