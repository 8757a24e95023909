//! FETCH_ONE_PATH_BINLOG (26): this storage's binlog lines for one store
//! path. FastDFS uses it to rebuild a lost disk from a group peer; the S3
//! gateway uses it to list a group's files (index rebuild, orphan sweep).
//!
//! The reply is every binlog record — source and replica, every op —
//! whose filename lies in the requested store path (`M<index>/...`), in
//! binlog order and in binlog format. The header must announce the length
//! before the body, and the body is never held in memory, so the binlog is
//! read twice up to the durable end as it stood when the request arrived:
//! once to count the bytes, once to send them. Records written meanwhile
//! belong to the next request.

use fdfs_protocol::Header;
use fdfs_protocol::connection::Connection;
use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::storage::FetchOnePathBinlog;
use tracing::debug;

use crate::binlog::{BinlogError, Position, Record};
use crate::server::body::read_plain;
use crate::server::session::{Fault, Reply};
use crate::server::state::StorageState;

/// Serves the request; see the module docs.
pub(super) async fn fetch_one_path_binlog(
    state: &StorageState,
    conn: &mut Connection,
    len: u64,
) -> Result<Reply, Fault> {
    let req: FetchOnePathBinlog = read_plain(conn, len).await?;
    state.check_group(&req.group)?;
    if usize::from(req.store_path_index) >= state.store.paths().len() {
        return Err(Fault::Status(fdfs_protocol::Status::EINVAL));
    }
    let end = state.binlog.durable_end();
    let index = req.store_path_index;
    let mut total = 0u64;
    let counted = each_line(state, end, index, |line| {
        total += line.len() as u64;
        std::future::ready(Ok(()))
    })
    .await;
    counted.map_err(|e| binlog_failed(&e))?;
    debug!(store_path = index, bytes = total, "sending a store path's binlog");
    conn.write_header(&Header::response(total)).await.map_err(Fault::Io)?;
    let mut sent = 0u64;
    let mut reader = state.binlog.reader(Position::START).map_err(|e| binlog_failed(&e))?;
    while let Some((record, after)) = reader.next().await.map_err(|e| binlog_failed(&e))? {
        if after > end {
            break;
        }
        let Some(line) = path_line(&record, index) else { continue };
        if sent + line.len() as u64 > total {
            break;
        }
        conn.write_all(line.as_bytes()).await.map_err(Fault::Io)?;
        sent += line.len() as u64;
    }
    if sent != total {
        // The header promised more than the second pass found: the stream
        // is out of step, so close it.
        return Err(Fault::Io(fdfs_protocol::connection::ConnError::Protocol(format!(
            "binlog changed under a FETCH_ONE_PATH_BINLOG: sent {sent} of {total} bytes"
        ))));
    }
    conn.flush().await.map_err(Fault::Io)?;
    Ok(Reply::Sent)
}

/// Calls `f` with each line of store path `index` up to `end`.
async fn each_line<F, Fut>(
    state: &StorageState,
    end: Position,
    index: u8,
    mut f: F,
) -> Result<(), BinlogError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(), BinlogError>>,
{
    let mut reader = state.binlog.reader(Position::START)?;
    while let Some((record, after)) = reader.next().await? {
        if after > end {
            break;
        }
        if let Some(line) = path_line(&record, index) {
            f(line).await?;
        }
    }
    Ok(())
}

/// The record's line when its file is in store path `index`.
fn path_line(record: &Record, index: u8) -> Option<String> {
    let name = LogicName::parse(&record.filename).ok()?;
    if name.store_path_index() != index {
        return None;
    }
    record.to_line().ok()
}

fn binlog_failed(e: &BinlogError) -> Fault {
    tracing::error!(error = %e, "cannot read the binlog for FETCH_ONE_PATH_BINLOG");
    Fault::Status(fdfs_protocol::Status::EIO)
}
