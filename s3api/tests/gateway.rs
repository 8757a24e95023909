//! The S3 gateway end to end, in process: a real tracker and a real
//! storage on 127.0.0.x with free ports and temp dirs, the gateway on
//! 127.0.0.1:0, driven by the `aws-sdk-s3` crate (SigV4, path style).
//!
//! The SDK's defaults are kept, so PUTs carry a CRC32 checksum as an
//! aws-chunked trailer, which the gateway verifies.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use support::{SECRET, Stack, body, make_bucket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_round_trips_through_a_real_cluster() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);

    // Buckets.
    make_bucket(&s3, "photos").await;
    // Re-created by its owner, signed for us-east-1: 200, as AWS answers
    // there (other regions: gateway_client_gaps.rs).
    s3.create_bucket().bucket("photos").send().await.unwrap();
    let bad = s3.create_bucket().bucket("Bad_Name").send().await.unwrap_err();
    assert_eq!(bad.code(), Some("InvalidBucketName"));
    s3.head_bucket().bucket("photos").send().await.unwrap();
    let location = s3.get_bucket_location().bucket("photos").send().await.unwrap();
    assert_eq!(location.location_constraint().map(|c| c.as_str()), Some("group1"));
    let listed = s3.list_buckets().send().await.unwrap();
    let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["photos"]);
    let missing = s3.head_bucket().bucket("nope").send().await.unwrap_err();
    assert!(missing.raw_response().is_some_and(|r| r.status().as_u16() == 404));

    // Put, get, head with metadata and content type.
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let put = s3
        .put_object()
        .bucket("photos")
        .key("dir/cat.jpg")
        .content_type("image/jpeg")
        .metadata("color", "grey")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let etag = format!("\"{:x}\"", md5_of(&data));
    assert_eq!(put.e_tag(), Some(etag.as_str()));
    let got = s3.get_object().bucket("photos").key("dir/cat.jpg").send().await.unwrap();
    assert_eq!(got.content_type(), Some("image/jpeg"));
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.metadata().and_then(|m| m.get("color")).map(String::as_str), Some("grey"));
    assert_eq!(body(got).await, data);
    let head = s3.head_object().bucket("photos").key("dir/cat.jpg").send().await.unwrap();
    assert_eq!(head.content_length(), Some(100_000));
    assert_eq!(head.metadata().and_then(|m| m.get("color")).map(String::as_str), Some("grey"));

    // A ranged GET.
    let ranged = s3
        .get_object()
        .bucket("photos")
        .key("dir/cat.jpg")
        .range("bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.content_range(), Some("bytes 10-19/100000"));
    assert_eq!(body(ranged).await, &data[10..20]);
    let beyond = s3
        .get_object()
        .bucket("photos")
        .key("dir/cat.jpg")
        .range("bytes=200000-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(beyond.code(), Some("InvalidRange"));

    // An empty object.
    s3.put_object()
        .bucket("photos")
        .key("empty")
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .unwrap();
    let empty = s3.get_object().bucket("photos").key("empty").send().await.unwrap();
    assert!(body(empty).await.is_empty());

    // Listing with a delimiter, pagination and encoding-type=url.
    for key in ["a/1", "a/2", "b c", "c/d/e"] {
        s3.put_object()
            .bucket("photos")
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let page = s3.list_objects_v2().bucket("photos").delimiter("/").send().await.unwrap();
    let keys: Vec<_> = page.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = page.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["b c", "empty"]);
    assert_eq!(prefixes, ["a/", "c/", "dir/"]);
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("photos")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        all.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(all, ["a/1", "a/2", "b c", "c/d/e", "dir/cat.jpg", "empty"]);
    let encoded = s3
        .list_objects_v2()
        .bucket("photos")
        .prefix("b")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    // The SDK hands url-encoded keys through as sent.
    assert_eq!(encoded.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["b%20c"]);

    // Integrity and errors.
    let wrong = s3
        .put_object()
        .bucket("photos")
        .key("bad")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(ByteStream::from_static(b"not empty"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Some("BadDigest"));
    let mismatch = s3
        .put_object()
        .bucket("photos")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from_static(b"not empty"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(mismatch.code(), Some("BadDigest"));
    let absent = s3.head_object().bucket("photos").key("bad").send().await.unwrap_err();
    assert!(absent.raw_response().is_some_and(|r| r.status().as_u16() == 404));
    let nokey = s3.get_object().bucket("photos").key("missing").send().await.unwrap_err();
    assert_eq!(nokey.code(), Some("NoSuchKey"));
    let forged = stack.client("wrong-secret").list_buckets().send().await.unwrap_err();
    assert_eq!(forged.code(), Some("SignatureDoesNotMatch"));

    // Unsigned requests are refused.
    assert_eq!(raw_status(stack.s3, "GET / HTTP/1.1").await, 403);
    assert_eq!(raw_status(stack.s3, "GET /photos/b%20c HTTP/1.1").await, 403);

    // A presigned GET works without headers; a tampered one does not.
    let presigned = s3
        .get_object()
        .bucket("photos")
        .key("b c")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let uri: http::Uri = presigned.uri().parse().unwrap();
    let path = uri.path_and_query().unwrap().as_str().to_string();
    assert_eq!(raw_status(stack.s3, &format!("GET {path} HTTP/1.1")).await, 200);
    let tampered = path.replace("b%20c", "a/1");
    assert_eq!(raw_status(stack.s3, &format!("GET {tampered} HTTP/1.1")).await, 403);

    // Deletes: the row goes at once, the files through the queue.
    let not_empty = s3.delete_bucket().bucket("photos").send().await.unwrap_err();
    assert_eq!(not_empty.code(), Some("BucketNotEmpty"));
    s3.put_object()
        .bucket("photos")
        .key("empty")
        .body(ByteStream::from_static(b"y"))
        .send()
        .await
        .unwrap();
    for key in ["a/1", "a/2", "b c", "c/d/e", "dir/cat.jpg", "empty"] {
        s3.delete_object().bucket("photos").key(key).send().await.unwrap();
    }
    let gone = s3.get_object().bucket("photos").key("dir/cat.jpg").send().await.unwrap_err();
    assert_eq!(gone.code(), Some("NoSuchKey"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let queued = stack.index.read(|ix| ix.delete_queue_len()).await.unwrap();
        if queued == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{queued} deletes still queued");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s3.delete_bucket().bucket("photos").send().await.unwrap();
    assert!(s3.list_buckets().send().await.unwrap().buckets().is_empty());

    stack.stop().await;
}

fn md5_of(data: &[u8]) -> u128 {
    use md5::Digest;
    u128::from_be_bytes(md5::Md5::digest(data).into())
}

/// The status code of an unsigned request line sent over a fresh
/// connection.
async fn raw_status(addr: SocketAddr, line: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("{line}\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    let text = String::from_utf8_lossy(&reply);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}
