//! Conditional writes: `If-Match` / `If-None-Match: *` on PutObject,
//! CompleteMultipartUpload, CopyObject's destination and DeleteObject, and
//! the per-key ETag of DeleteObjects.
//!
//! # Why inside the transaction
//!
//! A condition is about the object at the key *when the write lands*. The
//! gateway checks it before streaming a body too, to fail fast with 412,
//! but two writers with `If-None-Match: *` on a new key both pass that
//! early check. So every conditional write checks again in the very
//! transaction that swaps the row: the index has one writer and each job
//! is atomic, so exactly one of two racing writers can find the key free.
//! The loser's job fails with [`IndexError::PreconditionFailed`] (or
//! [`IndexError::NoSuchKey`] for an `If-Match` whose object is gone) and
//! writes nothing; its caller decides what that means on the wire (a PUT
//! that passed the early check answers 409 ConditionalRequestConflict, as
//! S3 does when a concurrent write won).
//!
//! # Layout
//!
//! [`WriteCondition`] and its check here; the conditional operations are
//! the `*_if` methods beside their unconditional forms (`objects`,
//! `multipart::complete`).

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{IndexError, Result};

/// A condition on the object at the key a write targets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteCondition {
    /// `If-Match`: an object must exist, and with this ETag (quotes
    /// ignored); `*` accepts any existing object.
    pub if_match: Option<String>,
    /// `If-None-Match: *`: no object may exist at the key.
    pub if_none_match: bool,
}

impl WriteCondition {
    /// No condition: the write always proceeds.
    pub fn none() -> Self {
        Self::default()
    }

    /// `If-Match: etag` (or `*`).
    pub fn if_match(etag: impl Into<String>) -> Self {
        Self { if_match: Some(etag.into()), if_none_match: false }
    }

    /// `If-None-Match: *`.
    pub fn if_absent() -> Self {
        Self { if_match: None, if_none_match: true }
    }

    /// Whether the condition constrains anything.
    pub fn is_none(&self) -> bool {
        self.if_match.is_none() && !self.if_none_match
    }

    /// The verdict for the object at `bucket`/`key` whose ETag is
    /// `current` (`None`: no object). `If-Match` is checked first, so a
    /// missing object is `NoSuchKey` for it, as on S3.
    pub fn check(&self, bucket: &str, key: &str, current: Option<&str>) -> Result<()> {
        if let Some(want) = &self.if_match {
            let Some(etag) = current else {
                return Err(IndexError::NoSuchKey { bucket: bucket.into(), key: key.into() });
            };
            if want != "*" && want.trim_matches('"') != etag.trim_matches('"') {
                return Err(failed(bucket, key, "If-Match"));
            }
        }
        if self.if_none_match && current.is_some() {
            return Err(failed(bucket, key, "If-None-Match"));
        }
        Ok(())
    }
}

fn failed(bucket: &str, key: &str, what: &str) -> IndexError {
    IndexError::PreconditionFailed(format!("{what} does not hold for {bucket}/{key}"))
}

/// The ETag of the current object at `key` in bucket row `bucket`, if
/// any: the latest version unless it is a delete marker (conditions of a
/// versioned bucket are about the object a GET would return).
pub(super) fn current_etag(conn: &Connection, bucket: i64, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT etag FROM objects
             WHERE bucket_id = ?1 AND key = ?2 AND is_latest = 1 AND delete_marker = 0",
        )?
        .query_row(params![bucket, key.as_bytes()], |r| r.get(0))
        .optional()?)
}

/// Checks `cond` against the object at `key` in the caller's transaction
/// (no read at all when there is no condition).
pub(super) fn check_at(
    conn: &Connection,
    bucket_row: i64,
    bucket: &str,
    key: &str,
    cond: &WriteCondition,
) -> Result<()> {
    if cond.is_none() {
        return Ok(());
    }
    cond.check(bucket, key, current_etag(conn, bucket_row, key)?.as_deref())
}

/// Checks `cond` against the version a delete addresses: version
/// `version_id` of `key` when one is named (a delete marker has no ETag),
/// else the current object ([`check_at`]).
pub(super) fn check_version_at(
    conn: &Connection,
    bucket_row: i64,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    cond: &WriteCondition,
) -> Result<()> {
    let Some(v) = version_id else {
        return check_at(conn, bucket_row, bucket, key, cond);
    };
    if cond.is_none() {
        return Ok(());
    }
    let etag: Option<String> = conn
        .prepare_cached(
            "SELECT etag FROM objects
             WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3 AND delete_marker = 0",
        )?
        .query_row(params![bucket_row, key.as_bytes(), v], |r| r.get(0))
        .optional()?;
    cond.check(bucket, key, etag.as_deref())
}

#[cfg(test)]
mod tests {
    use super::WriteCondition;
    use crate::index::IndexError;

    #[test]
    fn verdicts() {
        let check = |c: &WriteCondition, cur: Option<&str>| c.check("b", "k", cur);
        let none = WriteCondition::none();
        assert!(check(&none, None).is_ok() && check(&none, Some("e")).is_ok());

        let absent = WriteCondition::if_absent();
        assert!(check(&absent, None).is_ok());
        assert!(matches!(check(&absent, Some("e")), Err(IndexError::PreconditionFailed(_))));

        let matching = WriteCondition::if_match("\"e\"");
        assert!(check(&matching, Some("e")).is_ok());
        assert!(matches!(check(&matching, Some("f")), Err(IndexError::PreconditionFailed(_))));
        assert!(matches!(check(&matching, None), Err(IndexError::NoSuchKey { .. })));

        let any = WriteCondition::if_match("*");
        assert!(check(&any, Some("whatever")).is_ok());
        assert!(matches!(check(&any, None), Err(IndexError::NoSuchKey { .. })));

        // Both: If-Match decides first.
        let both = WriteCondition { if_match: Some("e".into()), if_none_match: true };
        assert!(matches!(check(&both, None), Err(IndexError::NoSuchKey { .. })));
        assert!(matches!(check(&both, Some("e")), Err(IndexError::PreconditionFailed(_))));
    }
}
