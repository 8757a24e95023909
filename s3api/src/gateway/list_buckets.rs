//! ListBuckets: the requester's buckets by name, with the paging and the
//! filter AWS added in 2024 — `max-buckets` (1..=10000), an opaque
//! `continuation-token` (the base64 of the last name returned) and
//! `prefix`. The reply echoes `Prefix` and carries a `ContinuationToken`
//! only when more buckets follow. An owner's buckets are few (AWS caps
//! them at 10,000), so the page is cut from the owner's full list.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use s3s::dto::{Bucket, ListBucketsInput, ListBucketsOutput};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::owner::owner_element;
use super::{Inner, error, owner_of, timestamp};
use crate::index;

/// The most buckets one page holds (AWS's bound for `max-buckets`).
const MAX_BUCKETS: i32 = 10_000;

pub async fn list_buckets(
    inner: &Inner,
    req: S3Request<ListBucketsInput>,
) -> S3Result<S3Response<ListBucketsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.list_buckets", prefix = ?input.prefix, max = ?input.max_buckets);
    async {
        let limit = page_size(input.max_buckets)?;
        let after = input.continuation_token.as_deref().map(decode_token).transpose()?;
        let me = owner.clone();
        let all = inner
            .index
            .read(move |ix| ix.list_buckets(Some(&me)))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let (page, more) = select(all, input.prefix.as_deref(), after.as_deref(), limit);
        let token = if more { page.last().map(|b| encode_token(&b.name)) } else { None };
        let buckets = page
            .into_iter()
            .map(|b| Bucket {
                name: Some(b.name),
                creation_date: Some(timestamp(b.created_ms)),
                ..Bucket::default()
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(owner_element(&owner)),
            continuation_token: token,
            prefix: input.prefix,
        }))
    }
    .instrument(span)
    .await
}

/// The page size: `max-buckets`, or everything (AWS's cap) without it.
fn page_size(max: Option<i32>) -> S3Result<usize> {
    match max {
        None => Ok(MAX_BUCKETS as usize),
        Some(n) if (1..=MAX_BUCKETS).contains(&n) => Ok(n as usize),
        Some(n) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("max-buckets must be between 1 and {MAX_BUCKETS}, got {n}"),
        )),
    }
}

/// The buckets of `all` (sorted by name) under `prefix` after `after`, at
/// most `limit` of them, and whether more follow.
fn select(
    all: Vec<index::Bucket>,
    prefix: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> (Vec<index::Bucket>, bool) {
    let mut matching = all
        .into_iter()
        .filter(|b| prefix.is_none_or(|p| b.name.starts_with(p)))
        .filter(|b| after.is_none_or(|a| b.name.as_str() > a));
    let page: Vec<_> = matching.by_ref().take(limit).collect();
    let more = matching.next().is_some();
    (page, more)
}

fn encode_token(name: &str) -> String {
    URL_SAFE_NO_PAD.encode(name.as_bytes())
}

/// The bucket name a continuation token stands for; a token we did not
/// make is InvalidArgument, as on AWS.
fn decode_token(token: &str) -> S3Result<String> {
    URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .ok_or_else(|| {
            S3Error::with_message(S3ErrorCode::InvalidArgument, "the continuation token is invalid")
        })
}

#[cfg(test)]
mod tests {
    use super::{decode_token, encode_token, page_size, select};
    use crate::index::Bucket;

    fn buckets(names: &[&str]) -> Vec<Bucket> {
        names
            .iter()
            .map(|n| Bucket {
                name: n.to_string(),
                home_group: "group1".into(),
                owner: "o".into(),
                created_ms: 0,
            })
            .collect()
    }

    fn names(page: &[Bucket]) -> Vec<&str> {
        page.iter().map(|b| b.name.as_str()).collect()
    }

    #[test]
    fn pages_filter_and_tokens() {
        let all = || buckets(&["a1", "a2", "a3", "b1"]);
        let (page, more) = select(all(), None, None, 2);
        assert_eq!((names(&page), more), (vec!["a1", "a2"], true));
        let (page, more) = select(all(), None, Some("a2"), 2);
        assert_eq!((names(&page), more), (vec!["a3", "b1"], false));
        let (page, more) = select(all(), Some("a"), None, 3);
        assert_eq!((names(&page), more), (vec!["a1", "a2", "a3"], false));
        let (page, more) = select(all(), Some("a"), Some("a1"), 1);
        assert_eq!((names(&page), more), (vec!["a2"], true));
        assert_eq!(decode_token(&encode_token("a2")).unwrap(), "a2");
        assert!(decode_token("!!").is_err());
        assert!(page_size(Some(0)).is_err() && page_size(Some(10_001)).is_err());
        assert_eq!(page_size(Some(7)).unwrap(), 7);
    }
}
