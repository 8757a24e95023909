//! The in-process cluster the gateway tests run against: a real tracker
//! and a real storage on 127.0.0.x with free ports and temp dirs, the
//! gateway on 127.0.0.1:0, and an `aws-sdk-s3` client for it (SigV4,
//! path style). Shared by every gateway test file (`mod support;`).

#![allow(dead_code)]

pub mod sigv4;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
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

pub const KEY_ID: &str = "FDFSTESTKEY000000001";
pub const SECRET: &str = "test-secret-0123456789abcdefghijklmnopqrst";

/// A free port on `ip` (bound and released).
fn free_addr(ip: Ipv4Addr) -> SocketAddr {
    std::net::TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap()
}

/// Tracker + storage + gateway, stopped on drop of the triggers.
pub struct Stack {
    /// The stack's temporary directory (storage data under `storage/`).
    pub dir: TempDir,
    pub s3: SocketAddr,
    /// The tracker, for tests that also speak FastDFS to the cluster.
    pub tracker: SocketAddr,
    pub index: IndexHandle,
    triggers: Vec<ShutdownTrigger>,
    tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    /// Starts the three servers and waits until uploads can be placed.
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// [`Stack::start`], with the multipart reaper aborting uploads older
    /// than `upload_ttl` (checked every 200 ms) when given.
    pub async fn start_with(upload_ttl: Option<Duration>) -> Self {
        Self::start_configured(move |config| {
            if let Some(ttl) = upload_ttl {
                config.upload_ttl = ttl;
                config.reaper_period = Duration::from_millis(200);
            }
        })
        .await
    }

    /// [`Stack::start`], with `configure` applied to the gateway's
    /// configuration last.
    pub async fn start_configured(configure: impl FnOnce(&mut GatewayConfig)) -> Self {
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
            // The gateway (connecting from 127.0.0.1) rewrites Object Lock
            // tags, as `fdfs server` lets its own gateway do.
            lock_admin_hosts: vec!["127.0.0.1".into()],
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
        // `BUCKET.localhost` is virtual-hosted style; the clients below use
        // the IP address, which stays path-style.
        config.virtual_host_domains = vec!["localhost".into()];
        config.drain_timeout = Duration::from_secs(2);
        config.owner_key = Some(owner_key());
        configure(&mut config);
        let gateway = GatewayServer::bind(config).await.unwrap();
        let s3 = gateway.local_addr();
        let index = gateway.index().clone();
        let (trigger, shutdown) = shutdown_channel();
        tasks.push(tokio::spawn(gateway.run(shutdown)));
        triggers.push(trigger);
        Self { dir, s3, tracker: tracker_addr, index, triggers, tasks }
    }

    /// An SDK client signing with the test key and `secret`.
    pub fn client(&self, secret: &str) -> Client {
        client_at(self.s3, secret)
    }

    /// Rebuilds an index from the storages into a fresh directory `name`
    /// under the stack's (`fdfs gateway rebuild-index`) and starts a
    /// second gateway on it ([`Stack::gateway_on`]).
    pub async fn rebuilt_gateway(&self, name: &str) -> (Client, ShutdownTrigger) {
        let pool = Pool::default();
        let tracker = TrackerClient::new(vec![self.tracker], pool.clone()).unwrap();
        let storage = fdfs_protocol::client::StorageClient::new(pool);
        let fresh = self.dir.path().join(name);
        std::fs::create_dir_all(&fresh).unwrap();
        fdfs_s3api::rebuild::rebuild_index(&tracker, &storage, &fresh).await.unwrap();
        self.gateway_on(fresh).await
    }

    /// A second gateway on data directory `data`, sharing the stack's
    /// cluster (owner key set, no orphan sweep, no lifecycle pass within
    /// a test's time): a client of it, and the trigger that stops it.
    pub async fn gateway_on(&self, data: std::path::PathBuf) -> (Client, ShutdownTrigger) {
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut config = GatewayConfig::new(listen, vec![self.tracker], data);
        config.orphan_sweep = None;
        config.lifecycle.interval = Duration::from_secs(3600);
        config.owner_key = Some(owner_key());
        let gateway = GatewayServer::bind(config).await.unwrap();
        let addr = gateway.local_addr();
        let (trigger, shutdown) = shutdown_channel();
        tokio::spawn(gateway.run(shutdown));
        (client_at(addr, SECRET), trigger)
    }

    /// Stops the servers, gateway first.
    pub async fn stop(self) {
        for trigger in self.triggers.iter().rev() {
            trigger.trigger();
        }
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }
}

/// An SDK client for the gateway at `s3`, signing with the test key and
/// `secret` (path style).
pub fn client_at(s3: SocketAddr, secret: &str) -> Client {
    client_as(s3, KEY_ID, secret)
}

/// A path-style client of the gateway at `s3` signing with key `id` /
/// `secret` (a tenant's, say).
pub fn client_as(s3: SocketAddr, id: &str, secret: &str) -> Client {
    let creds = Credentials::new(id, secret, None, None, "test");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{s3}"))
        .force_path_style(true)
        .credentials_provider(creds)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

/// The test's owner key (KEY_ID / SECRET).
pub fn owner_key() -> AccessKey {
    AccessKey {
        access_key_id: KEY_ID.into(),
        secret: SECRET.into(),
        owner: "owner".into(),
        admin: true,
        created_ms: 0,
    }
}

/// Creates bucket `name` pinned to group1 (LocationConstraint).
pub async fn make_bucket(s3: &Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from("group1"))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// A GET's whole body.
pub async fn body(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

/// An unsigned request (`METHOD /path?query`) with `headers` and `body`
/// over a fresh connection: status and body.
pub async fn raw(
    addr: SocketAddr,
    line: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{line} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    conn.write_all(req.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    let text = String::from_utf8_lossy(&reply).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}
