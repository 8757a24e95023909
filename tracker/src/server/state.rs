//! The state one tracker process shares between its connections and workers.
//!
//! The cluster model sits behind a plain mutex: every operation on it is a
//! short, non-blocking computation, so no lock is ever held across an await
//! or an I/O call. Each mutation names the group it touched; that group's
//! snapshot goes to the persistence thread afterwards.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use fdfs_protocol::Status;

use super::persist::Persister;
use crate::cluster::Cluster;
use crate::config::TrackerPolicy;

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A peer tracker heard from within this many seconds counts as active.
pub const TRACKER_ALIVE_WINDOW: i64 = 30;

/// Who leads the tracker cluster, as this tracker knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderView {
    /// The leader's address; `None` while no leader is known.
    pub leader: Option<SocketAddr>,
    /// Bumped on every change, so each storage connection can tell whether
    /// it has been told about the current leader.
    pub generation: u64,
}

/// Everything a tracker's connections and workers share.
#[derive(Debug)]
pub struct TrackerState {
    cluster: Mutex<Cluster>,
    leader: Mutex<LeaderView>,
    /// A leader announced by NOTIFY_NEXT_LEADER, waiting for its COMMIT.
    pending_leader: Mutex<Option<SocketAddr>>,
    /// Set while this tracker announces itself as the next leader: another
    /// tracker's announcement is refused meanwhile, so two concurrent
    /// announcements cannot both complete. Locked after `leader`.
    announcing: Mutex<bool>,
    /// When each peer tracker was last heard from (unix seconds).
    tracker_seen: Mutex<HashMap<SocketAddr, i64>>,
    persister: Persister,
    /// Placement and liveness settings.
    pub policy: TrackerPolicy,
    /// The address other trackers and storages know this tracker by.
    pub self_addr: SocketAddr,
    /// Every tracker of the cluster, this one included.
    pub trackers: Vec<SocketAddr>,
    /// Unix seconds this process started.
    pub started_at: i64,
    /// Seconds between the previous run's stop and this start (0 if unknown).
    pub restart_interval: i64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the model half-updated in
    // a way later requests would trip on (operations validate before they
    // write), so keep serving rather than poisoning every connection.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TrackerState {
    pub fn new(
        cluster: Cluster,
        persister: Persister,
        policy: TrackerPolicy,
        self_addr: SocketAddr,
        mut trackers: Vec<SocketAddr>,
        restart_interval: i64,
    ) -> Self {
        if !trackers.contains(&self_addr) {
            trackers.push(self_addr);
        }
        trackers.sort();
        trackers.dedup();
        let single = trackers.len() == 1;
        let leader = LeaderView { leader: single.then_some(self_addr), generation: 1 };
        Self {
            cluster: Mutex::new(cluster),
            leader: Mutex::new(leader),
            pending_leader: Mutex::new(None),
            announcing: Mutex::new(false),
            tracker_seen: Mutex::new(HashMap::new()),
            persister,
            policy,
            self_addr,
            trackers,
            started_at: now(),
            restart_interval,
        }
    }

    /// Runs a read-only (or persistence-free) computation on the cluster.
    pub fn with_cluster<T>(&self, f: impl FnOnce(&mut Cluster) -> T) -> T {
        f(&mut lock(&self.cluster))
    }

    /// Runs a mutation of `group` and queues its new state for saving when
    /// the mutation succeeded.
    pub fn mutate_group<T>(
        &self,
        group: &str,
        f: impl FnOnce(&mut Cluster) -> Result<T, Status>,
    ) -> Result<T, Status> {
        let mut cluster = lock(&self.cluster);
        let out = f(&mut cluster)?;
        match cluster.group(group) {
            Some(g) => self.persister.save_group(g),
            None => self.persister.delete_group(group),
        }
        Ok(out)
    }

    /// Queues the current state of several groups for saving.
    pub fn persist_groups<'a>(&self, groups: impl IntoIterator<Item = &'a str>) {
        let cluster = lock(&self.cluster);
        for name in groups {
            if let Some(g) = cluster.group(name) {
                self.persister.save_group(g);
            }
        }
    }

    /// Queues a tracker-level key/value write.
    pub fn set_state(&self, key: &str, value: &[u8]) {
        self.persister.set_state(key, value);
    }

    /// Blocks until every queued change is on disk.
    pub fn flush(&self) {
        self.persister.flush();
    }

    /// The current leader view.
    pub fn leader(&self) -> LeaderView {
        lock(&self.leader).clone()
    }

    /// Whether this tracker leads (only the leader fills change responses).
    pub fn is_leader(&self) -> bool {
        lock(&self.leader).leader == Some(self.self_addr)
    }

    /// Records a new leader (or none); returns whether it changed.
    pub fn set_leader(&self, leader: Option<SocketAddr>) -> bool {
        let mut view = lock(&self.leader);
        if view.leader == leader {
            return false;
        }
        view.leader = leader;
        view.generation += 1;
        true
    }

    /// Sets the leader to `new` only if it is `expected` now; returns
    /// whether it changed. Workers use it so a decision based on an older
    /// view never overwrites a leader committed meanwhile.
    pub fn replace_leader(&self, expected: Option<SocketAddr>, new: Option<SocketAddr>) -> bool {
        let mut view = lock(&self.leader);
        if view.leader != expected || expected == new {
            return false;
        }
        view.leader = new;
        view.generation += 1;
        true
    }

    /// Starts announcing this tracker as the next leader; `false` (nothing
    /// changed) when a leader is known already or an announcement runs.
    pub fn begin_announce(&self) -> bool {
        let view = lock(&self.leader);
        let mut announcing = lock(&self.announcing);
        if view.leader.is_some() || *announcing {
            return false;
        }
        *announcing = true;
        true
    }

    /// Ends an announcement. When every reachable tracker accepted it
    /// (`won`) and no leader was committed meanwhile, this tracker becomes
    /// the leader; returns whether it did.
    pub fn end_announce(&self, won: bool) -> bool {
        let mut view = lock(&self.leader);
        *lock(&self.announcing) = false;
        if !won || view.leader.is_some() {
            return false;
        }
        view.leader = Some(self.self_addr);
        view.generation += 1;
        true
    }

    /// Records a NOTIFY_NEXT_LEADER naming `next`, unless this tracker
    /// leads or announces itself (and `next` is another tracker); returns
    /// whether it was accepted. Refusing makes the other announcement
    /// abort, so at most one of two racing announcements completes.
    pub fn accept_next_leader(&self, next: SocketAddr) -> bool {
        let view = lock(&self.leader);
        let announcing = lock(&self.announcing);
        if next != self.self_addr && (*announcing || view.leader == Some(self.self_addr)) {
            return false;
        }
        *lock(&self.pending_leader) = Some(next);
        true
    }

    /// Records a NOTIFY_NEXT_LEADER.
    pub fn set_pending_leader(&self, leader: Option<SocketAddr>) {
        *lock(&self.pending_leader) = leader;
    }

    /// Takes the leader announced by NOTIFY_NEXT_LEADER, for its COMMIT.
    pub fn take_pending_leader(&self) -> Option<SocketAddr> {
        lock(&self.pending_leader).take()
    }

    /// Notes that peer tracker `addr` was heard from now.
    pub fn note_tracker_seen(&self, addr: SocketAddr) {
        lock(&self.tracker_seen).insert(addr, now());
    }

    /// When peer tracker `addr` was last heard from, if within the last
    /// [`TRACKER_ALIVE_WINDOW`] seconds.
    pub fn tracker_last_seen(&self, addr: SocketAddr) -> Option<i64> {
        let seen = lock(&self.tracker_seen).get(&addr).copied()?;
        (now() - seen <= TRACKER_ALIVE_WINDOW).then_some(seen)
    }

    /// Seconds this tracker has been running.
    pub fn running_time(&self) -> i64 {
        (now() - self.started_at).max(0)
    }
}
