//! [`SyncManager`]: one sync worker per group peer, started and stopped as
//! the trackers' group list changes (change responses, §3.3), each fed the
//! peer's current status.
//!
//! Every member but this storage gets a worker unless it was deleted or
//! changed its IP (§6). A peer that leaves the list has its worker stopped
//! and its progress forgotten; a worker is never started for a peer whose
//! previous worker is still stopping, so two workers never share a mark.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::server::{Shutdown, ShutdownTrigger, shutdown_channel};
use fdfs_protocol::tracker::{StorageBrief, StorageStatus};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{Instrument, info, info_span, warn};

use super::config::SyncConfig;
use super::worker::{self, Peer};
use crate::server::state::StorageState;

/// How often the manager looks again at workers that were still stopping.
const RECHECK: Duration = Duration::from_secs(1);

/// How long shutdown waits for the workers to save their marks.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs the per-peer sync workers of one storage.
#[derive(Debug)]
pub struct SyncManager {
    config: Arc<SyncConfig>,
}

/// A running worker.
#[derive(Debug)]
struct Running {
    status: watch::Sender<StorageStatus>,
    stop: ShutdownTrigger,
    task: JoinHandle<()>,
}

impl SyncManager {
    /// A manager with `config` (see [`SyncConfig`] for what it must hold).
    pub fn new(config: SyncConfig) -> Self {
        Self { config: Arc::new(config) }
    }

    /// Runs until `shutdown` fires: keeps one worker per peer of `members`
    /// (the group list as trackers announce it, this storage included or
    /// not), then stops them and waits (bounded) for their marks.
    ///
    /// The server passes its shared state, the group list the reporter
    /// learns ([`Learned::GroupMembers`](crate::reporter::Learned)), and its
    /// shutdown signal.
    pub async fn run(
        self,
        state: Arc<StorageState>,
        mut members: watch::Receiver<Vec<StorageBrief>>,
        mut shutdown: Shutdown,
    ) {
        let span = info_span!("sync_manager", group = %state.group);
        async move {
            let mut running: HashMap<String, Running> = HashMap::new();
            let mut stopping: HashMap<String, JoinHandle<()>> = HashMap::new();
            let mut feed_open = true;
            let mut recheck = tokio::time::interval(RECHECK);
            loop {
                let list = members.borrow_and_update().clone();
                state.sync.set_members(list.iter().filter_map(|b| b.ip.parse().ok()));
                self.reconcile(&state, &list, &mut running, &mut stopping);
                tokio::select! {
                    changed = members.changed(), if feed_open => feed_open = changed.is_ok(),
                    _ = recheck.tick() => {}
                    () = shutdown.wait() => break,
                }
            }
            for worker in running.values() {
                worker.stop.trigger();
            }
            let tasks = running.into_values().map(|w| w.task).chain(stopping.into_values());
            let all = futures_join(tasks.collect());
            if tokio::time::timeout(STOP_TIMEOUT, all).await.is_err() {
                warn!("sync workers still busy after the stop timeout");
            }
            info!("sync manager stopped");
        }
        .instrument(span)
        .await;
    }

    /// Starts, updates and stops workers to match `list`.
    fn reconcile(
        &self,
        state: &Arc<StorageState>,
        list: &[StorageBrief],
        running: &mut HashMap<String, Running>,
        stopping: &mut HashMap<String, JoinHandle<()>>,
    ) {
        let wanted: HashMap<String, (Peer, StorageStatus)> = list
            .iter()
            .filter_map(|brief| {
                self.peer_of(state, brief).map(|p| (p.key.clone(), (p, brief.status)))
            })
            .collect();
        let gone: Vec<String> =
            running.keys().filter(|key| !wanted.contains_key(*key)).cloned().collect();
        for key in gone {
            if let Some(worker) = running.remove(&key) {
                info!(peer = %key, "peer left the group; stopping its worker");
                worker.stop.trigger();
                state.sync.forget_peer(&key);
                stopping.insert(key, worker.task);
            }
        }
        stopping.retain(|_, task| !task.is_finished());
        for (key, (peer, status)) in wanted {
            if let Some(worker) = running.get(&key) {
                worker.status.send_if_modified(|s| std::mem::replace(s, status) != status);
                continue;
            }
            if stopping.contains_key(&key) {
                continue;
            }
            info!(peer = %key, %status, "starting a sync worker");
            let (status_tx, status_rx) = watch::channel(status);
            let (stop, worker_shutdown) = shutdown_channel();
            let task = tokio::spawn(worker::run(
                Arc::clone(state),
                Arc::clone(&self.config),
                peer,
                status_rx,
                worker_shutdown,
            ));
            running.insert(key, Running { status: status_tx, stop, task });
        }
    }

    /// The peer `brief` names, unless it is this storage or gets no sync.
    fn peer_of(&self, state: &StorageState, brief: &StorageBrief) -> Option<Peer> {
        let ip: IpAddr = match brief.ip.parse() {
            Ok(ip) => ip,
            Err(_) => {
                warn!(ip = %brief.ip, id = %brief.id, "group member with an unusable address");
                return None;
            }
        };
        let is_me = brief.id == self.config.my_id
            || (ip == IpAddr::V4(state.ip) && brief.port == state.port);
        let excluded = matches!(
            brief.status,
            StorageStatus::Deleted
                | StorageStatus::IpChanged
                | StorageStatus::None
                | StorageStatus::Unknown(_)
        );
        if is_me || excluded || brief.port == 0 {
            return None;
        }
        let addr = SocketAddr::new(ip, brief.port);
        let id = if brief.id.is_empty() { brief.ip.clone() } else { brief.id.clone() };
        Some(Peer { key: addr.to_string(), id, ip: brief.ip.clone(), addr })
    }
}

/// Waits for every task (their panics are logged, not propagated).
async fn futures_join(tasks: Vec<JoinHandle<()>>) {
    for task in tasks {
        if let Err(e) = task.await {
            warn!(error = %e, "sync worker failed");
        }
    }
}
