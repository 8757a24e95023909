//! aws-chunked uploads with **signed** chunks
//! (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`), as the Java SDK v1 and other
//! SigV4 streaming clients send them. The Rust SDK only sends unsigned
//! trailers, so the request is signed here by the SigV4 rules, sent over a
//! plain socket, and read back with the SDK.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use md5::Md5;
use sha2::Digest;
use support::sigv4::{REGION, amz_dates, hex, hmac, sha256_hex, signing_key};
use support::{KEY_ID, SECRET, Stack, body};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BUCKET: &str = "signed-chunks";
const STREAMING: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

#[test]
fn amz_dates_are_utc_civil_dates() {
    assert_eq!(amz_dates(1_700_000_000), ("20231114".into(), "20231114T221320Z".into()));
    assert_eq!(amz_dates(951_782_400), ("20000229".into(), "20000229T000000Z".into()));
}

#[tokio::test]
async fn signed_chunks_are_verified_and_stored() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();

    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let reply = put_signed_chunks(&stack, "good.bin", &data, 64 * 1024, None).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let got = s3.get_object().bucket(BUCKET).key("good.bin").send().await.unwrap();
    assert_eq!(got.e_tag(), Some(format!("\"{}\"", hex(&Md5::digest(&data))).as_str()));
    assert_eq!(body(got).await, data);

    // One flipped byte in the second chunk: its signature no longer
    // matches, the PUT is refused and nothing is stored.
    let reply = put_signed_chunks(&stack, "bad.bin", &data, 64 * 1024, Some(70_000)).await;
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    assert!(reply.contains("SignatureDoesNotMatch"), "{reply}");
    let head = s3.head_object().bucket(BUCKET).key("bad.bin").send().await;
    assert!(head.is_err(), "a refused upload was stored");
    stack.stop().await;
}

/// PUTs `data` as signed aws-chunked `chunk`-byte chunks, flipping the byte
/// at `corrupt` after signing; returns the raw HTTP reply.
async fn put_signed_chunks(
    stack: &Stack,
    key: &str,
    data: &[u8],
    chunk: usize,
    corrupt: Option<usize>,
) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (date, amz_date) = amz_dates(now);
    let scope = format!("{date}/{REGION}/s3/aws4_request");
    let host = stack.s3.to_string();
    let path = format!("/{BUCKET}/{key}");
    let signed = "host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length";
    let canonical = format!(
        "PUT\n{path}\n\nhost:{host}\nx-amz-content-sha256:{STREAMING}\nx-amz-date:{amz_date}\n\
         x-amz-decoded-content-length:{}\n\n{signed}\n{STREAMING}",
        data.len()
    );
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical));
    let key_bytes = signing_key(&date);
    let seed = hex(&hmac(&key_bytes, to_sign.as_bytes()));

    let mut body = Vec::new();
    let mut previous = seed.clone();
    let empty = sha256_hex(b"");
    let mut chunks: Vec<&[u8]> = data.chunks(chunk).collect();
    chunks.push(&[]);
    for piece in chunks {
        let to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{empty}\n{}",
            sha256_hex(piece)
        );
        let signature = hex(&hmac(&key_bytes, to_sign.as_bytes()));
        body.extend_from_slice(
            format!("{:x};chunk-signature={signature}\r\n", piece.len()).as_bytes(),
        );
        body.extend_from_slice(piece);
        body.extend_from_slice(b"\r\n");
        previous = signature;
    }
    if let Some(at) = corrupt {
        // The data offset `at` inside the encoded body: skip the chunk
        // headers before it.
        let header_len = body.iter().position(|&b| b == b'\n').unwrap() + 1;
        let index = at / chunk;
        let offset = header_len * (index + 1) + index * (chunk + 2) + at % chunk;
        body[offset] ^= 0xff;
    }
    let request = format!(
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nx-amz-date: {amz_date}\r\n\
         x-amz-content-sha256: {STREAMING}\r\nx-amz-decoded-content-length: {}\r\n\
         Content-Encoding: aws-chunked\r\nContent-Length: {}\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential={KEY_ID}/{scope}, SignedHeaders={signed}, \
         Signature={seed}\r\n\r\n",
        data.len(),
        body.len()
    );
    let mut conn = tokio::net::TcpStream::connect(stack.s3).await.unwrap();
    conn.write_all(request.as_bytes()).await.unwrap();
    conn.write_all(&body).await.unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}
