//! The independent `fastdfs` crate and an S3 client on one cluster of
//! real processes (a tracker, a group1 storage, an `fdfs gateway`):
//! files uploaded through the tracker with the crate are readable over S3
//! in the group's bucket (`group1`, key = the file ID without the group),
//! with their FastDFS metadata as `x-amz-meta-*`; and an object put over
//! S3 downloads by its file ID with the crate.
//!
//! The gateway does not tell S3 clients an object's file ID, so the test
//! reads it from the gateway's index through a read-only connection
//! (`Index::open_reader`) — a test-side lookup.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use fdfs_s3api::index::{Index, ObjectData};
use support::process::{FdfsProcess, TempDir, free_addr, storage, tracker};

const KEY_ID: &str = "CRATETEST00000000001";
const SECRET: &str = "crate-test-secret";

fn s3_client(endpoint: SocketAddr) -> Client {
    let creds = Credentials::new(KEY_ID, SECRET, None, None, "test");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{endpoint}"))
        .force_path_style(true)
        .credentials_provider(creds)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

/// `fdfs gateway` on `addr` with its index in `data` and the test's key.
fn gateway(addr: SocketAddr, tracker: SocketAddr, data: &Path) -> FdfsProcess {
    let data = data.to_str().unwrap();
    let created = Command::new(env!("CARGO_BIN_EXE_fdfs"))
        .args(["gateway", "key", "create", "--data", data, "--access-key-id", KEY_ID])
        // An admin key: the test reads the crate's files from the group bucket.
        .args(["--secret", SECRET, "--admin"])
        .output()
        .expect("run fdfs gateway key create");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let args: Vec<String> =
        ["gateway", "--listen", &addr.to_string(), "--tracker", &tracker.to_string()]
            .into_iter()
            .chain(["--data", data])
            .map(String::from)
            .collect();
    FdfsProcess::spawn(&args, addr, Path::new(data).with_extension("log"))
}

/// Bytes that differ from position to position.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

async fn s3_get(s3: &Client, bucket: &str, key: &str, range: Option<&str>) -> Vec<u8> {
    let out = s3.get_object().bucket(bucket).key(key).set_range(range.map(String::from));
    let out = out.send().await.unwrap_or_else(|e| panic!("GET {bucket}/{key}: {e:?}"));
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

/// The group's bucket and key of a FastDFS file.
fn s3_location(id: &fastdfs::types::FileId) -> (&str, &str) {
    (id.group_name.as_str(), id.remote_filename.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fastdfs_crate_files_and_s3_objects_cross_over() {
    let dir = TempDir::new("crate-s3");
    let tracker_addr = free_addr(71);
    let _tracker = tracker(tracker_addr, &dir.path().join("tracker"), &[]);
    let _storage = storage(
        free_addr(72),
        "group1",
        &[tracker_addr],
        &dir.path().join("storage"),
        &["--heart-beat-interval", "1"],
    );
    let gw_addr = free_addr(73);
    let gw_data = dir.path().join("gateway");
    let mut gw = gateway(gw_addr, tracker_addr, &gw_data);
    let s3 = s3_client(gw_addr);
    let native = fastdfs::ClientOptions::new(vec![tracker_addr.to_string()]).build().unwrap();

    // The storage joins the tracker right after it starts: retry the first
    // upload until one is placed.
    let body = pattern(300_000, 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    let id = loop {
        match native.upload_file_buf(&body, "jpg", None, false).await {
            Ok(id) => break id,
            Err(e) if Instant::now() < deadline => {
                eprintln!("upload not yet placed: {e:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("upload failed: {e:?}"),
        }
    };

    // Uploaded with the crate, with metadata: read over S3.
    let mut meta = fastdfs::types::Metadata::new();
    meta.insert("owner".into(), "crate".into());
    native.set_metadata(&id, &meta, fastdfs::types::MetadataFlag::Overwrite).await.unwrap();
    let (bucket, key) = s3_location(&id);
    assert_eq!(bucket, "group1");
    assert_eq!(s3_get(&s3, bucket, key, None).await, body);
    assert_eq!(s3_get(&s3, bucket, key, Some("bytes=1000-1999")).await, body[1000..2000]);
    let head = s3.head_object().bucket(bucket).key(key).send().await.unwrap();
    assert_eq!(head.content_length(), Some(body.len() as i64));
    assert_eq!(head.content_type(), Some("image/jpeg"));
    assert_eq!(head.metadata().and_then(|m| m.get("owner")).map(String::as_str), Some("crate"));

    // An appender file, after an append.
    let log = native.upload_file_buf(b"one\n", "log", None, true).await.unwrap();
    native.append_file_buf(&log, b"two\n").await.unwrap();
    let (bucket, key) = s3_location(&log);
    assert_eq!(s3_get(&s3, bucket, key, None).await, b"one\ntwo\n");

    // Put over S3: downloads by its file ID with the crate.
    s3.create_bucket().bucket("from-s3").send().await.unwrap();
    let put = pattern(200_000, 2);
    s3.put_object()
        .bucket("from-s3")
        .key("dir/object.bin")
        .body(ByteStream::from(put.clone()))
        .send()
        .await
        .unwrap();
    let mut index = Index::open_reader(gw_data.join("index.db")).unwrap();
    let record = index.get_object("from-s3", "dir/object.bin").unwrap();
    let ObjectData::Single(file_id) = record.data else { panic!("not a single file") };
    let their_id: fastdfs::types::FileId = file_id.parse().unwrap();
    assert_eq!(native.download_file_buf(&their_id, 0, 0).await.unwrap().as_ref(), put);
    assert_eq!(native.download_file_buf(&their_id, 10, 20).await.unwrap().as_ref(), &put[10..30]);
    assert_eq!(native.get_file_info(&their_id).await.unwrap().file_size, put.len() as u64);

    assert!(gw.terminate(Duration::from_secs(15)), "{}", gw.log_text());
}
