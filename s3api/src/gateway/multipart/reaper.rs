//! The stale-upload reaper: aborts multipart uploads initiated longer ago
//! than a configurable age (S3's lifecycle rule
//! `AbortIncompleteMultipartUpload`, always on here), so parts of
//! forgotten uploads do not hold storage forever. Their files go on the
//! delete queue like any abort's, and the drainer is woken.

use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::server::Shutdown;
use tokio::sync::Notify;
use tracing::{Instrument, debug_span};

use super::super::now_ms;
use crate::index::{IndexError, IndexHandle};

/// Uploads aborted per round at most; a full round runs again at once.
const BATCH: usize = 64;

/// The default age after which an upload is aborted: 7 days.
pub const DEFAULT_UPLOAD_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The background worker; see the module docs.
#[derive(Debug)]
pub struct Reaper {
    index: IndexHandle,
    wake_drainer: Arc<Notify>,
    ttl: Duration,
    period: Duration,
}

impl Reaper {
    /// A reaper aborting uploads older than `ttl`, looking every `period`;
    /// it wakes `wake_drainer` when it queued files.
    pub fn new(
        index: IndexHandle,
        wake_drainer: Arc<Notify>,
        ttl: Duration,
        period: Duration,
    ) -> Self {
        Self { index, wake_drainer, ttl, period }
    }

    /// Reaps until `shutdown`.
    pub async fn run(self, mut shutdown: Shutdown) {
        loop {
            if shutdown.is_triggered() {
                break;
            }
            match self.reap_once().await {
                Ok(n) if n == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "upload reaper round failed"),
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = tokio::time::sleep(self.period) => {}
            }
        }
    }

    /// One round: aborts up to [`BATCH`] stale uploads; returns how many
    /// it looked at.
    pub async fn reap_once(&self) -> Result<usize, IndexError> {
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        let before = now_ms().saturating_sub(ttl_ms);
        let stale = self.index.read(move |ix| ix.stale_uploads(before, BATCH)).await?;
        let count = stale.len();
        let mut queued = false;
        for upload in stale {
            let span = debug_span!("s3.reap_upload", bucket = %upload.bucket, key = %upload.key,
                upload_id = %upload.upload_id);
            let aborted = self
                .index
                .write(move |ix| {
                    ix.abort_upload(&upload.bucket, &upload.key, &upload.upload_id, now_ms())
                })
                .instrument(span)
                .await;
            match aborted {
                Ok(released) => {
                    tracing::info!(parts = released.len(), "stale upload aborted");
                    queued |= !released.is_empty();
                }
                // Completed or aborted by a client meanwhile.
                Err(IndexError::NoSuchUpload(_) | IndexError::NoSuchBucket(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if queued {
            self.wake_drainer.notify_one();
        }
        Ok(count)
    }
}
