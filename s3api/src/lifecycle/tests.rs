//! Validation table, round trips, expiry arithmetic, and a proptest that
//! no DTO panics the validator.

use proptest::prelude::*;
use s3s::S3ErrorCode;
use s3s::dto::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter,
    NoncurrentVersionExpiration, NoncurrentVersionTransition, Tag, Timestamp, TimestampFormat,
    Transition,
};

use super::eval::{self, DAY_MS, NoncurrentVersion, days_after};
use super::model::{Configuration, Expiration, FilterForm};
use super::parse::{from_dto, to_dto};

fn rule() -> LifecycleRule {
    LifecycleRule {
        abort_incomplete_multipart_upload: None,
        expiration: Some(days(30)),
        filter: Some(LifecycleRuleFilter::default()),
        id: Some("r1".into()),
        noncurrent_version_expiration: None,
        noncurrent_version_transitions: None,
        prefix: None,
        status: ExpirationStatus::from_static(ExpirationStatus::ENABLED),
        transitions: None,
    }
}

fn days(d: i32) -> LifecycleExpiration {
    LifecycleExpiration { date: None, days: Some(d), expired_object_delete_marker: None }
}

fn date(s: &str) -> Timestamp {
    Timestamp::parse(TimestampFormat::DateTime, s).unwrap()
}

fn tag(k: &str, v: &str) -> Tag {
    Tag { key: Some(k.into()), value: Some(v.into()) }
}

fn config(rules: Vec<LifecycleRule>) -> BucketLifecycleConfiguration {
    BucketLifecycleConfiguration { rules }
}

fn code_of(rules: Vec<LifecycleRule>) -> S3ErrorCode {
    from_dto(Some(&config(rules))).unwrap_err().code().clone()
}

#[test]
fn each_invalid_configuration_gets_the_aws_code() {
    use S3ErrorCode::{InvalidArgument, InvalidRequest, MalformedXML, NotImplemented};
    let with = |f: &dyn Fn(&mut LifecycleRule)| {
        let mut r = rule();
        f(&mut r);
        r
    };
    let and = |a: LifecycleRuleAndOperator| {
        Some(LifecycleRuleFilter { and: Some(a), ..LifecycleRuleFilter::default() })
    };
    let cases: Vec<(&str, Vec<LifecycleRule>, S3ErrorCode)> = vec![
        ("no rules", vec![], MalformedXML),
        (
            "1001 rules",
            (0..1001).map(|i| with(&|r| r.id = Some(format!("r{i}")))).collect(),
            InvalidRequest,
        ),
        ("duplicate ids", vec![rule(), rule()], InvalidArgument),
        ("id too long", vec![with(&|r| r.id = Some("x".repeat(256)))], InvalidArgument),
        (
            "bad status",
            vec![with(&|r| r.status = ExpirationStatus::from_static("On"))],
            MalformedXML,
        ),
        ("prefix and filter", vec![with(&|r| r.prefix = Some("a/".into()))], MalformedXML),
        ("neither prefix nor filter", vec![with(&|r| r.filter = None)], MalformedXML),
        (
            "two predicates without And",
            vec![with(&|r| {
                r.filter = Some(LifecycleRuleFilter {
                    prefix: Some("a".into()),
                    object_size_greater_than: Some(1),
                    ..LifecycleRuleFilter::default()
                })
            })],
            MalformedXML,
        ),
        (
            "And with one predicate",
            vec![with(&|r| {
                r.filter = and(LifecycleRuleAndOperator {
                    prefix: Some("a".into()),
                    ..LifecycleRuleAndOperator::default()
                })
            })],
            MalformedXML,
        ),
        (
            "And beside a predicate",
            vec![with(&|r| {
                r.filter = Some(LifecycleRuleFilter {
                    prefix: Some("a".into()),
                    and: Some(LifecycleRuleAndOperator {
                        prefix: Some("a".into()),
                        object_size_less_than: Some(9),
                        ..LifecycleRuleAndOperator::default()
                    }),
                    ..LifecycleRuleFilter::default()
                })
            })],
            MalformedXML,
        ),
        (
            "sizes not ordered",
            vec![with(&|r| {
                r.filter = and(LifecycleRuleAndOperator {
                    object_size_greater_than: Some(10),
                    object_size_less_than: Some(10),
                    ..LifecycleRuleAndOperator::default()
                })
            })],
            InvalidArgument,
        ),
        (
            "negative size",
            vec![with(&|r| {
                r.filter = Some(LifecycleRuleFilter {
                    object_size_greater_than: Some(-1),
                    ..LifecycleRuleFilter::default()
                })
            })],
            InvalidArgument,
        ),
        (
            "duplicate tag keys",
            vec![with(&|r| {
                r.filter = and(LifecycleRuleAndOperator {
                    tags: Some(vec![tag("k", "1"), tag("k", "2")]),
                    ..LifecycleRuleAndOperator::default()
                })
            })],
            InvalidRequest,
        ),
        ("days zero", vec![with(&|r| r.expiration = Some(days(0)))], InvalidArgument),
        ("days negative", vec![with(&|r| r.expiration = Some(days(-3)))], InvalidArgument),
        (
            "days and date",
            vec![with(&|r| {
                r.expiration = Some(LifecycleExpiration {
                    date: Some(date("2030-01-01T00:00:00Z")),
                    ..days(1)
                })
            })],
            MalformedXML,
        ),
        (
            "date not at midnight",
            vec![with(&|r| {
                r.expiration = Some(LifecycleExpiration {
                    date: Some(date("2030-01-01T10:00:00Z")),
                    days: None,
                    expired_object_delete_marker: None,
                })
            })],
            InvalidArgument,
        ),
        (
            "marker with days",
            vec![with(&|r| {
                r.expiration = Some(LifecycleExpiration {
                    expired_object_delete_marker: Some(true),
                    ..days(1)
                })
            })],
            MalformedXML,
        ),
        (
            "marker with a tag filter",
            vec![with(&|r| {
                r.filter = Some(LifecycleRuleFilter {
                    tag: Some(tag("k", "v")),
                    ..LifecycleRuleFilter::default()
                });
                r.expiration = Some(LifecycleExpiration {
                    date: None,
                    days: None,
                    expired_object_delete_marker: Some(true),
                });
            })],
            InvalidRequest,
        ),
        (
            "abort with a tag filter",
            vec![with(&|r| {
                r.filter = Some(LifecycleRuleFilter {
                    tag: Some(tag("k", "v")),
                    ..LifecycleRuleFilter::default()
                });
                r.abort_incomplete_multipart_upload =
                    Some(AbortIncompleteMultipartUpload { days_after_initiation: Some(1) });
            })],
            InvalidRequest,
        ),
        ("no action", vec![with(&|r| r.expiration = None)], InvalidRequest),
        (
            "noncurrent days zero",
            vec![with(&|r| {
                r.noncurrent_version_expiration = Some(NoncurrentVersionExpiration {
                    noncurrent_days: Some(0),
                    newer_noncurrent_versions: None,
                })
            })],
            InvalidArgument,
        ),
        (
            "newer versions 101",
            vec![with(&|r| {
                r.noncurrent_version_expiration = Some(NoncurrentVersionExpiration {
                    noncurrent_days: Some(1),
                    newer_noncurrent_versions: Some(101),
                })
            })],
            InvalidArgument,
        ),
        (
            "newer versions 0",
            vec![with(&|r| {
                r.noncurrent_version_expiration = Some(NoncurrentVersionExpiration {
                    noncurrent_days: Some(1),
                    newer_noncurrent_versions: Some(0),
                })
            })],
            InvalidArgument,
        ),
        (
            "abort days zero",
            vec![with(&|r| {
                r.abort_incomplete_multipart_upload =
                    Some(AbortIncompleteMultipartUpload { days_after_initiation: Some(0) })
            })],
            InvalidArgument,
        ),
        (
            "transition",
            vec![with(&|r| {
                r.transitions =
                    Some(vec![Transition { date: None, days: Some(30), storage_class: None }])
            })],
            NotImplemented,
        ),
        (
            "noncurrent transition",
            vec![with(&|r| {
                r.noncurrent_version_transitions = Some(vec![NoncurrentVersionTransition {
                    newer_noncurrent_versions: None,
                    noncurrent_days: Some(30),
                    storage_class: None,
                }])
            })],
            NotImplemented,
        ),
    ];
    for (name, rules, want) in cases {
        assert_eq!(code_of(rules), want, "{name}");
    }
    assert_eq!(from_dto(None).unwrap_err().code(), &MalformedXML);
}

#[test]
fn valid_configurations_round_trip() {
    let and = LifecycleRuleAndOperator {
        prefix: Some("logs/".into()),
        tags: Some(vec![tag("a", "1"), tag("b", "2")]),
        object_size_greater_than: Some(10),
        object_size_less_than: Some(1000),
    };
    let mut rules = vec![
        LifecycleRule {
            filter: Some(LifecycleRuleFilter { and: Some(and), ..LifecycleRuleFilter::default() }),
            ..rule()
        },
        LifecycleRule {
            id: Some("legacy".into()),
            filter: None,
            prefix: Some("tmp/".into()),
            expiration: Some(LifecycleExpiration {
                date: Some(date("2030-01-01T00:00:00Z")),
                days: None,
                expired_object_delete_marker: None,
            }),
            status: ExpirationStatus::from_static(ExpirationStatus::DISABLED),
            ..rule()
        },
        LifecycleRule {
            id: Some("versions".into()),
            filter: Some(LifecycleRuleFilter {
                prefix: Some("v/".into()),
                ..LifecycleRuleFilter::default()
            }),
            expiration: Some(LifecycleExpiration {
                date: None,
                days: None,
                expired_object_delete_marker: Some(true),
            }),
            noncurrent_version_expiration: Some(NoncurrentVersionExpiration {
                noncurrent_days: Some(7),
                newer_noncurrent_versions: Some(3),
            }),
            abort_incomplete_multipart_upload: Some(AbortIncompleteMultipartUpload {
                days_after_initiation: Some(2),
            }),
            ..rule()
        },
    ];
    let parsed = from_dto(Some(&config(rules.clone()))).unwrap();
    assert_eq!(parsed.rules[0].filter.form, FilterForm::And);
    assert_eq!(parsed.rules[1].filter.form, FilterForm::RulePrefix);
    assert_eq!(parsed.rules[1].expiration, Some(Expiration::Date(1_893_456_000_000)));
    assert!(!parsed.rules[1].enabled);
    let back = to_dto(&parsed);
    // What GET answers parses back to the same configuration.
    assert_eq!(from_dto(Some(&config(back.clone()))).unwrap(), parsed);
    // And is the same XML-level DTO (the date's form aside).
    rules[1].expiration = back[1].expiration.clone();
    assert_eq!(back, rules);
}

#[test]
fn a_rule_without_an_id_gets_one() {
    let parsed = from_dto(Some(&config(vec![LifecycleRule { id: None, ..rule() }]))).unwrap();
    assert_eq!(parsed.rules[0].id.len(), 32);
}

const H: i64 = 3_600_000;
/// 2014-01-15 00:00 UTC.
const JAN15: i64 = 1_389_744_000_000;

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

fn parsed(rules: Vec<LifecycleRule>) -> Configuration {
    from_dto(Some(&config(rules))).unwrap()
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

fn any_string() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![Just(String::new()), "[a-z/]{0,5}", ".{250,260}"])
}

fn any_i32() -> impl Strategy<Value = Option<i32>> {
    prop::option::of(prop_oneof![Just(0), Just(-1), 1..200, Just(i32::MAX), Just(i32::MIN)])
}

fn any_i64() -> impl Strategy<Value = Option<i64>> {
    prop::option::of(prop_oneof![Just(0_i64), Just(-1), 1_i64..100, Just(i64::MAX), Just(i64::MIN)])
}

fn any_tag() -> impl Strategy<Value = Tag> {
    (any_string(), any_string()).prop_map(|(key, value)| Tag { key, value })
}

fn any_date() -> impl Strategy<Value = Option<Timestamp>> {
    prop::option::of(
        prop_oneof![Just(0_i64), Just(1_893_456_000), any::<i32>().prop_map(i64::from)]
            .prop_map(|s| Timestamp::parse(TimestampFormat::EpochSeconds, &s.to_string()).unwrap()),
    )
}

fn any_filter() -> impl Strategy<Value = Option<LifecycleRuleFilter>> {
    let and = (
        any_string(),
        prop::option::of(prop::collection::vec(any_tag(), 0..3)),
        any_i64(),
        any_i64(),
    )
        .prop_map(|(prefix, tags, object_size_greater_than, object_size_less_than)| {
            LifecycleRuleAndOperator {
                prefix,
                tags,
                object_size_greater_than,
                object_size_less_than,
            }
        });
    prop::option::of(
        (prop::option::of(and), any_string(), prop::option::of(any_tag()), any_i64(), any_i64())
            .prop_map(|(and, prefix, tag, object_size_greater_than, object_size_less_than)| {
                LifecycleRuleFilter {
                    and,
                    prefix,
                    tag,
                    object_size_greater_than,
                    object_size_less_than,
                }
            }),
    )
}

fn any_rule() -> impl Strategy<Value = LifecycleRule> {
    let expiration =
        prop::option::of((any_date(), any_i32(), prop::option::of(any::<bool>())).prop_map(
            |(date, days, expired_object_delete_marker)| LifecycleExpiration {
                date,
                days,
                expired_object_delete_marker,
            },
        ));
    let noncurrent = prop::option::of((any_i32(), any_i32()).prop_map(|(a, b)| {
        NoncurrentVersionExpiration { newer_noncurrent_versions: a, noncurrent_days: b }
    }));
    let abort = prop::option::of(
        any_i32().prop_map(|d| AbortIncompleteMultipartUpload { days_after_initiation: d }),
    );
    let status = prop_oneof![Just("Enabled"), Just("Disabled"), Just("on")];
    (any_string(), any_string(), any_filter(), expiration, noncurrent, abort, status, any::<bool>())
        .prop_map(|(id, prefix, filter, expiration, noncurrent, abort, status, transition)| {
            LifecycleRule {
                abort_incomplete_multipart_upload: abort,
                expiration,
                filter,
                id,
                noncurrent_version_expiration: noncurrent,
                noncurrent_version_transitions: None,
                prefix,
                status: ExpirationStatus::from_static(status),
                transitions: transition
                    .then(|| vec![Transition { date: None, days: Some(1), storage_class: None }]),
            }
        })
}

proptest! {
    /// No DTO panics the validator, and whatever it accepts survives the
    /// GET round trip unchanged.
    #[test]
    fn the_validator_never_panics(rules in prop::collection::vec(any_rule(), 0..4)) {
        if let Ok(parsed) = from_dto(Some(&config(rules))) {
            let back = from_dto(Some(&config(to_dto(&parsed)))).unwrap();
            prop_assert_eq!(back, parsed);
        }
    }
}

mod plans {
    use super::*;
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
        let p = plan_key(&c, "k", &versions, &[], 3 * DAY_MS + DAY_MS / 2, DAY_MS);
        assert!(p.is_empty(), "{p:?}");
        // At day 4: v1 goes; v2, noncurrent since day 5, stays.
        let p = plan_key(&c, "k", &versions, &[], 4 * DAY_MS, DAY_MS);
        assert_eq!(p.remove, ["v1"]);
        // At day 7: both.
        let p = plan_key(&c, "k", &versions, &[], 7 * DAY_MS, DAY_MS);
        assert_eq!(p.remove, ["v2", "v1"]);
        assert!(!p.expire_current);
    }

    #[test]
    fn newer_noncurrent_versions_are_kept() {
        let c = parsed(vec![noncurrent(1, Some(2))]);
        let versions: Vec<_> = std::iter::once(v("cur", true, false, 10))
            .chain((0..5).map(|i| v(&format!("n{i}"), false, false, 9 - i)))
            .collect();
        let p = plan_key(&c, "k", &versions, &[], 100 * DAY_MS, DAY_MS);
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
        assert_eq!(
            plan_key(&c, "k", &lone, &[], 0, DAY_MS).remove_lone_marker.as_deref(),
            Some("m")
        );
        let not_lone = [v("m", true, true, 0), v("old", false, false, 0)];
        assert_eq!(plan_key(&c, "k", &not_lone, &[], 0, DAY_MS), KeyPlan::default());
        // Noncurrent expiry that removes the rest makes the marker lone.
        let both = parsed(vec![LifecycleRule {
            noncurrent_version_expiration: Some(NoncurrentVersionExpiration {
                noncurrent_days: Some(1),
                newer_noncurrent_versions: None,
            }),
            ..marker_rule()
        }]);
        let p = plan_key(&both, "k", &not_lone, &[], 9 * DAY_MS, DAY_MS);
        assert_eq!(
            (p.remove.as_slice(), p.remove_lone_marker.as_deref()),
            (&["old".to_string()][..], Some("m"))
        );
        // Days expiry: the current version expires, a marker only once lone and old.
        let days = parsed(vec![rule()]);
        let current = [v("c", true, false, 0)];
        assert!(plan_key(&days, "k", &current, &[], 31 * DAY_MS, DAY_MS).expire_current);
        assert!(!plan_key(&days, "k", &current, &[], 30 * DAY_MS, DAY_MS).expire_current);
        assert!(plan_key(&days, "k", &lone, &[], DAY_MS, DAY_MS).remove_lone_marker.is_none());
        assert!(plan_key(&days, "k", &lone, &[], 31 * DAY_MS, DAY_MS).remove_lone_marker.is_some());
    }
}
