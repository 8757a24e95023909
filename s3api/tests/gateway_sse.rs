//! Server-side encryption end to end through a real tracker + storage +
//! gateway with `aws-sdk-s3`: SSE-S3 and SSE-C on PUT, GET, ranged GET and
//! HEAD; the stored file holds no plaintext; a missing SSE-C key is 400,
//! a wrong one 403; a tampered file is an error, never wrong bytes; what
//! is not built (SSE-KMS, object lock) is refused with S3's errors.

mod support;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectLockMode, ServerSideEncryption};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use support::{SECRET, Stack, body, make_bucket};

type Raw = aws_sdk_s3::config::http::HttpResponse;

/// The HTTP status and error code of a failed call.
fn failure<E: ProvideErrorMetadata>(e: &SdkError<E, Raw>) -> (u16, String) {
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (status, e.code().unwrap_or("-").to_string())
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ (i / 251) as u8).collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// An SSE-C key: (base64 key, base64 MD5).
fn customer(seed: u8) -> (String, String) {
    let key = [seed; 32];
    (STANDARD.encode(key), STANDARD.encode(Md5::digest(key)))
}

/// The bytes the storage keeps for `bucket`/`key` (single-file object).
async fn stored_file(stack: &Stack, bucket: &str, key: &str) -> Vec<u8> {
    let (b, k) = (bucket.to_string(), key.to_string());
    let record = stack.index.read(move |ix| ix.get_object(&b, &k)).await.unwrap();
    let file_id = record.data.file_ids()[0].to_string();
    std::fs::read(disk_path(stack, &file_id)).unwrap()
}

/// Where the storage keeps `file_id` on disk.
fn disk_path(stack: &Stack, file_id: &str) -> std::path::PathBuf {
    // group1/M00/XX/YY/name → storage/data/XX/YY/name
    let rest = file_id.split_once("/M00/").unwrap().1;
    stack.dir.path().join("storage").join("data").join(rest)
}

#[tokio::test]
async fn sse_s3_put_get_range_head() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "enc").await;
    let plain = data(300 * 1024 + 17);
    let put = s3
        .put_object()
        .bucket("enc")
        .key("k")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    // SSE-S3 ETags are the plaintext's MD5, as on AWS.
    assert_eq!(put.e_tag().unwrap(), format!("\"{}\"", md5_hex(&plain)));

    let got = s3.get_object().bucket("enc").key("k").send().await.unwrap();
    assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(body(got).await, plain);
    for (a, b) in
        [(0usize, 0usize), (70_000, 200_000), (65_535, 65_536), (plain.len() - 5, plain.len() - 1)]
    {
        let got = s3
            .get_object()
            .bucket("enc")
            .key("k")
            .range(format!("bytes={a}-{b}"))
            .send()
            .await
            .unwrap();
        assert_eq!(body(got).await, &plain[a..=b], "range {a}-{b}");
    }
    let head = s3.head_object().bucket("enc").key("k").send().await.unwrap();
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(head.content_length(), Some(plain.len() as i64));

    // On the storage: ciphertext only, no 32-byte run of the plaintext.
    let raw = stored_file(&stack, "enc", "k").await;
    assert!(raw.len() > plain.len());
    for at in [0, 4096, 65_536, 100_000, 300 * 1024 - 32] {
        assert!(!raw.windows(32).any(|w| w == &plain[at..at + 32]), "plaintext at {at}");
    }
    stack.stop().await;
}

#[tokio::test]
async fn sse_c_keys_are_checked() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "encc").await;
    let plain = data(150 * 1024);
    let (key, md5) = customer(7);
    let put = s3
        .put_object()
        .bucket("encc")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.sse_customer_key_md5(), Some(md5.as_str()));
    assert_ne!(put.e_tag().unwrap(), format!("\"{}\"", md5_hex(&plain)));

    let get = |k: Option<(String, String)>| {
        let s3: Client = s3.clone();
        async move {
            let mut r = s3.get_object().bucket("encc").key("c");
            if let Some((key, md5)) = k {
                r = r
                    .sse_customer_algorithm("AES256")
                    .sse_customer_key(key)
                    .sse_customer_key_md5(md5);
            }
            r.send().await
        }
    };
    let ok = get(Some((key.clone(), md5.clone()))).await.unwrap();
    assert_eq!(ok.sse_customer_key_md5(), Some(md5.as_str()));
    assert_eq!(ok.e_tag(), put.e_tag());
    assert_eq!(body(ok).await, plain);
    assert_eq!(failure(&get(None).await.unwrap_err()), (400, "InvalidRequest".into()));
    assert_eq!(failure(&get(Some(customer(8))).await.unwrap_err()), (403, "AccessDenied".into()));

    let ranged = s3
        .get_object()
        .bucket("encc")
        .key("c")
        .range("bytes=65000-140000")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(body(ranged).await, &plain[65_000..=140_000]);

    let head = s3.head_object().bucket("encc").key("c").send().await.unwrap_err();
    assert_eq!(head.raw_response().unwrap().status().as_u16(), 400);
    let head = s3
        .head_object()
        .bucket("encc")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(head.sse_customer_algorithm(), Some("AES256"));

    // A key whose MD5 does not match is refused before anything is stored.
    let bad = s3
        .put_object()
        .bucket("encc")
        .key("bad")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(customer(9).1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&bad), (400, "InvalidArgument".into()));

    // SSE-C parameters on a plain object are refused.
    s3.put_object()
        .bucket("encc")
        .key("plain")
        .body(ByteStream::from_static(b"p"))
        .send()
        .await
        .unwrap();
    let r = s3
        .get_object()
        .bucket("encc")
        .key("plain")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&r), (400, "InvalidRequest".into()));

    let raw = stored_file(&stack, "encc", "c").await;
    assert!(!raw.windows(32).any(|w| w == &plain[1000..1032]));
    stack.stop().await;
}

#[tokio::test]
async fn a_tampered_file_is_an_error_not_wrong_bytes() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "tamp").await;
    let plain = data(200 * 1024);
    s3.put_object()
        .bucket("tamp")
        .key("t")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();
    let record = stack.index.read(|ix| ix.get_object("tamp", "t")).await.unwrap();
    let path = disk_path(&stack, record.data.file_ids()[0]);
    let mut raw = std::fs::read(&path).unwrap();
    raw[32 + 65_536 + 16 + 10] ^= 1; // inside the second segment
    std::fs::write(&path, &raw).unwrap();

    // The first segment still reads; the second fails the body.
    let first = s3.get_object().bucket("tamp").key("t").range("bytes=0-1000").send().await.unwrap();
    assert_eq!(body(first).await, &plain[..=1000]);
    let whole = s3.get_object().bucket("tamp").key("t").send().await;
    let got = match whole {
        Ok(out) => out.body.collect().await.map(|b| b.into_bytes().to_vec()),
        Err(e) => panic!("{e:?}"),
    };
    assert!(got.is_err(), "a tampered object must not read in full");
    let second = s3.get_object().bucket("tamp").key("t").range("bytes=70000-70100").send().await;
    if let Ok(out) = second {
        assert!(out.body.collect().await.is_err());
    }
    stack.stop().await;
}

#[tokio::test]
async fn what_is_not_built_is_refused() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "refuse").await;
    let kms = s3
        .put_object()
        .bucket("refuse")
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&kms), (501, "NotImplemented".into()));
    let kms = s3
        .create_multipart_upload()
        .bucket("refuse")
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKmsDsse)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&kms), (501, "NotImplemented".into()));
    let lock = s3
        .put_object()
        .bucket("refuse")
        .key("k")
        .object_lock_mode(ObjectLockMode::Governance)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&lock), (400, "InvalidRequest".into()));
    let lock = s3
        .copy_object()
        .bucket("refuse")
        .key("k2")
        .copy_source("refuse/k")
        .object_lock_legal_hold_status(aws_sdk_s3::types::ObjectLockLegalHoldStatus::On)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&lock), (400, "InvalidRequest".into()));
    let (key, md5) = customer(1);
    let both = s3
        .put_object()
        .bucket("refuse")
        .key("k")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&both), (400, "InvalidArgument".into()));
    let algo = s3
        .put_object()
        .bucket("refuse")
        .key("k")
        .sse_customer_algorithm("AES128")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&algo), (400, "InvalidEncryptionAlgorithmError".into()));
    // Nothing was stored by any of them.
    assert!(s3.head_object().bucket("refuse").key("k").send().await.is_err());
    stack.stop().await;
}

/// The envelope (wrapped key only) and ETag ride in the file's tags, so a
/// rebuilt index serves encrypted objects; the tags never hold a clear
/// key.
#[tokio::test]
async fn rebuild_index_restores_encrypted_objects() {
    use fdfs_protocol::client::{Pool, StorageClient, TrackerClient, storage_socket_addr};
    use fdfs_s3api::rebuild::rebuild_index;

    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "rbe").await;
    let plain = data(70_000);
    s3.put_object()
        .bucket("rbe")
        .key("s3")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();
    let (key, md5) = customer(3);
    let c_put = s3
        .put_object()
        .bucket("rbe")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();

    // The tags hold the wrapped key, never the customer's key.
    let pool = Pool::default();
    let (tracker, storage) =
        (TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap(), StorageClient::new(pool));
    let record = stack.index.read(|ix| ix.get_object("rbe", "c")).await.unwrap();
    let (group, name) = record.data.file_ids()[0].split_once('/').unwrap();
    let target = tracker.query_update(group, name).await.unwrap();
    let addr = storage_socket_addr(&target.storage).unwrap();
    let tags = storage.get_metadata(addr, group, name).await.unwrap();
    for (_, v) in tags.iter() {
        assert!(!v.windows(key.len()).any(|w| w == key.as_bytes()));
    }

    let fresh = stack.dir.path().join("rebuilt");
    std::fs::create_dir_all(&fresh).unwrap();
    // The master key is the operator's to carry over with the index.
    std::fs::copy(stack.dir.path().join("gateway").join("master.key"), fresh.join("master.key"))
        .unwrap();
    let report = rebuild_index(&tracker, &storage, &fresh).await.unwrap();
    assert_eq!(report.objects, 2, "{report:?}");
    let (s3b, trigger) = stack.gateway_on(fresh).await;
    let got =
        s3b.get_object().bucket("rbe").key("s3").range("bytes=60000-69999").send().await.unwrap();
    assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(got.e_tag().unwrap(), format!("\"{}\"", md5_hex(&plain)));
    assert_eq!(body(got).await, &plain[60_000..]);
    let got = s3b
        .get_object()
        .bucket("rbe")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), c_put.e_tag());
    assert_eq!(got.content_length(), Some(plain.len() as i64));
    assert_eq!(body(got).await, plain);
    let no_key = s3b.get_object().bucket("rbe").key("c").send().await.unwrap_err();
    assert_eq!(failure(&no_key), (400, "InvalidRequest".into()));
    trigger.trigger();
    stack.stop().await;
}

/// CopyObject of encrypted objects shares the sealed file and re-wraps
/// only the data key: SSE-C source key checked, destination under its
/// own key, or SSE-S3 when no destination encryption is asked.
#[tokio::test]
async fn copy_rewraps_the_data_key_only() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "cpe").await;
    let plain = data(90_000);
    let (k1, m1) = customer(1);
    let (k2, m2) = customer(2);
    s3.put_object()
        .bucket("cpe")
        .key("src")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();
    // Without the source's key: 400.
    let no_key = s3.copy_object().bucket("cpe").key("d1").copy_source("cpe/src").send().await;
    assert_eq!(failure(&no_key.unwrap_err()), (400, "InvalidRequest".into()));
    // With it, to a new customer key.
    let out = s3
        .copy_object()
        .bucket("cpe")
        .key("d1")
        .copy_source("cpe/src")
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&k1)
        .copy_source_sse_customer_key_md5(&m1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2)
        .sse_customer_key_md5(&m2)
        .send()
        .await
        .unwrap();
    assert_eq!(out.sse_customer_key_md5(), Some(m2.as_str()));
    let with = |key: &str, md5: &str| {
        s3.get_object()
            .bucket("cpe")
            .key("d1")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(key)
            .sse_customer_key_md5(md5)
            .send()
    };
    assert_eq!(body(with(&k2, &m2).await.unwrap()).await, plain);
    assert_eq!(failure(&with(&k1, &m1).await.unwrap_err()), (403, "AccessDenied".into()));
    // Without destination headers the copy is SSE-S3, still readable.
    let out = s3
        .copy_object()
        .bucket("cpe")
        .key("d2")
        .copy_source("cpe/src")
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&k1)
        .copy_source_sse_customer_key_md5(&m1)
        .send()
        .await
        .unwrap();
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let got =
        s3.get_object().bucket("cpe").key("d2").range("bytes=65530-65540").send().await.unwrap();
    assert_eq!(body(got).await, &plain[65_530..=65_540]);
    // O(1): the copies share the source's sealed file.
    let index = &stack.index;
    let ids = |k: &'static str| async move {
        let r = index.read(move |ix| ix.get_object("cpe", k)).await.unwrap();
        r.data.file_ids().into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(ids("d1").await, ids("src").await);
    assert_eq!(ids("d2").await, ids("src").await);
    // A plaintext source cannot be encrypted by copy in this build: 501.
    s3.put_object()
        .bucket("cpe")
        .key("p")
        .body(ByteStream::from_static(b"p"))
        .send()
        .await
        .unwrap();
    let enc = s3
        .copy_object()
        .bucket("cpe")
        .key("p2")
        .copy_source("cpe/p")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&enc), (501, "NotImplemented".into()));
    stack.stop().await;
}

/// Multipart uploads: each part sealed on its own under the upload's data
/// key (bound to its part number); UploadPart needs the SSE-C key of the
/// upload; UploadPartCopy decrypts an encrypted source and re-seals; reads
/// across part boundaries decrypt only what they touch.
#[tokio::test]
async fn multipart_parts_are_sealed() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "mpe").await;
    let (key, md5) = customer(5);
    let part1 = data(5 * 1024 * 1024 + 3);
    let part3 = data(100_000);
    s3.put_object()
        .bucket("mpe")
        .key("src")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(part3.clone()))
        .send()
        .await
        .unwrap();
    let up = s3
        .create_multipart_upload()
        .bucket("mpe")
        .key("m")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert_eq!(up.sse_customer_key_md5(), Some(md5.as_str()));
    let id = up.upload_id().unwrap();
    // A part without the upload's key: 400.
    let no_key = s3
        .upload_part()
        .bucket("mpe")
        .key("m")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&no_key), (400, "InvalidRequest".into()));
    let p1 = s3
        .upload_part()
        .bucket("mpe")
        .key("m")
        .upload_id(id)
        .part_number(1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from(part1.clone()))
        .send()
        .await
        .unwrap();
    assert_ne!(p1.e_tag().unwrap(), format!("\"{}\"", md5_hex(&part1)));
    let p3 = s3
        .upload_part_copy()
        .bucket("mpe")
        .key("m")
        .upload_id(id)
        .part_number(3)
        .copy_source("mpe/src")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    let done = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(p1.e_tag().unwrap()).build())
        .parts(
            CompletedPart::builder()
                .part_number(3)
                .e_tag(p3.copy_part_result().unwrap().e_tag().unwrap())
                .build(),
        )
        .build();
    s3.complete_multipart_upload()
        .bucket("mpe")
        .key("m")
        .upload_id(id)
        .multipart_upload(done)
        .send()
        .await
        .unwrap();
    let whole: Vec<u8> = [part1.clone(), part3.clone()].concat();
    let get = |range: Option<String>| {
        let mut r = s3
            .get_object()
            .bucket("mpe")
            .key("m")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&key)
            .sse_customer_key_md5(&md5);
        if let Some(range) = range {
            r = r.range(range);
        }
        r.send()
    };
    assert_eq!(body(get(None).await.unwrap()).await, whole);
    let (a, b) = (part1.len() - 70_000, part1.len() + 70_000);
    let got = get(Some(format!("bytes={a}-{b}"))).await.unwrap();
    assert_eq!(body(got).await, &whole[a..=b]);
    let no_key = s3.get_object().bucket("mpe").key("m").send().await.unwrap_err();
    assert_eq!(failure(&no_key), (400, "InvalidRequest".into()));
    stack.stop().await;
}

/// A bucket's default encryption: absent → 404 (documented choice); set
/// to AES256 → new objects without headers are SSE-S3; KMS → 501.
#[tokio::test]
async fn bucket_default_encryption() {
    use aws_sdk_s3::types::{
        ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    };
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "bde").await;
    let none = s3.get_bucket_encryption().bucket("bde").send().await.unwrap_err();
    assert_eq!(failure(&none), (404, "ServerSideEncryptionConfigurationNotFoundError".into()));
    let config = |alg: ServerSideEncryption| {
        ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(
                        ServerSideEncryptionByDefault::builder()
                            .sse_algorithm(alg)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
            .unwrap()
    };
    let kms = s3
        .put_bucket_encryption()
        .bucket("bde")
        .server_side_encryption_configuration(config(ServerSideEncryption::AwsKms))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&kms), (501, "NotImplemented".into()));
    s3.put_bucket_encryption()
        .bucket("bde")
        .server_side_encryption_configuration(config(ServerSideEncryption::Aes256))
        .send()
        .await
        .unwrap();
    let got = s3.get_bucket_encryption().bucket("bde").send().await.unwrap();
    let rule = &got.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::Aes256);

    let plain = data(80_000);
    let put = s3
        .put_object()
        .bucket("bde")
        .key("d")
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let raw = stored_file(&stack, "bde", "d").await;
    assert!(!raw.windows(32).any(|w| w == &plain[5000..5032]));
    let got = s3.get_object().bucket("bde").key("d").send().await.unwrap();
    assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(body(got).await, plain);
    // SSE-C still wins over the default.
    let (key, md5) = customer(4);
    let c = s3
        .put_object()
        .bucket("bde")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from_static(b"c"))
        .send()
        .await
        .unwrap();
    assert_eq!(c.server_side_encryption(), None);

    s3.delete_bucket_encryption().bucket("bde").send().await.unwrap();
    assert!(s3.get_bucket_encryption().bucket("bde").send().await.is_err());
    let put = s3.put_object().bucket("bde").key("p").body(ByteStream::from_static(b"p")).send();
    assert_eq!(put.await.unwrap().server_side_encryption(), None);
    stack.stop().await;
}

/// An SSE-S3 multipart upload: CompleteMultipartUpload answers
/// `x-amz-server-side-encryption: AES256` as AWS does, and the object
/// reads back whole with the same header.
#[tokio::test]
async fn an_sse_s3_completion_says_so() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "mps3").await;
    let up = s3
        .create_multipart_upload()
        .bucket("mps3")
        .key("m")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let bytes = data(70_000);
    let part = s3
        .upload_part()
        .bucket("mps3")
        .key("m")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from(bytes.clone()))
        .send()
        .await
        .unwrap();
    let done = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
        .build();
    let completed = s3
        .complete_multipart_upload()
        .bucket("mps3")
        .key("m")
        .upload_id(id)
        .multipart_upload(done)
        .send()
        .await
        .unwrap();
    assert_eq!(completed.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let got = s3.get_object().bucket("mps3").key("m").send().await.unwrap();
    assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(body(got).await, bytes);
}
