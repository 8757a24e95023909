//! PutObjectTagging, GetObjectTagging, DeleteObjectTagging: the tag set of
//! one version (`versionId`, or the current one), answered with its
//! `x-amz-version-id`. A delete marker has no tags: naming one is 405
//! MethodNotAllowed, a key whose current version is one is 404 NoSuchKey
//! (`error::from_index`), as on AWS.

use std::collections::BTreeMap;

use s3s::dto::{
    DeleteObjectTaggingInput, DeleteObjectTaggingOutput, GetObjectTaggingInput,
    GetObjectTaggingOutput, PutObjectTaggingInput, PutObjectTaggingOutput,
};
use s3s::{S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::super::bucket::check_owner;
use super::super::{Inner, error, owner_of};
use super::record::{Target, record_tags};
use super::rules::TagTarget;
use super::{from_dto, to_dto};

pub async fn put_object_tagging(
    inner: &Inner,
    req: S3Request<PutObjectTaggingInput>,
) -> S3Result<S3Response<PutObjectTaggingOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.put_object_tagging", bucket = %input.bucket, key = %input.key);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let tags = from_dto(input.tagging.tag_set, TagTarget::Object)?;
        let version_id =
            write(inner, &owner, (&input.bucket, &input.key), input.version_id, tags).await?;
        Ok(S3Response::new(PutObjectTaggingOutput { version_id }))
    }
    .instrument(span)
    .await
}

pub async fn get_object_tagging(
    inner: &Inner,
    req: S3Request<GetObjectTaggingInput>,
) -> S3Result<S3Response<GetObjectTaggingOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.get_object_tagging", bucket = %input.bucket, key = %input.key);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let (b, k, v) = (input.bucket.clone(), input.key.clone(), input.version_id.clone());
        let found = inner
            .index
            .read(move |ix| ix.object_tags(&b, &k, v.as_deref()))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        Ok(S3Response::new(GetObjectTaggingOutput {
            tag_set: to_dto(found.tags),
            version_id: found.version_id,
        }))
    }
    .instrument(span)
    .await
}

pub async fn delete_object_tagging(
    inner: &Inner,
    req: S3Request<DeleteObjectTaggingInput>,
) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.delete_object_tagging", bucket = %input.bucket, key = %input.key);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let (bucket, key) = (&input.bucket, &input.key);
        let version_id =
            write(inner, &owner, (bucket, key), input.version_id, BTreeMap::new()).await?;
        // 204, as AWS answers.
        let mut resp = S3Response::new(DeleteObjectTaggingOutput { version_id });
        resp.status = Some(http::StatusCode::NO_CONTENT);
        Ok(resp)
    }
    .instrument(span)
    .await
}

/// Replaces the tags of the addressed version with `tags` and records
/// them on its files for a rebuild; the version's ID as S3 shows it.
async fn write(
    inner: &Inner,
    owner: &str,
    (bucket, key): (&str, &str),
    version_id: Option<String>,
    tags: BTreeMap<String, String>,
) -> S3Result<Option<String>> {
    let (b, k, set) = (bucket.to_string(), key.to_string(), tags.clone());
    let written = inner
        .index
        .write(move |ix| ix.set_object_tags(&b, &k, version_id.as_deref(), &set))
        .await
        .map_err(|e| error::from_index(e, owner))?;
    record_tags(inner, &Target { bucket, key, written: &written }, &tags).await;
    Ok(written.version_id)
}
