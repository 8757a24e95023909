//! AWS's error codes for bad configurations, and round trips.

use s3s::S3ErrorCode;
use s3s::dto::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration,
    NoncurrentVersionTransition, Transition,
};

use super::super::model::{Expiration, FilterForm};
use super::super::parse::{from_dto, to_dto};
use super::{code_of, config, date, days, rule, tag};

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
