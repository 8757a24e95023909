//! Lifecycle tests of the cluster model: join, sync-source handshake,
//! promotion, liveness, deletion, reports and snapshots.

use fdfs_protocol::Status;
use fdfs_protocol::tracker::{
    GroupStat, Join, PathUsage, ServerAddr, StorageBrief, StorageStat, StorageStatBuff,
    StorageStatus, SyncReqBody, SyncSource, SyncTimestamp,
};
use fdfs_protocol::{Decode, Encode};

use super::Cluster;
use crate::config::{ReservedSpace, StorePath, StoreServer};

const T0: i64 = 1_700_000_000;

/// A JOIN as a storage sends it on its very first start.
pub(crate) fn join_req(group: &str, port: u16, paths: u16) -> Join {
    Join {
        group: group.into(),
        storage_port: port,
        store_path_count: paths,
        subdir_count_per_path: 256,
        upload_priority: 10,
        join_time: T0,
        up_time: T0,
        version: "6.16.1".into(),
        init_flag: true,
        status: StorageStatus::Init,
        storage_id: String::new(),
        current_tracker_ip: "127.0.0.10".into(),
        trackers: vec![ServerAddr::new("127.0.0.10", 22122)],
    }
}

/// Brings a storage through JOIN → 87 → 88 (→ 76 SYNCING, OFFLINE from its
/// source) → BEAT → disk report: the first start of a storage, ACTIVE after.
pub(crate) fn bring_up(c: &mut Cluster, group: &str, ip: &str, now: i64, free_mb: i64) {
    c.join(&join_req(group, 23000, 1), ip, ip, now).unwrap();
    let src = c.sync_dest_req(group, ip, now).unwrap();
    c.sync_notify(group, ip, &src.0.clone().unwrap_or_default()).unwrap();
    if src.0.is_some() {
        // The source pushes the old files, then reports the newcomer done.
        for status in [StorageStatus::Syncing, StorageStatus::Offline] {
            let brief = StorageBrief { status, port: 0, id: ip.into(), ip: ip.into() };
            c.report_status(group, &brief).unwrap();
        }
    }
    c.beat(group, ip, None, now).unwrap();
    assert_eq!(c.storage(group, ip).unwrap().status, StorageStatus::Active);
    let usage = [PathUsage { total_mb: 100_000, free_mb }];
    c.disk_usage(group, ip, &usage, StorePath::RoundRobin).unwrap();
}

fn status(c: &Cluster, group: &str, id: &str) -> StorageStatus {
    c.storage(group, id).unwrap().status
}

#[test]
fn first_storage_goes_online_then_active() {
    let mut c = Cluster::new();
    let reply = c.join(&join_req("group1", 23000, 1), "127.0.0.2", "127.0.0.2", T0).unwrap();
    assert_eq!(reply.my_status, StorageStatus::Init);
    assert_eq!(reply.src_id, "");
    assert_eq!(c.sync_dest_req("group1", "127.0.0.2", T0), Ok(SyncSource(None)));
    assert_eq!(status(&c, "group1", "127.0.0.2"), StorageStatus::Online);
    c.beat("group1", "127.0.0.2", None, T0 + 5).unwrap();
    assert_eq!(status(&c, "group1", "127.0.0.2"), StorageStatus::Active);
    let g = c.group("group1").unwrap();
    assert_eq!((g.storage_port, g.store_path_count, g.subdir_count), (23000, 1, 256));
    assert_eq!(g.writable().len(), 1);
    c.check_invariants().unwrap();
}

#[test]
fn second_storage_waits_for_sync_from_active_peer() {
    let mut c = Cluster::new();
    bring_up(&mut c, "group1", "127.0.0.2", T0, 50_000);
    let now = T0 + 100;
    c.join(&join_req("group1", 23000, 1), "127.0.0.3", "127.0.0.3", now).unwrap();
    let want = SyncReqBody { src_id: "127.0.0.2".into(), until_timestamp: now };
    assert_eq!(c.sync_dest_req("group1", "127.0.0.3", now), Ok(SyncSource(Some(want.clone()))));
    assert_eq!(status(&c, "group1", "127.0.0.3"), StorageStatus::WaitSync);
    assert_eq!(c.sync_dest_query("group1", "127.0.0.3"), Ok(SyncSource(Some(want.clone()))));
    c.sync_notify("group1", "127.0.0.3", &want).unwrap();
    // A beat while catching up does not promote.
    c.beat("group1", "127.0.0.3", None, now + 1).unwrap();
    assert_eq!(status(&c, "group1", "127.0.0.3"), StorageStatus::WaitSync);
    // The source asks (86), reports SYNCING then OFFLINE (76).
    assert_eq!(c.sync_src_req("group1", "127.0.0.3"), Ok(SyncSource(Some(want))));
    let brief =
        |status| StorageBrief { status, port: 0, id: "127.0.0.3".into(), ip: "127.0.0.3".into() };
    c.report_status("group1", &brief(StorageStatus::Syncing)).unwrap();
    assert_eq!(status(&c, "group1", "127.0.0.3"), StorageStatus::Syncing);
    c.report_status("group1", &brief(StorageStatus::Offline)).unwrap();
    assert_eq!(status(&c, "group1", "127.0.0.3"), StorageStatus::Offline);
    c.beat("group1", "127.0.0.3", None, now + 6).unwrap();
    assert_eq!(status(&c, "group1", "127.0.0.3"), StorageStatus::Active);
    // Reports about ACTIVE peers are ignored.
    c.report_status("group1", &brief(StorageStatus::Syncing)).unwrap();
    assert_eq!(status(&c, "group1", "127.0.0.3"), StorageStatus::Active);
    c.check_invariants().unwrap();
}

#[test]
fn enoent_when_the_only_peer_is_not_writable_yet() {
    let mut c = Cluster::new();
    c.join(&join_req("group1", 23000, 1), "127.0.0.2", "127.0.0.2", T0).unwrap();
    c.sync_dest_req("group1", "127.0.0.2", T0).unwrap();
    assert_eq!(status(&c, "group1", "127.0.0.2"), StorageStatus::Online);
    c.join(&join_req("group1", 23000, 1), "127.0.0.3", "127.0.0.3", T0).unwrap();
    assert_eq!(c.sync_dest_req("group1", "127.0.0.3", T0), Err(Status::ENOENT));
    assert_eq!(status(&c, "group1", "127.0.0.3"), StorageStatus::Init);
    // Peers that are neither available nor writable do not count.
    let mut c = Cluster::new();
    c.join(&join_req("group1", 23000, 1), "127.0.0.2", "127.0.0.2", T0).unwrap();
    c.join(&join_req("group1", 23000, 1), "127.0.0.3", "127.0.0.3", T0).unwrap();
    assert_eq!(c.sync_dest_req("group1", "127.0.0.3", T0), Ok(SyncSource(None)));
}

#[test]
fn missed_beats_go_offline() {
    let mut c = Cluster::new();
    bring_up(&mut c, "group1", "127.0.0.2", T0, 50_000);
    bring_up(&mut c, "group2", "127.0.0.3", T0 + 60, 50_000);
    assert!(c.check_alive(T0 + 120, 120).is_empty());
    let gone = c.check_alive(T0 + 121, 120);
    assert_eq!(gone, vec![("group1".to_string(), "127.0.0.2".to_string())]);
    assert_eq!(status(&c, "group1", "127.0.0.2"), StorageStatus::Offline);
    assert_eq!(status(&c, "group2", "127.0.0.3"), StorageStatus::Active);
    assert!(c.group("group1").unwrap().writable().is_empty());
    // Coming back: JOIN makes it ONLINE, a beat ACTIVE.
    let reply = c.join(&join_req("group1", 23000, 1), "127.0.0.2", "127.0.0.2", T0 + 200).unwrap();
    assert_eq!(reply.my_status, StorageStatus::Online);
    c.beat("group1", "127.0.0.2", None, T0 + 200).unwrap();
    assert_eq!(status(&c, "group1", "127.0.0.2"), StorageStatus::Active);
    // A closed connection also takes it offline.
    assert!(c.disconnect("group1", "127.0.0.2"));
    assert_eq!(status(&c, "group1", "127.0.0.2"), StorageStatus::Offline);
    assert!(!c.disconnect("group1", "127.0.0.2"));
    c.check_invariants().unwrap();
}

#[test]
fn delete_refused_while_active() {
    let mut c = Cluster::new();
    bring_up(&mut c, "group1", "127.0.0.2", T0, 50_000);
    bring_up(&mut c, "group1", "127.0.0.3", T0, 50_000);
    assert_eq!(c.delete_storage("group1", "127.0.0.3"), Err(Status::EBUSY));
    assert_eq!(c.delete_storage("group1", "nope"), Err(Status::ENOENT));
    assert_eq!(c.delete_storage("nogroup", "127.0.0.3"), Err(Status::ENOENT));
    c.disconnect("group1", "127.0.0.3");
    let before = c.group("group1").unwrap().chg_count;
    assert_eq!(c.delete_storage("group1", "127.0.0.3"), Ok(()));
    assert!(c.group("group1").unwrap().chg_count > before);
    assert_eq!(status(&c, "group1", "127.0.0.3"), StorageStatus::Deleted);
    assert_eq!(c.delete_storage("group1", "127.0.0.3"), Err(Status::EALREADY));
    assert_eq!(c.delete_group("group1"), Err(Status::EBUSY));
    assert_eq!(c.delete_group("nogroup"), Err(Status::ENOENT));
    // A deleted storage that comes back is a new member.
    let reply = c.join(&join_req("group1", 23000, 1), "127.0.0.3", "127.0.0.3", T0 + 9).unwrap();
    assert_eq!(reply.my_status, StorageStatus::Init);
    c.disconnect("group1", "127.0.0.2");
    c.delete_storage("group1", "127.0.0.2").unwrap();
    c.delete_storage("group1", "127.0.0.3").unwrap();
    assert_eq!(c.delete_group("group1"), Ok(()));
    assert_eq!(c.group_count(), 0);
    c.check_invariants().unwrap();
}

#[test]
fn join_validation() {
    let mut c = Cluster::new();
    bring_up(&mut c, "group1", "127.0.0.2", T0, 50_000);
    let cases: &[(Join, &str, Status)] = &[
        (join_req("group1", 23001, 1), "127.0.0.3", Status::EINVAL), // port differs
        (join_req("group1", 23000, 1), "", Status::EINVAL),          // bad id
        (join_req("bad-name", 23000, 1), "127.0.0.3", Status::EINVAL),
        (join_req("group2", 23000, 1), "127.0.0.2", Status::EEXIST), // live in group1
        (
            Join { subdir_count_per_path: 128, ..join_req("group1", 23000, 1) },
            "127.0.0.3",
            Status::EINVAL,
        ),
        (Join { store_path_count: 0, ..join_req("group1", 23000, 1) }, "127.0.0.3", Status::EINVAL),
        (
            Join {
                init_flag: false,
                status: StorageStatus::Deleted,
                ..join_req("group1", 23000, 1)
            },
            "127.0.0.3",
            Status(14),
        ),
    ];
    for (req, id, want) in cases {
        assert_eq!(c.join(req, id, "127.0.0.3", T0).map(|_| ()), Err(*want), "{id} {req:?}");
    }
    // The sole member may change the layout; more paths than the group is fine.
    c.join(&join_req("group1", 23000, 2), "127.0.0.2", "127.0.0.2", T0).unwrap();
    assert_eq!(c.group("group1").unwrap().store_path_count, 2);
    c.join(&join_req("group1", 23000, 3), "127.0.0.3", "127.0.0.3", T0).unwrap();
    assert_eq!(c.group("group1").unwrap().store_path_count, 2);
    // Fewer paths than the group, with another member at 2: refused.
    assert_eq!(
        c.join(&join_req("group1", 23000, 1), "127.0.0.4", "127.0.0.4", T0).map(|_| ()),
        Err(Status::EINVAL)
    );
    // A restarted storage unknown to this tracker keeps its status (ACTIVE → ONLINE).
    let req =
        Join { init_flag: false, status: StorageStatus::Active, ..join_req("group3", 23000, 1) };
    let reply = c.join(&req, "127.0.0.9", "127.0.0.9", T0).unwrap();
    assert_eq!(reply.my_status, StorageStatus::Online);
    c.check_invariants().unwrap();
}

#[test]
fn sync_report_min_or_max() {
    let mut c = Cluster::new();
    for ip in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        bring_up(&mut c, "group1", ip, T0, 50_000);
    }
    let e = |src: &str, ts: i32| SyncTimestamp { src_id: src.into(), timestamp: ts };
    let report = [
        e("127.0.0.2", 500),
        e("127.0.0.3", 300),
        e("127.0.0.4", 999),
        e("x", 1),
        e("127.0.0.2", 0),
    ];
    c.sync_report("group1", "127.0.0.4", &report, StoreServer::RoundRobin).unwrap();
    let g = c.group("group1").unwrap();
    assert_eq!(g.sync_timestamp("127.0.0.2", "127.0.0.4"), 500, "zero entry skipped");
    assert_eq!(g.sync_timestamp("127.0.0.3", "127.0.0.4"), 300);
    assert_eq!(g.sync_timestamp("127.0.0.4", "127.0.0.4"), 0, "self skipped");
    assert_eq!(c.storage("group1", "127.0.0.4").unwrap().last_synced_timestamp, 300);
    c.sync_report("group1", "127.0.0.4", &[e("127.0.0.3", 200)], StoreServer::FirstByIp).unwrap();
    assert_eq!(
        c.storage("group1", "127.0.0.4").unwrap().last_synced_timestamp,
        300,
        "max keeps old"
    );
    c.sync_report("group1", "127.0.0.4", &[e("127.0.0.3", 700)], StoreServer::FirstByIp).unwrap();
    assert_eq!(c.storage("group1", "127.0.0.4").unwrap().last_synced_timestamp, 700);
    // Sources that are not ACTIVE do not count.
    c.disconnect("group1", "127.0.0.2");
    c.sync_report("group1", "127.0.0.4", &[e("127.0.0.2", 100)], StoreServer::RoundRobin).unwrap();
    assert_eq!(c.storage("group1", "127.0.0.4").unwrap().last_synced_timestamp, 700);
    assert_eq!(
        c.sync_report("group1", "nobody", &[], StoreServer::RoundRobin),
        Err(Status::ENOENT)
    );
}

#[test]
fn change_status_rules() {
    let mut c = Cluster::new();
    bring_up(&mut c, "group1", "127.0.0.2", T0, 50_000);
    c.change_status("group1", "127.0.0.2", StorageStatus::Online).unwrap();
    assert_eq!(
        status(&c, "group1", "127.0.0.2"),
        StorageStatus::Active,
        "available → available: no-op"
    );
    c.change_status("group1", "127.0.0.2", StorageStatus::Recovery).unwrap();
    assert_eq!(status(&c, "group1", "127.0.0.2"), StorageStatus::Recovery);
    c.change_status("group1", "127.0.0.2", StorageStatus::Active).unwrap();
    assert_eq!(
        status(&c, "group1", "127.0.0.2"),
        StorageStatus::Offline,
        "ACTIVE stored as OFFLINE"
    );
    assert_eq!(
        c.change_status("group1", "127.0.0.2", StorageStatus::Unknown(42)),
        Err(Status::EINVAL)
    );
}

#[test]
fn disk_usage_and_load_balanced_path() {
    let mut c = Cluster::new();
    c.join(&join_req("group1", 23000, 3), "127.0.0.2", "127.0.0.2", T0).unwrap();
    let p = |free_mb| PathUsage { total_mb: 1000, free_mb };
    assert_eq!(
        c.disk_usage("group1", "127.0.0.2", &[p(1)], StorePath::RoundRobin),
        Err(Status::EINVAL)
    );
    c.disk_usage("group1", "127.0.0.2", &[p(10), p(900), p(50)], StorePath::LoadBalance).unwrap();
    let s = c.storage("group1", "127.0.0.2").unwrap();
    assert_eq!((s.current_write_path, s.total_mb(), s.free_mb()), (1, 3000, 960));
}

#[test]
fn snapshots_and_change_lists() {
    let mut c = Cluster::new();
    bring_up(&mut c, "group1", "127.0.0.3", T0, 40_000);
    bring_up(&mut c, "group1", "127.0.0.2", T0, 60_000);
    let stat =
        StorageStatBuff { total_upload_count: 7, last_heart_beat_time: 1, ..Default::default() };
    c.beat("group1", "127.0.0.2", Some(&stat), T0 + 30).unwrap();
    let reserve = ReservedSpace::Ratio(0.2);
    let g = GroupStat::from(c.group_snapshot("group1", reserve).unwrap());
    assert_eq!((g.total_mb, g.free_mb, g.reserved_mb), (100_000, 40_000, 20_000));
    assert_eq!((g.storage_count, g.readable_server_count, g.writable_server_count), (2, 2, 2));
    assert_eq!((g.storage_port, g.current_trunk_file_id), (23000, -1));
    assert_eq!(GroupStat::decode(&g.to_body()).unwrap(), g);
    assert_eq!(c.group_snapshot("nope", reserve), Err(Status::ENOENT));
    assert_eq!(c.group_snapshots(reserve).len(), 1);

    let all = c.storage_snapshots("group1", None, reserve).unwrap();
    assert_eq!(all.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["127.0.0.2", "127.0.0.3"]);
    let one: StorageStat =
        c.storage_snapshots("group1", Some("127.0.0.2"), reserve).unwrap()[0].clone().into();
    assert_eq!(one.stat.total_upload_count, 7);
    assert_eq!(one.stat.last_heart_beat_time, T0 + 30, "tracker's beat time, not the storage's");
    assert_eq!((one.rw_mode, one.free_mb, one.reserved_mb), (6, 60_000, 20_000));
    assert_eq!(c.storage_snapshots("group1", Some("x"), reserve), Err(Status::ENOENT));

    let mut seen = 0;
    let list = c.group_changes("group1", &mut seen).unwrap();
    assert_eq!(list.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), ["127.0.0.2", "127.0.0.3"]);
    assert!(list.iter().all(|b| b.status == StorageStatus::Active && b.port == 23000));
    assert_eq!(c.group_changes("group1", &mut seen), None);
    c.disconnect("group1", "127.0.0.3");
    assert_eq!(c.group_changes("group1", &mut seen).unwrap()[1].status, StorageStatus::Offline);
}
