//! The storage's side of the reporter interface: live facts for heartbeats
//! and reports, and what trackers tell it (status, sync source, members,
//! the reply IP width).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use fdfs_protocol::IpWidth;
use fdfs_protocol::tracker::{
    PathUsage, StorageBrief, StorageStatBuff, StorageStatus, SyncReqBody, SyncTimestamp,
};
use tokio::sync::watch;
use tracing::{error, info};

use super::init_flag::InitFlag;
use super::state::StorageState;
use crate::reporter::{Learned, StorageFacts};

/// Bridges the reporter to the running storage.
#[derive(Debug)]
pub struct Facts {
    state: Arc<StorageState>,
    base: PathBuf,
    flag: Mutex<InitFlag>,
    status: Mutex<StorageStatus>,
    members: watch::Sender<Vec<StorageBrief>>,
}

impl Facts {
    pub fn new(state: Arc<StorageState>, base: PathBuf, flag: InitFlag) -> Self {
        let (members, _) = watch::channel(Vec::new());
        Self {
            state,
            base,
            flag: Mutex::new(flag),
            status: Mutex::new(StorageStatus::Init),
            members,
        }
    }

    /// The group's members as trackers last announced them.
    pub fn members(&self) -> watch::Receiver<Vec<StorageBrief>> {
        self.members.subscribe()
    }

    /// This storage's status as trackers last told it.
    pub fn status(&self) -> StorageStatus {
        *self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl StorageFacts for Facts {
    fn disk_usage(&self) -> Vec<PathUsage> {
        let paths = self.state.store.paths();
        (0..paths.len())
            .map(|i| {
                let (total_mb, free_mb) = paths
                    .root(i as u8)
                    .ok()
                    .and_then(|root| crate::store::DiskSpace::of(root).ok())
                    .map_or((0, 0), |d| (d.total_mb() as i64, d.free_mb() as i64));
                PathUsage { total_mb, free_mb }
            })
            .collect()
    }

    fn stats(&self) -> StorageStatBuff {
        self.state.stats.snapshot()
    }

    fn sync_timestamps(&self) -> Vec<SyncTimestamp> {
        self.state.sync.sync_timestamps()
    }

    fn sync_source(&self) -> Option<SyncReqBody> {
        self.flag.lock().unwrap_or_else(PoisonError::into_inner).sync_source.clone()
    }

    fn learned(&self, event: Learned) {
        match event {
            Learned::Status(status) => {
                *self.status.lock().unwrap_or_else(PoisonError::into_inner) = status;
            }
            Learned::SyncSource(source) => {
                let flag = {
                    let mut flag = self.flag.lock().unwrap_or_else(PoisonError::into_inner);
                    flag.handshake_done = true;
                    flag.sync_source = source.clone();
                    flag.clone()
                };
                info!(source = ?source, "sync source settled");
                let base = self.base.clone();
                // Persisted off the reporter's task: it must not block.
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = flag.save(&base) {
                        error!(error = %e, "saving .data_init_flag failed");
                    }
                });
            }
            Learned::GroupMembers(members) => {
                self.members.send_replace(members);
            }
            Learned::Parameters(parameters) => {
                // Absent (FastDFS ≤ 6.10 trackers) or unknown: keep Auto.
                let width =
                    parameters.get_i64("response_ip_addr_size").and_then(IpWidth::from_addr_size);
                if let Some(width) = width
                    && self.state.reply_ip_width.set(width)
                {
                    info!(%width, "response_ip_addr_size from the tracker");
                }
            }
            Learned::MyIp(_) | Learned::Leader(_) => {}
        }
    }
}
