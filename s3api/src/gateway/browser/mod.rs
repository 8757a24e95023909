//! What browsers need from the gateway that `s3s` 0.14.1 cannot give, in
//! the HTTP layer before and after it ([`super::http_fixups`] calls in):
//!
//! - CORS preflights: `s3s` has no route for `OPTIONS`, and a preflight
//!   is never signed, so it is answered here from the bucket's rules
//!   ([`cors_http`]).
//! - CORS headers on actual requests: any request with an `Origin`
//!   header (signed, presigned, refused alike) gets the
//!   `Access-Control-*` headers of the first rule allowing it.
//! - POST object (browser form uploads): `s3s` gathers the whole file in
//!   memory before calling `post_object`, so the form is read, its policy
//!   and signature checked, and its file streamed to the storages here
//!   ([`post_object`]).
//!
//! The bucket is read from the request as `s3s` would: the virtual host
//! when configured, else the first path segment.

mod cors_http;
mod form;
mod post_object;
mod post_policy;
mod post_reply;
mod post_sign;

use std::sync::Arc;

use http::header::{CONTENT_TYPE, HOST, ORIGIN};
use http::{HeaderMap, Method, Uri};

pub(super) use cors_http::CorsRequest;

use super::Inner;
use super::vhost::VirtualHosts;
use crate::crypto::MasterKey;

/// The browser-facing layer of one gateway.
#[derive(Clone)]
pub(crate) struct Browser {
    inner: Arc<Inner>,
    hosts: Option<VirtualHosts>,
    master_key: MasterKey,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser").field("hosts", &self.hosts).finish_non_exhaustive()
    }
}

/// Where the HTTP layer sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::gateway) enum Route {
    /// A CORS preflight (`OPTIONS`).
    Preflight,
    /// A form upload (`POST` of `multipart/form-data` to a bucket).
    PostObject,
    /// Everything else: `s3s`.
    S3,
}

impl Browser {
    /// The layer over `inner`'s buckets; `hosts` as the S3 service has
    /// them; `master_key` opens the secrets form signatures are checked
    /// with.
    pub(in crate::gateway) fn new(
        inner: Arc<Inner>,
        hosts: Option<VirtualHosts>,
        master_key: MasterKey,
    ) -> Self {
        Self { inner, hosts, master_key }
    }

    /// Who answers `req`.
    pub(in crate::gateway) fn route<B>(&self, req: &http::Request<B>) -> Route {
        if req.method() == Method::OPTIONS {
            return Route::Preflight;
        }
        if req.method() == Method::POST && is_form(req.headers()) {
            let (bucket, key) = self.target(req.uri(), req.headers());
            // A form POST to a key is `s3s`'s (it refuses it); a POST to
            // a bucket with a query (`?delete`) is another operation.
            if bucket.is_some() && key.is_none() && req.uri().query().is_none_or(str::is_empty) {
                return Route::PostObject;
            }
        }
        Route::S3
    }

    /// The CORS facts of `req` when it carries an `Origin` header.
    pub(in crate::gateway) fn cors_request<B>(
        &self,
        req: &http::Request<B>,
    ) -> Option<CorsRequest> {
        let origin = req.headers().get(ORIGIN)?.to_str().ok()?.to_string();
        let (bucket, _) = self.target(req.uri(), req.headers());
        Some(CorsRequest { bucket: bucket?, origin, method: req.method().to_string() })
    }

    /// Bucket and key `uri` (with `headers`' Host) addresses, each when
    /// present.
    fn target(&self, uri: &Uri, headers: &HeaderMap) -> (Option<String>, Option<String>) {
        let path = uri.path().trim_start_matches('/');
        let decode =
            |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let host = headers.get(HOST).and_then(|h| h.to_str().ok()).or(uri.host());
        if let (Some(hosts), Some(host)) = (&self.hosts, host)
            && let Some(bucket) = hosts.bucket_of(host)
        {
            return (Some(bucket), (!path.is_empty()).then(|| decode(path)));
        }
        match path.split_once('/') {
            _ if path.is_empty() => (None, None),
            Some((b, k)) if !k.is_empty() => (Some(decode(b)), Some(decode(k))),
            Some((b, _)) => (Some(decode(b)), None),
            None => (Some(decode(path)), None),
        }
    }
}

/// Whether the body is `multipart/form-data`.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// An S3 XML error response (`Fixups` adds the request ID).
pub(in crate::gateway) fn error_response(
    status: http::StatusCode,
    code: &str,
    message: &str,
) -> s3s::HttpResponse {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>\
         </Error>",
        xml_escape(code),
        xml_escape(message)
    );
    let mut resp = s3s::HttpResponse::new(s3s::Body::from(xml));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, http::HeaderValue::from_static("application/xml"));
    resp
}

/// `text` with XML's five special characters escaped.
pub(in crate::gateway) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
