//! The narrow interface between the reporter and the storage server: what
//! the reporter reads from the storage (space, counters, sync progress) and
//! what it tells the storage it learned from trackers.
//!
//! The storage server implements [`StorageFacts`]; [`InMemoryFacts`] is a
//! plain implementation for tests and embedding.

use std::sync::{Mutex, MutexGuard, PoisonError};

use fdfs_protocol::tracker::{
    Parameters, PathUsage, ServerAddr, StorageBrief, StorageStatBuff, StorageStatus, SyncReqBody,
    SyncTimestamp,
};

/// Something the reporter learned from a tracker, for the storage to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Learned {
    /// The storage's address as a tracker sees it (GET_MY_IP, 60). Without
    /// `use_storage_id` this is also the storage's id, the IP encoded in
    /// the file names it generates.
    MyIp(String),
    /// The tracker-side parameters that override local configuration
    /// (PARAMETER_REQ, 75), fetched once per start.
    Parameters(Parameters),
    /// The storage's own status as a tracker holds it (JOIN reply, or its
    /// entry in a group list).
    Status(StorageStatus),
    /// The sync-source handshake (SYNC_DEST_REQ, 87) completed: the peer
    /// that pushes this storage the group's old files and the time up to
    /// which it does, or `None` when there is nothing to copy. The storage
    /// must persist this — from then on it is no longer on its first start,
    /// and [`StorageFacts::sync_source`] must return it.
    SyncSource(Option<SyncReqBody>),
    /// Every storage of the group with its status, sorted by id (change
    /// response flag 4). The replication code starts and stops its per-peer
    /// workers from it.
    GroupMembers(Vec<StorageBrief>),
    /// The leader tracker (change response flag 1).
    Leader(ServerAddr),
}

/// The storage's live facts as the reporter reads them, and the sink for
/// what it learns. Shared by every reporter task; implementations must be
/// cheap and thread-safe.
pub trait StorageFacts: Send + Sync + 'static {
    /// Total and free MB of each store path, in path order (exactly
    /// `store_path_count` entries). May block briefly (it may ask the file
    /// system): the reporter calls it from `spawn_blocking`.
    fn disk_usage(&self) -> Vec<PathUsage>;

    /// The current 348-byte statistics block. Must not block.
    fn stats(&self) -> StorageStatBuff;

    /// For each group peer, the newest record timestamp received from it
    /// (SYNC_REPORT entries); empty when nothing was received. Must not
    /// block.
    fn sync_timestamps(&self) -> Vec<SyncTimestamp>;

    /// The sync source the storage persisted from an earlier
    /// [`Learned::SyncSource`]: announced again (SYNC_NOTIFY, 88) on every
    /// join after the first start. Must not block.
    fn sync_source(&self) -> Option<SyncReqBody>;

    /// Records something learned from a tracker. Called from the reporter
    /// tasks; must not block (hand persistence off to another task).
    fn learned(&self, event: Learned);
}

/// Everything [`InMemoryFacts`] holds.
#[derive(Debug, Clone, Default)]
pub struct FactsSnapshot {
    /// Returned by [`StorageFacts::disk_usage`].
    pub disk_usage: Vec<PathUsage>,
    /// Returned by [`StorageFacts::stats`].
    pub stats: StorageStatBuff,
    /// Returned by [`StorageFacts::sync_timestamps`].
    pub sync_timestamps: Vec<SyncTimestamp>,
    /// Returned by [`StorageFacts::sync_source`]; set by
    /// [`Learned::SyncSource`].
    pub sync_source: Option<SyncReqBody>,
    /// Whether a [`Learned::SyncSource`] arrived.
    pub handshake_done: bool,
    /// Last [`Learned::MyIp`].
    pub my_ip: Option<String>,
    /// Last [`Learned::Parameters`].
    pub parameters: Option<Parameters>,
    /// Last [`Learned::Status`].
    pub status: Option<StorageStatus>,
    /// Last [`Learned::GroupMembers`].
    pub group_members: Option<Vec<StorageBrief>>,
    /// Last [`Learned::Leader`].
    pub leader: Option<ServerAddr>,
}

/// A [`StorageFacts`] that keeps everything in memory: the values it
/// reports are set by its owner, the events it receives are kept for
/// inspection.
#[derive(Debug, Default)]
pub struct InMemoryFacts {
    inner: Mutex<FactsSnapshot>,
}

impl InMemoryFacts {
    /// Facts for `store_path_count` paths of `total_mb` each, all free.
    pub fn new(store_path_count: u16, total_mb: i64) -> Self {
        let usage = PathUsage { total_mb, free_mb: total_mb };
        let snapshot = FactsSnapshot {
            disk_usage: vec![usage; usize::from(store_path_count)],
            ..FactsSnapshot::default()
        };
        Self { inner: Mutex::new(snapshot) }
    }

    fn lock(&self) -> MutexGuard<'_, FactsSnapshot> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of everything held.
    pub fn snapshot(&self) -> FactsSnapshot {
        self.lock().clone()
    }

    /// Changes what the reporter reads, under the lock.
    pub fn update(&self, change: impl FnOnce(&mut FactsSnapshot)) {
        change(&mut self.lock());
    }
}

impl StorageFacts for InMemoryFacts {
    fn disk_usage(&self) -> Vec<PathUsage> {
        self.lock().disk_usage.clone()
    }

    fn stats(&self) -> StorageStatBuff {
        self.lock().stats.clone()
    }

    fn sync_timestamps(&self) -> Vec<SyncTimestamp> {
        self.lock().sync_timestamps.clone()
    }

    fn sync_source(&self) -> Option<SyncReqBody> {
        self.lock().sync_source.clone()
    }

    fn learned(&self, event: Learned) {
        let mut s = self.lock();
        match event {
            Learned::MyIp(ip) => s.my_ip = Some(ip),
            Learned::Parameters(p) => s.parameters = Some(p),
            Learned::Status(st) => s.status = Some(st),
            Learned::SyncSource(src) => {
                s.sync_source = src;
                s.handshake_done = true;
            }
            Learned::GroupMembers(list) => s.group_members = Some(list),
            Learned::Leader(addr) => s.leader = Some(addr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_facts_record_events() {
        let facts = InMemoryFacts::new(2, 100);
        assert_eq!(facts.disk_usage().len(), 2);
        assert!(!facts.snapshot().handshake_done);
        let src = SyncReqBody { src_id: "127.0.0.2".into(), until_timestamp: 5 };
        facts.learned(Learned::SyncSource(Some(src.clone())));
        facts.learned(Learned::Status(StorageStatus::WaitSync));
        let s = facts.snapshot();
        assert!(s.handshake_done);
        assert_eq!(facts.sync_source(), Some(src));
        assert_eq!(s.status, Some(StorageStatus::WaitSync));
        facts.update(|s| s.stats.success_upload_count = 3);
        assert_eq!(facts.stats().success_upload_count, 3);
    }
}
