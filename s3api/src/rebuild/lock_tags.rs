//! The Object Lock tags of a stored file — the contract with the storage,
//! which refuses DELETE_FILE, truncate, modify and a weakening
//! SET_METADATA of a file whose tags protect it (unless the request comes
//! from one of its `lock_admin_hosts`, the gateways):
//!
//! - `s3-lock-mode` = `GOVERNANCE` or `COMPLIANCE`;
//! - `s3-lock-until` = retain-until, unix milliseconds in decimal;
//! - `s3-legal-hold` = `ON` (absent or `OFF`: no hold).
//!
//! A file shared by several versions carries the strongest lock over them
//! (`Index::strongest_file_lock`). A lifted lock is written as
//! `s3-lock-until` = `0` and `s3-legal-hold` = `OFF`, since a metadata
//! MERGE cannot remove a tag. The orphan sweep reads them back
//! ([`lock_from_metadata`]) and leaves a protected file alone.

use fdfs_protocol::metadata::Metadata;

use crate::index::{LockMode, ObjectLock, Retention};

/// The retention mode tag.
pub const LOCK_MODE: &str = "s3-lock-mode";
/// The retain-until tag (unix ms).
pub const LOCK_UNTIL: &str = "s3-lock-until";
/// The legal hold tag.
pub const LEGAL_HOLD: &str = "s3-legal-hold";

/// The tags that carry `lock`; every tag is written, so a MERGE also
/// lifts what `lock` no longer holds.
pub fn lock_metadata(lock: &ObjectLock) -> Metadata {
    let mut meta = Metadata::new();
    match lock.retention {
        Some(r) => {
            meta.push(LOCK_MODE, r.mode.as_str());
            meta.push(LOCK_UNTIL, r.until_ms.max(0).to_string());
        }
        None => {
            meta.push(LOCK_MODE, LockMode::Governance.as_str());
            meta.push(LOCK_UNTIL, "0");
        }
    }
    meta.push(LEGAL_HOLD, if lock.legal_hold { "ON" } else { "OFF" });
    meta
}

/// The tags a new upload carries for `lock`: nothing for an unlocked one
/// (no cost on buckets without Object Lock).
pub fn new_file_tags(lock: Option<&ObjectLock>) -> Metadata {
    match lock {
        Some(l) if *l != ObjectLock::default() => lock_metadata(l),
        _ => Metadata::new(),
    }
}

/// [`new_file_tags`] as tag name → value, for a `FileTag`'s attributes.
pub fn lock_attrs(lock: Option<&ObjectLock>) -> Vec<(String, String)> {
    new_file_tags(lock)
        .iter()
        .map(|(n, v)| {
            (String::from_utf8_lossy(n).into_owned(), String::from_utf8_lossy(v).into_owned())
        })
        .collect()
}

/// The lock a file's tags carry (unreadable values count as none).
pub fn lock_from_metadata(meta: &Metadata) -> ObjectLock {
    let mode = meta.get_str(LOCK_MODE).and_then(LockMode::parse);
    let until = meta.get_str(LOCK_UNTIL).and_then(|v| v.parse::<i64>().ok());
    let retention = match (mode, until) {
        (Some(mode), Some(until_ms)) if until_ms > 0 => Some(Retention { mode, until_ms }),
        _ => None,
    };
    ObjectLock { retention, legal_hold: meta.get_str(LEGAL_HOLD) == Some("ON") }
}

#[cfg(test)]
mod tests {
    use fdfs_protocol::metadata::Metadata;
    use proptest::prelude::*;

    use super::{lock_from_metadata, lock_metadata, new_file_tags};
    use crate::index::{LockMode, ObjectLock, Retention};

    proptest! {
        /// Tags come from the storages (network input): any bytes decode
        /// to some lock without panicking, and a written lock reads back.
        #[test]
        fn any_tags_decode(
            tags in proptest::collection::vec(
                (prop_oneof![
                    Just(b"s3-lock-mode".to_vec()),
                    Just(b"s3-lock-until".to_vec()),
                    Just(b"s3-legal-hold".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..20),
                ], proptest::collection::vec(any::<u8>(), 0..24)),
                0..8,
            ),
            until in 1_i64..i64::MAX,
            compliance in any::<bool>(),
            hold in any::<bool>(),
        ) {
            let meta: Metadata = tags.into_iter().collect();
            let _ = lock_from_metadata(&meta);
            let mode = if compliance { LockMode::Compliance } else { LockMode::Governance };
            let lock = ObjectLock { retention: Some(Retention { mode, until_ms: until }), legal_hold: hold };
            prop_assert_eq!(lock_from_metadata(&lock_metadata(&lock)), lock);
        }
    }

    #[test]
    fn round_trip_and_lifting() {
        let lock = ObjectLock {
            retention: Some(Retention { mode: LockMode::Compliance, until_ms: 1_765_000_000_123 }),
            legal_hold: true,
        };
        let meta = lock_metadata(&lock);
        assert_eq!(meta.get_str("s3-lock-until"), Some("1765000000123"));
        assert_eq!(meta.get_str("s3-lock-mode"), Some("COMPLIANCE"));
        assert_eq!(lock_from_metadata(&meta), lock);
        let lifted = lock_metadata(&ObjectLock::default());
        assert_eq!(lifted.get_str("s3-legal-hold"), Some("OFF"));
        assert_eq!(lock_from_metadata(&lifted), ObjectLock::default());
        assert!(new_file_tags(None).is_empty());
        assert!(new_file_tags(Some(&ObjectLock::default())).is_empty());
        assert!(!lock.protects(1_765_000_000_200, true) || lock.legal_hold);
    }
}
