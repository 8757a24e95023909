//! Object Lock through `fdfs gateway rebuild-index`: each tagged file's
//! lock tags (`super::lock_tags`) go back onto every rebuilt version that
//! references the file, and the buckets holding them get Object Lock
//! (and versioning) back — so a rebuilt index keeps refusing what the old
//! one refused. Without this, a gateway that is its storages' lock admin
//! would delete a retained version after a rebuild.
//!
//! A file shared by several versions carries the strongest of their locks,
//! so each of them gets that strongest lock back: never weaker than before,
//! possibly stronger (a copy may come back with its source's retention).
//! A bucket's default retention lives only in the index, so a rebuilt
//! bucket has lock enabled without a default; set it again with
//! PutObjectLockConfiguration.

use fdfs_protocol::client::StorageClient;
use fdfs_protocol::connection::ConnError;

use super::lock_tags::lock_from_metadata;
use super::scan::LiveFile;
use crate::index::{Index, ObjectLock};

/// The lock a tagged file's tags carry, if any (one metadata read: the
/// rebuild's inspection has no use for it otherwise).
pub async fn file_lock(
    storage: &StorageClient,
    file: &LiveFile,
) -> Result<Option<ObjectLock>, ConnError> {
    let meta = storage.get_metadata(file.storage, &file.group, &file.filename).await?;
    let lock = lock_from_metadata(&meta);
    Ok((lock != ObjectLock::default()).then_some(lock))
}

/// Puts `locks` (file ID → lock) back into the rebuilt `index`, before it
/// goes live. Returns how many versions got a lock.
pub fn restore(index: &mut Index, locks: &[(String, ObjectLock)]) -> crate::index::Result<usize> {
    index.restore_file_locks(locks)
}
