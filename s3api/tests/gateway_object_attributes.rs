//! GetObjectAttributes end to end through a real tracker + storage +
//! gateway with `aws-sdk-s3`: the attributes asked for and only those, a
//! multipart object's parts paged with their checksums, the SSE-C key
//! required as GET requires it, and S3's errors for bad requests.

mod support;

use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload, CompletedPart, ObjectAttributes,
    ServerSideEncryption, StorageClass,
};
use aws_sdk_s3::{Client, operation::get_object_attributes::GetObjectAttributesOutput};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use sha2::Sha256;
use support::{SECRET, Stack, make_bucket};

type Raw = aws_sdk_s3::config::http::HttpResponse;

fn failure<E: ProvideErrorMetadata>(e: &SdkError<E, Raw>) -> (u16, String) {
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (status, e.code().unwrap_or("-").to_string())
}

const ALL: [ObjectAttributes; 5] = [
    ObjectAttributes::Etag,
    ObjectAttributes::Checksum,
    ObjectAttributes::ObjectParts,
    ObjectAttributes::StorageClass,
    ObjectAttributes::ObjectSize,
];

async fn attributes(
    s3: &Client,
    bucket: &str,
    key: &str,
    which: &[ObjectAttributes],
) -> GetObjectAttributesOutput {
    s3.get_object_attributes()
        .bucket(bucket)
        .key(key)
        .set_object_attributes(Some(which.to_vec()))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_single_file_object() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "attrs").await;
    let data = b"attributes, not bytes".to_vec();
    let put = s3
        .put_object()
        .bucket("attrs")
        .key("dir/one")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let head = s3.head_object().bucket("attrs").key("dir/one").send().await.unwrap();

    let out = attributes(&s3, "attrs", "dir/one", &ALL).await;
    // s3s quotes the element (S3 does not); the value is the same.
    assert_eq!(out.e_tag().map(|e| e.trim_matches('"')), put.e_tag().map(|e| e.trim_matches('"')));
    assert_eq!(out.object_size(), Some(data.len() as i64));
    assert_eq!(out.storage_class(), Some(&StorageClass::Standard));
    assert_eq!(out.last_modified(), head.last_modified());
    let sum = out.checksum().unwrap();
    assert_eq!(sum.checksum_sha256(), Some(STANDARD.encode(Sha256::digest(&data)).as_str()));
    assert_eq!(sum.checksum_type(), Some(&ChecksumType::FullObject));
    assert!(out.object_parts().is_none(), "a single-file object has no parts");

    // Only what is asked for.
    let out = attributes(&s3, "attrs", "dir/one", &[ObjectAttributes::ObjectSize]).await;
    assert_eq!(out.object_size(), Some(data.len() as i64));
    assert!(out.e_tag().is_none() && out.checksum().is_none() && out.storage_class().is_none());
    assert!(out.last_modified().is_some(), "Last-Modified is a header, always sent");
    stack.stop().await;
}

/// Parts of `sizes` bytes, uploaded with CRC32 when `crc` is set; returns
/// the completed parts' CRC32s.
async fn multipart(s3: &Client, key: &str, sizes: &[usize], crc: bool) -> Vec<Option<String>> {
    let mut create = s3.create_multipart_upload().bucket("attrs").key(key);
    if crc {
        create = create.checksum_algorithm(ChecksumAlgorithm::Crc32);
    }
    let up = create.send().await.unwrap();
    let id = up.upload_id().unwrap();
    let (mut done, mut sums) = (Vec::new(), Vec::new());
    for (i, &size) in sizes.iter().enumerate() {
        let n = i32::try_from(i).unwrap() + 1;
        let mut req = s3
            .upload_part()
            .bucket("attrs")
            .key(key)
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(vec![b'a' + n as u8; size]));
        if crc {
            req = req.checksum_algorithm(ChecksumAlgorithm::Crc32);
        }
        let out = req.send().await.unwrap();
        sums.push(out.checksum_crc32().map(str::to_string));
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .set_checksum_crc32(out.checksum_crc32().map(str::to_string))
                .build(),
        );
    }
    let list = CompletedMultipartUpload::builder().set_parts(Some(done)).build();
    s3.complete_multipart_upload()
        .bucket("attrs")
        .key(key)
        .upload_id(id)
        .multipart_upload(list)
        .send()
        .await
        .unwrap();
    sums
}

#[tokio::test]
async fn multipart_parts_are_listed_and_paged() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "attrs").await;
    let mib5 = 5 * 1024 * 1024;
    let sums = multipart(&s3, "mp", &[mib5, mib5, 7], true).await;
    let completed = s3.head_object().bucket("attrs").key("mp").send().await.unwrap();

    let out = s3
        .get_object_attributes()
        .bucket("attrs")
        .key("mp")
        .set_object_attributes(Some(ALL.to_vec()))
        .max_parts(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.e_tag().map(|e| e.trim_matches('"')),
        completed.e_tag().map(|e| e.trim_matches('"'))
    );
    assert_eq!(out.object_size(), Some(2 * mib5 as i64 + 7));
    // The composite checksum, without HeadObject's `-3`.
    let sum = out.checksum().unwrap();
    assert_eq!(sum.checksum_type(), Some(&ChecksumType::Composite));
    let crc = sum.checksum_crc32().unwrap();
    assert!(!crc.contains('-') && crc.ends_with('='), "{crc}");
    let parts = out.object_parts().unwrap();
    assert_eq!(parts.total_parts_count(), Some(3));
    assert_eq!(parts.is_truncated(), Some(true));
    assert_eq!(parts.max_parts(), Some(2));
    assert_eq!(parts.next_part_number_marker(), Some("2"));
    let listed = parts.parts();
    assert_eq!(listed.len(), 2);
    for (i, p) in listed.iter().enumerate() {
        assert_eq!(p.part_number(), Some(i as i32 + 1));
        assert_eq!(p.size(), Some(mib5 as i64));
        assert_eq!(p.checksum_crc32(), sums[i].as_deref());
    }
    // The next page, from the marker.
    let out = s3
        .get_object_attributes()
        .bucket("attrs")
        .key("mp")
        .object_attributes(ObjectAttributes::ObjectParts)
        .part_number_marker("2")
        .send()
        .await
        .unwrap();
    let parts = out.object_parts().unwrap();
    assert_eq!(parts.is_truncated(), Some(false));
    assert_eq!(parts.part_number_marker(), Some("2"));
    let listed = parts.parts();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].part_number(), listed[0].size()), (Some(3), Some(7)));
    assert_eq!(listed[0].checksum_crc32(), sums[2].as_deref());

    // Without checksums S3 gives the count but no part list. (The SDK
    // sends CRC32s by default: a client that sends them only when
    // required.)
    let bare = s3
        .config()
        .to_builder()
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .build();
    let bare = Client::from_conf(bare);
    multipart(&bare, "plain-mp", &[mib5, 3], false).await;
    let out = attributes(&s3, "attrs", "plain-mp", &ALL).await;
    assert!(out.checksum().is_none());
    let parts = out.object_parts().unwrap();
    assert_eq!(parts.total_parts_count(), Some(2));
    assert!(parts.parts().is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn bad_requests_get_s3_errors() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "attrs").await;
    s3.put_object()
        .bucket("attrs")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let ask = |which: Vec<ObjectAttributes>, key: &'static str| {
        s3.get_object_attributes()
            .bucket("attrs")
            .key(key)
            .set_object_attributes(Some(which))
            .send()
    };
    let unknown = ask(vec![ObjectAttributes::from("Colour")], "k").await.unwrap_err();
    assert_eq!(failure(&unknown), (400, "InvalidArgument".into()));
    let mixed = ask(vec![ObjectAttributes::Etag, ObjectAttributes::from("etag")], "k");
    assert_eq!(failure(&mixed.await.unwrap_err()), (400, "InvalidArgument".into()));
    // No attribute header at all.
    let none = ask(vec![], "k").await.unwrap_err();
    assert_eq!(failure(&none).0, 400);
    let missing = ask(vec![ObjectAttributes::Etag], "nope").await.unwrap_err();
    assert_eq!(failure(&missing), (404, "NoSuchKey".into()));
    let version = s3
        .get_object_attributes()
        .bucket("attrs")
        .key("k")
        .version_id("3HL4kqtJlcpXroDTDmJ3HL4kqtJlcpXr")
        .object_attributes(ObjectAttributes::Etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&version), (404, "NoSuchVersion".into()));
    // A version ID of a form the gateway never makes is malformed, as on AWS.
    let malformed = s3
        .get_object_attributes()
        .bucket("attrs")
        .key("k")
        .version_id("3HL4kqtJlcpXroDTDmJ")
        .object_attributes(ObjectAttributes::Etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&malformed), (400, "InvalidArgument".into()));
    let null = s3
        .get_object_attributes()
        .bucket("attrs")
        .key("k")
        .version_id("null")
        .object_attributes(ObjectAttributes::ObjectSize)
        .send()
        .await
        .unwrap();
    assert_eq!(null.object_size(), Some(1));
    let negative = s3
        .get_object_attributes()
        .bucket("attrs")
        .key("k")
        .object_attributes(ObjectAttributes::ObjectParts)
        .max_parts(-1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&negative), (400, "InvalidArgument".into()));
    stack.stop().await;
}

fn customer(seed: u8) -> (String, String) {
    let key = [seed; 32];
    (STANDARD.encode(key), STANDARD.encode(Md5::digest(key)))
}

#[tokio::test]
async fn an_sse_c_object_needs_its_key() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "attrs").await;
    let (key, md5) = customer(5);
    let data = vec![9u8; 70_000];
    s3.put_object()
        .bucket("attrs")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let with = |k: Option<(String, String)>| {
        let mut r = s3
            .get_object_attributes()
            .bucket("attrs")
            .key("c")
            .object_attributes(ObjectAttributes::ObjectSize);
        if let Some((key, md5)) = k {
            r = r.sse_customer_algorithm("AES256").sse_customer_key(key).sse_customer_key_md5(md5);
        }
        r.send()
    };
    assert_eq!(failure(&with(None).await.unwrap_err()), (400, "InvalidRequest".into()));
    let wrong = with(Some(customer(6))).await.unwrap_err();
    assert_eq!(failure(&wrong), (403, "AccessDenied".into()));
    let ok = with(Some((key, md5))).await.unwrap();
    assert_eq!(ok.object_size(), Some(data.len() as i64));

    // SSE-S3 needs nothing from the client.
    s3.put_object()
        .bucket("attrs")
        .key("s")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let out = attributes(&s3, "attrs", "s", &[ObjectAttributes::ObjectSize]).await;
    assert_eq!(out.object_size(), Some(data.len() as i64));
    stack.stop().await;
}
