//! s3s's lifecycle DTOs ⇄ [`Configuration`], with AWS's validation.
//!
//! AWS answers a bad configuration with one of three codes, and SDKs and
//! tools show them to users, so each check picks the one AWS uses:
//! - `MalformedXML` — the shape is wrong: no rules, Prefix and Filter
//!   together or neither, a Filter with several predicates outside `And`,
//!   an `And` with fewer than two, an Expiration with Days and Date, a
//!   Status other than Enabled/Disabled, a required element missing;
//! - `InvalidArgument` — a value is out of range: Days, NoncurrentDays or
//!   DaysAfterInitiation not positive, a Date not at midnight UTC,
//!   NewerNoncurrentVersions outside 1..=100, an ID longer than 255
//!   characters or used twice, sizes negative or not ordered;
//! - `InvalidRequest` — actions that cannot go together: a rule without
//!   any action, ExpiredObjectDeleteMarker or AbortIncompleteMultipartUpload
//!   with a tag filter (markers and uploads have no tags), more than 1,000
//!   rules.
//!
//! Transitions (StorageClass moves) are `501 NotImplemented`: every
//! object here lives in one storage class.

use s3s::dto::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter,
    NoncurrentVersionExpiration, Tag, Timestamp, TimestampFormat,
};
use s3s::{S3Error, S3ErrorCode};

use super::model::{
    Configuration, Expiration, Filter, FilterForm, MAX_ID_LEN, MAX_NEWER_VERSIONS, MAX_RULES,
    NoncurrentExpiration, Rule,
};

/// Tag keys are 1..=128 characters, values at most 256 (S3's tag limits).
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;

/// One day in ms: a Date must be a multiple of it (midnight UTC).
const DAY_MS: i64 = 86_400_000;

fn malformed(msg: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::MalformedXML, msg.into())
}

fn invalid_argument(msg: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, msg.into())
}

fn invalid_request(msg: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, msg.into())
}

/// Validates a PutBucketLifecycleConfiguration body. Never panics,
/// whatever the DTO holds (a proptest checks it).
pub fn from_dto(config: Option<&BucketLifecycleConfiguration>) -> Result<Configuration, S3Error> {
    let Some(config) = config else {
        return Err(malformed("a LifecycleConfiguration is required"));
    };
    if config.rules.is_empty() {
        return Err(malformed("at least one Rule is required"));
    }
    if config.rules.len() > MAX_RULES {
        return Err(invalid_request(format!(
            "a lifecycle configuration has at most {MAX_RULES} rules"
        )));
    }
    let mut rules = Vec::with_capacity(config.rules.len());
    for dto in &config.rules {
        let rule = rule_from_dto(dto)?;
        if rules.iter().any(|r: &Rule| r.id == rule.id) {
            return Err(invalid_argument(
                "Rule ID must be unique. Found same ID for more than one rule",
            ));
        }
        rules.push(rule);
    }
    Ok(Configuration { rules })
}

fn rule_from_dto(dto: &LifecycleRule) -> Result<Rule, S3Error> {
    let id = match dto.id.as_deref() {
        None | Some("") => generated_id(),
        Some(id) if id.chars().count() > MAX_ID_LEN => {
            return Err(invalid_argument(format!(
                "ID length should not exceed allowed limit of {MAX_ID_LEN}"
            )));
        }
        Some(id) => id.to_string(),
    };
    let enabled = match dto.status.as_str() {
        ExpirationStatus::ENABLED => true,
        ExpirationStatus::DISABLED => false,
        _ => return Err(malformed("Status must be Enabled or Disabled")),
    };
    if dto.transitions.as_ref().is_some_and(|t| !t.is_empty())
        || dto.noncurrent_version_transitions.as_ref().is_some_and(|t| !t.is_empty())
    {
        return Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            "lifecycle transitions are not implemented: every object has one storage class",
        ));
    }
    let filter = filter_from_dto(dto.prefix.as_ref(), dto.filter.as_ref())?;
    let expiration = match &dto.expiration {
        Some(e) => expiration_from_dto(e)?,
        None => None,
    };
    let noncurrent = match &dto.noncurrent_version_expiration {
        Some(n) => Some(noncurrent_from_dto(n)?),
        None => None,
    };
    let abort_upload_days = match &dto.abort_incomplete_multipart_upload {
        Some(a) => Some(positive_days(
            a.days_after_initiation,
            "DaysAfterInitiation",
            "AbortIncompleteMultipartUpload",
        )?),
        None => None,
    };
    if expiration.is_none() && noncurrent.is_none() && abort_upload_days.is_none() {
        return Err(invalid_request("At least one action needs to be specified in a rule"));
    }
    if filter.has_tags() {
        if expiration == Some(Expiration::ExpiredDeleteMarker) {
            return Err(invalid_request(
                "ExpiredObjectDeleteMarker cannot be specified with a tag filter",
            ));
        }
        if abort_upload_days.is_some() {
            return Err(invalid_request(
                "AbortIncompleteMultipartUpload cannot be specified with a tag filter",
            ));
        }
    }
    Ok(Rule { id, enabled, filter, expiration, noncurrent, abort_upload_days })
}

/// A rule ID for a rule sent without one, as AWS makes one up.
fn generated_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn filter_from_dto(
    prefix: Option<&String>,
    filter: Option<&LifecycleRuleFilter>,
) -> Result<Filter, S3Error> {
    let empty =
        |form| Filter { form, prefix: None, tags: Vec::new(), size_greater: None, size_less: None };
    let f = match (prefix, filter) {
        (Some(_), Some(_)) => {
            return Err(malformed("a Rule has either Prefix or Filter, not both"));
        }
        (None, None) => return Err(malformed("a Rule needs a Filter (or a Prefix)")),
        (Some(p), None) => {
            return Ok(Filter { prefix: Some(p.clone()), ..empty(FilterForm::RulePrefix) });
        }
        (None, Some(f)) => f,
    };
    let singles = usize::from(f.prefix.is_some())
        + usize::from(f.tag.is_some())
        + usize::from(f.object_size_greater_than.is_some())
        + usize::from(f.object_size_less_than.is_some());
    let out = match &f.and {
        Some(_) if singles > 0 => {
            return Err(malformed("a Filter with And has no other predicate"));
        }
        Some(and) => and_from_dto(and)?,
        None if singles > 1 => {
            return Err(malformed("a Filter with several predicates needs And"));
        }
        None => Filter {
            prefix: f.prefix.clone(),
            tags: match &f.tag {
                Some(t) => vec![tag_from_dto(t)?],
                None => Vec::new(),
            },
            size_greater: size(f.object_size_greater_than, "ObjectSizeGreaterThan")?,
            size_less: size(f.object_size_less_than, "ObjectSizeLessThan")?,
            ..empty(FilterForm::Single)
        },
    };
    Ok(out)
}

fn and_from_dto(and: &LifecycleRuleAndOperator) -> Result<Filter, S3Error> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for t in and.tags.iter().flatten() {
        let tag = tag_from_dto(t)?;
        if tags.iter().any(|(k, _)| *k == tag.0) {
            return Err(invalid_request("Duplicate Tag Keys are not allowed"));
        }
        tags.push(tag);
    }
    let predicates = usize::from(and.prefix.is_some())
        + tags.len()
        + usize::from(and.object_size_greater_than.is_some())
        + usize::from(and.object_size_less_than.is_some());
    if predicates < 2 {
        return Err(malformed("And needs at least two predicates"));
    }
    let size_greater = size(and.object_size_greater_than, "ObjectSizeGreaterThan")?;
    let size_less = size(and.object_size_less_than, "ObjectSizeLessThan")?;
    if let (Some(g), Some(l)) = (size_greater, size_less)
        && g >= l
    {
        return Err(invalid_argument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan"));
    }
    Ok(Filter { form: FilterForm::And, prefix: and.prefix.clone(), tags, size_greater, size_less })
}

fn tag_from_dto(tag: &Tag) -> Result<(String, String), S3Error> {
    let (Some(key), Some(value)) = (&tag.key, &tag.value) else {
        return Err(malformed("a Tag needs a Key and a Value"));
    };
    let key_len = key.chars().count();
    if key_len == 0 || key_len > MAX_TAG_KEY || value.chars().count() > MAX_TAG_VALUE {
        return Err(invalid_argument("The TagKey or TagValue you have provided is invalid"));
    }
    Ok((key.clone(), value.clone()))
}

fn size(v: Option<i64>, name: &str) -> Result<Option<u64>, S3Error> {
    match v {
        None => Ok(None),
        Some(v) => u64::try_from(v)
            .map(Some)
            .map_err(|_| invalid_argument(format!("{name} must not be negative"))),
    }
}

fn positive_days(v: Option<i32>, name: &str, action: &str) -> Result<u32, S3Error> {
    let Some(v) = v else {
        return Err(malformed(format!("{action} needs {name}")));
    };
    match u32::try_from(v) {
        Ok(d) if d > 0 => Ok(d),
        _ => Err(invalid_argument(format!(
            "'{name}' for {action} action must be a positive integer"
        ))),
    }
}

fn expiration_from_dto(e: &LifecycleExpiration) -> Result<Option<Expiration>, S3Error> {
    let marker = e.expired_object_delete_marker == Some(true);
    match (e.days, &e.date, marker) {
        (Some(_), Some(_), _) => Err(malformed("Expiration has either Days or Date, not both")),
        (Some(_), None, true) | (None, Some(_), true) => Err(malformed(
            "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle \
             Expiration Policy",
        )),
        (Some(d), None, false) => {
            Ok(Some(Expiration::Days(positive_days(Some(d), "Days", "Expiration")?)))
        }
        (None, Some(date), false) => Ok(Some(Expiration::Date(midnight_ms(date)?))),
        (None, None, true) => Ok(Some(Expiration::ExpiredDeleteMarker)),
        // `<ExpiredObjectDeleteMarker>false</…>` alone: "the policy takes
        // no action", as AWS documents it.
        (None, None, false) if e.expired_object_delete_marker.is_some() => Ok(None),
        (None, None, false) => {
            Err(malformed("Expiration needs Days, Date or ExpiredObjectDeleteMarker"))
        }
    }
}

/// A Date as unix ms; it must be a midnight UTC.
fn midnight_ms(date: &Timestamp) -> Result<i64, S3Error> {
    let not_midnight = || invalid_argument("'Date' must be at midnight GMT");
    let mut buf = Vec::new();
    date.format(TimestampFormat::EpochSeconds, &mut buf).map_err(|_| not_midnight())?;
    let text = String::from_utf8(buf).map_err(|_| not_midnight())?;
    // A fractional second is never midnight.
    let secs: i64 = text.parse().map_err(|_| not_midnight())?;
    let ms = secs.checked_mul(1000).ok_or_else(not_midnight)?;
    if ms.rem_euclid(DAY_MS) != 0 {
        return Err(not_midnight());
    }
    Ok(ms)
}

fn noncurrent_from_dto(n: &NoncurrentVersionExpiration) -> Result<NoncurrentExpiration, S3Error> {
    let days = positive_days(n.noncurrent_days, "NoncurrentDays", "NoncurrentVersionExpiration")?;
    let newer_versions = match n.newer_noncurrent_versions {
        None => None,
        Some(v) => match u32::try_from(v) {
            Ok(v) if (1..=MAX_NEWER_VERSIONS).contains(&v) => Some(v),
            _ => {
                return Err(invalid_argument(format!(
                    "NewerNoncurrentVersions must be between 1 and {MAX_NEWER_VERSIONS}"
                )));
            }
        },
    };
    Ok(NoncurrentExpiration { days, newer_versions })
}

/// The rules as GetBucketLifecycleConfiguration answers them.
pub fn to_dto(config: &Configuration) -> Vec<LifecycleRule> {
    config.rules.iter().map(rule_to_dto).collect()
}

fn rule_to_dto(rule: &Rule) -> LifecycleRule {
    let status = if rule.enabled { ExpirationStatus::ENABLED } else { ExpirationStatus::DISABLED };
    let (prefix, filter) = filter_to_dto(&rule.filter);
    LifecycleRule {
        abort_incomplete_multipart_upload: rule.abort_upload_days.map(|d| {
            AbortIncompleteMultipartUpload { days_after_initiation: i32::try_from(d).ok() }
        }),
        expiration: rule.expiration.map(expiration_to_dto),
        filter,
        id: Some(rule.id.clone()),
        noncurrent_version_expiration: rule.noncurrent.map(|n| NoncurrentVersionExpiration {
            newer_noncurrent_versions: n.newer_versions.and_then(|v| i32::try_from(v).ok()),
            noncurrent_days: i32::try_from(n.days).ok(),
        }),
        noncurrent_version_transitions: None,
        prefix,
        status: ExpirationStatus::from_static(status),
        transitions: None,
    }
}

fn filter_to_dto(f: &Filter) -> (Option<String>, Option<LifecycleRuleFilter>) {
    let tag = |(k, v): &(String, String)| Tag { key: Some(k.clone()), value: Some(v.clone()) };
    let size = |v: Option<u64>| v.and_then(|v| i64::try_from(v).ok());
    match f.form {
        FilterForm::RulePrefix => (Some(f.prefix.clone().unwrap_or_default()), None),
        FilterForm::Single => (
            None,
            Some(LifecycleRuleFilter {
                and: None,
                object_size_greater_than: size(f.size_greater),
                object_size_less_than: size(f.size_less),
                prefix: f.prefix.clone(),
                tag: f.tags.first().map(tag),
            }),
        ),
        FilterForm::And => (
            None,
            Some(LifecycleRuleFilter {
                and: Some(LifecycleRuleAndOperator {
                    object_size_greater_than: size(f.size_greater),
                    object_size_less_than: size(f.size_less),
                    prefix: f.prefix.clone(),
                    tags: if f.tags.is_empty() {
                        None
                    } else {
                        Some(f.tags.iter().map(tag).collect())
                    },
                }),
                object_size_greater_than: None,
                object_size_less_than: None,
                prefix: None,
                tag: None,
            }),
        ),
    }
}

fn expiration_to_dto(e: Expiration) -> LifecycleExpiration {
    let mut out =
        LifecycleExpiration { date: None, days: None, expired_object_delete_marker: None };
    match e {
        Expiration::Days(d) => out.days = i32::try_from(d).ok(),
        Expiration::Date(ms) => {
            let secs = ms.div_euclid(1000).to_string();
            out.date = Timestamp::parse(TimestampFormat::EpochSeconds, &secs).ok();
        }
        Expiration::ExpiredDeleteMarker => out.expired_object_delete_marker = Some(true),
    }
    out
}
