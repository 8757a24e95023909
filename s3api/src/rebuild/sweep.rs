//! The orphan sweep's full comparison mode (see `crate::index::intents`):
//! files on the storages that carry S3 tags, that no index row references,
//! and that are older than a grace period are queued for deletion.
//!
//! The storages are listed one store path at a time ([`super::scan`]).
//! The index is asked first, for the whole store path in one snapshot, so
//! referenced files cost no network round trip; only unreferenced ones are
//! looked at: their create time (QUERY_FILE_INFO) against the grace
//! period, which covers uploads whose index row is still being written,
//! then their tags. Files without tags belong to other FastDFS users and
//! are never touched; so are files tagged with a bucket this index does not
//! have (another gateway's, or a bucket deleted since), and files whose
//! Object Lock tags still protect them (`super::lock_tags`). The queueing itself
//! re-checks the reference in its own transaction
//! ([`crate::index::Index::enqueue_delete`]).

use std::time::Duration;

use fdfs_protocol::Status;
use fdfs_protocol::client::{StorageClient, TrackerClient};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::storage::QueryFileInfo;

use super::scan::{LiveFile, ScanError, files, store_paths};
use super::tags::FileTag;
use crate::index::{DeleteReason, IndexError, IndexHandle};

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Files listed on the storages.
    pub scanned: usize,
    /// Files no index row references.
    pub unreferenced: usize,
    /// Orphans put on the delete queue.
    pub queued: Vec<String>,
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Listing the files failed.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// The index failed.
    #[error("index: {0}")]
    Index(#[from] IndexError),
}

/// Sweeps every group once; `now_ms` is the clock the grace period is
/// measured against.
pub async fn sweep_orphans(
    index: &IndexHandle,
    tracker: &TrackerClient,
    storage: &StorageClient,
    grace: Duration,
    now_ms: i64,
) -> Result<SweepReport, SweepError> {
    let mut report = SweepReport::default();
    let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
    for path in store_paths(tracker).await? {
        let listed = files(storage, &path).await?;
        report.scanned += listed.len();
        let ids: Vec<String> = listed.iter().map(LiveFile::file_id).collect();
        let referenced =
            index.read(move |ix| ix.referenced(ids.iter().map(String::as_str))).await?;
        for file in listed.iter().filter(|f| !referenced.contains(&f.file_id())) {
            report.unreferenced += 1;
            match orphan(index, storage, file, grace_ms, now_ms).await {
                Ok(true) => report.queued.push(file.file_id()),
                Ok(false) => {}
                // One unreadable file must not stop the sweep.
                Err(e) => tracing::debug!(file_id = %file.file_id(), error = %e, "skipped"),
            }
        }
    }
    Ok(report)
}

/// Queues `file` if it is an orphan; `true` when it was queued.
async fn orphan(
    index: &IndexHandle,
    storage: &StorageClient,
    file: &LiveFile,
    grace_ms: i64,
    now_ms: i64,
) -> Result<bool, ConnError> {
    let (addr, group, name) = (file.storage, &file.group, &file.filename);
    let gone = |e: &ConnError| matches!(e, ConnError::Status(s) if *s == Status::ENOENT);
    let info = match storage.query_file_info(addr, group, name, QueryFileInfo::NO_CRC32).await {
        Ok(info) => info,
        Err(e) if gone(&e) => return Ok(false),
        Err(e) => return Err(e),
    };
    if now_ms.saturating_sub(info.create_time.saturating_mul(1000)) < grace_ms {
        return Ok(false);
    }
    let meta = match storage.get_metadata(addr, group, name).await {
        Ok(meta) => meta,
        Err(e) if gone(&e) => return Ok(false),
        Err(e) => return Err(e),
    };
    let Some(tag) = FileTag::from_metadata(&meta) else { return Ok(false) };
    // WORM: a file whose tags still carry a running retention or a legal
    // hold stays, whatever the index says (the storage would refuse too).
    if super::lock_tags::lock_from_metadata(&meta).protects(now_ms, false) {
        tracing::debug!(file_id = %file.file_id(), "unreferenced but locked: kept");
        return Ok(false);
    }
    let file_id = file.file_id();
    let queued = index
        .write(move |ix| {
            match ix.get_bucket(&tag.bucket) {
                Ok(_) => {}
                Err(IndexError::NoSuchBucket(_)) => return Ok(false),
                Err(e) => return Err(e),
            }
            ix.enqueue_delete(&file_id, DeleteReason::Orphan, now_ms)
        })
        .await
        .map_err(|e| ConnError::Protocol(format!("index: {e}")))?;
    if queued {
        tracing::info!(file_id = %file.file_id(), bucket = %meta.get_str("s3-bucket").unwrap_or(""),
            "orphan queued for deletion");
    }
    Ok(queued)
}
