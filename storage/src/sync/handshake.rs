//! A new member's catch-up (`fastdfs-protocol.md` §6 steps 2–4, §9).
//!
//! A peer without a mark is asked about at the trackers (SYNC_SRC_REQ, 86):
//! if this storage is its sync source, the worker replays the whole binlog
//! to it — source and replica records up to the member's join time
//! (`until_timestamp`), see [`should_forward`](crate::binlog::should_forward)
//! — reporting it SYNCING (76) before and OFFLINE after, so its next beat
//! makes it ACTIVE; the mark then records `sync_old_done`. If another
//! storage is the source, this one skips its records up to the join time
//! (the source ships them) and pushes incrementally once the member takes
//! changes. A peer that is no new member gets the whole binlog once
//! (receivers answer 17 for what they have).
//!
//! OFFLINE is reported before `sync_old_done` is saved: a crash in between
//! repeats the replay (harmless) rather than leaving the member SYNCING.

use fdfs_protocol::tracker::StorageStatus;
use tracing::{info, warn};

use super::worker::Worker;
use crate::binlog::{Replay, SyncMark};
use crate::reporter::{report_status_all, sync_src_req_any};

/// Whether a peer in `status` is a new member waiting for its old files.
fn is_new_member(status: StorageStatus) -> bool {
    matches!(status, StorageStatus::WaitSync | StorageStatus::Syncing)
}

/// Whether a full sync can be pushed to a peer in `status`.
fn takes_full_sync(status: StorageStatus) -> bool {
    is_new_member(status) || super::worker::takes_changes(status)
}

impl Worker {
    /// The mark of a peer this storage has never synced to; `None` on
    /// shutdown. A new member's answer is waited for (retrying); for an
    /// old member an unreachable tracker means "send everything".
    pub(super) async fn first_mark(&mut self) -> Option<SyncMark> {
        if self.config.trackers.is_empty() {
            return Some(SyncMark::default());
        }
        // A member still in INIT has no sync source yet: asking now would
        // make it look like an old member.
        if !self.wait_status(|s| s != StorageStatus::Init).await {
            return None;
        }
        loop {
            let (dialer, group) = (self.config.dialer, self.state.group.clone());
            let asked = tokio::select! {
                asked = sync_src_req_any(&dialer, &self.config.trackers, &group, &self.peer.id) => asked,
                () = self.shutdown.wait() => return None,
            };
            match asked {
                Ok(Some(src)) if src.src_id == self.config.my_id => {
                    info!(until = src.until_timestamp, "this storage is the peer's sync source");
                    let until_timestamp = src.until_timestamp;
                    return Some(SyncMark {
                        need_sync_old: true,
                        until_timestamp,
                        ..SyncMark::default()
                    });
                }
                Ok(Some(src)) => {
                    info!(source = %src.src_id, until = src.until_timestamp,
                        "another storage ships the peer's old files; skipping records up to until");
                    return Some(SyncMark {
                        until_timestamp: src.until_timestamp,
                        ..SyncMark::default()
                    });
                }
                Ok(None) => return Some(SyncMark::default()),
                Err(e) if is_new_member(*self.status.borrow()) => {
                    let delay =
                        self.backoff.failed("asking the trackers for the peer's sync source", &e);
                    if !self.pause(delay).await {
                        return None;
                    }
                }
                Err(e) => {
                    warn!(error = %e, "cannot ask the trackers for the peer's sync source; sending the whole binlog");
                    return Some(SyncMark::default());
                }
            }
        }
    }

    /// Replays the binlog to a new member and reports it done. `false` on
    /// shutdown (the mark keeps the replay's progress).
    pub(super) async fn full_sync(&mut self) -> bool {
        if !self.wait_status(takes_full_sync).await {
            return false;
        }
        let announce = is_new_member(*self.status.borrow());
        if announce {
            self.report(StorageStatus::Syncing).await;
        }
        let end = self.state.binlog.durable_end();
        self.log_full_sync(end);
        'replay: loop {
            let Some(reader) = self.reader() else { return false };
            let mut replay = Replay::new(reader, end, self.mark.until_timestamp);
            loop {
                if self.shutdown.is_triggered() {
                    return false;
                }
                match replay.next().await {
                    Ok(Some((record, next))) => {
                        if !self.process(&record, next).await {
                            return false;
                        }
                    }
                    Ok(None) => {
                        let done = replay.position();
                        self.mark.set_position(done);
                        self.state.sync.set_acked(&self.peer.key, done);
                        break 'replay;
                    }
                    Err(e) => {
                        let delay = self.backoff.failed("reading the binlog", &e);
                        if !self.pause(delay).await {
                            return false;
                        }
                        continue 'replay;
                    }
                }
            }
        }
        if announce && !self.report_until_accepted(StorageStatus::Offline).await {
            return false;
        }
        self.mark.sync_old_done = true;
        self.save_mark().await;
        info!(sent = self.mark.sync_row_count, "old files pushed to the new member");
        true
    }

    /// REPORT_STATUS of the peer to every tracker; how many accepted it.
    async fn report(&mut self, status: StorageStatus) -> usize {
        if self.config.trackers.is_empty() {
            return 0;
        }
        let (dialer, group) = (self.config.dialer, self.state.group.clone());
        let (id, ip) = (self.peer.id.clone(), self.peer.ip.clone());
        let results =
            report_status_all(&dialer, &self.config.trackers, &group, &id, &ip, status).await;
        let mut accepted = 0;
        for (tracker, result) in results {
            match result {
                Ok(()) => accepted += 1,
                Err(e) => warn!(%tracker, error = %e, %status, "REPORT_STATUS failed"),
            }
        }
        accepted
    }

    /// [`Worker::report`] until at least one tracker accepts. `false` on
    /// shutdown.
    async fn report_until_accepted(&mut self, status: StorageStatus) -> bool {
        if self.config.trackers.is_empty() {
            return true;
        }
        loop {
            if self.report(status).await > 0 {
                self.backoff.reset();
                return true;
            }
            let delay = self.backoff.failed("reporting the peer's status", &"no tracker accepted");
            if !self.pause(delay).await {
                return false;
            }
        }
    }
}
