//! Tracker client: the client queries and the monitoring commands, against
//! one or several trackers with failover.
//!
//! Trackers are peers with the same picture of the cluster, so any of them
//! can answer. The client remembers the last tracker that answered and starts
//! there; a tracker that cannot be reached (connect, I/O or timeout error) is
//! skipped for the next one. A tracker that *answered* with an error status
//! is not skipped: its answer stands (ENOENT for an unknown group is the
//! same on every tracker).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tracing::{Instrument, debug, debug_span};

use super::pool::Pool;
use crate::connection::ConnError;
use crate::message::{ActiveTest, Request};
use crate::tracker::{
    DeleteStorage, FetchTarget, FetchTargets, GetLeader, GroupStat, ListAllGroups, ListOneGroup,
    ListStorage, QueryFetchAll, QueryFetchOne, QueryStoreWithGroupAll, QueryStoreWithGroupOne,
    QueryStoreWithoutGroupAll, QueryStoreWithoutGroupOne, QueryUpdate, ServerAddr, StorageStat,
    StoreTarget, StoreTargets, TrackerGetStatus, TrackerStatus,
};

/// Talks to the trackers of one cluster. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TrackerClient {
    trackers: Arc<[SocketAddr]>,
    pool: Pool,
    preferred: Arc<AtomicUsize>,
}

impl TrackerClient {
    /// A client for `trackers` (at least one), sharing `pool`.
    pub fn new(trackers: Vec<SocketAddr>, pool: Pool) -> Result<Self, ConnError> {
        if trackers.is_empty() {
            return Err(ConnError::Protocol("no tracker address given".into()));
        }
        Ok(Self { trackers: trackers.into(), pool, preferred: Arc::default() })
    }

    /// The tracker addresses, in configured order.
    pub fn trackers(&self) -> &[SocketAddr] {
        &self.trackers
    }

    /// Sends `req` to the preferred tracker, failing over to the next ones
    /// when a tracker cannot be reached.
    async fn call<R: Request + Sync>(&self, req: &R) -> Result<R::Response, ConnError> {
        let count = self.trackers.len();
        let start = self.preferred.load(Ordering::Relaxed) % count;
        let mut last_error = None;
        for step in 0..count {
            let index = (start + step) % count;
            let addr = self.trackers[index];
            match self.call_at(addr, req).await {
                Ok(value) => {
                    self.preferred.store(index, Ordering::Relaxed);
                    return Ok(value);
                }
                Err(e) if e.connection_reusable() => return Err(e),
                Err(e) => {
                    debug!(%addr, error = %e, "tracker unreachable, trying the next one");
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| ConnError::Protocol("no tracker".into())))
    }

    /// One tracker: retried once on a fresh connection if a pooled one died.
    async fn call_at<R: Request + Sync>(
        &self,
        addr: SocketAddr,
        req: &R,
    ) -> Result<R::Response, ConnError> {
        let mut conn = self.pool.get(addr).await?;
        let result = conn.conn().exchange(req, 0).await;
        match &result {
            Err(e) if conn.was_reused() && !e.connection_reusable() => {
                drop(conn);
                let mut fresh = self.pool.connect(addr).await?;
                let retry = fresh.conn().exchange(req, 0).await;
                fresh.finish(&retry);
                retry
            }
            _ => {
                conn.finish(&result);
                result
            }
        }
    }

    /// ACTIVE_TEST against every tracker; the addresses that answered.
    pub async fn active_trackers(&self) -> Vec<SocketAddr> {
        let mut alive = Vec::new();
        for &addr in self.trackers.iter() {
            if self.call_at(addr, &ActiveTest).await.is_ok() {
                alive.push(addr);
            }
        }
        alive
    }

    /// Where to upload: QUERY_STORE_WITH_GROUP_ONE when `group` is given,
    /// else QUERY_STORE_WITHOUT_GROUP_ONE.
    pub async fn query_store(&self, group: Option<&str>) -> Result<StoreTarget, ConnError> {
        let span = debug_span!("tracker.query_store", group);
        match group {
            Some(group) => {
                let req = QueryStoreWithGroupOne { group: group.to_string() };
                self.call(&req).instrument(span).await
            }
            None => self.call(&QueryStoreWithoutGroupOne).instrument(span).await,
        }
    }

    /// Every writable storage of the chosen group (QUERY_STORE_*_ALL).
    pub async fn query_store_all(&self, group: Option<&str>) -> Result<StoreTargets, ConnError> {
        let span = debug_span!("tracker.query_store_all", group);
        match group {
            Some(group) => {
                let req = QueryStoreWithGroupAll { group: group.to_string() };
                self.call(&req).instrument(span).await
            }
            None => self.call(&QueryStoreWithoutGroupAll).instrument(span).await,
        }
    }

    /// A storage that can serve `filename` for reading (QUERY_FETCH_ONE).
    pub async fn query_fetch(&self, group: &str, filename: &str) -> Result<FetchTarget, ConnError> {
        let req = QueryFetchOne { group: group.to_string(), filename: filename.to_string() };
        self.call(&req).instrument(debug_span!("tracker.query_fetch", group, filename)).await
    }

    /// Every storage that can serve `filename` (QUERY_FETCH_ALL).
    pub async fn query_fetch_all(
        &self,
        group: &str,
        filename: &str,
    ) -> Result<FetchTargets, ConnError> {
        let req = QueryFetchAll { group: group.to_string(), filename: filename.to_string() };
        self.call(&req).instrument(debug_span!("tracker.query_fetch_all", group, filename)).await
    }

    /// The storage to send changes of `filename` to: its source storage when
    /// available (QUERY_UPDATE).
    pub async fn query_update(
        &self,
        group: &str,
        filename: &str,
    ) -> Result<FetchTarget, ConnError> {
        let req = QueryUpdate { group: group.to_string(), filename: filename.to_string() };
        self.call(&req).instrument(debug_span!("tracker.query_update", group, filename)).await
    }

    /// Every group (SERVER_LIST_ALL_GROUPS).
    pub async fn list_groups(&self) -> Result<Vec<GroupStat>, ConnError> {
        Ok(self.call(&ListAllGroups).instrument(debug_span!("tracker.list_groups")).await?.0)
    }

    /// One group (SERVER_LIST_ONE_GROUP).
    pub async fn list_group(&self, group: &str) -> Result<GroupStat, ConnError> {
        let req = ListOneGroup { group: group.to_string() };
        self.call(&req).instrument(debug_span!("tracker.list_group", group)).await
    }

    /// The storages of a group, or only `storage_id` (SERVER_LIST_STORAGE).
    pub async fn list_storages(
        &self,
        group: &str,
        storage_id: Option<&str>,
    ) -> Result<Vec<StorageStat>, ConnError> {
        let req =
            ListStorage { group: group.to_string(), storage_id: storage_id.map(str::to_string) };
        Ok(self.call(&req).instrument(debug_span!("tracker.list_storages", group)).await?.0)
    }

    /// Removes an offline storage from a group, on every tracker (as
    /// fdfs_monitor does): returns each tracker's answer.
    pub async fn delete_storage(
        &self,
        group: &str,
        storage_id: &str,
    ) -> Vec<(SocketAddr, Result<(), ConnError>)> {
        let req = DeleteStorage { group: group.to_string(), storage_id: storage_id.to_string() };
        let mut out = Vec::new();
        for &addr in self.trackers.iter() {
            let result = self.call_at(addr, &req).await;
            out.push((addr, result.map(|_| ())));
        }
        out
    }

    /// The leader tracker's address (SERVER_GET_LEADER).
    pub async fn get_leader(&self) -> Result<ServerAddr, ConnError> {
        Ok(self.call(&GetLeader).instrument(debug_span!("tracker.get_leader")).await?.0)
    }

    /// One tracker's own status (TRACKER_GET_STATUS).
    pub async fn tracker_status(&self, addr: SocketAddr) -> Result<TrackerStatus, ConnError> {
        self.call_at(addr, &TrackerGetStatus).instrument(debug_span!("tracker.status", %addr)).await
    }
}

/// The socket address of a storage named in a tracker reply.
pub fn storage_socket_addr(addr: &ServerAddr) -> Result<SocketAddr, ConnError> {
    let ip: IpAddr = addr.ip.parse().map_err(|_| {
        ConnError::Protocol(format!("tracker named a storage at {addr}, not an IP"))
    })?;
    Ok(SocketAddr::new(ip, addr.port))
}
