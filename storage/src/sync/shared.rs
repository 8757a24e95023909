//! [`SyncShared`]: the replication state the server's connections, the
//! reporter and the sync workers share — what this storage received from
//! each source (for SYNC_REPORT) and how far each peer has acknowledged our
//! binlog (for `sync_replicas`).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use fdfs_protocol::tracker::SyncTimestamp;
use tokio::sync::watch;

use crate::binlog::Position;

/// Replication state shared by the storage's connections and workers.
///
/// The server constructs it with [`SyncShared::new`] (or `Default`) and
/// needs to pass nothing: the receiving side fills the per-source
/// timestamps, the sync workers the per-peer progress.
#[derive(Debug)]
pub struct SyncShared {
    /// Per source storage id: the newest record timestamp applied from it.
    received: Mutex<BTreeMap<String, u32>>,
    /// Per peer (`ip:port`): the binlog position its worker has pushed and
    /// had acknowledged (every record before it is done on the peer).
    acked: watch::Sender<BTreeMap<String, Position>>,
    /// Names of files deleted here lately (see `tombstones`).
    pub deleted: super::Tombstones,
    /// The group's storages as the trackers last listed them (empty until
    /// the first list): whose sync commands skip the retention check.
    members: Mutex<Vec<IpAddr>>,
}

impl Default for SyncShared {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncShared {
    /// Empty state: nothing received, no peer progress.
    pub fn new() -> Self {
        Self {
            received: Mutex::new(BTreeMap::new()),
            acked: watch::Sender::new(BTreeMap::new()),
            deleted: super::Tombstones::default(),
            members: Mutex::new(Vec::new()),
        }
    }

    /// Per source storage, the newest change applied from it (SYNC_REPORT,
    /// 89), sorted by source id. Never blocks for long.
    pub fn sync_timestamps(&self) -> Vec<SyncTimestamp> {
        let received = self.received.lock().unwrap_or_else(PoisonError::into_inner);
        received
            .iter()
            .map(|(src_id, ts)| SyncTimestamp {
                src_id: src_id.clone(),
                // The wire field is 4 bytes; FastDFS writes the u32 as is.
                timestamp: *ts as i32,
            })
            .collect()
    }

    /// Notes that a record of `timestamp` from `source` is held here
    /// (applied, or found already present). Keeps the newest.
    pub fn note_received(&self, source: &str, timestamp: u32) {
        let mut received = self.received.lock().unwrap_or_else(PoisonError::into_inner);
        match received.get_mut(source) {
            Some(ts) => *ts = (*ts).max(timestamp),
            None => {
                received.insert(source.to_string(), timestamp);
            }
        }
    }

    /// Publishes that `peer` (`ip:port`) has every record before `position`.
    pub fn set_acked(&self, peer: &str, position: Position) {
        self.acked.send_if_modified(|acked| {
            if acked.get(peer) == Some(&position) {
                return false;
            }
            acked.insert(peer.to_string(), position);
            true
        });
    }

    /// Records the group's members (the sync manager, on every list).
    pub fn set_members(&self, ips: impl IntoIterator<Item = IpAddr>) {
        let list: Vec<IpAddr> = ips.into_iter().map(|ip| ip.to_canonical()).collect();
        *self.members.lock().unwrap_or_else(PoisonError::into_inner) = list;
    }

    /// Whether `ip` is a member of the group, or no list is known yet (a
    /// storage that has not heard from a tracker trusts every sender, as
    /// FastDFS does).
    pub fn member_or_unknown(&self, ip: IpAddr) -> bool {
        let members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members.is_empty() || members.contains(&ip.to_canonical())
    }

    /// Forgets a peer that left the group (its progress no longer counts).
    pub fn forget_peer(&self, peer: &str) {
        self.acked.send_if_modified(|acked| acked.remove(peer).is_some());
    }

    /// Every peer's acknowledged position.
    pub fn acked(&self) -> BTreeMap<String, Position> {
        self.acked.borrow().clone()
    }

    /// Waits until the change ending at `position` (what
    /// [`StorageState::log`](crate::server::StorageState::log) returned) is
    /// on `copies` storages in all — this one and `copies - 1` peers — or
    /// `timeout` passes. `true` when enough peers have it.
    pub async fn wait_replicated(
        &self,
        position: Position,
        copies: usize,
        timeout: Duration,
    ) -> bool {
        let needed = copies.saturating_sub(1);
        if needed == 0 {
            return true;
        }
        let enough = |acked: &BTreeMap<String, Position>| {
            acked.values().filter(|p| **p >= position).count() >= needed
        };
        let mut rx = self.acked.subscribe();
        matches!(tokio::time::timeout(timeout, rx.wait_for(enough)).await, Ok(Ok(_)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::SyncShared;
    use crate::binlog::Position;

    #[test]
    fn newest_timestamp_per_source() {
        let s = SyncShared::new();
        s.note_received("127.0.0.3", 10);
        s.note_received("127.0.0.3", 5);
        s.note_received("127.0.0.2", 7);
        let ts: Vec<(String, i32)> =
            s.sync_timestamps().into_iter().map(|t| (t.src_id, t.timestamp)).collect();
        assert_eq!(ts, [("127.0.0.2".to_string(), 7), ("127.0.0.3".to_string(), 10)]);
    }

    #[test]
    fn members_are_known_once_listed() {
        let s = SyncShared::new();
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert!(s.member_or_unknown(a) && s.member_or_unknown(b));
        s.set_members([a]);
        assert!(s.member_or_unknown(a) && !s.member_or_unknown(b));
    }

    #[tokio::test]
    async fn waits_for_enough_peers() {
        let s = Arc::new(SyncShared::new());
        let at = Position::new(0, 100);
        assert!(s.wait_replicated(at, 1, Duration::ZERO).await);
        assert!(!s.wait_replicated(at, 2, Duration::from_millis(20)).await);
        s.set_acked("a:1", Position::new(0, 50));
        let waiter = {
            let s = Arc::clone(&s);
            tokio::spawn(async move { s.wait_replicated(at, 3, Duration::from_secs(5)).await })
        };
        s.set_acked("a:1", Position::new(0, 100));
        s.set_acked("b:1", Position::new(1, 0));
        assert!(waiter.await.unwrap());
        s.forget_peer("b:1");
        assert!(!s.wait_replicated(at, 3, Duration::from_millis(20)).await);
        assert_eq!(s.acked().len(), 1);
    }
}
