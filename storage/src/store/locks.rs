//! Per-file locks for read-modify-write operations.
//!
//! Appending, modifying, truncating, renaming or deleting an appender file,
//! and merging metadata all read a file's current state and then change it;
//! two such requests on the same file (a client retrying, two clients on
//! one appender) must not interleave, or an append could land at an offset
//! nobody recorded. Each operation holds the lock of its logic filename for
//! its duration. Locks exist only while held or awaited, so the map stays
//! as small as the number of files being changed right now.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// Async locks keyed by logic filename.
#[derive(Debug, Default)]
pub(crate) struct FileLocks {
    map: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl FileLocks {
    /// Waits for and takes the lock of `key`.
    pub(crate) async fn lock(&self, key: &str) -> FileGuard<'_> {
        let entry = {
            let mut map = self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(map.entry(key.to_owned()).or_default())
        };
        let guard = entry.lock_owned().await;
        FileGuard { locks: self, key: key.to_owned(), guard: Some(guard) }
    }

    /// Number of files with a lock held or awaited.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// A held file lock; released on drop.
#[derive(Debug)]
pub(crate) struct FileGuard<'a> {
    locks: &'a FileLocks,
    key: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Drop for FileGuard<'_> {
    fn drop(&mut self) {
        self.guard = None;
        let mut map = self.locks.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Only the map's own reference left: nobody holds or awaits it.
        if map.get(&self.key).is_some_and(|entry| Arc::strong_count(entry) == 1) {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::FileLocks;

    #[tokio::test]
    async fn serializes_one_key_and_cleans_up() {
        let locks = Arc::new(FileLocks::default());
        let first = locks.lock("a").await;
        let other = locks.lock("b").await;
        let waiter = {
            let locks = Arc::clone(&locks);
            tokio::spawn(async move {
                let _g = locks.lock("a").await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        drop(first);
        waiter.await.unwrap();
        drop(other);
        assert_eq!(locks.len(), 0);
    }
}
