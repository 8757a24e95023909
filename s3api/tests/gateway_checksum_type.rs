//! Multipart checksum types through aws-sdk-s3: FULL_OBJECT uploads of
//! CRC32, CRC32C and CRC64NVME complete with the CRC of the whole object
//! (combined from the parts', checked here over the bytes), COMPOSITE ones
//! with `base64-N`; the type is answered on Complete, HEAD/GET with
//! ChecksumMode ENABLED and GetObjectAttributes. Wrong pairings,
//! mismatched part or whole-object checksums and malformed values are
//! refused as AWS refuses them.

mod support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
    ObjectAttributes,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use support::{SECRET, Stack, make_bucket};

const BUCKET: &str = "sumtypes";

/// Two parts: 5 MiB and a tail.
fn parts() -> [Vec<u8>; 2] {
    let first: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    [first, b"the tail of the object".to_vec()]
}

/// The base64 CRC of `data` as S3 sends it.
fn crc_of(algorithm: &ChecksumAlgorithm, data: &[u8]) -> String {
    match algorithm {
        ChecksumAlgorithm::Crc32 => STANDARD.encode(crc32fast::hash(data).to_be_bytes()),
        ChecksumAlgorithm::Crc32C => STANDARD.encode(crc32c::crc32c(data).to_be_bytes()),
        ChecksumAlgorithm::Crc64Nvme => {
            let crc = crc::Crc::<u64>::new(&crc::CRC_64_NVME).checksum(data);
            STANDARD.encode(crc.to_be_bytes())
        }
        other => panic!("not a CRC: {other:?}"),
    }
}

/// The part's checksum of `algorithm` from the UploadPart reply.
fn part_checksum(
    algorithm: &ChecksumAlgorithm,
    out: &aws_sdk_s3::operation::upload_part::UploadPartOutput,
) -> Option<String> {
    match algorithm {
        ChecksumAlgorithm::Crc32 => out.checksum_crc32(),
        ChecksumAlgorithm::Crc32C => out.checksum_crc32_c(),
        ChecksumAlgorithm::Crc64Nvme => out.checksum_crc64_nvme(),
        ChecksumAlgorithm::Sha1 => out.checksum_sha1(),
        ChecksumAlgorithm::Sha256 => out.checksum_sha256(),
        _ => None,
    }
    .map(str::to_string)
}

/// `part` listing `value` as its checksum of `algorithm`.
fn with_checksum(
    part: CompletedPart,
    algorithm: &ChecksumAlgorithm,
    value: String,
) -> CompletedPart {
    let b = CompletedPart::builder()
        .set_part_number(part.part_number())
        .set_e_tag(part.e_tag().map(str::to_string));
    match algorithm {
        ChecksumAlgorithm::Crc32 => b.checksum_crc32(value),
        ChecksumAlgorithm::Crc32C => b.checksum_crc32_c(value),
        ChecksumAlgorithm::Crc64Nvme => b.checksum_crc64_nvme(value),
        ChecksumAlgorithm::Sha1 => b.checksum_sha1(value),
        _ => b.checksum_sha256(value),
    }
    .build()
}

/// Creates an upload of `key` with `algorithm` and `kind`, uploads the two
/// parts and returns its ID and the listed parts (with their checksums).
async fn upload(
    s3: &aws_sdk_s3::Client,
    key: &str,
    algorithm: &ChecksumAlgorithm,
    kind: Option<ChecksumType>,
) -> (String, Vec<CompletedPart>) {
    let created = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .checksum_algorithm(algorithm.clone())
        .set_checksum_type(kind.clone())
        .send()
        .await
        .unwrap();
    let id = created.upload_id().unwrap().to_string();
    if let Some(kind) = kind {
        assert_eq!(created.checksum_type(), Some(&kind));
    }
    let mut listed = Vec::new();
    for (i, data) in parts().into_iter().enumerate() {
        let n = i as i32 + 1;
        let out = s3
            .upload_part()
            .bucket(BUCKET)
            .key(key)
            .upload_id(&id)
            .part_number(n)
            .checksum_algorithm(algorithm.clone())
            .body(ByteStream::from(data))
            .send()
            .await
            .unwrap();
        let value = part_checksum(algorithm, &out).expect("the part's checksum is echoed");
        let part = CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build();
        listed.push(with_checksum(part, algorithm, value));
    }
    (id, listed)
}

#[tokio::test]
async fn full_object_crcs_are_the_whole_objects() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let whole = parts().concat();
    for algorithm in
        [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32C, ChecksumAlgorithm::Crc64Nvme]
    {
        let key = format!("full-{}", algorithm.as_str());
        let (id, listed) = upload(&s3, &key, &algorithm, Some(ChecksumType::FullObject)).await;
        let expected = crc_of(&algorithm, &whole);
        let mut complete = s3
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key(&key)
            .upload_id(&id)
            .checksum_type(ChecksumType::FullObject)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(listed)).build());
        complete = match algorithm {
            ChecksumAlgorithm::Crc32 => complete.checksum_crc32(&expected),
            ChecksumAlgorithm::Crc32C => complete.checksum_crc32_c(&expected),
            _ => complete.checksum_crc64_nvme(&expected),
        };
        let done = complete.send().await.unwrap();
        assert_eq!(done.checksum_type(), Some(&ChecksumType::FullObject), "{algorithm:?}");
        let got = match algorithm {
            ChecksumAlgorithm::Crc32 => done.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => done.checksum_crc32_c(),
            _ => done.checksum_crc64_nvme(),
        };
        assert_eq!(got, Some(expected.as_str()), "{algorithm:?}");

        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(head.checksum_type(), Some(&ChecksumType::FullObject));
        let attrs = s3
            .get_object_attributes()
            .bucket(BUCKET)
            .key(&key)
            .object_attributes(ObjectAttributes::Checksum)
            .object_attributes(ObjectAttributes::ObjectParts)
            .send()
            .await
            .unwrap();
        let sum = attrs.checksum().unwrap();
        assert_eq!(sum.checksum_type(), Some(&ChecksumType::FullObject));
        assert_eq!(attrs.object_parts().and_then(|p| p.total_parts_count()), Some(2));
    }
    stack.stop().await;
}

#[tokio::test]
async fn composite_types_and_refusals() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;

    // SHA256 defaults to COMPOSITE: base64-N.
    let (id, listed) = upload(&s3, "composite", &ChecksumAlgorithm::Sha256, None).await;
    let done = s3
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("composite")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(listed)).build())
        .send()
        .await
        .unwrap();
    assert_eq!(done.checksum_type(), Some(&ChecksumType::Composite));
    assert!(done.checksum_sha256().is_some_and(|v| v.ends_with("-2")), "{done:?}");

    // Pairings AWS refuses.
    for (algorithm, kind) in [
        (ChecksumAlgorithm::Crc64Nvme, ChecksumType::Composite),
        (ChecksumAlgorithm::Sha1, ChecksumType::FullObject),
        (ChecksumAlgorithm::Sha256, ChecksumType::FullObject),
    ] {
        let e = s3
            .create_multipart_upload()
            .bucket(BUCKET)
            .key("refused")
            .checksum_algorithm(algorithm.clone())
            .checksum_type(kind.clone())
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("InvalidRequest"), "{algorithm:?} {kind:?}");
        assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    }

    // A part checksum that is not the part's: InvalidPart; a whole-object
    // value that is not the object's: BadDigest. The upload survives both.
    let crc = ChecksumAlgorithm::Crc32;
    let (id, listed) = upload(&s3, "checked", &crc, Some(ChecksumType::FullObject)).await;
    // ListParts and ListMultipartUploads name the upload's choice.
    let page = s3.list_parts().bucket(BUCKET).key("checked").upload_id(&id).send().await.unwrap();
    assert_eq!(page.checksum_algorithm(), Some(&crc));
    assert_eq!(page.checksum_type(), Some(&ChecksumType::FullObject));
    let uploads = s3.list_multipart_uploads().bucket(BUCKET).send().await.unwrap();
    let listed_upload = uploads.uploads().iter().find(|u| u.upload_id() == Some(id.as_str()));
    assert_eq!(listed_upload.and_then(|u| u.checksum_type()), Some(&ChecksumType::FullObject));
    let mut wrong = listed.clone();
    wrong[1] = with_checksum(wrong[1].clone(), &crc, crc_of(&crc, b"other bytes"));
    let complete = |parts: Vec<CompletedPart>, whole: Option<String>| {
        s3.complete_multipart_upload()
            .bucket(BUCKET)
            .key("checked")
            .upload_id(&id)
            .set_checksum_crc32(whole)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
    };
    let e = complete(wrong, None).await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidPart"));
    let e = complete(listed.clone(), Some(crc_of(&crc, b"not the object"))).await.unwrap_err();
    assert_eq!(e.code(), Some("BadDigest"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    let whole = crc_of(&crc, &parts().concat());
    let done = complete(listed, Some(whole.clone())).await.unwrap();
    assert_eq!(done.checksum_crc32(), Some(whole.as_str()));

    // A single PUT's checksum is FULL_OBJECT.
    let put = s3
        .put_object()
        .bucket(BUCKET)
        .key("single")
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.checksum_type(), Some(&ChecksumType::FullObject));

    // A malformed value: 400 InvalidRequest, worded as AWS words it.
    let e = s3
        .put_object()
        .bucket(BUCKET)
        .key("malformed")
        .checksum_crc32("not base64!")
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidRequest"), "{e:?}");
    assert_eq!(e.message(), Some("Value for x-amz-checksum-crc32 header is invalid."));
    stack.stop().await;
}
