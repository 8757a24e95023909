//! A Range header S3 cannot use (`bytes=5-2`, `bits=0-1`, several ranges)
//! is ignored as RFC 9110 allows and S3 does: GET and HEAD answer 200 with
//! the whole object, through the SDK, which signs the header. A range
//! that parses but does not fit stays 416 InvalidRange, and a bad
//! `x-amz-copy-source-range` stays 400 InvalidArgument.

mod support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use support::{SECRET, Stack, body, make_bucket};

const BUCKET: &str = "ranges";

#[tokio::test]
async fn unusable_ranges_are_ignored_and_unsatisfiable_ones_refused() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let data: Vec<u8> = (0..100u8).collect();
    s3.put_object()
        .bucket(BUCKET)
        .key("obj")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();

    for spec in ["bytes=5-2", "bits=0-1", "bytes=0-1,3-4", "bytes=abc", "pages=1-2"] {
        let got = s3
            .get_object()
            .bucket(BUCKET)
            .key("obj")
            .range(spec)
            .response_content_type("text/x-test")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {spec}: {:?}", e.code()));
        assert_eq!(got.content_range(), None, "{spec}");
        assert_eq!(got.content_length(), Some(100), "{spec}");
        // The rest of the request is still honoured.
        assert_eq!(got.content_type(), Some("text/x-test"), "{spec}");
        assert_eq!(body(got).await, data, "{spec}");

        let head = s3.head_object().bucket(BUCKET).key("obj").range(spec).send().await.unwrap();
        assert_eq!((head.content_length(), head.content_range()), (Some(100), None), "{spec}");
    }

    // An ignored range does not bypass authentication: a wrong secret is
    // still refused.
    let bad = stack.client("not-the-secret").get_object().bucket(BUCKET).key("obj");
    let e = bad.range("bytes=5-2").send().await.unwrap_err();
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"));
    // Nor does it reveal a missing key as anything but NoSuchKey.
    let e = s3.get_object().bucket(BUCKET).key("none").range("bytes=5-2").send().await;
    assert_eq!(e.unwrap_err().code(), Some("NoSuchKey"));

    // Parseable but past the end: 416 InvalidRange, GET and HEAD.
    for spec in ["bytes=100-", "bytes=200-300", "bytes=-0"] {
        let e = s3.get_object().bucket(BUCKET).key("obj").range(spec).send().await.unwrap_err();
        assert_eq!(e.code(), Some("InvalidRange"), "{spec}");
        assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(416), "{spec}");
    }
    // A valid range still works.
    let got = s3.get_object().bucket(BUCKET).key("obj").range("bytes=2-4").send().await.unwrap();
    assert_eq!(got.content_range(), Some("bytes 2-4/100"));
    assert_eq!(body(got).await, data[2..5]);

    // x-amz-copy-source-range is another matter: malformed is 400.
    let up = s3.create_multipart_upload().bucket(BUCKET).key("dst").send().await.unwrap();
    let e = s3
        .upload_part_copy()
        .bucket(BUCKET)
        .key("dst")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .copy_source(format!("{BUCKET}/obj"))
        .copy_source_range("bytes=5-2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidArgument"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    stack.stop().await;
}
