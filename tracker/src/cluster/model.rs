//! The plain records of the cluster model: one [`Storage`] per storage
//! server and one [`Group`] holding its storages (sorted by id, as FastDFS
//! keeps `sorted_servers`) and the group's sync-timestamp matrix.
//!
//! Derived facts — total/free space, the readable and writable lists — are
//! computed from the records on demand, so there is no cached state that
//! could drift from what the storages reported.

use std::collections::BTreeMap;

use fdfs_protocol::tracker::{PathUsage, StorageBrief, StorageStatBuff, StorageStatus};

/// A storage's read/write permission (`rw_mode`: `R_OK` 4 | `W_OK` 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RwMode(pub u8);

impl RwMode {
    /// Readable (`R_OK`).
    pub const READ: u8 = 4;
    /// Writable (`W_OK`).
    pub const WRITE: u8 = 2;
    /// Both, the mode of every storage without `storage_ids.conf`.
    pub const BOTH: Self = Self(Self::READ | Self::WRITE);

    /// Whether downloads may be routed here.
    pub fn readable(self) -> bool {
        self.0 & Self::READ != 0
    }

    /// Whether uploads may be routed here.
    pub fn writable(self) -> bool {
        self.0 & Self::WRITE != 0
    }
}

impl Default for RwMode {
    fn default() -> Self {
        Self::BOTH
    }
}

/// One storage server as the tracker knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    /// Its id: the IP without `use_storage_id`, else from `storage_ids.conf`.
    pub id: String,
    /// The address clients reach it at.
    pub ip: String,
    pub port: u16,
    /// The group it belongs to (always its [`Group`]'s name).
    pub group: String,
    pub status: StorageStatus,
    pub rw_mode: RwMode,
    pub version: String,
    /// Unix seconds of its first start, as it reported.
    pub join_time: i64,
    /// Unix seconds of its current start, as it reported; 0 once offline.
    pub up_time: i64,
    /// Store paths it announced at join (1..=256).
    pub store_path_count: u16,
    pub subdir_count: u16,
    /// Space of each store path, from disk usage reports (one entry per
    /// announced path).
    pub paths: Vec<PathUsage>,
    /// Lower is preferred by `store_server = 2`.
    pub upload_priority: i64,
    /// The next store path an upload goes to.
    pub current_write_path: usize,
    /// Counters from its last beat. Its `last_synced_timestamp` and
    /// `last_heart_beat_time` are not used: the fields below are.
    pub stats: StorageStatBuff,
    /// Unix seconds of the last beat (or join).
    pub last_heart_beat_time: i64,
    /// The peer pushing old files to it, while it catches up.
    pub sync_src_id: Option<String>,
    /// Push old files created up to this time (unix seconds).
    pub sync_until_timestamp: i64,
    /// It has received every file its peers created before this time.
    pub last_synced_timestamp: i64,
}

impl Storage {
    /// A storage that has just been seen for the first time: INIT, both
    /// modes, no space reported yet.
    pub fn new(group: &str, id: &str, ip: &str, port: u16) -> Self {
        Self {
            id: id.to_string(),
            ip: ip.to_string(),
            port,
            group: group.to_string(),
            status: StorageStatus::Init,
            rw_mode: RwMode::BOTH,
            version: String::new(),
            join_time: 0,
            up_time: 0,
            store_path_count: 0,
            subdir_count: 0,
            paths: Vec::new(),
            upload_priority: 0,
            current_write_path: 0,
            stats: StorageStatBuff::default(),
            last_heart_beat_time: 0,
            sync_src_id: None,
            sync_until_timestamp: 0,
            last_synced_timestamp: 0,
        }
    }

    /// Sum of its paths' total space, MB.
    pub fn total_mb(&self) -> i64 {
        self.paths.iter().fold(0i64, |acc, p| acc.saturating_add(p.total_mb))
    }

    /// Sum of its paths' free space, MB.
    pub fn free_mb(&self) -> i64 {
        self.paths.iter().fold(0i64, |acc, p| acc.saturating_add(p.free_mb))
    }

    /// ACTIVE and readable: in the group's readable list.
    pub fn is_readable(&self) -> bool {
        self.status == StorageStatus::Active && self.rw_mode.readable()
    }

    /// ACTIVE and writable: in the group's writable list.
    pub fn is_writable(&self) -> bool {
        self.status == StorageStatus::Active && self.rw_mode.writable()
    }

    /// OFFLINE, ONLINE or ACTIVE (`FDFS_IS_AVAILABLE_STATUS`).
    pub fn is_available(&self) -> bool {
        matches!(
            self.status,
            StorageStatus::Offline | StorageStatus::Online | StorageStatus::Active
        )
    }

    /// Its entry in a change response or replica list.
    pub fn brief(&self) -> StorageBrief {
        StorageBrief {
            status: self.status,
            port: self.port,
            id: self.id.clone(),
            ip: self.ip.clone(),
        }
    }
}

/// A group: storages that replicate each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    /// The storage port its members announced.
    pub storage_port: u16,
    pub store_path_count: u16,
    pub subdir_count: u16,
    /// Rotation index into the writable list (`store_server = 0`); kept in
    /// range by every mutation.
    pub current_write_server: usize,
    /// Rotation index into the readable list (`download_server = 0`).
    pub current_read_server: usize,
    /// Bumped whenever membership or a member's status changes; a storage
    /// whose last seen value differs gets the group list in its change
    /// response.
    pub chg_count: u64,
    storages: BTreeMap<String, Storage>,
    /// `(src_id, dest_id)` → newest source file `dest` has received.
    sync_timestamps: BTreeMap<(String, String), i64>,
}

impl Group {
    /// An empty group.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            storage_port: 0,
            store_path_count: 0,
            subdir_count: 0,
            current_write_server: 0,
            current_read_server: 0,
            chg_count: 0,
            storages: BTreeMap::new(),
            sync_timestamps: BTreeMap::new(),
        }
    }

    /// Adds or replaces a storage, keyed by its id; its `group` is set to
    /// this group's name.
    pub fn insert_storage(&mut self, mut storage: Storage) {
        storage.group.clone_from(&self.name);
        self.storages.insert(storage.id.clone(), storage);
        self.fix_indexes();
    }

    /// Removes a storage and its sync timestamps.
    pub fn remove_storage(&mut self, id: &str) -> Option<Storage> {
        self.clear_sync_timestamps_of(id);
        let removed = self.storages.remove(id);
        self.fix_indexes();
        removed
    }

    /// A storage by id.
    pub fn storage(&self, id: &str) -> Option<&Storage> {
        self.storages.get(id)
    }

    pub(crate) fn storage_mut(&mut self, id: &str) -> Option<&mut Storage> {
        self.storages.get_mut(id)
    }

    /// Every storage, sorted by id.
    pub fn storages(&self) -> impl Iterator<Item = &Storage> {
        self.storages.values()
    }

    pub(crate) fn storages_mut(&mut self) -> impl Iterator<Item = &mut Storage> {
        self.storages.values_mut()
    }

    /// Number of storages (DELETED ones included, as FastDFS counts them).
    pub fn storage_count(&self) -> usize {
        self.storages.len()
    }

    /// ACTIVE writable storages, sorted by id.
    pub fn writable(&self) -> Vec<&Storage> {
        self.storages.values().filter(|s| s.is_writable()).collect()
    }

    /// ACTIVE readable storages, sorted by id.
    pub fn readable(&self) -> Vec<&Storage> {
        self.storages.values().filter(|s| s.is_readable()).collect()
    }

    /// The group's space as FastDFS reports it: the total and free space of
    /// the writable storage with the least free space (a group can only
    /// take what its fullest member can). Without writable storages, the
    /// same over every storage that reported; `(0, 0)` when none did.
    pub fn space_mb(&self) -> (i64, i64) {
        let min_free = |it: &mut dyn Iterator<Item = &Storage>| {
            it.min_by_key(|s| s.free_mb()).map(|s| (s.total_mb(), s.free_mb()))
        };
        min_free(&mut self.storages.values().filter(|s| s.is_writable()))
            .or_else(|| {
                min_free(
                    &mut self
                        .storages
                        .values()
                        .filter(|s| s.status != StorageStatus::Deleted && s.total_mb() > 0),
                )
            })
            .unwrap_or((0, 0))
    }

    /// The sync timestamp of `dest` for files from `src`, 0 if none.
    pub fn sync_timestamp(&self, src: &str, dest: &str) -> i64 {
        self.sync_timestamps.get(&(src.to_string(), dest.to_string())).copied().unwrap_or(0)
    }

    /// Every `((src, dest), timestamp)` entry.
    pub fn sync_timestamps(&self) -> impl Iterator<Item = (&(String, String), &i64)> {
        self.sync_timestamps.iter()
    }

    /// Records that `dest` has received `src`'s files up to `timestamp`.
    /// Ignored unless both are members and differ.
    pub fn set_sync_timestamp(&mut self, src: &str, dest: &str, timestamp: i64) {
        if src != dest && self.storages.contains_key(src) && self.storages.contains_key(dest) {
            self.sync_timestamps.insert((src.to_string(), dest.to_string()), timestamp);
        }
    }

    /// Forgets every sync timestamp to or from `id`.
    pub(crate) fn clear_sync_timestamps_of(&mut self, id: &str) {
        self.sync_timestamps.retain(|(src, dest), _| src != id && dest != id);
    }

    /// The change-response group list: every storage's brief, sorted by id.
    pub fn briefs(&self) -> Vec<StorageBrief> {
        self.storages.values().map(Storage::brief).collect()
    }

    /// Brings the rotation indexes back in range after the lists changed.
    pub(crate) fn fix_indexes(&mut self) {
        let w = self.storages.values().filter(|s| s.is_writable()).count();
        if self.current_write_server >= w {
            self.current_write_server = 0;
        }
        let r = self.storages.values().filter(|s| s.is_readable()).count();
        if self.current_read_server >= r {
            self.current_read_server = 0;
        }
    }
}
