//! The storage reporter against real in-process trackers on 127.0.0.x:
//! storages of two groups become ACTIVE and their reports show up in the
//! tracker's listings; a new group member gets a sync source and, driven
//! through the sync-source helpers, becomes ACTIVE; a SYNC_DEST_REQ refused
//! with ENOENT is retried; reporters reconnect to a restarted tracker,
//! report to every tracker, and keep reporting to one while another is
//! down; a restarted storage rejoins with its persisted source, and one a
//! tracker never heard of is refused once, then joins as new.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fdfs_protocol::client::pool::{Pool, PoolConfig};
use fdfs_protocol::client::tracker::TrackerClient;
use fdfs_protocol::server::{ServerConfig, ShutdownTrigger, shutdown_channel};
use fdfs_protocol::tracker::{
    Beat, Join, ServerAddr, StorageStat, StorageStatus, SyncDestReq, SyncTimestamp,
};
use fdfs_storage::reporter::{
    Dialer, FactsSnapshot, InMemoryFacts, Reporter, ReporterConfig, report_status, sync_src_req,
};
use fdfs_tracker::TrackerPolicy;
use fdfs_tracker::server::{ElectionTiming, StartError, Tracker, TrackerConfig};
use tokio::task::JoinHandle;

const HEART_BEAT: Duration = Duration::from_millis(200);
const WAIT: Duration = Duration::from_secs(15);

/// Short election periods so a tracker leads within about a second.
fn fast_election() -> ElectionTiming {
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

/// A free port on `ip` (free when asked; the caller binds it soon after).
fn free_addr(ip: &str) -> SocketAddr {
    let ip: IpAddr = ip.parse().unwrap();
    TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap()
}

/// One running in-process tracker.
struct TrackerNode {
    trigger: ShutdownTrigger,
    task: JoinHandle<()>,
}

impl TrackerNode {
    async fn start(
        addr: SocketAddr,
        trackers: &[SocketAddr],
        dir: &Path,
    ) -> Result<Self, StartError> {
        let config = TrackerConfig {
            listen: addr,
            data_dir: dir.to_path_buf(),
            trackers: trackers.to_vec(),
            policy: TrackerPolicy::default(),
            server: ServerConfig {
                drain_timeout: Duration::from_millis(500),
                ..ServerConfig::default()
            },
        };
        let tracker = Tracker::bind(config).await?.with_election_timing(fast_election());
        let (trigger, shutdown) = shutdown_channel();
        let task = tokio::spawn(tracker.run(shutdown));
        Ok(Self { trigger, task })
    }

    async fn stop(self) {
        self.trigger.trigger();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("tracker did not stop")
            .unwrap();
    }
}

/// Trackers on `ips` (each knowing all), with data under `dirs`; retried
/// with new ports when one was taken in the meantime.
async fn start_trackers(ips: &[&str], dirs: &[&Path]) -> (Vec<SocketAddr>, Vec<TrackerNode>) {
    'attempt: for _ in 0..5 {
        let addrs: Vec<SocketAddr> = ips.iter().map(|ip| free_addr(ip)).collect();
        let mut nodes = Vec::new();
        for (&addr, dir) in addrs.iter().zip(dirs) {
            match TrackerNode::start(addr, &addrs, dir).await {
                Ok(node) => nodes.push(node),
                Err(StartError::Listen { .. }) => {
                    for node in nodes {
                        node.stop().await;
                    }
                    continue 'attempt;
                }
                Err(e) => panic!("tracker start failed: {e}"),
            }
        }
        return (addrs, nodes);
    }
    panic!("no free ports after 5 attempts");
}

/// One storage's reporter with in-memory facts.
struct StorageNode {
    facts: Arc<InMemoryFacts>,
    trigger: ShutdownTrigger,
    reporter: Reporter,
}

impl StorageNode {
    fn start(ip: &str, group: &str, trackers: &[SocketAddr], total_mb: i64) -> Self {
        Self::start_with(ip, group, trackers, total_mb, |_, _| {})
    }

    /// [`StorageNode::start`] with the configuration and facts adjusted by
    /// `adjust` before the reporter starts.
    fn start_with(
        ip: &str,
        group: &str,
        trackers: &[SocketAddr],
        total_mb: i64,
        adjust: impl FnOnce(&mut ReporterConfig, &InMemoryFacts),
    ) -> Self {
        let mut config = ReporterConfig::new(group, 23000, trackers.to_vec());
        config.bind_ip = Some(ip.parse().unwrap());
        config.heart_beat_interval = HEART_BEAT;
        config.stat_report_interval = Duration::from_millis(500);
        config.connect_timeout = Duration::from_millis(500);
        config.network_timeout = Duration::from_secs(3);
        config.retry_min = Duration::from_millis(100);
        config.retry_max = Duration::from_millis(500);
        let facts = Arc::new(InMemoryFacts::new(1, total_mb));
        facts.update(|f| f.disk_usage[0].free_mb = total_mb - 100);
        adjust(&mut config, &facts);
        let (trigger, shutdown) = shutdown_channel();
        let reporter = Reporter::spawn(config, facts.clone(), shutdown).unwrap();
        Self { facts, trigger, reporter }
    }

    fn snapshot(&self) -> FactsSnapshot {
        self.facts.snapshot()
    }

    /// Stops the reporter; it must end promptly.
    async fn stop(self) {
        self.trigger.trigger();
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(3), self.reporter.wait())
            .await
            .expect("reporter did not stop");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}

fn client(tracker: SocketAddr) -> TrackerClient {
    let pool = Pool::new(PoolConfig {
        connect_timeout: Duration::from_millis(500),
        network_timeout: Duration::from_secs(3),
        ..PoolConfig::default()
    });
    TrackerClient::new(vec![tracker], pool).unwrap()
}

/// Polls `check` every 100 ms until it returns `Some`, at most [`WAIT`].
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {WAIT:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The tracker's record of storage `id` in `group`.
async fn listed(tracker: SocketAddr, group: &str, id: &str) -> Option<StorageStat> {
    let list = client(tracker).list_storages(group, None).await.ok()?;
    list.into_iter().find(|s| s.id == id)
}

/// Waits until `tracker` lists `id` with `status` and `check` holds.
async fn until_listed(
    tracker: SocketAddr,
    group: &str,
    id: &str,
    status: StorageStatus,
    check: impl Fn(&StorageStat) -> bool,
) -> StorageStat {
    let what = format!("{group}/{id} {status} on {tracker}");
    eventually(&what, async || {
        listed(tracker, group, id).await.filter(|s| s.status == status && check(s))
    })
    .await
}

fn dialer(ip: &str) -> Dialer {
    Dialer {
        bind_ip: Some(ip.parse().unwrap()),
        connect_timeout: Duration::from_millis(500),
        network_timeout: Duration::from_secs(3),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storages_join_sync_and_survive_a_tracker_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (addrs, mut nodes) = start_trackers(&["127.0.0.30"], &[dir.path()]).await;
    let t = addrs[0];

    let s1 = StorageNode::start_with("127.0.0.2", "group1", &addrs, 1000, |_, facts| {
        facts.update(|f| f.stats.success_upload_count = 5);
    });
    let s3 = StorageNode::start("127.0.0.4", "group2", &addrs, 3000);
    let s1_stat = until_listed(t, "group1", "127.0.0.2", StorageStatus::Active, |_| true).await;
    until_listed(t, "group2", "127.0.0.4", StorageStatus::Active, |s| s.total_mb == 3000).await;
    assert_eq!(s1_stat.ip, "127.0.0.2", "connections come from the storage's own IP");
    let s1_stat = until_listed(t, "group1", "127.0.0.2", StorageStatus::Active, |s| {
        s.total_mb == 1000 && s.free_mb == 900
    })
    .await;
    assert_eq!(s1_stat.stat.success_upload_count, 5);
    assert_eq!(s1_stat.storage_port, 23000);
    let facts = s1.snapshot();
    assert_eq!(facts.my_ip.as_deref(), Some("127.0.0.2"));
    assert!(facts.parameters.is_some_and(|p| p.get("store_path").is_some()));
    assert!(facts.handshake_done && facts.sync_source.is_none(), "first member: no source");

    // Changed counters travel with the next beat.
    s1.facts.update(|f| f.stats.success_upload_count = 9);
    until_listed(t, "group1", "127.0.0.2", StorageStatus::Active, |s| {
        s.stat.success_upload_count == 9
    })
    .await;

    // A second group1 member joins after the first is ACTIVE: WAIT_SYNC,
    // with the first as its source.
    let s2 = StorageNode::start("127.0.0.3", "group1", &addrs, 1000);
    let waiting = until_listed(t, "group1", "127.0.0.3", StorageStatus::WaitSync, |_| true).await;
    assert_eq!(waiting.src_id, "127.0.0.2");
    let source = eventually("s2's sync source", async || s2.snapshot().sync_source).await;
    assert_eq!(source.src_id, "127.0.0.2");
    assert!(s2.snapshot().handshake_done);

    // The source's side: ask, mark SYNCING, push (nothing here), mark
    // OFFLINE; the newcomer's next beat makes it ACTIVE.
    let src = dialer("127.0.0.2");
    let asked = sync_src_req(&src, t, "group1", "127.0.0.3").await.unwrap();
    assert_eq!(asked, Some(source.clone()));
    report_status(&src, t, "group1", "127.0.0.3", "127.0.0.3", StorageStatus::Syncing)
        .await
        .unwrap();
    until_listed(t, "group1", "127.0.0.3", StorageStatus::Syncing, |_| true).await;
    report_status(&src, t, "group1", "127.0.0.3", "127.0.0.3", StorageStatus::Offline)
        .await
        .unwrap();
    until_listed(t, "group1", "127.0.0.3", StorageStatus::Active, |_| true).await;

    // Both members learn the group from change responses.
    for node in [&s1, &s2] {
        eventually("both members ACTIVE in the learned group list", async || {
            let members = node.snapshot().group_members?;
            let active =
                |id: &str| members.iter().any(|b| b.id == id && b.status == StorageStatus::Active);
            (members.len() == 2 && active("127.0.0.2") && active("127.0.0.3")).then_some(())
        })
        .await;
    }
    assert_eq!(s2.snapshot().status, Some(StorageStatus::Active));
    assert_eq!(s1.snapshot().leader, Some(ServerAddr::new("127.0.0.30", t.port())));

    // Sync progress is reported when it changes.
    let synced = i32::try_from(source.until_timestamp).unwrap();
    s2.facts.update(|f| {
        f.sync_timestamps = vec![SyncTimestamp { src_id: "127.0.0.2".into(), timestamp: synced }];
    });
    until_listed(t, "group1", "127.0.0.3", StorageStatus::Active, |s| {
        s.stat.last_synced_timestamp == i64::from(synced)
    })
    .await;

    // The tracker stops and comes back on the same address with its data:
    // every reporter reconnects and rejoins.
    nodes.remove(0).stop().await;
    let restarted = eventually("tracker restart", async || {
        TrackerNode::start(t, &addrs, dir.path()).await.ok()
    })
    .await;
    for (group, id) in [("group1", "127.0.0.2"), ("group1", "127.0.0.3"), ("group2", "127.0.0.4")] {
        until_listed(t, group, id, StorageStatus::Active, |s| s.total_mb > 0).await;
    }

    // Stopping a reporter says QUIT: the tracker marks it OFFLINE at once.
    s3.stop().await;
    until_listed(t, "group2", "127.0.0.4", StorageStatus::Offline, |_| true).await;

    // The storage process restarts: not its first start, its persisted
    // source is announced again (no SYNC_DEST_REQ), and it is ACTIVE again.
    s2.stop().await;
    until_listed(t, "group1", "127.0.0.3", StorageStatus::Offline, |_| true).await;
    let s2 = StorageNode::start_with("127.0.0.3", "group1", &addrs, 1000, |config, facts| {
        config.first_start = false;
        facts.update(|f| f.sync_source = Some(source.clone()));
    });
    let back = until_listed(t, "group1", "127.0.0.3", StorageStatus::Active, |_| true).await;
    assert_eq!(back.src_id, "127.0.0.2");
    assert!(!s2.snapshot().handshake_done, "no new handshake on a restart");
    assert_eq!(s2.snapshot().my_ip.as_deref(), Some("127.0.0.3"));

    s1.stop().await;
    s2.stop().await;
    restarted.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_dest_enoent_is_retried_after_a_delay() {
    let dir = tempfile::tempdir().unwrap();
    let (addrs, nodes) = start_trackers(&["127.0.0.33"], &[dir.path()]).await;
    let t = addrs[0];

    // A first member that joined and is ONLINE but has not beaten yet: no
    // peer can be a source, so SYNC_DEST_REQ answers ENOENT.
    let d = dialer("127.0.0.5");
    let mut first = d.connect(t).await.unwrap();
    let join = Join {
        group: "group3".into(),
        storage_port: 23000,
        store_path_count: 1,
        subdir_count_per_path: 256,
        upload_priority: 10,
        join_time: 1,
        up_time: 1,
        version: "6.16.1".into(),
        init_flag: true,
        status: StorageStatus::Init,
        storage_id: String::new(),
        current_tracker_ip: t.ip().to_string(),
        trackers: vec![ServerAddr::new(t.ip().to_string(), t.port())],
    };
    first.call(&join).await.unwrap();
    assert_eq!(first.call(&SyncDestReq).await.unwrap().0, None);
    until_listed(t, "group3", "127.0.0.5", StorageStatus::Online, |_| true).await;

    let s = StorageNode::start("127.0.0.6", "group3", &addrs, 1000);
    until_listed(t, "group3", "127.0.0.6", StorageStatus::Init, |_| true).await;
    tokio::time::sleep(HEART_BEAT * 3).await;
    assert!(!s.snapshot().handshake_done, "ENOENT is not a completed handshake");

    // The first member beats and becomes ACTIVE: the retry gets it as source.
    first.call(&Beat { stat: None }).await.unwrap();
    until_listed(t, "group3", "127.0.0.5", StorageStatus::Active, |_| true).await;
    let source = eventually("a sync source", async || s.snapshot().sync_source).await;
    assert_eq!(source.src_id, "127.0.0.5");
    until_listed(t, "group3", "127.0.0.6", StorageStatus::WaitSync, |_| true).await;
    s.stop().await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storages_report_to_every_tracker() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Storages start first: trackers that are not up yet are retried.
    let addrs = [free_addr("127.0.0.31"), free_addr("127.0.0.32")];
    let s1 = StorageNode::start("127.0.0.2", "group1", &addrs, 1000);
    let s3 = StorageNode::start("127.0.0.4", "group2", &addrs, 2000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a = TrackerNode::start(addrs[0], &addrs, dir_a.path()).await.unwrap();
    let b = TrackerNode::start(addrs[1], &addrs, dir_b.path()).await.unwrap();

    for &t in &addrs {
        until_listed(t, "group1", "127.0.0.2", StorageStatus::Active, |s| s.total_mb == 1000).await;
        until_listed(t, "group2", "127.0.0.4", StorageStatus::Active, |s| s.total_mb == 2000).await;
    }
    let leader = eventually("the leader", async || client(addrs[0]).get_leader().await.ok()).await;
    eventually("the leader learned from change responses", async || {
        (s1.snapshot().leader.as_ref() == Some(&leader)).then_some(())
    })
    .await;

    // Tracker B goes away; reports to A go on.
    b.stop().await;
    s1.facts.update(|f| f.disk_usage[0].total_mb = 1500);
    until_listed(addrs[0], "group1", "127.0.0.2", StorageStatus::Active, |s| s.total_mb == 1500)
        .await;

    s1.stop().await;
    s3.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracker_that_lost_the_storage_meets_it_as_new() {
    let dir = tempfile::tempdir().unwrap();
    let (addrs, nodes) = start_trackers(&["127.0.0.34"], &[dir.path()]).await;
    let t = addrs[0];
    // Not a first start, but this tracker has never heard of the storage:
    // the JOIN is refused (EFAULT) and the next one claims to be new.
    let s = StorageNode::start_with("127.0.0.7", "group4", &addrs, 1000, |config, _| {
        config.first_start = false;
    });
    until_listed(t, "group4", "127.0.0.7", StorageStatus::Active, |s| s.total_mb == 1000).await;
    assert!(!s.snapshot().handshake_done, "no handshake on a restart");
    s.stop().await;
    for node in nodes {
        node.stop().await;
    }
}
