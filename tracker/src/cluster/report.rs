//! What a joined storage reports on its reporter connection — beats (83),
//! disk usage (84), sync progress (89), peer status (76), its own status
//! (59) — and the liveness rules: a silent or disconnected storage goes
//! OFFLINE (`fastdfs-protocol.md` §3.3, §4 "Liveness", §6, §9).

use fdfs_protocol::Status;
use fdfs_protocol::tracker::{
    PathUsage, StorageBrief, StorageStatBuff, StorageStatus, SyncTimestamp, validate_storage_id,
};

use super::Cluster;
use super::model::{Group, Storage};
use crate::config::{StorePath, StoreServer};

impl Group {
    /// `tracker_mem_active_store_server`: a storage that beats or reports
    /// disk usage becomes ACTIVE unless it is still catching up (INIT,
    /// WAIT_SYNC, SYNCING), has an IP change pending, or is DELETED (or an
    /// unknown status).
    fn activate(&mut self, id: &str) {
        if let Some(s) = self.storage_mut(id)
            && matches!(
                s.status,
                StorageStatus::Offline | StorageStatus::Online | StorageStatus::Recovery
            )
        {
            s.status = StorageStatus::Active;
            self.chg_count += 1;
        }
        self.fix_indexes();
    }
}

/// Copies a beat's counters, keeping the two timestamps the tracker owns.
fn adopt_stats(s: &mut Storage, stat: &StorageStatBuff) {
    let (synced, beat) = (s.stats.last_synced_timestamp, s.stats.last_heart_beat_time);
    s.stats = stat.clone();
    s.stats.last_synced_timestamp = synced;
    s.stats.last_heart_beat_time = beat;
}

impl Cluster {
    /// Handles a BEAT (83): adopts the counters when sent, records the beat
    /// time and promotes the storage to ACTIVE when it may serve.
    pub fn beat(
        &mut self,
        group: &str,
        id: &str,
        stat: Option<&StorageStatBuff>,
        now: i64,
    ) -> Result<(), Status> {
        let g = self.member(group, id)?;
        let s = g.storage_mut(id).ok_or(Status::ENOENT)?;
        if let Some(stat) = stat {
            adopt_stats(s, stat);
        }
        s.last_heart_beat_time = now;
        g.activate(id);
        Ok(())
    }

    /// Handles REPORT_DISK_USAGE (84): one entry per store path the storage
    /// announced (`EINVAL` otherwise). With `store_path = 2` the storage's
    /// write path moves to a path with more free space. Promotes like a
    /// beat.
    pub fn disk_usage(
        &mut self,
        group: &str,
        id: &str,
        paths: &[PathUsage],
        store_path: StorePath,
    ) -> Result<(), Status> {
        let g = self.member(group, id)?;
        let s = g.storage_mut(id).ok_or(Status::ENOENT)?;
        if paths.len() != usize::from(s.store_path_count) {
            return Err(Status::EINVAL);
        }
        s.paths = paths.to_vec();
        if s.current_write_path >= s.paths.len() {
            s.current_write_path = 0;
        }
        if store_path == StorePath::LoadBalance {
            for i in 0..s.paths.len() {
                let current = s.paths.get(s.current_write_path).map_or(i64::MIN, |p| p.free_mb);
                if s.paths.get(i).is_some_and(|p| p.free_mb > current) {
                    s.current_write_path = i;
                }
            }
        }
        g.activate(id);
        Ok(())
    }

    /// Handles SYNC_REPORT (89) from `dest`: for each ACTIVE source peer
    /// with a positive timestamp, records `(src, dest)` in the matrix. The
    /// storage's `last_synced_timestamp` becomes the minimum of those
    /// timestamps with `store_server = 0` (any member may have received the
    /// file, so all must be caught up) and the maximum (with its old value)
    /// otherwise (§9).
    pub fn sync_report(
        &mut self,
        group: &str,
        dest_id: &str,
        entries: &[SyncTimestamp],
        store_server: StoreServer,
    ) -> Result<(), Status> {
        let g = self.member(group, dest_id)?;
        let accepted: Vec<(String, i64)> = entries
            .iter()
            .filter(|e| e.timestamp > 0 && e.src_id != dest_id)
            .filter(|e| g.storage(&e.src_id).is_some_and(|s| s.status == StorageStatus::Active))
            .map(|e| (e.src_id.clone(), i64::from(e.timestamp)))
            .collect();
        for (src, ts) in &accepted {
            g.set_sync_timestamp(src, dest_id, *ts);
        }
        let s = g.storage_mut(dest_id).ok_or(Status::ENOENT)?;
        let timestamps = accepted.iter().map(|(_, ts)| *ts);
        if store_server == StoreServer::RoundRobin {
            if let Some(min) = timestamps.min() {
                s.last_synced_timestamp = min;
            }
        } else {
            s.last_synced_timestamp = timestamps.fold(s.last_synced_timestamp, i64::max);
        }
        Ok(())
    }

    /// Handles REPORT_STATUS (76): a storage reports a peer's status (a
    /// sync source marks its destination SYNCING, then OFFLINE when the old
    /// files are pushed). A known peer that is INIT, ONLINE, ACTIVE or
    /// RECOVERY keeps its status; DELETED and IP_CHANGED always apply;
    /// otherwise only a higher status value applies. An unknown peer is
    /// added with the reported status unless that is DELETED, IP_CHANGED,
    /// ONLINE, ACTIVE or NONE, or it is a live member of another group.
    /// `ENOENT` for an unknown group.
    pub fn report_status(&mut self, group: &str, brief: &StorageBrief) -> Result<(), Status> {
        let elsewhere = self.live_elsewhere(group, &brief.id, brief.port);
        let g = self.group_mut(group).ok_or(Status::ENOENT)?;
        let new = brief.status;
        if new == StorageStatus::None || matches!(new, StorageStatus::Unknown(_)) {
            return Ok(());
        }
        match g.storage_mut(&brief.id) {
            Some(s) => {
                let keep = s.status == new
                    || matches!(
                        s.status,
                        StorageStatus::Init
                            | StorageStatus::Online
                            | StorageStatus::Active
                            | StorageStatus::Recovery
                    );
                let force = matches!(new, StorageStatus::Deleted | StorageStatus::IpChanged);
                if !keep && (force || u8::from(new) > u8::from(s.status)) {
                    s.status = new;
                    g.chg_count += 1;
                }
            }
            None => {
                let ignored = matches!(
                    new,
                    StorageStatus::Deleted
                        | StorageStatus::IpChanged
                        | StorageStatus::Online
                        | StorageStatus::Active
                );
                let valid =
                    validate_storage_id(&brief.id).is_ok() && !brief.ip.is_empty() && !elsewhere;
                if !ignored
                    && valid
                    && g.storage_count() < fdfs_protocol::consts::MAX_SERVERS_EACH_GROUP
                {
                    let mut s = Storage::new(group, &brief.id, &brief.ip, brief.port);
                    s.status = new;
                    g.insert_storage(s);
                    g.chg_count += 1;
                }
            }
        }
        g.fix_indexes();
        Ok(())
    }

    /// Handles CHANGE_STATUS (59): the storage sets its own status. No-op
    /// when unchanged or when both old and new are available statuses;
    /// ONLINE and ACTIVE are stored as OFFLINE (the next beat promotes).
    pub fn change_status(
        &mut self,
        group: &str,
        id: &str,
        new: StorageStatus,
    ) -> Result<(), Status> {
        let g = self.member(group, id)?;
        let s = g.storage_mut(id).ok_or(Status::ENOENT)?;
        if matches!(new, StorageStatus::Unknown(_)) {
            return Err(Status::EINVAL);
        }
        let available = |st| {
            matches!(st, StorageStatus::Offline | StorageStatus::Online | StorageStatus::Active)
        };
        if s.status == new || (available(s.status) && available(new)) {
            return Ok(());
        }
        s.status = match new {
            StorageStatus::Online | StorageStatus::Active => StorageStatus::Offline,
            other => other,
        };
        g.chg_count += 1;
        g.fix_indexes();
        Ok(())
    }

    /// The storage's reporter connection closed: its up time resets and,
    /// unless it is catching up, deleted, IP-changed or recovering, it goes
    /// OFFLINE. Returns whether the status changed.
    pub fn disconnect(&mut self, group: &str, id: &str) -> bool {
        let Ok(g) = self.member(group, id) else { return false };
        let Some(s) = g.storage_mut(id) else { return false };
        s.up_time = 0;
        let stays = matches!(
            s.status,
            StorageStatus::WaitSync
                | StorageStatus::Syncing
                | StorageStatus::Init
                | StorageStatus::Deleted
                | StorageStatus::IpChanged
                | StorageStatus::Recovery
                | StorageStatus::Offline
        );
        if stays {
            return false;
        }
        s.status = StorageStatus::Offline;
        g.chg_count += 1;
        g.fix_indexes();
        true
    }

    /// The liveness check: every ACTIVE or ONLINE storage whose last beat
    /// is more than `check_active_interval` seconds before `now` goes
    /// OFFLINE. Returns the `(group, id)` of each storage it changed.
    pub fn check_alive(&mut self, now: i64, check_active_interval: i64) -> Vec<(String, String)> {
        let mut changed = Vec::new();
        for g in self.groups_mut() {
            let mut any = false;
            for s in g.storages_mut() {
                let live = matches!(s.status, StorageStatus::Active | StorageStatus::Online);
                if live && now.saturating_sub(s.last_heart_beat_time) > check_active_interval {
                    s.status = StorageStatus::Offline;
                    changed.push((s.group.clone(), s.id.clone()));
                    any = true;
                }
            }
            if any {
                g.chg_count += 1;
                g.fix_indexes();
            }
        }
        changed
    }
}
