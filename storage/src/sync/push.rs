//! One connection to a group peer and the sync command for each binlog
//! record (`fastdfs-protocol.md` §5.2, §9).
//!
//! The connection is bound to this storage's own IP and opens with
//! REPORT_SERVER_ID, so the peer credits the changes to the right source.
//! File content streams from the local file to the socket through the
//! connection's bounded buffer — never a whole file in memory — and every
//! socket operation is bounded by the network timeout.
//!
//! A record is done when the peer answers 0 or 17. A 2 (file missing) on an
//! append, modify or truncate makes the pusher ship the whole file with
//! SYNC_UPDATE_FILE; on a rename or link, the new file with
//! SYNC_CREATE_FILE. A record whose local file is gone is skipped: the
//! delete or rename that removed it is further down the binlog. A rename
//! then re-ships the file when changes to the old name were skipped that
//! way or the peer's size differs. Anything else is an error the worker
//! retries.

use std::io::SeekFrom;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fdfs_protocol::connection::{ConnError, Connection, DEFAULT_BODY_LIMIT};
use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::message::ActiveTest;
use fdfs_protocol::storage::{
    QueryFileInfo, ReportServerId, SyncCreateLink, SyncDeleteFile, SyncFile, SyncRange,
    SyncRenameFile, SyncTruncateFile,
};
use fdfs_protocol::{Status, cmd};
use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tracing::warn;

use crate::binlog::record::META_SUFFIX;
use crate::binlog::{Op, Record};
use crate::reporter::Dialer;
use crate::server::body::MAX_DRAIN;
use crate::server::state::StorageState;
use crate::server::stats::Stats;

const CREATE: u8 = cmd::SYNC_CREATE_FILE;
const UPDATE: u8 = cmd::SYNC_UPDATE_FILE;

/// Files larger than this are not sent with SYNC_CREATE_FILE before asking
/// the peer (QUERY_FILE_INFO) whether it has them at that size already.
const PROBE_ABOVE: u64 = MAX_DRAIN;

/// What pushing a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The peer has the change.
    Sent,
    /// The local file is gone; nothing was sent (a later record deletes or
    /// renames it).
    Gone,
}

/// For a rename: which changes to the old names were skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stale {
    /// Changes to the appender itself.
    pub content: bool,
    /// Changes to its `-m` file.
    pub meta: bool,
}

/// How a peer answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 0: applied.
    Applied,
    /// 17: already there.
    Exists,
    /// 2: the file to change is missing there.
    Missing,
    /// Nothing was sent: the local file is gone.
    Gone,
}

/// Sorts a reply into the answers a sender handles; other failures stay
/// errors.
fn sort<T>(result: Result<T, ConnError>) -> Result<Answer, ConnError> {
    match result {
        Ok(_) => Ok(Answer::Applied),
        Err(ConnError::Status(Status::EEXIST)) => Ok(Answer::Exists),
        Err(ConnError::Status(Status::ENOENT)) => Ok(Answer::Missing),
        Err(e) => Err(e),
    }
}

/// An open sync connection to one peer.
#[derive(Debug)]
pub(crate) struct PeerLink {
    conn: Connection,
    last_used: Instant,
}

impl PeerLink {
    /// Connects to `addr` from the dialer's IP and introduces this storage.
    pub async fn open(dialer: &Dialer, addr: SocketAddr, my_id: &str) -> Result<Self, ConnError> {
        let mut conn = dialer.connect(addr).await?;
        conn.call(&ReportServerId { storage_id: my_id.to_string() }).await?;
        Ok(Self { conn, last_used: Instant::now() })
    }

    /// How long the connection has been unused.
    pub fn idle_for(&self) -> Duration {
        self.last_used.elapsed()
    }

    /// ACTIVE_TEST (111): keeps an idle connection open and checks it.
    pub async fn active_test(&mut self) -> Result<(), ConnError> {
        self.conn.call(&ActiveTest).await?;
        self.last_used = Instant::now();
        Ok(())
    }

    /// Sends the command for `record`; `Ok` when the record is done, with
    /// whether the local file was gone so nothing could be sent. `stale`
    /// says, for a rename, whether the peer may hold an outdated appender
    /// (or `-m` file): changes to the old name were skipped because it was
    /// already renamed here.
    pub async fn push(
        &mut self,
        state: &StorageState,
        record: &Record,
        stale: Stale,
    ) -> Result<Pushed, ConnError> {
        let result = self.push_record(state, record, stale).await;
        self.last_used = Instant::now();
        result.map(|answer| if answer == Answer::Gone { Pushed::Gone } else { Pushed::Sent })
    }

    async fn push_record(
        &mut self,
        state: &StorageState,
        record: &Record,
        stale: Stale,
    ) -> Result<Answer, ConnError> {
        let (ts, name, group) = (record.timestamp, record.filename.as_str(), &state.group);
        match &record.op {
            Op::Create => self.whole::<CREATE>(state, name, ts).await,
            Op::Update => self.whole::<UPDATE>(state, name, ts).await,
            Op::Delete => {
                let req = SyncDeleteFile {
                    timestamp: ts,
                    group: group.clone(),
                    filename: name.to_string(),
                };
                sort(self.conn.call(&req).await)
            }
            Op::Append { offset, length } => {
                self.range::<{ cmd::SYNC_APPEND_FILE }>(state, name, *offset, *length, ts).await
            }
            Op::Modify { offset, length } => {
                self.range::<{ cmd::SYNC_MODIFY_FILE }>(state, name, *offset, *length, ts).await
            }
            Op::Truncate { old_size, new_size } => {
                let req = SyncTruncateFile {
                    filename: name.to_string(),
                    old_size: *old_size,
                    new_size: *new_size,
                    timestamp: ts,
                    group: group.clone(),
                };
                match sort(self.conn.call(&req).await)? {
                    Answer::Missing => self.whole::<UPDATE>(state, name, ts).await,
                    answer => Ok(answer),
                }
            }
            Op::Rename { old } => self.rename(state, name, old, ts, stale).await,
            Op::Link { source } => {
                let req = SyncCreateLink {
                    dest_filename: name.to_string(),
                    src_filename: source.clone(),
                    timestamp: ts,
                    group: group.clone(),
                };
                match self.conn.call(&req).await {
                    Err(ConnError::Status(Status::ENOENT | Status::EOPNOTSUPP)) => {
                        self.whole::<CREATE>(state, name, ts).await
                    }
                    other => sort(other),
                }
            }
        }
    }

    /// SYNC_RENAME_FILE, then makes sure the peer's renamed file is the
    /// local one: shipped whole when the peer lacked the appender, when
    /// changes to it were skipped (`stale`), or when its size differs.
    async fn rename(
        &mut self,
        state: &StorageState,
        name: &str,
        old: &str,
        ts: u32,
        stale: Stale,
    ) -> Result<Answer, ConnError> {
        let req = SyncRenameFile {
            dest_filename: name.to_string(),
            src_filename: old.to_string(),
            timestamp: ts,
            group: state.group.clone(),
        };
        let meta = format!("{name}{META_SUFFIX}");
        if sort(self.conn.call(&req).await)? == Answer::Missing {
            // The peer never got the appender: send the result.
            self.whole::<CREATE>(state, &meta, ts).await?;
            return self.whole::<CREATE>(state, name, ts).await;
        }
        if stale.meta {
            self.whole::<UPDATE>(state, &meta, ts).await?;
        }
        let local = match open_local(state, name).await? {
            Some(file) => file.metadata().await?.len(),
            None => return Ok(Answer::Gone),
        };
        if stale.content || !self.peer_has(state, name, local).await? {
            return self.whole::<UPDATE>(state, name, ts).await;
        }
        Ok(Answer::Applied)
    }

    /// SYNC_CREATE_FILE / SYNC_UPDATE_FILE with the file's current content.
    async fn whole<const CMD: u8>(
        &mut self,
        state: &StorageState,
        name: &str,
        ts: u32,
    ) -> Result<Answer, ConnError> {
        let Some(mut file) = open_local(state, name).await? else {
            return Ok(Answer::Gone);
        };
        let size = file.metadata().await?.len();
        if CMD == CREATE && size > PROBE_ABOVE && self.peer_has(state, name, size).await? {
            return Ok(Answer::Exists);
        }
        let req = SyncFile::<CMD> {
            filename: name.to_string(),
            file_size: size,
            timestamp: ts,
            group: state.group.clone(),
            content_omitted: false,
        };
        let sent = self.conn.send_streamed(&req, &mut (&mut file).take(size)).await;
        Stats::bytes(&state.stats.sync_out_bytes, size, sent.is_ok());
        sent?;
        sort(self.answer().await)
    }

    /// SYNC_APPEND_FILE / SYNC_MODIFY_FILE with the bytes at `offset`; the
    /// whole file instead when the local file no longer has them or the
    /// peer lacks the file.
    async fn range<const CMD: u8>(
        &mut self,
        state: &StorageState,
        name: &str,
        offset: u64,
        length: u64,
        ts: u32,
    ) -> Result<Answer, ConnError> {
        let Some(mut file) = open_local(state, name).await? else {
            return Ok(Answer::Gone);
        };
        let size = file.metadata().await?.len();
        if offset.checked_add(length).is_none_or(|end| end > size) {
            return self.whole::<UPDATE>(state, name, ts).await;
        }
        file.seek(SeekFrom::Start(offset)).await?;
        let req = SyncRange::<CMD> {
            filename: name.to_string(),
            offset,
            length,
            timestamp: ts,
            group: state.group.clone(),
        };
        let sent = self.conn.send_streamed(&req, &mut (&mut file).take(length)).await;
        Stats::bytes(&state.stats.sync_out_bytes, length, sent.is_ok());
        sent?;
        match sort(self.answer().await)? {
            Answer::Missing => self.whole::<UPDATE>(state, name, ts).await,
            answer => Ok(answer),
        }
    }

    /// Whether the peer holds `name` at `size` bytes (QUERY_FILE_INFO).
    async fn peer_has(
        &mut self,
        state: &StorageState,
        name: &str,
        size: u64,
    ) -> Result<bool, ConnError> {
        let req = QueryFileInfo {
            flags: QueryFileInfo::NO_CRC32,
            group: state.group.clone(),
            filename: name.to_string(),
        };
        match self.conn.exchange(&req, req.header_status()).await {
            Ok(info) => Ok(info.file_size == size),
            Err(ConnError::Status(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads the answer to a streamed request (a rename's echo is dropped).
    async fn answer(&mut self) -> Result<(), ConnError> {
        let header = self.conn.read_response_header().await?;
        if header.pkg_len > DEFAULT_BODY_LIMIT {
            return Err(ConnError::Protocol(format!("answer of {} bytes", header.pkg_len)));
        }
        self.conn.discard(header.pkg_len).await
    }
}

/// Opens the local file of `name`; `None` when it is gone (or the name is
/// not one this storage can hold, which is logged).
async fn open_local(state: &StorageState, name: &str) -> Result<Option<File>, ConnError> {
    let path = match LogicName::parse(name).map(|n| state.store.paths().resolve(&n)) {
        Ok(Ok(path)) => path,
        Ok(Err(e)) => {
            warn!(file = name, error = %e, "binlog names a file outside the store paths; skipped");
            return Ok(None);
        }
        Err(e) => {
            warn!(file = name, error = %e, "binlog names an invalid file; skipped");
            return Ok(None);
        }
    };
    match File::open(&path).await {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConnError::Io(e)),
    }
}
