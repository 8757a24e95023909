//! PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy and
//! GetBucketPolicyStatus.
//!
//! A policy is validated by [`crate::policy::parse`] against its bucket
//! (MalformedPolicy, 400, with AWS's message otherwise) and stored as the
//! text the client sent, which GetBucketPolicy answers unchanged. Under a
//! Public Access Block with BlockPublicPolicy, a public policy is refused
//! with 403 AccessDenied, as on AWS. `x-amz-confirm-remove-self-bucket-access`
//! is accepted and changes nothing: the bucket owner always keeps the
//! right to manage the policy here, so it cannot lock itself out.

use s3s::dto::{
    DeleteBucketPolicyInput, DeleteBucketPolicyOutput, GetBucketPolicyInput, GetBucketPolicyOutput,
    GetBucketPolicyStatusInput, GetBucketPolicyStatusOutput, PolicyStatus, PutBucketPolicyInput,
    PutBucketPolicyOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::{Inner, error, owner_of};
use crate::policy;

pub async fn put_bucket_policy(
    inner: &Inner,
    req: S3Request<PutBucketPolicyInput>,
) -> S3Result<S3Response<PutBucketPolicyOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.put_bucket_policy", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let parsed = policy::parse(&input.policy, &input.bucket).map_err(|e| {
            tracing::debug!(reason = %e.0, "policy refused");
            S3Error::with_message(S3ErrorCode::MalformedPolicy, e.0)
        })?;
        let public = policy::is_public(&parsed);
        let b = input.bucket.clone();
        let text = input.policy;
        inner
            .index
            .write(move |ix| {
                // The switch and the write in one transaction's reach: a
                // concurrent PutPublicAccessBlock cannot slip between.
                let block = ix.get_public_access_block(&b)?;
                if public && block.is_some_and(|b| b.block_public_policy) {
                    return Ok(false);
                }
                ix.set_bucket_policy(&b, Some(&text))?;
                Ok(true)
            })
            .await
            .map_err(|e| error::from_index(e, &owner))?
            .then_some(())
            .ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::AccessDenied,
                    "Access Denied: the bucket's Public Access Block (BlockPublicPolicy) \
                     refuses a public policy",
                )
            })?;
        tracing::info!(statements = parsed.statements.len(), public, "bucket policy set");
        Ok(S3Response::new(PutBucketPolicyOutput::default()))
    }
    .instrument(span)
    .await
}

pub async fn get_bucket_policy(
    inner: &Inner,
    req: S3Request<GetBucketPolicyInput>,
) -> S3Result<S3Response<GetBucketPolicyOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.get_bucket_policy", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let policy = stored(inner, &input.bucket, &owner).await?;
        Ok(S3Response::new(GetBucketPolicyOutput { policy: Some(policy) }))
    }
    .instrument(span)
    .await
}

pub async fn delete_bucket_policy(
    inner: &Inner,
    req: S3Request<DeleteBucketPolicyInput>,
) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.delete_bucket_policy", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.set_bucket_policy(&b, None))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        tracing::info!("bucket policy deleted");
        Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
    }
    .instrument(span)
    .await
}

/// `IsPublic` as [`crate::policy::public`] defines it; 404
/// NoSuchBucketPolicy without a policy, as on AWS.
pub async fn get_bucket_policy_status(
    inner: &Inner,
    req: S3Request<GetBucketPolicyStatusInput>,
) -> S3Result<S3Response<GetBucketPolicyStatusOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.get_bucket_policy_status", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let text = stored(inner, &input.bucket, &owner).await?;
        // Stored policies were validated; one that no longer parses (a
        // newer build's policy after a downgrade) is reported non-public
        // rather than failing the call.
        let is_public = policy::parse(&text, &input.bucket).is_ok_and(|p| policy::is_public(&p));
        Ok(S3Response::new(GetBucketPolicyStatusOutput {
            policy_status: Some(PolicyStatus { is_public: Some(is_public) }),
        }))
    }
    .instrument(span)
    .await
}

/// The stored policy of `bucket`, or 404 NoSuchBucketPolicy.
async fn stored(inner: &Inner, bucket: &str, owner: &str) -> S3Result<String> {
    let b = bucket.to_string();
    let found = inner
        .index
        .read(move |ix| ix.get_bucket_policy(&b))
        .await
        .map_err(|e| error::from_index(e, owner))?;
    found.ok_or_else(|| {
        S3Error::with_message(S3ErrorCode::NoSuchBucketPolicy, "The bucket policy does not exist")
    })
}
