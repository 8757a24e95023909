//! The sync worker of one peer: reads the binlog from the peer's mark and
//! pushes every record the peer needs (§9), saving the mark every
//! `mark_every` records and when idle, and publishing how far the peer has
//! acknowledged (for `sync_replicas`).
//!
//! A failed push is retried — same record, reconnecting when the connection
//! broke — after a capped doubling delay, so records reach the peer in
//! binlog order and none is skipped; a stalled or dead peer only holds up
//! its own worker. Pushing waits while the peer cannot take changes (not
//! yet ACTIVE/ONLINE/OFFLINE, e.g. a new member another storage is
//! filling). The catch-up of a new member whose sync source this storage is
//! runs first (`handshake`).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::server::Shutdown;
use fdfs_protocol::tracker::StorageStatus;
use tokio::sync::watch;
use tracing::{Instrument, debug, info, info_span, warn};

use super::config::{Backoff, SyncConfig};
use super::push::{PeerLink, Pushed, Stale};
use crate::binlog::record::META_SUFFIX;
use crate::binlog::{BinlogError, Op, Position, Reader, Record, SyncMark, should_forward};
use crate::server::state::StorageState;

/// Names with skipped changes remembered at most (see `Worker::stale`).
const MAX_STALE: usize = 4096;

/// A group peer as its worker knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Peer {
    /// `ip:port`: the key of its progress and worker.
    pub key: String,
    /// Its storage id (its IP without storage ids).
    pub id: String,
    /// Its IP as the group list spells it (mark file name, REPORT_STATUS).
    pub ip: String,
    /// Its storage port.
    pub addr: SocketAddr,
}

/// Whether a peer in `status` takes incremental changes.
pub(crate) fn takes_changes(status: StorageStatus) -> bool {
    matches!(status, StorageStatus::Active | StorageStatus::Online | StorageStatus::Offline)
}

/// One peer's worker; see the module docs.
pub(crate) struct Worker {
    pub(super) state: Arc<StorageState>,
    pub(super) config: Arc<SyncConfig>,
    pub(super) peer: Peer,
    pub(super) status: watch::Receiver<StorageStatus>,
    pub(super) shutdown: Shutdown,
    pub(super) mark: SyncMark,
    mark_path: PathBuf,
    unsaved: u64,
    link: Option<PeerLink>,
    /// Names whose changes were skipped because the local file was gone,
    /// until their delete or rename (which then re-ships the file).
    stale: HashSet<String>,
    pub(super) backoff: Backoff,
}

/// Runs the worker of `peer` until `shutdown` fires (or the binlog closes).
pub(crate) async fn run(
    state: Arc<StorageState>,
    config: Arc<SyncConfig>,
    peer: Peer,
    status: watch::Receiver<StorageStatus>,
    shutdown: Shutdown,
) {
    let span = info_span!("sync", peer = %peer.key);
    async move {
        let mark_path =
            match SyncMark::path_for_peer(state.binlog.dir(), &peer.ip, peer.addr.port()) {
                Ok(path) => path,
                Err(e) => {
                    warn!(error = %e, "no mark file possible for this peer; not syncing to it");
                    return;
                }
            };
        let backoff = Backoff::new(config.retry_min, config.retry_max);
        let mut worker = Worker {
            state,
            config,
            peer,
            status,
            shutdown,
            mark: SyncMark::default(),
            mark_path,
            unsaved: 0,
            link: None,
            stale: HashSet::new(),
            backoff,
        };
        if worker.load_mark().await {
            worker.work().await;
            worker.save_mark().await;
        }
        debug!("sync worker stopped");
    }
    .instrument(span)
    .await;
}

impl Worker {
    /// Loads the mark; a peer without one goes through the handshake.
    /// `false` on shutdown.
    async fn load_mark(&mut self) -> bool {
        if tokio::fs::try_exists(&self.mark_path).await.unwrap_or(false) {
            match SyncMark::load(self.mark_path.clone()).await {
                Ok(mark) => {
                    self.mark = mark;
                    return true;
                }
                Err(e) => warn!(error = %e, "unreadable mark; starting this peer over"),
            }
        }
        let Some(mark) = self.first_mark().await else {
            return false;
        };
        self.mark = mark;
        self.save_mark().await;
        true
    }

    async fn work(&mut self) {
        if self.mark.catching_up() && !self.full_sync().await {
            return;
        }
        self.incremental().await;
    }

    /// Pushes records as they come until shutdown.
    async fn incremental(&mut self) {
        let Some(mut reader) = self.reader() else { return };
        self.state.sync.set_acked(&self.peer.key, self.mark.position());
        loop {
            if !takes_changes(*self.status.borrow()) {
                self.save_if_unsaved().await;
                self.link = None;
                debug!(status = %*self.status.borrow(), "peer takes no changes now; waiting");
                if !self.wait_status(takes_changes).await {
                    return;
                }
                continue;
            }
            let next = tokio::select! {
                next = reader.next_wait(Some(self.config.idle_wait)) => next,
                changed = self.status.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    continue;
                }
                () = self.shutdown.wait() => return,
            };
            match next {
                Ok(Some((record, next))) => {
                    if !self.process(&record, next).await {
                        return;
                    }
                }
                Ok(None) => self.idle().await,
                Err(BinlogError::Closed) => return,
                Err(e) => {
                    let delay = self.backoff.failed("reading the binlog", &e);
                    if !self.pause(delay).await {
                        return;
                    }
                    match self.reader() {
                        Some(r) => reader = r,
                        None => return,
                    }
                }
            }
        }
    }

    /// A tailing reader from the mark; from the start when the mark points
    /// past the binlog's end (a lost or replaced binlog: resending is safe).
    pub(super) fn reader(&mut self) -> Option<Reader> {
        match self.state.binlog.reader(self.mark.position()) {
            Ok(reader) => Some(reader),
            Err(BinlogError::BeyondEnd { position, end }) => {
                warn!(%position, %end, "mark beyond the binlog's end; starting over");
                self.mark.set_position(Position::START);
                self.state.binlog.reader(Position::START).ok()
            }
            Err(e) => {
                warn!(error = %e, "cannot read the binlog");
                None
            }
        }
    }

    /// Handles one record read: pushes it if the peer needs it, then moves
    /// the mark past it. `false` on shutdown.
    pub(super) async fn process(&mut self, record: &Record, next: Position) -> bool {
        if self.wanted(record) {
            let stale = self.stale_for(record);
            let Some(pushed) = self.send(record, stale).await else {
                return false;
            };
            self.note_pushed(record, pushed);
            self.mark.sync_row_count += 1;
        }
        self.mark.scan_row_count += 1;
        self.mark.set_position(next);
        self.state.sync.set_acked(&self.peer.key, next);
        self.unsaved += 1;
        if self.unsaved >= self.config.mark_every.max(1) {
            self.save_mark().await;
        }
        true
    }

    /// Whether the peer needs `record` (§9). A peer another storage filled
    /// as a new member already has what was written up to its join time.
    fn wanted(&self, record: &Record) -> bool {
        let until = self.mark.until_timestamp;
        if !self.mark.need_sync_old && until > 0 && i64::from(record.timestamp) <= until {
            return false;
        }
        should_forward(record, self.mark.catching_up(), until)
    }

    /// For a rename: whether changes to the old names were skipped.
    fn stale_for(&mut self, record: &Record) -> Stale {
        match &record.op {
            Op::Rename { old } => Stale {
                content: self.stale.remove(old),
                meta: self.stale.remove(&format!("{old}{META_SUFFIX}")),
            },
            _ => Stale::default(),
        }
    }

    /// Remembers names whose changes could not be sent (the local file was
    /// gone) until the delete or rename that explains it.
    fn note_pushed(&mut self, record: &Record, pushed: Pushed) {
        match &record.op {
            Op::Delete => {
                self.stale.remove(&record.filename);
                self.stale.remove(&format!("{}{META_SUFFIX}", record.filename));
            }
            Op::Rename { .. } => {}
            _ if pushed == Pushed::Gone => {
                if self.stale.len() >= MAX_STALE {
                    warn!("too many skipped changes pending; forgetting them");
                    self.stale.clear();
                }
                self.stale.insert(record.filename.clone());
            }
            _ => {}
        }
    }

    /// Pushes `record` until the peer has it; `None` on shutdown.
    async fn send(&mut self, record: &Record, stale: Stale) -> Option<Pushed> {
        loop {
            if self.shutdown.is_triggered() {
                return None;
            }
            if self.link.is_none() {
                let (dialer, addr) = (self.config.dialer, self.peer.addr);
                let opened = tokio::select! {
                    opened = PeerLink::open(&dialer, addr, &self.config.my_id) => opened,
                    () = self.shutdown.wait() => return None,
                };
                match opened {
                    Ok(link) => self.link = Some(link),
                    Err(e) => {
                        let delay = self.backoff.failed("connecting to the peer", &e);
                        if !self.pause(delay).await {
                            return None;
                        }
                        continue;
                    }
                }
            }
            let Some(link) = self.link.as_mut() else { continue };
            let pushed = tokio::select! {
                pushed = link.push(&self.state, record, stale) => pushed,
                () = self.shutdown.wait() => return None,
            };
            match pushed {
                Ok(pushed) => {
                    self.backoff.reset();
                    return Some(pushed);
                }
                Err(e) => {
                    if !e.connection_reusable() {
                        self.link = None;
                    }
                    let what = format!("pushing {} {}", record.letter() as char, record.filename);
                    let delay = self.backoff.failed(&what, &e);
                    if !self.pause(delay).await {
                        return None;
                    }
                }
            }
        }
    }

    /// Nothing to push: save the mark, keep the connection alive.
    async fn idle(&mut self) {
        self.save_if_unsaved().await;
        let interval = self.config.active_test_interval;
        if let Some(link) = self.link.as_mut()
            && link.idle_for() >= interval
            && let Err(e) = link.active_test().await
        {
            debug!(error = %e, "ACTIVE_TEST failed; reconnecting at the next record");
            self.link = None;
        }
    }

    /// Waits until the peer's status passes `ok`. `false` on shutdown or
    /// when the worker's status feed is gone.
    pub(super) async fn wait_status(&mut self, ok: fn(StorageStatus) -> bool) -> bool {
        loop {
            if ok(*self.status.borrow_and_update()) {
                return true;
            }
            tokio::select! {
                changed = self.status.changed() => {
                    if changed.is_err() {
                        return false;
                    }
                }
                () = self.shutdown.wait() => return false,
            }
        }
    }

    /// Sleeps `delay`; `false` if shutdown fired first.
    pub(super) async fn pause(&mut self, delay: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(delay) => true,
            () = self.shutdown.wait() => false,
        }
    }

    async fn save_if_unsaved(&mut self) {
        if self.unsaved > 0 {
            self.save_mark().await;
        }
    }

    /// Writes the mark file (a failure is logged: the next save retries,
    /// and a stale mark only means resending).
    pub(super) async fn save_mark(&mut self) {
        match self.mark.save(self.mark_path.clone()).await {
            Ok(()) => self.unsaved = 0,
            Err(e) => warn!(error = %e, "saving the sync mark failed"),
        }
    }

    /// Logs the start of a full sync.
    pub(super) fn log_full_sync(&self, end: Position) {
        info!(until = self.mark.until_timestamp, %end, from = %self.mark.position(),
            "pushing old files to a new member");
    }
}
