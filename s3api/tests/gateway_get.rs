//! GetObject and HeadObject in full, end to end through a real tracker +
//! storage + gateway with `aws-sdk-s3`: the conditional headers and their
//! precedence (412 and 304), `response-*` overrides, stored entity
//! headers, `partNumber` reads, and virtual-hosted-style addressing. Where
//! the SDK hides the HTTP status or the Host header, presigned requests
//! are sent raw over TCP.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective};
use support::{KEY_ID, SECRET, Stack, body};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = 1024 * 1024;

type Raw1 = aws_sdk_s3::config::http::HttpResponse;

/// The HTTP status of a failed call.
trait RawStatus {
    fn raw_status(&self) -> u16;
}

impl<E> RawStatus for SdkError<E, Raw1> {
    fn raw_status(&self) -> u16 {
        self.raw_response().map_or(0, |r| r.status().as_u16())
    }
}

/// The status and error code of a failed call.
fn failure<E: ProvideErrorMetadata>(e: &SdkError<E, Raw1>) -> (u16, String) {
    (e.raw_status(), e.code().unwrap_or("-").to_string())
}

/// A raw HTTP/1.1 reply.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends `req` to `addr` over a fresh connection, with the Host header of
/// its URL (so `bucket.localhost` need not resolve) and `body`.
async fn send_raw(addr: SocketAddr, req: &PresignedRequest, body: &[u8]) -> Raw {
    let uri: http::Uri = req.uri().parse().unwrap();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        req.method(),
        uri.path_and_query().unwrap(),
        uri.authority().unwrap(),
        body.len()
    );
    for (k, v) in req.headers() {
        if !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("content-length") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").expect("no header end");
    let text = String::from_utf8_lossy(&reply[..split]).to_string();
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = reply[split + 4..].to_vec();
    if text.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Raw { status, headers, body }
}

/// The payload of a chunked body.
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&data[..eol]).unwrap().trim(), 16);
        let size = size.unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}

fn presign_cfg() -> PresigningConfig {
    PresigningConfig::expires_in(Duration::from_secs(300)).unwrap()
}

async fn put(s3: &Client, bucket: &str, key: &str, data: &[u8]) -> String {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap();
    out.e_tag().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_reads() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("cond").send().await.unwrap();
    let etag = put(&s3, "cond", "k", b"hello").await;
    let head = s3.head_object().bucket("cond").key("k").send().await.unwrap();
    let lm = head.last_modified().unwrap().secs();
    let at = DateTime::from_secs;
    let unquoted = etag.trim_matches('"').to_string();
    let get = || s3.get_object().bucket("cond").key("k");
    let head = || s3.head_object().bucket("cond").key("k");

    // If-Match: quoted, unquoted and `*` pass; another tag or a weak one fails.
    for tag in [etag.as_str(), unquoted.as_str(), "*"] {
        let out = get().if_match(tag).send().await.unwrap();
        assert_eq!(body(out).await, b"hello", "{tag}");
    }
    for tag in ["\"0123\"", &format!("W/{etag}")] {
        let e = get().if_match(tag).send().await.unwrap_err();
        assert_eq!(failure(&e), (412, "PreconditionFailed".into()), "{tag}");
        let e = head().if_match(tag).send().await.unwrap_err();
        assert_eq!(e.raw_status(), 412);
    }

    // If-None-Match: a match (also weak, also `*`) is 304 with the validators.
    for tag in [etag.as_str(), unquoted.as_str(), "*", &format!("W/{etag}")] {
        let e = get().if_none_match(tag).send().await.unwrap_err();
        assert_eq!(e.raw_status(), 304, "{tag}");
        let raw = e.raw_response().unwrap();
        assert_eq!(raw.headers().get("etag"), Some(etag.as_str()));
        assert!(raw.headers().get("last-modified").is_some());
        assert_eq!(head().if_none_match(tag).send().await.unwrap_err().raw_status(), 304);
    }
    assert!(get().if_none_match("\"0123\"").send().await.is_ok());

    // Dates, at whole seconds.
    assert!(get().if_modified_since(at(lm - 1)).send().await.is_ok());
    assert_eq!(get().if_modified_since(at(lm)).send().await.unwrap_err().raw_status(), 304);
    let future = at(lm + 3600);
    assert_eq!(head().if_modified_since(future).send().await.unwrap_err().raw_status(), 304);
    assert!(get().if_unmodified_since(at(lm)).send().await.is_ok());
    let e = get().if_unmodified_since(at(lm - 1)).send().await.unwrap_err();
    assert_eq!(failure(&e), (412, "PreconditionFailed".into()));
    assert_eq!(head().if_unmodified_since(at(lm - 1)).send().await.unwrap_err().raw_status(), 412);

    // Precedence, as S3 documents it.
    let passing_match = get().if_match(&etag).if_unmodified_since(at(lm - 1)).send().await;
    assert!(passing_match.is_ok(), "If-Match true + If-Unmodified-Since false is 200");
    let e = get().if_none_match(&etag).if_modified_since(at(lm - 1)).send().await.unwrap_err();
    assert_eq!(e.raw_status(), 304, "If-None-Match false + If-Modified-Since true is 304");
    let other = get().if_none_match("\"0123\"").if_modified_since(future).send().await;
    assert!(other.is_ok(), "a non-matching If-None-Match overrides If-Modified-Since");
    let e = get().if_match("\"0123\"").if_none_match(&etag).send().await.unwrap_err();
    assert_eq!(e.raw_status(), 412, "412 comes before 304");

    // Conditions do not hide a missing key.
    let e = s3.get_object().bucket("cond").key("nope").if_match("*").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "NoSuchKey".into()));

    // On the wire a 304 has no body; the validators are there.
    let req = get().if_none_match(&etag).presigned(presign_cfg()).await.unwrap();
    let raw = send_raw(stack.s3, &req, b"").await;
    assert_eq!(raw.status, 304);
    assert!(raw.body.is_empty(), "{:?}", String::from_utf8_lossy(&raw.body));
    assert_eq!(raw.header("etag"), Some(etag.as_str()));

    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entity_headers_and_overrides() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("hdr").send().await.unwrap();
    let expires = DateTime::from_secs(1_900_000_000);
    s3.put_object()
        .bucket("hdr")
        .key("page")
        .body(ByteStream::from_static(b"<p>hi</p>"))
        .content_type("text/html")
        .cache_control("max-age=60")
        .content_disposition("inline")
        .content_encoding("identity")
        .content_language("en")
        .metadata("colour", "blue")
        .send()
        .await
        .unwrap();

    // Stored headers come back on GET and HEAD.
    let got = s3.get_object().bucket("hdr").key("page").send().await.unwrap();
    assert_eq!(got.content_type(), Some("text/html"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(got.content_disposition(), Some("inline"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert_eq!(got.content_language(), Some("en"));
    assert_eq!(got.metadata().unwrap().get("colour").map(String::as_str), Some("blue"));
    assert_eq!(got.parts_count(), None);
    let head = s3.head_object().bucket("hdr").key("page").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/html"));
    assert_eq!(head.cache_control(), Some("max-age=60"));
    assert_eq!(head.content_disposition(), Some("inline"));
    assert_eq!(head.content_encoding(), Some("identity"));
    assert_eq!(head.content_language(), Some("en"));

    // Expires, stored by a REPLACE copy, comes back too.
    s3.copy_object()
        .bucket("hdr")
        .key("page")
        .copy_source("hdr/page")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/html")
        .expires(expires)
        .send()
        .await
        .unwrap();
    let got = s3.get_object().bucket("hdr").key("page").send().await.unwrap();
    assert_eq!(got.expires_string(), Some("Sun, 17 Mar 2030 17:46:40 GMT"));
    let head = s3.head_object().bucket("hdr").key("page").send().await.unwrap();
    assert_eq!(head.expires_string(), Some("Sun, 17 Mar 2030 17:46:40 GMT"));

    // response-* overrides every one of them, on GET and on HEAD.
    let later = DateTime::from_secs(2_000_000_000);
    let got = s3
        .get_object()
        .bucket("hdr")
        .key("page")
        .response_content_type("application/x-test")
        .response_content_language("fr")
        .response_expires(later)
        .response_cache_control("no-store")
        .response_content_disposition("attachment; filename=\"p.html\"")
        .response_content_encoding("x-none")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("application/x-test"));
    assert_eq!(got.content_language(), Some("fr"));
    assert_eq!(got.expires_string(), Some("Wed, 18 May 2033 03:33:20 GMT"));
    assert_eq!(got.cache_control(), Some("no-store"));
    assert_eq!(got.content_disposition(), Some("attachment; filename=\"p.html\""));
    assert_eq!(got.content_encoding(), Some("x-none"));
    assert_eq!(body(got).await, b"<p>hi</p>");
    let head = s3
        .head_object()
        .bucket("hdr")
        .key("page")
        .response_content_type("application/x-test")
        .response_expires(later)
        .response_cache_control("no-store")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("application/x-test"));
    assert_eq!(head.expires_string(), Some("Wed, 18 May 2033 03:33:20 GMT"));
    assert_eq!(head.cache_control(), Some("no-store"));

    stack.stop().await;
}

/// Expires given to PutObject is stored and returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_object_stores_expires() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("exp").send().await.unwrap();
    s3.put_object()
        .bucket("exp")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .expires(DateTime::from_secs(1_900_000_000))
        .send()
        .await
        .unwrap();
    let got = s3.get_object().bucket("exp").key("k").send().await.unwrap();
    assert_eq!(got.expires_string(), Some("Sun, 17 Mar 2030 17:46:40 GMT"));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn part_number_reads() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("parts").send().await.unwrap();

    // A two-part object: 5 MiB, then 3 bytes.
    let first: Vec<u8> = (0..5 * MIB).map(|i| (i % 251) as u8).collect();
    let up = s3.create_multipart_upload().bucket("parts").key("mp").send().await.unwrap();
    let upload = up.upload_id().unwrap();
    let mut done = Vec::new();
    for (n, data) in [(1, first.clone()), (2, b"xyz".to_vec())] {
        let out = s3
            .upload_part()
            .bucket("parts")
            .key("mp")
            .upload_id(upload)
            .part_number(n)
            .body(ByteStream::from(data))
            .send()
            .await
            .unwrap();
        done.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build());
    }
    s3.complete_multipart_upload()
        .bucket("parts")
        .key("mp")
        .upload_id(upload)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .unwrap();
    let total = 5 * MIB + 3;
    let get = |n: i32| s3.get_object().bucket("parts").key("mp").part_number(n);

    let p1 = get(1).send().await.unwrap();
    assert_eq!(p1.content_length(), Some(5 * 1024 * 1024));
    assert_eq!(p1.content_range(), Some(format!("bytes 0-{}/{total}", 5 * MIB - 1).as_str()));
    assert_eq!(p1.parts_count(), Some(2));
    assert!(body(p1).await == first);
    let p2 = get(2).send().await.unwrap();
    assert_eq!(
        p2.content_range(),
        Some(format!("bytes {}-{}/{total}", 5 * MIB, total - 1).as_str())
    );
    assert_eq!(p2.parts_count(), Some(2));
    assert_eq!(body(p2).await, b"xyz");
    let h2 = s3.head_object().bucket("parts").key("mp").part_number(2).send().await.unwrap();
    assert_eq!((h2.content_length(), h2.parts_count()), (Some(3), Some(2)));
    // A plain read reports no parts count (S3 sends it for partNumber only).
    let whole = s3.head_object().bucket("parts").key("mp").send().await.unwrap();
    assert_eq!(
        (whole.content_length(), whole.parts_count()),
        (Some(i64::try_from(total).unwrap()), None)
    );

    // The errors.
    let e = get(3).send().await.unwrap_err();
    assert_eq!(failure(&e), (416, "InvalidPartNumber".into()));
    let e = s3.head_object().bucket("parts").key("mp").part_number(3).send().await.unwrap_err();
    assert_eq!(e.raw_status(), 416);
    let e = get(1).range("bytes=0-1").send().await.unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));
    let e = get(0).send().await.unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidArgument".into()));
    let e = get(10_001).send().await.unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidArgument".into()));

    // An object stored whole is one part.
    put(&s3, "parts", "one", b"hello").await;
    let p = s3.get_object().bucket("parts").key("one").part_number(1).send().await.unwrap();
    assert_eq!((p.content_range(), p.parts_count()), (Some("bytes 0-4/5"), None));
    assert_eq!(body(p).await, b"hello");
    let e = s3.get_object().bucket("parts").key("one").part_number(2).send().await.unwrap_err();
    assert_eq!(failure(&e), (416, "InvalidPartNumber".into()));

    // On the wire: GET and HEAD of a part are 206.
    let req = get(2).presigned(presign_cfg()).await.unwrap();
    let raw = send_raw(stack.s3, &req, b"").await;
    assert_eq!((raw.status, raw.body.as_slice()), (206, b"xyz".as_slice()));
    assert_eq!(raw.header("x-amz-mp-parts-count"), Some("2"));
    let head = s3.head_object().bucket("parts").key("mp").part_number(1);
    let raw = send_raw(stack.s3, &head.presigned(presign_cfg()).await.unwrap(), b"").await;
    assert_eq!(raw.status, 206);
    assert_eq!(raw.header("content-length"), Some(format!("{}", 5 * MIB).as_str()));
    let head = s3.head_object().bucket("parts").key("one");
    let raw = send_raw(stack.s3, &head.presigned(presign_cfg()).await.unwrap(), b"").await;
    assert_eq!(raw.status, 200);

    stack.stop().await;
}

/// A client addressing `http://localhost:PORT` virtual-hosted style.
fn virtual_client(port: u16, path_style: bool) -> Client {
    let creds = Credentials::new(KEY_ID, SECRET, None, None, "test");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://localhost:{port}"))
        .force_path_style(path_style)
        .credentials_provider(creds)
        .build();
    Client::from_conf(config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_hosted_style() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("vhost").send().await.unwrap();
    let vh = virtual_client(stack.s3.port(), false);

    // PUT and GET as `vhost.localhost:PORT`, signed for that host.
    let put = vh.put_object().bucket("vhost").key("dir/a b.txt").presigned(presign_cfg());
    let put = put.await.unwrap();
    assert!(put.uri().starts_with(&format!("http://vhost.localhost:{}/dir/", stack.s3.port())));
    let raw = send_raw(stack.s3, &put, b"virtual").await;
    assert_eq!(raw.status, 200, "{}", String::from_utf8_lossy(&raw.body));
    let get = vh.get_object().bucket("vhost").key("dir/a b.txt").presigned(presign_cfg());
    let raw = send_raw(stack.s3, &get.await.unwrap(), b"").await;
    assert_eq!((raw.status, raw.body.as_slice()), (200, b"virtual".as_slice()));

    // The same object path-style, by IP and by the base domain itself.
    let got = s3.get_object().bucket("vhost").key("dir/a b.txt").send().await.unwrap();
    assert_eq!(body(got).await, b"virtual");
    let ps = virtual_client(stack.s3.port(), true);
    let get = ps.get_object().bucket("vhost").key("dir/a b.txt").presigned(presign_cfg());
    let get = get.await.unwrap();
    assert!(get.uri().starts_with(&format!("http://localhost:{}/vhost/", stack.s3.port())));
    let raw = send_raw(stack.s3, &get, b"").await;
    assert_eq!((raw.status, raw.body.as_slice()), (200, b"virtual".as_slice()));

    // A missing bucket named by the host is NoSuchBucket.
    let get = vh.get_object().bucket("nobucket").key("k").presigned(presign_cfg());
    let raw = send_raw(stack.s3, &get.await.unwrap(), b"").await;
    assert_eq!(raw.status, 404);
    assert!(String::from_utf8_lossy(&raw.body).contains("NoSuchBucket"));

    stack.stop().await;
}
