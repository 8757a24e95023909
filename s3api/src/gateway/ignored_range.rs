//! A `Range` header S3 cannot use is ignored, not refused.
//!
//! RFC 9110 §14.2 lets a server ignore a Range it does not understand,
//! and S3 does: `bytes=5-2`, `bits=0-1` or several ranges are answered
//! 200 with the whole object. `s3s` instead refuses such a header with
//! 400 while parsing the request, after it has verified the signature.
//! The header cannot simply be dropped before `s3s` sees it: SDKs sign
//! it, and the signature would no longer match.
//!
//! So the outer service keeps the header, verifies the signature as
//! usual, and then this route takes the request: it runs the access
//! decision s3s's hook would have run (`access::direct`; an anonymous
//! request passes where an ACL or policy grants it), strips the signature
//! and the Range, marks the request with the key that signed it
//! ([`Verified`]), and hands it to an inner `s3s` service over the same
//! [`super::Gateway`] that has no authentication of its own. The gateway
//! takes the key from the mark ([`signer`]). A satisfiable-syntax range
//! that does not fit the object still reaches the gateway, which answers
//! 416 InvalidRange; `x-amz-copy-source-range` is another header and is
//! still checked by `s3s` (400 InvalidArgument).
//!
//! Signed date conditions that do not parse (`If-Modified-Since`,
//! `If-Unmodified-Since` on GET and HEAD, their `x-amz-copy-source-*`
//! forms on CopyObject and UploadPartCopy) take the same way: RFC 9110 says to ignore them, `s3s` would
//! refuse them, and the signature covers them
//! (`request_fixups::unparseable_dates`).

use http::header::{AUTHORIZATION, RANGE};
use http::{HeaderMap, Method, Uri};
use hyper::http::Extensions;
use s3s::dto::Range;
use s3s::route::S3Route;
use s3s::service::S3Service;
use s3s::{Body, S3Request, S3Response, S3Result};

use std::sync::Arc;

use super::access::direct::{Forwarded, check_forwarded};
use super::transport::Transport;
use super::vhost::VirtualHosts;
use super::{Inner, error};

/// The access key a request was verified for by the outer service; only
/// this module can make one.
#[derive(Debug, Clone)]
pub(super) struct Verified(String);

/// The access key that signed `req`: its credentials, or the mark of a
/// request this route forwarded.
pub(super) fn signer<T>(req: &S3Request<T>) -> Option<&str> {
    match &req.credentials {
        Some(c) => Some(c.access_key.as_str()),
        None => req.extensions.get::<Verified>().map(|v| v.0.as_str()),
    }
}

/// Whether `headers` carry a Range that `s3s` would refuse: more than one
/// header, non-ASCII, or anything its single-range parser rejects.
pub fn unusable_range(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(RANGE).iter();
    let Some(first) = values.next() else { return false };
    if values.next().is_some() {
        return true;
    }
    first.to_str().map_or(true, |s| Range::parse(s).is_err())
}

/// The query parameters that carry a presigned URL's signature (SigV4
/// and SigV2); the inner service must see an unsigned request.
const SIGNATURE_PARAMS: &[&str] = &[
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "AWSAccessKeyId",
    "Signature",
    "Expires",
];

/// `uri` without the presigned-URL parameters.
pub(super) fn unsigned_uri(uri: &Uri) -> Uri {
    let Some(query) = uri.query() else { return uri.clone() };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            let name = p.split_once('=').map_or(*p, |(n, _)| n);
            !p.is_empty() && !SIGNATURE_PARAMS.contains(&name)
        })
        .collect();
    let path_and_query = if kept.is_empty() {
        uri.path().to_string()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    };
    let mut parts = uri.clone().into_parts();
    match path_and_query.parse() {
        Ok(pq) => parts.path_and_query = Some(pq),
        Err(_) => return uri.clone(),
    }
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

/// The route; see the module docs.
pub(super) struct IgnoredRange {
    inner: S3Service,
    gateway: Arc<Inner>,
    hosts: Option<VirtualHosts>,
}

impl IgnoredRange {
    /// Forwards to `inner`, which must have no authentication, after the
    /// access decision over `gateway`'s index; `hosts` as the outer
    /// service resolves virtual-hosted buckets.
    pub(super) fn new(inner: S3Service, gateway: Arc<Inner>, hosts: Option<VirtualHosts>) -> Self {
        Self { inner, gateway, hosts }
    }

    /// The bucket and key a request addresses, virtual-hosted or path-style.
    fn target(&self, uri: &Uri, headers: &HeaderMap) -> (Option<String>, Option<String>) {
        let host = headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
        if let Some(bucket) = self.hosts.as_ref().zip(host).and_then(|(v, h)| v.bucket_of(h)) {
            let raw = uri.path().trim_start_matches('/');
            let key = percent_encoding::percent_decode_str(raw).decode_utf8_lossy().into_owned();
            return (Some(bucket), (!key.is_empty()).then_some(key));
        }
        let t = super::request_target::fallback(uri, headers);
        (t.bucket, t.key)
    }
}

/// The operation of an object request the route takes.
fn object_op(method: &Method, query: Option<&str>) -> &'static str {
    let part = query.is_some_and(|q| q.split('&').any(|p| p.starts_with("uploadId=")));
    match *method {
        Method::HEAD => "HeadObject",
        Method::PUT if part => "UploadPartCopy",
        Method::PUT => "CopyObject",
        _ => "GetObject",
    }
}

#[async_trait::async_trait]
impl S3Route for IgnoredRange {
    fn is_match(&self, method: &Method, _: &Uri, headers: &HeaderMap, _: &mut Extensions) -> bool {
        let bad_dates = || super::request_fixups::has_unparseable_dates(headers);
        match *method {
            Method::GET | Method::HEAD => unusable_range(headers) || bad_dates(),
            // CopyObject and UploadPartCopy: no body to forward.
            Method::PUT => headers.contains_key("x-amz-copy-source") && bad_dates(),
            _ => false,
        }
    }

    /// Anonymous requests too: `call` runs the access decision itself
    /// (s3s's hook does not run for a route).
    async fn check_access(&self, _req: &mut S3Request<Body>) -> S3Result<()> {
        Ok(())
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let signed = signer(&req).map(str::to_string);
        match self.target(&req.uri, &req.headers) {
            // An object: decided as the hook would, grants included.
            (bucket, Some(key)) => {
                let forwarded = Forwarded {
                    op: object_op(&req.method, req.uri.query()),
                    bucket,
                    key: Some(key),
                    query: req.uri.query().map(str::to_string),
                    signer: signed.as_deref(),
                    transport: req.extensions.get::<Transport>().copied(),
                    headers: &req.headers,
                };
                check_forwarded(&self.gateway, forwarded).await?;
            }
            // A bucket or the service: the owner's, as before.
            _ if signed.is_none() => {
                return Err(s3s::s3_error!(AccessDenied, "signature required"));
            }
            _ => {}
        }
        let mut headers = req.headers;
        if unusable_range(&headers) {
            tracing::debug!(range = ?headers.get(RANGE), "unusable Range ignored");
            headers.remove(RANGE);
        }
        for name in super::request_fixups::unparseable_dates(&headers) {
            tracing::debug!(header = name, "unparseable date ignored (RFC 9110)");
            headers.remove(name);
        }
        headers.remove(AUTHORIZATION);
        let mut inner = http::Request::new(req.input);
        *inner.method_mut() = req.method;
        *inner.uri_mut() = unsigned_uri(&req.uri);
        *inner.headers_mut() = headers;
        if let Some(key) = signed {
            inner.extensions_mut().insert(Verified(key));
        }
        let resp = self.inner.call(inner).await.map_err(|e| error::internal(format!("{e:?}")))?;
        let (parts, body) = resp.into_parts();
        let mut out = S3Response::new(body);
        out.status = Some(parts.status);
        out.headers = parts.headers;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use http::header::RANGE;

    use super::{unsigned_uri, unusable_range};

    fn with_range(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(RANGE, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn which_ranges_are_ignored() {
        assert!(!unusable_range(&HeaderMap::new()));
        for ok in ["bytes=0-0", "bytes=5-", "bytes=-3", "bytes=-0", "bytes=100-200"] {
            assert!(!unusable_range(&with_range(&[ok])), "{ok}");
        }
        for bad in
            ["bytes=5-2", "bits=0-1", "bytes=0-1,3-4", "bytes=abc", "bytes=", "", "bytes=--1"]
        {
            assert!(unusable_range(&with_range(&[bad])), "{bad}");
        }
        assert!(unusable_range(&with_range(&["bytes=0-1", "bytes=2-3"])));
    }

    #[test]
    fn signature_parameters_are_stripped() {
        let uri =
            "/b/k?X-Amz-Algorithm=A&X-Amz-Signature=s&response-content-type=t%2Fx&partNumber=1"
                .parse()
                .unwrap();
        assert_eq!(unsigned_uri(&uri).to_string(), "/b/k?response-content-type=t%2Fx&partNumber=1");
        let uri = "/b/k?X-Amz-Signature=s".parse().unwrap();
        assert_eq!(unsigned_uri(&uri).to_string(), "/b/k");
        let uri = "/b/k".parse().unwrap();
        assert_eq!(unsigned_uri(&uri).to_string(), "/b/k");
    }
}
