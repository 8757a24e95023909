//! Request headers AWS treats differently from `s3s` 0.14.1, settled
//! before `s3s` sees the request:
//!
//! - an empty `Content-MD5` is 400 InvalidDigest on AWS; `s3s` reads an
//!   empty header as absent, so the body would be stored unchecked.
//! - an unparseable date in `If-Modified-Since`, `If-Unmodified-Since` or
//!   their `x-amz-copy-source-*` forms is ignored (RFC 9110 §13.1.3 and
//!   §13.1.4: "the recipient MUST ignore" an invalid date); `s3s` refuses
//!   the request with 400 InvalidArgument instead. The header is removed
//!   when the request's signature does not cover it (an unsigned header of
//!   a SigV4 or SigV2 request, a presigned URL, an anonymous request).
//!   A signed one stays — removing it would break the signature — until
//!   `s3s` has verified the signature: the `ignored_range` route then takes
//!   the request and drops it ([`unparseable_dates`]).

use http::HeaderMap;
use http::header::AUTHORIZATION;
use s3s::dto::{Timestamp, TimestampFormat};
use s3s::{S3Error, S3ErrorCode};

/// The conditional headers holding an HTTP date.
const DATE_CONDITIONS: [&str; 4] = [
    "if-modified-since",
    "if-unmodified-since",
    "x-amz-copy-source-if-modified-since",
    "x-amz-copy-source-if-unmodified-since",
];

/// InvalidDigest for a request whose `Content-MD5` is empty.
pub fn check_content_md5(headers: &HeaderMap) -> Result<(), S3Error> {
    match headers.get("content-md5") {
        Some(v) if v.as_bytes().iter().all(u8::is_ascii_whitespace) => Err(S3Error::with_message(
            S3ErrorCode::InvalidDigest,
            "The Content-MD5 you specified was invalid.",
        )),
        _ => Ok(()),
    }
}

/// Whether header value `value` is an HTTP date `s3s` accepts.
fn parses(value: &http::HeaderValue) -> bool {
    value.to_str().is_ok_and(|s| Timestamp::parse(TimestampFormat::HttpDate, s).is_ok())
}

/// The date conditions of `headers` that do not parse, which `s3s` would
/// refuse and RFC 9110 says to ignore.
pub fn unparseable_dates(headers: &HeaderMap) -> Vec<&'static str> {
    DATE_CONDITIONS
        .into_iter()
        .filter(|name| headers.get_all(*name).iter().any(|v| !parses(v)))
        .collect()
}

/// Whether any date condition of `headers` does not parse (checked on
/// every request, so it allocates nothing).
pub fn has_unparseable_dates(headers: &HeaderMap) -> bool {
    DATE_CONDITIONS.into_iter().any(|name| headers.get_all(name).iter().any(|v| !parses(v)))
}

/// Removes the date conditions that do not parse and that the signature
/// does not cover (see the module docs). `query` is the request's query.
pub fn drop_unparseable_dates(headers: &mut HeaderMap, query: Option<&str>) {
    for name in DATE_CONDITIONS {
        let Some(value) = headers.get(name) else { continue };
        if !parses(value) && !signed(headers, query, name) {
            tracing::debug!(header = name, "unparseable date ignored (RFC 9110)");
            headers.remove(name);
        }
    }
}

/// Whether header `name` (lower case) is covered by the request's
/// signature: listed in SigV4's SignedHeaders (header or presigned), or
/// an `x-amz-*` header of a SigV2 request (SigV2 signs them all).
fn signed(headers: &HeaderMap, query: Option<&str>, name: &str) -> bool {
    let listed = |list: &str| list.split(';').any(|n| n.trim().eq_ignore_ascii_case(name));
    if let Some(auth) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some(v4) = auth.strip_prefix("AWS4-HMAC-SHA256") {
            return v4
                .split(',')
                .filter_map(|p| p.trim().strip_prefix("SignedHeaders="))
                .any(listed);
        }
        if auth.starts_with("AWS ") {
            return name.starts_with("x-amz-");
        }
    }
    let query = query.unwrap_or("");
    let pairs = || query.split('&').filter_map(|p| p.split_once('='));
    if let Some((_, list)) = pairs().find(|(k, _)| *k == "X-Amz-SignedHeaders") {
        let list = list.replace("%3B", ";").replace("%3b", ";");
        return listed(&list);
    }
    if pairs().any(|(k, _)| k == "Signature") {
        // A SigV2 presigned URL signs the x-amz-* headers.
        return name.starts_with("x-amz-");
    }
    false
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::{check_content_md5, drop_unparseable_dates};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.insert(*n, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn empty_content_md5_is_refused() {
        assert!(check_content_md5(&headers(&[("content-md5", "")])).is_err());
        assert!(check_content_md5(&headers(&[("content-md5", " ")])).is_err());
        assert!(check_content_md5(&headers(&[("content-md5", "x")])).is_ok());
        assert!(check_content_md5(&HeaderMap::new()).is_ok());
    }

    #[test]
    fn unsigned_unparseable_dates_are_dropped() {
        let good = "Sun, 06 Nov 1994 08:49:37 GMT";
        let mut h = headers(&[("if-modified-since", "junk"), ("if-unmodified-since", good)]);
        drop_unparseable_dates(&mut h, None);
        assert!(!h.contains_key("if-modified-since"));
        assert!(h.contains_key("if-unmodified-since"));

        let v4 = "AWS4-HMAC-SHA256 Credential=k/d/r/s3/aws4_request, \
                  SignedHeaders=host;if-modified-since;x-amz-date, Signature=ab";
        let mut h = headers(&[("authorization", v4), ("if-modified-since", "junk")]);
        drop_unparseable_dates(&mut h, None);
        assert!(h.contains_key("if-modified-since"), "signed: kept");
        let mut h = headers(&[("authorization", v4), ("if-unmodified-since", "junk")]);
        drop_unparseable_dates(&mut h, None);
        assert!(!h.contains_key("if-unmodified-since"), "unsigned: dropped");

        let v2 = "AWS key:sig";
        let copy = "x-amz-copy-source-if-modified-since";
        let mut h = headers(&[("authorization", v2), (copy, "junk"), ("if-modified-since", "j")]);
        drop_unparseable_dates(&mut h, None);
        assert!(h.contains_key(copy) && !h.contains_key("if-modified-since"));

        let mut h = headers(&[("if-modified-since", "junk")]);
        drop_unparseable_dates(&mut h, Some("X-Amz-SignedHeaders=host%3Bif-modified-since"));
        assert!(h.contains_key("if-modified-since"));
        drop_unparseable_dates(&mut h, Some("X-Amz-SignedHeaders=host"));
        assert!(!h.contains_key("if-modified-since"));
    }

    proptest::proptest! {
        /// Network input: never a panic.
        #[test]
        fn any_headers_are_safe(auth in "\\PC{0,80}", date in "[ -~]{0,40}", q in "\\PC{0,60}") {
            let mut h = HeaderMap::new();
            if let Ok(v) = auth.parse() { h.insert("authorization", v); }
            if let Ok(v) = date.parse() { h.insert("if-modified-since", v); }
            if let Ok(v) = date.parse() { h.insert("content-md5", v); }
            drop_unparseable_dates(&mut h, Some(&q));
            let _ = check_content_md5(&h);
        }
    }
}
