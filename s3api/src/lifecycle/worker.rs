//! The lifecycle worker: applies every bucket's rules in the background.
//!
//! A *pass* walks the buckets that have rules, in name order; in each, it
//! first walks the objects, then the incomplete multipart uploads, in key
//! order, [`BATCH`] rows per index write transaction
//! ([`crate::index::Index::lifecycle_object_batch`]). Evaluation runs
//! inside that transaction, so an object overwritten a moment before is
//! judged by its new row, and the pass's place (bucket, phase, key) is
//! saved with each batch: a restarted gateway resumes the pass where the
//! last batch ended instead of starting over. Between batches other
//! writes get the index; a batch costs what a few hundred small deletes
//! cost. After a pass the worker sleeps [`LifecycleSettings::interval`].
//!
//! Files of what it removes go on the delete queue like any delete's, and
//! the drainer is woken.
//!
//! # Time scale (tests only)
//!
//! `FDFS_LIFECYCLE_DAY_SECONDS=N` makes a lifecycle day N seconds long,
//! as RGW's `rgw_lc_debug_interval` does, so a test sees `<Days>1</Days>`
//! act within seconds. It changes the worker and the `x-amz-expiration`
//! header alike; never set it in production.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::server::Shutdown;
use tokio::sync::Notify;
use tracing::{Instrument, info_span};

use super::eval::{self, DAY_MS};
use super::markers::{MarkerFiles, PreparedMarker};
use super::model::Configuration;
use super::plan::{KeyPlan, plan_key};
use crate::gateway::now_ms;
use crate::index::lifecycle::{BatchOutcome, KeyCandidate, Phase, Progress, UploadCandidate};
use crate::index::{IndexError, IndexHandle};

/// Rows per index transaction.
pub const BATCH: usize = 256;

/// The environment variable of the test-only day length, in seconds.
pub const DAY_SECONDS_ENV: &str = "FDFS_LIFECYCLE_DAY_SECONDS";

/// How the worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleSettings {
    /// Time between the end of a pass and the start of the next.
    pub interval: Duration,
    /// The length of a lifecycle day: 86,400 s, or (tests only)
    /// `FDFS_LIFECYCLE_DAY_SECONDS`.
    pub day: Duration,
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        Self { interval: Duration::from_secs(3600), day: day_from_env() }
    }
}

/// A day of [`DAY_SECONDS_ENV`] seconds when it is set to a positive
/// integer, else 86,400 s.
pub fn day_from_env() -> Duration {
    let secs = std::env::var(DAY_SECONDS_ENV).ok().and_then(|v| v.trim().parse::<u64>().ok());
    match secs {
        Some(s) if s > 0 => Duration::from_secs(s),
        _ => Duration::from_millis(DAY_MS as u64),
    }
}

/// A duration as whole ms, at least 1.
pub fn ms_of(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// What one pass did, for the log and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassStats {
    /// Buckets with rules walked.
    pub buckets: usize,
    /// Objects looked at.
    pub scanned: usize,
    /// Current objects expired (removed, or hidden by a delete marker).
    pub expired: usize,
    /// Noncurrent versions removed.
    pub noncurrent: usize,
    /// Lone delete markers removed.
    pub markers: usize,
    /// Versions left alone because Object Lock protects them.
    pub locked: usize,
    /// Multipart uploads aborted.
    pub aborted: usize,
    /// Files put on the delete queue.
    pub released: usize,
}

/// The background worker; see the module docs.
#[derive(Debug)]
pub struct LifecycleWorker {
    index: IndexHandle,
    wake_drainer: Arc<Notify>,
    settings: LifecycleSettings,
    markers: Option<Arc<dyn MarkerFiles>>,
}

impl LifecycleWorker {
    /// A worker over `index` that wakes `wake_drainer` when it queued files.
    pub fn new(index: IndexHandle, wake_drainer: Arc<Notify>, settings: LifecycleSettings) -> Self {
        Self { index, wake_drainer, settings, markers: None }
    }

    /// This worker recording the delete markers it makes with files
    /// stored through `markers` (without, a marker has no file and a
    /// rebuild cannot see it: only tests of the index go without).
    pub fn with_markers(mut self, markers: Arc<dyn MarkerFiles>) -> Self {
        self.markers = Some(markers);
        self
    }

    /// Runs passes until `shutdown`, resuming a pass a previous process
    /// left unfinished.
    pub async fn run(self, mut shutdown: Shutdown) {
        if ms_of(self.settings.day) != DAY_MS {
            tracing::warn!(day = ?self.settings.day,
                "lifecycle days are shortened ({DAY_SECONDS_ENV}): for tests only");
        }
        loop {
            if shutdown.is_triggered() {
                break;
            }
            if let Err(e) = self.run_pass(&shutdown).await {
                tracing::warn!(error = %e, "lifecycle pass failed");
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = tokio::time::sleep(self.settings.interval) => {}
            }
        }
    }

    /// One pass (or the rest of an unfinished one); stops early, keeping
    /// its progress, when `shutdown` triggers.
    pub async fn run_pass(&self, shutdown: &Shutdown) -> Result<PassStats, IndexError> {
        let resumed = self.index.read(|ix| ix.lifecycle_progress()).await?;
        let was_resumed = resumed.is_some();
        let progress = match resumed {
            Some(p) => Some(p),
            None => self.index.write(|ix| ix.lifecycle_start_pass(now_ms())).await?,
        };
        let Some(mut progress) = progress else {
            return Ok(PassStats::default());
        };
        let span = info_span!(
            "s3.lifecycle_pass",
            pass_start_ms = progress.pass_start_ms,
            resumed = was_resumed
        );
        async {
            let mut stats = PassStats::default();
            loop {
                stats.buckets += 1;
                if !self.walk_bucket(&mut progress, &mut stats, shutdown).await? {
                    return Ok(stats);
                }
                let current = progress.clone();
                match self.index.write(move |ix| ix.lifecycle_next_bucket(&current)).await? {
                    Some(next) => progress = next,
                    None => break,
                }
            }
            tracing::info!(
                buckets = stats.buckets,
                scanned = stats.scanned,
                expired = stats.expired,
                aborted = stats.aborted,
                released = stats.released,
                "lifecycle pass done"
            );
            Ok(stats)
        }
        .instrument(span)
        .await
    }

    /// Walks `progress`'s bucket from its cursor to its end; `false` when
    /// it stopped for `shutdown` (the progress saved stays).
    async fn walk_bucket(
        &self,
        progress: &mut Progress,
        stats: &mut PassStats,
        shutdown: &Shutdown,
    ) -> Result<bool, IndexError> {
        let bucket = progress.bucket.clone();
        let b = bucket.clone();
        let config = match self.index.read(move |ix| ix.get_lifecycle(&b)).await {
            Ok(Some(c)) => Arc::new(c),
            // Rules deleted or bucket gone since the pass chose it.
            Ok(None) | Err(IndexError::NoSuchBucket(_)) => return Ok(true),
            Err(e) => return Err(e),
        };
        let day_ms = ms_of(self.settings.day);
        let (mut expired, mut aborted) = (0, 0);
        loop {
            if shutdown.is_triggered() {
                return Ok(false);
            }
            let prepared = match progress.phase {
                Phase::Objects => self.prepare_markers(progress, &config, day_ms).await?,
                Phase::Uploads => Vec::new(),
            };
            let files: HashMap<String, String> =
                prepared.iter().map(|(k, m)| (k.clone(), m.file_id.clone())).collect();
            let (phase, p, config) = (progress.phase, progress.clone(), Arc::clone(&config));
            let result = self
                .index
                .write(move |ix| {
                    let now = now_ms();
                    match phase {
                        Phase::Objects => ix.lifecycle_object_batch_with(
                            &p,
                            BATCH,
                            now,
                            &|c| key_plan(&config, c, now, day_ms),
                            &files,
                        ),
                        Phase::Uploads => ix.lifecycle_upload_batch(&p, BATCH, now, &|u| {
                            upload_aborts(&config, u, now, day_ms)
                        }),
                    }
                })
                .await;
            let made = result.as_ref().map(|(out, _)| out.made_markers.as_slice()).unwrap_or(&[]);
            self.settle_markers(prepared, made).await;
            let (out, next) = result?;
            self.account(phase, &out, stats, &mut expired, &mut aborted);
            let finished = out.done && phase == Phase::Uploads;
            *progress = next;
            if finished {
                break;
            }
        }
        if expired + aborted > 0 {
            tracing::info!(bucket = %bucket, expired, aborted, "lifecycle applied");
        }
        Ok(true)
    }

    /// The marker files of the next object batch: one per key whose
    /// current version it will expire in a versioned bucket.
    async fn prepare_markers(
        &self,
        progress: &Progress,
        config: &Arc<Configuration>,
        day_ms: i64,
    ) -> Result<Vec<(String, PreparedMarker)>, IndexError> {
        let Some(markers) = &self.markers else {
            return Ok(Vec::new());
        };
        let (p, config) = (progress.clone(), Arc::clone(config));
        let keys = self
            .index
            .read(move |ix| {
                let now = now_ms();
                ix.lifecycle_marker_keys(&p, BATCH, &|c| key_plan(&config, c, now, day_ms))
            })
            .await?;
        let mut prepared = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(m) = markers.prepare(&progress.bucket, &key).await {
                prepared.push((key, m));
            }
        }
        Ok(prepared)
    }

    /// Settles each marker file after its batch: tagged if a marker of its
    /// key was made on it, dropped otherwise.
    async fn settle_markers(
        &self,
        prepared: Vec<(String, PreparedMarker)>,
        made: &[(String, crate::index::Deleted)],
    ) {
        let Some(markers) = &self.markers else { return };
        for (key, m) in prepared {
            let deleted = made.iter().find(|(k, _)| *k == key).map(|(_, d)| d);
            markers.settle(m, deleted).await;
        }
    }

    fn account(
        &self,
        phase: Phase,
        out: &BatchOutcome,
        stats: &mut PassStats,
        expired: &mut usize,
        aborted: &mut usize,
    ) {
        match phase {
            Phase::Objects => {
                stats.scanned += out.scanned;
                stats.expired += out.expired;
                stats.noncurrent += out.noncurrent;
                stats.markers += out.markers;
                stats.locked += out.locked;
                *expired += out.expired + out.noncurrent + out.markers;
            }
            Phase::Uploads => {
                stats.aborted += out.expired;
                *aborted += out.expired;
            }
        }
        stats.released += out.released.len();
        if !out.released.is_empty() {
            self.wake_drainer.notify_one();
        }
    }
}

/// What happens to key `c` at `now_ms` (each version's tags came with
/// the batch).
fn key_plan(config: &Configuration, c: &KeyCandidate, now_ms: i64, day_ms: i64) -> KeyPlan {
    plan_key(config, &c.key, &c.versions, now_ms, day_ms)
}

/// Whether upload `u` is aborted at `now_ms`.
fn upload_aborts(config: &Configuration, u: &UploadCandidate, now_ms: i64, day_ms: i64) -> bool {
    eval::upload_aborts(config, &u.key, u.created_ms, now_ms, day_ms).is_some()
}
