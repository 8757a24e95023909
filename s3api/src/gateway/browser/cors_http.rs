//! CORS over HTTP: the preflight answer, and the `Access-Control-*`
//! headers added to actual responses.
//!
//! A preflight needs `Origin` and `Access-Control-Request-Method` (else
//! 400 BadRequest, as AWS); it is 200 with the matching rule's headers, or
//! 403 AccessForbidden when the bucket is missing, has no configuration,
//! or no rule allows the request. An actual request from an allowed
//! origin gets the same headers (without `Allow-Headers`), success or
//! error; every answer from a bucket with a configuration says
//! `Vary: Origin, ...`, since it depends on those headers.

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue, StatusCode};
use s3s::{Body, HttpResponse};

use super::{Browser, error_response};
use crate::cors::matching::{Allowed, VARY as VARY_VALUE};
use crate::index::IndexError;

/// The CORS facts of a request with an `Origin`.
#[derive(Debug, Clone)]
pub(in crate::gateway) struct CorsRequest {
    pub bucket: String,
    pub origin: String,
    pub method: String,
}

const NOT_ALLOWED: &str = "CORSResponse: This CORS request is not allowed. This is usually \
     because the evalution of Origin, request method / Access-Control-Request-Method or \
     Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

impl Browser {
    /// The answer to the preflight with `headers` to `uri`.
    pub(in crate::gateway) async fn preflight(
        &self,
        uri: &http::Uri,
        headers: &HeaderMap,
    ) -> HttpResponse {
        let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
        let Some(origin) = text(ORIGIN) else {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Insufficient information. Origin request header needed.",
            );
        };
        let Some(method) = text(ACCESS_CONTROL_REQUEST_METHOD) else {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "Invalid Access-Control-Request-Method: null",
            );
        };
        let forbidden = |m: &str| error_response(StatusCode::FORBIDDEN, "AccessForbidden", m);
        let (Some(bucket), _) = self.target(uri, headers) else {
            return forbidden(NOT_ALLOWED);
        };
        let config = match self.inner.cors_rules.get(&self.inner.index, &bucket).await {
            Ok(Some(c)) => c,
            Ok(None) => return forbidden("CORSResponse: CORS is not enabled for this bucket."),
            Err(IndexError::NoSuchBucket(_)) => return forbidden("CORSResponse: Bucket not found"),
            Err(e) => {
                tracing::warn!(error = %e, bucket, "CORS configuration unreadable");
                return error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "Please reduce your request rate.",
                );
            }
        };
        let asked = text(ACCESS_CONTROL_REQUEST_HEADERS);
        let Some(allowed) = config.preflight(origin, method, asked) else {
            tracing::debug!(bucket, origin, method, "preflight refused by the CORS rules");
            let mut resp = forbidden(NOT_ALLOWED);
            set(resp.headers_mut(), VARY, VARY_VALUE);
            return resp;
        };
        let mut resp = HttpResponse::new(Body::empty());
        apply(resp.headers_mut(), &allowed);
        resp
    }

    /// Adds the `Access-Control-*` headers `cors`'s bucket rules give to
    /// `resp`. A failed lookup only costs the headers.
    pub(in crate::gateway) async fn decorate(&self, cors: &CorsRequest, resp: &mut HttpResponse) {
        let config = match self.inner.cors_rules.get(&self.inner.index, &cors.bucket).await {
            Ok(Some(c)) => c,
            Ok(None) | Err(IndexError::NoSuchBucket(_)) => return,
            Err(e) => {
                tracing::debug!(error = %e, "no CORS lookup for the response headers");
                return;
            }
        };
        let headers = resp.headers_mut();
        if !headers.contains_key(VARY) {
            set(headers, VARY, VARY_VALUE);
        }
        if let Some(allowed) = config.actual(&cors.origin, &cors.method) {
            apply(headers, &allowed);
        }
    }
}

/// Sets `allowed`'s headers (and `Vary`) on `headers`.
fn apply(headers: &mut HeaderMap, allowed: &Allowed) {
    set(headers, ACCESS_CONTROL_ALLOW_ORIGIN, &allowed.allow_origin);
    if allowed.allow_credentials {
        set(headers, ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    set(headers, ACCESS_CONTROL_ALLOW_METHODS, &allowed.allow_methods);
    if let Some(h) = &allowed.allow_headers {
        set(headers, ACCESS_CONTROL_ALLOW_HEADERS, h);
    }
    if let Some(h) = &allowed.expose_headers {
        set(headers, ACCESS_CONTROL_EXPOSE_HEADERS, h);
    }
    if let Some(age) = allowed.max_age {
        headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(age));
    }
    set(headers, VARY, VARY_VALUE);
}

/// Sets `name` to `value` when it is a valid header value (the rules were
/// validated as such; a request's origin is one already).
fn set(headers: &mut HeaderMap, name: http::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}
