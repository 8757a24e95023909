//! PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration,
//! DeleteBucketLifecycle, and the `x-amz-expiration` header that PUT,
//! GET, HEAD, CompleteMultipartUpload and CopyObject answer with.
//!
//! The rules are validated as AWS validates them
//! ([`crate::lifecycle::parse`]) and stored in the index; the worker
//! ([`crate::lifecycle::worker`]) applies them. Without a configuration,
//! Get is 404 NoSuchLifecycleConfiguration; Delete is 204 either way.

use s3s::dto::{
    DeleteBucketLifecycleInput, DeleteBucketLifecycleOutput, GetBucketLifecycleConfigurationInput,
    GetBucketLifecycleConfigurationOutput, PutBucketLifecycleConfigurationInput,
    PutBucketLifecycleConfigurationOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::{Inner, error, owner_of};
use crate::lifecycle::{eval, parse, tags};

pub async fn put_bucket_lifecycle(
    inner: &Inner,
    req: S3Request<PutBucketLifecycleConfigurationInput>,
) -> S3Result<S3Response<PutBucketLifecycleConfigurationOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.put_bucket_lifecycle", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let config = parse::from_dto(input.lifecycle_configuration.as_ref())?;
        let rules = config.rules.len();
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.put_lifecycle(&b, &config))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        inner.lifecycle_rules.invalidate(&input.bucket);
        tracing::info!(rules, "lifecycle configuration set");
        Ok(S3Response::new(PutBucketLifecycleConfigurationOutput::default()))
    }
    .instrument(span)
    .await
}

pub async fn get_bucket_lifecycle(
    inner: &Inner,
    req: S3Request<GetBucketLifecycleConfigurationInput>,
) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.get_bucket_lifecycle", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        let found = inner
            .index
            .read(move |ix| ix.get_lifecycle(&b))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let Some(config) = found else {
            let mut e = S3Error::with_message(
                S3ErrorCode::NoSuchLifecycleConfiguration,
                "The lifecycle configuration does not exist",
            );
            e.set_status_code(http::StatusCode::NOT_FOUND);
            return Err(e);
        };
        Ok(S3Response::new(GetBucketLifecycleConfigurationOutput {
            rules: Some(parse::to_dto(&config)),
            ..GetBucketLifecycleConfigurationOutput::default()
        }))
    }
    .instrument(span)
    .await
}

pub async fn delete_bucket_lifecycle(
    inner: &Inner,
    req: S3Request<DeleteBucketLifecycleInput>,
) -> S3Result<S3Response<DeleteBucketLifecycleOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.delete_bucket_lifecycle", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.delete_lifecycle(&b))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        inner.lifecycle_rules.invalidate(&input.bucket);
        Ok(S3Response::new(DeleteBucketLifecycleOutput::default()))
    }
    .instrument(span)
    .await
}

/// The `x-amz-expiration` value for the current object `key` of `bucket`
/// (`size` bytes, created at `created_ms`, tag set `object_tags`, all from
/// the row the request read or wrote): the earliest expiry among the
/// bucket's enabled rules that apply, or `None`. A failed lookup only
/// costs the header, never the request it decorates. The configuration
/// comes from [`super::bucket_cache`], not an index read per request.
pub(super) async fn expiration(
    inner: &Inner,
    bucket: &str,
    key: &str,
    size: u64,
    created_ms: i64,
    object_tags: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    let config = match inner.lifecycle_rules.get(&inner.index, bucket).await {
        Ok(c) => c?,
        Err(e) => {
            tracing::debug!(error = %e, "no lifecycle lookup for x-amz-expiration");
            return None;
        }
    };
    let tags = tags::object_tags(object_tags);
    let (at, rule) =
        eval::current_expiry(&config, key, size, created_ms, &tags, inner.lifecycle_day_ms)?;
    eval::expiration_header(at, &rule.id)
}
