//! What a successful POST object answers, as AWS does:
//!
//! - `success_action_redirect` (or the legacy `redirect`) with a valid
//!   http(s) URL (no control characters: it becomes a header): 303 See
//!   Other to it, with `bucket`, `key` and `etag` added to its query;
//! - else `success_action_status` 200 (empty) or 201 (a `PostResponse`
//!   XML document: Location, Bucket, Key, ETag); anything else is 204.
//!
//! Every answer carries `ETag`, `Location` (the object's URL) and, in a
//! versioned bucket, `x-amz-version-id`.

use http::header::{CONTENT_TYPE, ETAG, LOCATION};
use http::{HeaderValue, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use s3s::dto::PutObjectOutput;
use s3s::{Body, HttpResponse};

use super::post_sign::field;
use super::xml_escape;

/// Characters left as they are in a query value or path segment.
const KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Where the object went, for the reply.
#[derive(Debug)]
pub(super) struct Stored<'a> {
    /// The request's Host.
    pub host: Option<&'a str>,
    pub bucket: &'a str,
    pub key: &'a str,
    /// Whether the request addressed the bucket path-style.
    pub path_style: bool,
    /// Whether it came over TLS.
    pub secure: bool,
}

/// The reply to a stored form upload.
pub(super) fn reply(
    fields: &[(String, String)],
    stored: &Stored<'_>,
    out: &PutObjectOutput,
) -> HttpResponse {
    let etag = out.e_tag.as_ref().map(|e| format!("\"{}\"", e.value())).unwrap_or_default();
    let key_path = stored.key.split('/').map(|s| utf8_percent_encode(s, KEEP).to_string());
    let key_path = key_path.collect::<Vec<_>>().join("/");
    let scheme = if stored.secure { "https" } else { "http" };
    let host = stored.host.unwrap_or("localhost");
    let location = if stored.path_style {
        format!("{scheme}://{host}/{}/{key_path}", utf8_percent_encode(stored.bucket, KEEP))
    } else {
        format!("{scheme}://{host}/{key_path}")
    };
    let redirect = field(fields, "success_action_redirect").or_else(|| field(fields, "redirect"));
    // Only a URL that can be a Location header redirects (no CR/LF or
    // other control characters; the added query is percent-encoded).
    let redirect = redirect.filter(|r| {
        (r.starts_with("http://") || r.starts_with("https://")) && HeaderValue::from_str(r).is_ok()
    });
    let mut resp = match redirect {
        Some(url) => {
            let q = |s: &str| utf8_percent_encode(s, KEEP).to_string();
            let sep = if url.contains('?') { '&' } else { '?' };
            let target = format!(
                "{url}{sep}bucket={}&key={}&etag={}",
                q(stored.bucket),
                q(stored.key),
                q(&etag)
            );
            let mut r = HttpResponse::new(Body::empty());
            *r.status_mut() = StatusCode::SEE_OTHER;
            if let Ok(v) = HeaderValue::from_str(&target) {
                r.headers_mut().insert(LOCATION, v);
            }
            r
        }
        None => match field(fields, "success_action_status").map(str::trim) {
            Some("200") => HttpResponse::new(Body::empty()),
            Some("201") => {
                let xml = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>{}\
                     </Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
                    xml_escape(&location),
                    xml_escape(stored.bucket),
                    xml_escape(stored.key),
                    xml_escape(&etag)
                );
                let mut r = HttpResponse::new(Body::from(xml));
                *r.status_mut() = StatusCode::CREATED;
                r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
                r
            }
            _ => {
                let mut r = HttpResponse::new(Body::empty());
                *r.status_mut() = StatusCode::NO_CONTENT;
                r
            }
        },
    };
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, v);
    }
    if !headers.contains_key(LOCATION)
        && let Ok(v) = HeaderValue::from_str(&location)
    {
        headers.insert(LOCATION, v);
    }
    if let Some(v) = out.version_id.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert("x-amz-version-id", v);
    }
    if let Some(v) =
        out.server_side_encryption.as_ref().and_then(|s| HeaderValue::from_str(s.as_str()).ok())
    {
        headers.insert("x-amz-server-side-encryption", v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use s3s::dto::{ETag, PutObjectOutput};

    use super::{Stored, reply};

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn replies_as_aws() {
        let out = PutObjectOutput { e_tag: Some(ETag::Strong("abc".into())), ..Default::default() };
        let stored = Stored {
            host: Some("h:9000"),
            bucket: "b",
            key: "a b/<c>",
            path_style: true,
            secure: false,
        };
        let r = reply(&fields(&[]), &stored, &out);
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        assert_eq!(r.headers()["location"], "http://h:9000/b/a%20b/%3Cc%3E");
        assert_eq!(r.headers()["etag"], "\"abc\"");
        let r = reply(&fields(&[("success_action_status", "200")]), &stored, &out);
        assert_eq!(r.status(), StatusCode::OK);
        let r = reply(&fields(&[("success_action_status", "201")]), &stored, &out);
        assert_eq!(r.status(), StatusCode::CREATED);
        let xml = String::from_utf8(r.body().bytes().unwrap().to_vec()).unwrap();
        assert!(xml.contains("<Key>a b/&lt;c&gt;</Key><ETag>&quot;abc&quot;</ETag>"), "{xml}");
        let r = reply(&fields(&[("success_action_redirect", "https://x/ok")]), &stored, &out);
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers()["location"],
            "https://x/ok?bucket=b&key=a%20b%2F%3Cc%3E&etag=%22abc%22"
        );
        // Not a URL a header can carry, or not http(s): the status reply.
        for bad in ["https://x/a\r\nSet-Cookie: x=1", "javascript:alert(1)"] {
            let r = reply(&fields(&[("success_action_redirect", bad)]), &stored, &out);
            assert_eq!(r.status(), StatusCode::NO_CONTENT, "{bad}");
        }
    }
}
