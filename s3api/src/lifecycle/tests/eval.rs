//! Expiry dates as AWS counts days, and which rule applies.

use s3s::dto::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration,
};

use super::super::eval::{self, DAY_MS, NoncurrentVersion, days_after};
use super::{JAN15, days, parsed, rule, tag};

const H: i64 = 3_600_000;

#[test]
fn days_round_up_to_the_next_midnight_as_aws_counts() {
    // AWS's example: created 2014-01-15 10:30 UTC, 3 days: 2014-01-19 00:00.
    let created = JAN15 + 10 * H + H / 2;
    assert_eq!(days_after(created, 3, DAY_MS), JAN15 + 4 * DAY_MS);
    // Exactly at midnight: the following midnight (at least N full days).
    assert_eq!(days_after(JAN15, 1, DAY_MS), JAN15 + 2 * DAY_MS);
    // A scaled day of one second.
    assert_eq!(days_after(10_500, 1, 1000), 12_000);
    // No overflow at the ends.
    assert_eq!(days_after(i64::MAX - 5, u32::MAX, DAY_MS), i64::MAX);
}

#[test]
fn the_header_names_the_earliest_applicable_rule() {
    let c = parsed(vec![
        LifecycleRule { id: Some("late".into()), expiration: Some(days(30)), ..rule() },
        LifecycleRule {
            id: Some("picture-deletion-rule".into()),
            filter: Some(LifecycleRuleFilter {
                prefix: Some("pics/".into()),
                ..LifecycleRuleFilter::default()
            }),
            expiration: Some(days(3)),
            ..rule()
        },
        LifecycleRule {
            id: Some("off".into()),
            expiration: Some(days(1)),
            status: ExpirationStatus::from_static(ExpirationStatus::DISABLED),
            ..rule()
        },
        LifecycleRule {
            id: Some("tagged".into()),
            filter: Some(LifecycleRuleFilter {
                tag: Some(tag("k", "v")),
                ..LifecycleRuleFilter::default()
            }),
            expiration: Some(days(1)),
            ..rule()
        },
    ]);
    let created = JAN15 + 10 * H;
    let (at, r) = eval::current_expiry(&c, "pics/a.jpg", 5, created, &[], DAY_MS).unwrap();
    assert_eq!(r.id, "picture-deletion-rule");
    assert_eq!(
        eval::expiration_header(at, &r.id).unwrap(),
        "expiry-date=\"Sun, 19 Jan 2014 00:00:00 GMT\", rule-id=\"picture-deletion-rule\""
    );
    let (_, r) = eval::current_expiry(&c, "docs/a", 5, created, &[], DAY_MS).unwrap();
    assert_eq!(r.id, "late");
    // With its tags, the tagged rule applies.
    let tags = [("k".to_string(), "v".to_string())];
    let (_, r) = eval::current_expiry(&c, "docs/a", 5, created, &tags, DAY_MS).unwrap();
    assert_eq!(r.id, "tagged");
    assert_eq!(eval::expiration_header(0, "a\nb"), None);
}

#[test]
fn size_filters_are_strict_bounds() {
    let c = parsed(vec![LifecycleRule {
        filter: Some(LifecycleRuleFilter {
            and: Some(LifecycleRuleAndOperator {
                object_size_greater_than: Some(10),
                object_size_less_than: Some(20),
                ..LifecycleRuleAndOperator::default()
            }),
            ..LifecycleRuleFilter::default()
        }),
        ..rule()
    }]);
    let hit = |size| eval::current_expiry(&c, "k", size, 0, &[], DAY_MS).is_some();
    assert_eq!([hit(10), hit(11), hit(19), hit(20)], [false, true, true, false]);
}

#[test]
fn noncurrent_versions_expire_by_age_and_rank() {
    let c = parsed(vec![LifecycleRule {
        expiration: None,
        noncurrent_version_expiration: Some(NoncurrentVersionExpiration {
            noncurrent_days: Some(2),
            newer_noncurrent_versions: Some(2),
        }),
        ..rule()
    }]);
    let v = |newer| NoncurrentVersion {
        key: "k",
        size: 1,
        tags: &[],
        since_ms: JAN15 + H,
        newer_noncurrent: newer,
    };
    let due = JAN15 + 3 * DAY_MS;
    // The two newest noncurrent versions stay whatever their age.
    assert!(eval::noncurrent_expires(&c, &v(1), due, DAY_MS).is_none());
    assert!(eval::noncurrent_expires(&c, &v(2), due, DAY_MS).is_some());
    // Not before NoncurrentDays (rounded up) passed.
    assert!(eval::noncurrent_expires(&c, &v(5), due - 1, DAY_MS).is_none());
}

#[test]
fn markers_and_uploads() {
    let c = parsed(vec![
        LifecycleRule {
            id: Some("m".into()),
            filter: Some(LifecycleRuleFilter {
                prefix: Some("m/".into()),
                ..LifecycleRuleFilter::default()
            }),
            expiration: Some(LifecycleExpiration {
                date: None,
                days: None,
                expired_object_delete_marker: Some(true),
            }),
            ..rule()
        },
        LifecycleRule {
            id: Some("u".into()),
            filter: Some(LifecycleRuleFilter {
                prefix: Some("u/".into()),
                ..LifecycleRuleFilter::default()
            }),
            expiration: None,
            abort_incomplete_multipart_upload: Some(AbortIncompleteMultipartUpload {
                days_after_initiation: Some(1),
            }),
            ..rule()
        },
    ]);
    assert!(eval::lone_marker_expires(&c, "m/x", JAN15, JAN15, DAY_MS).is_some());
    assert!(eval::lone_marker_expires(&c, "u/x", JAN15, JAN15 + 9 * DAY_MS, DAY_MS).is_none());
    assert!(eval::upload_aborts(&c, "u/x", JAN15, JAN15 + DAY_MS, DAY_MS).is_none());
    assert!(eval::upload_aborts(&c, "u/x", JAN15, JAN15 + 2 * DAY_MS, DAY_MS).is_some());
    assert!(eval::upload_aborts(&c, "m/x", JAN15, JAN15 + 9 * DAY_MS, DAY_MS).is_none());
}
