//! UploadPartCopy end to end through a real tracker + storage + gateway,
//! driven by `aws-sdk-s3`: ranged copies of a single-file source and of a
//! multipart source (a range across its part boundary), and the errors.

mod support;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use support::{SECRET, Stack, body, make_bucket};

const MIB: usize = 1024 * 1024;

async fn create(s3: &Client, bucket: &str, key: &str) -> String {
    let out = s3.create_multipart_upload().bucket(bucket).key(key).send().await.unwrap();
    out.upload_id().unwrap().to_string()
}

/// UploadPartCopy of `range` of `src` as part `n`; the part's ETag.
async fn copy_part(
    s3: &Client,
    (bucket, key, upload): (&str, &str, &str),
    n: i32,
    src: &str,
    range: Option<&str>,
) -> Result<String, String> {
    let out = s3
        .upload_part_copy()
        .bucket(bucket)
        .key(key)
        .upload_id(upload)
        .part_number(n)
        .copy_source(src)
        .set_copy_source_range(range.map(str::to_string))
        .send()
        .await
        .map_err(|e| e.code().unwrap_or("?").to_string())?;
    let result = out.copy_part_result().unwrap();
    assert!(result.last_modified().is_some());
    Ok(result.e_tag().unwrap().to_string())
}

async fn complete(s3: &Client, bucket: &str, key: &str, upload: &str, etags: &[String]) {
    let parts = etags
        .iter()
        .enumerate()
        .map(|(i, e)| {
            CompletedPart::builder().part_number(i32::try_from(i + 1).unwrap()).e_tag(e).build()
        })
        .collect();
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    let raw: [u8; 16] = md5::Md5::digest(data).into();
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_copied_from_objects() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "src").await;
    make_bucket(&s3, "dst").await;
    let data: Vec<u8> = (0..6 * MIB).map(|i| (i % 251) as u8 ^ (i >> 16) as u8).collect();
    s3.put_object()
        .bucket("src")
        .key("big")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();

    // Two ranged copies make the whole object again.
    let upload = create(&s3, "dst", "copy").await;
    let to = ("dst", "copy", upload.as_str());
    let first = format!("bytes=0-{}", 5 * MIB - 1);
    let second = format!("bytes={}-{}", 5 * MIB, 6 * MIB - 1);
    let e1 = copy_part(&s3, to, 1, "src/big", Some(&first)).await.unwrap();
    let e2 = copy_part(&s3, to, 2, "src/big", Some(&second)).await.unwrap();
    assert_eq!(e1.trim_matches('"'), md5_hex(&data[..5 * MIB]));
    assert_eq!(e2.trim_matches('"'), md5_hex(&data[5 * MIB..]));

    // Range errors: past the end, and malformed.
    let past = format!("bytes=0-{}", 6 * MIB);
    assert_eq!(copy_part(&s3, to, 3, "src/big", Some(&past)).await.unwrap_err(), "InvalidRange");
    assert_eq!(
        copy_part(&s3, to, 3, "src/big", Some("bytes=5-1")).await.unwrap_err(),
        "InvalidArgument"
    );
    // Unknown source, upload and bucket.
    assert_eq!(copy_part(&s3, to, 3, "src/none", None).await.unwrap_err(), "NoSuchKey");
    assert_eq!(copy_part(&s3, to, 3, "nobucket/big", None).await.unwrap_err(), "NoSuchBucket");
    let gone = ("dst", "copy", "no-such-upload");
    assert_eq!(copy_part(&s3, gone, 1, "src/big", None).await.unwrap_err(), "NoSuchUpload");
    // A failing copy-source condition.
    let refused = s3
        .upload_part_copy()
        .bucket("dst")
        .key("copy")
        .upload_id(&upload)
        .part_number(3)
        .copy_source("src/big")
        .copy_source_if_match("\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("PreconditionFailed"));

    complete(&s3, "dst", "copy", &upload, &[e1, e2]).await;
    let got = body(s3.get_object().bucket("dst").key("copy").send().await.unwrap()).await;
    assert!(got == data, "the copy differs from its source");

    // A multipart source: a range across its part boundary, and the whole.
    let upload = create(&s3, "dst", "again").await;
    let to = ("dst", "again", upload.as_str());
    let (lo, hi) = (5 * MIB - 1000, 5 * MIB + 999);
    let across = format!("bytes={lo}-{hi}");
    let e1 = copy_part(&s3, to, 1, "dst/copy", None).await.unwrap();
    let e2 = copy_part(&s3, to, 2, "dst/copy", Some(&across)).await.unwrap();
    assert_eq!(e2.trim_matches('"'), md5_hex(&data[lo..=hi]));
    complete(&s3, "dst", "again", &upload, &[e1, e2]).await;
    let got = body(s3.get_object().bucket("dst").key("again").send().await.unwrap()).await;
    assert_eq!(got.len(), data.len() + 2000);
    assert!(got[..data.len()] == data[..] && got[data.len()..] == data[lo..=hi]);

    stack.stop().await;
}
