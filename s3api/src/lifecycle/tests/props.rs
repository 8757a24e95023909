//! No DTO panics the validator; what it accepts round-trips.

use proptest::prelude::*;
use s3s::dto::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration, Tag, Timestamp,
    TimestampFormat, Transition,
};

use super::super::parse::{from_dto, to_dto};
use super::config;

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
