//! `fdfs gateway rebuild-index` and `fdfs gateway sweep` as an operator
//! runs them: real tracker, storage and gateway processes; objects written
//! over S3; the index refused while the gateway holds it; the gateway
//! stopped and its index deleted; the index rebuilt from the storages'
//! binlogs and tags; a new gateway serving the same objects, headers and
//! user metadata; the bucket configuration (versioning, lifecycle,
//! encryption), which the storages do not hold, exported while the gateway
//! ran and imported after the rebuild; a sweep that keeps everything
//! referenced.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, CompletedMultipartUpload, CompletedPart,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, VersioningConfiguration,
};
use support::process::{FdfsProcess, TempDir, free_addr, storage, tracker};

const KEY_ID: &str = "REBUILDCLI0000000001";
const SECRET: &str = "rebuild-cli-secret";
const BUCKET: &str = "photos";

fn fdfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdfs")).args(args).output().expect("run fdfs")
}

fn s3_client(endpoint: SocketAddr) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{endpoint}"))
        .force_path_style(true)
        .credentials_provider(Credentials::new(KEY_ID, SECRET, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

/// `fdfs gateway` on `addr`, after making sure the test's key exists.
fn gateway(addr: SocketAddr, tracker: SocketAddr, data: &Path) -> FdfsProcess {
    let d = data.to_str().unwrap();
    // A rebuilt index keeps existing keys; a fresh one needs the key again.
    let _ = fdfs(&[
        "gateway",
        "key",
        "create",
        "--data",
        d,
        "--access-key-id",
        KEY_ID,
        "--secret",
        SECRET,
    ]);
    let args: Vec<String> = ["gateway", "--listen", &addr.to_string(), "--tracker"]
        .into_iter()
        .map(String::from)
        .chain([tracker.to_string(), "--data".into(), d.into()])
        .collect();
    FdfsProcess::spawn(&args, addr, data.with_extension("log"))
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

async fn get(s3: &Client, key: &str) -> (Vec<u8>, String) {
    let out = s3.get_object().bucket(BUCKET).key(key).send().await.unwrap();
    let etag = out.e_tag().unwrap_or_default().to_string();
    (out.body.collect().await.unwrap().into_bytes().to_vec(), etag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_lost_with_the_gateway_is_rebuilt_from_the_storages() {
    let dir = TempDir::new("rebuild-cli");
    let tracker_addr = free_addr(81);
    let _tracker = tracker(tracker_addr, &dir.path().join("tracker"), &[]);
    let _storage = storage(
        free_addr(82),
        "group1",
        &[tracker_addr],
        &dir.path().join("storage"),
        &["--heart-beat-interval", "1"],
    );
    let data = dir.path().join("gateway");
    let gw_addr = free_addr(83);
    let mut gw = gateway(gw_addr, tracker_addr, &data);
    let s3 = s3_client(gw_addr);

    // The storage joins the tracker right after it starts.
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = s3.create_bucket().bucket(BUCKET).send().await {
        assert!(Instant::now() < deadline, "no bucket: {e:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let small = pattern(10_000, 1);
    s3.put_object()
        .bucket(BUCKET)
        .key("a/small.bin")
        .metadata("colour", "blue")
        .cache_control("max-age=60")
        .content_type("image/png")
        .body(ByteStream::from(small.clone()))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(BUCKET)
        .key("a/überlong/")
        .body(ByteStream::from(Vec::new()))
        .send()
        .await
        .unwrap();
    let big = pattern(5 * 1024 * 1024 + 1000, 2);
    let upload = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("b/multi.bin")
        .metadata("kind", "multi")
        .content_language("fr")
        .send()
        .await;
    let upload_id = upload.unwrap().upload_id.unwrap();
    let mut parts = Vec::new();
    for (n, chunk) in big.chunks(5 * 1024 * 1024).enumerate() {
        let number = n as i32 + 1;
        let part = s3
            .upload_part()
            .bucket(BUCKET)
            .key("b/multi.bin")
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(chunk.to_vec()))
            .send()
            .await
            .unwrap();
        parts.push(CompletedPart::builder().part_number(number).e_tag(part.e_tag.unwrap()).build());
    }
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key("b/multi.bin")
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    s3.copy_object()
        .bucket(BUCKET)
        .key("c/copy.bin")
        .copy_source(format!("{BUCKET}/a/small.bin"))
        .send()
        .await
        .unwrap();
    let before = [
        ("a/small.bin", get(&s3, "a/small.bin").await),
        ("b/multi.bin", get(&s3, "b/multi.bin").await),
        ("c/copy.bin", get(&s3, "c/copy.bin").await),
    ];
    assert_eq!(before[0].1.0, small);
    assert_eq!(before[1].1.0, big);

    // Bucket configuration lives only in the index: an export taken while
    // the gateway runs brings it back after the rebuild.
    configure_bucket(&s3).await;
    let tracker_arg = tracker_addr.to_string();
    let d = data.to_str().unwrap();
    let backup = dir.path().join("config.json");
    let exported =
        fdfs(&["gateway", "export-config", "--data", d, "--out", backup.to_str().unwrap()]);
    assert!(exported.status.success(), "{exported:?}");
    let text = std::fs::read_to_string(&backup).unwrap();
    assert!(text.contains("<LifecycleConfiguration>"), "{text}");

    // While the gateway holds the index, a rebuild is refused.
    let refused = fdfs(&["gateway", "rebuild-index", "--tracker", &tracker_arg, "--data", d]);
    assert!(!refused.status.success(), "a rebuild ran under a live gateway");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("in use"), "{refused:?}");

    // The gateway goes, and its index with it.
    assert!(gw.terminate(Duration::from_secs(10)), "gateway did not stop on SIGTERM");
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("index.db") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let rebuilt = fdfs(&["gateway", "rebuild-index", "--tracker", &tracker_arg, "--data", d]);
    assert!(rebuilt.status.success(), "{rebuilt:?}");
    let imported = fdfs(&["gateway", "import-config", "--data", d, backup.to_str().unwrap()]);
    assert!(imported.status.success(), "{imported:?}");
    let said = String::from_utf8_lossy(&imported.stdout);
    assert!(said.contains("imported 1 buckets (0 created), 3 configurations"), "{said}");

    // A new gateway on the rebuilt index serves the same objects.
    let gw_addr = free_addr(84);
    let mut gw = gateway(gw_addr, tracker_addr, &data);
    let s3 = s3_client(gw_addr);
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a/small.bin", "a/überlong/", "b/multi.bin", "c/copy.bin"]);
    for (key, (body, etag)) in &before {
        let (got, got_etag) = get(&s3, key).await;
        assert_eq!(&got, body, "{key}");
        assert_eq!(&got_etag, etag, "{key}");
    }
    // Headers and user metadata came back from the tags too.
    let head = s3.head_object().bucket(BUCKET).key("a/small.bin").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("colour")).map(String::as_str), Some("blue"));
    assert_eq!(head.cache_control(), Some("max-age=60"));
    assert_eq!(head.content_type(), Some("image/png"));
    let head = s3.head_object().bucket(BUCKET).key("b/multi.bin").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("kind")).map(String::as_str), Some("multi"));
    assert_eq!(head.content_language(), Some("fr"));

    check_bucket_configuration(&s3).await;

    // A sweep with the gateway stopped keeps every referenced file.
    assert!(gw.terminate(Duration::from_secs(10)));
    let swept =
        fdfs(&["gateway", "sweep", "--tracker", &tracker_arg, "--data", d, "--grace-secs", "0"]);
    assert!(swept.status.success(), "{swept:?}");
    let gw_addr = free_addr(85);
    let _gw = gateway(gw_addr, tracker_addr, &data);
    let s3 = s3_client(gw_addr);
    for (key, (body, _)) in &before {
        assert_eq!(&get(&s3, key).await.0, body, "{key} after the sweep");
    }
}

/// Versioning, a lifecycle rule and default encryption on the bucket.
async fn configure_bucket(s3: &Client) {
    s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
        )
        .send()
        .await
        .unwrap();
    let rule = LifecycleRule::builder()
        .id("tmp")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
        .expiration(LifecycleExpiration::builder().days(7).build())
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder().rules(rule).build().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .unwrap();
    let rule = ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(default);
    s3.put_bucket_encryption()
        .bucket(BUCKET)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder().rules(rule.build()).build().unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// What [`configure_bucket`] set, as a gateway on the restored index answers.
async fn check_bucket_configuration(s3: &Client) {
    let v = s3.get_bucket_versioning().bucket(BUCKET).send().await.unwrap();
    assert_eq!(v.status(), Some(&BucketVersioningStatus::Enabled));
    let l = s3.get_bucket_lifecycle_configuration().bucket(BUCKET).send().await.unwrap();
    let rule = &l.rules()[0];
    assert_eq!(rule.id(), Some("tmp"));
    assert_eq!(rule.expiration().and_then(|e| e.days()), Some(7));
    let e = s3.get_bucket_encryption().bucket(BUCKET).send().await.unwrap();
    let default = e
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .map(|d| d.sse_algorithm().clone());
    assert_eq!(default, Some(ServerSideEncryption::Aes256));
}
