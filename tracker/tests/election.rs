//! Several in-process trackers on 127.0.0.x: leader election, re-election
//! after the leader stops, followers joining the leader, and a fresh
//! tracker copying the cluster from a running one.
//!
//! Trackers must all know the full list of addresses before they start,
//! so ports are picked first (bind port 0, read it, release it); a start
//! that loses its port to another process is retried with new ports.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fdfs_protocol::Status;
use fdfs_protocol::client::pool::{Pool, PoolConfig};
use fdfs_protocol::client::tracker::TrackerClient;
use fdfs_protocol::connection::Connection;
use fdfs_protocol::server::{ServerConfig, ShutdownTrigger, shutdown_channel};
use fdfs_protocol::tracker::{
    Beat, Join, NotifyNextLeader, ServerAddr, StorageStatus, SyncDestReq, TrackerClusterStatReq,
};
use fdfs_tracker::TrackerPolicy;
use fdfs_tracker::server::election::connect_from;
use fdfs_tracker::server::{ElectionTiming, StartError, Tracker, TrackerConfig, TrackerState};
use tokio::task::JoinHandle;

/// Short periods so elections settle in about a second.
fn fast_timing() -> ElectionTiming {
    ElectionTiming {
        election_period: Duration::from_millis(300),
        ping_period: Duration::from_millis(300),
        max_misses: 3,
        rival_check_period: Duration::from_millis(1000),
        max_wait_rounds: 10,
        connect_timeout: Duration::from_millis(500),
        network_timeout: Duration::from_secs(2),
    }
}

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!(
            "fdfs-election-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free port on `ip` (free when asked; the caller binds it soon after).
fn free_addr(ip: &str) -> SocketAddr {
    let ip: IpAddr = ip.parse().unwrap();
    let listener = TcpListener::bind((ip, 0)).unwrap();
    listener.local_addr().unwrap()
}

/// One running tracker.
struct Node {
    addr: SocketAddr,
    state: Arc<TrackerState>,
    trigger: ShutdownTrigger,
    task: JoinHandle<()>,
    dir: TempDir,
}

impl Node {
    /// Binds a tracker (it does not serve until [`Node::run`]).
    async fn bind(
        addr: SocketAddr,
        trackers: &[SocketAddr],
        dir: TempDir,
    ) -> Result<(Tracker, TempDir), (StartError, TempDir)> {
        let config = TrackerConfig {
            listen: addr,
            data_dir: dir.0.clone(),
            trackers: trackers.to_vec(),
            policy: TrackerPolicy::default(),
            server: ServerConfig {
                drain_timeout: Duration::from_millis(500),
                ..ServerConfig::default()
            },
        };
        match Tracker::bind(config).await {
            Ok(t) => Ok((t.with_election_timing(fast_timing()), dir)),
            Err(e) => Err((e, dir)),
        }
    }

    /// Serves a bound tracker.
    fn run((tracker, dir): (Tracker, TempDir)) -> Self {
        let addr = tracker.local_addr();
        let state = tracker.state().clone();
        let (trigger, shutdown) = shutdown_channel();
        let task = tokio::spawn(tracker.run(shutdown));
        Self { addr, state, trigger, task, dir }
    }

    async fn start(
        addr: SocketAddr,
        trackers: &[SocketAddr],
        dir: TempDir,
    ) -> Result<Self, (StartError, TempDir)> {
        Self::bind(addr, trackers, dir).await.map(Self::run)
    }

    /// Stops the tracker and waits until it has flushed; keeps its data.
    async fn stop(self) -> TempDir {
        self.trigger.trigger();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("tracker did not stop")
            .unwrap();
        self.dir
    }

    fn client(&self) -> TrackerClient {
        client(self.addr)
    }
}

fn client(addr: SocketAddr) -> TrackerClient {
    let pool = Pool::new(PoolConfig {
        connect_timeout: Duration::from_millis(500),
        network_timeout: Duration::from_secs(5),
        ..PoolConfig::default()
    });
    TrackerClient::new(vec![addr], pool).unwrap()
}

/// Trackers on `ips`, each knowing all of them, started one right after
/// the other.
async fn start_cluster(ips: &[&str]) -> Vec<Node> {
    'attempt: for _ in 0..5 {
        let addrs: Vec<SocketAddr> = ips.iter().map(|ip| free_addr(ip)).collect();
        let mut nodes = Vec::new();
        for &addr in &addrs {
            match Node::start(addr, &addrs, TempDir::new()).await {
                Ok(node) => nodes.push(node),
                Err((StartError::Listen { .. }, _)) => {
                    for node in nodes {
                        node.stop().await;
                    }
                    continue 'attempt;
                }
                Err((e, _)) => panic!("tracker start failed: {e}"),
            }
        }
        return nodes;
    }
    panic!("no free ports after 5 attempts");
}

/// Polls `check` every 100 ms until it returns `Some`, at most `limit`.
async fn eventually<T>(
    limit: Duration,
    what: &str,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The leader every node agrees on (SERVER_GET_LEADER), when exactly one of
/// them says it leads (TRACKER_GET_STATUS).
async fn agreed_leader(nodes: &[&Node]) -> Option<SocketAddr> {
    let mut leaders = Vec::new();
    let mut leading = 0;
    for node in nodes {
        let c = node.client();
        let leader = c.get_leader().await.ok()?;
        leaders.push(SocketAddr::new(leader.ip.parse().ok()?, leader.port));
        leading += usize::from(c.tracker_status(node.addr).await.ok()?.is_leader);
    }
    let first = *leaders.first()?;
    let same = leaders.iter().all(|&l| l == first);
    (same && leading == 1 && nodes.iter().any(|n| n.addr == first)).then_some(first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_trackers_elect_one_leader() {
    let nodes = start_cluster(&["127.0.0.10", "127.0.0.11"]).await;
    let refs: Vec<&Node> = nodes.iter().collect();
    let leader =
        eventually(Duration::from_secs(10), "one leader", async || agreed_leader(&refs).await)
            .await;
    // Stable: still the same a few rounds later, and the model agrees.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(agreed_leader(&refs).await, Some(leader));
    for node in &nodes {
        assert_eq!(node.state.leader().leader, Some(leader));
    }
    let follower = nodes.iter().find(|n| n.addr != leader).unwrap();

    // The leader refuses to be replaced by another tracker's announcement.
    let mut conn =
        Connection::connect(leader, Duration::from_secs(1), Duration::from_secs(5)).await.unwrap();
    let other = ServerAddr::new(follower.addr.ip().to_string(), follower.addr.port());
    let refused = conn.call(&NotifyNextLeader { leader: other }).await.unwrap_err();
    assert_eq!(refused.status(), Status::EBUSY);
    assert_eq!(agreed_leader(&refs).await, Some(leader));

    // Two leaders (as after a healed split): one steps down.
    assert!(follower.state.replace_leader(Some(leader), Some(follower.addr)));
    let settled = eventually(Duration::from_secs(10), "one leader again", async || {
        agreed_leader(&refs).await
    })
    .await;
    assert!(nodes.iter().any(|n| n.addr == settled));
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_join_the_leader() {
    let nodes = start_cluster(&["127.0.0.13", "127.0.0.14", "127.0.0.15"]).await;
    let refs: Vec<&Node> = nodes.iter().collect();
    let leader =
        eventually(Duration::from_secs(10), "one leader", async || agreed_leader(&refs).await)
            .await;
    let followers: Vec<SocketAddr> =
        nodes.iter().map(|n| n.addr).filter(|&a| a != leader).collect();
    // The leader sees each follower active: they joined from their own
    // listen IP (source-IP identification) and keep pinging.
    eventually(Duration::from_secs(10), "followers active on the leader", async || {
        let mut conn = Connection::connect(leader, Duration::from_secs(1), Duration::from_secs(5))
            .await
            .ok()?;
        let stat = conn
            .call(&TrackerClusterStatReq { filter_by: 0, is_active: 0, is_leader: 0 })
            .await
            .ok()?;
        let active = |addr: SocketAddr| {
            stat.0.iter().any(|t| t.host == addr.to_string() && t.is_active && !t.is_leader)
        };
        let leads = stat.0.iter().any(|t| t.host == leader.to_string() && t.is_leader);
        (leads && stat.0.len() == 3 && followers.iter().all(|&f| active(f))).then_some(())
    })
    .await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survivors_elect_a_new_leader() {
    let mut nodes = start_cluster(&["127.0.0.16", "127.0.0.17", "127.0.0.18"]).await;
    let refs: Vec<&Node> = nodes.iter().collect();
    let old =
        eventually(Duration::from_secs(10), "one leader", async || agreed_leader(&refs).await)
            .await;
    let index = nodes.iter().position(|n| n.addr == old).unwrap();
    let stopped = Instant::now();
    nodes.remove(index).stop().await;
    let refs: Vec<&Node> = nodes.iter().collect();
    let new = eventually(Duration::from_secs(15), "a new leader", async || {
        agreed_leader(&refs).await.filter(|&l| l != old)
    })
    .await;
    assert!(nodes.iter().any(|n| n.addr == new));
    assert!(stopped.elapsed() < Duration::from_secs(15));
    for node in nodes {
        node.stop().await;
    }
}

/// Joins a storage at `ip` to `tracker` and brings it ACTIVE there.
async fn join_storage(tracker: SocketAddr, ip: &str, group: &str) {
    let t = fast_timing();
    let mut conn = connect_from(ip.parse().unwrap(), tracker, t.connect_timeout, t.network_timeout)
        .await
        .unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let join = Join {
        group: group.to_string(),
        storage_port: 23000,
        store_path_count: 1,
        subdir_count_per_path: 256,
        upload_priority: 10,
        join_time: now,
        up_time: now,
        version: "6.16.1".to_string(),
        init_flag: true,
        status: StorageStatus::Init,
        storage_id: String::new(),
        current_tracker_ip: tracker.ip().to_string(),
        trackers: vec![ServerAddr::new(tracker.ip().to_string(), tracker.port())],
    };
    conn.call(&join).await.unwrap();
    conn.call(&SyncDestReq).await.unwrap();
    conn.call(&Beat { stat: None }).await.unwrap();
    // The connection closes here: the storage goes OFFLINE on the tracker.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_tracker_copies_the_cluster() {
    for attempt in 0..3 {
        let a_addr = free_addr("127.0.0.19");
        let b_addr = free_addr("127.0.0.21");
        let list = [a_addr, b_addr];
        let Ok(a) = Node::start(a_addr, &list, TempDir::new()).await else { continue };
        // Alone (B is not up yet), A elects itself.
        let a_leads = async || {
            let leader = a.client().get_leader().await.ok()?;
            (leader == ServerAddr::new("127.0.0.19", a_addr.port())).then_some(())
        };
        eventually(Duration::from_secs(10), "A leading alone", a_leads).await;
        join_storage(a_addr, "127.0.0.20", "group7").await;
        let storages = a.client().list_storages("group7", None).await.unwrap();
        assert_eq!(storages.len(), 1);

        let b = match Node::start(b_addr, &list, TempDir::new()).await {
            Ok(b) => b,
            Err((StartError::Listen { .. }, _)) if attempt < 2 => {
                a.stop().await;
                continue;
            }
            Err((e, _)) => panic!("tracker B failed to start: {e}"),
        };
        // Copied before B served its first request.
        let groups = b.client().list_groups().await.unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].group_name, "group7");
        let copied = b.client().list_storages("group7", None).await.unwrap();
        assert_eq!(copied.len(), 1);
        assert_eq!(copied[0].id, "127.0.0.20");
        assert_eq!(copied[0].ip, "127.0.0.20");
        assert_eq!(copied[0].status, StorageStatus::Offline);

        // B follows A, the leader it found, rather than electing itself.
        let refs = [&a, &b];
        let leader =
            eventually(Duration::from_secs(10), "one leader", async || agreed_leader(&refs).await)
                .await;
        assert_eq!(leader, a_addr);

        // The copy was persisted: B restarted alone still knows the group.
        a.stop().await;
        let dir = b.stop().await;
        let b = Node::start(b_addr, &list, dir).await.map_err(|(e, _)| e).unwrap();
        let groups = b.client().list_groups().await.unwrap();
        assert_eq!(groups.len(), 1);
        b.stop().await;
        return;
    }
    panic!("no free ports after 3 attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_peers_leave_a_fresh_tracker_empty() {
    // The peer's port is free: nothing listens there.
    let peer = free_addr("127.0.0.22");
    let me = free_addr("127.0.0.23");
    let node = Node::start(me, &[peer, me], TempDir::new()).await.map_err(|(e, _)| e).unwrap();
    assert!(node.client().list_groups().await.unwrap().is_empty());
    // Alone, it elects itself.
    let leader = eventually(Duration::from_secs(10), "self-election", async || {
        node.client().get_leader().await.ok()
    })
    .await;
    assert_eq!(leader, ServerAddr::new("127.0.0.23", me.port()));
    node.stop().await;
}
