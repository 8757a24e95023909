//! HTTP details `s3s` 0.14.1 cannot express, applied to its responses on
//! the way out:
//!
//! - a 304 Not Modified has no content (RFC 9110 §15.4.5), but `s3s`
//!   writes every error as an XML body; hyper drops it on HTTP/1.1 and
//!   would send it on HTTP/2, so it is removed here for both.
//! - a HeadObject answering for a `Range` or a `partNumber` is a 206, as
//!   the GET would be; `s3s` always sends HEAD as 200. A HEAD reply that
//!   carries `Content-Range` is turned into 206.
//! - S3 error bodies always carry a `<Message>`, but errors `s3s` raises
//!   itself (an invalid bucket name in the path, a missing
//!   Content-Length…) have only a `<Code>`. Such a body gets the message S3
//!   documents for the code ([`super::error::default_message`]). Only a
//!   small, complete XML error body (status 400 and up) is rewritten, so
//!   no stream is ever held up.
//! - a ListObjectVersions page lists its versions and delete markers
//!   interleaved in the page's order, as AWS does ([`super::version_order`]).
//! - every response carries `x-amz-request-id` and `x-amz-id-2`, every
//!   error body `<RequestId>` and `<HostId>` ([`super::request_id`]); each
//!   error is logged once ([`super::refusal_log`]) and every request, when
//!   asked, in the access log ([`super::access_log`]); a request runs in
//!   an `s3.request` span carrying its ID.
//! - SigV4 details `s3s` lacks, before it sees the request: presigned URL
//!   lifetimes, `Date` for `x-amz-date` ([`super::sigv4_fixups`]); an
//!   empty Content-MD5 and unparseable conditional dates
//!   ([`super::request_fixups`]); a chunked PUT without a length is
//!   read into a bounded buffer and given one ([`super::unsized_body`]);
//!   SigV2 bucket requests verify over `/bucket/` ([`super::sigv2_fixups`]).
//! - an error answering an HTTP/1 request that has a body closes the
//!   connection (`Connection: close`): the body may be unread, and its
//!   bytes must not be parsed as the next request.
//! - a request whose body stalled ([`super::net::stall`]) is answered
//!   `RequestTimeout` (400) with `Connection: close`, as S3 does, whatever
//!   error the handler made of the broken body.
//!
//! - browsers' requests ([`super::browser`]): CORS preflights and POST
//!   object (form uploads, which `s3s` would buffer whole) are answered
//!   before `s3s`, and a response to
//!   a request with an `Origin` gets the bucket's `Access-Control-*`
//!   headers, errors included.
//!
//! It also counts the connection's requests in flight for its idle timeout
//! ([`super::net::activity`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use std::time::{Instant, SystemTime};

use http::header::{
    CONNECTION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, EXPECT, TRANSFER_ENCODING,
};
use http::{HeaderValue, Method, StatusCode, Version};
use hyper::body::Incoming;
use s3s::service::S3Service;
use s3s::{Body, HttpError, HttpResponse};
use tracing::Instrument as _;

use super::browser::{Browser, Route};
use super::request_id::RequestId;
use super::request_target::{self, TargetSlot};
use super::{access_log, refusal_log, request_fixups, sigv2_fixups, sigv4_fixups, unsized_body};

use super::net::activity::Activity;
use super::net::stall::{StallBody, StallFlag};

/// [`S3Service`] with the fixes of the module docs.
#[derive(Clone)]
pub(super) struct Fixups {
    service: S3Service,
    /// CORS and POST object, which `s3s` cannot serve (see `browser`).
    browser: Browser,
    /// The request-body stall timeout.
    body_timeout: Duration,
    /// The connection's activity.
    activity: Arc<Activity>,
}

impl Fixups {
    /// `service` for one connection.
    pub(super) fn new(
        service: S3Service,
        browser: Browser,
        body_timeout: Duration,
        activity: Arc<Activity>,
    ) -> Self {
        Self { service, browser, body_timeout, activity }
    }
}

impl hyper::service::Service<http::Request<Incoming>> for Fixups {
    type Response = HttpResponse;
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send>>;

    fn call(&self, mut req: http::Request<Incoming>) -> Self::Future {
        let started = Instant::now();
        let time = SystemTime::now();
        let rid = RequestId::new();
        let head = req.method() == Method::HEAD;
        let close_on_error = req.version() <= Version::HTTP_11 && has_body(req.headers());
        let busy = self.activity.busy();
        let stall = StallFlag::default();
        let timeout = self.body_timeout;
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let fallback = request_target::fallback(req.uri(), req.headers());
        let slot = TargetSlot::default();
        req.extensions_mut().insert(slot.clone());
        let span = tracing::info_span!("s3.request", id = %rid.id, %method, %path);
        sigv4_fixups::date_as_amz_date(req.headers_mut());
        let query = req.uri().query().map(str::to_string);
        request_fixups::drop_unparseable_dates(req.headers_mut(), query.as_deref());
        let expiry = sigv4_fixups::check_presigned_expiry(query.as_deref())
            .and_then(|()| request_fixups::check_content_md5(req.headers()));
        let continue_empty = expects_continue(req.headers()) && !has_body(req.headers());
        let service = self.service.clone();
        let browser = self.browser.clone();
        let route = browser.route(&req);
        let cors = browser.cors_request(&req);
        Box::pin(
            async move {
                let _busy = busy;
                let stalled = stall.clone();
                let mut req =
                    req.map(|body| Body::http_body(StallBody::new(body, timeout, stalled)));
                // A PUT without any length is buffered (bounded) and given
                // one before s3s sees it; forms and preflights are the
                // browser layer's.
                let expiry = match expiry {
                    Ok(())
                        if route == Route::S3
                            && unsized_body::is_unsized(req.method(), req.headers()) =>
                    {
                        let (mut parts, mut body) = req.into_parts();
                        let max = unsized_body::MAX_UNSIZED_BODY;
                        let buffered = unsized_body::buffer(&mut body, &mut parts.headers, max);
                        let r = buffered.await;
                        req = http::Request::from_parts(parts, body);
                        r
                    }
                    other => other,
                };
                let result = match (route, expiry) {
                    (Route::Preflight, _) => Ok(browser.preflight(req.uri(), req.headers()).await),
                    (_, Err(e)) => e.to_http_response().map_err(|e| HttpError::new(Box::new(e))),
                    (Route::PostObject, Ok(())) => Ok(browser.post_object(req).await),
                    (Route::S3, Ok(())) => sigv2_fixups::call(&service, req).await,
                };
                let mut resp = if stall.stalled() {
                    tracing::info!(?timeout, "request body stalled: RequestTimeout");
                    request_timeout()
                } else {
                    result?
                };
                fix(head, &mut resp);
                super::version_order::interleave(&mut resp);
                if let Some(cors) = &cors {
                    browser.decorate(cors, &mut resp).await;
                }
                rid.stamp(&mut resp);
                let target = slot.get().unwrap_or(fallback);
                if resp.status().as_u16() >= 400 {
                    let code = finish_error(&mut resp, &rid).unwrap_or_default();
                    refusal_log::refused(&rid.id, resp.status().as_u16(), &code, &method, &path);
                }
                if continue_empty {
                    // hyper sends no `100 Continue` for an empty body, so
                    // this answer is the early final response RFC 9110
                    // allows. botocore then keeps parsing the connection's
                    // next response as that one (status line and all): an
                    // aws-cli upload reusing the connection hangs until the
                    // idle timeout and fails on a missing ETag. Closing the
                    // connection resets its state.
                    resp.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
                }
                if close_on_error && resp.status().as_u16() >= 400 {
                    // The request may have been refused before its body was
                    // read. Left on the connection, those bytes would prefix
                    // the next request (a 1-byte body turns `POST` into
                    // `xPOST`, which then fails its signature); closing the
                    // connection discards them, as S3 itself does.
                    resp.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
                }
                if access_log::enabled() {
                    let entry = access_log::Entry {
                        started,
                        time,
                        request_id: rid.id,
                        key_id: target.key_id,
                        method,
                        bucket: target.bucket,
                        key: target.key,
                        status: resp.status().as_u16(),
                    };
                    access_log::wrap(&mut resp, entry);
                }
                Ok(resp)
            }
            .instrument(span),
        )
    }
}

/// S3's reply to a request whose body stopped flowing; the connection
/// closes, since the rest of the body may still arrive.
fn request_timeout() -> HttpResponse {
    let code = "RequestTimeout";
    let message = super::error::default_message(code);
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    let mut resp = HttpResponse::new(Body::from(xml));
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    resp.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Whether an HTTP/1 request carries a body (a non-zero Content-Length or
/// a chunked one).
/// Whether the client waits for `100 Continue` before sending its body.
fn expects_continue(headers: &http::HeaderMap) -> bool {
    headers.get(EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

fn has_body(headers: &http::HeaderMap) -> bool {
    headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

fn fix(head: bool, resp: &mut HttpResponse) {
    if resp.status() == StatusCode::NOT_MODIFIED {
        *resp.body_mut() = Body::empty();
        resp.headers_mut().remove(CONTENT_LENGTH);
        resp.headers_mut().remove(CONTENT_TYPE);
    } else if head && resp.status() == StatusCode::OK && resp.headers().contains_key(CONTENT_RANGE)
    {
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
}

/// The largest error body looked at (s3s's are a few hundred bytes).
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Completes an XML error body: the documented `<Message>` when it has
/// none, and the request's `<RequestId>` and `<HostId>`. Returns the S3
/// error code, when the body is one.
fn finish_error(resp: &mut HttpResponse, rid: &RequestId) -> Option<String> {
    let xml = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("xml"));
    if !xml {
        return None;
    }
    let bytes = resp.body().bytes().filter(|b| b.len() <= MAX_ERROR_BODY)?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let code = error_code(text);
    let with_msg = with_message(text);
    let text = with_msg.as_deref().unwrap_or(text);
    let Some(text) = rid.stamp_error_body(text).or(with_msg) else { return code };
    if resp.headers().contains_key(CONTENT_LENGTH) {
        resp.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(text.len()));
    }
    *resp.body_mut() = Body::from(text);
    code
}

/// The `<Code>` of an S3 error body.
pub(super) fn error_code(body: &str) -> Option<String> {
    let start = body.find("<Code>")? + "<Code>".len();
    let end = start + body[start..].find("</Code>")?;
    Some(body[start..end].to_string())
}

/// `body` with a `<Message>` after its `<Code>`, or `None` when it is no
/// S3 error body or already has one.
pub(super) fn with_message(body: &str) -> Option<String> {
    if !body.contains("<Error>") || body.contains("<Message>") {
        return None;
    }
    let start = body.find("<Code>")? + "<Code>".len();
    let end = start + body[start..].find("</Code>")?;
    let at = end + "</Code>".len();
    let message = super::error::default_message(&body[start..end]);
    Some(format!("{}<Message>{message}</Message>{}", &body[..at], &body[at..]))
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use http::header::{CONTENT_RANGE, CONTENT_TYPE};
    use s3s::{Body, HttpResponse};

    use super::{RequestId, finish_error, fix, with_message};

    fn resp(status: StatusCode, range: bool) -> HttpResponse {
        let mut r = HttpResponse::new(Body::from("<Error/>".to_string()));
        *r.status_mut() = status;
        r.headers_mut().insert(CONTENT_TYPE, "application/xml".parse().unwrap());
        if range {
            r.headers_mut().insert(CONTENT_RANGE, "bytes 0-0/2".parse().unwrap());
        }
        r
    }

    #[test]
    fn not_modified_loses_its_body() {
        let mut r = resp(StatusCode::NOT_MODIFIED, false);
        fix(false, &mut r);
        assert!(r.headers().get(CONTENT_TYPE).is_none());
        assert_eq!(hyper::body::Body::size_hint(r.body()).exact(), Some(0));
    }

    #[test]
    fn ranged_head_is_206() {
        let mut r = resp(StatusCode::OK, true);
        fix(true, &mut r);
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        let mut r = resp(StatusCode::OK, true);
        fix(false, &mut r);
        assert_eq!(r.status(), StatusCode::OK);
        let mut r = resp(StatusCode::OK, false);
        fix(true, &mut r);
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[test]
    fn error_bodies_get_a_message() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                    <Error><Code>InvalidBucketName</Code></Error>";
        let fixed = with_message(body).unwrap();
        assert!(fixed.ends_with(
            "<Error><Code>InvalidBucketName</Code>\
             <Message>The specified bucket is not valid.</Message></Error>"
        ));
        assert_eq!(with_message(&fixed), None);
        assert_eq!(with_message("<Error><Code>X</Code><Message>m</Message></Error>"), None);
        assert_eq!(with_message("<ListBucketResult/>"), None);
        assert_eq!(with_message("<Error><Code>X</Error>"), None);
        assert!(with_message("<Error><Code>Odd</Code></Error>").unwrap().contains("<Message>"));

        let mut r = resp(StatusCode::BAD_REQUEST, false);
        *r.body_mut() = Body::from(body.to_string());
        let rid = RequestId::new();
        assert_eq!(finish_error(&mut r, &rid).as_deref(), Some("InvalidBucketName"));
        let text = String::from_utf8(r.body().bytes().unwrap().to_vec()).unwrap();
        assert!(text.contains("<Message>The specified bucket is not valid.</Message>"), "{text}");
        assert!(text.contains(&format!("<RequestId>{}</RequestId><HostId>", rid.id)), "{text}");
    }
}
