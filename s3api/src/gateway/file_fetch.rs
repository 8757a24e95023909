//! Reaching a stored file for a read, and what it means when it cannot be
//! reached.
//!
//! The tracker names one storage for a file (QUERY_FETCH_ONE). When that
//! storage answers ENOENT, the file may still be on a group peer, so every
//! storage the tracker lists for it (QUERY_FETCH_ALL) is tried. When none
//! has it while every storage of the group is active, an object the
//! index holds has lost its data: that is logged
//! as an ERROR with the file ID (the request's span names the bucket and
//! key) and answered 500 InternalError — not 404 NoSuchKey, which would
//! contradict the listing that shows the key, and not 503, which tells
//! SDKs to retry something no retry can fix. GET and HEAD both come here
//! for the first file they read ([`probe`] for HEAD), so they agree.
//! A group with no storage online, a peer that could not answer, or a
//! member that is not active (it may hold the only copy: a killed source
//! whose peers have not caught up) is a 503 ServiceUnavailable.

use std::future::Future;
use std::net::SocketAddr;

use fdfs_protocol::Status;
use fdfs_protocol::client::{StorageClient, TrackerClient, storage_socket_addr};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::file_id::FileId;
use fdfs_protocol::storage::QueryFileInfo;
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::error;

/// Runs `op` on a storage that has file `id`: the one the tracker names,
/// else any other that may have it (see the module docs).
pub(super) async fn on_some_storage<T, F, Fut>(
    tracker: &TrackerClient,
    id: &FileId,
    mut op: F,
) -> S3Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = Result<T, ConnError>>,
{
    let (group, name) = (id.group(), id.logic().as_str());
    let target = tracker.query_fetch(group, name).await.map_err(|e| unavailable(e, group))?;
    let first = storage_socket_addr(&target.storage).map_err(error::from_conn)?;
    match op(first).await {
        Err(e) if e.status() == Status::ENOENT => {}
        other => return other.map_err(error::from_conn),
    }
    let all = tracker.query_fetch_all(group, name).await.map_err(|e| unavailable(e, group))?;
    // A peer that cannot answer (killed, stopped, unreachable) may be the
    // one that has the file: remember it rather than give up on the rest.
    let mut unanswered = None;
    for storage in &all.storages {
        let addr = storage_socket_addr(storage).map_err(error::from_conn)?;
        if addr == first {
            continue;
        }
        match op(addr).await {
            Ok(v) => {
                tracing::warn!(file_id = %id, missing_on = %first, served_by = %addr,
                    "file missing on one storage of its group; read from a peer");
                return Ok(v);
            }
            Err(e) if e.status() == Status::ENOENT => {}
            Err(e) => unanswered = Some(e),
        }
    }
    if let Some(e) = unanswered {
        return Err(error::from_conn(e));
    }
    if !every_member_answered(tracker, group).await {
        // A storage the tracker does not list as active (offline, still
        // syncing) may hold the only copy: worth a retry, not lost yet.
        return Err(S3Error::with_message(
            S3ErrorCode::ServiceUnavailable,
            format!("{id} is on no active storage of {group}, and one is offline; retry later"),
        ));
    }
    Err(lost(&id.to_string()))
}

/// Whether every storage of `group` is active (so every member was asked).
async fn every_member_answered(tracker: &TrackerClient, group: &str) -> bool {
    match tracker.list_group(group).await {
        Ok(stat) => stat.readable_server_count >= stat.storage_count,
        Err(_) => false,
    }
}

/// Whether file `file_id` can be read (QUERY_FILE_INFO, no CRC): HEAD's
/// counterpart of GET opening its first file.
pub(super) async fn probe(
    tracker: &TrackerClient,
    storage: &StorageClient,
    file_id: &str,
) -> S3Result<()> {
    let id = FileId::parse(file_id).map_err(error::internal)?;
    let name = id.logic().as_str().to_string();
    let group = id.group().to_string();
    on_some_storage(tracker, &id, |addr| {
        let (group, name) = (group.clone(), name.clone());
        async move {
            storage.query_file_info(addr, &group, &name, QueryFileInfo::NO_CRC32).await.map(|_| ())
        }
    })
    .await
}

/// The source of a [`lost`] error: the file no storage has.
#[derive(Debug, thiserror::Error)]
#[error("no storage has file {0}")]
pub(super) struct LostFile(String);

/// The error for an indexed file no storage has; [`report`] logs it
/// where the bucket and key are known.
pub(super) fn lost(file_id: &str) -> S3Error {
    let mut e = S3Error::with_message(
        S3ErrorCode::InternalError,
        "The object's data is missing from the storage cluster; the gateway log names the \
         object and its file.",
    );
    e.set_source(Box::new(LostFile(file_id.to_string())));
    e
}

/// `e`, logged as an ERROR naming `bucket`, `key` and the file when it is
/// a [`lost`] error.
pub(super) fn report(e: S3Error, bucket: &str, key: &str) -> S3Error {
    if let Some(LostFile(file_id)) = e.source().and_then(|s| s.downcast_ref::<LostFile>()) {
        tracing::error!(
            bucket,
            key,
            file_id,
            "object data lost: no storage has the file the index names"
        );
    }
    e
}

/// The error for a failed QUERY_FETCH: ENOENT there means the group has
/// no storage online to read from.
fn unavailable(e: ConnError, group: &str) -> S3Error {
    if e.status() == Status::ENOENT {
        return S3Error::with_message(
            S3ErrorCode::ServiceUnavailable,
            format!("no storage of group {group} is online to serve the file"),
        );
    }
    error::from_conn(e)
}
