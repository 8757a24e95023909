//! Entry points for the fuzz targets (`fuzz/fuzz_targets/gateway_*.rs`)
//! over the gateway's own handling of network input — not an API. Each
//! function takes raw bytes, runs every parser of one kind and checks
//! the invariants that must hold whatever the input; a violated one
//! panics, which is what the fuzzer looks for. The property tests below
//! drive the same functions on stable Rust, so the invariants are checked
//! by `cargo test` too.
//!
//! - [`request_head`]: what happens to a request before `s3s` sees it
//!   or around it — the `Date`→`x-amz-date` fixup, the presigned-URL
//!   lifetime check, the ignored-Range decision and the signature-free
//!   URI, the Host → bucket mapping, the access log's bucket/key/key-id
//!   reading; the empty Content-MD5 check, the unparseable-date drop,
//!   the chunked-PUT test and the SigV2 bucket path rewrite.
//! - [`object_names`]: key and user-metadata limits, the copy-source
//!   range, Content-MD5.
//! - [`xml_bodies`]: the XML request bodies the gateway acts on, as `s3s`
//!   parses them (CompleteMultipartUpload, Delete, CreateBucket), and the
//!   error-body rewriting of the HTTP layer.

use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use s3s::dto::{CompletedMultipartUpload, CreateBucketConfiguration, Delete, Range};
use s3s::xml::{Deserialize, Deserializer};

use super::limits::{MAX_KEY_BYTES, MAX_USER_METADATA_BYTES, check_new_object};
use super::multipart::copy_part::parse_range;
use super::request_id::RequestId;
use super::vhost::VirtualHosts;
use super::{
    http_fixups, ignored_range, request_fixups, request_target, sigv2_fixups, sigv4_fixups,
    unsized_body,
};

/// The request line's target and the headers, from `NAME: VALUE` lines
/// after a first line holding the URI; unusable lines are skipped, as
/// hyper would refuse them before the gateway.
fn head(data: &[u8]) -> (Option<Uri>, HeaderMap) {
    let mut lines = data.split(|&b| b == b'\n');
    let uri = lines.next().and_then(|l| Uri::try_from(l).ok());
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(n, v);
        }
    }
    (uri, headers)
}

/// See the module docs.
pub fn request_head(data: &[u8]) {
    let (uri, mut headers) = head(data);
    let had_amz_date = headers.contains_key("x-amz-date");
    sigv4_fixups::date_as_amz_date(&mut headers);
    if !had_amz_date && let Some(v) = headers.get("x-amz-date") {
        // Whatever was made from a Date header is SigV4's basic form.
        let v = v.to_str().expect("ASCII x-amz-date");
        assert_eq!(v.len(), 16, "{v}");
        assert!(v.as_bytes()[8] == b'T' && v.ends_with('Z'), "{v}");
    }

    let unusable = ignored_range::unusable_range(&headers);
    if let Some(range) = headers.get(http::header::RANGE) {
        if !unusable {
            // What the gateway passes on, s3s can parse and check.
            let r = Range::parse(range.to_str().expect("usable ranges are text")).expect("parses");
            for len in [0, 1, 100, u64::MAX] {
                if let Ok(span) = r.check(len) {
                    // Empty only for an empty object (`bytes=-N`), which
                    // the gateway answers 200 with no body.
                    assert!(span.start <= span.end && span.end <= len);
                    assert!(span.start < span.end || len == 0, "{r:?} of {len}");
                }
            }
        }
    } else {
        assert!(!unusable);
    }

    let hosts = VirtualHosts::new(&["localhost".into(), "s3.example.com".into()]).expect("valid");
    if let Some(host) = headers.get(http::header::HOST).and_then(|v| v.to_str().ok())
        && let Some(bucket) = hosts.bucket_of(host)
    {
        assert!(!bucket.is_empty());
    }

    if let Err(e) = request_fixups::check_content_md5(&headers) {
        assert_eq!(e.code(), &s3s::S3ErrorCode::InvalidDigest);
    }
    let _ = unsized_body::is_unsized(&http::Method::PUT, &headers);
    let _ = sigv2_fixups::replayable(&headers);

    let Some(uri) = uri else { return };
    // Only unparseable dates go, and only unsigned ones.
    let before = headers.clone();
    request_fixups::drop_unparseable_dates(&mut headers, uri.query());
    for (name, value) in &before {
        if !headers.contains_key(name) {
            let parses = value.to_str().is_ok_and(|v| {
                s3s::dto::Timestamp::parse(s3s::dto::TimestampFormat::HttpDate, v).is_ok()
            });
            assert!(!parses, "{name}: {value:?}");
        }
    }
    let _ = sigv2_fixups::is_sigv2(&headers, &uri);
    if let Some(slashed) = sigv2_fixups::bucket_uri_with_slash(&uri) {
        assert_eq!(slashed.path(), format!("{}/", uri.path()));
        assert_eq!(slashed.query(), uri.query());
    }
    if let Err(e) = sigv4_fixups::check_presigned_expiry(uri.query()) {
        assert_eq!(e.code(), &s3s::S3ErrorCode::AuthorizationQueryParametersError);
    }
    let stripped = ignored_range::unsigned_uri(&uri);
    assert_eq!(stripped.path(), uri.path());
    if let Some(q) = stripped.query() {
        assert!(!q.split('&').any(|p| p.starts_with("X-Amz-Signature=")), "{q}");
    }
    let target = request_target::fallback(&uri, &headers);
    if target.key.is_some() {
        assert!(target.bucket.is_some());
    }
}

/// See the module docs. The input is a key, then `NAME=VALUE` metadata
/// lines, split at the first newline; the last line doubles as a
/// copy-source range and a Content-MD5 value.
pub fn object_names(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let key = lines.next().unwrap_or_default();
    let mut metadata = s3s::dto::Metadata::new();
    let mut last = "";
    for line in lines {
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        metadata.insert(k.to_string(), v.to_string());
        last = line;
    }
    let size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    let fits = key.len() <= MAX_KEY_BYTES && size <= MAX_USER_METADATA_BYTES;
    assert_eq!(check_new_object(key, Some(&metadata)).is_ok(), fits);

    for size in [0, 1, 1000, u64::MAX] {
        if let Ok(r) = parse_range(last, size) {
            assert!(r.start < r.end && r.end <= size, "{last:?} of {size}: {r:?}");
        }
    }
    let _ = crate::checksum::decode_content_md5(last);
}

/// See the module docs.
pub fn xml_bodies(data: &[u8]) {
    let _ = CompletedMultipartUpload::deserialize(&mut Deserializer::new(data));
    let _ = Delete::deserialize(&mut Deserializer::new(data));
    let _ = CreateBucketConfiguration::deserialize(&mut Deserializer::new(data));

    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = http_fixups::error_code(text);
    if let Some(with) = http_fixups::with_message(text) {
        assert!(with.contains("<Message>") && with.len() > text.len());
    }
    let rid = RequestId::new();
    if let Some(with) = rid.stamp_error_body(text) {
        assert!(with.contains(&rid.id) && with.len() > text.len());
    }
}

#[cfg(test)]
mod tests {
    use super::{object_names, request_head, xml_bodies};

    #[test]
    fn known_inputs() {
        request_head(
            b"/b/k?X-Amz-Signature=x&X-Amz-Expires=0\nhost: b.localhost:9000\nrange: bytes=5-2\n\
              authorization: AWS4-HMAC-SHA256 Credential=K/1/r/s3/aws4_request\n\
              date: Sun, 06 Nov 1994 08:49:37 GMT",
        );
        request_head(b"/\nrange: bytes=0-\nrange: bytes=1-");
        object_names(b"key\na=b\nbytes=0-10");
        object_names("k".repeat(2000).as_bytes());
        xml_bodies(b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>");
        xml_bodies(b"<Error><Code>X</Code></Error>");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn any_request_head(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            request_head(&data);
        }

        /// Text shaped like requests, so the parsers get past their first
        /// checks more often than with raw bytes.
        #[test]
        fn request_like_heads(
            path in "/[a-z0-9./%-]{0,30}(\\?[A-Za-z0-9=&%-]{0,60})?",
            range in "(bytes|bits)=[0-9,-]{0,12}",
            host in "[a-z0-9.:-]{0,30}",
            date in "(Mon|Sun), [0-9]{2} (Jan|Nov|Foo) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
        ) {
            let text = format!(
                "{path}\nrange: {range}\nhost: {host}\ndate: {date}\n\
                 authorization: AWS4-HMAC-SHA256 Credential=K/1/r/s3/aws4_request"
            );
            request_head(text.as_bytes());
        }

        #[test]
        fn any_object_names(data in proptest::collection::vec(proptest::num::u8::ANY, 0..3000)) {
            object_names(&data);
        }

        #[test]
        fn any_xml_body(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            xml_bodies(&data);
        }

        #[test]
        fn xml_like_bodies(
            body in "<(CompleteMultipartUpload|Delete|Error)>(<[A-Za-z]{1,10}>[a-z0-9&;<>/]{0,10}){0,8}"
        ) {
            xml_bodies(body.as_bytes());
        }
    }
}
