//! PutObjectLockConfiguration / GetObjectLockConfiguration, and Object
//! Lock at CreateBucket (`x-amz-bucket-object-lock-enabled: true`).
//!
//! Object lock, once on, stays on (AWS offers no way back). On an existing
//! bucket it can be turned on only while versioning is Enabled (409
//! InvalidBucketState otherwise), since a lock protects versions; a bucket
//! created with it is versioned from the start. The default retention
//! takes a mode and exactly one of Days (1..=36500) or Years (1..=100).

use s3s::dto::{
    DefaultRetention as DefaultRetentionDto, GetObjectLockConfigurationInput,
    GetObjectLockConfigurationOutput, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockRetentionMode, ObjectLockRule, PutObjectLockConfigurationInput,
    PutObjectLockConfigurationOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::super::bucket::check_owner;
use super::super::{Inner, error, owner_of};
use super::{bucket_lock, require_integrity};
use crate::index::{
    BucketLock, DefaultRetention, Index, LockMode, Period, Result as IndexResult, Versioning,
};

/// AWS's longest default retention in days, and in years.
const MAX_DAYS: i32 = 36_500;
const MAX_YEARS: i32 = 100;

pub async fn put_object_lock_configuration(
    inner: &Inner,
    req: S3Request<PutObjectLockConfigurationInput>,
) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
    let owner = owner_of(inner, &req).await?;
    let bucket = req.input.bucket.clone();
    let span = info_span!("s3.put_object_lock_configuration", %bucket);
    async {
        check_owner(inner, &bucket, &owner).await?;
        require_integrity(&req.headers, "Put Object Lock Configuration requests")?;
        let config = parse(req.input.object_lock_configuration.as_ref())?;
        let had = bucket_lock(inner, &bucket, &owner).await?;
        if had.is_none() && !versioning_enabled(inner, &bucket, &owner).await? {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidBucketState,
                "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
            ));
        }
        let b = bucket.clone();
        inner
            .index
            .write(move |ix| ix.set_bucket_lock(&b, &config))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        tracing::info!(?config, "object lock configured");
        Ok(S3Response::new(PutObjectLockConfigurationOutput::default()))
    }
    .instrument(span)
    .await
}

pub async fn get_object_lock_configuration(
    inner: &Inner,
    req: S3Request<GetObjectLockConfigurationInput>,
) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
    let owner = owner_of(inner, &req).await?;
    let bucket = req.input.bucket.clone();
    let span = info_span!("s3.get_object_lock_configuration", %bucket);
    async {
        check_owner(inner, &bucket, &owner).await?;
        let Some(config) = bucket_lock(inner, &bucket, &owner).await? else {
            return Err(S3Error::with_message(
                S3ErrorCode::ObjectLockConfigurationNotFoundError,
                "Object Lock configuration does not exist for this bucket",
            ));
        };
        Ok(S3Response::new(GetObjectLockConfigurationOutput {
            object_lock_configuration: Some(to_dto(&config)),
        }))
    }
    .instrument(span)
    .await
}

/// Turns object lock on for bucket `name`, created with
/// `x-amz-bucket-object-lock-enabled: true` in the same transaction:
/// versioning Enabled (for good: the index refuses to suspend it) and
/// lock on.
pub(in crate::gateway) fn enable_on_create(ix: &mut Index, name: &str) -> IndexResult<()> {
    ix.set_bucket_versioning(name, Versioning::Enabled)?;
    ix.set_bucket_lock(name, &BucketLock::default())
}

/// Whether versioning is Enabled on `bucket`.
async fn versioning_enabled(inner: &Inner, bucket: &str, owner: &str) -> S3Result<bool> {
    let b = bucket.to_string();
    let state = inner
        .index
        .read(move |ix| ix.bucket_versioning(&b))
        .await
        .map_err(|e| error::from_index(e, owner))?;
    Ok(state == Some(Versioning::Enabled))
}

fn malformed(why: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::MalformedXML,
        format!("The XML you provided was not well-formed or did not validate: {why}"),
    )
}

/// `config` as GetObjectLockConfiguration answers it.
pub(in crate::gateway) fn to_dto(config: &BucketLock) -> ObjectLockConfiguration {
    let rule = config.default.map(|d| {
        let (days, years) = match d.period {
            Period::Days(n) => (Some(n as i32), None),
            Period::Years(n) => (None, Some(n as i32)),
        };
        ObjectLockRule {
            default_retention: Some(DefaultRetentionDto {
                days,
                years,
                mode: Some(ObjectLockRetentionMode::from(d.mode.as_str().to_string())),
            }),
        }
    });
    ObjectLockConfiguration {
        object_lock_enabled: Some(ObjectLockEnabled::from_static(ObjectLockEnabled::ENABLED)),
        rule,
    }
}

/// The configuration of a PutObjectLockConfiguration body, checked as AWS
/// checks it.
pub(in crate::gateway) fn parse(dto: Option<&ObjectLockConfiguration>) -> S3Result<BucketLock> {
    let dto = dto.ok_or_else(|| malformed("no ObjectLockConfiguration"))?;
    match dto.object_lock_enabled.as_ref().map(ObjectLockEnabled::as_str) {
        Some(ObjectLockEnabled::ENABLED) => {}
        _ => return Err(malformed("ObjectLockEnabled must be Enabled")),
    }
    let Some(rule) = &dto.rule else { return Ok(BucketLock { default: None }) };
    let d = rule
        .default_retention
        .as_ref()
        .ok_or_else(|| malformed("Rule without DefaultRetention"))?;
    let mode =
        d.mode.as_ref().and_then(|m| LockMode::parse(m.as_str())).ok_or_else(|| {
            malformed("DefaultRetention needs a Mode of GOVERNANCE or COMPLIANCE")
        })?;
    let positive = |n: i32, max: i32| {
        if n <= 0 {
            Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "Default retention period must be a positive integer value",
            ))
        } else if n > max {
            Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                format!("Default retention period is too large (at most {max})"),
            ))
        } else {
            Ok(n as u32)
        }
    };
    let period = match (d.days, d.years) {
        (Some(days), None) => Period::Days(positive(days, MAX_DAYS)?),
        (None, Some(years)) => Period::Years(positive(years, MAX_YEARS)?),
        _ => return Err(malformed("DefaultRetention needs exactly one of Days and Years")),
    };
    Ok(BucketLock { default: Some(DefaultRetention { mode, period }) })
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::index::{LockMode, Period};
    use s3s::dto::{
        DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
        ObjectLockRule,
    };

    fn config(
        mode: Option<&str>,
        days: Option<i32>,
        years: Option<i32>,
    ) -> ObjectLockConfiguration {
        ObjectLockConfiguration {
            object_lock_enabled: Some(ObjectLockEnabled::from_static("Enabled")),
            rule: Some(ObjectLockRule {
                default_retention: Some(DefaultRetention {
                    mode: mode.map(|m| ObjectLockRetentionMode::from(m.to_string())),
                    days,
                    years,
                }),
            }),
        }
    }

    fn code(c: ObjectLockConfiguration) -> String {
        parse(Some(&c)).unwrap_err().code().as_str().to_string()
    }

    #[test]
    fn configurations() {
        let ok = parse(Some(&config(Some("COMPLIANCE"), Some(3), None))).unwrap();
        let d = ok.default.unwrap();
        assert_eq!((d.mode, d.period), (LockMode::Compliance, Period::Days(3)));
        let ok = parse(Some(&config(Some("GOVERNANCE"), None, Some(100)))).unwrap();
        assert_eq!(ok.default.unwrap().period, Period::Years(100));
        let bare = ObjectLockConfiguration {
            object_lock_enabled: Some(ObjectLockEnabled::from_static("Enabled")),
            rule: None,
        };
        assert_eq!(parse(Some(&bare)).unwrap().default, None);
        assert_eq!(code(config(Some("GOVERNANCE"), Some(1), Some(1))), "MalformedXML");
        assert_eq!(code(config(Some("GOVERNANCE"), None, None)), "MalformedXML");
        assert_eq!(code(config(None, Some(1), None)), "MalformedXML");
        assert_eq!(code(config(Some("SOFT"), Some(1), None)), "MalformedXML");
        assert_eq!(code(config(Some("GOVERNANCE"), Some(0), None)), "InvalidArgument");
        assert_eq!(code(config(Some("GOVERNANCE"), Some(-2), None)), "InvalidArgument");
        assert_eq!(code(config(Some("GOVERNANCE"), Some(36_501), None)), "InvalidArgument");
        assert_eq!(code(config(Some("GOVERNANCE"), None, Some(101))), "InvalidArgument");
        let off = ObjectLockConfiguration {
            object_lock_enabled: Some(ObjectLockEnabled::from_static("Disabled")),
            rule: None,
        };
        assert_eq!(code(off), "MalformedXML");
        assert!(parse(None).is_err());
    }
}
