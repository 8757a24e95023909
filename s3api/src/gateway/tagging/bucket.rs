//! PutBucketTagging, GetBucketTagging, DeleteBucketTagging: a bucket's tag
//! set (up to 50 tags), kept in the index. A bucket without one answers
//! GetBucketTagging with 404 NoSuchTagSet, as AWS does; an empty TagSet
//! removes it, like DeleteBucketTagging.

use s3s::dto::{
    DeleteBucketTaggingInput, DeleteBucketTaggingOutput, GetBucketTaggingInput,
    GetBucketTaggingOutput, PutBucketTaggingInput, PutBucketTaggingOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::super::bucket::check_owner;
use super::super::{Inner, error, owner_of};
use super::rules::TagTarget;
use super::{from_dto, to_dto};

pub async fn put_bucket_tagging(
    inner: &Inner,
    req: S3Request<PutBucketTaggingInput>,
) -> S3Result<S3Response<PutBucketTaggingOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.put_bucket_tagging", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let tags = from_dto(input.tagging.tag_set, TagTarget::Bucket)?;
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.set_bucket_tags(&b, Some(&tags)))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        // 204, as AWS answers.
        let mut resp = S3Response::new(PutBucketTaggingOutput::default());
        resp.status = Some(http::StatusCode::NO_CONTENT);
        Ok(resp)
    }
    .instrument(span)
    .await
}

pub async fn get_bucket_tagging(
    inner: &Inner,
    req: S3Request<GetBucketTaggingInput>,
) -> S3Result<S3Response<GetBucketTaggingOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.get_bucket_tagging", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        let found = inner
            .index
            .read(move |ix| ix.get_bucket_tags(&b))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let Some(tags) = found else {
            return Err(S3Error::with_message(
                S3ErrorCode::NoSuchTagSet,
                "The TagSet does not exist",
            ));
        };
        Ok(S3Response::new(GetBucketTaggingOutput { tag_set: to_dto(tags) }))
    }
    .instrument(span)
    .await
}

pub async fn delete_bucket_tagging(
    inner: &Inner,
    req: S3Request<DeleteBucketTaggingInput>,
) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.delete_bucket_tagging", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.set_bucket_tags(&b, None))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let mut resp = S3Response::new(DeleteBucketTaggingOutput::default());
        resp.status = Some(http::StatusCode::NO_CONTENT);
        Ok(resp)
    }
    .instrument(span)
    .await
}
