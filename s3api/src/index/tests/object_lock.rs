//! Object Lock in the index: bucket configuration, retention rules, legal
//! holds, and the guard on every path that removes a row.

use super::{bucket, open, parts, single};
use crate::index::object_lock::{retention_change_allowed, strongest};
use crate::index::{
    BucketLock, CompleteUpload, CompletedPart, DefaultRetention, DeleteTarget, IndexError,
    LockMode, ObjectLock, ObjectMeta, PartInfo, Period, Retention, Versioning, WriteCondition,
};

const NOW: i64 = 1_000_000;

fn locked<T: std::fmt::Debug>(r: Result<T, IndexError>) -> bool {
    matches!(r, Err(IndexError::ObjectLocked(_)))
}

fn ret(mode: LockMode, until_ms: i64) -> Option<Retention> {
    Some(Retention { mode, until_ms })
}

#[test]
fn bucket_lock_configuration_round_trips() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    assert_eq!(index.get_bucket_lock("b").unwrap(), None);
    let years = BucketLock {
        default: Some(DefaultRetention { mode: LockMode::Compliance, period: Period::Years(2) }),
    };
    index.set_bucket_lock("b", &years).unwrap();
    assert_eq!(index.get_bucket_lock("b").unwrap(), Some(years));
    let days = BucketLock {
        default: Some(DefaultRetention { mode: LockMode::Governance, period: Period::Days(3) }),
    };
    index.set_bucket_lock("b", &days).unwrap();
    assert_eq!(index.get_bucket_lock("b").unwrap(), Some(days));
    index.set_bucket_lock("b", &BucketLock::default()).unwrap();
    assert_eq!(index.get_bucket_lock("b").unwrap(), Some(BucketLock::default()));
    assert!(matches!(index.get_bucket_lock("nope"), Err(IndexError::NoSuchBucket(_))));
    let d = DefaultRetention { mode: LockMode::Governance, period: Period::Years(1) };
    assert_eq!(d.from(0).until_ms, 365 * 86_400_000);
}

#[test]
fn retention_rules() {
    let (g, c) = (LockMode::Governance, LockMode::Compliance);
    // Nothing running: anything goes.
    assert!(retention_change_allowed(None, ret(g, 5), NOW, false).is_ok());
    assert!(retention_change_allowed(ret(c, NOW - 1), None, NOW, false).is_ok());
    // COMPLIANCE: only extended, never by bypass otherwise.
    assert!(retention_change_allowed(ret(c, NOW + 10), ret(c, NOW + 20), NOW, false).is_ok());
    assert!(retention_change_allowed(ret(c, NOW + 10), ret(c, NOW + 5), NOW, true).is_err());
    assert!(retention_change_allowed(ret(c, NOW + 10), ret(g, NOW + 20), NOW, true).is_err());
    assert!(retention_change_allowed(ret(c, NOW + 10), None, NOW, true).is_err());
    // GOVERNANCE: extended or strengthened freely, weakened with bypass.
    assert!(retention_change_allowed(ret(g, NOW + 10), ret(g, NOW + 20), NOW, false).is_ok());
    assert!(retention_change_allowed(ret(g, NOW + 10), ret(c, NOW + 10), NOW, false).is_ok());
    assert!(retention_change_allowed(ret(g, NOW + 10), ret(g, NOW + 5), NOW, false).is_err());
    assert!(retention_change_allowed(ret(g, NOW + 10), None, NOW, false).is_err());
    assert!(retention_change_allowed(ret(g, NOW + 10), ret(g, NOW + 5), NOW, true).is_ok());
    assert!(retention_change_allowed(ret(g, NOW + 10), None, NOW, true).is_ok());
}

#[test]
fn retained_object_cannot_be_deleted_or_overwritten() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "k", &single("f1", 3), None).unwrap();
    let none = WriteCondition::none();
    // Compliance: nobody deletes, overwrites, or deletes it in a batch.
    index.set_retention(("b", "k", None), ret(LockMode::Compliance, NOW + 10), false, NOW).unwrap();
    assert!(locked(index.delete_object("b", "k", NOW)));
    assert!(locked(
        index
            .delete_version_bypass("b", "k", None, None, NOW, &none, true)
            .map(|d| d.found.then_some(d.released))
    ));
    let mut over = single("f2", 3);
    over.last_modified_ms = NOW;
    assert!(locked(index.put_object("b", "k", &over, None)));
    let batch = index.delete_objects_if(
        "b",
        &[("k".into(), none.clone()), ("x".into(), none.clone())],
        NOW,
    );
    let batch = batch.unwrap();
    assert!(matches!(batch[0], Err(IndexError::ObjectLocked(_))));
    assert!(matches!(batch[1], Ok(None)));
    assert_eq!(index.refcount("f1").unwrap(), 1, "the locked file stays referenced");
    // Once the date passed, it goes like any object.
    assert_eq!(index.delete_object("b", "k", NOW + 11).unwrap(), Some(vec!["f1".to_string()]));
}

#[test]
fn governance_yields_to_bypass_and_hold_to_nothing() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "k", &single("f1", 3), None).unwrap();
    let none = WriteCondition::none();
    index.set_retention(("b", "k", None), ret(LockMode::Governance, NOW + 10), false, NOW).unwrap();
    assert!(locked(index.delete_object("b", "k", NOW)));
    assert!(locked(index.set_retention(("b", "k", None), None, false, NOW)));
    let lock = index.set_legal_hold(("b", "k", None), true).unwrap();
    assert!(lock.legal_hold);
    assert_eq!(lock.retention, ret(LockMode::Governance, NOW + 10));
    // The hold outranks the bypass.
    assert!(locked(
        index
            .delete_version_bypass("b", "k", None, None, NOW, &none, true)
            .map(|d| d.found.then_some(d.released))
    ));
    index.set_legal_hold(("b", "k", None), false).unwrap();
    assert_eq!(
        index
            .delete_version_bypass("b", "k", None, None, NOW, &none, true)
            .map(|d| d.found.then_some(d.released))
            .unwrap(),
        Some(vec!["f1".to_string()])
    );
    assert!(matches!(index.object_lock("b", "k", None), Err(IndexError::NoSuchKey { .. })));
}

#[test]
fn lock_written_atomically_with_the_object_and_cleared_by_an_overwrite() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let lock = ObjectLock { retention: ret(LockMode::Governance, NOW + 10), legal_hold: false };
    index
        .atomically(|ix| {
            ix.put_object("b", "k", &single("f1", 3), None)?;
            ix.lock_new_object("b", "k", &lock)
        })
        .unwrap();
    assert_eq!(index.object_lock("b", "k", None).unwrap(), lock);
    // A failing second step rolls the first back.
    let failed = index.atomically(|ix| {
        ix.put_object("b", "k2", &single("f2", 3), None)?;
        ix.lock_new_object("b", "missing", &lock)
    });
    assert!(matches!(failed, Err(IndexError::NoSuchKey { .. })));
    assert!(matches!(index.head_object("b", "k2"), Err(IndexError::NoSuchKey { .. })));
    assert_eq!(index.refcount("f2").unwrap(), 0);
    // An expired retention lets an overwrite in, which starts unlocked.
    let mut over = single("f3", 3);
    over.last_modified_ms = NOW + 20;
    index.put_object("b", "k", &over, None).unwrap();
    assert_eq!(index.object_lock("b", "k", None).unwrap(), ObjectLock::default());
}

#[test]
fn upload_hands_its_lock_to_the_completed_object() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let lock = ObjectLock { retention: ret(LockMode::Compliance, NOW + 10), legal_hold: true };
    let id = index.create_upload("b", "k", &ObjectMeta::default(), 1).unwrap();
    index.set_upload_lock("b", "k", &id, &lock).unwrap();
    let part = PartInfo {
        part_number: 1,
        file_id: "p1".into(),
        size: 5,
        etag: "\"e1\"".into(),
        checksums: Default::default(),
        last_modified_ms: 2,
    };
    index.upload_part("b", "k", &id, &part, None).unwrap();
    let req = CompleteUpload {
        parts: vec![CompletedPart { part_number: 1, etag: "\"e1\"".into() }],
        etag: "\"x-1\"".into(),
        checksums: None,
        min_part_size: 0,
        now_ms: 3,
    };
    index.complete_upload("b", "k", &id, &req).unwrap();
    assert_eq!(index.object_lock("b", "k", None).unwrap(), lock);
}

#[test]
fn strongest_lock_over_a_shared_file() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "a", &single("f", 3), None).unwrap();
    index.put_object("b", "m", &parts(&["f", "g"], 3), None).unwrap();
    index.set_retention(("b", "a", None), ret(LockMode::Governance, NOW + 50), false, NOW).unwrap();
    index.set_retention(("b", "m", None), ret(LockMode::Compliance, NOW + 10), false, NOW).unwrap();
    let f = index.strongest_file_lock("f", NOW).unwrap();
    assert_eq!(f.retention, ret(LockMode::Compliance, NOW + 50));
    assert!(!f.legal_hold);
    // After the compliance date, the governance one is what is left.
    let later = index.strongest_file_lock("f", NOW + 20).unwrap();
    assert_eq!(later.retention, ret(LockMode::Governance, NOW + 50));
    index.set_legal_hold(("b", "m", None), true).unwrap();
    assert!(index.strongest_file_lock("g", NOW).unwrap().legal_hold);
    assert_eq!(index.strongest_file_lock("none", NOW).unwrap(), ObjectLock::default());
    let a = ObjectLock { retention: ret(LockMode::Compliance, 5), legal_hold: false };
    let b = ObjectLock { retention: ret(LockMode::Governance, 9), legal_hold: false };
    assert_eq!(strongest(a, b, 6).retention, ret(LockMode::Governance, 9));
}

#[test]
fn versions_of_a_lock_bucket() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    index.set_bucket_lock("b", &BucketLock::default()).unwrap();
    // Versioning on a lock bucket cannot be suspended.
    let suspended = index.set_bucket_versioning("b", Versioning::Suspended);
    assert!(matches!(suspended, Err(IndexError::InvalidBucketState(_))));
    let none = WriteCondition::none();
    let v1 = index.put_version_if("b", "k", &single("f1", 3), None, &none).unwrap().version_id;
    let v1 = v1.unwrap();
    index
        .set_retention(("b", "k", Some(&v1)), ret(LockMode::Governance, NOW + 10), false, NOW)
        .unwrap();
    // A newer version takes over as current; the old one keeps its lock.
    let v2 = index.put_version_if("b", "k", &single("f2", 3), None, &none).unwrap().version_id;
    assert_eq!(index.object_lock("b", "k", None).unwrap(), ObjectLock::default());
    assert!(index.object_lock("b", "k", Some(&v1)).unwrap().retention.is_some());
    // A plain delete adds a marker; deleting the locked version needs the
    // bypass; the unlocked one goes.
    let marker = index.delete_version_if("b", "k", None, None, NOW, &none).unwrap();
    assert!(marker.delete_marker);
    assert!(matches!(index.object_lock("b", "k", None), Err(IndexError::DeleteMarker { .. })));
    assert!(locked(index.delete_version_if("b", "k", Some(&v1), None, NOW, &none)));
    let batch = index
        .delete_versions_if(
            "b",
            &[DeleteTarget {
                key: "k".into(),
                version_id: Some(v1.clone()),
                cond: none.clone(),
                marker_file: None,
                bypass: false,
            }],
            NOW,
        )
        .unwrap();
    assert!(matches!(batch[0], Err(IndexError::ObjectLocked(_))));
    assert!(index.delete_version_if("b", "k", v2.as_deref(), None, NOW, &none).unwrap().found);
    let gone = index.delete_version_bypass("b", "k", Some(&v1), None, NOW, &none, true).unwrap();
    assert_eq!(gone.released, vec!["f1".to_string()]);
}
