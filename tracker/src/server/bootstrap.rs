//! Bootstrap of a tracker that starts with an empty database: before it
//! serves, it copies the cluster from a running peer with
//! GET_SYS_FILES_START (61), GET_ONE_SYS_FILE (63) for each of the four
//! system files and GET_SYS_FILES_END (62), as a fresh FastDFS tracker does
//! (§3.4). Without this, a tracker added to a running cluster — or one
//! whose data directory was lost — would answer "no such group" until
//! every storage had rejoined it.
//!
//! Peers are tried in order; one that cannot be reached, breaks the
//! protocol, or sends files that do not import is skipped, and a peer that
//! knows no group is passed over for the next. When no peer helps, the
//! tracker starts empty. Every file is bounded ([`MAX_SYS_FILE_SIZE`]) and
//! fetched in chunks until its announced size is reached; a file whose size
//! changes between chunks is fetched again from the start.

use std::net::SocketAddr;
use std::time::Duration;

use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::tracker::{GetOneSysFile, GetSysFilesEnd, GetSysFilesStart};
use tracing::{Instrument, info, info_span, warn};

use super::election::connect_from;
use super::sysfiles::{self, SYS_FILE_COUNT};
use crate::cluster::Cluster;

/// Largest system file accepted from a peer.
pub const MAX_SYS_FILE_SIZE: u64 = 32 * 1024 * 1024;

/// Times a file is fetched again after it changed between chunks.
const MAX_FILE_ATTEMPTS: u32 = 3;

/// Bounds on talking to a peer during bootstrap.
#[derive(Debug, Clone, Copy)]
pub struct BootstrapTiming {
    /// Bound on connecting to a peer. Default 2 s.
    pub connect_timeout: Duration,
    /// Bound on each read and write. Default 10 s.
    pub network_timeout: Duration,
}

impl Default for BootstrapTiming {
    fn default() -> Self {
        Self { connect_timeout: Duration::from_secs(2), network_timeout: Duration::from_secs(10) }
    }
}

/// Why one peer could not provide the cluster.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error(transparent)]
    Conn(#[from] ConnError),
    #[error("system file {index}: {reason}")]
    File { index: u8, reason: String },
    #[error(transparent)]
    Import(#[from] sysfiles::ImportError),
}

/// The cluster of the first peer in `trackers` (other than `listen`) that
/// knows at least one group, or `None`. Connections come from
/// `listen`'s IP.
pub async fn from_peers(
    listen: SocketAddr,
    trackers: &[SocketAddr],
    timing: BootstrapTiming,
) -> Option<Cluster> {
    let mut peers: Vec<SocketAddr> = trackers.iter().copied().filter(|&a| a != listen).collect();
    peers.sort();
    peers.dedup();
    for peer in peers {
        let span = info_span!("bootstrap", %peer);
        match fetch(listen, peer, timing).instrument(span).await {
            Ok(cluster) if cluster.group_count() > 0 => {
                let storages: usize = cluster.groups().map(|g| g.storage_count()).sum();
                info!(%peer, groups = cluster.group_count(), storages, "cluster copied from a peer tracker");
                return Some(cluster);
            }
            Ok(_) => info!(%peer, "peer tracker knows no group"),
            Err(e) => {
                warn!(%peer, error = %e, "cannot copy the cluster from this tracker; skipped")
            }
        }
    }
    None
}

/// The four system files of `peer`, imported.
async fn fetch(
    listen: SocketAddr,
    peer: SocketAddr,
    timing: BootstrapTiming,
) -> Result<Cluster, FetchError> {
    let mut conn =
        connect_from(listen.ip(), peer, timing.connect_timeout, timing.network_timeout).await?;
    conn.call(&GetSysFilesStart).await?;
    let mut files = Vec::with_capacity(usize::from(SYS_FILE_COUNT));
    for index in 0..SYS_FILE_COUNT {
        files.push(fetch_file(&mut conn, index).await?);
    }
    conn.call(&GetSysFilesEnd).await?;
    Ok(sysfiles::import(&files)?)
}

/// One system file, chunk by chunk.
async fn fetch_file(conn: &mut Connection, index: u8) -> Result<Vec<u8>, FetchError> {
    let err = |reason: String| FetchError::File { index, reason };
    'attempt: for _ in 0..MAX_FILE_ATTEMPTS {
        let mut data = Vec::new();
        let mut size = None;
        loop {
            let offset = data.len() as u64;
            let chunk = conn.call(&GetOneSysFile { index, offset }).await?;
            if chunk.file_size > MAX_SYS_FILE_SIZE {
                return Err(err(format!("{} bytes, more than accepted", chunk.file_size)));
            }
            match size {
                None => size = Some(chunk.file_size),
                Some(s) if s != chunk.file_size => continue 'attempt,
                Some(_) => {}
            }
            if offset + chunk.data.len() as u64 > chunk.file_size {
                return Err(err("more bytes than the file size".into()));
            }
            if chunk.data.is_empty() && offset < chunk.file_size {
                return Err(err(format!("no data at offset {offset} of {}", chunk.file_size)));
            }
            data.extend_from_slice(&chunk.data);
            if data.len() as u64 >= chunk.file_size {
                return Ok(data);
            }
        }
    }
    Err(err("kept changing while it was fetched".into()))
}
