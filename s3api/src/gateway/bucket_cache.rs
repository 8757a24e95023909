//! A short-lived per-bucket cache of one bucket configuration, so headers
//! answered on every request (`x-amz-expiration` from the lifecycle
//! rules, `Access-Control-*` from the CORS rules) do not cost each request
//! an index read (a hop to a reader thread and a SQLite transaction).
//!
//! This gateway's own Put/Delete of the configuration invalidates the
//! entry at once; a change made through another gateway on the same index
//! is seen within [`TTL`]. The configuration's own Get call, and the
//! lifecycle worker, always read the index.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::index::{Index, IndexHandle};

/// How long a looked-up configuration (or its absence) is trusted.
pub const TTL: Duration = Duration::from_secs(5);

/// Entries kept at most; past it the cache starts over (a bucket count
/// this large is rare, and a miss only costs one index read).
const MAX_ENTRIES: usize = 10_000;

type Entry<T> = (Instant, Option<Arc<T>>);

/// How a configuration is read from the index.
pub type Reader<T> = fn(&mut Index, &str) -> crate::index::Result<Option<T>>;

/// Bucket name → its configuration as last read, with the read's time.
#[derive(Debug)]
pub struct BucketCache<T> {
    entries: Mutex<HashMap<String, Entry<T>>>,
    read: Reader<T>,
}

impl<T: Send + Sync + 'static> BucketCache<T> {
    /// A cache reading its configurations with `read`.
    pub fn new(read: Reader<T>) -> Self {
        Self { entries: Mutex::default(), read }
    }

    /// The bucket's configuration, from the cache while fresh, else from
    /// the index. `Err` when the index read failed (a missing bucket
    /// included: [`crate::index::IndexError::NoSuchBucket`], not cached).
    pub async fn get(
        &self,
        index: &IndexHandle,
        bucket: &str,
    ) -> crate::index::Result<Option<Arc<T>>> {
        if let Some((at, config)) = self.lock().get(bucket)
            && at.elapsed() < TTL
        {
            return Ok(config.clone());
        }
        let (b, read) = (bucket.to_string(), self.read);
        let config = index.read(move |ix| read(ix, &b)).await?.map(Arc::new);
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<T>>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
