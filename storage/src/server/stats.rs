//! The counters a storage reports in its heartbeats (FDFSStorageStatBuff):
//! lock-free atomics bumped on every request, snapshotted for the tracker.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use fdfs_protocol::tracker::StorageStatBuff;

/// One total/success counter pair.
#[derive(Debug, Default)]
pub struct Pair {
    total: AtomicI64,
    success: AtomicI64,
}

impl Pair {
    /// Counts one attempt and whether it succeeded.
    pub fn record(&self, ok: bool) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if ok {
            self.success.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn get(&self) -> (i64, i64) {
        (self.total.load(Ordering::Relaxed), self.success.load(Ordering::Relaxed))
    }
}

/// Every counter of a running storage.
#[derive(Debug, Default)]
pub struct Stats {
    pub upload: Pair,
    pub append: Pair,
    pub modify: Pair,
    pub truncate: Pair,
    pub set_meta: Pair,
    pub delete: Pair,
    pub download: Pair,
    pub get_meta: Pair,
    pub upload_bytes: Pair,
    pub append_bytes: Pair,
    pub modify_bytes: Pair,
    pub download_bytes: Pair,
    pub sync_in_bytes: Pair,
    pub sync_out_bytes: Pair,
    /// Unix seconds of the last change this storage originated.
    pub last_source_update: AtomicI64,
    /// Unix seconds of the last change applied from a peer.
    pub last_sync_update: AtomicI64,
    /// Bumped on every change, so heartbeats send counters only when they
    /// moved (as FastDFS does).
    pub generation: AtomicU64,
}

impl Stats {
    /// Counts `bytes` in a byte counter pair.
    pub fn bytes(pair: &Pair, bytes: u64, ok: bool) {
        let n = i64::try_from(bytes).unwrap_or(i64::MAX);
        pair.total.fetch_add(n, Ordering::Relaxed);
        if ok {
            pair.success.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Marks the counters changed.
    pub fn touch(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters as the 348-byte heartbeat record.
    pub fn snapshot(&self) -> StorageStatBuff {
        let mut s = StorageStatBuff::default();
        (s.total_upload_count, s.success_upload_count) = self.upload.get();
        (s.total_append_count, s.success_append_count) = self.append.get();
        (s.total_modify_count, s.success_modify_count) = self.modify.get();
        (s.total_truncate_count, s.success_truncate_count) = self.truncate.get();
        (s.total_set_meta_count, s.success_set_meta_count) = self.set_meta.get();
        (s.total_delete_count, s.success_delete_count) = self.delete.get();
        (s.total_download_count, s.success_download_count) = self.download.get();
        (s.total_get_meta_count, s.success_get_meta_count) = self.get_meta.get();
        (s.total_upload_bytes, s.success_upload_bytes) = self.upload_bytes.get();
        (s.total_append_bytes, s.success_append_bytes) = self.append_bytes.get();
        (s.total_modify_bytes, s.success_modify_bytes) = self.modify_bytes.get();
        (s.total_download_bytes, s.success_download_bytes) = self.download_bytes.get();
        (s.total_sync_in_bytes, s.success_sync_in_bytes) = self.sync_in_bytes.get();
        (s.total_sync_out_bytes, s.success_sync_out_bytes) = self.sync_out_bytes.get();
        s.last_source_update = self.last_source_update.load(Ordering::Relaxed);
        s.last_sync_update = self.last_sync_update.load(Ordering::Relaxed);
        s
    }
}
