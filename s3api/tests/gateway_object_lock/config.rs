//! The lock configuration, the lock headers on writes, and the
//! Content-MD5 requirement.

use super::*;

#[tokio::test]
async fn lock_bucket_configuration_and_default_retention() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "locked").await;
    let got = s3.get_object_lock_configuration().bucket("locked").send().await.unwrap();
    let got = got.object_lock_configuration().unwrap();
    assert_eq!(got.object_lock_enabled(), Some(&ObjectLockEnabled::Enabled));
    assert!(got.rule().is_none());
    // Created versioned, and it stays so.
    let v = s3.get_bucket_versioning().bucket("locked").send().await.unwrap();
    assert_eq!(v.status(), Some(&BucketVersioningStatus::Enabled));
    let e = s3
        .put_bucket_versioning()
        .bucket("locked")
        .versioning_configuration(
            VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (409, "InvalidBucketState".into()));

    // Malformed rules are refused as AWS refuses them.
    for (cfg, want) in [
        (config(ObjectLockRetentionMode::Governance, Some(1), Some(1)), (400, "MalformedXML")),
        (config(ObjectLockRetentionMode::Governance, None, None), (400, "MalformedXML")),
        (config(ObjectLockRetentionMode::Governance, Some(0), None), (400, "InvalidArgument")),
        (config(ObjectLockRetentionMode::Compliance, None, Some(101)), (400, "InvalidArgument")),
    ] {
        let e = s3
            .put_object_lock_configuration()
            .bucket("locked")
            .object_lock_configuration(cfg)
            .send()
            .await
            .unwrap_err();
        assert_eq!(failure(&e), (want.0, want.1.to_string()));
    }
    s3.put_object_lock_configuration()
        .bucket("locked")
        .object_lock_configuration(config(ObjectLockRetentionMode::Governance, Some(2), None))
        .send()
        .await
        .unwrap();
    let got = s3.get_object_lock_configuration().bucket("locked").send().await.unwrap();
    let rule = got.object_lock_configuration().unwrap().rule().unwrap();
    let d = rule.default_retention().unwrap();
    assert_eq!(
        (d.mode(), d.days(), d.years()),
        (Some(&ObjectLockRetentionMode::Governance), Some(2), None)
    );

    // The default applies to a PUT that asks for nothing.
    s3.put_object()
        .bucket("locked")
        .key("d")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("locked").key("d").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    let until = head.object_lock_retain_until_date().unwrap().secs();
    let expect = in_secs(2 * 86_400).secs();
    assert!((until - expect).abs() < 60, "{until} vs {expect}");
    assert!(head.object_lock_legal_hold_status().is_none());
    let got = s3.get_object_retention().bucket("locked").key("d").send().await.unwrap();
    assert_eq!(got.retention().unwrap().mode(), Some(&ObjectLockRetentionMode::Governance));
    // ... and reaches the file's tags, which the storage enforces.
    let tags = file_tags(&stack, "locked", "d").await;
    assert_eq!(tag(&tags, "s3-lock-mode"), Some("GOVERNANCE"));
    let tagged: i64 = tag(&tags, "s3-lock-until").unwrap().parse().unwrap();
    assert_eq!(tagged / 1000, until);

    // A bucket without lock: no configuration, and none can be added
    // while it is not versioned.
    make_bucket(&s3, "plain").await;
    let e = s3.get_object_lock_configuration().bucket("plain").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "ObjectLockConfigurationNotFoundError".into()));
    let e = s3
        .put_object_lock_configuration()
        .bucket("plain")
        .object_lock_configuration(config(ObjectLockRetentionMode::Governance, Some(1), None))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (409, "InvalidBucketState".into()));
    s3.put_object()
        .bucket("plain")
        .key("p")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let e = s3
        .put_object_retention()
        .bucket("plain")
        .key("p")
        .retention(retention(ObjectLockRetentionMode::Governance, in_secs(600)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));
    // Once versioning is Enabled, object lock can be turned on.
    s3.put_bucket_versioning()
        .bucket("plain")
        .versioning_configuration(
            VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object_lock_configuration()
        .bucket("plain")
        .object_lock_configuration(config(ObjectLockRetentionMode::Compliance, Some(1), None))
        .send()
        .await
        .unwrap();
    let got = s3.get_object_lock_configuration().bucket("plain").send().await.unwrap();
    assert!(got.object_lock_configuration().unwrap().rule().is_some());
    stack.stop().await;
}

#[tokio::test]
async fn lock_headers_on_writes() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "hdr").await;
    make_bucket(&s3, "nolock").await;

    // Lock headers on a bucket without lock: 400 InvalidRequest.
    let e = s3
        .put_object()
        .bucket("nolock")
        .key("k")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));
    let e = s3
        .create_multipart_upload()
        .bucket("nolock")
        .key("k")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_secs(600))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));
    // A mode without a date (or the reverse): 400 InvalidArgument.
    let e = s3
        .put_object()
        .bucket("hdr")
        .key("k")
        .object_lock_mode(ObjectLockMode::Governance)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidArgument".into()));

    // Without Content-MD5 or a checksum, a PUT with lock headers is refused.
    let bare = aws_sdk_s3::Client::from_conf(
        s3.config()
            .to_builder()
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .build(),
    );
    let until = in_secs(600);
    let e = bare
        .put_object()
        .bucket("hdr")
        .key("k")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));
    // A plain PUT into a bucket without default retention needs none.
    bare.put_object()
        .bucket("hdr")
        .key("free")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let md5 = STANDARD.encode(Md5::digest(b"x"));
    bare.put_object()
        .bucket("hdr")
        .key("k")
        .content_md5(md5)
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("hdr").key("k").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    // ... and, once the bucket has a default retention, so does a plain PUT.
    s3.put_object_lock_configuration()
        .bucket("hdr")
        .object_lock_configuration(config(ObjectLockRetentionMode::Governance, None, Some(1)))
        .send()
        .await
        .unwrap();
    let e = bare
        .put_object()
        .bucket("hdr")
        .key("free2")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidRequest".into()));

    // CopyObject: the destination gets the request's lock, not the source's.
    s3.copy_object()
        .bucket("hdr")
        .key("copy")
        .copy_source("hdr/free")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("hdr").key("copy").send().await.unwrap();
    assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::On));
    // The shared file carries the strongest lock of both.
    assert_eq!(tag(&file_tags(&stack, "hdr", "free").await, "s3-legal-hold"), Some("ON"));

    // Multipart: the upload keeps its lock and hands it to the object.
    let until = in_secs(900);
    let up = s3
        .create_multipart_upload()
        .bucket("hdr")
        .key("mp")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket("hdr")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket("hdr")
        .key("mp")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("hdr").key("mp").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(head.object_lock_retain_until_date().map(DateTime::secs), Some(until.secs()));
    assert_eq!(tag(&file_tags(&stack, "hdr", "mp").await, "s3-lock-mode"), Some("COMPLIANCE"));
    stack.stop().await;
}

/// A signed `PUT path?query` with `body` (and `extra` header lines, not
/// signed) sent over a raw socket: what the SDK never sends, a lock call
/// without Content-MD5 or a checksum.
async fn raw_put(stack: &Stack, path: &str, query: &str, body: &str, extra: &str) -> (u16, String) {
    let host = stack.s3.to_string();
    let (_, amz) = sigv4::amz_dates(sigv4::now());
    let sha = sigv4::sha256_hex(body);
    let canonical = format!(
        "PUT\n{path}\n{query}=\nhost:{host}\nx-amz-content-sha256:{sha}\nx-amz-date:{amz}\n\n\
         host;x-amz-content-sha256;x-amz-date\n{sha}"
    );
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/{}/s3/aws4_request, \
         SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={}",
        support::KEY_ID,
        &amz[..8],
        sigv4::REGION,
        sigv4::signature(&amz, &canonical)
    );
    let request = format!(
        "PUT {path}?{query} HTTP/1.1\r\nHost: {host}\r\nx-amz-date: {amz}\r\n\
         x-amz-content-sha256: {sha}\r\nAuthorization: {auth}\r\n{extra}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, _, reply) = sigv4::exchange(stack.s3, &request).await;
    (status, reply)
}

#[tokio::test]
async fn lock_calls_need_content_md5() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "raw").await;
    s3.put_object()
        .bucket("raw")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let ns = "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
    let hold = format!("<LegalHold {ns}><Status>ON</Status></LegalHold>");
    let config = format!(
        "<ObjectLockConfiguration {ns}><ObjectLockEnabled>Enabled</ObjectLockEnabled>\
         </ObjectLockConfiguration>"
    );
    let until = "2099-01-01T00:00:00Z";
    let retention = format!(
        "<Retention {ns}><Mode>GOVERNANCE</Mode><RetainUntilDate>{until}</RetainUntilDate></Retention>"
    );
    for (path, query, body) in [
        ("/raw/k", "legal-hold", &hold),
        ("/raw/k", "retention", &retention),
        ("/raw", "object-lock", &config),
    ] {
        let (status, reply) = raw_put(&stack, path, query, body, "").await;
        assert_eq!(status, 400, "{query}: {reply}");
        assert!(reply.contains("<Code>InvalidRequest</Code>"), "{query}: {reply}");
        assert!(reply.contains("Content-MD5 OR x-amz-checksum-"), "{query}: {reply}");
        let md5 = format!("Content-MD5: {}\r\n", STANDARD.encode(Md5::digest(body.as_bytes())));
        let (status, reply) = raw_put(&stack, path, query, body, &md5).await;
        assert_eq!(status, 200, "{query}: {reply}");
    }
    let head = s3.head_object().bucket("raw").key("k").send().await.unwrap();
    assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::On));
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    stack.stop().await;
}
