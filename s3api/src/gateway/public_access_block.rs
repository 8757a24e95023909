//! PutPublicAccessBlock, GetPublicAccessBlock and DeletePublicAccessBlock:
//! a bucket's four switches against public access.
//!
//! What each switch does, and where:
//! - BlockPublicPolicy — PutBucketPolicy of a public policy is refused
//!   (`bucket_policy`);
//! - RestrictPublicBuckets — a public policy grants nothing to anyone but
//!   the bucket owner (the access decision, `access::policy_hook`);
//! - BlockPublicAcls, IgnorePublicAcls — public ACLs are refused on
//!   writes, and ignored when deciding (the ACL side of the decision).
//!
//! A switch the request leaves out is false, as on AWS. Without a
//! configuration Get is 404 NoSuchPublicAccessBlockConfiguration; Delete
//! is 204 either way. Account-level blocks do not exist here: our owners
//! are not AWS accounts.

use s3s::dto::{
    DeletePublicAccessBlockInput, DeletePublicAccessBlockOutput, GetPublicAccessBlockInput,
    GetPublicAccessBlockOutput, PublicAccessBlockConfiguration, PutPublicAccessBlockInput,
    PutPublicAccessBlockOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::{Inner, error, owner_of};
use crate::index::PublicAccessBlock;

pub async fn put_public_access_block(
    inner: &Inner,
    req: S3Request<PutPublicAccessBlockInput>,
) -> S3Result<S3Response<PutPublicAccessBlockOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.put_public_access_block", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let c = &input.public_access_block_configuration;
        if c.block_public_acls.is_none()
            && c.ignore_public_acls.is_none()
            && c.block_public_policy.is_none()
            && c.restrict_public_buckets.is_none()
        {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Must specify at least one configuration.",
            ));
        }
        let block = from_dto(c);
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.set_public_access_block(&b, Some(&block)))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        tracing::info!(?block, "public access block set");
        Ok(S3Response::new(PutPublicAccessBlockOutput::default()))
    }
    .instrument(span)
    .await
}

pub async fn get_public_access_block(
    inner: &Inner,
    req: S3Request<GetPublicAccessBlockInput>,
) -> S3Result<S3Response<GetPublicAccessBlockOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.get_public_access_block", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        let found = inner
            .index
            .read(move |ix| ix.get_public_access_block(&b))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let Some(block) = found else {
            let mut e = S3Error::with_message(
                S3ErrorCode::Custom("NoSuchPublicAccessBlockConfiguration".into()),
                "The public access block configuration was not found",
            );
            e.set_status_code(http::StatusCode::NOT_FOUND);
            return Err(e);
        };
        Ok(S3Response::new(GetPublicAccessBlockOutput {
            public_access_block_configuration: Some(to_dto(&block)),
        }))
    }
    .instrument(span)
    .await
}

pub async fn delete_public_access_block(
    inner: &Inner,
    req: S3Request<DeletePublicAccessBlockInput>,
) -> S3Result<S3Response<DeletePublicAccessBlockOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.delete_public_access_block", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.set_public_access_block(&b, None))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        tracing::info!("public access block deleted");
        Ok(S3Response::new(DeletePublicAccessBlockOutput::default()))
    }
    .instrument(span)
    .await
}

pub(in crate::gateway) fn from_dto(c: &PublicAccessBlockConfiguration) -> PublicAccessBlock {
    PublicAccessBlock {
        block_public_acls: c.block_public_acls.unwrap_or(false),
        ignore_public_acls: c.ignore_public_acls.unwrap_or(false),
        block_public_policy: c.block_public_policy.unwrap_or(false),
        restrict_public_buckets: c.restrict_public_buckets.unwrap_or(false),
    }
}

pub(in crate::gateway) fn to_dto(b: &PublicAccessBlock) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration {
        block_public_acls: Some(b.block_public_acls),
        ignore_public_acls: Some(b.ignore_public_acls),
        block_public_policy: Some(b.block_public_policy),
        restrict_public_buckets: Some(b.restrict_public_buckets),
    }
}
