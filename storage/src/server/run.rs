//! Starting and running a storage server: open the store and the binlog,
//! bind, then serve clients while reporting to every tracker.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::server::{ServerConfig, Shutdown, serve};
use tokio::net::TcpListener;
use tracing::info;

use super::facts::Facts;
use super::init_flag::InitFlag;
use super::session::StorageHandler;
use super::state::{ReplyIpWidth, StorageState, now};
use super::stats::Stats;
use super::worm::LockAdmins;
use crate::binlog::{Binlog, BinlogConfig};
use crate::http::{HttpBindError, HttpConfig, HttpServer};
use crate::reporter::{Reporter, ReporterConfig};
use crate::store::{DEFAULT_ROTATE_COUNT, DistributeMode, ReservedSpace, Store, StoreConfig};
use crate::sync::{SyncConfig, SyncManager};

/// Everything `fdfs storage` needs to run.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Address to serve on; its IP is the storage's identity (the source
    /// address of its tracker connections and the IP in the names it makes).
    pub listen: SocketAddr,
    /// The group it belongs to.
    pub group: String,
    /// Base directory: `data/` (init flag, binlog) lives here.
    pub base_path: PathBuf,
    /// Store paths `M00..`; the first defaults to the base path.
    pub store_paths: Vec<PathBuf>,
    /// Every tracker of the cluster.
    pub trackers: Vec<SocketAddr>,
    /// Subdirectories per level (`subdir_count_per_path`, 256).
    pub subdir_count: u16,
    /// Space kept free on each store path.
    pub reserved: ReservedSpace,
    /// `upload_priority` reported to trackers (lower wins with store_server 2).
    pub upload_priority: i64,
    /// Seconds between heartbeats.
    pub heart_beat_interval: Duration,
    /// Seconds between disk usage reports.
    pub stat_report_interval: Duration,
    /// Connection limits, timeouts and `allow_hosts`.
    pub server: ServerConfig,
    /// `file_distribute_path_mode`: how new files pick their `HH/LL`.
    pub distribute_mode: DistributeMode,
    /// `file_distribute_rotate_count`: files per subdirectory in round robin.
    pub rotate_count: u32,
    /// `sync_replicas`: storages of the group, this one included, that must
    /// hold a new file before its upload is answered (1: answer once it is
    /// on this storage's disk, as FastDFS).
    pub sync_replicas: usize,
    /// The HTTP download server; `None` (the default) runs none.
    pub http: Option<HttpConfig>,
    /// `lock_admin_hosts`: clients that may delete or change a file under
    /// retention or a legal hold (default: nobody; see `server::worm`).
    pub lock_admins: LockAdmins,
}

impl StorageConfig {
    /// A config with FastDFS's defaults for everything but the essentials.
    pub fn new(
        listen: SocketAddr,
        group: &str,
        base_path: PathBuf,
        trackers: Vec<SocketAddr>,
    ) -> Self {
        Self {
            listen,
            group: group.to_string(),
            store_paths: vec![base_path.clone()],
            base_path,
            trackers,
            subdir_count: 256,
            reserved: ReservedSpace::Ratio(0.1),
            upload_priority: 10,
            heart_beat_interval: Duration::from_secs(30),
            stat_report_interval: Duration::from_secs(60),
            server: ServerConfig::default(),
            distribute_mode: DistributeMode::default(),
            rotate_count: DEFAULT_ROTATE_COUNT,
            sync_replicas: 1,
            http: None,
            lock_admins: LockAdmins::none(),
        }
    }
}

/// Why the storage could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the listen address must be a specific IPv4 address (it names the storage): {0}")]
    Address(SocketAddr),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("binlog: {0}")]
    Binlog(#[from] crate::binlog::BinlogError),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("reporter: {0}")]
    Reporter(#[from] crate::reporter::ConfigError),
    #[error(transparent)]
    Http(#[from] HttpBindError),
}

/// A bound storage server, ready to run.
#[derive(Debug)]
pub struct StorageServer {
    listener: TcpListener,
    state: Arc<StorageState>,
    config: StorageConfig,
    flag: Option<InitFlag>,
    http: Option<HttpServer>,
}

impl StorageServer {
    /// Opens the store paths and the binlog and binds the listener.
    pub async fn bind(config: StorageConfig) -> Result<Self, StartError> {
        let ip = match config.listen.ip() {
            std::net::IpAddr::V4(ip) if !ip.is_unspecified() => ip,
            _ => return Err(StartError::Address(config.listen)),
        };
        let mut store_config = StoreConfig::new(config.store_paths.clone(), ip);
        store_config.subdir_count = config.subdir_count;
        store_config.reserved = config.reserved;
        store_config.distribute_mode = config.distribute_mode;
        store_config.rotate_count = config.rotate_count;
        let store = Store::new(store_config)?;
        store.init().await?;
        let binlog = Binlog::open(BinlogConfig::for_base_path(&config.base_path)).await?;
        let base = config.base_path.clone();
        let flag = tokio::task::spawn_blocking(move || InitFlag::load(&base))
            .await
            .map_err(|e| StartError::Io {
                what: "init flag".into(),
                source: std::io::Error::other(e),
            })?
            .map_err(|source| StartError::Io { what: ".data_init_flag".into(), source })?;
        let listener = TcpListener::bind(config.listen).await.map_err(|source| StartError::Io {
            what: format!("listen on {}", config.listen),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Io { what: "local address".into(), source })?
            .port();
        let state = Arc::new(StorageState {
            store,
            binlog,
            group: config.group.clone(),
            ip,
            port,
            stats: Stats::default(),
            network_timeout: config.server.network_timeout,
            sync: crate::sync::SyncShared::default(),
            sync_replicas: config.sync_replicas.max(1),
            reply_ip_width: ReplyIpWidth::default(),
            lock_admins: config.lock_admins.clone(),
        });
        let http = match config.http.clone() {
            Some(http) => Some(HttpServer::bind(http, state.clone()).await?),
            None => None,
        };
        Ok(Self { listener, state, config, flag, http })
    }

    /// The address it serves on.
    pub fn local_addr(&self) -> SocketAddr {
        SocketAddr::new(self.state.ip.into(), self.state.port)
    }

    /// The address the HTTP download server serves on, if it runs.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().map(HttpServer::local_addr)
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<StorageState> {
        &self.state
    }

    /// Serves and reports until `shutdown` fires.
    pub async fn run(self, shutdown: Shutdown) -> Result<(), StartError> {
        let addr = self.local_addr();
        let first_start = self.flag.as_ref().is_none_or(|f| !f.handshake_done);
        let flag = self.flag.unwrap_or(InitFlag { join_time: now(), ..InitFlag::default() });
        let facts =
            Arc::new(Facts::new(self.state.clone(), self.config.base_path.clone(), flag.clone()));
        let mut reporter_config =
            ReporterConfig::new(&self.config.group, self.state.port, self.config.trackers.clone());
        reporter_config.bind_ip = Some(self.state.ip.into());
        reporter_config.store_path_count = self.state.store.paths().len() as u16;
        reporter_config.subdir_count_per_path = self.config.subdir_count;
        reporter_config.upload_priority = self.config.upload_priority;
        reporter_config.heart_beat_interval = self.config.heart_beat_interval;
        reporter_config.stat_report_interval = self.config.stat_report_interval;
        reporter_config.join_time = flag.join_time;
        reporter_config.first_start = first_start;
        reporter_config.network_timeout = self.config.server.network_timeout;
        let dialer = reporter_config.dialer();
        let reporter = Reporter::spawn(reporter_config, facts.clone(), shutdown.clone())?;
        let sync_config =
            SyncConfig::new(self.state.ip.to_string(), dialer, self.config.trackers.clone());
        let sync = tokio::spawn(SyncManager::new(sync_config).run(
            self.state.clone(),
            facts.members(),
            shutdown.clone(),
        ));
        info!(%addr, group = %self.config.group, first_start, "storage started");
        let http = self.http.map(|http| tokio::spawn(http.run(shutdown.clone())));
        serve(self.listener, StorageHandler::new(self.state.clone()), self.config.server, shutdown)
            .await;
        if let Some(http) = http {
            let _ = http.await;
        }
        // The sync workers stop on the same signal and save their marks.
        let _ = sync.await;
        drop(reporter);
        self.state.binlog.close().await;
        info!("storage stopped");
        Ok(())
    }
}
