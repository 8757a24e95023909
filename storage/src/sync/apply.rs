//! Receiving side, part two: changes to files that must already be here —
//! SYNC_APPEND_FILE (25), SYNC_MODIFY_FILE (35), SYNC_TRUNCATE_FILE (37) —
//! and the two-name commands SYNC_RENAME_FILE (40) and SYNC_CREATE_LINK (19).
//!
//! What "already here" means (answered 17, as FastDFS does, see the
//! `storage-sync` fixture): an append whose range ends at or before the
//! file's end (the create shipped the final content); a truncate to the
//! current size; a rename whose new name exists. A missing file, or one too
//! short to write at the offset, is answered 2 so the sender ships the
//! whole file. A modify is always applied (its bytes cannot be compared
//! without reading them).
//!
//! Renames and links are not store operations: a rename moves the file and
//! its `-m` file with a no-replace link + unlink and fsyncs the directory; a
//! link is replicated as a copy (this implementation never makes symlinks,
//! and a copy is always correct). Neither takes the store's per-file lock:
//! the only writer of a replicated name is its source's sync stream.

use std::io;
use std::path::{Path, PathBuf};

use fdfs_protocol::Decode;
use fdfs_protocol::Status;
use fdfs_protocol::cmd;
use fdfs_protocol::connection::Connection;
use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::storage::{SyncCreateLink, SyncRange, SyncRenameFile, SyncTruncateFile};
use tracing::debug;

use super::guard;
use super::receive::{PeerSession, already, applied, drain_then};
use crate::binlog::{Op, Record};
use crate::server::body::{MAX_PLAIN_BODY, Timed, read_head, read_plain};
use crate::server::session::{Fault, Reply, refuse};
use crate::server::state::StorageState;
use crate::server::stats::Stats;
use crate::store::{StoreError, WriteMode};

/// SYNC_APPEND_FILE (25) / SYNC_MODIFY_FILE (35): `length` bytes at
/// `offset` of an appender file.
pub(super) async fn range<const CMD: u8>(
    state: &StorageState,
    conn: &mut Connection,
    peer: &PeerSession,
    len: u64,
) -> Result<Reply, Fault> {
    let (req, content) = read_head::<SyncRange<CMD>>(conn, len).await?;
    if state.check_group(&req.group).is_err() {
        return refuse(conn, Status::EINVAL, content).await;
    }
    let Ok(name) = state.logic_name(&req.filename) else {
        return refuse(conn, Status::EINVAL, content).await;
    };
    let Some(end) = req.offset.checked_add(req.length) else {
        return refuse(conn, Status::EINVAL, content).await;
    };
    let size = match size_of(state, &name).await {
        Ok(Some(size)) => size,
        Ok(None) => return drain_then(conn, Fault::Status(Status::ENOENT), content).await,
        Err(status) => return drain_then(conn, Fault::Status(status), content).await,
    };
    if CMD == cmd::SYNC_APPEND_FILE && size >= end {
        let fault = already(state, peer, conn, req.timestamp);
        return drain_then(conn, fault, content).await;
    }
    if req.offset > size {
        debug!(file = %name, size, offset = req.offset, "sync range beyond the end; asking for the file");
        return drain_then(conn, Fault::Status(Status::ENOENT), content).await;
    }
    let worm = guard::worm(state, conn);
    if let Err(fault) = guard::check(state, conn, &name, worm, cmd::name(CMD)).await {
        return drain_then(conn, fault, content).await;
    }
    let mut body = Timed::new(conn.body(content), state.network_timeout);
    let result = state.store.modify(&name, req.offset, content, &mut body, worm).await;
    let left = body.get_ref().limit();
    drop(body);
    if let Err(e) = result {
        Stats::bytes(&state.stats.sync_in_bytes, content - left, false);
        return refuse(conn, e.status(), left).await;
    }
    let (offset, length) = (req.offset, req.length);
    let op = if CMD == cmd::SYNC_APPEND_FILE {
        Op::Append { offset, length }
    } else {
        Op::Modify { offset, length }
    };
    applied(state, peer, conn, Record::replica(req.timestamp, name.as_str(), op), content).await?;
    Ok(Reply::empty())
}

/// SYNC_TRUNCATE_FILE (37).
pub(super) async fn truncate(
    state: &StorageState,
    conn: &mut Connection,
    peer: &PeerSession,
    len: u64,
) -> Result<Reply, Fault> {
    let req: SyncTruncateFile = read_plain(conn, len).await?;
    state.check_group(&req.group)?;
    let name = state.logic_name(&req.filename)?;
    let size = size_of(state, &name).await?.ok_or(Status::ENOENT)?;
    if size == req.new_size {
        return Err(already(state, peer, conn, req.timestamp));
    }
    if size < req.new_size {
        return Err(Fault::Status(Status::ENOENT));
    }
    let worm = guard::worm(state, conn);
    guard::check(state, conn, &name, worm, "SYNC_TRUNCATE_FILE").await?;
    state.store.truncate(&name, req.new_size, worm).await.map_err(|e| Fault::Status(e.status()))?;
    let op = Op::Truncate { old_size: req.old_size, new_size: req.new_size };
    applied(state, peer, conn, Record::replica(req.timestamp, name.as_str(), op), 0).await?;
    Ok(Reply::empty())
}

/// SYNC_RENAME_FILE (40): an appender renamed to its regenerated name.
/// Success echoes the request body.
pub(super) async fn rename(
    state: &StorageState,
    conn: &mut Connection,
    peer: &PeerSession,
    len: u64,
) -> Result<Reply, Fault> {
    if len > MAX_PLAIN_BODY {
        return Err(Fault::malformed(format!("body of {len} bytes is too large")));
    }
    let body = conn.read_body(len, MAX_PLAIN_BODY).await.map_err(Fault::Io)?;
    let req = SyncRenameFile::decode(&body).map_err(Fault::Malformed)?;
    state.check_group(&req.group)?;
    let dest = state.logic_name(&req.dest_filename)?;
    let src = state.logic_name(&req.src_filename)?;
    let paths = state.store.paths();
    let resolve = |name: &LogicName| -> Result<(PathBuf, PathBuf), Fault> {
        let map = |e: StoreError| Fault::Status(e.status());
        Ok((paths.resolve(name).map_err(map)?, paths.meta_path(name).map_err(map)?))
    };
    guard::check(state, conn, &src, guard::worm(state, conn), "SYNC_RENAME_FILE").await?;
    let (from, from_meta) = resolve(&src)?;
    let (to, to_meta) = resolve(&dest)?;
    let moved = tokio::task::spawn_blocking(move || move_file(&from, &to, &from_meta, &to_meta))
        .await
        .map_err(|_| Fault::Status(Status::EIO))?;
    match moved {
        Ok(Moved::Done) => {}
        Ok(Moved::AlreadyThere) => return Err(already(state, peer, conn, req.timestamp)),
        Ok(Moved::SourceMissing) => return Err(Fault::Status(Status::ENOENT)),
        Err(e) => {
            debug!(from = %src, to = %dest, error = %e, "sync rename failed");
            return Err(Fault::Status(io_status(&e)));
        }
    }
    let op = Op::Rename { old: src.into_string() };
    applied(state, peer, conn, Record::replica(req.timestamp, dest.as_str(), op), 0).await?;
    Ok(Reply::Body(body))
}

/// SYNC_CREATE_LINK (19): replicated as a copy of the source file.
pub(super) async fn link(
    state: &StorageState,
    conn: &mut Connection,
    peer: &PeerSession,
    len: u64,
) -> Result<Reply, Fault> {
    let req: SyncCreateLink = read_plain(conn, len).await?;
    state.check_group(&req.group)?;
    let dest = state.logic_name(&req.dest_filename)?;
    let src = state.logic_name(&req.src_filename)?;
    if size_of(state, &dest).await?.is_some() {
        return Err(already(state, peer, conn, req.timestamp));
    }
    let path = state.store.paths().resolve(&src).map_err(|e| Fault::Status(e.status()))?;
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Fault::Status(Status::ENOENT)),
        Err(e) => return Err(Fault::Status(io_status(&e))),
    };
    let size = file.metadata().await.map_err(|e| Fault::Status(io_status(&e)))?.len();
    let written = state.store.write_named(&dest, size, req.timestamp, WriteMode::Create, &mut file);
    match written.await {
        Ok(_) => {}
        Err(StoreError::Exists(_)) => return Err(already(state, peer, conn, req.timestamp)),
        Err(e) => return Err(Fault::Status(e.status())),
    }
    let op = Op::Link { source: src.into_string() };
    applied(state, peer, conn, Record::replica(req.timestamp, dest.as_str(), op), 0).await?;
    Ok(Reply::empty())
}

/// The size of the regular file `name`, `None` when there is none.
async fn size_of(state: &StorageState, name: &LogicName) -> Result<Option<u64>, Status> {
    let path = state.store.paths().resolve(name).map_err(|e| e.status())?;
    match tokio::fs::metadata(&path).await {
        Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_status(&e)),
    }
}

/// The status for an OS error (EIO when it has no errno).
fn io_status(e: &io::Error) -> Status {
    match Status::from_io(e) {
        Status::OK => Status::EIO,
        status => status,
    }
}

/// How a rename went.
enum Moved {
    Done,
    AlreadyThere,
    SourceMissing,
}

/// Moves `from` to `to` unless `to` exists, and the `-m` file along; then
/// fsyncs the directories. Blocks.
fn move_file(from: &Path, to: &Path, from_meta: &Path, to_meta: &Path) -> io::Result<Moved> {
    if std::fs::symlink_metadata(to).is_ok() {
        return Ok(Moved::AlreadyThere);
    }
    if !std::fs::metadata(from).is_ok_and(|m| m.is_file()) {
        return Ok(Moved::SourceMissing);
    }
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // A link then an unlink never replaces an existing file; file systems
    // without hard links get a plain rename (`to` was just checked absent).
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from)?,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(Moved::AlreadyThere),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Moved::SourceMissing),
        Err(_) => std::fs::rename(from, to)?,
    }
    match std::fs::rename(from_meta, to_meta) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    for dir in [to.parent(), from.parent()].into_iter().flatten() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(Moved::Done)
}
