//! Two `fdfs tracker` processes: they elect one leader, storages report to
//! both, and when the leader is killed the client fails over and the other
//! tracker takes the lead.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fdfs_protocol::client::{Pool, TrackerClient};
use fdfs_protocol::tracker::StorageStatus;
use support::process::{TempDir, free_addr, loopback, tracker};
use support::storage_peer::StoragePeer;

async fn leader_of(addr: SocketAddr) -> Option<SocketAddr> {
    let c = TrackerClient::new(vec![addr], Pool::default()).unwrap();
    let leader = c.get_leader().await.ok()?;
    format!("{}:{}", leader.ip, leader.port).parse().ok()
}

/// Waits until every tracker in `addrs` names the same leader.
async fn agreed_leader(addrs: &[SocketAddr], within: Duration) -> SocketAddr {
    let deadline = Instant::now() + within;
    loop {
        let mut seen = Vec::new();
        for &a in addrs {
            seen.push(leader_of(a).await);
        }
        if let Some(Some(first)) = seen.first()
            && seen.iter().all(|l| *l == Some(*first))
        {
            return *first;
        }
        assert!(Instant::now() < deadline, "no agreed leader after {within:?}: {seen:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_trackers_elect_a_leader_and_survive_losing_it() {
    let dir_a = TempDir::new("failover-a");
    let dir_b = TempDir::new("failover-b");
    let (a, b) = (free_addr(10), free_addr(11));
    let peers = ["--tracker".to_string(), a.to_string(), "--tracker".to_string(), b.to_string()];
    let peers: Vec<&str> = peers.iter().map(String::as_str).collect();
    let mut ta = tracker(a, dir_a.path(), &peers);
    let mut tb = tracker(b, dir_b.path(), &peers);

    let leader = agreed_leader(&[a, b], Duration::from_secs(20)).await;
    assert!(leader == a || leader == b);

    // One storage reporting to both trackers, as storages do.
    let mut on_a = StoragePeer::connect(loopback(2), a, "group1", 23000).await;
    on_a.trackers = vec![a, b];
    let mut on_b = StoragePeer::connect(loopback(2), b, "group1", 23000).await;
    on_b.trackers = vec![a, b];
    for p in [&mut on_a, &mut on_b] {
        p.start().await;
        p.beat(None).await.unwrap();
        p.disk_usage(100_000, 60_000).await.unwrap();
    }
    let client = TrackerClient::new(vec![a, b], Pool::default()).unwrap();
    for t in [a, b] {
        let one = TrackerClient::new(vec![t], Pool::default()).unwrap();
        let s = &one.list_storages("group1", None).await.unwrap()[0];
        assert_eq!(s.status, StorageStatus::Active, "on {t}");
    }
    assert_eq!(client.query_store(None).await.unwrap().storage.ip, "127.0.0.2");

    // Kill the leader outright; the storage keeps beating to the survivor.
    let (survivor, mut survivor_peer) = if leader == a {
        ta.kill();
        (b, on_b)
    } else {
        tb.kill();
        (a, on_a)
    };
    for _ in 0..3 {
        let target = client.query_store(Some("group1")).await.expect("failover to the survivor");
        assert_eq!(target.storage.ip, "127.0.0.2");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        survivor_peer.beat(None).await.unwrap();
        if leader_of(survivor).await == Some(survivor) {
            break;
        }
        assert!(Instant::now() < deadline, "{survivor} did not take the lead");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(client.query_store(None).await.unwrap().storage.ip, "127.0.0.2");
}
