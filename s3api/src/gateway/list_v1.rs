//! ListObjects (v1) and ListObjectVersions, over the same index listing
//! as ListObjectsV2 (`list`).
//!
//! - v1 pages by `marker`, a key or common prefix in the clear. As in S3,
//!   `NextMarker` is returned only when a delimiter was given; without one
//!   clients resume after the last key of the page.
//! - Buckets are unversioned, so ListObjectVersions shows every object as
//!   its one version: `VersionId` `null`, `IsLatest` true, no delete
//!   markers. It pages by `key-marker`; a `version-id-marker` may only be
//!   `null` (the version after it is the next key's).

use s3s::dto::{
    ETag, ListObjectVersionsInput, ListObjectVersionsOutput, ListObjectsInput, ListObjectsOutput,
    ObjectVersion, ObjectVersionStorageClass,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::list::{common_prefixes, fetch, max_keys, objects, storage_class, url_encoding};
use super::{Inner, owner_of, timestamp};
use crate::encoding::encode_if;
use crate::index::ListPage;

/// The version ID of every object in an unversioned bucket.
const NULL_VERSION: &str = "null";

pub async fn list_objects(
    inner: &Inner,
    req: S3Request<ListObjectsInput>,
) -> S3Result<S3Response<ListObjectsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.list_objects", bucket = %input.bucket, prefix = ?input.prefix);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let url = url_encoding(input.encoding_type.as_ref())?;
        let max_keys = max_keys(input.max_keys)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let marker = input.marker.clone().filter(|m| !m.is_empty());
        let page =
            fetch(inner, &input.bucket, &owner, &prefix, delimiter.as_deref(), marker, max_keys)
                .await?;
        let contents = objects(&page, url);
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

pub async fn list_object_versions(
    inner: &Inner,
    req: S3Request<ListObjectVersionsInput>,
) -> S3Result<S3Response<ListObjectVersionsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span =
        info_span!("s3.list_object_versions", bucket = %input.bucket, prefix = ?input.prefix);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let url = url_encoding(input.encoding_type.as_ref())?;
        let max_keys = max_keys(input.max_keys)?;
        let key_marker = input.key_marker.clone().filter(|m| !m.is_empty());
        check_version_marker(key_marker.as_deref(), input.version_id_marker.as_deref())?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let page = fetch(
            inner,
            &input.bucket,
            &owner,
            &prefix,
            delimiter.as_deref(),
            key_marker,
            max_keys,
        )
        .await?;
        let versions = versions(&page, url);
        let prefixes = common_prefixes(&page, url);
        let (next_key, next_version) = next_markers(&page);
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(input.bucket.clone()),
            prefix: Some(encode_if(url, &prefix).into_owned()),
            key_marker: Some(
                encode_if(url, input.key_marker.as_deref().unwrap_or("")).into_owned(),
            ),
            version_id_marker: Some(input.version_id_marker.clone().unwrap_or_default()),
            max_keys: Some(max_keys),
            is_truncated: Some(page.is_truncated),
            delimiter: delimiter.map(|d| encode_if(url, &d).into_owned()),
            next_key_marker: next_key.map(|k| encode_if(url, &k).into_owned()),
            next_version_id_marker: next_version,
            encoding_type: input.encoding_type.clone(),
            versions: (!versions.is_empty()).then_some(versions),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            ..ListObjectVersionsOutput::default()
        }))
    }
    .instrument(span)
    .await
}

/// S3's rules for `version-id-marker`: only with a key marker, and here
/// only `null`, the one version that exists.
fn check_version_marker(key_marker: Option<&str>, version: Option<&str>) -> S3Result<()> {
    match version.filter(|v| !v.is_empty()) {
        None => Ok(()),
        Some(_) if key_marker.is_none() => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "A version-id marker cannot be specified without a key marker.",
        )),
        Some(NULL_VERSION) => Ok(()),
        Some(_) => {
            Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid version id specified"))
        }
    }
}

/// The page's keys as their one version each.
fn versions(page: &ListPage, url: bool) -> Vec<ObjectVersion> {
    page.entries
        .iter()
        .map(|e| ObjectVersion {
            key: Some(encode_if(url, &e.key).into_owned()),
            version_id: Some(NULL_VERSION.to_string()),
            is_latest: Some(true),
            size: Some(i64::try_from(e.size).unwrap_or(i64::MAX)),
            e_tag: Some(ETag::Strong(e.etag.clone())),
            last_modified: Some(timestamp(e.last_modified_ms)),
            storage_class: Some(ObjectVersionStorageClass::from(storage_class(e))),
            ..ObjectVersion::default()
        })
        .collect()
}

/// `NextKeyMarker` and `NextVersionIdMarker` of a truncated page: the last
/// element, with version `null` when it is a key (a common prefix has no
/// version).
fn next_markers(page: &ListPage) -> (Option<String>, Option<String>) {
    if !page.is_truncated {
        return (None, None);
    }
    let Some(next) = page.next_marker.clone() else { return (None, None) };
    let is_prefix = page.common_prefixes.last() == Some(&next);
    let version = (!is_prefix).then(|| NULL_VERSION.to_string());
    (Some(next), version)
}

#[cfg(test)]
mod tests {
    use super::{check_version_marker, next_markers};
    use crate::index::ListPage;

    #[test]
    fn version_markers() {
        assert!(check_version_marker(None, None).is_ok());
        assert!(check_version_marker(Some("k"), Some("null")).is_ok());
        assert!(check_version_marker(None, Some("null")).is_err());
        assert!(check_version_marker(Some("k"), Some("v2")).is_err());
    }

    #[test]
    fn markers_of_truncated_pages() {
        let mut page = ListPage {
            common_prefixes: vec!["a/".into()],
            is_truncated: true,
            next_marker: Some("a/".into()),
            ..ListPage::default()
        };
        assert_eq!(next_markers(&page), (Some("a/".into()), None));
        page.next_marker = Some("b".into());
        assert_eq!(next_markers(&page), (Some("b".into()), Some("null".into())));
        page.is_truncated = false;
        assert_eq!(next_markers(&page), (None, None));
    }
}
