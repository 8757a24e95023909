//! What one storage process shares between its connections and workers.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::{IpWidth, Status};
use tracing::error;

use super::session::Fault;
use super::stats::Stats;
use crate::binlog::{Binlog, Op, Position, Record};
use crate::store::Store;

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Unix seconds now, as the 4-byte binlog/sync timestamp.
pub fn now32() -> u32 {
    u32::try_from(now()).unwrap_or(u32::MAX)
}

/// The shared state of a storage server.
#[derive(Debug)]
pub struct StorageState {
    /// The files.
    pub store: Store,
    /// The change log replication reads.
    pub binlog: Binlog,
    /// The group this storage serves.
    pub group: String,
    /// This storage's address: its id, and the source in the names it makes.
    pub ip: Ipv4Addr,
    /// Its service port.
    pub port: u16,
    /// Request counters for heartbeats.
    pub stats: Stats,
    /// Bound on waiting for a client's next bytes.
    pub network_timeout: Duration,
    /// Replication state (peers, progress) shared with the sync workers.
    pub sync: crate::sync::SyncShared,
    /// Storages, this one included, that must hold a new file before its
    /// upload is answered (`sync_replicas`).
    pub sync_replicas: usize,
    /// IP field width of QUERY_FILE_INFO replies: the trackers'
    /// `response_ip_addr_size`, learned from PARAMETER_REQ.
    pub reply_ip_width: ReplyIpWidth,
    /// Clients the Object Lock tags do not bind (`lock_admin_hosts`).
    pub lock_admins: super::worm::LockAdmins,
}

/// An [`IpWidth`] set by the reporter while connections read it.
#[derive(Debug, Default)]
pub struct ReplyIpWidth(AtomicBool);

impl ReplyIpWidth {
    /// The width replies use now ([`IpWidth::Auto`] until told).
    pub fn get(&self) -> IpWidth {
        if self.0.load(Ordering::Relaxed) { IpWidth::Ipv6 } else { IpWidth::Auto }
    }

    /// Sets the width; returns whether it changed.
    pub fn set(&self, width: IpWidth) -> bool {
        self.0.swap(width == IpWidth::Ipv6, Ordering::Relaxed) != (width == IpWidth::Ipv6)
    }
}

impl StorageState {
    /// EINVAL unless `group` is this storage's group.
    pub fn check_group(&self, group: &str) -> Result<(), Fault> {
        if group == self.group { Ok(()) } else { Err(Fault::Status(Status::EINVAL)) }
    }

    /// Parses a logic filename from a request (EINVAL when malformed).
    pub fn logic_name(&self, filename: &str) -> Result<LogicName, Fault> {
        LogicName::parse(filename).map_err(|_| Fault::Status(Status::EINVAL))
    }

    /// Makes `record` durable in the binlog. A change that could not be
    /// logged would never reach the peers, so it fails the request (EIO).
    pub async fn log(&self, record: Record) -> Result<Position, Fault> {
        let position = self.binlog.append_one(&record).await.map_err(|e| {
            error!(error = %e, file = %record.filename, "binlog append failed");
            Fault::Status(Status::EIO)
        })?;
        self.note_deleted(&record);
        Ok(position)
    }

    /// Makes `records` durable in the binlog in one batch (one fsync);
    /// returns the position of the last. EIO as [`StorageState::log`].
    pub async fn log_all(&self, records: &[Record]) -> Result<Position, Fault> {
        let position = self.binlog.append(records).await.map_err(|e| {
            error!(error = %e, records = records.len(), "binlog append failed");
            Fault::Status(Status::EIO)
        })?;
        records.iter().for_each(|r| self.note_deleted(r));
        Ok(position)
    }

    /// Remembers a logged delete, so a stale replayed create of the same
    /// name is not applied (`crate::sync::Tombstones`).
    fn note_deleted(&self, record: &Record) {
        if matches!(record.op, Op::Delete) {
            self.sync.deleted.insert(&record.filename);
        }
    }

    /// Waits until a new file logged at `position` is on `sync_replicas`
    /// storages; ETIMEDOUT when the peers do not confirm within the network
    /// timeout (the file stays, and replicates when they can take it).
    pub async fn await_replicas(&self, position: Position) -> Result<(), Fault> {
        if self.sync_replicas <= 1 {
            return Ok(());
        }
        if self.sync.wait_replicated(position, self.sync_replicas, self.network_timeout).await {
            Ok(())
        } else {
            Err(Fault::Status(Status(110)))
        }
    }

    /// How the retention tags bind a client request on `conn`
    /// (`server::worm`).
    pub fn worm(&self, conn: &fdfs_protocol::connection::Connection) -> crate::store::Worm {
        self.lock_admins.worm_for(conn.peer_addr().ip())
    }

    /// Notes a change this storage originated (for heartbeats).
    pub fn source_changed(&self) {
        self.stats.last_source_update.store(now(), std::sync::atomic::Ordering::Relaxed);
        self.stats.touch();
    }
}
