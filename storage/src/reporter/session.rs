//! One long-lived reporter connection to one tracker, from JOIN to the
//! connection's end (§3.3 start-up order):
//!
//! JOIN (81) → SYNC_DEST_REQ (87, only until the handshake has completed
//! once) → SYNC_NOTIFY (88, every time) → BEAT (83) with the statistics →
//! CHANGELOG_REQ (77, empty) → REPORT_DISK_USAGE (84) → loop { BEAT every
//! heart beat interval (statistics only when they changed), SYNC_REPORT
//! (89) when the sync timestamps changed, REPORT_DISK_USAGE every stat
//! report interval }. Every change response is applied: the leader and the
//! group's member list go to the storage through [`StorageFacts`].
//!
//! [`StorageFacts`]: super::StorageFacts

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::Status;
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::consts::MAX_SERVERS_EACH_GROUP;
use fdfs_protocol::tracker::{
    Beat, ChangeResponse, ChangelogReq, DiskUsage, PathUsage, ServerAddr, StorageStatBuff,
    SyncDestReq, SyncNotify, SyncReport, SyncReqBody, SyncSource, SyncTimestamp,
};
use tokio::time::{Instant, MissedTickBehavior, interval_at};
use tracing::{debug, info, warn};

use super::facts::Learned;
use super::shared::Shared;

/// Most store paths a disk usage report may carry.
const MAX_STORE_PATHS: usize = 256;
/// Shortest period the loop accepts (a zero period would spin).
const MIN_PERIOD: Duration = Duration::from_millis(10);

/// `EFAULT`: the answer to a JOIN that claims a known storage the tracker
/// does not know.
const EFAULT: Status = Status(14);

/// How a session ended without a connection error.
#[derive(Debug)]
pub(crate) enum Ended {
    /// SYNC_DEST_REQ answered ENOENT: no peer can be a source yet; close
    /// and join again later.
    Rejoin,
    /// JOIN answered EFAULT: the tracker does not know this storage (it
    /// lost its data); the next JOIN claims to be new.
    Unknown,
}

/// What a reporter task remembers across its sessions.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// This tracker was told the sync source (SYNC_NOTIFY) during this
    /// run, or the storage is not on its first start: JOIN no longer sets
    /// `init_flag`. Per tracker, as FastDFS keeps it per reporter thread:
    /// a tracker first reached after another completed the handshake still
    /// meets the storage as new.
    pub notified: bool,
    /// Set after [`Ended::Unknown`]: the next JOIN sets `init_flag`.
    pub claim_new: bool,
    /// The current session finished its start-up exchanges.
    pub established: bool,
}

/// The per-connection memory of what was last sent.
struct Session<'a> {
    shared: &'a Shared,
    /// This storage's id as the tracker knows it (its IP).
    my_id: &'a str,
    last_stats: Option<StorageStatBuff>,
    last_sync: Vec<SyncTimestamp>,
    /// The disk usage last reported on this connection.
    last_usage: Vec<PathUsage>,
}

/// Connects to `tracker` and reports until the connection fails. The
/// connection is kept in `slot` so the caller can say QUIT when it cancels
/// the session.
pub(crate) async fn run(
    shared: &Shared,
    tracker: SocketAddr,
    my_id: &str,
    slot: &mut Option<Connection>,
    progress: &mut Progress,
) -> Result<Ended, ConnError> {
    let conn = slot.insert(shared.dialer.connect(tracker).await?);
    let init_flag = !progress.notified || progress.claim_new;
    let reply = match conn.call(&shared.join_request(tracker, init_flag)).await {
        Ok(reply) => reply,
        Err(ConnError::Status(EFAULT)) if !init_flag => {
            warn!("tracker does not know this storage; joining again as a new one");
            return Ok(Ended::Unknown);
        }
        Err(e) => return Err(e),
    };
    info!(status = %reply.my_status, init = init_flag, "joined");
    shared.set_my_status(reply.my_status);
    shared.facts.learned(Learned::Status(reply.my_status));

    let Some(source) = handshake(shared, conn).await? else {
        return Ok(Ended::Rejoin);
    };
    conn.call(&SyncNotify(source.unwrap_or_default())).await?;
    progress.notified = true;
    progress.claim_new = false;

    let mut session =
        Session { shared, my_id, last_stats: None, last_sync: Vec::new(), last_usage: Vec::new() };
    session.beat(conn, true).await?;
    conn.call(&ChangelogReq::Joined).await?;
    session.disk_usage(conn, true).await?;
    progress.established = true;
    debug!("reporting");

    let c = &shared.config;
    let beat_period = c.heart_beat_interval.max(MIN_PERIOD);
    let stat_period = c.stat_report_interval.max(MIN_PERIOD);
    let mut beats = interval_at(Instant::now() + beat_period, beat_period);
    let mut stats = interval_at(Instant::now() + stat_period, stat_period);
    // Sampling off: a period so long the tick never comes.
    let sample_period = match c.space_sample_interval {
        d if d.is_zero() => Duration::from_secs(86_400 * 365),
        d => d.max(MIN_PERIOD),
    };
    let mut samples = interval_at(Instant::now() + sample_period, sample_period);
    beats.set_missed_tick_behavior(MissedTickBehavior::Delay);
    stats.set_missed_tick_behavior(MissedTickBehavior::Delay);
    samples.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = beats.tick() => {
                session.beat(conn, false).await?;
                session.sync_report(conn).await?;
            }
            _ = stats.tick() => session.disk_usage(conn, true).await?,
            _ = samples.tick() => session.disk_usage(conn, false).await?,
        }
    }
}

/// The sync-source handshake: SYNC_DEST_REQ (87) on the first tracker
/// that gets here while it has not completed, else the source already
/// known. `Ok(None)` when the tracker answered ENOENT.
async fn handshake(
    shared: &Shared,
    conn: &mut Connection,
) -> Result<Option<Option<SyncReqBody>>, ConnError> {
    let mut state = shared.handshake.lock().await;
    if state.done {
        return Ok(Some(state.source.clone()));
    }
    match conn.call(&SyncDestReq).await {
        Ok(SyncSource(source)) => {
            match &source {
                Some(s) => {
                    info!(src = %s.src_id, until = s.until_timestamp, "sync source assigned")
                }
                None => info!("no sync source needed"),
            }
            state.done = true;
            state.source.clone_from(&source);
            shared.facts.learned(Learned::SyncSource(source.clone()));
            Ok(Some(source))
        }
        Err(ConnError::Status(Status::ENOENT)) => {
            info!("no group peer can be a sync source yet; joining again later");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

impl Session<'_> {
    /// BEAT (83), with the statistics when `force`d or changed since the
    /// last beat on this connection.
    async fn beat(&mut self, conn: &mut Connection, force: bool) -> Result<(), ConnError> {
        let stats = self.shared.facts.stats();
        let changed = force || self.last_stats.as_ref() != Some(&stats);
        let beat = Beat { stat: changed.then(|| stats.clone()) };
        let resp = conn.call(&beat).await?;
        self.last_stats = Some(stats);
        self.apply(resp);
        Ok(())
    }

    /// SYNC_REPORT (89) when the storage's sync timestamps changed.
    async fn sync_report(&mut self, conn: &mut Connection) -> Result<(), ConnError> {
        let mut entries = self.shared.facts.sync_timestamps();
        entries.truncate(MAX_SERVERS_EACH_GROUP);
        if entries.is_empty() || entries == self.last_sync {
            return Ok(());
        }
        let resp = conn.call(&SyncReport { entries: entries.clone() }).await?;
        self.last_sync = entries;
        self.apply(resp);
        Ok(())
    }

    /// REPORT_DISK_USAGE (84): always when `periodic`, else only when free
    /// space moved enough since the last report (`space_watch`). The
    /// storage is asked off the runtime (it may stat its file systems); an
    /// unusable answer is skipped with a warning rather than sent (the
    /// tracker would drop the connection).
    async fn disk_usage(&mut self, conn: &mut Connection, periodic: bool) -> Result<(), ConnError> {
        let facts = Arc::clone(&self.shared.facts);
        let paths = match tokio::task::spawn_blocking(move || facts.disk_usage()).await {
            Ok(paths) => paths,
            Err(e) => {
                warn!(error = %e, "reading disk usage failed");
                return Ok(());
            }
        };
        let expected = usize::from(self.shared.config.store_path_count);
        if paths.is_empty() || paths.len() > MAX_STORE_PATHS || paths.len() != expected {
            warn!(
                got = paths.len(),
                expected, "disk usage has the wrong number of paths; not sent"
            );
            return Ok(());
        }
        if !periodic && !super::space_watch::moved(&self.last_usage, &paths) {
            return Ok(());
        }
        if !periodic {
            debug!(?paths, "free space moved; reporting early");
        }
        self.last_usage.clone_from(&paths);
        let resp = conn.call(&DiskUsage { paths }).await?;
        self.apply(resp);
        Ok(())
    }

    /// Hands what a change response announced to the storage.
    fn apply(&self, resp: ChangeResponse) {
        let facts = &self.shared.facts;
        if let Some(leader) = resp.leader {
            debug!(leader = %leader.ip, port = leader.port, "leader tracker announced");
            facts.learned(Learned::Leader(ServerAddr::new(leader.ip, leader.port)));
        }
        if let Some(trunk) = resp.trunk_server {
            debug!(trunk = %trunk.id, "trunk server announced (trunk files are not used)");
        }
        if let Some(members) = resp.group_storages {
            if let Some(me) = members.iter().find(|b| b.id == self.my_id) {
                self.shared.set_my_status(me.status);
                facts.learned(Learned::Status(me.status));
            }
            debug!(count = members.len(), "group members announced");
            facts.learned(Learned::GroupMembers(members));
        }
    }
}
