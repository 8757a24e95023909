//! Small gaps real clients met (issue 12) that the SDK cannot send, as
//! hand-signed HTTP over a plain socket: an object PUT without a
//! Content-Type is served as binary/octet-stream; an empty Content-MD5 is
//! 400 InvalidDigest; a `Transfer-Encoding: chunked` PUT without a length
//! is stored (an extension: AWS answers 501); an unparseable
//! If-Modified-Since / If-Unmodified-Since (and the copy-source forms) is
//! ignored, as RFC 9110 asks.

mod support;

use aws_sdk_s3::primitives::ByteStream;
use support::sigv4::{REGION, amz_dates, exchange, header, now, signature};
use support::{KEY_ID, SECRET, Stack, body, make_bucket};

const BUCKET: &str = "raw-gaps";

/// A request signed in its Authorization header (SigV4, unsigned
/// payload) over `host`, `x-amz-content-sha256`, `x-amz-date` and the
/// `signed` headers (lower-case names, sorted after `host`); `unsigned`
/// headers ride along unsigned. `target` is `path` or `path?query` with
/// the query already in canonical order.
fn signed(
    method: &str,
    host: &str,
    target: &str,
    signed: &[(&str, &str)],
    unsigned: &[(&str, &str)],
    body: &str,
) -> String {
    let (_, amz) = amz_dates(now());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.into()),
        ("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into()),
        ("x-amz-date".into(), amz.clone()),
    ];
    headers.extend(signed.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    headers.sort();
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let signed_names = names.join(";");
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let canonical =
        format!("{method}\n{path}\n{query}\n{canonical_headers}\n{signed_names}\nUNSIGNED-PAYLOAD");
    let sig = signature(&amz, &canonical);
    let mut lines: String = headers.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    lines.extend(unsigned.iter().map(|(n, v)| format!("{n}: {v}\r\n")));
    format!(
        "{method} {target} HTTP/1.1\r\n{lines}Connection: close\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential={KEY_ID}/{}/{REGION}/s3/aws4_request, SignedHeaders={signed_names}, \
         Signature={sig}\r\n\r\n{body}",
        &amz[..8]
    )
}

#[tokio::test]
async fn content_type_default_and_empty_md5() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let host = stack.s3.to_string();

    // A PUT without Content-Type: served as binary/octet-stream.
    let len = [("content-length", "3")];
    let put = signed("PUT", &host, &format!("/{BUCKET}/untyped"), &[], &len, "abc");
    let (status, head, _) = exchange(stack.s3, &put).await;
    assert_eq!(status, 200, "{head}");
    let got = s3.get_object().bucket(BUCKET).key("untyped").send().await.unwrap();
    assert_eq!(got.content_type(), Some("binary/octet-stream"));

    // An empty Content-MD5: 400 InvalidDigest, nothing stored.
    let md5 = [("content-length", "3"), ("content-md5", "")];
    let put = signed("PUT", &host, &format!("/{BUCKET}/nomd5"), &[], &md5, "abc");
    let (status, head, reply) = exchange(stack.s3, &put).await;
    assert_eq!(status, 400, "{head}\n{reply}");
    assert!(reply.contains("<Code>InvalidDigest</Code>"), "{reply}");
    assert!(s3.head_object().bucket(BUCKET).key("nomd5").send().await.is_err());

    stack.stop().await;
}

#[tokio::test]
async fn chunked_put_without_length_is_stored() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let host = stack.s3.to_string();
    // Transfer-Encoding: chunked without any length: stored whole.
    let chunks = [("transfer-encoding", "chunked"), ("content-type", "text/plain")];
    let payload = "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
    let put = signed("PUT", &host, &format!("/{BUCKET}/chunked"), &[], &chunks, payload);
    let (status, head, reply) = exchange(stack.s3, &put).await;
    assert_eq!(status, 200, "{head}\n{reply}");
    let etag = header(&head, "etag").unwrap().to_string();
    let got = s3.get_object().bucket(BUCKET).key("chunked").send().await.unwrap();
    assert_eq!(got.content_length(), Some(12));
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(body(got).await, b"hello, world");
    stack.stop().await;
}

#[tokio::test]
async fn unparseable_dates_in_conditions_are_ignored() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let data = ByteStream::from_static(b"dated");
    s3.put_object().bucket(BUCKET).key("src").body(data).send().await.unwrap();
    let host = stack.s3.to_string();
    let bogus = "not a date";

    for name in ["if-modified-since", "if-unmodified-since"] {
        let get = signed("GET", &host, &format!("/{BUCKET}/src"), &[], &[(name, bogus)], "");
        let (status, head, reply) = exchange(stack.s3, &get).await;
        assert_eq!((status, reply.as_str()), (200, "dated"), "{name}: {head}");
        let head_req = signed("HEAD", &host, &format!("/{BUCKET}/src"), &[], &[(name, bogus)], "");
        let (status, head, _) = exchange(stack.s3, &head_req).await;
        assert_eq!(status, 200, "{name}: {head}");
    }
    // A valid date still applies: modified since long ago.
    let old = [("if-unmodified-since", "Mon, 01 Jan 2001 00:00:00 GMT")];
    let get = signed("GET", &host, &format!("/{BUCKET}/src"), &[], &old, "");
    assert_eq!(exchange(stack.s3, &get).await.0, 412);

    let source = format!("/{BUCKET}/src");
    for (i, name) in
        ["x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since"]
            .into_iter()
            .enumerate()
    {
        let target = format!("/{BUCKET}/copy{i}");
        let signed_headers = [("x-amz-copy-source", source.as_str())];
        let copy = signed("PUT", &host, &target, &signed_headers, &[(name, bogus)], "");
        let (status, head, reply) = exchange(stack.s3, &copy).await;
        assert_eq!(status, 200, "{name}: {head}\n{reply}");
        assert!(reply.contains("<CopyObjectResult"), "{reply}");
        let got = s3.get_object().bucket(BUCKET).key(format!("copy{i}")).send().await.unwrap();
        assert_eq!(body(got).await, b"dated");
    }

    // Signed, as SDKs sign every header they send: still ignored, once the
    // signature checked out (the header cannot be dropped before).
    for name in ["if-modified-since", "if-unmodified-since"] {
        let get = signed("GET", &host, &format!("/{BUCKET}/src"), &[(name, bogus)], &[], "");
        let (status, head, reply) = exchange(stack.s3, &get).await;
        assert_eq!((status, reply.as_str()), (200, "dated"), "signed {name}: {head}");
    }
    for name in ["x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since"] {
        let signed_headers = [("x-amz-copy-source", source.as_str()), (name, bogus)];
        let copy = signed("PUT", &host, &format!("/{BUCKET}/signed"), &signed_headers, &[], "");
        let (status, head, reply) = exchange(stack.s3, &copy).await;
        assert_eq!(status, 200, "signed {name}: {head}\n{reply}");
    }
    // A wrong signature is still refused, not forwarded.
    let mut forged =
        signed("GET", &host, &format!("/{BUCKET}/src"), &[("if-modified-since", bogus)], &[], "");
    forged = forged.replace("Signature=", "Signature=0");
    assert_eq!(exchange(stack.s3, &forged).await.0, 403);
    stack.stop().await;
}
