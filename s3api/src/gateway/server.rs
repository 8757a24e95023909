//! The gateway process: the index, the cluster clients, the delete-queue
//! drainer, the stale-upload reaper, the lifecycle worker and the HTTP
//! accept loop (HTTP/1.1
//! and HTTP/2 by hyper-util's auto builder, TCP_NODELAY, within the
//! connection limits of [`super::net`]), stopped gracefully: on shutdown
//! the listener closes, in-flight requests get
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
use s3s::service::S3Service;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Notify;

use super::Gateway;
use super::browser::Browser;
use super::drainer::{Drainer, SweepSchedule};
use super::multipart::reaper::{DEFAULT_UPLOAD_TTL, Reaper};
use super::net::HttpLimits;
use super::net::tls::{Tls, TlsError, TlsFiles};
pub use super::vhost::InvalidDomain;
use super::vhost::VirtualHosts;
use crate::crypto::{MasterKey, MasterKeyError};
use crate::index::private::private_dir;
use crate::index::{AccessKey, Index, IndexError, IndexHandle};
use crate::lifecycle::worker::{LifecycleSettings, LifecycleWorker};

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
    /// A key to make sure exists (with this secret, owner and admin flag)
    /// at start.
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
    /// The master key's file (an operator's, kept apart from the data);
    /// `None`: `DATA/master.key`, made at first start.
    pub master_key: Option<PathBuf>,
    /// Limits on client connections (timeouts, the connection cap).
    pub limits: HttpLimits,
    /// Serve HTTPS with this certificate and key (PEM) instead of HTTP.
    pub tls: Option<TlsFiles>,
    /// Addresses of TLS-terminating proxies whose `X-Forwarded-Proto:
    /// https` is believed, so SSE-C requests they forward over plain HTTP
    /// are accepted (see `transport`). Loopback is always accepted.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The lifecycle worker's interval and (tests only) day length.
    pub lifecycle: LifecycleSettings,
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
            master_key: None,
            limits: HttpLimits::default(),
            tls: None,
            trusted_proxies: Vec::new(),
            lifecycle: LifecycleSettings::default(),
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
    /// The master key could not be read or made.
    #[error(transparent)]
    MasterKey(#[from] MasterKeyError),
    /// The tracker list is unusable.
    #[error("trackers: {0}")]
    Trackers(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    /// A virtual host domain is not a DNS name.
    #[error(transparent)]
    Domain(#[from] InvalidDomain),
    /// The TLS certificate or key could not be loaded.
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
}

/// A bound, not yet running gateway.
#[derive(Debug)]
pub struct GatewayServer {
    listener: TcpListener,
    service: S3Service,
    browser: Browser,
    drainer: Drainer,
    reaper: Reaper,
    lifecycle: LifecycleWorker,
    drain_timeout: Duration,
    limits: HttpLimits,
    tls: Option<Tls>,
    index: IndexHandle,
    trusted_proxies: Arc<[std::net::IpAddr]>,
}

impl GatewayServer {
    /// Makes the data directory private, loads (or makes) the master key,
    /// opens the index and seals any secret an older build left in clear,
    /// ensures the owner key, and binds the listener.
    pub async fn bind(config: GatewayConfig) -> Result<Self, StartError> {
        let hosts = VirtualHosts::new(&config.virtual_host_domains)?;
        let tls = config.tls.clone().map(Tls::load).transpose()?;
        let dir = config.data_dir.clone();
        private_dir(&dir).map_err(|source| StartError::DataDir { path: dir.clone(), source })?;
        let readers = config.index_readers;
        let path = index_path(&dir);
        let key_file = config.master_key.clone();
        let (index, master_key) = tokio::task::spawn_blocking(move || {
            let master_key = load_master_key(&dir, key_file.as_deref())?;
            Index::open(&path)?.seal_clear_secrets(&master_key)?;
            Ok::<_, StartError>((IndexHandle::open(path, readers)?, master_key))
        })
        .await
        .map_err(|_| StartError::Index(IndexError::JobPanicked))??;
        if let Some(key) = config.owner_key.clone() {
            let master = master_key.clone();
            index.write(move |ix| ensure_key(ix, &key, &master)).await?;
        }
        let pool = Pool::new(config.pool.clone());
        let tracker = TrackerClient::new(config.trackers.clone(), pool.clone())
            .map_err(|e| StartError::Trackers(e.to_string()))?;
        let storage = StorageClient::new(pool);
        let wake = Arc::new(Notify::new());
        let gateway = Gateway::new(
            index.clone(),
            tracker.clone(),
            storage.clone(),
            Arc::clone(&wake),
            master_key.clone(),
        )
        .with_lifecycle_day(config.lifecycle.day);
        let markers = Arc::new(super::delete_marker::LifecycleMarkers(gateway.inner()));
        let lifecycle = LifecycleWorker::new(index.clone(), Arc::clone(&wake), config.lifecycle)
            .with_markers(markers);
        let hosts = (!config.virtual_host_domains.is_empty()).then_some(hosts);
        let browser = Browser::new(gateway.inner(), hosts.clone(), master_key.clone());
        let service = super::service::build(gateway, index.clone(), master_key, hosts);
        let reaper =
            Reaper::new(index.clone(), Arc::clone(&wake), config.upload_ttl, config.reaper_period);
        let drainer = Drainer::new(index.clone(), tracker, storage, wake, config.drainer_idle)
            .with_sweep(config.orphan_sweep);
        let listener = listen(config.listen)
            .map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let trusted_proxies = config.trusted_proxies.clone().into();
        Ok(Self {
            listener,
            service,
            browser,
            drainer,
            reaper,
            lifecycle,
            drain_timeout: config.drain_timeout,
            limits: config.limits,
            tls,
            index,
            trusted_proxies,
        })
    }

    /// The bound address (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The TLS state, to reload the certificate (on SIGHUP); `None` for
    /// plain HTTP.
    pub fn tls(&self) -> Option<Tls> {
        self.tls.clone()
    }

    /// The index (for tools and tests).
    pub fn index(&self) -> &IndexHandle {
        &self.index
    }

    /// Serves until `shutdown`, then drains in-flight requests.
    pub async fn run(self, shutdown: Shutdown) {
        let drainer = tokio::spawn(self.drainer.run(shutdown.clone()));
        let reaper = tokio::spawn(self.reaper.run(shutdown.clone()));
        let lifecycle = tokio::spawn(self.lifecycle.run(shutdown.clone()));
        let limits = self.limits;
        let (tls, drain, trusted) = (self.tls, self.drain_timeout, self.trusted_proxies);
        super::net::serve::serve(
            self.listener,
            (self.service, self.browser),
            limits,
            tls,
            trusted,
            shutdown,
            drain,
        )
        .await;
        let _ = reaper.await;
        let _ = lifecycle.await;
        let _ = drainer.await;
    }
}

/// The master key of data directory `dir`: the operator's `file` when
/// given (it must exist), else `dir/master.key`, made on first use by
/// whichever of `fdfs server`, `fdfs gateway` or `fdfs gateway key` runs
/// first. Blocks.
pub fn load_master_key(dir: &Path, file: Option<&Path>) -> Result<MasterKey, MasterKeyError> {
    match file {
        Some(file) => MasterKey::load(file),
        None => MasterKey::for_data_dir(dir),
    }
}

/// Creates `key`, or replaces a key of the same ID whose secret, owner or
/// admin flag differs.
fn ensure_key(ix: &mut Index, key: &AccessKey, master: &MasterKey) -> crate::index::Result<()> {
    if let Some(found) = ix.get_access_key(&key.access_key_id, master)? {
        if found.secret == key.secret && found.owner == key.owner && found.admin == key.admin {
            return Ok(());
        }
        ix.delete_access_key(&key.access_key_id)?;
    }
    ix.create_access_key(key, master)
}

/// The kernel's queue of connections not yet accepted. Deeper than tokio's
/// default (1,024): in a burst, a connection the full queue drops looks
/// open to its client until it sends a byte.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds the S3 listener (address reuse, as tokio's `bind`).
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
