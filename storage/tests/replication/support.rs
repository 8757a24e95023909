//! In-process storage nodes for the replication tests: a store, a binlog
//! and the real storage server on a 127.0.0.x address with a free port,
//! plus the real sync manager pushing from one node to others.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fdfs_protocol::client::pool::{Pool, PoolConfig};
use fdfs_protocol::client::storage::StorageClient;
use fdfs_protocol::client::tracker::TrackerClient;
use fdfs_protocol::server::{ServerConfig, ShutdownTrigger, serve, shutdown_channel};
use fdfs_protocol::tracker::{StorageBrief, StorageStatus};
use fdfs_storage::binlog::{Binlog, BinlogConfig, Position, Reader, Record};
use fdfs_storage::reporter::{Dialer, InMemoryFacts, Reporter, ReporterConfig};
use fdfs_storage::server::stats::Stats;
use fdfs_storage::server::worm::LockAdmins;
use fdfs_storage::server::{StorageHandler, StorageState};
use fdfs_storage::store::{ReservedSpace, Store, StoreConfig};
use fdfs_storage::sync::{SyncConfig, SyncManager, SyncShared};
use fdfs_tracker::TrackerPolicy;
use fdfs_tracker::server::{ElectionTiming, StartError, Tracker, TrackerConfig};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The group of every node.
pub const GROUP: &str = "group1";

/// Network timeout of servers, workers and clients.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A client for any node.
pub fn client() -> StorageClient {
    StorageClient::new(Pool::new(PoolConfig { network_timeout: TIMEOUT, ..PoolConfig::default() }))
}

/// Polls `done` until it holds; fails the test after 20 s.
pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One storage: its state and its server.
pub struct Node {
    pub addr: SocketAddr,
    pub state: Arc<StorageState>,
    root: PathBuf,
    server: Option<(ShutdownTrigger, JoinHandle<()>)>,
    _dir: TempDir,
}

impl Node {
    /// A fresh storage serving on `ip` (a free port).
    pub async fn start(ip: &str) -> Self {
        Self::start_with_admins(ip, LockAdmins::none()).await
    }

    /// [`Node::start`] whose `lock_admin_hosts` are `admins`.
    pub async fn start_with_admins(ip: &str, admins: LockAdmins) -> Self {
        let ip: Ipv4Addr = ip.parse().unwrap();
        Self::start_on(TcpListener::bind((ip, 0)).await.unwrap(), admins).await
    }

    /// Two fresh storages on the same port (trackers want one port per
    /// group).
    pub async fn pair(a: &str, b: &str) -> (Self, Self) {
        for _ in 0..20 {
            let first = TcpListener::bind((a, 0)).await.unwrap();
            let port = first.local_addr().unwrap().port();
            if let Ok(second) = TcpListener::bind((b, port)).await {
                let none = LockAdmins::none;
                return (Self::start_on(first, none()).await, Self::start_on(second, none()).await);
            }
        }
        panic!("no common free port on {a} and {b}");
    }

    /// A fresh storage serving on `listener`.
    async fn start_on(listener: TcpListener, lock_admins: LockAdmins) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let addr = listener.local_addr().unwrap();
        let std::net::IpAddr::V4(ip) = addr.ip() else { panic!("IPv4 only") };
        let root = dir.path().join("store");
        let mut config = StoreConfig::new(vec![root.clone()], ip);
        config.reserved = ReservedSpace::Ratio(0.0);
        let store = Store::new(config).unwrap();
        store.init().await.unwrap();
        let binlog = Binlog::open(BinlogConfig::new(dir.path().join("sync"))).await.unwrap();
        let state = Arc::new(StorageState {
            store,
            binlog,
            group: GROUP.into(),
            ip,
            port: addr.port(),
            stats: Stats::default(),
            network_timeout: TIMEOUT,
            sync: SyncShared::new(),
            sync_replicas: 1,
            reply_ip_width: Default::default(),
            lock_admins,
        });
        let server = Some(serve_on(listener, &state));
        Self { addr, state, root, server, _dir: dir }
    }

    /// Stops the server (the state stays): the node looks down.
    pub async fn stop_serving(&mut self) {
        if let Some((trigger, task)) = self.server.take() {
            trigger.trigger();
            task.await.unwrap();
        }
    }

    /// Serves again on the same address.
    pub async fn serve_again(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.server = Some(serve_on(listener, &self.state));
    }

    /// Stops the server and closes the binlog.
    pub async fn stop(mut self) {
        self.stop_serving().await;
        self.state.binlog.close().await;
    }

    /// Every stored file (metadata files included) by logic filename.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        let data = self.root.join("data");
        for high in read_dir(&data) {
            for low in read_dir(&high) {
                for file in read_dir(&low) {
                    let rel = file.strip_prefix(&data).unwrap().to_string_lossy().into_owned();
                    files.insert(format!("M00/{rel}"), std::fs::read(&file).unwrap());
                }
            }
        }
        files
    }

    /// Files in the store path's temp directory.
    pub fn tmp_files(&self) -> usize {
        read_dir(&self.root.join("data").join(".tmp")).len()
    }

    /// Every record of the node's binlog.
    pub async fn binlog(&self) -> Vec<Record> {
        let mut reader = Reader::open(self.state.binlog.dir().to_path_buf(), Position::START);
        let mut records = Vec::new();
        while let Some((record, _)) = reader.next().await.unwrap() {
            records.push(record);
        }
        records
    }
}

/// The entries of `dir` except `.tmp`, sorted (none if it does not exist).
fn read_dir(dir: &std::path::Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != ".tmp"))
        .collect();
    paths.sort();
    paths
}

fn serve_on(listener: TcpListener, state: &Arc<StorageState>) -> (ShutdownTrigger, JoinHandle<()>) {
    let (trigger, shutdown) = shutdown_channel();
    let config = ServerConfig {
        network_timeout: TIMEOUT,
        drain_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let task =
        tokio::spawn(serve(listener, StorageHandler::new(Arc::clone(state)), config, shutdown));
    (trigger, task)
}

/// `node` as an ACTIVE group member.
fn active_brief(node: &Node) -> StorageBrief {
    StorageBrief {
        status: StorageStatus::Active,
        port: node.addr.port(),
        id: node.state.ip.to_string(),
        ip: node.state.ip.to_string(),
    }
}

/// The sync manager of one node.
pub struct Sync {
    trigger: ShutdownTrigger,
    task: JoinHandle<()>,
    _members: Option<watch::Sender<Vec<StorageBrief>>>,
}

impl Sync {
    /// Starts `from`'s manager with the group `from` + `peers`, all ACTIVE,
    /// and no trackers.
    pub fn start(from: &Node, peers: &[&Node]) -> Self {
        Self::start_with(from, peers, Vec::new())
    }

    /// [`Sync::start`] with `more` members in the group list.
    pub fn start_with(from: &Node, peers: &[&Node], more: Vec<StorageBrief>) -> Self {
        let mut list: Vec<StorageBrief> =
            std::iter::once(from).chain(peers.iter().copied()).map(active_brief).collect();
        list.extend(more);
        let (members, rx) = watch::channel(list);
        let mut sync = Self::run(from, rx, Vec::new());
        sync._members = Some(members);
        sync
    }

    /// Starts `from`'s manager on the group list `members`, talking to
    /// `trackers`.
    pub fn run(
        from: &Node,
        members: watch::Receiver<Vec<StorageBrief>>,
        trackers: Vec<SocketAddr>,
    ) -> Self {
        let dialer = Dialer {
            bind_ip: Some(from.state.ip.into()),
            connect_timeout: Duration::from_secs(1),
            network_timeout: TIMEOUT,
        };
        let mut config = SyncConfig::new(from.state.ip.to_string(), dialer, trackers);
        config.idle_wait = Duration::from_millis(100);
        config.retry_min = Duration::from_millis(50);
        config.retry_max = Duration::from_millis(300);
        let (trigger, shutdown) = shutdown_channel();
        let manager = SyncManager::new(config).run(Arc::clone(&from.state), members, shutdown);
        Self { trigger, task: tokio::spawn(manager), _members: None }
    }

    /// Stops the manager and its workers (marks saved).
    pub async fn stop(self) {
        self.trigger.trigger();
        self.task.await.unwrap();
    }
}

/// A real tracker in-process.
pub struct TrackerNode {
    pub addr: SocketAddr,
    trigger: ShutdownTrigger,
    task: JoinHandle<()>,
}

impl TrackerNode {
    /// A tracker on `ip` (a free port) with its data in `dir`, electing
    /// itself leader within about a second.
    pub async fn start(ip: &str, dir: &Path) -> Self {
        for _ in 0..5 {
            let addr = std::net::TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap();
            let config = TrackerConfig {
                listen: addr,
                data_dir: dir.to_path_buf(),
                trackers: vec![addr],
                policy: TrackerPolicy::default(),
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
            match Tracker::bind(config).await {
                Ok(tracker) => {
                    let (trigger, shutdown) = shutdown_channel();
                    let task = tokio::spawn(tracker.with_election_timing(timing).run(shutdown));
                    return Self { addr, trigger, task };
                }
                Err(StartError::Listen { .. }) => continue,
                Err(e) => panic!("tracker start failed: {e}"),
            }
        }
        panic!("no free tracker port");
    }

    pub async fn stop(self) {
        self.trigger.trigger();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

/// A node's reporter (in-memory facts) and the group list it learns.
pub struct Reporting {
    pub facts: Arc<InMemoryFacts>,
    trigger: ShutdownTrigger,
    reporter: Reporter,
    feed: JoinHandle<()>,
}

impl Reporting {
    /// Reports `node` to `tracker` every 200 ms; the group list it learns
    /// goes to the returned receiver.
    pub fn start(node: &Node, tracker: SocketAddr) -> (Self, watch::Receiver<Vec<StorageBrief>>) {
        let mut config = ReporterConfig::new(GROUP, node.addr.port(), vec![tracker]);
        config.bind_ip = Some(node.state.ip.into());
        config.heart_beat_interval = Duration::from_millis(200);
        config.stat_report_interval = Duration::from_millis(500);
        config.connect_timeout = Duration::from_millis(500);
        config.network_timeout = Duration::from_secs(3);
        config.retry_min = Duration::from_millis(100);
        config.retry_max = Duration::from_millis(500);
        let facts = Arc::new(InMemoryFacts::new(1, 100_000));
        let (trigger, shutdown) = shutdown_channel();
        let reporter = Reporter::spawn(config, facts.clone(), shutdown).unwrap();
        let (members, rx) = watch::channel(Vec::new());
        let polled = Arc::clone(&facts);
        let feed = tokio::spawn(async move {
            loop {
                if let Some(list) = polled.snapshot().group_members {
                    members.send_if_modified(|old| std::mem::replace(old, list.clone()) != list);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        (Self { facts, trigger, reporter, feed }, rx)
    }

    pub async fn stop(self) {
        self.feed.abort();
        self.trigger.trigger();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.reporter.wait()).await;
    }
}

/// The status a tracker lists storage `id` of the group with.
pub async fn listed_status(tracker: std::net::SocketAddr, id: &str) -> Option<StorageStatus> {
    let client = TrackerClient::new(vec![tracker], Pool::default()).ok()?;
    let list = client.list_storages(GROUP, None).await.ok()?;
    list.into_iter().find(|s| s.id == id).map(|s| s.status)
}

/// Polls the tracker until it lists `id` with `status`.
pub async fn until_status(tracker: std::net::SocketAddr, id: &str, status: StorageStatus) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while listed_status(tracker, id).await != Some(status) {
        assert!(std::time::Instant::now() < deadline, "{id} never {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
