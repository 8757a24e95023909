//! ListObjects (v1), over the same index listing as ListObjectsV2
//! (`list`). v1 pages by `marker`, a key or common prefix in the clear. As
//! in S3, `NextMarker` is returned only when a delimiter was given; without
//! one clients resume after the last key of the page. (ListObjectVersions:
//! `list_versions`.)

use s3s::dto::{ListObjectsInput, ListObjectsOutput};
use s3s::{S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::list::{common_prefixes, fetch, max_keys, objects, url_encoding};
use super::{Inner, owner_of};
use crate::encoding::encode_if;

pub async fn list_objects(
    inner: &Inner,
    req: S3Request<ListObjectsInput>,
) -> S3Result<S3Response<ListObjectsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.list_objects", bucket = %input.bucket, prefix = ?input.prefix);
    async {
        let bucket = check_owner(inner, &input.bucket, &owner).await?;
        let url = url_encoding(input.encoding_type.as_ref())?;
        let max_keys = max_keys(input.max_keys)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let marker = input.marker.clone().filter(|m| !m.is_empty());
        let page =
            fetch(inner, &input.bucket, &owner, &prefix, delimiter.as_deref(), marker, max_keys)
                .await?;
        // ListObjects (v1) always names each object's owner.
        let contents = objects(&page, url, Some(&bucket.owner));
        let prefixes = common_prefixes(&page, url);
        let next_marker = match (&delimiter, page.is_truncated) {
            (Some(_), true) => page.next_marker.as_deref().map(|m| encode_if(url, m).into_owned()),
            _ => None,
        };
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket.clone()),
            prefix: Some(encode_if(url, &prefix).into_owned()),
            marker: Some(encode_if(url, input.marker.as_deref().unwrap_or("")).into_owned()),
            max_keys: Some(max_keys),
            is_truncated: Some(page.is_truncated),
            delimiter: delimiter.map(|d| encode_if(url, &d).into_owned()),
            next_marker,
            encoding_type: input.encoding_type.clone(),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            ..ListObjectsOutput::default()
        }))
    }
    .instrument(span)
    .await
}
