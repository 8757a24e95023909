//! Monitoring and admin commands (90–98, 108, 64): what `fdfs_monitor`,
//! `fdfs_tracker_stat`, `fdfs_storage_stat` and `fdfs_volumn_stat` ask.

use fdfs_protocol::consts::FDFS_VERSION;
use fdfs_protocol::message::Empty;
use fdfs_protocol::tracker::{
    AddrText, ConnStats, DeleteGroup, DeleteStorage, GetLeader, GroupStat, GroupStats,
    ListAllGroups, ListOneGroup, ListStorage, ServerAddr, SetTrunkServer, StorageClusterEntry,
    StorageClusterStat, StorageClusterStatReq, StorageStat, StorageStats, StorageStatus,
    TrackerClusterEntry, TrackerClusterStat, TrackerClusterStatReq, TrackerGetStatus,
    TrackerStatus, VolumeEntry, VolumeStat, VolumeStatReq,
};
use fdfs_protocol::{Status, cmd};
use tracing::info;

use super::session::{Fault, Reply, decode};
use super::state::TrackerState;

pub fn handle(state: &TrackerState, code: u8, body: &[u8]) -> Result<Reply, Fault> {
    let reserve = state.policy.reserved_storage_space;
    match code {
        cmd::SERVER_LIST_ALL_GROUPS => {
            decode::<ListAllGroups>(body)?;
            let groups = state.with_cluster(|c| c.group_snapshots(reserve));
            Ok(Reply::of(&GroupStats(groups.into_iter().map(GroupStat::from).collect())))
        }
        cmd::SERVER_LIST_ONE_GROUP => {
            let req = decode::<ListOneGroup>(body)?;
            let group = state.with_cluster(|c| c.group_snapshot(&req.group, reserve))?;
            Ok(Reply::of(&GroupStat::from(group)))
        }
        cmd::SERVER_LIST_STORAGE => {
            let req = decode::<ListStorage>(body)?;
            let id = req.storage_id.as_deref();
            let list = state.with_cluster(|c| c.storage_snapshots(&req.group, id, reserve))?;
            Ok(Reply::of(&StorageStats(list.into_iter().map(StorageStat::from).collect())))
        }
        cmd::SERVER_DELETE_STORAGE => {
            let req = decode::<DeleteStorage>(body)?;
            state.mutate_group(&req.group, |c| c.delete_storage(&req.group, &req.storage_id))?;
            info!(group = %req.group, storage = %req.storage_id, "storage deleted by admin");
            Ok(Reply::of(&Empty))
        }
        cmd::SERVER_DELETE_GROUP => {
            let req = decode::<DeleteGroup>(body)?;
            state.mutate_group(&req.group, |c| c.delete_group(&req.group))?;
            info!(group = %req.group, "group deleted by admin");
            Ok(Reply::of(&Empty))
        }
        cmd::SERVER_SET_TRUNK_SERVER => {
            decode::<SetTrunkServer>(body)?;
            // Trunk files (small-file packing) are not used by fdfs.
            Err(Fault::Status(Status::EOPNOTSUPP))
        }
        cmd::SERVER_GET_LEADER => {
            decode::<GetLeader>(body)?;
            let leader = state.leader().leader.ok_or(Fault::Status(Status::ENOENT))?;
            Ok(Reply::of(&AddrText(ServerAddr::new(leader.ip().to_string(), leader.port()))))
        }
        cmd::TRACKER_GET_STATUS => {
            decode::<TrackerGetStatus>(body)?;
            Ok(Reply::of(&TrackerStatus {
                is_leader: state.is_leader(),
                running_time: state.running_time(),
                restart_interval: state.restart_interval,
            }))
        }
        cmd::SERVER_TRACKER_CLUSTER_STAT => tracker_cluster(state, body),
        cmd::SERVER_STORAGE_CLUSTER_STAT => storage_cluster(state, body),
        cmd::SERVER_STORAGE_VOLUMN_STAT => volumes(state, body),
        _ => Err(Fault::Status(Status::EINVAL)),
    }
}

/// Filter bit 1 selects by the first flag, bit 2 by the second
/// (`filter_by = 0`, what the stock tools send, lists everything).
fn passes(filter_by: u8, bit: u8, wanted: u8, actual: bool) -> bool {
    filter_by & bit == 0 || (wanted != 0) == actual
}

/// SERVER_TRACKER_CLUSTER_STAT (96): every tracker this one knows.
fn tracker_cluster(state: &TrackerState, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<TrackerClusterStatReq>(body)?;
    let leader = state.leader().leader;
    let entries = state
        .trackers
        .iter()
        .map(|&addr| {
            let seen = state.tracker_last_seen(addr);
            TrackerClusterEntry {
                host: addr.to_string(),
                is_leader: leader == Some(addr),
                is_active: addr == state.self_addr || seen.is_some(),
                conn: ConnStats::default(),
                version: FDFS_VERSION.to_string(),
                up_time: if addr == state.self_addr { state.started_at } else { 0 },
                last_heartbeat_time: seen.unwrap_or(0),
            }
        })
        .filter(|t| {
            passes(req.filter_by, 1, req.is_active, t.is_active)
                && passes(req.filter_by, 2, req.is_leader, t.is_leader)
        })
        .collect();
    Ok(Reply::of(&TrackerClusterStat(entries)))
}

/// SERVER_STORAGE_CLUSTER_STAT (97): every storage of every group. Filter
/// bit 1 compares the status (`op_type` 0: equal, else not equal).
fn storage_cluster(state: &TrackerState, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<StorageClusterStatReq>(body)?;
    let wanted = StorageStatus::from(req.status);
    let storages = state.with_cluster(|c| {
        c.groups()
            .flat_map(|g| g.storages())
            .filter(|s| req.filter_by & 1 == 0 || ((s.status == wanted) == (req.op_type == 0)))
            .filter(|_| passes(req.filter_by, 2, req.is_trunk_server, false))
            .map(|s| StorageClusterEntry {
                id: s.id.clone(),
                host: format!("{}:{}", s.ip, s.port),
                is_trunk_server: false,
                status: s.status,
                conn: ConnStats::default(),
                version: s.version.clone(),
                up_time: s.up_time,
                last_heartbeat_time: s.last_heart_beat_time,
            })
            .collect()
    });
    Ok(Reply::of(&StorageClusterStat { use_storage_id: false, use_trunk_file: false, storages }))
}

/// SERVER_STORAGE_VOLUMN_STAT (98): each group's space.
fn volumes(state: &TrackerState, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<VolumeStatReq>(body)?;
    let reserve = state.policy.reserved_storage_space;
    let volumes = state
        .with_cluster(|c| c.group_snapshots(reserve))
        .into_iter()
        .map(|g| {
            let avail_mb = (g.free_mb - g.reserved_mb).max(0);
            VolumeEntry {
                group_name: g.name,
                total_mb: g.total_mb,
                free_mb: g.free_mb,
                reserved_mb: g.reserved_mb,
                avail_mb,
                trunk_free_mb: 0,
                is_disk_available: avail_mb > 0,
                is_trunk_available: false,
            }
        })
        .filter(|v| {
            passes(req.filter_by, 1, req.is_disk_available, v.is_disk_available)
                && passes(req.filter_by, 2, req.is_trunk_available, v.is_trunk_available)
        })
        .collect();
    Ok(Reply::of(&VolumeStat { use_trunk_file: false, volumes }))
}
