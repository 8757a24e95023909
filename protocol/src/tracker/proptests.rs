//! Property tests for the tracker messages: every record survives
//! encode → decode, valid layouts survive decode → encode byte for byte, and
//! no decoder panics whatever bytes arrive.

use bytes::{BufMut, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::message::{Decode, Encode, Raw, Text};
use crate::wire::PutExt;

use super::cluster_stat::{
    StorageClusterEntry, StorageClusterStat, StorageClusterStatReq, TrackerClusterEntry,
    TrackerClusterStat, TrackerClusterStatReq, VolumeEntry, VolumeStat, VolumeStatReq,
};
use super::leader::{
    CommitNextLeader, GetOneSysFile, GetSysFilesEnd, GetSysFilesStart, JoinLeader,
    NotifyNextLeader, NotifyReselectLeader, PingLeader, SysFileChunk, TrunkServers,
};
use super::monitor::{
    DeleteGroup, DeleteStorage, GetLeader, GroupStat, GroupStats, ListAllGroups, ListOneGroup,
    ListStorage, SetTrunkServer, StorageStat, StorageStats, TrackerGetStatus, TrackerStatus,
};
use super::query::{
    FetchTarget, FetchTargets, QueryFetchAll, QueryFetchOne, QueryStoreWithGroupAll,
    QueryStoreWithGroupOne, QueryStoreWithoutGroupAll, QueryStoreWithoutGroupOne, QueryUpdate,
    StoreTarget, StoreTargets,
};
use super::records::{AddrText, ServerAddr, StorageBrief, StorageStatus, SyncReqBody, SyncSource};
use super::report::{
    Beat, ChangeResponse, ChangeStatus, ChangelogReq, DiskUsage, FetchStorageIds, FetchTrunkFid,
    GetGroupName, GetMyIp, GetServerId, GetStorageStatus, GroupNameReply, Join, JoinResponse,
    ParameterReq, Parameters, ReplicaChg, ReportIpChanged, ReportStatus, ReportTrunkFid,
    ReportTrunkFree, StorageIds, SyncDestQuery, SyncDestReq, SyncNotify, SyncReport, SyncSrcReq,
    TrunkFid,
};
use super::stat::{ConnStats, StorageStatBuff};

fn group() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{1,16}"
}

fn id() -> impl Strategy<Value = String> {
    "[0-9a-z.]{0,15}"
}

fn ipv4() -> impl Strategy<Value = String> {
    "[0-9.]{1,15}"
}

fn any_ip() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9.]{1,15}", "[0-9a-f:]{16,45}"]
}

fn addr() -> impl Strategy<Value = ServerAddr> {
    (any_ip(), any::<u16>()).prop_map(|(ip, port)| ServerAddr { ip, port })
}

fn status() -> impl Strategy<Value = StorageStatus> {
    any::<u8>().prop_map(StorageStatus::from)
}

fn brief() -> impl Strategy<Value = StorageBrief> {
    (status(), any::<u16>(), id(), "[0-9a-f.:]{0,45}")
        .prop_map(|(status, port, id, ip)| StorageBrief { status, port, id, ip })
}

fn stat_buff() -> impl Strategy<Value = StorageStatBuff> {
    vec(any::<u8>(), StorageStatBuff::LEN).prop_map(|b| StorageStatBuff::decode(&b).unwrap())
}

/// Bytes that often look like protocol text, so decoders get past UTF-8 and
/// separator checks.
fn wire_byte() -> impl Strategy<Value = u8> {
    prop_oneof![Just(0u8), Just(b'\n'), Just(b':'), Just(b'='), 0x20u8..0x7f, any::<u8>()]
}

fn round_trip<T: Encode + Decode + PartialEq + std::fmt::Debug>(value: &T) {
    let body = value.to_body();
    assert_eq!(&T::decode(&body).expect("decodes"), value);
}

/// Calls every tracker decoder on `b`; only a panic fails.
fn decode_everything(b: &[u8]) {
    macro_rules! all {
        ($($t:ty),* $(,)?) => { $( let _ = <$t as Decode>::decode(b); )* };
    }
    all!(
        StorageBrief,
        StorageStatBuff,
        ConnStats,
        SyncReqBody,
        SyncSource,
        AddrText,
        QueryStoreWithoutGroupOne,
        QueryStoreWithoutGroupAll,
        QueryStoreWithGroupOne,
        QueryStoreWithGroupAll,
        QueryFetchOne,
        QueryFetchAll,
        QueryUpdate,
        StoreTarget,
        StoreTargets,
        FetchTarget,
        FetchTargets,
        ListAllGroups,
        ListOneGroup,
        GroupStat,
        GroupStats,
        ListStorage,
        StorageStats,
        DeleteStorage,
        DeleteGroup,
        SetTrunkServer,
        GetLeader,
        TrackerGetStatus,
        TrackerStatus,
        TrackerClusterStatReq,
        TrackerClusterStat,
        StorageClusterStatReq,
        StorageClusterStat,
        VolumeStatReq,
        VolumeStat,
        GetMyIp,
        ParameterReq,
        Parameters,
        GetServerId,
        FetchStorageIds,
        StorageIds,
        GetGroupName,
        GroupNameReply,
        Join,
        JoinResponse,
        SyncDestReq,
        SyncDestQuery,
        SyncNotify,
        SyncSrcReq,
        Beat,
        DiskUsage,
        SyncReport,
        ChangeResponse,
        ReportStatus,
        ChangeStatus,
        ReplicaChg,
        ChangelogReq,
        ReportIpChanged,
        GetStorageStatus,
        FetchTrunkFid,
        TrunkFid,
        ReportTrunkFid,
        ReportTrunkFree,
        JoinLeader,
        PingLeader,
        TrunkServers,
        NotifyNextLeader,
        CommitNextLeader,
        NotifyReselectLeader,
        GetSysFilesStart,
        GetSysFilesEnd,
        GetOneSysFile,
        SysFileChunk,
        Text,
        Raw,
    );
}

/// Body lengths of the tracker layouts, and their neighbours.
const LENGTHS: &[usize] = &[
    0, 1, 2, 3, 4, 5, 6, 8, 9, 12, 16, 17, 18, 20, 21, 22, 24, 25, 31, 32, 38, 39, 40, 41, 60, 63,
    67, 69, 70, 83, 90, 91, 106, 108, 112, 113, 123, 134, 145, 146, 162, 179, 226, 324, 348, 487,
    488, 517, 974, 1034, 1461,
];

proptest! {
    #[test]
    fn decoders_never_panic(b in vec(any::<u8>(), 0..1600)) {
        decode_everything(&b);
    }

    #[test]
    fn decoders_never_panic_at_layout_lengths(
        len in proptest::sample::select(LENGTHS),
        b in vec(wire_byte(), 1600),
    ) {
        decode_everything(&b[..len]);
    }

    #[test]
    fn brief_round_trips(b in brief()) {
        round_trip(&b);
        prop_assert_eq!(b.to_body().len(), StorageBrief::LEN);
    }

    #[test]
    fn stat_buff_round_trips(raw in vec(any::<u8>(), StorageStatBuff::LEN)) {
        let s = StorageStatBuff::decode(&raw).unwrap();
        prop_assert_eq!(&s.to_body()[..], &raw[..]);
        round_trip(&s);
    }

    #[test]
    fn sync_body_round_trips(src_id in id(), until_timestamp in any::<i64>()) {
        round_trip(&SyncReqBody { src_id, until_timestamp });
    }

    #[test]
    fn addr_round_trips(a in addr()) {
        prop_assert_eq!(a.to_string().parse::<ServerAddr>().unwrap(), a.clone());
        round_trip(&AddrText(a));
    }

    #[test]
    fn group_stat_round_trips(name in group(), raw in vec(any::<u8>(), 96)) {
        let mut body = BytesMut::new();
        body.put_fixed_str(&name, 17);
        body.put_slice(&raw);
        let g = GroupStat::decode(&body).unwrap();
        prop_assert_eq!(&g.to_body()[..], &body[..]);
        round_trip(&GroupStats(vec![g.clone(), g]));
    }

    #[test]
    fn storage_stat_round_trips(
        st in status(), rw_mode in any::<u8>(), id in id(), ip in any_ip(), src_id in id(),
        version in "[0-9.]{0,8}", nums in vec(any::<i64>(), 10), stat in stat_buff(),
        trunk in any::<bool>(),
    ) {
        let s = StorageStat {
            status: st, rw_mode, id, ip, src_id, version,
            join_time: nums[0], up_time: nums[1], total_mb: nums[2], free_mb: nums[3],
            reserved_mb: nums[4], upload_priority: nums[5], store_path_count: nums[6],
            subdir_count_per_path: nums[7], current_write_path: nums[8], storage_port: nums[9],
            stat, if_trunk_server: trunk,
        };
        round_trip(&StorageStats(vec![s]));
    }

    #[test]
    fn query_replies_round_trip(
        g in group(), storages in vec(addr(), 1..=32), v4 in vec(ipv4(), 1..=32),
        index in any::<u8>(),
    ) {
        round_trip(&StoreTarget { group: g.clone(), storage: storages[0].clone(), store_path_index: index });
        round_trip(&FetchTarget { group: g.clone(), storage: storages[0].clone() });
        round_trip(&StoreTargets { group: g.clone(), storages: storages.clone(), store_path_index: index });
        round_trip(&FetchTargets { group: g.clone(), storages });
        let v4: Vec<ServerAddr> = v4.into_iter().map(|ip| ServerAddr { ip, port: 23000 }).collect();
        let all = FetchTargets { group: g, storages: v4 };
        prop_assert_eq!(all.to_body().len(), 16 + all.storages.len() * 23);
    }

    #[test]
    fn change_response_round_trips(
        leader in proptest::option::of(brief()),
        trunk_server in proptest::option::of(brief()),
        group_storages in proptest::option::of(vec(brief(), 0..=32)),
    ) {
        round_trip(&ChangeResponse { leader, trunk_server, group_storages });
    }

    #[test]
    fn join_round_trips(
        g in group(), port in any::<u16>(), paths in 1u16..=256, subdirs in 1u16..=256,
        nums in vec(any::<i64>(), 3), version in "[0-9.]{0,8}", init_flag in any::<bool>(),
        st in status(), storage_id in id(), tracker_ip in any_ip(),
        trackers in vec(addr(), 1..=16), my_status in status(), src_id in id(),
    ) {
        round_trip(&Join {
            group: g, storage_port: port, store_path_count: paths, subdir_count_per_path: subdirs,
            upload_priority: nums[0], join_time: nums[1], up_time: nums[2], version, init_flag,
            status: st, storage_id, current_tracker_ip: tracker_ip, trackers,
        });
        round_trip(&JoinResponse { my_status, src_id });
    }

    #[test]
    fn cluster_entries_round_trip(
        host in "[0-9.:]{0,52}", id in id(), g in group(), flags in any::<(bool, bool)>(),
        st in status(), raw in vec(any::<u8>(), 28), nums in vec(any::<i64>(), 5),
    ) {
        let conn = ConnStats::decode(&raw[..12]).unwrap();
        let version = "6.16.1".to_string();
        let t = TrackerClusterEntry {
            host: host.clone(), is_leader: flags.0, is_active: flags.1, conn,
            version: version.clone(), up_time: nums[0], last_heartbeat_time: nums[1],
        };
        round_trip(&TrackerClusterStat(vec![t]));
        let s = StorageClusterEntry {
            id, host, is_trunk_server: flags.0, status: st, conn, version,
            up_time: nums[2], last_heartbeat_time: nums[3],
        };
        round_trip(&StorageClusterStat { use_storage_id: flags.1, use_trunk_file: flags.0, storages: vec![s] });
        let v = VolumeEntry {
            group_name: g, total_mb: nums[0], free_mb: nums[1], reserved_mb: nums[2],
            avail_mb: nums[3], trunk_free_mb: nums[4], is_disk_available: flags.0,
            is_trunk_available: flags.1,
        };
        round_trip(&VolumeStat { use_trunk_file: flags.0, volumes: vec![v] });
        round_trip(&TrackerStatus { is_leader: flags.0, running_time: nums[0], restart_interval: nums[1] });
    }

    #[test]
    // Values as a tracker sends them: printable, without surrounding
    // white space (the decoder trims it, as an ini reader does).
    fn parameters_round_trip(pairs in vec(("[a-z_]{1,20}", "([!-~]([ -~]{0,18}[!-~])?)?"), 0..30)) {
        round_trip(&Parameters(pairs));
    }

    #[test]
    fn reports_round_trip(
        entries in vec((id(), any::<i32>()), 0..=32),
        paths in vec(any::<(i64, i64)>(), 1..=256),
        briefs in vec(brief(), 0..=32),
        g in group(),
    ) {
        round_trip(&SyncReport {
            entries: entries
                .into_iter()
                .map(|(src_id, timestamp)| super::report::SyncTimestamp { src_id, timestamp })
                .collect(),
        });
        round_trip(&DiskUsage {
            paths: paths
                .into_iter()
                .map(|(total_mb, free_mb)| super::report::PathUsage { total_mb, free_mb })
                .collect(),
        });
        if let Some(first) = briefs.first() {
            round_trip(&ReportStatus { group: g, storage: first.clone() });
        }
        round_trip(&ReplicaChg { storages: briefs });
    }
}
