//! Property test: any sequence of storage commands, admin commands and
//! queries — with arbitrary statuses, counts and ids — never panics and
//! keeps the model's invariants ([`Cluster::check_invariants`]).

use fdfs_protocol::filename::{FileKind, NameBlock, NameInfo, Source};
use fdfs_protocol::tracker::{
    Join, PathUsage, StorageBrief, StorageStatBuff, StorageStatus, SyncReqBody, SyncTimestamp,
};
use proptest::prelude::{ProptestConfig, any, prop_assert, proptest};

use super::Cluster;
use super::tests::join_req;
use crate::config::{
    DownloadServer, ReservedSpace, StoreLookup, StorePath, StoreServer, TrackerPolicy,
};
use crate::placement;

const GROUPS: [&str; 3] = ["group1", "group2", "group3"];
const IPS: [&str; 6] = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"];

/// One step: (operation, group, storage, peer, byte, small number).
type Step = (u8, usize, usize, usize, u8, u16);

fn policy(byte: u8) -> TrackerPolicy {
    TrackerPolicy {
        store_lookup: StoreLookup::from_code(i64::from(byte % 3)).unwrap_or_default(),
        store_group: GROUPS[usize::from(byte) % 3].to_string(),
        store_server: StoreServer::from_code(i64::from(byte / 3 % 3)).unwrap_or_default(),
        store_path: if byte & 0x10 != 0 { StorePath::LoadBalance } else { StorePath::RoundRobin },
        download_server: if byte & 0x20 != 0 {
            DownloadServer::SourceFirst
        } else {
            DownloadServer::RoundRobin
        },
        reserved_storage_space: if byte & 0x40 != 0 {
            ReservedSpace::Mb(i64::from(byte))
        } else {
            ReservedSpace::Ratio(0.2)
        },
        ..TrackerPolicy::default()
    }
}

fn apply(c: &mut Cluster, now: i64, (op, g, s, peer, byte, n): Step) {
    let (group, id, other) = (GROUPS[g % 3], IPS[s % 6], IPS[peer % 6]);
    let status = StorageStatus::from(byte);
    let p = policy(byte);
    match op % 16 {
        0 | 1 => {
            let req = Join {
                storage_port: 23000 + u16::from(byte & 1),
                store_path_count: n % 4,
                subdir_count_per_path: 256 - u16::from(byte & 2),
                init_flag: byte & 4 == 0,
                status,
                ..join_req(group, 23000, 1)
            };
            let _ = c.join(&req, id, id, now);
        }
        2 => {
            let _ = c.sync_dest_req(group, id, now);
        }
        3 => {
            let src = if byte & 1 == 0 { String::new() } else { other.to_string() };
            let _ = c.sync_notify(group, id, &SyncReqBody { src_id: src, until_timestamp: now });
        }
        4 | 5 => {
            let stat = StorageStatBuff { total_upload_count: i64::from(n), ..Default::default() };
            let _ = c.beat(group, id, (byte & 1 == 1).then_some(&stat), now);
        }
        6 => {
            let paths = vec![
                PathUsage { total_mb: i64::from(n) * 10, free_mb: i64::from(byte) };
                usize::from(n % 4)
            ];
            let _ = c.disk_usage(group, id, &paths, p.store_path);
        }
        7 => {
            let e = SyncTimestamp { src_id: other.to_string(), timestamp: i32::from(n) - 100 };
            let _ = c.sync_report(group, id, &[e], p.store_server);
        }
        8 => {
            let brief = StorageBrief { status, port: 23000, id: other.into(), ip: other.into() };
            let _ = c.report_status(group, &brief);
        }
        9 => {
            let _ = c.change_status(group, id, status);
        }
        10 => {
            c.disconnect(group, id);
        }
        11 => {
            c.check_alive(now, i64::from(n % 200));
        }
        12 => {
            let _ = c.delete_storage(group, id);
            let _ = c.delete_group(group);
        }
        13 => {
            let _ = c.sync_src_req(group, id);
            let _ = c.sync_dest_query(group, id);
        }
        14 => {
            let named = (byte & 0x80 != 0).then_some(group);
            let _ = placement::store_one(c, &p, named);
            let _ = placement::store_all(c, &p, named);
        }
        _ => {
            let source = Source::Ip(id.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST));
            let kind = [FileKind::Normal, FileKind::Appender, FileKind::Slave, FileKind::Trunk]
                [usize::from(byte % 4)];
            let block = NameBlock {
                source,
                create_time: (now - i64::from(n)) as u32,
                size_field: 0,
                crc32: 0,
            };
            let name = NameInfo { block, kind, trunk: None, ext: String::new() };
            let _ = placement::fetch_one(c, &p, group, &name, now);
            let _ = placement::fetch_all(c, &p, group, &name, now);
            let _ = placement::update(c, &p, group, &name);
        }
    }
    let _ = c.group_snapshots(p.reserved_storage_space);
    let _ = c.storage_snapshots(group, None, p.reserved_storage_space);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_commands_keep_invariants(
        steps in proptest::collection::vec(
            (any::<u8>(), 0usize..3, 0usize..6, 0usize..6, any::<u8>(), any::<u16>()),
            1..120,
        ),
    ) {
        let mut c = Cluster::new();
        let mut now = 1_700_000_000i64;
        for step in steps {
            now += i64::from(step.5 % 50);
            apply(&mut c, now, step);
            let checked = c.check_invariants();
            prop_assert!(checked.is_ok(), "{:?} after {:?}", checked, step);
        }
    }
}
