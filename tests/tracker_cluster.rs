//! A real `fdfs tracker` process driven by storage test peers, the project's
//! client and the independent `fastdfs` crate: join, the sync-source
//! handshake, placement, download routing, monitoring, liveness, restart.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fdfs_protocol::Status;
use fdfs_protocol::client::{Pool, TrackerClient};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::filename::{NewFile, NewName, Source};
use fdfs_protocol::tracker::StorageStatus;
use support::process::{TempDir, free_addr, loopback, tracker};
use support::storage_peer::{StoragePeer, now};

fn client(trackers: &[SocketAddr]) -> TrackerClient {
    TrackerClient::new(trackers.to_vec(), Pool::default()).unwrap()
}

/// A logic filename as storage `ip` would have generated it at `created`.
fn file_from(ip: [u8; 4], created: i64) -> String {
    let name = NewName {
        source: Source::Ip(ip.into()),
        create_time: created as u32,
        file: NewFile::Normal { size: 1234 },
        crc32: 0x1234_5678,
        ext: "jpg",
    }
    .encode(7, 42)
    .unwrap();
    format!("M00/00/00/{name}")
}

async fn status_of(c: &TrackerClient, group: &str, id: &str) -> StorageStatus {
    c.list_storages(group, Some(id)).await.unwrap()[0].status
}

async fn wait_for_status(
    c: &TrackerClient,
    group: &str,
    id: &str,
    want: StorageStatus,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    loop {
        let status = status_of(c, group, id).await;
        if status == want {
            return;
        }
        assert!(Instant::now() < deadline, "{id} is {status:?}, not {want:?}, after {within:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storages_join_sync_and_serve_through_the_tracker() {
    let dir = TempDir::new("tracker-lifecycle");
    let addr = free_addr(10);
    let _tracker = tracker(addr, dir.path(), &["--check-active-interval", "2"]);
    let c = client(&[addr]);

    // group1's first member and group2's only member: no data, no source.
    let mut s1 = StoragePeer::connect(loopback(2), addr, "group1", 23000).await;
    assert_eq!(s1.start().await.0, None);
    assert_eq!(status_of(&c, "group1", "127.0.0.2").await, StorageStatus::Online);
    s1.beat(None).await.unwrap();
    s1.disk_usage(100_000, 80_000).await.unwrap();
    assert_eq!(status_of(&c, "group1", "127.0.0.2").await, StorageStatus::Active);
    let mut s3 = StoragePeer::connect(loopback(4), addr, "group2", 23000).await;
    s3.start().await;
    s3.beat(None).await.unwrap();
    s3.disk_usage(100_000, 90_000).await.unwrap();

    // A second group1 member joining a group with data gets s1 as source.
    let mut s2 = StoragePeer::connect(loopback(3), addr, "group1", 23000).await;
    let joined = s2.join(true).await.unwrap();
    assert_eq!(joined.my_status, StorageStatus::Init);
    let source = s2.sync_dest_req().await.unwrap().0.expect("a sync source");
    assert_eq!(source.src_id, "127.0.0.2");
    assert!((source.until_timestamp - now()).abs() <= 2);
    s2.sync_notify(&fdfs_protocol::tracker::SyncSource(Some(source))).await.unwrap();
    s2.beat(None).await.unwrap();
    s2.disk_usage(100_000, 70_000).await.unwrap();
    assert_eq!(status_of(&c, "group1", "127.0.0.3").await, StorageStatus::WaitSync);

    // Uploads to group1 go to the only ACTIVE member, by both clients.
    for _ in 0..3 {
        let target = c.query_store(Some("group1")).await.unwrap();
        assert_eq!((target.storage.ip.as_str(), target.storage.port), ("127.0.0.2", 23000));
    }
    let mut other = fastdfs::TrackerClient::connect(addr).await.unwrap();
    let target = other.get_store_storage(Some("group1")).await.unwrap();
    assert_eq!((target.ip_addr.as_str(), target.port), ("127.0.0.2", 23000));

    // The source learns of the newcomer, pushes old files, reports it done.
    let asked = s1.sync_src_req("127.0.0.3").await.unwrap().0.expect("dest has a source");
    assert_eq!(asked.src_id, "127.0.0.2");
    s1.report_status("127.0.0.3", StorageStatus::Syncing).await.unwrap();
    assert_eq!(status_of(&c, "group1", "127.0.0.3").await, StorageStatus::Syncing);
    s1.report_status("127.0.0.3", StorageStatus::Offline).await.unwrap();
    s2.beat(None).await.unwrap();
    assert_eq!(status_of(&c, "group1", "127.0.0.3").await, StorageStatus::Active);

    // Round robin now covers both group1 members.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4 {
        seen.insert(c.query_store(Some("group1")).await.unwrap().storage.ip);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["127.0.0.2", "127.0.0.3"]);
    let all = c.query_store_all(Some("group1")).await.unwrap();
    assert_eq!(all.storages.len(), 2);

    // A fresh file from s1: only s1 may serve it until s2 synced past it.
    let created = now();
    let file = file_from([127, 0, 0, 2], created);
    for _ in 0..4 {
        let t = c.query_fetch("group1", &file).await.unwrap();
        assert_eq!(t.storage.ip, "127.0.0.2", "routed a fresh file to a storage without it");
    }
    assert_eq!(c.query_fetch_all("group1", &file).await.unwrap().storages.len(), 1);
    s2.sync_report(&[("127.0.0.2", (created + 1) as i32), ("127.0.0.3", 0)]).await.unwrap();
    let both = c.query_fetch_all("group1", &file).await.unwrap();
    assert_eq!(both.storages.len(), 2, "{both:?}");
    assert_eq!(c.query_update("group1", &file).await.unwrap().storage.ip, "127.0.0.2");
    let fid = fastdfs::FileId { group_name: "group1".into(), remote_filename: file.clone() };
    assert_eq!(other.get_update_storage(&fid).await.unwrap().ip_addr, "127.0.0.2");
    assert_eq!(other.get_fetch_storages(&fid).await.unwrap().len(), 2);

    // Monitoring, by both clients.
    let groups = c.list_groups().await.unwrap();
    assert_eq!(
        groups.iter().map(|g| g.group_name.as_str()).collect::<Vec<_>>(),
        ["group1", "group2"]
    );
    assert_eq!(groups[0].storage_count, 2);
    assert_eq!(groups[0].writable_server_count, 2);
    let theirs = other.list_groups().await.unwrap();
    assert_eq!(theirs.len(), 2);
    assert_eq!(theirs[0].group_name, "group1");
    assert_eq!(theirs[0].storage_count, 2);
    assert_eq!(theirs[1].free_mb, 90_000);
    let storages = c.list_storages("group1", None).await.unwrap();
    assert_eq!(storages.len(), 2);
    assert!(storages.iter().all(|s| s.status == StorageStatus::Active));
    let theirs = other.list_storages("group1", None::<&str>).await.unwrap();
    assert_eq!(
        theirs.iter().map(|s| (s.ip_addr.as_str(), s.status)).collect::<Vec<_>>(),
        [
            ("127.0.0.2", u8::from(StorageStatus::Active)),
            ("127.0.0.3", u8::from(StorageStatus::Active))
        ]
    );
    assert_eq!(theirs[0].total_mb, 100_000);

    // s2 stops beating (connection left open): OFFLINE after the interval,
    // and no longer chosen for uploads.
    let s2_conn = s2;
    for _ in 0..10 {
        s1.beat(None).await.unwrap();
        s3.beat(None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(status_of(&c, "group1", "127.0.0.3").await, StorageStatus::Offline);
    for _ in 0..3 {
        assert_eq!(c.query_store(Some("group1")).await.unwrap().storage.ip, "127.0.0.2");
    }
    drop(s2_conn);

    // s3's reporter connection closes: OFFLINE at once; group2 refuses uploads.
    drop(s3);
    wait_for_status(&c, "group2", "127.0.0.4", StorageStatus::Offline, Duration::from_secs(3))
        .await;
    let refused = c.query_store(Some("group2")).await;
    assert!(matches!(refused, Err(ConnError::Status(Status::ENOENT))), "{refused:?}");
    let unknown = c.query_store(Some("nosuchgroup")).await;
    assert!(matches!(unknown, Err(ConnError::Status(Status::ENOENT))), "{unknown:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_tracker_remembers_its_cluster() {
    let dir = TempDir::new("tracker-restart");
    let addr = free_addr(10);
    let mut first = tracker(addr, dir.path(), &[]);
    {
        let mut s1 = StoragePeer::connect(loopback(2), addr, "group1", 23000).await;
        s1.start().await;
        s1.beat(None).await.unwrap();
        s1.disk_usage(50_000, 40_000).await.unwrap();
        let mut s2 = StoragePeer::connect(loopback(5), addr, "group7", 23001).await;
        s2.start().await;
        s2.beat(None).await.unwrap();
    }
    assert!(first.terminate(Duration::from_secs(10)), "no clean stop:\n{}", first.log_text());

    let _second = tracker(addr, dir.path(), &[]);
    let c = client(&[addr]);
    let groups = c.list_groups().await.unwrap();
    assert_eq!(
        groups.iter().map(|g| g.group_name.as_str()).collect::<Vec<_>>(),
        ["group1", "group7"]
    );
    let s = &c.list_storages("group7", None).await.unwrap()[0];
    assert_eq!((s.id.as_str(), s.storage_port), ("127.0.0.5", 23001));
    assert_eq!(s.status, StorageStatus::Offline, "not connected since the restart");
    assert!(c.list_storages("group1", None).await.unwrap()[0].total_mb == 50_000);

    // The storage comes back: a known storage rejoins and is ACTIVE on its beat.
    let mut s1 = StoragePeer::connect(loopback(2), addr, "group1", 23000).await;
    s1.join(false).await.unwrap();
    s1.beat(None).await.unwrap();
    assert_eq!(status_of(&c, "group1", "127.0.0.2").await, StorageStatus::Active);
    assert_eq!(c.query_store(None).await.unwrap().storage.ip, "127.0.0.2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placement_follows_the_configured_policies() {
    // store_lookup = 1 (specified group) sends group-less uploads to group2.
    let dir = TempDir::new("tracker-policy");
    let addr = free_addr(10);
    let _t = tracker(addr, dir.path(), &["--store-lookup", "1", "--store-group", "group2"]);
    let c = client(&[addr]);
    let mut peers = Vec::new();
    for (last, group) in [(2, "group1"), (3, "group1"), (4, "group2")] {
        let mut p = StoragePeer::connect(loopback(last), addr, group, 23000).await;
        p.join(true).await.unwrap();
        let src = p.sync_dest_req().await.unwrap();
        p.sync_notify(&fdfs_protocol::tracker::SyncSource(None)).await.unwrap();
        let _ = src;
        p.beat(None).await.unwrap();
        p.disk_usage(100_000, 10_000 * i64::from(last)).await.unwrap();
        peers.push(p);
    }
    for _ in 0..3 {
        assert_eq!(c.query_store(None).await.unwrap().group, "group2");
    }
    drop(peers);

    // store_lookup = 0 (round robin) alternates; store_server = 1 takes the
    // first by address.
    let dir = TempDir::new("tracker-policy-rr");
    let addr = free_addr(11);
    let _t = tracker(addr, dir.path(), &["--store-lookup", "0", "--store-server", "1"]);
    let c = client(&[addr]);
    let mut peers = Vec::new();
    for (last, group) in [(3, "group1"), (2, "group1"), (4, "group2")] {
        let mut p = StoragePeer::connect(loopback(last), addr, group, 23000).await;
        p.join(true).await.unwrap();
        p.sync_dest_req().await.unwrap();
        p.sync_notify(&fdfs_protocol::tracker::SyncSource(None)).await.unwrap();
        p.beat(None).await.unwrap();
        p.disk_usage(100_000, 50_000).await.unwrap();
        peers.push(p);
    }
    let picks: Vec<(String, String)> = futures_collect(&c, 4).await;
    let groups: Vec<&str> = picks.iter().map(|(g, _)| g.as_str()).collect();
    assert!(groups.windows(2).all(|w| w[0] != w[1]), "not alternating: {groups:?}");
    for (group, ip) in &picks {
        if group == "group1" {
            assert_eq!(ip, "127.0.0.2", "store_server = 1 takes the first by address");
        }
    }

    // reserved_storage_space: a group below its reserve takes no uploads.
    let dir = TempDir::new("tracker-policy-full");
    let addr = free_addr(12);
    let _t = tracker(addr, dir.path(), &["--reserved-storage-space", "10%"]);
    let c = client(&[addr]);
    let mut p = StoragePeer::connect(loopback(6), addr, "group9", 23000).await;
    p.start().await;
    p.beat(None).await.unwrap();
    p.disk_usage(100_000, 5_000).await.unwrap();
    let full = c.query_store(Some("group9")).await;
    assert!(matches!(full, Err(ConnError::Status(Status::ENOSPC))), "{full:?}");
}

async fn futures_collect(c: &TrackerClient, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let t = c.query_store(None).await.unwrap();
        out.push((t.group, t.storage.ip));
    }
    out
}
