//! What the reporter needs to know about the storage it speaks for, and how
//! it opens connections to trackers.
//!
//! Every outgoing tracker connection is bound to the storage's own IP when
//! one is configured (`client_bind`): trackers identify a storage by the
//! source address of its connections, so several storages on one host
//! (127.0.0.2, .3, ...) would otherwise all look like the host's primary
//! address.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::consts::FDFS_VERSION;
use tokio::net::TcpSocket;

/// The storage's identity and reporting periods (`storage.conf`, §10).
#[derive(Debug, Clone)]
pub struct ReporterConfig {
    /// `group_name`.
    pub group: String,
    /// `port`: the storage's own service port.
    pub port: u16,
    /// Local address every tracker connection is bound to (`bind_addr` with
    /// `client_bind = true`); `None` lets the OS pick.
    pub bind_ip: Option<IpAddr>,
    /// `tracker_server` entries: one reporter task each (1..=16).
    pub trackers: Vec<SocketAddr>,
    /// `store_path_count` (1..=256).
    pub store_path_count: u16,
    /// `subdir_count_per_path` (1..=256).
    pub subdir_count_per_path: u16,
    /// `upload_priority`.
    pub upload_priority: i64,
    /// `heart_beat_interval`: period of BEAT (83).
    pub heart_beat_interval: Duration,
    /// `stat_report_interval`: period of REPORT_DISK_USAGE (84).
    pub stat_report_interval: Duration,
    /// How often free space is sampled for an early REPORT_DISK_USAGE
    /// when it moved (see `space_watch`); zero turns sampling off.
    pub space_sample_interval: Duration,
    /// Unix seconds of the storage's very first start (persisted by it).
    pub join_time: i64,
    /// Unix seconds this process started.
    pub up_time: i64,
    /// Version announced in JOIN (at most 8 bytes).
    pub version: String,
    /// Whether the sync-source handshake (SYNC_DEST_REQ, 87) has never
    /// completed: set on a storage's first start, and until the storage has
    /// persisted the [`Learned::SyncSource`](super::Learned::SyncSource)
    /// event.
    pub first_start: bool,
    /// Bound on establishing a tracker connection (`connect_timeout`).
    pub connect_timeout: Duration,
    /// Bound on each socket read or write (`network_timeout`).
    pub network_timeout: Duration,
    /// First delay before reconnecting to a tracker that failed.
    pub retry_min: Duration,
    /// Cap of the doubling reconnect delay.
    pub retry_max: Duration,
}

impl ReporterConfig {
    /// A configuration with FastDFS's defaults for everything but the
    /// identity: heart beat 30 s, disk report 60 s, upload priority 10,
    /// 256 subdirectories, first start, join and up time = now.
    pub fn new(group: impl Into<String>, port: u16, trackers: Vec<SocketAddr>) -> Self {
        let now = unix_now();
        Self {
            group: group.into(),
            port,
            bind_ip: None,
            trackers,
            store_path_count: 1,
            subdir_count_per_path: 256,
            upload_priority: 10,
            heart_beat_interval: Duration::from_secs(30),
            stat_report_interval: Duration::from_secs(60),
            space_sample_interval: Duration::from_secs(1),
            join_time: now,
            up_time: now,
            version: FDFS_VERSION.to_string(),
            first_start: true,
            connect_timeout: Duration::from_secs(5),
            network_timeout: Duration::from_secs(30),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
        }
    }

    /// The connector for this storage's tracker connections.
    pub fn dialer(&self) -> Dialer {
        Dialer {
            bind_ip: self.bind_ip,
            connect_timeout: self.connect_timeout,
            network_timeout: self.network_timeout,
        }
    }

    /// How long to wait before joining again after a tracker answered
    /// SYNC_DEST_REQ with ENOENT (no peer can be a source yet). FastDFS
    /// waits one heart beat interval.
    pub(crate) fn rejoin_delay(&self) -> Duration {
        self.heart_beat_interval.max(Duration::from_millis(10))
    }
}

/// Opens tracker connections from the storage's own address.
#[derive(Debug, Clone, Copy)]
pub struct Dialer {
    /// Local IP to bind (`client_bind`); `None` lets the OS pick.
    pub bind_ip: Option<IpAddr>,
    /// Bound on establishing a connection.
    pub connect_timeout: Duration,
    /// Bound on each socket read or write.
    pub network_timeout: Duration,
}

impl Dialer {
    /// Connects to `tracker`, bound to [`Dialer::bind_ip`] when it is set
    /// and of the tracker's address family.
    pub async fn connect(&self, tracker: SocketAddr) -> Result<Connection, ConnError> {
        let socket = if tracker.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        if let Some(ip) = self.bind_ip
            && !ip.is_unspecified()
            && ip.is_ipv4() == tracker.is_ipv4()
        {
            socket.bind(SocketAddr::new(ip, 0))?;
        }
        let stream = tokio::time::timeout(self.connect_timeout, socket.connect(tracker))
            .await
            .map_err(|_| ConnError::Timeout(self.connect_timeout))??;
        Connection::new(stream, self.network_timeout)
    }
}

/// Unix seconds now (0 if the clock is before 1970).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
