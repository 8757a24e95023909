//! Signature V2 for bucket requests. `s3s` verifies SigV2 (header and
//! presigned) over a canonical resource built from the raw request path,
//! which works for objects (`/bucket/key`) and the service (`/`). For a
//! path-style bucket request the path is `/bucket`, but the clients that
//! still sign V2 — botocore's `s3` signer, s3cmd, the AWS Java SDK v1 —
//! sign the bucket's resource as `/bucket/` (AWS's canonicalization for a
//! bucket: "/" + bucket + "/"), so every bucket, sub-resource (`?acl`,
//! `?versioning`, `?uploads`, `?delete`, `?location` ...) and listing
//! request failed with SignatureDoesNotMatch while object requests passed.
//!
//! Such a request is handed to `s3s` with its path as `/bucket/` (which
//! `s3s` routes exactly like `/bucket`); when that signature does not
//! match, it is handed again as sent, for clients that signed the raw
//! `/bucket`. A second try needs the body again, so a body (bucket
//! requests carry small XML ones) is read first into a buffer of at most
//! [`MAX_REPLAYED_BODY`]; a larger one gets the first form only.

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, Uri};
use s3s::service::S3Service;
use s3s::{HttpError, HttpRequest, HttpResponse, S3Error, S3ErrorCode};

/// The largest body kept to try a bucket request's second form.
pub const MAX_REPLAYED_BODY: usize = 4 * 1024 * 1024;

/// Whether a request is signed with Signature V2: `Authorization: AWS
/// KEY:SIG`, or a presigned URL with `AWSAccessKeyId` and `Signature`.
pub fn is_sigv2(headers: &HeaderMap, uri: &Uri) -> bool {
    if let Some(auth) = headers.get(AUTHORIZATION) {
        return auth.as_bytes().starts_with(b"AWS ");
    }
    let query = uri.query().unwrap_or("");
    let has = |name: &str| query.split('&').any(|p| p.split('=').next() == Some(name));
    has("AWSAccessKeyId") && has("Signature")
}

/// `uri` with its bucket path `/bucket` as `/bucket/`, when its path is a
/// bucket's (one non-empty segment without a trailing slash).
pub fn bucket_uri_with_slash(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let bucket = path.strip_prefix('/')?;
    if bucket.is_empty() || bucket.contains('/') {
        return None;
    }
    let target = match uri.query() {
        Some(q) => format!("{path}/?{q}"),
        None => format!("{path}/"),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(target.parse().ok()?);
    Uri::from_parts(parts).ok()
}

/// Whether the request's body can be replayed: none, or one of a known
/// length within [`MAX_REPLAYED_BODY`] (a chunked one is not read ahead).
pub fn replayable(headers: &HeaderMap) -> bool {
    if headers.contains_key(TRANSFER_ENCODING) {
        return false;
    }
    match headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(len) => len.trim().parse::<usize>().is_ok_and(|n| n <= MAX_REPLAYED_BODY),
    }
}

/// A copy of `req` (method, URI `uri`, version, headers, extensions) with
/// `body`.
pub fn copy_with<B>(req: &http::Request<B>, uri: Uri, body: Bytes) -> http::Request<s3s::Body> {
    let mut out = http::Request::new(s3s::Body::from(body));
    *out.method_mut() = req.method().clone();
    *out.uri_mut() = uri;
    *out.version_mut() = req.version();
    *out.headers_mut() = req.headers().clone();
    *out.extensions_mut() = req.extensions().clone();
    out
}

/// Calls `service` with `req`, a bucket request signed with SigV2 in both
/// of its forms if need be (see the module docs).
pub async fn call(service: &S3Service, req: HttpRequest) -> Result<HttpResponse, HttpError> {
    let slashed =
        if is_sigv2(req.headers(), req.uri()) { bucket_uri_with_slash(req.uri()) } else { None };
    let Some(slashed) = slashed else { return service.call(req).await };
    let (mut parts, mut body) = req.into_parts();
    if !replayable(&parts.headers) {
        parts.uri = slashed;
        return service.call(http::Request::from_parts(parts, body)).await;
    }
    let bytes = match body.store_all_limited(MAX_REPLAYED_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let e = S3Error::with_message(
                S3ErrorCode::IncompleteBody,
                format!("request body failed: {e}"),
            );
            return e.to_http_response().map_err(|e| HttpError::new(Box::new(e)));
        }
    };
    let original = http::Request::from_parts(parts, ());
    let resp = service.call(copy_with(&original, slashed, bytes.clone())).await?;
    if !signature_mismatch(&resp) {
        return Ok(resp);
    }
    tracing::debug!("SigV2 bucket request signed over its raw path");
    service.call(copy_with(&original, original.uri().clone(), bytes)).await
}

/// Whether `resp` is 403 SignatureDoesNotMatch.
fn signature_mismatch(resp: &HttpResponse) -> bool {
    resp.status() == http::StatusCode::FORBIDDEN
        && resp.body().bytes().is_some_and(|b| b.windows(CODE.len()).any(|w| w == CODE.as_bytes()))
}

/// The error code of a signature that does not match, as in error bodies.
const CODE: &str = "<Code>SignatureDoesNotMatch</Code>";

#[cfg(test)]
mod tests {
    use http::{HeaderMap, Uri};

    use super::{bucket_uri_with_slash, is_sigv2, replayable};

    #[test]
    fn bucket_paths_get_their_slash() {
        let slash =
            |u: &str| bucket_uri_with_slash(&u.parse::<Uri>().unwrap()).map(|u| u.to_string());
        assert_eq!(slash("/b").as_deref(), Some("/b/"));
        assert_eq!(slash("/b?acl").as_deref(), Some("/b/?acl"));
        assert_eq!(slash("http://h:1/b?versioning").as_deref(), Some("http://h:1/b/?versioning"));
        assert_eq!(slash("/"), None);
        assert_eq!(slash("/b/"), None);
        assert_eq!(slash("/b/k"), None);
    }

    #[test]
    fn sigv2_requests() {
        let mut h = HeaderMap::new();
        let uri: Uri = "/b".parse().unwrap();
        assert!(!is_sigv2(&h, &uri));
        let presigned: Uri = "/b?AWSAccessKeyId=k&Expires=1&Signature=s".parse().unwrap();
        assert!(is_sigv2(&h, &presigned));
        h.insert("authorization", "AWS k:s".parse().unwrap());
        assert!(is_sigv2(&h, &uri));
        h.insert("authorization", "AWS4-HMAC-SHA256 Credential=k".parse().unwrap());
        assert!(!is_sigv2(&h, &uri));
    }

    #[test]
    fn replayable_bodies() {
        let mut h = HeaderMap::new();
        assert!(replayable(&h));
        h.insert("content-length", "100".parse().unwrap());
        assert!(replayable(&h));
        h.insert("content-length", "99999999".parse().unwrap());
        assert!(!replayable(&h));
        h.remove("content-length");
        h.insert("transfer-encoding", "chunked".parse().unwrap());
        assert!(!replayable(&h));
    }

    proptest::proptest! {
        /// Network input: never a panic, and a rewritten path is the
        /// bucket's with a slash.
        #[test]
        fn any_uri_is_safe(path in "/[a-z0-9./%-]{0,20}", q in "[a-zA-Z0-9=&%-]{0,20}") {
            let Ok(uri) = format!("{path}?{q}").parse::<Uri>() else { return Ok(()) };
            if let Some(u) = bucket_uri_with_slash(&uri) {
                proptest::prop_assert_eq!(u.path(), format!("{path}/"));
            }
            let _ = is_sigv2(&HeaderMap::new(), &uri);
        }
    }
}
