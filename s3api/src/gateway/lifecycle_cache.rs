//! A short-lived per-bucket cache of lifecycle configurations, so the
//! `x-amz-expiration` header does not cost every PUT, GET and HEAD an
//! index read (a hop to a reader thread and a SQLite transaction).
//!
//! This gateway's own Put/DeleteBucketLifecycle invalidate the entry at
//! once; a change made through another gateway on the same index is seen
//! within [`TTL`]. Only the header reads from here: the worker and
//! GetBucketLifecycleConfiguration always read the index.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::index::IndexHandle;
use crate::lifecycle::Configuration;

/// How long a looked-up configuration (or its absence) is trusted.
pub const TTL: Duration = Duration::from_secs(5);

/// Entries kept at most; past it the cache starts over (a bucket count
/// this large is rare, and a miss only costs one index read).
const MAX_ENTRIES: usize = 10_000;

type Entry = (Instant, Option<Arc<Configuration>>);

/// Bucket name → its configuration as last read, with the read's time.
#[derive(Debug, Default)]
pub struct LifecycleCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl LifecycleCache {
    /// The bucket's configuration, from the cache while fresh, else from
    /// the index. `Err` only when the index read failed.
    pub async fn get(
        &self,
        index: &IndexHandle,
        bucket: &str,
    ) -> crate::index::Result<Option<Arc<Configuration>>> {
        if let Some((at, config)) = self.lock().get(bucket)
            && at.elapsed() < TTL
        {
            return Ok(config.clone());
        }
        let b = bucket.to_string();
        let config = index.read(move |ix| ix.get_lifecycle(&b)).await?.map(Arc::new);
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(bucket.to_string(), (Instant::now(), config.clone()));
        Ok(config)
    }

    /// Forgets `bucket`'s entry (its configuration just changed here).
    pub fn invalidate(&self, bucket: &str) {
        self.lock().remove(bucket);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
