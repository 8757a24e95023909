//! A PUT whose body ends before its Content-Length is the client's fault:
//! 400 IncompleteBody, and nothing is stored. (A storage that dies during
//! an upload ends in an unexpected EOF too, but that is a 503: the gateway
//! tells the two apart by whether the client's body ended; the fault
//! suite, compat-tests/test_faults.py, saw a 400 when a storage was
//! SIGKILLed.)

mod support;

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use support::{SECRET, Stack, make_bucket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_incomplete_body() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "short").await;
    let req = s3
        .put_object()
        .bucket("short")
        .key("k")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let uri: http::Uri = req.uri().parse().unwrap();
    let mut head = format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 100000\r\n",
        uri.path_and_query().unwrap(),
        uri.authority().unwrap()
    );
    for (k, v) in req.headers() {
        if !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("content-length") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    let mut conn = tokio::net::TcpStream::connect(stack.s3).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&[1u8; 1000]).await.unwrap();
    conn.shutdown().await.unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("<Code>IncompleteBody</Code>"), "{text}");
    let e = s3.head_object().bucket("short").key("k").send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404), "nothing stored");
    stack.stop().await;
}
