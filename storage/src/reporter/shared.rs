//! State the reporter tasks of one storage share: its configuration, the
//! facts interface, and the few things that happen once per storage rather
//! than once per tracker — the sync-source handshake and the parameter
//! fetch.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use fdfs_protocol::tracker::{Join, ServerAddr, StorageStatus, SyncReqBody};
use tokio::sync::Mutex as AsyncMutex;

use super::config::{Dialer, ReporterConfig};
use super::facts::StorageFacts;

/// Whether SYNC_DEST_REQ (87) has been answered, and with which source.
#[derive(Debug, Clone, Default)]
pub(crate) struct Handshake {
    /// Done on an earlier start, or by one of this start's reporters.
    pub done: bool,
    /// The source to announce in SYNC_NOTIFY (88); `None` = empty.
    pub source: Option<SyncReqBody>,
}

/// Shared by every reporter task of one storage.
pub(crate) struct Shared {
    pub config: ReporterConfig,
    pub dialer: Dialer,
    pub facts: Arc<dyn StorageFacts>,
    /// The tracker list announced in JOIN.
    pub tracker_list: Vec<ServerAddr>,
    /// Held across the 87 exchange so only one tracker is asked.
    pub handshake: AsyncMutex<Handshake>,
    /// Held across the 75 exchange; `true` once parameters were fetched.
    pub parameters_fetched: AsyncMutex<bool>,
    /// The storage's own status from the last JOIN reply or group list
    /// that named it.
    my_status: Mutex<Option<StorageStatus>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Shared {
    pub fn new(config: ReporterConfig, facts: Arc<dyn StorageFacts>) -> Self {
        let handshake = if config.first_start {
            Handshake::default()
        } else {
            Handshake { done: true, source: facts.sync_source() }
        };
        let tracker_list =
            config.trackers.iter().map(|t| ServerAddr::new(t.ip().to_string(), t.port())).collect();
        Self {
            dialer: config.dialer(),
            config,
            facts,
            tracker_list,
            handshake: AsyncMutex::new(handshake),
            parameters_fetched: AsyncMutex::new(false),
            my_status: Mutex::new(None),
        }
    }

    /// Records the storage's own status as a tracker reported it.
    pub fn set_my_status(&self, status: StorageStatus) {
        *self.my_status.lock().unwrap_or_else(PoisonError::into_inner) = Some(status);
    }

    /// The JOIN (81) request for `tracker`. The status is the storage's
    /// own as a tracker last reported it, INIT when none did yet.
    pub fn join_request(&self, tracker: SocketAddr, init_flag: bool) -> Join {
        let c = &self.config;
        let status = self
            .my_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or(StorageStatus::Init);
        Join {
            group: c.group.clone(),
            storage_port: c.port,
            store_path_count: c.store_path_count,
            subdir_count_per_path: c.subdir_count_per_path,
            upload_priority: c.upload_priority,
            join_time: c.join_time,
            up_time: c.up_time,
            version: c.version.clone(),
            init_flag,
            status,
            storage_id: String::new(),
            current_tracker_ip: tracker.ip().to_string(),
            trackers: self.tracker_list.clone(),
        }
    }
}
