//! Unit tests of lifecycle: the validation table and round trips, expiry
//! arithmetic, plans over versions, a proptest that no DTO panics the
//! validator, and the worker over a real index.

mod eval;
mod plan;
mod props;
mod validation;
mod worker;

use s3s::S3ErrorCode;
use s3s::dto::{
    BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, Tag, Timestamp, TimestampFormat,
};

use super::model::Configuration;
use super::parse::from_dto;

/// 2014-01-15 00:00 UTC.
const JAN15: i64 = 1_389_744_000_000;

pub(super) fn rule() -> LifecycleRule {
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

pub(super) fn days(d: i32) -> LifecycleExpiration {
    LifecycleExpiration { date: None, days: Some(d), expired_object_delete_marker: None }
}

pub(super) fn date(s: &str) -> Timestamp {
    Timestamp::parse(TimestampFormat::DateTime, s).unwrap()
}

pub(super) fn tag(k: &str, v: &str) -> Tag {
    Tag { key: Some(k.into()), value: Some(v.into()) }
}

pub(super) fn config(rules: Vec<LifecycleRule>) -> BucketLifecycleConfiguration {
    BucketLifecycleConfiguration { rules }
}

pub(super) fn code_of(rules: Vec<LifecycleRule>) -> S3ErrorCode {
    from_dto(Some(&config(rules))).unwrap_err().code().clone()
}

pub(super) fn parsed(rules: Vec<LifecycleRule>) -> Configuration {
    from_dto(Some(&config(rules))).unwrap()
}
