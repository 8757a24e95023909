//! Retention down to the disk: the S3 Object Lock promises a file's tags
//! carry, and the decisions the storage makes from them.
//!
//! The gateway writes three FastDFS metadata tags on every file of a
//! retained or legally held version:
//!
//! - [`MODE_TAG`] `s3-lock-mode` = `GOVERNANCE` or `COMPLIANCE`;
//! - [`UNTIL_TAG`] `s3-lock-until` = the retain-until date in unix
//!   milliseconds, decimal;
//! - [`HOLD_TAG`] `s3-legal-hold` = `ON` (absent or `OFF`: no hold).
//!
//! A file is *locked* while it has a hold or an unexpired retention
//! ([`Retention::is_locked`]); a locked file is not deleted, truncated,
//! appended to, modified or renamed for a native client, and its tags may
//! only change in ways that keep every promise ([`Retention::allows`]).
//! Only the storage's `lock_admin_hosts` (the gateway, which applies S3's
//! rules itself, e.g. a governance bypass) and group peers replaying a
//! change the source already checked skip these checks ([`Worm::Bypass`]).
//!
//! Garbage fails safe: a tag that is present but does not parse counts as
//! the strongest promise it could have meant — an until that is not a
//! number is "forever", a mode that is neither name is COMPLIANCE, a hold
//! that is not `ON` or `OFF` is on, and a mode without an until is
//! retention forever. A file none of whose tags is present is unaffected.

use fdfs_protocol::metadata::Metadata;

/// The tag naming the retention mode.
pub const MODE_TAG: &str = "s3-lock-mode";
/// The tag holding the retain-until date, unix milliseconds.
pub const UNTIL_TAG: &str = "s3-lock-until";
/// The tag holding the legal hold status.
pub const HOLD_TAG: &str = "s3-legal-hold";

/// Whether a change is checked against the file's retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worm {
    /// Check: a native client's request, judged at `now_ms` (unix ms).
    Enforce {
        /// The time the request is judged at, unix milliseconds.
        now_ms: u64,
    },
    /// Do not check: a `lock_admin_hosts` client or a group peer's sync.
    Bypass,
}

impl Worm {
    /// [`Worm::Enforce`] at the current time.
    pub fn enforce_now() -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self::Enforce { now_ms }
    }
}

/// How strongly a retention binds: GOVERNANCE can be lifted by the
/// gateway with a bypass, COMPLIANCE by no one (ordered weakest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// `GOVERNANCE`.
    Governance,
    /// `COMPLIANCE` (and any value that is not `GOVERNANCE`).
    Compliance,
}

/// The retention promises one file's tags carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    /// Retained until this time (unix ms); `u64::MAX` when the tag is
    /// garbage or the mode has no until. `None`: no retention.
    pub until_ms: Option<u64>,
    /// The mode; `None` when no retention.
    pub mode: Option<Mode>,
    /// Whether a legal hold is on.
    pub legal_hold: bool,
}

impl Retention {
    /// Reads the promises of a stored `-m` blob (any bytes: never fails).
    pub fn from_blob(blob: &[u8]) -> Self {
        Self::from_metadata(&Metadata::from_bytes(blob))
    }

    /// Reads the promises of a metadata list.
    pub fn from_metadata(meta: &Metadata) -> Self {
        let until = meta.get(UNTIL_TAG).map(|v| parse_until(v).unwrap_or(u64::MAX));
        let mode = meta.get(MODE_TAG).map(|v| match v {
            b"GOVERNANCE" => Mode::Governance,
            _ => Mode::Compliance,
        });
        let (until_ms, mode) = match (until, mode) {
            (None, None) => (None, None),
            // An until without a mode: the stronger mode.
            (Some(until), None) => (Some(until), Some(Mode::Compliance)),
            // A mode without an until: retained until someone with the
            // right fixes the tags.
            (None, Some(mode)) => (Some(u64::MAX), Some(mode)),
            (Some(until), Some(mode)) => (Some(until), Some(mode)),
        };
        let legal_hold = meta.get(HOLD_TAG).is_some_and(|v| v != b"OFF");
        Self { until_ms, mode, legal_hold }
    }

    /// Whether any promise is made at all (a tag is present).
    pub fn is_none(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the retention is still running at `now_ms`.
    pub fn is_retained(&self, now_ms: u64) -> bool {
        self.until_ms.is_some_and(|until| until > now_ms)
    }

    /// Whether the file must be kept as it is at `now_ms`: a legal hold, or
    /// a retention that has not expired.
    pub fn is_locked(&self, now_ms: u64) -> bool {
        self.legal_hold || self.is_retained(now_ms)
    }

    /// Whether tags carrying `new` may replace tags carrying `self` at
    /// `now_ms`: a hold stays on; while the retention runs its until does
    /// not move earlier and COMPLIANCE is not weakened or removed. An
    /// expired retention may change or go; a new one may always be added.
    pub fn allows(&self, new: &Self, now_ms: u64) -> bool {
        if self.legal_hold && !new.legal_hold {
            return false;
        }
        if !self.is_retained(now_ms) {
            return true;
        }
        let (Some(old_until), Some(old_mode)) = (self.until_ms, self.mode) else {
            return true;
        };
        let (Some(new_until), Some(new_mode)) = (new.until_ms, new.mode) else {
            return false;
        };
        new_until >= old_until && new_mode >= old_mode
    }
}

/// `allows_metadata`: whether metadata `new` may replace `old` at `now_ms`.
pub fn allows_metadata(old: &Metadata, new: &Metadata, now_ms: u64) -> bool {
    Retention::from_metadata(old).allows(&Retention::from_metadata(new), now_ms)
}

/// A decimal until; `None` when it is not one (garbage: fail safe).
fn parse_until(value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use fdfs_protocol::message::Encode;
    use fdfs_protocol::metadata::Metadata;
    use proptest::prelude::{any, prop_assert, proptest};
    use proptest::sample::select;

    use super::{HOLD_TAG, MODE_TAG, Mode, Retention, UNTIL_TAG, allows_metadata};

    const NOW: u64 = 1_800_000_000_000;

    fn meta(pairs: &[(&str, &str)]) -> Metadata {
        pairs.iter().map(|&(n, v)| (n, v)).collect()
    }

    fn locked(mode: &str, until: u64) -> Metadata {
        meta(&[("s3-bucket", "b"), (MODE_TAG, mode), (UNTIL_TAG, &until.to_string())])
    }

    #[test]
    fn reads_the_tags() {
        let r = Retention::from_metadata(&locked("GOVERNANCE", NOW + 5));
        assert_eq!(r.until_ms, Some(NOW + 5));
        assert_eq!(r.mode, Some(Mode::Governance));
        assert!(!r.legal_hold);
        assert!(r.is_locked(NOW) && r.is_locked(NOW + 4));
        assert!(!r.is_locked(NOW + 5) && !r.is_locked(NOW + 6));
        let hold = Retention::from_metadata(&meta(&[(HOLD_TAG, "ON")]));
        assert!(hold.legal_hold && hold.is_locked(u64::MAX));
        let off = Retention::from_metadata(&meta(&[(HOLD_TAG, "OFF"), ("x", "y")]));
        assert!(off.is_none() && !off.is_locked(0));
        assert!(Retention::from_blob(b"").is_none());
    }

    #[test]
    fn garbage_fails_safe_only_when_the_tag_is_present() {
        let cases: &[(&[(&str, &str)], bool)] = &[
            (&[(UNTIL_TAG, "soon")], true),
            (&[(UNTIL_TAG, "")], true),
            (&[(UNTIL_TAG, "-5")], true),
            (&[(UNTIL_TAG, "99999999999999999999999")], true),
            (&[(MODE_TAG, "GOVERNANCE")], true),
            (&[(MODE_TAG, "bogus"), (UNTIL_TAG, "1")], false),
            (&[(HOLD_TAG, "on")], true),
            (&[(HOLD_TAG, "")], true),
            (&[("s3-lock-untilx", "9")], false),
            (&[("other", "ON")], false),
        ];
        for &(pairs, want) in cases {
            let r = Retention::from_metadata(&meta(pairs));
            assert_eq!(r.is_locked(NOW), want, "{pairs:?}: {r:?}");
        }
        let bogus = Retention::from_metadata(&meta(&[(MODE_TAG, "bogus"), (UNTIL_TAG, "1")]));
        assert_eq!(bogus.mode, Some(Mode::Compliance));
    }

    #[test]
    fn tag_changes_keep_every_promise() {
        let gov = locked("GOVERNANCE", NOW + 1000);
        let comp = locked("COMPLIANCE", NOW + 1000);
        let none = meta(&[("s3-bucket", "b")]);
        let cases = [
            (&gov, locked("GOVERNANCE", NOW + 2000), true),
            (&gov, locked("GOVERNANCE", NOW + 999), false),
            (&gov, locked("COMPLIANCE", NOW + 1000), true),
            (&comp, locked("GOVERNANCE", NOW + 5000), false),
            (&comp, locked("COMPLIANCE", NOW + 5000), true),
            (&gov, none.clone(), false),
            (&comp, meta(&[(UNTIL_TAG, &(NOW + 1000).to_string())]), true),
            (&none, locked("GOVERNANCE", NOW + 1), true),
            (&none, meta(&[]), true),
        ];
        for (old, new, want) in cases {
            assert_eq!(allows_metadata(old, &new, NOW), want, "{old:?} -> {new:?}");
        }
        // Expired: anything goes, the hold aside.
        assert!(allows_metadata(&comp, &none, NOW + 1000));
        let held = meta(&[(HOLD_TAG, "ON")]);
        assert!(!allows_metadata(&held, &none, NOW));
        assert!(!allows_metadata(&held, &meta(&[(HOLD_TAG, "OFF")]), NOW));
        assert!(allows_metadata(&held, &meta(&[(HOLD_TAG, "ON"), ("a", "b")]), NOW));
        assert!(allows_metadata(&none, &held, NOW));
    }

    fn tag_value() -> impl proptest::strategy::Strategy<Value = String> {
        select(vec![
            String::new(),
            "ON".into(),
            "OFF".into(),
            "GOVERNANCE".into(),
            "COMPLIANCE".into(),
            "x".into(),
            (NOW - 1).to_string(),
            NOW.to_string(),
            (NOW + 1).to_string(),
            (NOW + 10_000).to_string(),
        ])
    }

    fn tags() -> impl proptest::strategy::Strategy<Value = Metadata> {
        let name = select(vec![MODE_TAG, UNTIL_TAG, HOLD_TAG, "s3-bucket"]);
        proptest::collection::vec((name, tag_value()), 0..5)
            .prop_map(|pairs| pairs.into_iter().collect())
    }

    use proptest::strategy::Strategy;

    proptest! {
        #[test]
        fn any_blob_parses_without_panic(blob in proptest::collection::vec(any::<u8>(), 0..512), now in any::<u64>()) {
            let r = Retention::from_blob(&blob);
            let _ = r.is_locked(now);
            prop_assert!(r.allows(&r, now));
        }

        #[test]
        fn allows_is_reflexive(m in tags(), now in NOW - 2..NOW + 2) {
            prop_assert!(allows_metadata(&m, &m, now));
        }

        #[test]
        fn a_later_until_is_always_allowed(m in tags(), extra in 0u64..1_000_000, now in NOW - 2..NOW + 2) {
            let old = Retention::from_metadata(&m);
            if let Some(until) = old.until_ms {
                let later = until.saturating_add(extra).to_string();
                let mut new = m.clone();
                new.merge(&[(UNTIL_TAG, later)].into_iter().collect());
                prop_assert!(allows_metadata(&m, &new, now), "{:?} -> {:?}", m, new);
            }
        }

        #[test]
        fn whatever_is_allowed_keeps_the_file_locked(a in tags(), b in tags(), now in NOW - 2..NOW + 2) {
            let (old, new) = (Retention::from_metadata(&a), Retention::from_metadata(&b));
            if old.allows(&new, now) && old.is_locked(now) {
                prop_assert!(new.is_locked(now));
            }
        }

        #[test]
        fn round_trip_through_the_blob(m in tags()) {
            let mut m = m;
            m.normalize();
            prop_assert!(Retention::from_blob(&m.to_body()) == Retention::from_metadata(&m));
        }
    }
}
