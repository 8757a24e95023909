//! Administrative removal: SERVER_DELETE_STORAGE (93) and
//! SERVER_DELETE_GROUP (108), as `fdfs_monitor delete` sends them.

use fdfs_protocol::Status;
use fdfs_protocol::tracker::{StorageStatBuff, StorageStatus};

use super::Cluster;

impl Cluster {
    /// Deletes a storage that is not serving.
    ///
    /// `ENOENT` when unknown (or IP_CHANGED), `EBUSY` while ONLINE, ACTIVE
    /// or RECOVERY, `EALREADY` when already deleted. The storage stays in
    /// the group as DELETED with its space, counters and sync state cleared
    /// — so its peers learn of the deletion from the group list and it
    /// rejoins as a new member — and no peer keeps it as sync source.
    pub fn delete_storage(&mut self, group: &str, id: &str) -> Result<(), Status> {
        let g = self.member(group, id)?;
        let s = g.storage_mut(id).ok_or(Status::ENOENT)?;
        match s.status {
            StorageStatus::IpChanged => return Err(Status::ENOENT),
            StorageStatus::Online | StorageStatus::Active | StorageStatus::Recovery => {
                return Err(Status::EBUSY);
            }
            StorageStatus::Deleted => return Err(Status::EALREADY),
            _ => {}
        }
        s.status = StorageStatus::Deleted;
        s.paths.iter_mut().for_each(|p| *p = Default::default());
        s.stats = StorageStatBuff::default();
        s.sync_src_id = None;
        s.sync_until_timestamp = 0;
        s.last_synced_timestamp = 0;
        s.current_write_path = 0;
        for peer in g.storages_mut() {
            if peer.sync_src_id.as_deref() == Some(id) {
                peer.sync_src_id = None;
            }
        }
        g.clear_sync_timestamps_of(id);
        g.chg_count += 1;
        g.fix_indexes();
        Ok(())
    }

    /// Deletes a group whose storages are all DELETED (FastDFS requires an
    /// empty group; its deleted storages vanish at its next restart, so the
    /// two agree). `ENOENT` when unknown, `EBUSY` while any storage is not
    /// deleted.
    pub fn delete_group(&mut self, name: &str) -> Result<(), Status> {
        let g = self.group(name).ok_or(Status::ENOENT)?;
        if g.storages().any(|s| s.status != StorageStatus::Deleted) {
            return Err(Status::EBUSY);
        }
        self.remove_group(name);
        Ok(())
    }
}
