//! What the rules do to one key: its versions in, a [`KeyPlan`] out. Pure,
//! so every AWS rule about versions is tested without an index.
//!
//! For a key whose versions are listed newest first:
//! - the current version (the latest, if it is not a delete marker)
//!   expires by Expiration Days/Date: in a never-versioned bucket it is
//!   removed; in a versioned one (Enabled or Suspended) a delete marker is
//!   added, as AWS does, and the version becomes noncurrent;
//! - each noncurrent version became noncurrent when its successor (the
//!   next newer row) was created; it goes once NoncurrentDays have passed
//!   since then, unless it is among the NewerNoncurrentVersions newest
//!   noncurrent ones;
//! - a delete marker that is the latest and would be the only row left
//!   goes by ExpiredObjectDeleteMarker (or a Days expiration that has
//!   passed since the marker was made).
//!
//! Locked versions are the index's business: it skips them when applying
//! the plan (and then keeps a marker that would no longer be alone).

use super::eval::{self, NoncurrentVersion};
use super::model::Configuration;
use crate::index::lifecycle::VersionCandidate;

/// What to do to one key.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KeyPlan {
    /// The current version expires (removed, or hidden by a new delete
    /// marker in a versioned bucket).
    pub expire_current: bool,
    /// Noncurrent versions to remove, by version ID.
    pub remove: Vec<String>,
    /// The latest delete marker to remove if it is then the only version.
    pub remove_lone_marker: Option<String>,
}

impl KeyPlan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        !self.expire_current && self.remove.is_empty() && self.remove_lone_marker.is_none()
    }
}

/// The plan for `key` with `versions` (newest first) under `config` at
/// `now_ms`; each version's tag filter is matched against its own tags.
pub fn plan_key(
    config: &Configuration,
    key: &str,
    versions: &[VersionCandidate],
    now_ms: i64,
    day_ms: i64,
) -> KeyPlan {
    let mut plan = KeyPlan::default();
    let Some(latest) = versions.first().filter(|v| v.is_latest) else {
        return plan;
    };
    if !latest.delete_marker {
        let (size, created, tags) = (latest.size, latest.last_modified_ms, &latest.tags);
        let expiry = eval::current_expiry(config, key, size, created, tags, day_ms);
        plan.expire_current = expiry.is_some_and(|(at, _)| now_ms >= at);
    }
    for (i, pair) in versions.windows(2).enumerate() {
        let (successor, v) = (&pair[0], &pair[1]);
        let candidate = NoncurrentVersion {
            key,
            size: v.size,
            tags: &v.tags,
            since_ms: successor.last_modified_ms,
            newer_noncurrent: u32::try_from(i).unwrap_or(u32::MAX),
        };
        if eval::noncurrent_expires(config, &candidate, now_ms, day_ms).is_some() {
            plan.remove.push(v.version_id.clone());
        }
    }
    let alone_after = versions.len() == plan.remove.len() + 1;
    if latest.delete_marker
        && alone_after
        && eval::lone_marker_expires(config, key, latest.last_modified_ms, now_ms, day_ms).is_some()
    {
        plan.remove_lone_marker = Some(latest.version_id.clone());
    }
    plan
}
