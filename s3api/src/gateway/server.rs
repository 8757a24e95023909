//! The gateway process: the index, the cluster clients, the delete-queue
//! drainer, the stale-upload reaper and the HTTP accept loop (HTTP/1.1
//! and HTTP/2 by hyper-util's auto builder, TCP_NODELAY), stopped
//! gracefully: on shutdown the listener closes, in-flight requests get
//! [`GatewayConfig::drain_timeout`] to finish, and the drainer and the
//! reaper stop between entries.
//!
//! Requests are path-style, and also virtual-hosted-style for each domain
//! in [`GatewayConfig::virtual_host_domains`] (`Host: BUCKET.DOMAIN`).

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::client::{Pool, PoolConfig, StorageClient, TrackerClient};
use fdfs_protocol::server::Shutdown;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use s3s::service::S3Service;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::Gateway;
use super::drainer::{Drainer, SweepSchedule};
use super::http_fixups::Fixups;
use super::multipart::reaper::{DEFAULT_UPLOAD_TTL, Reaper};
pub use super::vhost::InvalidDomain;
use super::vhost::VirtualHosts;
use crate::index::{AccessKey, IndexError, IndexHandle};

/// The index file under the data directory.
pub const INDEX_FILE: &str = "index.db";

/// The index database path for data directory `data_dir`.
pub fn index_path(data_dir: &Path) -> PathBuf {
    data_dir.join(INDEX_FILE)
}

/// What the gateway needs to start.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The S3 listen address.
    pub listen: SocketAddr,
    /// Every tracker of the cluster.
    pub trackers: Vec<SocketAddr>,
    /// Where the index lives (created if missing).
    pub data_dir: PathBuf,
    /// Reader threads of the index.
    pub index_readers: usize,
    /// How long in-flight requests may run after shutdown.
    pub drain_timeout: Duration,
    /// How often the drainer looks at the delete queue when not woken.
    pub drainer_idle: Duration,
    /// Connection pool settings towards trackers and storages.
    pub pool: PoolConfig,
    /// A key to make sure exists (and has this secret) at start.
    pub owner_key: Option<AccessKey>,
    /// Multipart uploads initiated longer ago than this are aborted.
    pub upload_ttl: Duration,
    /// How often the reaper looks for such uploads.
    pub reaper_period: Duration,
    /// The orphan sweep's schedule (hourly, 1 h grace); `None` turns it off.
    pub orphan_sweep: Option<SweepSchedule>,
    /// Base domains for virtual-hosted-style requests: `Host:
    /// BUCKET.DOMAIN[:port]` addresses BUCKET. Any other host is
    /// path-style. Empty: path-style only.
    pub virtual_host_domains: Vec<String>,
}

impl GatewayConfig {
    /// Defaults for everything but the addresses and the data directory.
    pub fn new(listen: SocketAddr, trackers: Vec<SocketAddr>, data_dir: PathBuf) -> Self {
        Self {
            listen,
            trackers,
            data_dir,
            index_readers: 2,
            drain_timeout: Duration::from_secs(10),
            drainer_idle: Duration::from_secs(5),
            pool: PoolConfig::default(),
            owner_key: None,
            upload_ttl: DEFAULT_UPLOAD_TTL,
            reaper_period: Duration::from_secs(3600),
            orphan_sweep: Some(SweepSchedule::default()),
            virtual_host_domains: Vec::new(),
        }
    }
}

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory could not be created.
    #[error("cannot create {path}: {source}")]
    DataDir { path: PathBuf, source: io::Error },
    /// The index failed to open.
    #[error("cannot open the index: {0}")]
    Index(#[from] IndexError),
    /// The tracker list is unusable.
    #[error("trackers: {0}")]
    Trackers(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    /// A virtual host domain is not a DNS name.
    #[error(transparent)]
    Domain(#[from] InvalidDomain),
}

/// A bound, not yet running gateway.
#[derive(Debug)]
pub struct GatewayServer {
    listener: TcpListener,
    service: S3Service,
    drainer: Drainer,
    reaper: Reaper,
    drain_timeout: Duration,
    index: IndexHandle,
}

impl GatewayServer {
    /// Opens the index, ensures the owner key, and binds the listener.
    pub async fn bind(config: GatewayConfig) -> Result<Self, StartError> {
        let hosts = VirtualHosts::new(&config.virtual_host_domains)?;
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir)
            .map_err(|source| StartError::DataDir { path: dir.clone(), source })?;
        let readers = config.index_readers;
        let path = index_path(&dir);
        let index = tokio::task::spawn_blocking(move || IndexHandle::open(path, readers))
            .await
            .map_err(|_| StartError::Index(IndexError::JobPanicked))??;
        if let Some(key) = config.owner_key.clone() {
            index.write(move |ix| ensure_key(ix, &key)).await?;
        }
        let pool = Pool::new(config.pool.clone());
        let tracker = TrackerClient::new(config.trackers.clone(), pool.clone())
            .map_err(|e| StartError::Trackers(e.to_string()))?;
        let storage = StorageClient::new(pool);
        let wake = Arc::new(Notify::new());
        let gateway =
            Gateway::new(index.clone(), tracker.clone(), storage.clone(), Arc::clone(&wake));
        let hosts = (!config.virtual_host_domains.is_empty()).then_some(hosts);
        let service = super::service::build(gateway, index.clone(), hosts);
        let reaper =
            Reaper::new(index.clone(), Arc::clone(&wake), config.upload_ttl, config.reaper_period);
        let drainer = Drainer::new(index.clone(), tracker, storage, wake, config.drainer_idle)
            .with_sweep(config.orphan_sweep);
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen { addr: config.listen, source })?;
        Ok(Self { listener, service, drainer, reaper, drain_timeout: config.drain_timeout, index })
    }

    /// The bound address (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The index (for tools and tests).
    pub fn index(&self) -> &IndexHandle {
        &self.index
    }

    /// Serves until `shutdown`, then drains in-flight requests.
    pub async fn run(self, shutdown: Shutdown) {
        let drainer = tokio::spawn(self.drainer.run(shutdown.clone()));
        let reaper = tokio::spawn(self.reaper.run(shutdown.clone()));
        serve(self.listener, self.service, shutdown, self.drain_timeout).await;
        let _ = reaper.await;
        let _ = drainer.await;
    }
}

/// Creates `key`, or replaces a key of the same ID whose secret or owner
/// differs.
fn ensure_key(ix: &mut crate::index::Index, key: &AccessKey) -> crate::index::Result<()> {
    if let Some(found) = ix.get_access_key(&key.access_key_id)? {
        if found.secret == key.secret && found.owner == key.owner {
            return Ok(());
        }
        ix.delete_access_key(&key.access_key_id)?;
    }
    ix.create_access_key(key)
}

/// The accept loop; see the module docs.
async fn serve(listener: TcpListener, service: S3Service, mut shutdown: Shutdown, drain: Duration) {
    let builder = Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors and the like: back off briefly.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                }
                let conn = builder.serve_connection(TokioIo::new(stream), Fixups(service.clone()));
                let conn = graceful.watch(conn.into_owned());
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
            () = shutdown.wait() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown()).await.is_err() {
        tracing::warn!("in-flight requests did not finish in {drain:?}; closing them");
    }
}
