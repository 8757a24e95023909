//! DOWNLOAD_FILE (14), QUERY_FILE_INFO (22), DELETE_FILE (12),
//! SET_METADATA (13), GET_METADATA (15).
//!
//! DELETE_FILE and SET_METADATA obey the file's retention tags
//! (`server::worm`): a refusal is `EPERM` and is not logged in the binlog.

use fdfs_protocol::connection::Connection;
use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::filename::Source;
use fdfs_protocol::message::Raw;
use fdfs_protocol::storage::{
    DeleteFile, DownloadFile, FileInfo, GetMetadata, QueryFileInfo, SetMetadata,
};
use fdfs_protocol::{EncodeWidth, Header, Status};

use super::body::read_plain;
use super::session::{Fault, Reply};
use super::state::{StorageState, now32};
use super::stats::Stats;
use super::worm::note_refusal;
use crate::binlog::{Op, Record};
use crate::store::MetaChange;

/// Streams the requested range straight from the file to the socket
/// (`sendfile(2)`: the bytes never pass through user space).
pub async fn download(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let req: DownloadFile = read_plain(conn, pkg_len).await?;
    state.check_group(&req.group)?;
    let name = state.logic_name(&req.filename)?;
    let opened = state.store.open_download(&name, req.offset, req.length).await;
    let mut file = match opened {
        Ok(file) => file,
        Err(e) => {
            state.stats.download.record(false);
            return Err(Fault::Status(e.status()));
        }
    };
    conn.write_header(&Header::response(file.len)).await.map_err(Fault::Io)?;
    // Zero-copy from the page cache to the socket where the kernel allows.
    let sent = conn.send_file(&mut file.file, file.offset, file.len).await;
    state.stats.download.record(sent.is_ok());
    Stats::bytes(&state.stats.download_bytes, file.len, sent.is_ok());
    state.stats.touch();
    sent.map_err(Fault::Io)?;
    Ok(Reply::Sent)
}

/// Size, time and CRC32 of a file; the flags travel in the header status.
/// The IP field is as wide as the trackers' `response_ip_addr_size` says.
pub async fn file_info(
    state: &StorageState,
    conn: &mut Connection,
    header: &Header,
) -> Result<Reply, Fault> {
    let mut req: QueryFileInfo = read_plain(conn, header.pkg_len).await?;
    req.flags = header.status;
    state.check_group(&req.group)?;
    let name = state.logic_name(&req.filename)?;
    let compute_crc32 = req.flags & QueryFileInfo::NO_CRC32 == 0;
    let info =
        state.store.file_info(&name, compute_crc32).await.map_err(|e| Fault::Status(e.status()))?;
    let source_ip = match info.source {
        Source::Ip(ip) => ip.to_string(),
        Source::Id(id) => id.get().to_string(),
    };
    let info = FileInfo {
        file_size: info.size,
        create_time: i64::from(info.create_time),
        crc32: info.crc32,
        source_ip,
    };
    Ok(Reply::Body(info.to_body_with(state.reply_ip_width.get())))
}

pub async fn delete(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let req: DeleteFile = read_plain(conn, pkg_len).await?;
    state.check_group(&req.group)?;
    let name = state.logic_name(&req.filename)?;
    let result = state.store.delete(&name, state.worm(conn)).await;
    state.stats.delete.record(result.is_ok());
    // A refused delete never happened: nothing reaches the binlog.
    result.map_err(|e| refused(&e, conn, &name, "DELETE_FILE"))?;
    state.log(Record::source(now32(), name.as_str(), Op::Delete)).await?;
    state.source_changed();
    Ok(Reply::empty())
}

pub async fn set_metadata(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let req: SetMetadata = read_plain(conn, pkg_len).await?;
    state.check_group(&req.group)?;
    let name = state.logic_name(&req.filename)?;
    if req.metadata.validate().is_err() {
        state.stats.set_meta.record(false);
        return Err(Fault::Status(Status::EINVAL));
    }
    let result = state.store.set_metadata(&name, req.op, &req.metadata, state.worm(conn)).await;
    state.stats.set_meta.record(result.is_ok());
    let written = result.map_err(|e| refused(&e, conn, &name, "SET_METADATA"))?;
    let op = match written.change {
        MetaChange::Created => Some(Op::Create),
        MetaChange::Updated => Some(Op::Update),
        MetaChange::Deleted => Some(Op::Delete),
        MetaChange::Unchanged => None,
    };
    if let Some(op) = op {
        state.log(Record::source(now32(), written.meta_name.as_str(), op)).await?;
        state.source_changed();
    }
    Ok(Reply::empty())
}

pub async fn get_metadata(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let req: GetMetadata = read_plain(conn, pkg_len).await?;
    state.check_group(&req.group)?;
    let name = state.logic_name(&req.filename)?;
    let result = state.store.get_metadata(&name).await;
    state.stats.get_meta.record(result.is_ok());
    let blob = result.map_err(|e| Fault::Status(e.status()))?;
    Ok(Reply::of(&Raw(blob)))
}

/// The fault for a store error, logging a retention refusal.
fn refused(
    err: &crate::store::StoreError,
    conn: &Connection,
    name: &LogicName,
    cmd: &str,
) -> Fault {
    note_refusal(err, conn, name, cmd);
    Fault::Status(err.status())
}
