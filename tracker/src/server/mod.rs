//! The tracker server: listener, per-connection sessions, and the background
//! workers (liveness, leader election), around the shared [`TrackerState`].
//!
//! # Layout
//!
//! - [`state`]: the shared state; [`persist`]: the SQLite writer thread;
//!   the data directory 0700 and the database files 0600 come from
//!   `fdfs_protocol::private_files`.
//! - [`session`]: one connection, dispatch by command code.
//! - [`queries`], [`monitor`], [`reports`], [`peers`]: the command families.
//! - [`sysfiles`]: the state export other trackers bootstrap from, and its
//!   import; [`bootstrap`]: fetching it when starting with an empty database.
//! - [`election`]: the leader election / follower worker.

pub mod bootstrap;
pub mod election;
pub mod monitor;
pub mod peers;
pub mod persist;
pub mod queries;
pub mod reports;
pub mod session;
pub mod state;
pub mod sysfiles;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::server::{ServerConfig, Shutdown, serve};
use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::cluster::Cluster;
use crate::config::TrackerPolicy;
use crate::store::{Store, StoreError};
pub use bootstrap::BootstrapTiming;
pub use election::ElectionTiming;
pub use session::TrackerHandler;
pub use state::TrackerState;

/// State key: unix seconds of the last moment this tracker was known alive.
const LAST_ALIVE_KEY: &str = "last_alive";

/// Everything `fdfs tracker` needs to run.
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    /// Address to listen on; also the address peers know this tracker by.
    pub listen: SocketAddr,
    /// Directory of the tracker's database.
    pub data_dir: PathBuf,
    /// Every tracker of the cluster (this one may be listed or not).
    pub trackers: Vec<SocketAddr>,
    /// Placement and liveness policy.
    pub policy: TrackerPolicy,
    /// Connection limits, timeouts and `allow_hosts`.
    pub server: ServerConfig,
}

/// Why the tracker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("tracker database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the persistence thread: {0}")]
    Thread(std::io::Error),
}

/// A bound, loaded tracker, ready to serve.
#[derive(Debug)]
pub struct Tracker {
    listener: TcpListener,
    state: Arc<TrackerState>,
    server: ServerConfig,
    election: ElectionTiming,
}

impl Tracker {
    /// Opens the database, loads the cluster it remembers and binds the
    /// listener. Storages it knew start OFFLINE: they become ACTIVE again
    /// when they rejoin and beat, so nothing is routed to a storage that
    /// went away while the tracker was down.
    ///
    /// With an empty database and other trackers configured, it first
    /// copies the cluster from one of them ([`bootstrap`]).
    pub async fn bind(config: TrackerConfig) -> Result<Self, StartError> {
        Self::bind_with(config, BootstrapTiming::default()).await
    }

    /// [`Tracker::bind`] with explicit bootstrap timeouts.
    pub async fn bind_with(
        config: TrackerConfig,
        bootstrap_timing: BootstrapTiming,
    ) -> Result<Self, StartError> {
        fdfs_protocol::private_files::private_dir(&config.data_dir)
            .map_err(|source| StartError::DataDir { path: config.data_dir.clone(), source })?;
        let db = config.data_dir.join("tracker.db");
        fdfs_protocol::private_files::private_db_files(&db)
            .map_err(|source| StartError::DataDir { path: db.clone(), source })?;
        let store = tokio::task::spawn_blocking(move || Store::open(db))
            .await
            .map_err(|e| StartError::Thread(std::io::Error::other(e)))??;
        let mut cluster = store.load()?;
        let restart_interval = match store.state(LAST_ALIVE_KEY)? {
            Some(bytes) => String::from_utf8_lossy(&bytes)
                .parse::<i64>()
                .map_or(0, |last| (state::now() - last).max(0)),
            None => 0,
        };
        if cluster.group_count() == 0
            && let Some(copied) =
                bootstrap::from_peers(config.listen, &config.trackers, bootstrap_timing).await
        {
            cluster = copied;
        }
        mark_known_storages_offline(&mut cluster);
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let self_addr = listener
            .local_addr()
            .map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let persister = persist::Persister::start(store).map_err(StartError::Thread)?;
        let state = Arc::new(TrackerState::new(
            cluster,
            persister,
            config.policy,
            self_addr,
            config.trackers,
            restart_interval,
        ));
        // Save what was loaded with the statuses just reset (and what a
        // bootstrap copied in).
        let names: Vec<String> =
            state.with_cluster(|c| c.groups().map(|g| g.name.clone()).collect());
        state.persist_groups(names.iter().map(String::as_str));
        let election = ElectionTiming::default();
        Ok(Self { listener, state, server: config.server, election })
    }

    /// Replaces the election worker's periods and limits (tests shorten
    /// them).
    pub fn with_election_timing(mut self, timing: ElectionTiming) -> Self {
        self.election = timing;
        self
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.state.self_addr
    }

    /// The shared state (for tests and embedding).
    pub fn state(&self) -> &Arc<TrackerState> {
        &self.state
    }

    /// Serves until `shutdown` fires, then drains connections and flushes
    /// the database.
    pub async fn run(self, shutdown: Shutdown) {
        let state = self.state.clone();
        let workers = [
            tokio::spawn(liveness(state.clone(), shutdown.clone())),
            tokio::spawn(heartbeat_record(state.clone(), shutdown.clone())),
            tokio::spawn(election::run(state.clone(), self.election, shutdown.clone())),
        ];
        info!(addr = %state.self_addr, trackers = state.trackers.len(), "tracker started");
        serve(self.listener, TrackerHandler::new(state.clone()), self.server, shutdown).await;
        for worker in workers {
            worker.abort();
        }
        state.set_state(LAST_ALIVE_KEY, state::now().to_string().as_bytes());
        let flushing = state.clone();
        if tokio::task::spawn_blocking(move || flushing.flush()).await.is_err() {
            warn!("flushing tracker state failed");
        }
        info!("tracker stopped");
    }
}

/// Storages loaded from disk are not connected yet.
fn mark_known_storages_offline(cluster: &mut Cluster) {
    let members: Vec<(String, String)> = cluster
        .groups()
        .flat_map(|g| g.storages().map(|s| (g.name.clone(), s.id.clone())))
        .collect();
    for (group, id) in members {
        cluster.disconnect(&group, &id);
    }
}

/// Marks storages that stopped beating OFFLINE (`check_active_interval`).
async fn liveness(state: Arc<TrackerState>, mut shutdown: Shutdown) {
    let interval = state.policy.check_active_interval.max(1);
    let period = Duration::from_secs((interval as u64 / 4).clamp(1, 10));
    loop {
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            () = shutdown.wait() => return,
        }
        let changed = state.with_cluster(|c| c.check_alive(state::now(), interval));
        for (group, id) in &changed {
            warn!(group, storage = id, "no heartbeat for {interval} s; storage now OFFLINE");
        }
        state.persist_groups(changed.iter().map(|(g, _)| g.as_str()));
    }
}

/// Records every minute that this tracker is alive, so the next start knows
/// how long it was down (TRACKER_GET_STATUS's restart interval).
async fn heartbeat_record(state: Arc<TrackerState>, mut shutdown: Shutdown) {
    loop {
        state.set_state(LAST_ALIVE_KEY, state::now().to_string().as_bytes());
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
            () = shutdown.wait() => return,
        }
    }
}
