//! Placement policy tests: every `store_lookup`, `store_server`,
//! `store_path` and `download_server` value, rotation, the reserve, and the
//! readability rule.

use std::net::Ipv4Addr;

use fdfs_protocol::Status;
use fdfs_protocol::filename::{FileKind, NameBlock, NameInfo, ServerId, Source};
use fdfs_protocol::tracker::{Join, PathUsage, StorageBrief, StorageStatus};

use super::{fetch_all, fetch_one, has_file, lookup_group, store_all, store_one, update};
use crate::cluster::Cluster;
use crate::cluster::tests::join_req;
use crate::config::{
    DownloadServer, ReservedSpace, StoreLookup, StorePath, StoreServer, TrackerPolicy,
};

const NOW: i64 = 1_700_000_000;

/// Makes `ip` an ACTIVE member of `group` with these (total, free) paths.
fn active(c: &mut Cluster, group: &str, ip: &str, paths: &[(i64, i64)]) {
    let req = Join { store_path_count: paths.len() as u16, ..join_req(group, 23000, 1) };
    c.join(&req, ip, ip, NOW).unwrap();
    if let Some(src) = c.sync_dest_req(group, ip, NOW).unwrap().0 {
        c.sync_notify(group, ip, &src).unwrap();
        let brief =
            StorageBrief { status: StorageStatus::Offline, port: 0, id: ip.into(), ip: ip.into() };
        c.report_status(group, &brief).unwrap();
    }
    c.beat(group, ip, None, NOW).unwrap();
    let usage: Vec<PathUsage> =
        paths.iter().map(|&(total_mb, free_mb)| PathUsage { total_mb, free_mb }).collect();
    c.disk_usage(group, ip, &usage, StorePath::RoundRobin).unwrap();
    assert_eq!(c.storage(group, ip).unwrap().status, StorageStatus::Active);
}

fn policy(f: impl FnOnce(&mut TrackerPolicy)) -> TrackerPolicy {
    let mut p = TrackerPolicy::default();
    f(&mut p);
    p
}

fn lookups(c: &mut Cluster, p: &TrackerPolicy, n: usize) -> Vec<Result<String, Status>> {
    (0..n).map(|_| lookup_group(c, p, None)).collect()
}

fn ok(names: &[&str]) -> Vec<Result<String, Status>> {
    names.iter().map(|n| Ok(n.to_string())).collect()
}

#[test]
fn store_lookup_round_robin_skips_full_groups() {
    let mut c = Cluster::new();
    active(&mut c, "group1", "10.0.0.1", &[(1000, 900)]);
    active(&mut c, "group2", "10.0.0.2", &[(1000, 100)]); // 10% < 20% reserve
    active(&mut c, "group3", "10.0.0.3", &[(1000, 500)]);
    let p = policy(|p| p.store_lookup = StoreLookup::RoundRobin);
    assert_eq!(lookups(&mut c, &p, 4), ok(&["group1", "group3", "group1", "group3"]));
    c.check_invariants().unwrap();
}

#[test]
fn store_lookup_specified_group() {
    let mut c = Cluster::new();
    active(&mut c, "group1", "10.0.0.1", &[(1000, 900)]);
    active(&mut c, "group2", "10.0.0.2", &[(1000, 100)]);
    let table: &[(&str, Result<String, Status>)] = &[
        ("group1", Ok("group1".into())),
        ("group2", Err(Status::ENOSPC)),
        ("group9", Err(Status::ENOENT)),
    ];
    for (group, want) in table {
        let p = policy(|p| {
            p.store_lookup = StoreLookup::SpecifiedGroup;
            p.store_group = group.to_string();
        });
        assert_eq!(lookups(&mut c, &p, 2), vec![want.clone(), want.clone()], "{group}");
    }
    // A group named by the client wins over the policy.
    let p = policy(|p| p.store_lookup = StoreLookup::SpecifiedGroup);
    assert_eq!(lookup_group(&mut c, &p, Some("group1")), Ok("group1".into()));
}

#[test]
fn store_lookup_load_balance_takes_max_free_with_space() {
    let mut c = Cluster::new();
    active(&mut c, "group1", "10.0.0.1", &[(1000, 300)]);
    active(&mut c, "group2", "10.0.0.2", &[(1000, 700)]);
    let p = TrackerPolicy::default();
    assert_eq!(lookups(&mut c, &p, 3), ok(&["group2", "group2", "group2"]));
    // The biggest group is over its reserve (15% < 20%): the next with space.
    active(&mut c, "group3", "10.0.0.3", &[(10_000, 1500)]);
    assert_eq!(lookups(&mut c, &p, 2), ok(&["group1", "group1"]));
    // An absolute reserve lets group3 in again.
    let p = policy(|p| p.reserved_storage_space = "1G".parse().unwrap());
    assert_eq!(lookup_group(&mut c, &p, None), Ok("group3".into()));
}

#[test]
fn store_lookup_errors() {
    let p = TrackerPolicy::default();
    let mut c = Cluster::new();
    assert_eq!(lookup_group(&mut c, &p, None), Err(Status::ENOENT), "no groups");
    c.join(&join_req("group1", 23000, 1), "10.0.0.1", "10.0.0.1", NOW).unwrap();
    assert_eq!(lookup_group(&mut c, &p, None), Err(Status::ENOENT), "nothing writable");
    assert_eq!(lookup_group(&mut c, &p, Some("group1")), Err(Status::ENOENT));
    active(&mut c, "group2", "10.0.0.2", &[(1000, 200)]);
    for lookup in [StoreLookup::RoundRobin, StoreLookup::LoadBalance] {
        let p = policy(|p| p.store_lookup = lookup);
        assert_eq!(lookup_group(&mut c, &p, None), Err(Status::ENOSPC), "{lookup:?}");
    }
    assert_eq!(store_one(&mut c, &p, Some("group2")), Err(Status::ENOSPC));
}

fn store_ips(c: &mut Cluster, p: &TrackerPolicy, n: usize) -> Vec<String> {
    (0..n).map(|_| store_one(c, p, Some("group1")).unwrap().storage.ip).collect()
}

#[test]
fn store_server_policies() {
    let mut c = Cluster::new();
    active(&mut c, "group1", "10.0.0.3", &[(1000, 900)]);
    active(&mut c, "group1", "10.0.0.1", &[(1000, 900)]);
    active(&mut c, "group1", "10.0.0.2", &[(1000, 900)]);
    c.join(
        &Join { upload_priority: 1, ..join_req("group1", 23000, 1) },
        "10.0.0.3",
        "10.0.0.3",
        NOW,
    )
    .unwrap();
    let table: &[(StoreServer, [&str; 4])] = &[
        (StoreServer::RoundRobin, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"]),
        (StoreServer::FirstByIp, ["10.0.0.1"; 4]),
        (StoreServer::FirstByPriority, ["10.0.0.3"; 4]),
    ];
    for (server, want) in table {
        let p = policy(|p| p.store_server = *server);
        assert_eq!(store_ips(&mut c, &p, 4), want.to_vec(), "{server:?}");
    }
    let all = store_all(&mut c, &TrackerPolicy::default(), None).unwrap();
    assert_eq!(
        all.storages.iter().map(|a| a.ip.as_str()).collect::<Vec<_>>(),
        ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    );
    assert_eq!(all.group, "group1");
    c.check_invariants().unwrap();
}

fn path_indexes(c: &mut Cluster, p: &TrackerPolicy, n: usize) -> Vec<Result<u8, Status>> {
    (0..n).map(|_| store_one(c, p, None).map(|t| t.store_path_index)).collect()
}

#[test]
fn store_path_policies() {
    let mut c = Cluster::new();
    active(&mut c, "group1", "10.0.0.1", &[(1000, 900), (1000, 100), (1000, 800)]);
    let rr = TrackerPolicy::default();
    assert_eq!(path_indexes(&mut c, &rr, 4), vec![Ok(0), Ok(2), Ok(0), Ok(2)], "path 1 full");
    // Load balance: the disk report moved the write path to the freest one.
    let lb = policy(|p| p.store_path = StorePath::LoadBalance);
    let usage =
        [(1000, 300), (1000, 950), (1000, 800)].map(|(t, f)| PathUsage { total_mb: t, free_mb: f });
    c.disk_usage("group1", "10.0.0.1", &usage, StorePath::LoadBalance).unwrap();
    assert_eq!(path_indexes(&mut c, &lb, 3), vec![Ok(1), Ok(1), Ok(1)]);
    // Absolute reserve split over the paths: 900M / 3 = 300M each.
    let abs = policy(|p| p.reserved_storage_space = ReservedSpace::Mb(900));
    let usage =
        [(1000, 300), (1000, 301), (1000, 300)].map(|(t, f)| PathUsage { total_mb: t, free_mb: f });
    c.disk_usage("group1", "10.0.0.1", &usage, StorePath::RoundRobin).unwrap();
    assert_eq!(path_indexes(&mut c, &abs, 2), vec![Ok(1), Ok(1)]);
    // No path above the reserve on the chosen storage: ENOSPC, though the
    // group (sized by its member with the least free space) has space.
    let mut c = Cluster::new();
    active(&mut c, "group1", "10.0.0.1", &[(5000, 900), (5000, 900)]); // 18% each
    active(&mut c, "group1", "10.0.0.2", &[(50, 25), (50, 25)]); // 50%
    let p = policy(|p| p.store_server = StoreServer::FirstByIp);
    assert_eq!(lookup_group(&mut c, &p, None), Ok("group1".into()));
    assert_eq!(path_indexes(&mut c, &p, 1), vec![Err(Status::ENOSPC)]);
}

/// A decoded name from `source` created at `ts`.
fn name(source: Source, ts: i64, kind: FileKind) -> NameInfo {
    let block = NameBlock { source, create_time: ts as u32, size_field: 1 << 63 | 10, crc32: 0 };
    NameInfo { block, kind, trunk: None, ext: "txt".into() }
}

fn ip(s: &str) -> Source {
    Source::Ip(s.parse::<Ipv4Addr>().unwrap())
}

#[test]
fn readability_rule_branches() {
    let mut c = Cluster::new();
    active(&mut c, "group1", "10.0.0.1", &[(1000, 900)]);
    active(&mut c, "group1", "10.0.0.2", &[(1000, 900)]);
    let p = TrackerPolicy::default();
    let peer = |c: &mut Cluster, synced: i64| {
        c.group_mut("group1").unwrap().storage_mut("10.0.0.2").unwrap().last_synced_timestamp =
            synced;
        c.storage("group1", "10.0.0.2").unwrap().clone()
    };
    let ts = NOW - 10;
    let table: &[(&str, Source, i64, i64, bool)] = &[
        // (what, source, file ts, peer's last_synced, readable on peer)
        ("source itself", ip("10.0.0.2"), ts, 0, true),
        ("id source itself", Source::Id(ServerId::new(7).unwrap()), ts, 0, false),
        ("not synced", ip("10.0.0.1"), ts, 0, false),
        ("older than max delay", ip("10.0.0.1"), NOW - 86_401, 0, true),
        ("at max delay", ip("10.0.0.1"), NOW - 86_400, 0, false),
        ("synced past", ip("10.0.0.1"), ts, ts + 1, true),
        ("synced to ts, young", ip("10.0.0.1"), ts, ts, false),
        ("synced to ts-1, older than max time", ip("10.0.0.1"), NOW - 301, NOW - 302, true),
        ("synced to ts-2, older than max time", ip("10.0.0.1"), NOW - 301, NOW - 303, false),
        ("synced to ts, exactly max time", ip("10.0.0.1"), NOW - 300, NOW - 300, false),
    ];
    for &(what, source, file_ts, synced, want) in table {
        let s = peer(&mut c, synced);
        assert_eq!(has_file(&s, &name(source, file_ts, FileKind::Normal), &p, NOW), want, "{what}");
    }
    let mut s = peer(&mut c, 0);
    s.id = "7".into();
    let by_id = name(Source::Id(ServerId::new(7).unwrap()), ts, FileKind::Normal);
    assert!(has_file(&s, &by_id, &p, NOW), "numeric id source");
}

#[test]
fn download_routing() {
    let mut c = Cluster::new();
    for s in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        active(&mut c, "group1", s, &[(1000, 900)]);
    }
    let fresh = name(ip("10.0.0.2"), NOW - 1, FileKind::Normal);
    let old = name(ip("10.0.0.2"), NOW - 100_000, FileKind::Normal);
    let rr = TrackerPolicy::default();
    let fetch = |c: &mut Cluster, p: &TrackerPolicy, n: &NameInfo| {
        fetch_one(c, p, "group1", n, NOW).map(|t| t.storage.ip)
    };
    // Round robin over the storages that have it.
    let got: Vec<_> = (0..4).map(|_| fetch(&mut c, &rr, &old).unwrap()).collect();
    assert_eq!(got, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"]);
    // A fresh file only on its source.
    assert_eq!(fetch(&mut c, &rr, &fresh), Ok("10.0.0.2".into()));
    assert_eq!(fetch(&mut c, &rr, &fresh), Ok("10.0.0.2".into()));
    // Source first.
    let sf = policy(|p| p.download_server = DownloadServer::SourceFirst);
    assert_eq!(fetch(&mut c, &sf, &old), Ok("10.0.0.2".into()));
    // Appender and slave files always go to the source, whatever the policy.
    for kind in [FileKind::Appender, FileKind::Slave] {
        let n = name(ip("10.0.0.3"), NOW - 100_000, kind);
        assert_eq!(fetch(&mut c, &rr, &n), Ok("10.0.0.3".into()), "{kind:?}");
        let all = fetch_all(&c, &rr, "group1", &n, NOW).unwrap();
        assert_eq!(all.storages.len(), 1);
    }
    // Fetch all: every storage that has it.
    assert_eq!(fetch_all(&c, &rr, "group1", &old, NOW).unwrap().storages.len(), 3);
    assert_eq!(fetch_all(&c, &rr, "group1", &fresh, NOW).unwrap().storages[0].ip, "10.0.0.2");
    // Source gone: fall back to the group's store server (first writable).
    let gone = name(ip("10.9.9.9"), NOW - 1, FileKind::Appender);
    assert_eq!(fetch(&mut c, &rr, &gone), Ok("10.0.0.1".into()));
    assert_eq!(fetch(&mut c, &rr, &fresh).map(|_| ()), Ok(()));
    assert_eq!(fetch_one(&mut c, &rr, "nope", &old, NOW), Err(Status::ENOENT));
    assert_eq!(fetch_all(&c, &rr, "nope", &old, NOW), Err(Status::ENOENT));
    c.check_invariants().unwrap();
}

#[test]
fn update_goes_to_writable_source() {
    let mut c = Cluster::new();
    active(&mut c, "group1", "10.0.0.1", &[(1000, 900)]);
    active(&mut c, "group1", "10.0.0.2", &[(1000, 900)]);
    let p = TrackerPolicy::default();
    let n = name(ip("10.0.0.2"), NOW, FileKind::Appender);
    assert_eq!(update(&mut c, &p, "group1", &n).unwrap().storage.ip, "10.0.0.2");
    c.disconnect("group1", "10.0.0.2");
    assert_eq!(update(&mut c, &p, "group1", &n).unwrap().storage.ip, "10.0.0.1");
    c.disconnect("group1", "10.0.0.1");
    assert_eq!(update(&mut c, &p, "group1", &n), Err(Status::ENOENT));
    assert_eq!(fetch_one(&mut c, &p, "group1", &n, NOW), Err(Status::ENOENT), "nothing readable");
    assert_eq!(update(&mut c, &p, "nope", &n), Err(Status::ENOENT));
}
