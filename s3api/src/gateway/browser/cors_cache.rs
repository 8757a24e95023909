//! A short-lived per-bucket cache of CORS configurations, so the
//! `Access-Control-*` headers of every request that carries an `Origin`
//! (and every preflight) do not cost an index read.
//!
//! This gateway's own Put/DeleteBucketCors and DeleteBucket invalidate
//! the entry at once; a change made through another gateway on the same
//! index is seen within [`TTL`]. GetBucketCors always reads the index.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cors::CorsConfig;
use crate::index::IndexHandle;

/// How long a looked-up configuration (or its absence) is trusted.
pub const TTL: Duration = Duration::from_secs(5);

/// Entries kept at most; past it the cache starts over.
const MAX_ENTRIES: usize = 10_000;

type Entry = (Instant, Option<Arc<CorsConfig>>);

/// Bucket name → its CORS configuration as last read, with the read's time.
#[derive(Debug, Default)]
pub struct CorsCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl CorsCache {
    /// The bucket's configuration, from the cache while fresh, else from
    /// the index. `Err` when the index read failed (a missing bucket
    /// included: [`crate::index::IndexError::NoSuchBucket`], not cached).
    pub async fn get(
        &self,
        index: &IndexHandle,
        bucket: &str,
    ) -> crate::index::Result<Option<Arc<CorsConfig>>> {
        if let Some((at, config)) = self.lock().get(bucket)
            && at.elapsed() < TTL
        {
            return Ok(config.clone());
        }
        let b = bucket.to_string();
        let config = index.read(move |ix| ix.get_cors(&b)).await?.map(Arc::new);
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
