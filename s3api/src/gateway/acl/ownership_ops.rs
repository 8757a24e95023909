//! Put/Get/DeleteBucketOwnershipControls (see `access::ownership` for
//! what each setting means). A bucket that never had one set answers
//! 404 OwnershipControlsNotFoundError, as on S3, and behaves as
//! ObjectWriter.

use s3s::dto::{
    DeleteBucketOwnershipControlsInput, DeleteBucketOwnershipControlsOutput,
    GetBucketOwnershipControlsInput, GetBucketOwnershipControlsOutput, ObjectOwnership,
    OwnershipControls, OwnershipControlsRule, PutBucketOwnershipControlsInput,
    PutBucketOwnershipControlsOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::super::access::ownership::Ownership;
use super::super::bucket::check_owner;
use super::super::{Inner, error, owner_of};

pub(crate) async fn put_bucket_ownership_controls(
    inner: &Inner,
    req: S3Request<PutBucketOwnershipControlsInput>,
) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.put_bucket_ownership_controls", bucket = %input.bucket);
    async {
        let bucket = check_owner(inner, &input.bucket, &owner).await?;
        let [rule] = input.ownership_controls.rules.as_slice() else {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "OwnershipControls takes exactly one Rule",
            ));
        };
        let ownership = Ownership::parse(rule.object_ownership.as_str())?;
        if ownership == Ownership::BucketOwnerEnforced {
            // As on S3: a bucket whose ACL grants anyone but its owner
            // must drop those grants before ACLs are turned off.
            let n = bucket.name.clone();
            let access = inner.index.read(move |ix| ix.get_bucket_access(&n)).await;
            let access = access.map_err(|e| error::from_index(e, &owner))?;
            if access.is_some_and(|a| a.acl.is_some()) {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidBucketAclWithObjectOwnership,
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                ));
            }
        }
        set(inner, bucket.name, Some(ownership), &owner).await?;
        Ok(S3Response::new(PutBucketOwnershipControlsOutput::default()))
    }
    .instrument(span)
    .await
}

pub(crate) async fn get_bucket_ownership_controls(
    inner: &Inner,
    req: S3Request<GetBucketOwnershipControlsInput>,
) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.get_bucket_ownership_controls", bucket = %req.input.bucket);
    async {
        let bucket = check_owner(inner, &req.input.bucket, &owner).await?;
        let n = bucket.name.clone();
        let access = inner.index.read(move |ix| ix.get_bucket_access(&n)).await;
        let access = access.map_err(|e| error::from_index(e, &owner))?;
        let Some(stored) = access.and_then(|a| a.object_ownership) else {
            return Err(S3Error::with_message(
                S3ErrorCode::OwnershipControlsNotFoundError,
                "The bucket ownership controls were not found",
            ));
        };
        let ownership = Ownership::stored(Some(&stored));
        let rule = OwnershipControlsRule {
            object_ownership: ObjectOwnership::from(ownership.as_str().to_string()),
        };
        Ok(S3Response::new(GetBucketOwnershipControlsOutput {
            ownership_controls: Some(OwnershipControls { rules: vec![rule] }),
        }))
    }
    .instrument(span)
    .await
}

pub(crate) async fn delete_bucket_ownership_controls(
    inner: &Inner,
    req: S3Request<DeleteBucketOwnershipControlsInput>,
) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.delete_bucket_ownership_controls", bucket = %req.input.bucket);
    async {
        let bucket = check_owner(inner, &req.input.bucket, &owner).await?;
        set(inner, bucket.name, None, &owner).await?;
        Ok(S3Response::new(DeleteBucketOwnershipControlsOutput::default()))
    }
    .instrument(span)
    .await
}

async fn set(inner: &Inner, bucket: String, o: Option<Ownership>, me: &str) -> S3Result<()> {
    inner
        .index
        .write(move |ix| ix.set_bucket_ownership(&bucket, o.map(Ownership::as_str)))
        .await
        .map_err(|e| error::from_index(e, me))
}
