//! The delete-queue drainer: removes the files that overwrites, deletes
//! and rejected uploads put on the index's persistent queue. Each entry is
//! leased, sent to the file's source storage (QUERY_UPDATE, as FastDFS
//! clients delete), and acknowledged, or rescheduled with exponential
//! backoff. A file that is already gone counts as deleted. A file the
//! storage refuses (EPERM: its Object Lock tags protect it, though no index
//! row does any more) gets its lock tags lifted and is tried again (which
//! needs the gateway in the storage's `lock_admin_hosts`); it is never
//! dropped from the queue unsent. Each round
//! also abandons upload intents a crash left behind, which queues their
//! files. On a slow cadence (hourly by default) it also runs the orphan
//! sweep's full comparison ([`crate::rebuild::sweep_orphans`]): tagged
//! files on the storages that no index row references.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use fdfs_protocol::Status;
use fdfs_protocol::client::{StorageClient, TrackerClient, storage_socket_addr};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::file_id::FileId;
use fdfs_protocol::metadata::MetaOp;
use fdfs_protocol::server::Shutdown;
use tokio::sync::Notify;
use tracing::{Instrument, debug_span};

use super::now_ms;
use crate::index::{IndexHandle, ObjectLock, QueuedDelete, RetryPolicy};
use crate::rebuild::lock_tags::lock_metadata;

/// Entries taken per round.
const BATCH: usize = 32;

/// An upload intent older than this is abandoned (its file, if the
/// storage stored one, goes on the queue): no PUT runs this long, so the
/// gateway crashed between the upload and the index row.
const INTENT_TTL_MS: i64 = 24 * 3600 * 1000;

/// The background worker; see the module docs.
#[derive(Debug)]
pub struct Drainer {
    index: IndexHandle,
    tracker: TrackerClient,
    storage: StorageClient,
    wake: Arc<Notify>,
    policy: RetryPolicy,
    idle: Duration,
    sweep: Option<SweepSchedule>,
}

/// When the orphan sweep runs and what it spares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepSchedule {
    /// Time between sweeps (the first one runs one period after start).
    pub period: Duration,
    /// Files younger than this are never orphans: their index row may
    /// still be on its way.
    pub grace: Duration,
}

impl Default for SweepSchedule {
    fn default() -> Self {
        Self { period: Duration::from_secs(3600), grace: Duration::from_secs(3600) }
    }
}

/// Why one delete failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("unparsable file ID: {0}")]
    BadId(String),
    #[error("{0}")]
    Cluster(ConnError),
}

impl Drainer {
    /// A drainer woken by `wake` and otherwise polling every `idle`.
    pub fn new(
        index: IndexHandle,
        tracker: TrackerClient,
        storage: StorageClient,
        wake: Arc<Notify>,
        idle: Duration,
    ) -> Self {
        Self { index, tracker, storage, wake, policy: RetryPolicy::default(), idle, sweep: None }
    }

    /// Runs the orphan sweep on `schedule` (off unless set).
    pub fn with_sweep(mut self, schedule: Option<SweepSchedule>) -> Self {
        self.sweep = schedule;
        self
    }

    /// Replaces the lease and backoff policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Drains until `shutdown`.
    pub async fn run(self, mut shutdown: Shutdown) {
        let mut next_sweep = self.sweep.map(|s| Instant::now() + s.period);
        loop {
            if shutdown.is_triggered() {
                break;
            }
            if let (Some(due), Some(schedule)) = (next_sweep, self.sweep)
                && Instant::now() >= due
            {
                self.sweep_orphans(schedule.grace).await;
                next_sweep = Some(Instant::now() + schedule.period);
            }
            let done = self.drain_once().await;
            if done == BATCH {
                continue;
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.idle) => {}
            }
        }
    }

    /// One round: takes up to a batch of due entries and processes them.
    /// Returns how many were taken.
    pub async fn drain_once(&self) -> usize {
        self.sweep_intents().await;
        let policy = self.policy;
        let batch =
            match self.index.write(move |ix| ix.take_deletes(BATCH, now_ms(), &policy)).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the delete queue");
                    return 0;
                }
            };
        let taken = batch.len();
        for entry in batch {
            let span =
                debug_span!("gateway.delete", file_id = %entry.file_id, attempt = entry.attempts);
            self.process(entry).instrument(span).await;
        }
        taken
    }

    /// One orphan sweep; wakes the drain when it queued anything.
    pub async fn sweep_orphans(&self, grace: Duration) {
        let span = debug_span!("gateway.orphan_sweep");
        let swept = crate::rebuild::sweep_orphans(
            &self.index,
            &self.tracker,
            &self.storage,
            grace,
            now_ms(),
        )
        .instrument(span)
        .await;
        match swept {
            Ok(report) if report.queued.is_empty() => {
                tracing::debug!(scanned = report.scanned, "orphan sweep found nothing");
            }
            Ok(report) => {
                tracing::info!(
                    scanned = report.scanned,
                    queued = report.queued.len(),
                    "orphan sweep queued files"
                );
                self.wake.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "orphan sweep failed"),
        }
    }

    /// Abandons stale upload intents, queueing their files.
    async fn sweep_intents(&self) {
        let swept = self
            .index
            .write(|ix| {
                let now = now_ms();
                let stale = ix.stale_intents(now.saturating_sub(INTENT_TTL_MS), BATCH)?;
                for intent in &stale {
                    ix.abandon_intent(&intent.token, now)?;
                }
                Ok(stale.len())
            })
            .await;
        match swept {
            Ok(0) => {}
            Ok(n) => tracing::info!(intents = n, "abandoned stale upload intents"),
            Err(e) => tracing::warn!(error = %e, "cannot sweep upload intents"),
        }
    }

    async fn process(&self, entry: QueuedDelete) {
        let id = entry.id;
        let result = match self.delete(&entry.file_id).await {
            Ok(()) => self.index.write(move |ix| ix.ack_delete(id)).await.map(|_| ()),
            Err(failure) => {
                let why = failure.to_string();
                tracing::debug!(error = %why, "delete failed; will retry");
                let policy = self.policy;
                self.index
                    .write(move |ix| ix.fail_delete(id, now_ms(), &why, &policy))
                    .await
                    .map(|_| ())
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot update the delete queue");
        }
    }

    /// Deletes one file; an already missing file is success.
    async fn delete(&self, file_id: &str) -> Result<(), Failure> {
        let id = FileId::parse(file_id).map_err(|e| Failure::BadId(e.to_string()))?;
        let name = id.logic().as_str();
        let gone = |e: &ConnError| matches!(e, ConnError::Status(s) if *s == Status::ENOENT);
        let target = match self.tracker.query_update(id.group(), name).await {
            Ok(t) => t,
            Err(e) if gone(&e) => return Ok(()),
            Err(e) => return Err(Failure::Cluster(e)),
        };
        let addr = storage_socket_addr(&target.storage).map_err(Failure::Cluster)?;
        match self.storage.delete(addr, id.group(), name).await {
            Ok(()) => Ok(()),
            Err(e) if gone(&e) => Ok(()),
            Err(e) if refused(&e) => {
                // The file's tags still carry a lock the index no longer
                // holds (a lifted hold, a bypassed GOVERNANCE retention, a
                // locked upload that was never indexed): no row references
                // a queued file, so lift the tags and try again. That works
                // only from a `lock_admin_hosts` address (which the storage
                // lets delete anyway); otherwise the entry stays queued with
                // backoff, never dropped, until its retention expires.
                tracing::warn!(%file_id, "storage refuses to delete a locked file \
                    (is this gateway in the storage's lock_admin_hosts?)");
                let lifted = lock_metadata(&ObjectLock::default());
                self.storage
                    .set_metadata(addr, id.group(), name, MetaOp::Merge, &lifted)
                    .await
                    .map_err(Failure::Cluster)?;
                tracing::info!(%file_id, "lifted the lock tags of a queued file");
                match self.storage.delete(addr, id.group(), name).await {
                    Ok(()) => Ok(()),
                    Err(e) if gone(&e) => Ok(()),
                    Err(e) => Err(Failure::Cluster(e)),
                }
            }
            Err(e) => Err(Failure::Cluster(e)),
        }
    }
}

/// The storage's answer to deleting a file its WORM tags protect (EPERM).
fn refused(e: &ConnError) -> bool {
    matches!(e, ConnError::Status(s) if *s == Status(1))
}
