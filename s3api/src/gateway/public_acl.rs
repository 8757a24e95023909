//! What makes an ACL public, for the Public Access Block's two ACL
//! switches.
//!
//! As on AWS, an ACL is public when it grants anything to the AllUsers
//! or AuthenticatedUsers group: the canned ACLs `public-read`,
//! `public-read-write` and `authenticated-read`, an `x-amz-grant-*`
//! header naming either group's URI, or such a grant in a PutBucketAcl /
//! PutObjectAcl body (there the parsed ACL says so: `access::public_block::is_public`).
//! `log-delivery-write` (the LogDelivery group) is not public.
//! BlockPublicAcls refuses a request that sets one ([`refuse_if_blocked`]);
//! IgnorePublicAcls is `access::public_block`.

use http::HeaderMap;
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::access::acl::{ALL_USERS, AUTHENTICATED_USERS};
use super::{Inner, error};

/// The URIs of the groups whose grants make an ACL public.
const PUBLIC_GROUPS: [&str; 2] = [ALL_USERS, AUTHENTICATED_USERS];

/// Whether a canned ACL grants to AllUsers or AuthenticatedUsers.
pub(crate) fn canned_is_public(acl: &str) -> bool {
    matches!(acl, "public-read" | "public-read-write" | "authenticated-read")
}

/// Whether a grantee group URI is AllUsers or AuthenticatedUsers
/// (compared without the scheme, which clients vary).
pub(crate) fn is_public_group(uri: &str) -> bool {
    let bare =
        |u: &str| u.trim().trim_start_matches("https://").trim_start_matches("http://").to_string();
    PUBLIC_GROUPS.iter().any(|g| bare(g) == bare(uri))
}

/// Whether the request's `x-amz-acl` or `x-amz-grant-*` headers set a
/// public ACL.
pub(crate) fn headers_set_public_acl(headers: &HeaderMap) -> bool {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if value("x-amz-acl").is_some_and(canned_is_public) {
        return true;
    }
    [
        "x-amz-grant-read",
        "x-amz-grant-write",
        "x-amz-grant-read-acp",
        "x-amz-grant-write-acp",
        "x-amz-grant-full-control",
    ]
    .iter()
    .filter_map(|h| value(h))
    .flat_map(|v| v.split(','))
    .filter_map(|g| g.trim().split_once('='))
    .any(|(kind, v)| {
        kind.trim().eq_ignore_ascii_case("uri") && is_public_group(v.trim().trim_matches('"'))
    })
}

/// 403 AccessDenied when `public` and bucket `bucket` has BlockPublicAcls
/// on, as AWS refuses PutBucketAcl, PutObjectAcl, PutObject, CopyObject
/// and CreateMultipartUpload that would set a public ACL there.
pub(crate) async fn refuse_if_blocked(inner: &Inner, bucket: &str, public: bool) -> S3Result<()> {
    if !public {
        return Ok(());
    }
    let b = bucket.to_string();
    let block = inner
        .index
        .read(move |ix| ix.get_public_access_block(&b))
        .await
        .map_err(|e| error::from_index(e, ""))?;
    if block.is_some_and(|b| b.block_public_acls) {
        tracing::debug!(bucket, "public ACL refused by BlockPublicAcls");
        return Err(S3Error::with_message(
            S3ErrorCode::AccessDenied,
            "Access Denied: the bucket's Public Access Block (BlockPublicAcls) refuses a public ACL",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::{canned_is_public, headers_set_public_acl};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn canned_acls() {
        for acl in ["public-read", "public-read-write", "authenticated-read"] {
            assert!(canned_is_public(acl), "{acl}");
            assert!(headers_set_public_acl(&headers(&[("x-amz-acl", acl)])));
        }
        for acl in
            ["private", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"]
        {
            assert!(!canned_is_public(acl), "{acl}");
        }
        assert!(!headers_set_public_acl(&HeaderMap::new()));
    }

    #[test]
    fn grant_headers() {
        let all = r#"id="abc", uri="http://acs.amazonaws.com/groups/global/AllUsers""#;
        assert!(headers_set_public_acl(&headers(&[("x-amz-grant-read", all)])));
        let auth = "uri=http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
        assert!(headers_set_public_acl(&headers(&[("x-amz-grant-write", auth)])));
        let log = r#"uri="http://acs.amazonaws.com/groups/s3/LogDelivery""#;
        assert!(!headers_set_public_acl(&headers(&[("x-amz-grant-write", log)])));
        assert!(!headers_set_public_acl(&headers(&[("x-amz-grant-read", r#"id="AllUsers""#)])));
    }
}
