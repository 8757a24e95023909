//! Conditional requests: `If-Match`, `If-None-Match`, `If-Modified-Since`
//! and `If-Unmodified-Since` on GetObject and HeadObject, and their
//! `x-amz-copy-source-if-*` twins on CopyObject and UploadPartCopy. One
//! evaluation serves all four operations so they cannot drift apart; the
//! caller decides what a "not modified" verdict means (304 on a read, 412
//! on a copy, as S3 documents).
//!
//! The order is RFC 9110 §13.2.2's, which is also what S3 documents: a
//! present `If-Match` decides alone (a passing one overrides a failing
//! `If-Unmodified-Since`), and a present `If-None-Match` decides alone (a
//! matching one gives 304 even when `If-Modified-Since` says modified).
//! Dates compare at whole seconds, the precision of an HTTP date.

use s3s::dto::{ETag, ETagCondition, Timestamp, TimestampFormat};
use s3s::{S3Error, S3ErrorCode, S3Result};

use crate::index::ObjectInfo;

/// The four conditions of a request, dates as unix seconds.
#[derive(Debug, Clone, Default)]
pub(super) struct Conditions {
    pub(super) if_match: Option<ETagCondition>,
    pub(super) if_none_match: Option<ETagCondition>,
    /// Unix seconds.
    pub(super) if_modified_since: Option<i64>,
    /// Unix seconds.
    pub(super) if_unmodified_since: Option<i64>,
}

/// What the conditions say about an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Serve the request.
    Proceed,
    /// `If-None-Match` matched or `If-Modified-Since` found no change.
    NotModified(&'static str),
    /// `If-Match` or `If-Unmodified-Since` failed: 412.
    Failed(&'static str),
}

impl Conditions {
    /// The conditions with the dates converted; an unrepresentable date is
    /// `InvalidArgument`.
    pub(super) fn new(
        if_match: Option<ETagCondition>,
        if_none_match: Option<ETagCondition>,
        if_modified_since: Option<&Timestamp>,
        if_unmodified_since: Option<&Timestamp>,
    ) -> S3Result<Self> {
        let secs = |t: Option<&Timestamp>| -> S3Result<Option<i64>> {
            t.map(|t| {
                unix_secs(t).ok_or_else(|| {
                    S3Error::with_message(S3ErrorCode::InvalidArgument, "invalid date")
                })
            })
            .transpose()
        };
        Ok(Self {
            if_match,
            if_none_match,
            if_modified_since: secs(if_modified_since)?,
            if_unmodified_since: secs(if_unmodified_since)?,
        })
    }

    /// The verdict for `head`; see the module docs for the order.
    pub(super) fn evaluate(&self, head: &ObjectInfo) -> Verdict {
        let modified = head.last_modified_ms.div_euclid(1000);
        match &self.if_match {
            // If-Match uses the strong comparison (RFC 9110 §13.1.1).
            Some(c) if !matches(c, &head.etag, true) => return Verdict::Failed("if-match"),
            Some(_) => {}
            None => {
                if self.if_unmodified_since.is_some_and(|t| modified > t) {
                    return Verdict::Failed("if-unmodified-since");
                }
            }
        }
        match &self.if_none_match {
            // If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
            Some(c) if matches(c, &head.etag, false) => Verdict::NotModified("if-none-match"),
            Some(_) => Verdict::Proceed,
            None if self.if_modified_since.is_some_and(|t| modified <= t) => {
                Verdict::NotModified("if-modified-since")
            }
            None => Verdict::Proceed,
        }
    }

    /// The copy-source reading: every failure, "not modified" included, is
    /// 412 PreconditionFailed.
    pub(super) fn check(&self, head: &ObjectInfo) -> S3Result<()> {
        match self.evaluate(head) {
            Verdict::Proceed => Ok(()),
            Verdict::NotModified(what) | Verdict::Failed(what) => Err(S3Error::with_message(
                S3ErrorCode::PreconditionFailed,
                format!("copy source condition {what} failed"),
            )),
        }
    }
}

/// Whether condition `c` names `etag` (stored unquoted; quotes tolerated).
/// `*` names any existing object. Under the strong comparison a weak tag
/// (`W/"..."`) never matches; under the weak one only the value counts.
fn matches(c: &ETagCondition, etag: &str, strong: bool) -> bool {
    let stored = etag.trim_matches('"');
    match c {
        ETagCondition::Any => true,
        ETagCondition::ETag(ETag::Weak(_)) if strong => false,
        ETagCondition::ETag(e) => e.value().trim_matches('"') == stored,
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
pub(super) fn http_date(t: &Timestamp) -> Option<String> {
    let mut buf = Vec::new();
    t.format(TimestampFormat::HttpDate, &mut buf).ok()?;
    String::from_utf8(buf).ok()
}

#[cfg(test)]
mod tests {
    use s3s::dto::{ETag, ETagCondition, Timestamp, TimestampFormat};

    use super::{Conditions, Verdict, http_date, unix_secs};
    use crate::index::{ObjectInfo, ObjectMeta};

    fn head(etag: &str, secs: i64) -> ObjectInfo {
        ObjectInfo {
            key: "k".into(),
            size: 1,
            etag: etag.into(),
            last_modified_ms: secs * 1000 + 500,
            part_count: 0,
            meta: ObjectMeta::default(),
            version_id: None,
        }
    }

    fn tag(s: &str) -> Option<ETagCondition> {
        Some(ETagCondition::ETag(ETag::Strong(s.into())))
    }

    fn weak(s: &str) -> Option<ETagCondition> {
        Some(ETagCondition::ETag(ETag::Weak(s.into())))
    }

    #[test]
    fn timestamps() {
        let t = Timestamp::parse(TimestampFormat::HttpDate, "Thu, 01 Jan 1970 00:01:40 GMT");
        let t = t.unwrap();
        assert_eq!(unix_secs(&t), Some(100));
        assert_eq!(http_date(&t).as_deref(), Some("Thu, 01 Jan 1970 00:01:40 GMT"));
    }

    #[test]
    fn single_conditions() {
        let h = head("abc", 100);
        let v = |c: Conditions| c.evaluate(&h);
        use Verdict::{Failed, NotModified, Proceed};
        assert_eq!(v(Conditions::default()), Proceed);
        assert_eq!(v(Conditions { if_match: tag("abc"), ..Default::default() }), Proceed);
        let any = Some(ETagCondition::Any);
        assert_eq!(v(Conditions { if_match: any.clone(), ..Default::default() }), Proceed);
        assert_eq!(v(Conditions { if_match: tag("x"), ..Default::default() }), Failed("if-match"));
        let nm = |c| Conditions { if_none_match: c, ..Default::default() };
        assert_eq!(v(nm(tag("abc"))), NotModified("if-none-match"));
        assert_eq!(v(nm(any)), NotModified("if-none-match"));
        assert_eq!(v(nm(tag("x"))), Proceed);
        let us = |t| Conditions { if_unmodified_since: Some(t), ..Default::default() };
        assert_eq!(v(us(100)), Proceed);
        assert_eq!(v(us(99)), Failed("if-unmodified-since"));
        let ms = |t| Conditions { if_modified_since: Some(t), ..Default::default() };
        assert_eq!(v(ms(99)), Proceed);
        assert_eq!(v(ms(100)), NotModified("if-modified-since"));
    }

    #[test]
    fn precedence() {
        let h = head("abc", 100);
        // A passing If-Match overrides a failing If-Unmodified-Since.
        let c =
            Conditions { if_match: tag("abc"), if_unmodified_since: Some(1), ..Default::default() };
        assert_eq!(c.evaluate(&h), Verdict::Proceed);
        // A matching If-None-Match gives 304 whatever If-Modified-Since says.
        let c = Conditions {
            if_none_match: tag("abc"),
            if_modified_since: Some(1),
            ..Default::default()
        };
        assert_eq!(c.evaluate(&h), Verdict::NotModified("if-none-match"));
        // A non-matching If-None-Match overrides a "not modified" date.
        let c = Conditions {
            if_none_match: tag("x"),
            if_modified_since: Some(500),
            ..Default::default()
        };
        assert_eq!(c.evaluate(&h), Verdict::Proceed);
        // 412 before 304.
        let c = Conditions { if_match: tag("x"), if_none_match: tag("abc"), ..Default::default() };
        assert_eq!(c.evaluate(&h), Verdict::Failed("if-match"));
    }

    #[test]
    fn etag_forms() {
        let h = head("abc", 100);
        // A weak tag never passes If-Match but matches for If-None-Match.
        let c = Conditions { if_match: weak("abc"), ..Default::default() };
        assert_eq!(c.evaluate(&h), Verdict::Failed("if-match"));
        let c = Conditions { if_none_match: weak("abc"), ..Default::default() };
        assert_eq!(c.evaluate(&h), Verdict::NotModified("if-none-match"));
        // A stored tag that kept its quotes still compares by value.
        let quoted = head("\"abc\"", 100);
        let c = Conditions { if_match: tag("abc"), ..Default::default() };
        assert_eq!(c.evaluate(&quoted), Verdict::Proceed);
    }

    #[test]
    fn copy_reading_is_412() {
        let h = head("abc", 100);
        let c = Conditions { if_none_match: tag("abc"), ..Default::default() };
        assert!(c.check(&h).is_err());
        assert!(Conditions::default().check(&h).is_ok());
    }
}
