//! Receiving side of replication (`fastdfs-protocol.md` §5.2): the sync
//! commands a group peer sends while replaying its binlog.
//!
//! Every change is applied under the exact logic filename the peer sent,
//! keeps the source's timestamp, and is logged as a replica (lower-case)
//! record, so this storage never pushes it on (§9) — except while catching
//! up a new member. Answers follow FastDFS: 17 (EEXIST) when the result is
//! already here, 2 (ENOENT) when the file to change is missing (the sender
//! then ships the whole file), so a replay after a crash or a lost mark is
//! harmless.
//!
//! Whole-file content (SYNC_CREATE/UPDATE) streams into a temp file through
//! the store; nothing is visible under the name until it is complete. An
//! answer decided before the content was read (EEXIST, ENOENT) drains the
//! content whatever its size, so the sender always reads its answer and the
//! connection stays usable. Malformed bodies are answered EINVAL and the
//! connection is closed.
//!
//! This file: the session state, dispatch, REPORT_SERVER_ID, whole files,
//! and deletes; in-place changes, renames and links are in `apply`,
//! FETCH_ONE_PATH_BINLOG in `path_binlog`.

use std::sync::atomic::Ordering;

use fdfs_protocol::connection::Connection;
use fdfs_protocol::storage::{ReportServerId, SyncDeleteFile, SyncFile};
use fdfs_protocol::{Header, Status, cmd};
use tracing::debug;

use super::{apply, guard};
use crate::binlog::{META_SUFFIX, Op, Record};
use crate::server::body::{Timed, read_head, read_plain};
use crate::server::session::{Fault, Reply, refuse};
use crate::server::state::{StorageState, now};
use crate::server::stats::Stats;
use crate::store::{StoreError, WriteMode};

/// What a sync connection told about its sender.
#[derive(Debug, Default)]
pub struct PeerSession {
    /// The sender's storage id from REPORT_SERVER_ID (9).
    source: Option<String>,
}

impl PeerSession {
    /// The sender's storage id, if it introduced itself.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The id changes are credited to: the announced id, else the peer's
    /// address.
    pub(super) fn source_or(&self, conn: &Connection) -> String {
        match &self.source {
            Some(id) => id.clone(),
            None => conn.peer_addr().ip().to_string(),
        }
    }
}

/// Whether `code` is a sync command handled here.
pub fn handles(code: u8) -> bool {
    matches!(
        code,
        cmd::REPORT_SERVER_ID
            | cmd::SYNC_CREATE_FILE
            | cmd::SYNC_DELETE_FILE
            | cmd::SYNC_UPDATE_FILE
            | cmd::SYNC_CREATE_LINK
            | cmd::SYNC_APPEND_FILE
            | cmd::FETCH_ONE_PATH_BINLOG
            | cmd::SYNC_MODIFY_FILE
            | cmd::SYNC_TRUNCATE_FILE
            | cmd::SYNC_RENAME_FILE
    )
}

/// Handles one sync command.
pub async fn handle(
    state: &StorageState,
    conn: &mut Connection,
    peer: &mut PeerSession,
    header: &Header,
) -> Result<Reply, Fault> {
    let len = header.pkg_len;
    match header.cmd {
        cmd::REPORT_SERVER_ID => report_server_id(conn, peer, len).await,
        cmd::SYNC_CREATE_FILE => {
            whole::<{ cmd::SYNC_CREATE_FILE }>(state, conn, peer, header).await
        }
        cmd::SYNC_UPDATE_FILE => {
            whole::<{ cmd::SYNC_UPDATE_FILE }>(state, conn, peer, header).await
        }
        cmd::SYNC_DELETE_FILE => delete(state, conn, peer, len).await,
        cmd::SYNC_APPEND_FILE => {
            apply::range::<{ cmd::SYNC_APPEND_FILE }>(state, conn, peer, len).await
        }
        cmd::SYNC_MODIFY_FILE => {
            apply::range::<{ cmd::SYNC_MODIFY_FILE }>(state, conn, peer, len).await
        }
        cmd::SYNC_TRUNCATE_FILE => apply::truncate(state, conn, peer, len).await,
        cmd::SYNC_RENAME_FILE => apply::rename(state, conn, peer, len).await,
        cmd::SYNC_CREATE_LINK => apply::link(state, conn, peer, len).await,
        cmd::FETCH_ONE_PATH_BINLOG => {
            super::path_binlog::fetch_one_path_binlog(state, conn, len).await
        }
        code => {
            debug!(cmd = code, "not a sync command");
            refuse(conn, Status::EINVAL, len).await
        }
    }
}

/// REPORT_SERVER_ID (9): remember who is sending.
async fn report_server_id(
    conn: &mut Connection,
    peer: &mut PeerSession,
    len: u64,
) -> Result<Reply, Fault> {
    let req: ReportServerId = read_plain(conn, len).await?;
    req.validate().map_err(Fault::Malformed)?;
    debug!(source = %req.storage_id, "sync peer introduced itself");
    peer.source = Some(req.storage_id);
    Ok(Reply::empty())
}

/// SYNC_CREATE_FILE (16) / SYNC_UPDATE_FILE (18): the whole file under its
/// name. Create answers EEXIST when a file of that size is here already;
/// update always replaces. Header status 17 means no content follows: the
/// sender believes a same-size file is here — EEXIST if so, else ENOENT.
async fn whole<const CMD: u8>(
    state: &StorageState,
    conn: &mut Connection,
    peer: &PeerSession,
    header: &Header,
) -> Result<Reply, Fault> {
    let omitted = header.status == SyncFile::<CMD>::NO_CONTENT_STATUS;
    let (req, content) = if omitted {
        let mut req: SyncFile<CMD> = read_plain(conn, header.pkg_len).await?;
        req.content_omitted = true;
        (req, 0)
    } else {
        read_head::<SyncFile<CMD>>(conn, header.pkg_len).await?
    };
    if state.check_group(&req.group).is_err() {
        return refuse(conn, Status::EINVAL, content).await;
    }
    let Ok(name) = state.logic_name(&req.filename) else {
        return refuse(conn, Status::EINVAL, content).await;
    };
    if CMD == cmd::SYNC_CREATE_FILE && deleted_here(state, name.as_str()) {
        // A create replayed after the sender's crash, for a file deleted
        // here since: the delete is the newer state (see `Tombstones`).
        debug!(file = %name, "replayed create of a file deleted here; not applied");
        let fault = already(state, peer, conn, req.timestamp);
        return drain_then(conn, fault, content).await;
    }
    if omitted {
        let path = state.store.paths().resolve(&name).map_err(|e| Fault::Status(e.status()))?;
        return match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.is_file() && meta.len() == req.file_size => {
                Err(already(state, peer, conn, req.timestamp))
            }
            _ => Err(Fault::Status(Status::ENOENT)),
        };
    }
    if CMD == cmd::SYNC_UPDATE_FILE {
        let worm = guard::worm(state, conn);
        if let Err(fault) = guard::check(state, conn, &name, worm, "SYNC_UPDATE_FILE").await {
            return drain_then(conn, fault, content).await;
        }
    }
    let (mode, op) = if CMD == cmd::SYNC_CREATE_FILE {
        (WriteMode::Create, Op::Create)
    } else {
        (WriteMode::Replace, Op::Update)
    };
    let mut body = Timed::new(conn.body(content), state.network_timeout);
    let result = state.store.write_named(&name, content, req.timestamp, mode, &mut body).await;
    let left = body.get_ref().limit();
    drop(body);
    match result {
        Ok(_) => {
            let record = Record::replica(req.timestamp, name.as_str(), op);
            applied(state, peer, conn, record, content).await?;
            Ok(Reply::empty())
        }
        Err(StoreError::Exists(_)) => {
            let fault = already(state, peer, conn, req.timestamp);
            drain_then(conn, fault, left).await
        }
        Err(e) => {
            debug!(file = %name, error = %e, "sync write failed");
            Stats::bytes(&state.stats.sync_in_bytes, content - left, false);
            refuse(conn, e.status(), left).await
        }
    }
}

/// Whether `name`, or the file whose metadata `name` is, was deleted here
/// lately (a delete removes a file and its `-m` file under one record).
fn deleted_here(state: &StorageState, name: &str) -> bool {
    let deleted = &state.sync.deleted;
    deleted.contains(name) || name.strip_suffix(META_SUFFIX).is_some_and(|f| deleted.contains(f))
}

/// SYNC_DELETE_FILE (17): remove the file (and its `-m` file); ENOENT
/// when it is already gone.
async fn delete(
    state: &StorageState,
    conn: &mut Connection,
    peer: &PeerSession,
    len: u64,
) -> Result<Reply, Fault> {
    let req: SyncDeleteFile = read_plain(conn, len).await?;
    state.check_group(&req.group)?;
    let name = state.logic_name(&req.filename)?;
    let worm = guard::worm(state, conn);
    guard::check(state, conn, &name, worm, "SYNC_DELETE_FILE").await?;
    match state.store.delete(&name, worm).await {
        Ok(_) => {
            applied(
                state,
                peer,
                conn,
                Record::replica(req.timestamp, name.as_str(), Op::Delete),
                0,
            )
            .await?;
            Ok(Reply::empty())
        }
        Err(e) => {
            if e.status() == Status::ENOENT {
                state.sync.note_received(&peer.source_or(conn), req.timestamp);
            }
            Err(Fault::Status(e.status()))
        }
    }
}

/// Books a change applied for a peer: its replica record in the binlog
/// (a change that cannot be logged fails the request, EIO), the counters,
/// and the source's newest timestamp for SYNC_REPORT.
pub(super) async fn applied(
    state: &StorageState,
    peer: &PeerSession,
    conn: &Connection,
    record: Record,
    bytes: u64,
) -> Result<(), Fault> {
    let timestamp = record.timestamp;
    state.log(record).await?;
    Stats::bytes(&state.stats.sync_in_bytes, bytes, true);
    state.stats.last_sync_update.store(now(), Ordering::Relaxed);
    state.stats.touch();
    state.sync.note_received(&peer.source_or(conn), timestamp);
    Ok(())
}

/// The answer for a change already here (EEXIST), noting the source's
/// timestamp: this storage holds its data up to it.
pub(super) fn already(
    state: &StorageState,
    peer: &PeerSession,
    conn: &Connection,
    timestamp: u32,
) -> Fault {
    state.sync.note_received(&peer.source_or(conn), timestamp);
    Fault::Status(Status::EEXIST)
}

/// Reads and drops the `left` unread content bytes, then fails with
/// `fault`. Unlike the client commands, sync content is always drained —
/// whatever its size — so the sender reads the answer instead of a reset.
pub(super) async fn drain_then(
    conn: &mut Connection,
    fault: Fault,
    left: u64,
) -> Result<Reply, Fault> {
    if left > 0 {
        conn.discard(left).await.map_err(Fault::Io)?;
    }
    Err(fault)
}
