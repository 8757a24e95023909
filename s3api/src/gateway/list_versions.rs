//! ListObjectVersions over the index's version listing
//! (`index::version_listing`): prefix, delimiter, key-marker,
//! version-id-marker, max-keys (1000 by default and at most), delete
//! markers, and `encoding-type=url`, which `s3s` leaves to us as it does
//! for ListObjects.
//!
//! `s3s` serializes the versions and the delete markers as two lists, each
//! in listing order; SDKs read them into two lists anyway, so the order
//! within each is what clients see.

use s3s::dto::{
    DeleteMarkerEntry, ETag, ListObjectVersionsInput, ListObjectVersionsOutput, ObjectVersion,
    ObjectVersionStorageClass,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::list::{max_keys, url_encoding};
use super::{Inner, error, owner_of, timestamp};
use crate::encoding::encode_if;
use crate::index::{VersionEntry, VersionPage, VersionQuery, is_valid_version_id};

pub async fn list_object_versions(
    inner: &Inner,
    req: S3Request<ListObjectVersionsInput>,
) -> S3Result<S3Response<ListObjectVersionsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span =
        info_span!("s3.list_object_versions", bucket = %input.bucket, prefix = ?input.prefix);
    async {
        let bucket = check_owner(inner, &input.bucket, &owner).await?;
        let url = url_encoding(input.encoding_type.as_ref())?;
        let max_keys = max_keys(input.max_keys)?;
        let key_marker = input.key_marker.clone().filter(|m| !m.is_empty());
        let version_marker = input.version_id_marker.clone().filter(|v| !v.is_empty());
        check_version_marker(key_marker.as_deref(), version_marker.as_deref())?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let (b, p, d) = (input.bucket.clone(), prefix.clone(), delimiter.clone());
        let (km, vm) = (key_marker.clone(), version_marker.clone());
        let page = inner
            .index
            .read(move |ix| {
                let q = VersionQuery {
                    prefix: &p,
                    delimiter: d.as_deref(),
                    key_marker: km.as_deref(),
                    version_id_marker: vm.as_deref(),
                    max_keys: usize::try_from(max_keys).unwrap_or(0),
                };
                ix.list_versions(&b, &q)
            })
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let (versions, markers) = entries(&page, url, &bucket.owner);
        let prefixes: Vec<s3s::dto::CommonPrefix> = page
            .common_prefixes
            .iter()
            .map(|p| s3s::dto::CommonPrefix { prefix: Some(encode_if(url, p).into_owned()) })
            .collect();
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(input.bucket.clone()),
            prefix: Some(encode_if(url, &prefix).into_owned()),
            key_marker: Some(encode_if(url, key_marker.as_deref().unwrap_or("")).into_owned()),
            version_id_marker: Some(version_marker.unwrap_or_default()),
            max_keys: Some(max_keys),
            is_truncated: Some(page.is_truncated),
            delimiter: delimiter.map(|d| encode_if(url, &d).into_owned()),
            next_key_marker: page
                .next_key_marker
                .as_deref()
                .map(|k| encode_if(url, k).into_owned()),
            next_version_id_marker: page.next_version_id_marker.clone(),
            encoding_type: input.encoding_type.clone(),
            versions: (!versions.is_empty()).then_some(versions),
            delete_markers: (!markers.is_empty()).then_some(markers),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            ..ListObjectVersionsOutput::default()
        }))
    }
    .instrument(span)
    .await
}

/// S3's rules for `version-id-marker`: only with a key marker, and a
/// well-formed version ID.
fn check_version_marker(key_marker: Option<&str>, version: Option<&str>) -> S3Result<()> {
    match version {
        None => Ok(()),
        Some(_) if key_marker.is_none() => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "A version-id marker cannot be specified without a key marker.",
        )),
        Some(v) if is_valid_version_id(v) => Ok(()),
        Some(_) => {
            Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid version id specified"))
        }
    }
}

/// The page's versions and delete markers, each list in listing order.
/// Each names its owner (`bucket_owner` unless its ACL names another).
fn entries(
    page: &VersionPage,
    url: bool,
    bucket_owner: &str,
) -> (Vec<ObjectVersion>, Vec<DeleteMarkerEntry>) {
    let (mut versions, mut markers) = (Vec::new(), Vec::new());
    for e in &page.entries {
        if e.delete_marker {
            markers.push(DeleteMarkerEntry {
                key: Some(encode_if(url, &e.key).into_owned()),
                version_id: Some(e.version_id.clone()),
                is_latest: Some(e.is_latest),
                last_modified: Some(timestamp(e.last_modified_ms)),
                owner: Some(super::access::object_owner(e.acl.as_deref(), bucket_owner)),
            });
        } else {
            versions.push(version(e, url, bucket_owner));
        }
    }
    (versions, markers)
}

fn version(e: &VersionEntry, url: bool, bucket_owner: &str) -> ObjectVersion {
    let class = e.storage_class.clone().unwrap_or_else(|| "STANDARD".to_string());
    ObjectVersion {
        key: Some(encode_if(url, &e.key).into_owned()),
        version_id: Some(e.version_id.clone()),
        is_latest: Some(e.is_latest),
        size: Some(i64::try_from(e.size).unwrap_or(i64::MAX)),
        e_tag: Some(ETag::Strong(e.etag.clone())),
        last_modified: Some(timestamp(e.last_modified_ms)),
        storage_class: Some(ObjectVersionStorageClass::from(class)),
        owner: Some(super::access::object_owner(e.acl.as_deref(), bucket_owner)),
        ..ObjectVersion::default()
    }
}

#[cfg(test)]
mod tests {
    use super::check_version_marker;

    #[test]
    fn version_markers() {
        let v = "A".repeat(32);
        assert!(check_version_marker(None, None).is_ok());
        assert!(check_version_marker(Some("k"), Some("null")).is_ok());
        assert!(check_version_marker(Some("k"), Some(&v)).is_ok());
        assert!(check_version_marker(None, Some("null")).is_err());
        assert!(check_version_marker(Some("k"), Some("v2")).is_err());
    }
}
