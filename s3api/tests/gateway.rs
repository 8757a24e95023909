//! The S3 gateway end to end, in process: a real tracker and a real
//! storage on 127.0.0.x with free ports and temp dirs, the gateway on
//! 127.0.0.1:0, driven by the `aws-sdk-s3` crate (SigV4, path style).
//!
//! The SDK's defaults are kept, so PUTs carry a CRC32 checksum as an
//! aws-chunked trailer, which the gateway verifies.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use fdfs_protocol::client::{Pool, TrackerClient};
use fdfs_protocol::server::{ServerConfig, ShutdownTrigger, shutdown_channel};
use fdfs_s3api::gateway::server::{GatewayConfig, GatewayServer};
use fdfs_s3api::index::{AccessKey, IndexHandle};
use fdfs_storage::server::StorageServer;
use fdfs_storage::settings::StorageSettings;
use fdfs_tracker::server::{ElectionTiming, Tracker, TrackerConfig};
use fdfs_tracker::{ReservedSpace, TrackerPolicy};
use tempfile::TempDir;
use tokio::task::JoinHandle;

const KEY_ID: &str = "FDFSTESTKEY000000001";
const SECRET: &str = "test-secret-0123456789abcdefghijklmnopqrst";

/// A free port on `ip` (bound and released).
fn free_addr(ip: Ipv4Addr) -> SocketAddr {
    std::net::TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap()
}

/// Tracker + storage + gateway, stopped on drop of the triggers.
struct Stack {
    _dir: TempDir,
    s3: SocketAddr,
    index: IndexHandle,
    triggers: Vec<ShutdownTrigger>,
    tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut triggers = Vec::new();
        let mut tasks = Vec::new();

        let tracker_addr = free_addr(Ipv4Addr::new(127, 0, 0, 1));
        let config = TrackerConfig {
            listen: tracker_addr,
            data_dir: dir.path().join("tracker"),
            trackers: vec![tracker_addr],
            // Any free space will do: the test machine's disk may be fuller
            // than the default 20% reserve.
            policy: TrackerPolicy {
                reserved_storage_space: ReservedSpace::Mb(1),
                ..TrackerPolicy::default()
            },
            server: ServerConfig {
                drain_timeout: Duration::from_millis(500),
                ..ServerConfig::default()
            },
        };
        let timing = ElectionTiming {
            election_period: Duration::from_millis(300),
            ping_period: Duration::from_millis(300),
            max_misses: 3,
            rival_check_period: Duration::from_millis(1000),
            max_wait_rounds: 10,
            connect_timeout: Duration::from_millis(500),
            network_timeout: Duration::from_secs(2),
        };
        let tracker = Tracker::bind(config).await.unwrap().with_election_timing(timing);
        let (trigger, shutdown) = shutdown_channel();
        tasks.push(tokio::spawn(async move {
            let _ = tracker.run(shutdown).await;
        }));
        triggers.push(trigger);

        let storage_addr = free_addr(Ipv4Addr::new(127, 0, 0, 2));
        let settings = StorageSettings {
            listen: storage_addr.to_string(),
            group: "group1".into(),
            base_path: dir.path().join("storage"),
            trackers: vec![tracker_addr],
            subdir_count_per_path: 2,
            reserved_storage_space: "0%".into(),
            heart_beat_interval_secs: 1,
            stat_report_interval_secs: 1,
            ..StorageSettings::default()
        };
        let storage = StorageServer::bind(settings.to_config().unwrap()).await.unwrap();
        let (trigger, shutdown) = shutdown_channel();
        tasks.push(tokio::spawn(async move {
            let _ = storage.run(shutdown).await;
        }));
        triggers.push(trigger);

        // Wait until the tracker hands out the storage for uploads.
        let client = TrackerClient::new(vec![tracker_addr], Pool::default()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Err(e) = client.query_store(Some("group1")).await {
            assert!(Instant::now() < deadline, "storage never became active: {e}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let mut config = GatewayConfig::new(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            vec![tracker_addr],
            dir.path().join("gateway"),
        );
        config.drainer_idle = Duration::from_millis(200);
        config.drain_timeout = Duration::from_secs(2);
        config.owner_key = Some(AccessKey {
            access_key_id: KEY_ID.into(),
            secret: SECRET.into(),
            owner: "owner".into(),
            created_ms: 0,
        });
        let gateway = GatewayServer::bind(config).await.unwrap();
        let s3 = gateway.local_addr();
        let index = gateway.index().clone();
        let (trigger, shutdown) = shutdown_channel();
        tasks.push(tokio::spawn(gateway.run(shutdown)));
        triggers.push(trigger);
        Self { _dir: dir, s3, index, triggers, tasks }
    }

    fn client(&self, secret: &str) -> Client {
        let creds = Credentials::new(KEY_ID, secret, None, None, "test");
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(format!("http://{}", self.s3))
            .force_path_style(true)
            .credentials_provider(creds)
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        Client::from_conf(config)
    }

    async fn stop(self) {
        for trigger in self.triggers.iter().rev() {
            trigger.trigger();
        }
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }
}

async fn body(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_round_trips_through_a_real_cluster() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);

    // Buckets.
    s3.create_bucket()
        .bucket("photos")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from("group1"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let again = s3.create_bucket().bucket("photos").send().await.unwrap_err();
    assert_eq!(again.code(), Some("BucketAlreadyOwnedByYou"));
    let bad = s3.create_bucket().bucket("Bad_Name").send().await.unwrap_err();
    assert_eq!(bad.code(), Some("InvalidBucketName"));
    s3.head_bucket().bucket("photos").send().await.unwrap();
    let location = s3.get_bucket_location().bucket("photos").send().await.unwrap();
    assert_eq!(location.location_constraint().map(|c| c.as_str()), Some("group1"));
    let listed = s3.list_buckets().send().await.unwrap();
    let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["photos"]);
    let missing = s3.head_bucket().bucket("nope").send().await.unwrap_err();
    assert!(missing.raw_response().is_some_and(|r| r.status().as_u16() == 404));

    // Put, get, head with metadata and content type.
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let put = s3
        .put_object()
        .bucket("photos")
        .key("dir/cat.jpg")
        .content_type("image/jpeg")
        .metadata("color", "grey")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let etag = format!("\"{:x}\"", md5_of(&data));
    assert_eq!(put.e_tag(), Some(etag.as_str()));
    let got = s3.get_object().bucket("photos").key("dir/cat.jpg").send().await.unwrap();
    assert_eq!(got.content_type(), Some("image/jpeg"));
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.metadata().and_then(|m| m.get("color")).map(String::as_str), Some("grey"));
    assert_eq!(body(got).await, data);
    let head = s3.head_object().bucket("photos").key("dir/cat.jpg").send().await.unwrap();
    assert_eq!(head.content_length(), Some(100_000));
    assert_eq!(head.metadata().and_then(|m| m.get("color")).map(String::as_str), Some("grey"));

    // A ranged GET.
    let ranged = s3
        .get_object()
        .bucket("photos")
        .key("dir/cat.jpg")
        .range("bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.content_range(), Some("bytes 10-19/100000"));
    assert_eq!(body(ranged).await, &data[10..20]);
    let beyond = s3
        .get_object()
        .bucket("photos")
        .key("dir/cat.jpg")
        .range("bytes=200000-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(beyond.code(), Some("InvalidRange"));

    // An empty object.
    s3.put_object()
        .bucket("photos")
        .key("empty")
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .unwrap();
    let empty = s3.get_object().bucket("photos").key("empty").send().await.unwrap();
    assert!(body(empty).await.is_empty());

    // Listing with a delimiter, pagination and encoding-type=url.
    for key in ["a/1", "a/2", "b c", "c/d/e"] {
        s3.put_object()
            .bucket("photos")
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let page = s3.list_objects_v2().bucket("photos").delimiter("/").send().await.unwrap();
    let keys: Vec<_> = page.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = page.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["b c", "empty"]);
    assert_eq!(prefixes, ["a/", "c/", "dir/"]);
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("photos")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        all.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(all, ["a/1", "a/2", "b c", "c/d/e", "dir/cat.jpg", "empty"]);
    let encoded = s3
        .list_objects_v2()
        .bucket("photos")
        .prefix("b")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    // The SDK hands url-encoded keys through as sent.
    assert_eq!(encoded.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["b%20c"]);

    // Integrity and errors.
    let wrong = s3
        .put_object()
        .bucket("photos")
        .key("bad")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(ByteStream::from_static(b"not empty"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Some("BadDigest"));
    let mismatch = s3
        .put_object()
        .bucket("photos")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from_static(b"not empty"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(mismatch.code(), Some("XAmzContentChecksumMismatch"));
    let absent = s3.head_object().bucket("photos").key("bad").send().await.unwrap_err();
    assert!(absent.raw_response().is_some_and(|r| r.status().as_u16() == 404));
    let nokey = s3.get_object().bucket("photos").key("missing").send().await.unwrap_err();
    assert_eq!(nokey.code(), Some("NoSuchKey"));
    let forged = stack.client("wrong-secret").list_buckets().send().await.unwrap_err();
    assert_eq!(forged.code(), Some("SignatureDoesNotMatch"));

    // Unsigned requests are refused.
    assert_eq!(raw_status(stack.s3, "GET / HTTP/1.1").await, 403);
    assert_eq!(raw_status(stack.s3, "GET /photos/b%20c HTTP/1.1").await, 403);

    // A presigned GET works without headers; a tampered one does not.
    let presigned = s3
        .get_object()
        .bucket("photos")
        .key("b c")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let uri: http::Uri = presigned.uri().parse().unwrap();
    let path = uri.path_and_query().unwrap().as_str().to_string();
    assert_eq!(raw_status(stack.s3, &format!("GET {path} HTTP/1.1")).await, 200);
    let tampered = path.replace("b%20c", "a/1");
    assert_eq!(raw_status(stack.s3, &format!("GET {tampered} HTTP/1.1")).await, 403);

    // Deletes: the row goes at once, the files through the queue.
    let not_empty = s3.delete_bucket().bucket("photos").send().await.unwrap_err();
    assert_eq!(not_empty.code(), Some("BucketNotEmpty"));
    s3.put_object()
        .bucket("photos")
        .key("empty")
        .body(ByteStream::from_static(b"y"))
        .send()
        .await
        .unwrap();
    for key in ["a/1", "a/2", "b c", "c/d/e", "dir/cat.jpg", "empty"] {
        s3.delete_object().bucket("photos").key(key).send().await.unwrap();
    }
    let gone = s3.get_object().bucket("photos").key("dir/cat.jpg").send().await.unwrap_err();
    assert_eq!(gone.code(), Some("NoSuchKey"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let queued = stack.index.read(|ix| ix.delete_queue_len()).await.unwrap();
        if queued == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{queued} deletes still queued");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s3.delete_bucket().bucket("photos").send().await.unwrap();
    assert!(s3.list_buckets().send().await.unwrap().buckets().is_empty());

    stack.stop().await;
}

fn md5_of(data: &[u8]) -> u128 {
    use md5::Digest;
    u128::from_be_bytes(md5::Md5::digest(data).into())
}

/// The status code of an unsigned request line sent over a fresh
/// connection.
async fn raw_status(addr: SocketAddr, line: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("{line}\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    let text = String::from_utf8_lossy(&reply);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}
