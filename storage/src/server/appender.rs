//! APPEND_FILE (24), MODIFY_FILE (34), TRUNCATE_FILE (36),
//! REGENERATE_APPENDER_FILENAME (38): changes to appender files, sent to
//! the file's source storage (QUERY_UPDATE). These bodies carry no group.
//! Each is refused (`EPERM`, nothing logged in the binlog) on a file whose
//! retention tags lock it (`server::worm`).

use fdfs_protocol::connection::Connection;
use fdfs_protocol::storage::{
    AppendFile, FileIdResponse, ModifyFile, RegenerateAppenderFilename, TruncateFile,
};

use super::body::{Timed, read_head, read_plain};
use super::session::{Fault, Reply, refuse};
use super::state::{StorageState, now32};
use super::stats::Stats;
use super::worm::note_refusal;
use crate::binlog::{Op, Record};

pub async fn append(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let (req, content) = read_head::<AppendFile>(conn, pkg_len).await?;
    let Ok(name) = state.logic_name(&req.filename) else {
        return refuse(conn, fdfs_protocol::Status::EINVAL, content).await;
    };
    let worm = state.worm(conn);
    let mut body = Timed::new(conn.body(content), state.network_timeout);
    let result = state.store.append(&name, content, &mut body, worm).await;
    let left = body.get_ref().limit();
    drop(body);
    state.stats.append.record(result.is_ok());
    Stats::bytes(&state.stats.append_bytes, content - left, result.is_ok());
    let changed = match result {
        Ok(changed) => changed,
        Err(e) => {
            note_refusal(&e, conn, &name, "APPEND_FILE");
            return refuse(conn, e.status(), left).await;
        }
    };
    let op = Op::Append { offset: changed.offset, length: changed.len };
    state.log(Record::source(now32(), name.as_str(), op)).await?;
    state.source_changed();
    Ok(Reply::empty())
}

pub async fn modify(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let (req, content) = read_head::<ModifyFile>(conn, pkg_len).await?;
    let Ok(name) = state.logic_name(&req.filename) else {
        return refuse(conn, fdfs_protocol::Status::EINVAL, content).await;
    };
    let worm = state.worm(conn);
    let mut body = Timed::new(conn.body(content), state.network_timeout);
    let result = state.store.modify(&name, req.offset, content, &mut body, worm).await;
    let left = body.get_ref().limit();
    drop(body);
    state.stats.modify.record(result.is_ok());
    Stats::bytes(&state.stats.modify_bytes, content - left, result.is_ok());
    let changed = match result {
        Ok(changed) => changed,
        Err(e) => {
            note_refusal(&e, conn, &name, "MODIFY_FILE");
            return refuse(conn, e.status(), left).await;
        }
    };
    let op = Op::Modify { offset: changed.offset, length: changed.len };
    state.log(Record::source(now32(), name.as_str(), op)).await?;
    state.source_changed();
    Ok(Reply::empty())
}

pub async fn truncate(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let req: TruncateFile = read_plain(conn, pkg_len).await?;
    let name = state.logic_name(&req.filename)?;
    let result = state.store.truncate(&name, req.new_size, state.worm(conn)).await;
    state.stats.truncate.record(result.is_ok());
    let done = result.map_err(|e| {
        note_refusal(&e, conn, &name, "TRUNCATE_FILE");
        Fault::Status(e.status())
    })?;
    let op = Op::Truncate { old_size: done.old_size, new_size: done.new_size };
    state.log(Record::source(now32(), name.as_str(), op)).await?;
    state.source_changed();
    Ok(Reply::empty())
}

/// Turns an appender into a normal file named after its final content.
pub async fn regenerate(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let req: RegenerateAppenderFilename = read_plain(conn, pkg_len).await?;
    let name = state.logic_name(&req.filename)?;
    let stored = state.store.regenerate_appender(&name, state.worm(conn)).await.map_err(|e| {
        note_refusal(&e, conn, &name, "REGENERATE_APPENDER_FILENAME");
        Fault::Status(e.status())
    })?;
    let op = Op::Rename { old: name.into_string() };
    state.log(Record::source(stored.create_time, stored.name.as_str(), op)).await?;
    state.source_changed();
    Ok(Reply::of(&FileIdResponse {
        group: state.group.clone(),
        filename: stored.name.into_string(),
    }))
}
