//! Read-only snapshots of the model for the monitoring replies: group
//! listings (90/91), storage listings (92) and the group list of a change
//! response. Snapshots are plain values the server can encode after
//! releasing the model's lock; `From` impls turn them into the wire types.

use fdfs_protocol::Status;
use fdfs_protocol::tracker::{
    GroupStat, StorageBrief, StorageStat, StorageStatBuff, StorageStatus,
};

use super::Cluster;
use super::model::{Group, Storage};
use crate::config::ReservedSpace;

/// A group as SERVER_LIST_ONE_GROUP / SERVER_LIST_ALL_GROUPS report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSnapshot {
    pub name: String,
    /// Space of the group's fullest writable member (see [`Group::space_mb`]).
    pub total_mb: i64,
    pub free_mb: i64,
    /// `reserved_storage_space` applied to `total_mb`.
    pub reserved_mb: i64,
    pub storage_count: i64,
    pub storage_port: i64,
    pub readable_count: i64,
    pub writable_count: i64,
    pub current_write_server: i64,
    pub store_path_count: i64,
    pub subdir_count: i64,
}

impl GroupSnapshot {
    /// The snapshot of `group`.
    pub fn of(group: &Group, reserve: ReservedSpace) -> Self {
        let (total_mb, free_mb) = group.space_mb();
        Self {
            name: group.name.clone(),
            total_mb,
            free_mb,
            reserved_mb: reserve.reserved_mb(total_mb),
            storage_count: group.storage_count() as i64,
            storage_port: i64::from(group.storage_port),
            readable_count: group.readable().len() as i64,
            writable_count: group.writable().len() as i64,
            current_write_server: group.current_write_server as i64,
            store_path_count: i64::from(group.store_path_count),
            subdir_count: i64::from(group.subdir_count),
        }
    }
}

impl From<GroupSnapshot> for GroupStat {
    /// Trunk files are not supported: no trunk space, trunk file id −1.
    fn from(g: GroupSnapshot) -> Self {
        GroupStat {
            group_name: g.name,
            total_mb: g.total_mb,
            free_mb: g.free_mb,
            reserved_mb: g.reserved_mb,
            trunk_free_mb: 0,
            storage_count: g.storage_count,
            storage_port: g.storage_port,
            readable_server_count: g.readable_count,
            writable_server_count: g.writable_count,
            current_write_server: g.current_write_server,
            store_path_count: g.store_path_count,
            subdir_count_per_path: g.subdir_count,
            current_trunk_file_id: -1,
        }
    }
}

/// A storage as SERVER_LIST_STORAGE reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageSnapshot {
    pub status: StorageStatus,
    pub rw_mode: u8,
    pub id: String,
    pub ip: String,
    /// Empty when it has no sync source.
    pub src_id: String,
    pub version: String,
    pub join_time: i64,
    pub up_time: i64,
    pub total_mb: i64,
    pub free_mb: i64,
    pub reserved_mb: i64,
    pub upload_priority: i64,
    pub store_path_count: i64,
    pub subdir_count: i64,
    pub current_write_path: i64,
    pub port: i64,
    /// The beat counters with the tracker's `last_synced_timestamp` and
    /// `last_heart_beat_time` filled in.
    pub stats: StorageStatBuff,
}

impl StorageSnapshot {
    /// The snapshot of `s`.
    pub fn of(s: &Storage, reserve: ReservedSpace) -> Self {
        let mut stats = s.stats.clone();
        stats.last_synced_timestamp = s.last_synced_timestamp;
        stats.last_heart_beat_time = s.last_heart_beat_time;
        Self {
            status: s.status,
            rw_mode: s.rw_mode.0,
            id: s.id.clone(),
            ip: s.ip.clone(),
            src_id: s.sync_src_id.clone().unwrap_or_default(),
            version: s.version.clone(),
            join_time: s.join_time,
            up_time: s.up_time,
            total_mb: s.total_mb(),
            free_mb: s.free_mb(),
            reserved_mb: reserve.reserved_mb(s.total_mb()),
            upload_priority: s.upload_priority,
            store_path_count: i64::from(s.store_path_count),
            subdir_count: i64::from(s.subdir_count),
            current_write_path: s.current_write_path as i64,
            port: i64::from(s.port),
            stats,
        }
    }
}

impl From<StorageSnapshot> for StorageStat {
    /// Trunk files are not supported: never the trunk server.
    fn from(s: StorageSnapshot) -> Self {
        StorageStat {
            status: s.status,
            rw_mode: s.rw_mode,
            id: s.id,
            ip: s.ip,
            src_id: s.src_id,
            version: s.version,
            join_time: s.join_time,
            up_time: s.up_time,
            total_mb: s.total_mb,
            free_mb: s.free_mb,
            reserved_mb: s.reserved_mb,
            upload_priority: s.upload_priority,
            store_path_count: s.store_path_count,
            subdir_count_per_path: s.subdir_count,
            current_write_path: s.current_write_path,
            storage_port: s.port,
            stat: s.stats,
            if_trunk_server: false,
        }
    }
}

impl Cluster {
    /// One group's snapshot (SERVER_LIST_ONE_GROUP), `ENOENT` if unknown.
    pub fn group_snapshot(
        &self,
        name: &str,
        reserve: ReservedSpace,
    ) -> Result<GroupSnapshot, Status> {
        self.group(name).map(|g| GroupSnapshot::of(g, reserve)).ok_or(Status::ENOENT)
    }

    /// Every group's snapshot, sorted by name (SERVER_LIST_ALL_GROUPS).
    pub fn group_snapshots(&self, reserve: ReservedSpace) -> Vec<GroupSnapshot> {
        self.groups().map(|g| GroupSnapshot::of(g, reserve)).collect()
    }

    /// The storages of a group, sorted by id, or only `id`
    /// (SERVER_LIST_STORAGE). `ENOENT` for an unknown group or id.
    pub fn storage_snapshots(
        &self,
        group: &str,
        id: Option<&str>,
        reserve: ReservedSpace,
    ) -> Result<Vec<StorageSnapshot>, Status> {
        let g = self.group(group).ok_or(Status::ENOENT)?;
        match id {
            Some(id) => {
                let s = g.storage(id).ok_or(Status::ENOENT)?;
                Ok(vec![StorageSnapshot::of(s, reserve)])
            }
            None => Ok(g.storages().map(|s| StorageSnapshot::of(s, reserve)).collect()),
        }
    }

    /// The change-response group list for a storage that last saw the
    /// group at `*seen`: every member's brief sorted by id when the group
    /// changed since (and `*seen` catches up), else `None`. A connection
    /// starts with `seen = 0` so its first report gets the list.
    pub fn group_changes(&self, group: &str, seen: &mut u64) -> Option<Vec<StorageBrief>> {
        let g = self.group(group)?;
        if g.chg_count == *seen {
            return None;
        }
        *seen = g.chg_count;
        Some(g.briefs())
    }
}
