//! UPLOAD_FILE (11), UPLOAD_APPENDER_FILE (23), UPLOAD_SLAVE_FILE (21) and
//! the fdfs extension UPLOAD_FILE_WITH_METADATA (0xF0): the content streams
//! from the socket into a temp file through the store; the answer goes out
//! only after the file (and its metadata) and their binlog records are
//! durable.

use fdfs_protocol::connection::Connection;
use fdfs_protocol::metadata::Metadata;
use fdfs_protocol::storage::{FileIdResponse, Upload, UploadSlaveFile, UploadWithMetadata};
use fdfs_protocol::{Encode, Status, cmd};

use super::body::{Timed, read_head};
use super::session::{Fault, Reply, refuse};
use super::state::StorageState;
use super::stats::Stats;
use crate::binlog::{Op, Record};
use crate::store::{StoreError, Stored, UploadSpec};

pub async fn upload<const CMD: u8>(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let (req, content) = read_head::<Upload<CMD>>(conn, pkg_len).await?;
    let spec = UploadSpec {
        store_path: req.store_path_index,
        size: content,
        ext: &req.ext,
        appender: CMD == cmd::UPLOAD_APPENDER_FILE,
    };
    let mut body = Timed::new(conn.body(content), state.network_timeout);
    let result = state.store.upload(spec, &mut body).await;
    let left = body.get_ref().limit();
    drop(body);
    finish(state, conn, content, left, result).await
}

pub async fn upload_slave(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    let (req, content) = read_head::<UploadSlaveFile>(conn, pkg_len).await?;
    let master = match state.logic_name(&req.master_filename) {
        Ok(name) => name,
        Err(_) => return refuse(conn, fdfs_protocol::Status::EINVAL, content).await,
    };
    let mut body = Timed::new(conn.body(content), state.network_timeout);
    let result = state.store.upload_slave(&master, &req.prefix, &req.ext, content, &mut body).await;
    let left = body.get_ref().limit();
    drop(body);
    finish(state, conn, content, left, result).await
}

/// UPLOAD_FILE_WITH_METADATA: the file and its `-m` metadata file are
/// made durable together and logged as two creates in one binlog batch
/// (`C <name>`, `C <name>-m`), which replication forwards like any upload
/// followed by SET_METADATA. An empty body is the capability probe.
pub async fn upload_with_metadata(
    state: &StorageState,
    conn: &mut Connection,
    pkg_len: u64,
) -> Result<Reply, Fault> {
    if pkg_len == 0 {
        return Ok(Reply::empty());
    }
    let (req, content) = read_head::<UploadWithMetadata>(conn, pkg_len).await?;
    if req.metadata.validate().is_err() {
        state.stats.upload.record(false);
        return refuse(conn, Status::EINVAL, content).await;
    }
    // Stored sorted by name with one pair per name, as SET_METADATA 'O'.
    let mut stored_list = Metadata::new();
    stored_list.overwrite(&req.metadata);
    let blob = stored_list.to_body();
    let spec = UploadSpec {
        store_path: req.store_path_index,
        size: content,
        ext: &req.ext,
        appender: false,
    };
    let mut body = Timed::new(conn.body(content), state.network_timeout);
    let result = state.store.upload_with_meta(spec, &blob, &mut body).await;
    let left = body.get_ref().limit();
    drop(body);
    state.stats.upload.record(result.is_ok());
    Stats::bytes(&state.stats.upload_bytes, content - left, result.is_ok());
    let written = match result {
        Ok(written) => written,
        Err(e) => return refuse(conn, e.status(), left).await,
    };
    state.stats.set_meta.record(true);
    let stored = written.stored;
    let mut records = vec![Record::source(stored.create_time, stored.name.as_str(), Op::Create)];
    if let Some(meta_name) = &written.meta_name {
        records.push(Record::source(stored.create_time, meta_name.as_str(), Op::Create));
    }
    let logged = state.log_all(&records).await?;
    state.source_changed();
    state.await_replicas(logged).await?;
    Ok(Reply::of(&FileIdResponse {
        group: state.group.clone(),
        filename: stored.name.into_string(),
    }))
}

/// Counts the upload, refuses it (draining what is left of its content) or
/// logs it, waits for the configured replicas and answers with the file ID.
async fn finish(
    state: &StorageState,
    conn: &mut Connection,
    content: u64,
    left: u64,
    result: Result<Stored, StoreError>,
) -> Result<Reply, Fault> {
    state.stats.upload.record(result.is_ok());
    Stats::bytes(&state.stats.upload_bytes, content - left, result.is_ok());
    let stored = match result {
        Ok(stored) => stored,
        Err(e) => return refuse(conn, e.status(), left).await,
    };
    let logged =
        state.log(Record::source(stored.create_time, stored.name.as_str(), Op::Create)).await?;
    state.source_changed();
    state.await_replicas(logged).await?;
    Ok(Reply::of(&FileIdResponse {
        group: state.group.clone(),
        filename: stored.name.into_string(),
    }))
}
