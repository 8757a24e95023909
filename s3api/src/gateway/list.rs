//! ListObjectsV2 over the index's S3-semantics listing: prefix,
//! delimiter roll-up, max-keys, start-after, and an opaque continuation
//! token (the base64 of the last element returned). With
//! `encoding-type=url` keys and prefixes are percent-encoded, which `s3s`
//! leaves to the implementation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use s3s::dto::{
    CommonPrefix, ETag, EncodingType, ListObjectsV2Input, ListObjectsV2Output, Object,
    ObjectStorageClass,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::{Inner, error, owner_of, timestamp};
use crate::encoding::encode_if;
use crate::index::{ListEntry, ListPage, ListQuery};

/// The most keys one page returns (S3's cap).
const MAX_KEYS: i32 = 1000;

pub async fn list_objects_v2(
    inner: &Inner,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.list_objects_v2", bucket = %input.bucket, prefix = ?input.prefix);
    async {
        let bucket = check_owner(inner, &input.bucket, &owner).await?;
        let url = url_encoding(input.encoding_type.as_ref())?;
        let max_keys = max_keys(input.max_keys)?;
        let marker = match &input.continuation_token {
            Some(token) => Some(decode_token(token)?),
            None => input.start_after.clone(),
        };
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let page =
            fetch(inner, &input.bucket, &owner, &prefix, delimiter.as_deref(), marker, max_keys)
                .await?;
        let fetch_owner = input.fetch_owner == Some(true);
        let contents = objects(&page, url, fetch_owner.then_some(bucket.owner.as_str()));
        let prefixes = common_prefixes(&page, url);
        let key_count = i32::try_from(contents.len() + prefixes.len()).unwrap_or(i32::MAX);
        let next =
            if page.is_truncated { page.next_marker.as_deref().map(encode_token) } else { None };
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket.clone()),
            prefix: Some(encode_if(url, &prefix).into_owned()),
            delimiter: delimiter.map(|d| encode_if(url, &d).into_owned()),
            max_keys: Some(max_keys),
            key_count: Some(key_count),
            is_truncated: Some(page.is_truncated),
            continuation_token: input.continuation_token.clone(),
            next_continuation_token: next,
            start_after: input.start_after.as_deref().map(|s| encode_if(url, s).into_owned()),
            encoding_type: input.encoding_type.clone(),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            ..ListObjectsV2Output::default()
        }))
    }
    .instrument(span)
    .await
}

/// Whether keys are answered percent-encoded (`encoding-type=url`).
pub(super) fn url_encoding(e: Option<&EncodingType>) -> S3Result<bool> {
    match e {
        None => Ok(false),
        Some(e) if e.as_str() == EncodingType::URL => Ok(true),
        Some(e) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("invalid encoding type {:?}", e.as_str()),
        )),
    }
}

/// The page size: as asked, capped at [`MAX_KEYS`], 1000 by default.
pub(super) fn max_keys(asked: Option<i32>) -> S3Result<i32> {
    let max_keys = asked.unwrap_or(MAX_KEYS);
    if max_keys < 0 {
        return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "negative max-keys"));
    }
    Ok(max_keys.min(MAX_KEYS))
}

/// One page of the bucket's listing after `marker`.
pub(super) async fn fetch(
    inner: &Inner,
    bucket: &str,
    owner: &str,
    prefix: &str,
    delimiter: Option<&str>,
    marker: Option<String>,
    max_keys: i32,
) -> S3Result<ListPage> {
    if max_keys == 0 {
        return Ok(ListPage::default());
    }
    let (b, p, d) = (bucket.to_string(), prefix.to_string(), delimiter.map(str::to_string));
    inner
        .index
        .read(move |ix| {
            let query = ListQuery {
                prefix: &p,
                delimiter: d.as_deref(),
                start_after: marker.as_deref(),
                max_keys: usize::try_from(max_keys).unwrap_or(0),
            };
            ix.list_objects(&b, &query)
        })
        .await
        .map_err(|e| error::from_index(e, owner))
}

/// The storage class a listing shows (`STANDARD` unless one was set).
pub(super) fn storage_class(e: &ListEntry) -> String {
    e.storage_class.clone().unwrap_or_else(|| "STANDARD".to_string())
}

/// The page's keys as listing entries, with their owners when
/// `bucket_owner` is given (it owns objects whose ACL names no other).
pub(super) fn objects(page: &ListPage, url: bool, bucket_owner: Option<&str>) -> Vec<Object> {
    page.entries
        .iter()
        .map(|e| Object {
            key: Some(encode_if(url, &e.key).into_owned()),
            size: Some(i64::try_from(e.size).unwrap_or(i64::MAX)),
            e_tag: Some(ETag::Strong(e.etag.clone())),
            last_modified: Some(timestamp(e.last_modified_ms)),
            storage_class: Some(ObjectStorageClass::from(storage_class(e))),
            owner: bucket_owner.map(|b| super::access::object_owner(e.acl.as_deref(), b)),
            ..Object::default()
        })
        .collect()
}

/// The page's common prefixes.
pub(super) fn common_prefixes(page: &ListPage, url: bool) -> Vec<CommonPrefix> {
    page.common_prefixes
        .iter()
        .map(|p| CommonPrefix { prefix: Some(encode_if(url, p).into_owned()) })
        .collect()
}

fn encode_token(marker: &str) -> String {
    URL_SAFE_NO_PAD.encode(marker.as_bytes())
}

fn decode_token(token: &str) -> S3Result<String> {
    URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            S3Error::with_message(S3ErrorCode::InvalidArgument, "invalid continuation token")
        })
}

#[cfg(test)]
mod tests {
    use super::{decode_token, encode_token};

    #[test]
    fn tokens_round_trip() {
        for marker in ["a", "dir/", "ä b+c", ""] {
            assert_eq!(decode_token(&encode_token(marker)).unwrap(), marker);
        }
        assert!(decode_token("!!!").is_err());
    }
}
