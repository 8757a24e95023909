//! Small gaps real clients met (issue 12), each answered as AWS does:
//! ListBuckets paging and prefix, ListObjectsV2 FetchOwner, CreateBucket of
//! a bucket one already owns (200 in us-east-1, 409 elsewhere), the
//! default Content-Type, `aws-chunked` kept out of a stored
//! Content-Encoding, ListObjects v1's Prefix, a part listed twice on
//! CompleteMultipartUpload, a partNumber past the object's parts. The raw
//! HTTP ones (no Content-Type, empty Content-MD5, chunked PUT,
//! unparseable dates) are in `gateway_client_gaps_raw.rs`.

mod support;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, EncodingType};
use support::{KEY_ID, SECRET, Stack, make_bucket};

#[tokio::test]
async fn list_buckets_pages_by_max_buckets_and_filters_by_prefix() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    for name in ["lb-a", "lb-b", "lb-c", "other"] {
        make_bucket(&s3, name).await;
    }
    let first = s3.list_buckets().max_buckets(2).send().await.unwrap();
    let names: Vec<_> = first.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["lb-a", "lb-b"]);
    let token = first.continuation_token().expect("a truncated list has a token").to_string();
    let rest = s3.list_buckets().max_buckets(2).continuation_token(&token).send().await.unwrap();
    let names: Vec<_> = rest.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["lb-c", "other"]);
    // The last page: nothing more, so no token.
    assert_eq!(rest.continuation_token(), None);

    let filtered = s3.list_buckets().prefix("lb-").send().await.unwrap();
    let names: Vec<_> = filtered.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["lb-a", "lb-b", "lb-c"]);
    assert_eq!(filtered.prefix(), Some("lb-"));
    assert_eq!(filtered.continuation_token(), None);

    for bad in [0, 10_001] {
        let e = s3.list_buckets().max_buckets(bad).send().await.unwrap_err();
        assert_eq!(e.code(), Some("InvalidArgument"), "max-buckets {bad}");
    }
    let e = s3.list_buckets().continuation_token("!!not-ours").send().await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidArgument"));
    stack.stop().await;
}

#[tokio::test]
async fn list_objects_v2_fetch_owner() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "owners").await;
    s3.put_object()
        .bucket("owners")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let plain = s3.list_objects_v2().bucket("owners").send().await.unwrap();
    assert_eq!(plain.contents()[0].owner(), None, "no Owner unless FetchOwner");
    let listed = s3.list_objects_v2().bucket("owners").fetch_owner(true).send().await.unwrap();
    let owner = listed.contents()[0].owner().expect("FetchOwner=true lists the owner");
    let buckets_owner = s3.list_buckets().send().await.unwrap();
    let expected = buckets_owner.owner().unwrap();
    assert_eq!(owner.id(), expected.id());
    assert_eq!(owner.display_name(), expected.display_name());
    assert!(owner.id().is_some_and(|id| !id.is_empty()));
    stack.stop().await;
}

/// A client signing for `region`.
fn client_in(stack: &Stack, region: &'static str) -> aws_sdk_s3::Client {
    let creds = Credentials::new(KEY_ID, SECRET, None, None, "test");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(format!("http://{}", stack.s3))
        .force_path_style(true)
        .credentials_provider(creds)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[tokio::test]
async fn create_bucket_already_owned_is_200_in_us_east_1_only() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    s3.create_bucket().bucket("mine").send().await.unwrap();
    // Again, signed for us-east-1: 200, as AWS answers there.
    s3.create_bucket().bucket("mine").send().await.expect("us-east-1 re-create is 200");
    // Signed for another region: 409 BucketAlreadyOwnedByYou.
    let e = client_in(&stack, "eu-west-1").create_bucket().bucket("mine").send().await;
    assert_eq!(e.unwrap_err().code(), Some("BucketAlreadyOwnedByYou"));
    stack.stop().await;
}

#[tokio::test]
async fn default_content_type_and_stored_content_encoding() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "entity").await;
    let put = |key: &'static str, encoding: Option<&'static str>| {
        s3.put_object()
            .bucket("entity")
            .key(key)
            .set_content_encoding(encoding.map(str::to_string))
            .body(ByteStream::from_static(b"abc"))
            .send()
    };
    put("plain", None).await.unwrap();
    put("gz", Some("aws-chunked,gzip")).await.unwrap();
    put("only", Some("aws-chunked")).await.unwrap();

    // The SDK sends application/octet-stream when no type is given; a
    // PUT without any is in gateway_client_gaps_raw.rs.
    let gz = s3.head_object().bucket("entity").key("gz").send().await.unwrap();
    assert_eq!(gz.content_encoding(), Some("gzip"));
    let only = s3.get_object().bucket("entity").key("only").send().await.unwrap();
    assert_eq!(only.content_encoding(), None);
    stack.stop().await;
}

#[tokio::test]
async fn list_objects_v1_prefix_is_encoded_only_when_asked() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "v1prefix").await;
    let key = "dir with space/ü+x";
    s3.put_object()
        .bucket("v1prefix")
        .key(key)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let prefix = "dir with space/";
    let plain = s3.list_objects().bucket("v1prefix").prefix(prefix).send().await.unwrap();
    assert_eq!(plain.prefix(), Some(prefix));
    assert_eq!(plain.contents()[0].key(), Some(key));
    // With encoding-type=url both are percent-encoded (the Rust SDK
    // leaves them so).
    let url = s3
        .list_objects()
        .bucket("v1prefix")
        .prefix(prefix)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(url.prefix(), Some("dir%20with%20space/"));
    assert_eq!(url.contents()[0].key(), Some("dir%20with%20space/%C3%BC%2Bx"));
    stack.stop().await;
}

#[tokio::test]
async fn complete_listing_a_part_twice_and_part_numbers_past_the_parts() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "parts").await;
    let up = s3.create_multipart_upload().bucket("parts").key("mp").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let big = vec![b'a'; 5 * 1024 * 1024];
    let mut parts = Vec::new();
    for (n, body) in [(1, big.clone()), (2, b"tail".to_vec())] {
        let p = s3
            .upload_part()
            .bucket("parts")
            .key("mp")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
        parts.push(CompletedPart::builder().part_number(n).e_tag(p.e_tag().unwrap()).build());
    }
    let twice = vec![parts[0].clone(), parts[0].clone(), parts[1].clone()];
    let e = s3
        .complete_multipart_upload()
        .bucket("parts")
        .key("mp")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(twice)).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidPartOrder"), "{e:?}");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    s3.complete_multipart_upload()
        .bucket("parts")
        .key("mp")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();

    let get = s3.get_object().bucket("parts").key("mp").part_number(2).send().await.unwrap();
    assert_eq!(get.parts_count(), Some(2));
    let e = s3.get_object().bucket("parts").key("mp").part_number(3).send().await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidPartNumber"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(416));
    let e = s3.head_object().bucket("parts").key("mp").part_number(3).send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(416));
    // A single-part object has part 1 only.
    s3.put_object()
        .bucket("parts")
        .key("one")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let e = s3.get_object().bucket("parts").key("one").part_number(2).send().await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidPartNumber"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(416));
    stack.stop().await;
}
