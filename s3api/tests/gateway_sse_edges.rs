//! Server-side encryption at its edges, through a real tracker + storage +
//! gateway with `aws-sdk-s3`: an index rebuilt from the storages restores
//! encrypted copies under their own keys; an SSE-C CompleteMultipartUpload
//! answers with the SSE-C headers; a tampered first segment is a clean 500
//! while a later one cuts the body; a bucket encryption configuration
//! that blocks SSE-C is refused, not silently half-applied.

mod support;

use std::sync::{Arc, Mutex};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BlockedEncryptionTypes, CompletedMultipartUpload, CompletedPart, EncryptionType,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use support::{SECRET, Stack, body, make_bucket};

type Raw = aws_sdk_s3::config::http::HttpResponse;

fn failure<E: ProvideErrorMetadata>(e: &SdkError<E, Raw>) -> (u16, String) {
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (status, e.code().unwrap_or("-").to_string())
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ (i / 251) as u8).collect()
}

/// An SSE-C key: (base64 key, base64 MD5).
fn customer(seed: u8) -> (String, String) {
    let key = [seed; 32];
    (STANDARD.encode(key), STANDARD.encode(Md5::digest(key)))
}

/// Where the storage keeps `file_id` on disk.
fn disk_path(stack: &Stack, file_id: &str) -> std::path::PathBuf {
    let rest = file_id.split_once("/M00/").unwrap().1;
    stack.dir.path().join("storage").join("data").join(rest)
}

/// A client that does not retry, so a 500 is seen once.
fn no_retry(s3: &Client) -> Client {
    Client::from_conf(s3.config().to_builder().retry_config(RetryConfig::disabled()).build())
}

/// Copies of an SSE-S3 and an SSE-C object (to SSE-C under another key,
/// and to SSE-S3) survive `rebuild-index`, each readable with its own key.
#[tokio::test]
async fn rebuild_index_restores_encrypted_copies() {
    use fdfs_protocol::client::{Pool, StorageClient, TrackerClient};
    use fdfs_s3api::rebuild::rebuild_index;

    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "rbc").await;
    let plain = data(80_000);
    let (k1, m1) = customer(1);
    let (k2, m2) = customer(2);
    s3.put_object()
        .bucket("rbc")
        .key("s3src")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("rbc")
        .key("csrc")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k1)
        .sse_customer_key_md5(&m1)
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();
    s3.copy_object().bucket("rbc").key("s3copy").copy_source("rbc/s3src").send().await.unwrap();
    let c_copy = || {
        s3.copy_object()
            .bucket("rbc")
            .copy_source("rbc/csrc")
            .copy_source_sse_customer_algorithm("AES256")
            .copy_source_sse_customer_key(&k1)
            .copy_source_sse_customer_key_md5(&m1)
    };
    c_copy()
        .key("ccopy")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k2)
        .sse_customer_key_md5(&m2)
        .send()
        .await
        .unwrap();
    c_copy().key("c2s3").send().await.unwrap();

    let fresh = stack.dir.path().join("rebuilt");
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::copy(stack.dir.path().join("gateway").join("master.key"), fresh.join("master.key"))
        .unwrap();
    let pool = Pool::default();
    let (tracker, storage) =
        (TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap(), StorageClient::new(pool));
    let report = rebuild_index(&tracker, &storage, &fresh).await.unwrap();
    assert_eq!(report.objects, 5, "{report:?}");
    let (s3b, trigger) = stack.gateway_on(fresh).await;
    let get = |key: &'static str, k: Option<(&str, &str)>| {
        let mut r = s3b.get_object().bucket("rbc").key(key);
        if let Some((key, md5)) = k {
            r = r.sse_customer_algorithm("AES256").sse_customer_key(key).sse_customer_key_md5(md5);
        }
        r.send()
    };
    for key in ["s3src", "s3copy", "c2s3"] {
        let got = get(key, None).await.unwrap();
        assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256), "{key}");
        assert_eq!(body(got).await, plain, "{key}");
    }
    assert_eq!(body(get("csrc", Some((&k1, &m1))).await.unwrap()).await, plain);
    let got = get("ccopy", Some((&k2, &m2))).await.unwrap();
    assert_eq!(got.sse_customer_key_md5(), Some(m2.as_str()));
    assert_eq!(body(got).await, plain);
    let wrong = get("ccopy", Some((&k1, &m1))).await.unwrap_err();
    assert_eq!(failure(&wrong), (403, "AccessDenied".into()));
    trigger.trigger();
    stack.stop().await;
}

/// Records every response's headers.
#[derive(Debug, Clone, Default)]
struct Headers(Arc<Mutex<Vec<(String, String)>>>);

impl Headers {
    fn get(&self, name: &str) -> Option<String> {
        let all = self.0.lock().unwrap();
        all.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    }
}

impl Intercept for Headers {
    fn name(&self) -> &'static str {
        "record-headers"
    }

    fn read_before_deserialization(
        &self,
        ctx: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut all = self.0.lock().unwrap();
        all.clear();
        for (name, value) in ctx.response().headers().iter() {
            all.push((name.to_string(), value.to_string()));
        }
        Ok(())
    }
}

const ALG: &str = "x-amz-server-side-encryption-customer-algorithm";
const MD5: &str = "x-amz-server-side-encryption-customer-key-md5";

#[tokio::test]
async fn an_sse_c_completion_answers_with_the_sse_c_headers() {
    let stack = Stack::start().await;
    let seen = Headers::default();
    let base = stack.client(SECRET);
    let s3 = Client::from_conf(base.config().to_builder().interceptor(seen.clone()).build());
    make_bucket(&s3, "mpc").await;
    let (key, md5) = customer(4);
    // An SSE-C upload of one part, completed with (`with`) or without the
    // key, or with the key `other`.
    let upload = |name: &'static str| {
        let (s3, key, md5) = (s3.clone(), key.clone(), md5.clone());
        async move {
            let up = s3
                .create_multipart_upload()
                .bucket("mpc")
                .key(name)
                .sse_customer_algorithm("AES256")
                .sse_customer_key(&key)
                .sse_customer_key_md5(&md5)
                .send()
                .await
                .unwrap();
            let id = up.upload_id().unwrap().to_string();
            let part = s3
                .upload_part()
                .bucket("mpc")
                .key(name)
                .upload_id(&id)
                .part_number(1)
                .sse_customer_algorithm("AES256")
                .sse_customer_key(&key)
                .sse_customer_key_md5(&md5)
                .body(ByteStream::from(data(1000)))
                .send()
                .await
                .unwrap();
            let done = CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build();
            let list = CompletedMultipartUpload::builder().parts(done).build();
            s3.complete_multipart_upload()
                .bucket("mpc")
                .key(name)
                .upload_id(id)
                .multipart_upload(list)
        }
    };
    let out = upload("with")
        .await
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    assert!(out.server_side_encryption().is_none(), "SSE-C is not SSE-S3");
    assert_eq!(seen.get(ALG).as_deref(), Some("AES256"));
    assert_eq!(seen.get(MD5), Some(md5.clone()));

    // Without the key: the algorithm only (the key's MD5 is not stored).
    upload("without").await.send().await.unwrap();
    assert_eq!(seen.get(ALG).as_deref(), Some("AES256"));
    assert_eq!(seen.get(MD5), None);

    // A wrong key is refused before anything completes.
    let (k9, m9) = customer(9);
    let complete = upload("wrong").await;
    let wrong = complete
        .clone()
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&k9)
        .sse_customer_key_md5(&m9)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&wrong), (403, "AccessDenied".into()));
    let missing = s3.head_object().bucket("mpc").key("wrong").send().await.unwrap_err();
    assert_eq!(missing.raw_response().unwrap().status().as_u16(), 404);
    complete.send().await.unwrap();

    // SSE-C headers on an upload that is not SSE-C: 400.
    let up = s3.create_multipart_upload().bucket("mpc").key("plain").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket("mpc")
        .key("plain")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"p"))
        .send()
        .await
        .unwrap();
    let done = CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build();
    let r = s3
        .complete_multipart_upload()
        .bucket("mpc")
        .key("plain")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().parts(done).build())
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&r), (400, "InvalidRequest".into()));
    stack.stop().await;
}

/// Puts a 200 KiB SSE-S3 object and flips a byte of its segment `segment`
/// on the storage's disk.
async fn tampered(stack: &Stack, s3: &Client, key: &'static str, segment: usize) -> Vec<u8> {
    let plain = data(200 * 1024);
    s3.put_object()
        .bucket("tamp")
        .key(key)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(plain.clone()))
        .send()
        .await
        .unwrap();
    let record = stack.index.read(move |ix| ix.get_object("tamp", key)).await.unwrap();
    let path = disk_path(stack, record.data.file_ids()[0]);
    let mut raw = std::fs::read(&path).unwrap();
    raw[32 + segment * (65_536 + 16) + 10] ^= 1;
    std::fs::write(&path, &raw).unwrap();
    plain
}

#[tokio::test]
async fn a_bad_first_segment_is_a_500_a_later_one_cuts_the_body() {
    let stack = Stack::start().await;
    let s3 = no_retry(&stack.client(SECRET));
    make_bucket(&s3, "tamp").await;

    // Segment 0 bad: a GET from the start is a clean 500 before any byte;
    // a range in segment 1 still reads.
    let plain = tampered(&stack, &s3, "first", 0).await;
    let whole = s3.get_object().bucket("tamp").key("first").send().await.unwrap_err();
    assert_eq!(failure(&whole), (500, "InternalError".into()));
    let r = s3.get_object().bucket("tamp").key("first").range("bytes=0-10").send().await;
    assert_eq!(failure(&r.unwrap_err()), (500, "InternalError".into()));
    let ok = s3.get_object().bucket("tamp").key("first").range("bytes=70000-70100").send();
    assert_eq!(body(ok.await.unwrap()).await, &plain[70_000..=70_100]);

    // Segment 1 bad: a range starting there is a 500; a GET from the
    // start sends its headers, then the body breaks off.
    tampered(&stack, &s3, "later", 1).await;
    let r = s3.get_object().bucket("tamp").key("later").range("bytes=70000-70100").send().await;
    assert_eq!(failure(&r.unwrap_err()), (500, "InternalError".into()));
    let whole = s3.get_object().bucket("tamp").key("later").send().await.unwrap();
    assert_eq!(whole.content_length(), Some(200 * 1024));
    assert!(whole.body.collect().await.is_err(), "the body must break off");
    stack.stop().await;
}

#[tokio::test]
async fn blocking_sse_c_per_bucket_is_refused() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "blk").await;
    let rule = |blocked: bool| {
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::Aes256)
            .build()
            .unwrap();
        let mut rule =
            ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(default);
        if blocked {
            let types =
                BlockedEncryptionTypes::builder().encryption_type(EncryptionType::SseC).build();
            rule = rule.blocked_encryption_types(types);
        }
        ServerSideEncryptionConfiguration::builder().rules(rule.build()).build().unwrap()
    };
    let put = |blocked: bool| {
        s3.put_bucket_encryption()
            .bucket("blk")
            .server_side_encryption_configuration(rule(blocked))
            .send()
    };
    let refused = put(true).await.unwrap_err();
    assert_eq!(failure(&refused), (400, "MalformedXML".into()));
    // Nothing of it was applied.
    let none = s3.get_bucket_encryption().bucket("blk").send().await.unwrap_err();
    assert_eq!(failure(&none), (404, "ServerSideEncryptionConfigurationNotFoundError".into()));
    put(false).await.unwrap();
    put(true).await.unwrap_err();
    let got = s3.get_bucket_encryption().bucket("blk").send().await.unwrap();
    let rules = got.server_side_encryption_configuration().unwrap().rules();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].blocked_encryption_types().is_none());
    // SSE-C still works in that bucket.
    let (key, md5) = customer(3);
    s3.put_object()
        .bucket("blk")
        .key("c")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .body(ByteStream::from_static(b"c"))
        .send()
        .await
        .unwrap();
    stack.stop().await;
}
