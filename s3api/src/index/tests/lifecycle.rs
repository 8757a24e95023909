//! Lifecycle in the index: rules stored per bucket, batches that remove
//! what the decision picks and keep their progress, resumable passes.

use super::{bucket, open, single};
use crate::index::lifecycle::{KeyCandidate, Phase, Progress};
use crate::index::{ObjectMeta, PartInfo};
use crate::lifecycle::model::{
    Configuration, Expiration, Filter, FilterForm, NoncurrentExpiration, Rule,
};
use crate::lifecycle::plan::KeyPlan;

fn config() -> Configuration {
    let rule = Rule {
        id: "r".into(),
        enabled: true,
        filter: Filter {
            form: FilterForm::And,
            prefix: Some("logs/".into()),
            tags: vec![("a".into(), "1".into())],
            size_greater: Some(1),
            size_less: Some(99),
        },
        expiration: Some(Expiration::Days(3)),
        noncurrent: Some(NoncurrentExpiration { days: 2, newer_versions: Some(4) }),
        abort_upload_days: Some(7),
    };
    let other = Rule {
        id: "s".into(),
        enabled: false,
        filter: Filter {
            form: FilterForm::RulePrefix,
            prefix: Some(String::new()),
            tags: Vec::new(),
            size_greater: None,
            size_less: None,
        },
        expiration: Some(Expiration::ExpiredDeleteMarker),
        noncurrent: None,
        abort_upload_days: None,
    };
    Configuration { rules: vec![rule, other] }
}

#[test]
fn rules_are_stored_per_bucket_and_go_with_it() {
    let (_d, mut ix) = open();
    bucket(&mut ix, "b");
    bucket(&mut ix, "c");
    assert_eq!(ix.get_lifecycle("b").unwrap(), None);
    ix.put_lifecycle("b", &config()).unwrap();
    assert_eq!(ix.get_lifecycle("b").unwrap(), Some(config()));
    assert_eq!(ix.get_lifecycle("c").unwrap(), None);
    // A second put replaces, not appends.
    let one = Configuration { rules: vec![config().rules[1].clone()] };
    ix.put_lifecycle("b", &one).unwrap();
    assert_eq!(ix.get_lifecycle("b").unwrap(), Some(one));
    ix.delete_lifecycle("b").unwrap();
    assert_eq!(ix.get_lifecycle("b").unwrap(), None);
    ix.put_lifecycle("b", &config()).unwrap();
    ix.delete_bucket("b", 1).unwrap();
    bucket(&mut ix, "b");
    assert_eq!(ix.get_lifecycle("b").unwrap(), None, "a new bucket of the same name has no rules");
}

#[test]
fn batches_remove_what_the_decision_picks_and_resume_from_their_progress() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.db");
    let mut ix = crate::index::Index::open(&path).unwrap();
    for name in ["a", "b", "c"] {
        bucket(&mut ix, name);
    }
    ix.put_lifecycle("a", &config()).unwrap();
    ix.put_lifecycle("c", &config()).unwrap();
    for i in 0..5 {
        ix.put_object("a", &format!("k{i}"), &single(&format!("f{i}"), 10 + i), None).unwrap();
    }
    let id = ix.create_upload("a", "up", &ObjectMeta::default(), 5).unwrap();
    let part = PartInfo {
        part_number: 1,
        file_id: "part1".into(),
        size: 1,
        etag: "e".into(),
        checksums: Default::default(),
        last_modified_ms: 5,
    };
    ix.upload_part("a", "up", &id, &part, None).unwrap();

    let p = ix.lifecycle_start_pass(100).unwrap().unwrap();
    assert_eq!((p.bucket.as_str(), p.phase, p.cursor_key.as_deref()), ("a", Phase::Objects, None));
    // Objects of even size go; two per batch.
    let even = |c: &KeyCandidate| KeyPlan {
        expire_current: c.versions[0].size.is_multiple_of(2),
        ..KeyPlan::default()
    };
    let (out, p) = ix.lifecycle_object_batch(&p, 2, 100, &even).unwrap();
    assert_eq!((out.scanned, out.expired, out.done), (2, 1, false));
    assert_eq!(out.released, ["f0"]);
    assert_eq!(p.cursor_key.as_deref(), Some("k1"));
    drop(ix);

    // A restart resumes after k1.
    let mut ix = crate::index::Index::open(&path).unwrap();
    let p = ix.lifecycle_progress().unwrap().unwrap();
    assert_eq!(p.cursor_key.as_deref(), Some("k1"));
    let (out, p) = ix.lifecycle_object_batch(&p, 2, 100, &even).unwrap();
    assert_eq!((out.scanned, out.expired, out.done), (2, 1, false));
    let (out, p) = ix.lifecycle_object_batch(&p, 2, 100, &even).unwrap();
    assert_eq!((out.scanned, out.expired, out.done), (1, 1, true));
    assert_eq!((p.phase, p.cursor_key.as_deref()), (Phase::Uploads, None));
    let left: Vec<String> = ["k0", "k1", "k2", "k3", "k4"]
        .iter()
        .filter(|k| ix.head_object("a", k).is_ok())
        .map(|k| k.to_string())
        .collect();
    assert_eq!(left, ["k1", "k3"]);

    let (out, p) = ix.lifecycle_upload_batch(&p, 2, 100, &|u| u.created_ms == 5).unwrap();
    assert_eq!((out.scanned, out.expired, out.done), (1, 1, true));
    assert_eq!(out.released, ["part1"]);
    assert!(ix.get_upload("a", "up", &id).is_err());

    // Bucket b has no rules: the pass goes on to c, then ends.
    let p = ix.lifecycle_next_bucket(&p).unwrap().unwrap();
    assert_eq!(
        p,
        Progress {
            pass_start_ms: 100,
            bucket: "c".into(),
            phase: Phase::Objects,
            cursor_key: None,
            cursor_upload: None,
        }
    );
    assert_eq!(ix.lifecycle_next_bucket(&p).unwrap(), None);
    assert_eq!(ix.lifecycle_progress().unwrap(), None);
    assert_eq!(ix.delete_queue_len().unwrap(), 4);
}

#[test]
fn a_bucket_gone_mid_pass_ends_its_walk() {
    let (_d, mut ix) = open();
    bucket(&mut ix, "a");
    ix.put_lifecycle("a", &config()).unwrap();
    let p = ix.lifecycle_start_pass(1).unwrap().unwrap();
    ix.delete_bucket("a", 1).unwrap();
    let all = |_: &KeyCandidate| KeyPlan { expire_current: true, ..KeyPlan::default() };
    let (out, _) = ix.lifecycle_object_batch(&p, 10, 1, &all).unwrap();
    assert!(out.done);
    assert_eq!(ix.lifecycle_next_bucket(&p).unwrap(), None);
    assert_eq!(ix.lifecycle_start_pass(2).unwrap(), None, "no bucket has rules");
}

#[test]
fn locked_versions_are_left_alone() {
    let (_d, mut ix) = open();
    bucket(&mut ix, "a");
    ix.put_lifecycle("a", &config()).unwrap();
    for k in ["held", "retained", "free", "expired-retention"] {
        ix.put_object("a", k, &single(k, 4), None).unwrap();
    }
    // Object Lock's columns (its migration adds them; added here when
    // this index predates it).
    let has: i64 = ix
        .conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('objects') WHERE name = 'legal_hold'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if has == 0 {
        ix.conn
            .execute_batch(
                "ALTER TABLE objects ADD COLUMN lock_mode TEXT;
                 ALTER TABLE objects ADD COLUMN lock_until_ms INTEGER;
                 ALTER TABLE objects ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;",
            )
            .unwrap();
    }
    ix.conn
        .execute_batch(
            "UPDATE objects SET legal_hold = 1 WHERE key = CAST('held' AS BLOB);
             UPDATE objects SET lock_mode = 'COMPLIANCE', lock_until_ms = 5000
                 WHERE key = CAST('retained' AS BLOB);
             UPDATE objects SET lock_mode = 'GOVERNANCE', lock_until_ms = 50
                 WHERE key = CAST('expired-retention' AS BLOB);",
        )
        .unwrap();
    let p = ix.lifecycle_start_pass(100).unwrap().unwrap();
    let all = |_: &KeyCandidate| KeyPlan { expire_current: true, ..KeyPlan::default() };
    let (out, _) = ix.lifecycle_object_batch(&p, 10, 100, &all).unwrap();
    assert_eq!((out.scanned, out.expired, out.locked), (4, 2, 2));
    assert!(ix.head_object("a", "held").is_ok());
    assert!(ix.head_object("a", "retained").is_ok());
    assert!(ix.head_object("a", "free").is_err());
    assert!(ix.head_object("a", "expired-retention").is_err());
}
