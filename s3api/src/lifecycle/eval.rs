//! Pure evaluation of a [`Configuration`]: when does an object, a
//! noncurrent version, a delete marker or an upload expire, and what does
//! the `x-amz-expiration` header say. No I/O, no clock: the caller passes
//! `now` and the length of a day, so tests can shrink days to seconds.
//!
//! # Days, as AWS counts them
//!
//! An action "N days after" an instant T happens at T + N days *rounded up
//! to the next midnight UTC*: an object created on 2014-01-15 at 10:30 UTC
//! under `<Days>3</Days>` expires at 2014-01-19 00:00 UTC (T + 3 days is
//! 2014-01-18 10:30, and the next midnight follows). A T + N days that
//! falls exactly on a midnight moves to the following one, so an object
//! always lives at least N full days. With a scaled day (the test-only
//! `FDFS_LIFECYCLE_DAY_SECONDS`), "midnight" is a multiple of the scaled
//! day since the epoch.
//!
//! # Tags
//!
//! A tag filter is evaluated against the tag set the caller passes: the
//! version's own tags (see [`super::tags`]); a rule matches when every tag
//! it names is among them.

use s3s::dto::TimestampFormat;

use super::model::{Configuration, Expiration, Rule};

/// The length of a day in ms, as AWS counts (86,400 s).
pub const DAY_MS: i64 = 86_400_000;

/// T + `days` days, rounded up to the next midnight (day boundary of a
/// `day_ms`-long day); saturates instead of overflowing.
pub fn days_after(t_ms: i64, days: u32, day_ms: i64) -> i64 {
    let day_ms = day_ms.max(1);
    let t = t_ms.saturating_add(i64::from(days).saturating_mul(day_ms));
    t.div_euclid(day_ms).saturating_add(1).saturating_mul(day_ms)
}

/// When an object created at `created_ms` expires under `rule`'s
/// Expiration (Days or Date), if it has one.
pub fn expiry_of(rule: &Rule, created_ms: i64, day_ms: i64) -> Option<i64> {
    match rule.expiration? {
        Expiration::Days(d) => Some(days_after(created_ms, d, day_ms)),
        Expiration::Date(date_ms) => Some(date_ms),
        Expiration::ExpiredDeleteMarker => None,
    }
}

/// The earliest expiry of a current object (`key`, `size` bytes, created
/// at `created_ms`, tag set `tags`) over every enabled rule that applies,
/// with that rule: what `x-amz-expiration` announces and what the worker
/// acts on once `now >= expiry`.
pub fn current_expiry<'c>(
    config: &'c Configuration,
    key: &str,
    size: u64,
    created_ms: i64,
    tags: &[(String, String)],
    day_ms: i64,
) -> Option<(i64, &'c Rule)> {
    config
        .rules
        .iter()
        .filter(|r| r.enabled && r.filter.matches(key, size, tags))
        .filter_map(|r| Some((expiry_of(r, created_ms, day_ms)?, r)))
        .min_by_key(|(at, _)| *at)
}

/// A noncurrent version, as [`noncurrent_expires`] judges it.
#[derive(Debug, Clone, Copy)]
pub struct NoncurrentVersion<'a> {
    pub key: &'a str,
    pub size: u64,
    pub tags: &'a [(String, String)],
    /// When it became noncurrent: its successor's creation time.
    pub since_ms: i64,
    /// How many noncurrent versions of its key are newer than it.
    pub newer_noncurrent: u32,
}

/// Whether noncurrent version `v` expires at `now_ms`: NoncurrentDays
/// must have passed since it became noncurrent *and* it must not be among
/// the NewerNoncurrentVersions newest noncurrent ones. Returns the rule.
pub fn noncurrent_expires<'c>(
    config: &'c Configuration,
    v: &NoncurrentVersion<'_>,
    now_ms: i64,
    day_ms: i64,
) -> Option<&'c Rule> {
    config.rules.iter().find(|r| {
        let Some(nc) = r.noncurrent else { return false };
        r.enabled
            && r.filter.matches(v.key, v.size, v.tags)
            && v.newer_noncurrent >= nc.newer_versions.unwrap_or(0)
            && now_ms >= days_after(v.since_ms, nc.days, day_ms)
    })
}

/// Whether a delete marker that is the only version left of `key`
/// (created at `created_ms`) is removed at `now_ms`: by a rule with
/// ExpiredObjectDeleteMarker, or — as AWS does — by a Days expiration
/// whose days have passed since the marker was made. A marker has no size
/// or tags: rules with a size filter do not apply to it.
pub fn lone_marker_expires<'c>(
    config: &'c Configuration,
    key: &str,
    created_ms: i64,
    now_ms: i64,
    day_ms: i64,
) -> Option<&'c Rule> {
    config.rules.iter().find(|r| {
        let applies = r.enabled && !r.filter.has_size() && r.filter.matches(key, 0, &[]);
        applies
            && match r.expiration {
                Some(Expiration::ExpiredDeleteMarker) => true,
                Some(Expiration::Days(d)) => now_ms >= days_after(created_ms, d, day_ms),
                _ => false,
            }
    })
}

/// Whether an incomplete multipart upload of `key` initiated at
/// `initiated_ms` is aborted at `now_ms` (AbortIncompleteMultipartUpload).
/// Uploads have no tags and no size yet: rules filtering on either do not
/// apply to them.
pub fn upload_aborts<'c>(
    config: &'c Configuration,
    key: &str,
    initiated_ms: i64,
    now_ms: i64,
    day_ms: i64,
) -> Option<&'c Rule> {
    config.rules.iter().find(|r| {
        let Some(days) = r.abort_upload_days else { return false };
        r.enabled
            && !r.filter.has_size()
            && !r.filter.has_tags()
            && r.filter.matches_key(key)
            && now_ms >= days_after(initiated_ms, days, day_ms)
    })
}

/// The `x-amz-expiration` value for an expiry at `at_ms` by rule `rule_id`:
/// `expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"`.
/// `None` when the rule ID cannot travel in a header (control characters).
pub fn expiration_header(at_ms: i64, rule_id: &str) -> Option<String> {
    if rule_id.chars().any(|c| c.is_control() && c != '\t') {
        return None;
    }
    let mut buf = Vec::new();
    crate::gateway::timestamp(at_ms).format(TimestampFormat::HttpDate, &mut buf).ok()?;
    let date = String::from_utf8(buf).ok()?;
    Some(format!("expiry-date=\"{date}\", rule-id=\"{rule_id}\""))
}
