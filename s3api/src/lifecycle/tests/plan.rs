//! Plans over a key's versions: noncurrent days from the successor,
//! NewerNoncurrentVersions, current expiry, lone delete markers.

use s3s::dto::{
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, Tag,
};

use super::super::eval::DAY_MS;
use super::{parsed, rule};
use crate::index::lifecycle::VersionCandidate;
use crate::lifecycle::plan::{KeyPlan, plan_key};

fn v(id: &str, latest: bool, marker: bool, created: i64) -> VersionCandidate {
    VersionCandidate {
        row_id: 0,
        version_id: id.into(),
        is_latest: latest,
        delete_marker: marker,
        size: 1,
        last_modified_ms: created,
        tags: Vec::new(),
    }
}

fn noncurrent(days: i32, newer: Option<i32>) -> LifecycleRule {
    LifecycleRule {
        expiration: None,
        noncurrent_version_expiration: Some(NoncurrentVersionExpiration {
            noncurrent_days: Some(days),
            newer_noncurrent_versions: newer,
        }),
        ..rule()
    }
}

#[test]
fn noncurrent_versions_count_from_their_successor() {
    let c = parsed(vec![noncurrent(1, None)]);
    // v3 (current) made at day 5, v2 at day 2, v1 at day 0.
    let versions = [
        v("v3", true, false, 5 * DAY_MS),
        v("v2", false, false, 2 * DAY_MS),
        v("v1", false, false, 0),
    ];
    // At day 3.5: v1 noncurrent since day 2 (+1 day → midnight day 4): not yet.
    let p = plan_key(&c, "k", &versions, 3 * DAY_MS + DAY_MS / 2, DAY_MS);
    assert!(p.is_empty(), "{p:?}");
    // At day 4: v1 goes; v2, noncurrent since day 5, stays.
    let p = plan_key(&c, "k", &versions, 4 * DAY_MS, DAY_MS);
    assert_eq!(p.remove, ["v1"]);
    // At day 7: both.
    let p = plan_key(&c, "k", &versions, 7 * DAY_MS, DAY_MS);
    assert_eq!(p.remove, ["v2", "v1"]);
    assert!(!p.expire_current);
}

#[test]
fn newer_noncurrent_versions_are_kept() {
    let c = parsed(vec![noncurrent(1, Some(2))]);
    let versions: Vec<_> = std::iter::once(v("cur", true, false, 10))
        .chain((0..5).map(|i| v(&format!("n{i}"), false, false, 9 - i)))
        .collect();
    let p = plan_key(&c, "k", &versions, 100 * DAY_MS, DAY_MS);
    assert_eq!(p.remove, ["n2", "n3", "n4"]);
}

fn marker_rule() -> LifecycleRule {
    LifecycleRule {
        expiration: Some(LifecycleExpiration {
            date: None,
            days: None,
            expired_object_delete_marker: Some(true),
        }),
        ..rule()
    }
}

#[test]
fn current_expiry_and_lone_markers() {
    let c = parsed(vec![marker_rule()]);
    let lone = [v("m", true, true, 0)];
    assert_eq!(plan_key(&c, "k", &lone, 0, DAY_MS).remove_lone_marker.as_deref(), Some("m"));
    let not_lone = [v("m", true, true, 0), v("old", false, false, 0)];
    assert_eq!(plan_key(&c, "k", &not_lone, 0, DAY_MS), KeyPlan::default());
    // Noncurrent expiry that removes the rest makes the marker lone.
    let both = parsed(vec![LifecycleRule {
        noncurrent_version_expiration: Some(NoncurrentVersionExpiration {
            noncurrent_days: Some(1),
            newer_noncurrent_versions: None,
        }),
        ..marker_rule()
    }]);
    let p = plan_key(&both, "k", &not_lone, 9 * DAY_MS, DAY_MS);
    assert_eq!(
        (p.remove.as_slice(), p.remove_lone_marker.as_deref()),
        (&["old".to_string()][..], Some("m"))
    );
    // Days expiry: the current version expires, a marker only once lone and old.
    let days = parsed(vec![rule()]);
    let current = [v("c", true, false, 0)];
    assert!(plan_key(&days, "k", &current, 31 * DAY_MS, DAY_MS).expire_current);
    assert!(!plan_key(&days, "k", &current, 30 * DAY_MS, DAY_MS).expire_current);
    assert!(plan_key(&days, "k", &lone, DAY_MS, DAY_MS).remove_lone_marker.is_none());
    assert!(plan_key(&days, "k", &lone, 31 * DAY_MS, DAY_MS).remove_lone_marker.is_some());
}

#[test]
fn each_version_is_matched_by_its_own_tags() {
    let tagged = |mut c: VersionCandidate| {
        c.tags = vec![("class".into(), "tmp".into()), ("x".into(), "1".into())];
        c
    };
    let filter = LifecycleRuleFilter {
        tag: Some(Tag { key: Some("class".into()), value: Some("tmp".into()) }),
        ..LifecycleRuleFilter::default()
    };
    let rules = LifecycleRule {
        filter: Some(filter),
        noncurrent_version_expiration: Some(NoncurrentVersionExpiration {
            noncurrent_days: Some(1),
            newer_noncurrent_versions: None,
        }),
        ..rule()
    };
    let c = parsed(vec![rules]);
    // An untagged current version over a tagged and an untagged old one.
    let versions = [
        v("cur", true, false, 2 * DAY_MS),
        tagged(v("old-tagged", false, false, DAY_MS)),
        v("old-plain", false, false, 0),
    ];
    let p = plan_key(&c, "k", &versions, 100 * DAY_MS, DAY_MS);
    assert_eq!((p.expire_current, p.remove.as_slice()), (false, &["old-tagged".to_string()][..]));
    // Tagged, the current version expires by the rule's Days too.
    let versions = [tagged(v("cur", true, false, 0))];
    assert!(plan_key(&c, "k", &versions, 31 * DAY_MS, DAY_MS).expire_current);
}
