//! SigV4 as AWS bounds it, with hand-signed requests over a plain socket:
//! a presigned URL lives at most 7 days (a 10-year one is refused with
//! AuthorizationQueryParametersError, a 7-day one works); a request dated
//! by a signed `Date` header instead of `x-amz-date` is accepted, and when
//! both are present `x-amz-date` is the one signed. Every answer carries
//! `x-amz-request-id`, and every error body the same `<RequestId>`.

mod support;

use aws_sdk_s3::operation::RequestId as _;
use aws_sdk_s3::primitives::ByteStream;
use support::sigv4::REGION;
use support::sigv4::{amz_dates, exchange, header, http_date, now, presigned_query, sha256_hex};
use support::{KEY_ID, SECRET, Stack, make_bucket};

const BUCKET: &str = "sigv4";

/// A GET of `path` signed in the Authorization header over `headers`
/// (lower-case names, sorted, `host` among them), dated `amz_date`.
fn signed_get(path: &str, headers: &[(&str, String)], amz_date: &str) -> String {
    let empty = sha256_hex(b"");
    let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    let signed = names.join(";");
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let canonical = format!("GET\n{path}\n\n{canonical_headers}\n{signed}\n{empty}");
    let signature = support::sigv4::signature(amz_date, &canonical);
    let lines: String = headers.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    format!(
        "GET {path} HTTP/1.1\r\n{lines}Connection: close\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential={KEY_ID}/{}/{REGION}/s3/aws4_request, SignedHeaders={signed}, Signature={signature}\r\n\r\n",
        &amz_date[..8]
    )
}

#[tokio::test]
async fn presigned_lifetimes_date_headers_and_request_ids() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key("obj")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    // The SDK reads x-amz-request-id from every answer.
    assert_eq!(put.request_id().map(str::len), Some(16));

    let host = stack.s3.to_string();
    let path = format!("/{BUCKET}/obj");
    let t = now();
    let (_, amz) = amz_dates(t);

    // A presigned URL of 7 days works; of 7 days + 1 s, 10 years or 0 s it
    // is refused as AWS refuses it.
    let get = |query: String| {
        format!("GET {path}?{query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    };
    let (status, head, body) =
        exchange(stack.s3, &get(presigned_query(&host, &path, &amz, 604_800))).await;
    assert_eq!((status, body.as_str()), (200, "hello"), "{head}");
    assert_eq!(header(&head, "x-amz-request-id").map(str::len), Some(16), "{head}");
    assert!(header(&head, "x-amz-id-2").is_some(), "{head}");
    for expires in [604_801, 315_360_000, 0] {
        let (status, head, body) =
            exchange(stack.s3, &get(presigned_query(&host, &path, &amz, expires))).await;
        assert_eq!(status, 400, "{expires}: {body}");
        assert!(body.contains("<Code>AuthorizationQueryParametersError</Code>"), "{body}");
        let id = header(&head, "x-amz-request-id").unwrap();
        assert!(body.contains(&format!("<RequestId>{id}</RequestId>")), "{body}");
    }

    let empty = sha256_hex(b"");
    // Dated by Date only: accepted.
    let date = http_date(t);
    let req = signed_get(
        &path,
        &[("date", date.clone()), ("host", host.clone()), ("x-amz-content-sha256", empty.clone())],
        &amz,
    );
    let (status, head, body) = exchange(stack.s3, &req).await;
    assert_eq!((status, body.as_str()), (200, "hello"), "{head}\n{body}");

    // Both: x-amz-date is the timestamp signed, Date is just a header.
    let (_, earlier) = amz_dates(t - 120);
    let both = [
        ("date", http_date(t - 120)),
        ("host", host.clone()),
        ("x-amz-content-sha256", empty.clone()),
        ("x-amz-date", amz.clone()),
    ];
    let (status, _, body) = exchange(stack.s3, &signed_get(&path, &both, &amz)).await;
    assert_eq!((status, body.as_str()), (200, "hello"));
    // Signed with the Date's time instead: the signature does not match.
    let (status, head, body) = exchange(stack.s3, &signed_get(&path, &both, &earlier)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{body}");
    let id = header(&head, "x-amz-request-id").unwrap();
    assert!(body.contains(&format!("<RequestId>{id}</RequestId>")), "{body}");

    // A Date-only request signed for another time is refused.
    let forged = signed_get(
        &path,
        &[("date", date), ("host", host.clone()), ("x-amz-content-sha256", empty)],
        &earlier,
    );
    let (status, _, _) = exchange(stack.s3, &forged).await;
    assert_eq!(status, 403);

    // Errors s3s raises itself and errors of ours carry the ID too.
    let e = s3.get_object().bucket(BUCKET).key("missing").send().await.unwrap_err();
    let id = e.request_id().unwrap().to_string();
    assert_eq!(id.len(), 16);
    let (status, head, body) = exchange(
        stack.s3,
        &format!("GET /{BUCKET}/obj HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let id = header(&head, "x-amz-request-id").unwrap();
    assert!(body.contains(&format!("<RequestId>{id}</RequestId>")), "{body}");
    stack.stop().await;
}

/// An empty PUT that asks for `100 Continue` is answered at once (hyper
/// sends no `100 Continue` for an empty body) and its connection closed:
/// botocore keeps parsing the next response on a connection that answered
/// early as that early one, and an aws-cli upload reusing it hung until
/// the idle timeout, then failed on a missing ETag (seen in aws s3 sync).
#[tokio::test]
async fn an_empty_put_expecting_continue_closes_its_connection() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let host = stack.s3.to_string();
    let path = format!("/{BUCKET}/empty");
    let (_, amz) = amz_dates(now());
    let empty = sha256_hex(b"");
    let headers = [("host", host), ("x-amz-content-sha256", empty.clone()), ("x-amz-date", amz)];
    let signed = "host;x-amz-content-sha256;x-amz-date";
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let canonical = format!("PUT\n{path}\n\n{canonical_headers}\n{signed}\n{empty}");
    let signature = support::sigv4::signature(&headers[2].1, &canonical);
    let lines: String = headers.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    let request = format!(
        "PUT {path} HTTP/1.1\r\n{lines}Expect: 100-continue\r\nContent-Length: 0\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential={KEY_ID}/{}/{REGION}/s3/aws4_request, \
         SignedHeaders={signed}, Signature={signature}\r\n\r\n",
        &headers[2].1[..8]
    );
    // The exchange reads until the server closes: well before any timeout.
    let exchanged =
        tokio::time::timeout(std::time::Duration::from_secs(10), exchange(stack.s3, &request))
            .await;
    let (status, head, _) = exchanged.expect("the server keeps the connection open");
    assert_eq!(status, 200, "{head}");
    assert!(!head.starts_with("HTTP/1.1 100"), "{head}");
    assert_eq!(header(&head, "connection"), Some("close"), "{head}");
    assert!(header(&head, "etag").is_some(), "{head}");
}
