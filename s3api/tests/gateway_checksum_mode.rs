//! GetObject and HeadObject under `x-amz-checksum-mode: ENABLED`, end to
//! end with `aws-sdk-s3` (which also validates the body against the
//! checksum it gets back): the checksum stored at PutObject comes back,
//! with `x-amz-checksum-type: FULL_OBJECT`, for the whole object only —
//! not for a range, not without checksum mode; a multipart object keeps
//! the `COMPOSITE` checksum of its parts' (`base64-N`). Also: error bodies
//! `s3s` writes on its own (an invalid bucket name) carry a `<Message>`.

mod support;

use aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use std::time::Duration;
use support::{SECRET, Stack, body};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn stored_checksums_come_back_only_when_asked_for_the_whole_object() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("sums").send().await.unwrap();
    let data: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha256 = STANDARD.encode(Sha256::digest(&data));

    let put = s3
        .put_object()
        .bucket("sums")
        .key("sha")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.checksum_sha256(), Some(sha256.as_str()));

    let got = s3
        .get_object()
        .bucket("sums")
        .key("sha")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_sha256(), Some(sha256.as_str()));
    assert_eq!(got.checksum_type(), Some(&ChecksumType::FullObject));
    assert_eq!(got.checksum_crc32(), None);
    assert_eq!(body(got).await, data);

    let head = s3
        .head_object()
        .bucket("sums")
        .key("sha")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_sha256(), Some(sha256.as_str()));
    assert_eq!(head.checksum_type(), Some(&ChecksumType::FullObject));

    // Without checksum mode: nothing. (The SDK asks for it on every GET
    // unless told to validate only when required.)
    let config = s3.config().to_builder().response_checksum_validation(WhenRequired).build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    let plain = s3.get_object().bucket("sums").key("sha").send().await.unwrap();
    assert_eq!((plain.checksum_sha256(), plain.checksum_type()), (None, None));
    let plain = s3.head_object().bucket("sums").key("sha").send().await.unwrap();
    assert_eq!(plain.checksum_sha256(), None);

    // A range has no checksum of its own: S3 sends none.
    let ranged = s3
        .get_object()
        .bucket("sums")
        .key("sha")
        .range("bytes=10-19")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.checksum_sha256(), None);
    assert_eq!(body(ranged).await, &data[10..20]);

    // Part 1 of an object stored whole is the whole object.
    let part = s3
        .get_object()
        .bucket("sums")
        .key("sha")
        .part_number(1)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(part.checksum_sha256(), Some(sha256.as_str()));

    // Every algorithm the SDK can send comes back as it was put.
    for algorithm in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Crc64Nvme,
    ] {
        let key = format!("algo/{}", algorithm.as_str());
        let put = s3
            .put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(algorithm.clone())
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        let head = s3
            .head_object()
            .bucket("sums")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let pair =
            |a: Option<&str>, b: Option<&str>| (a.map(str::to_string), b.map(str::to_string));
        let (want, got) = match algorithm {
            ChecksumAlgorithm::Crc32 => pair(put.checksum_crc32(), head.checksum_crc32()),
            ChecksumAlgorithm::Crc32C => pair(put.checksum_crc32_c(), head.checksum_crc32_c()),
            ChecksumAlgorithm::Sha1 => pair(put.checksum_sha1(), head.checksum_sha1()),
            _ => pair(put.checksum_crc64_nvme(), head.checksum_crc64_nvme()),
        };
        assert!(want.is_some(), "{key}: PUT echoed no checksum");
        assert_eq!(got, want, "{key}");
        // The SDK checks the body against the checksum it is given.
        let got = s3
            .get_object()
            .bucket("sums")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(body(got).await, data, "{key}");
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_multipart_object_has_the_composite_checksum_of_its_parts() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("mpu").send().await.unwrap();
    let up = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("big")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    assert_eq!(up.checksum_algorithm(), Some(&ChecksumAlgorithm::Crc32));
    let id = up.upload_id().unwrap();
    let parts: [Vec<u8>; 2] = [vec![b'a'; 5 * 1024 * 1024], b"tail".to_vec()];
    let mut done = Vec::new();
    let mut raw_crcs = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let n = i32::try_from(i).unwrap() + 1;
        let out = s3
            .upload_part()
            .bucket("mpu")
            .key("big")
            .upload_id(id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        let crc = crc32fast::hash(data).to_be_bytes();
        assert_eq!(out.checksum_crc32(), Some(STANDARD.encode(crc).as_str()));
        raw_crcs.extend_from_slice(&crc);
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .checksum_crc32(out.checksum_crc32().unwrap())
                .build(),
        );
    }
    let list = CompletedMultipartUpload::builder().set_parts(Some(done)).build();
    let want = format!("{}-2", STANDARD.encode(crc32fast::hash(&raw_crcs).to_be_bytes()));
    let completed = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .multipart_upload(list)
        .send()
        .await
        .unwrap();
    assert_eq!(completed.checksum_crc32(), Some(want.as_str()));
    assert_eq!(completed.checksum_type(), Some(&ChecksumType::Composite));

    let got = s3
        .get_object()
        .bucket("mpu")
        .key("big")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc32(), Some(want.as_str()));
    assert_eq!(got.checksum_type(), Some(&ChecksumType::Composite));
    assert_eq!(body(got).await.len(), 5 * 1024 * 1024 + 4);
    let head = s3
        .head_object()
        .bucket("mpu")
        .key("big")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc32(), Some(want.as_str()));
    // A part read returns that part's own checksum, as S3 does.
    let part = s3
        .get_object()
        .bucket("mpu")
        .key("big")
        .part_number(2)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    let tail_crc = STANDARD.encode(crc32fast::hash(b"tail").to_be_bytes());
    assert_eq!(part.checksum_crc32(), Some(tail_crc.as_str()));
    assert_eq!(part.checksum_type(), Some(&ChecksumType::FullObject));
    assert_eq!(body(part).await, b"tail");
    // ... but none for a range.
    let ranged = s3
        .get_object()
        .bucket("mpu")
        .key("big")
        .range("bytes=0-9")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.checksum_crc32(), None);
    stack.stop().await;
}

#[tokio::test]
async fn errors_raised_by_s3s_itself_carry_a_message() {
    let stack = Stack::start().await;
    let mut conn = tokio::net::TcpStream::connect(stack.s3).await.unwrap();
    let req =
        format!("GET /Not_A_Bucket HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", stack.s3);
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    assert!(body.contains("<Code>InvalidBucketName</Code>"), "{body}");
    assert!(body.contains("<Message>The specified bucket is not valid.</Message>"), "{body}");
    // Content-Length (when sent) matches the rewritten body.
    if let Some(len) = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_string))
    {
        assert_eq!(len.trim().parse::<usize>().unwrap(), body.len(), "{reply}");
    }
    stack.stop().await;
}

/// A request refused before its body was read must not leave that body on
/// the connection to prefix the next request: the error closes it.
#[tokio::test]
async fn an_error_before_the_body_closes_the_connection() {
    let stack = Stack::start().await;
    let mut conn = tokio::net::TcpStream::connect(stack.s3).await.unwrap();
    // Unsigned, so refused before any handler reads the (unsent) body.
    let req = format!("PUT /b/k HTTP/1.1\r\nHost: {}\r\nContent-Length: 1\r\n\r\n", stack.s3);
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(conn.read(&mut byte).await.unwrap(), 1, "{head:?}");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 4"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    // The late body byte and a second request are never parsed: the
    // server ends the connection after the error body.
    let _ = conn.write_all(b"xGET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut rest)).await;
    let rest = String::from_utf8_lossy(&rest);
    assert!(!rest.contains("HTTP/1.1"), "a second response came: {rest}");
    stack.stop().await;
}
