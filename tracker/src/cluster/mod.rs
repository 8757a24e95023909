//! The in-memory cluster model: every group and storage the tracker knows,
//! and the operations that mirror what the tracker does on each
//! storage → tracker command (`fastdfs-protocol.md` §3.3, §6, §9).
//!
//! Operations take the current time as an argument (unix seconds) and never
//! read the clock, so the model is deterministic under test. They answer
//! with the wire [`Status`] a handler sends back on failure. The model holds
//! no locks and does no I/O: the server owns one [`Cluster`] behind a mutex
//! and writes each change through to the [`Store`](crate::store::Store).
//!
//! # Layout
//!
//! - [`model`]: the [`Storage`] and [`Group`] records.
//! - `join`: JOIN and the sync-source handshake (87, 79, 88, 86).
//! - `report`: beats, disk and sync reports, status reports, liveness.
//! - `admin`: deleting storages and groups.
//! - `stat`: snapshots shaped like the monitoring replies.

mod admin;
mod join;
pub mod model;
mod report;
mod stat;

#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;

use fdfs_protocol::Status;
use fdfs_protocol::consts::MAX_GROUPS;
use fdfs_protocol::tracker::StorageStatus;

pub use model::{Group, RwMode, Storage};
pub use stat::{GroupSnapshot, StorageSnapshot};

/// Every group the tracker knows, sorted by name (FastDFS `sorted_groups`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cluster {
    groups: BTreeMap<String, Group>,
    /// Index into the sorted groups of the next group to write to
    /// (`store_lookup` 0 and 2); kept in range by every mutation.
    pub current_write_group: usize,
}

impl Cluster {
    /// An empty cluster.
    pub fn new() -> Self {
        Self::default()
    }

    /// A group by name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    /// A group by name, mutable (for placement rotation and loading).
    pub fn group_mut(&mut self, name: &str) -> Option<&mut Group> {
        self.groups.get_mut(name)
    }

    /// Every group, sorted by name.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    pub(crate) fn groups_mut(&mut self) -> impl Iterator<Item = &mut Group> {
        self.groups.values_mut()
    }

    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// A storage by group and id.
    pub fn storage(&self, group: &str, id: &str) -> Option<&Storage> {
        self.groups.get(group).and_then(|g| g.storage(id))
    }

    /// Adds or replaces a group (loading from the store).
    pub fn insert_group(&mut self, group: Group) -> Result<(), Status> {
        if !self.groups.contains_key(&group.name) && self.groups.len() >= MAX_GROUPS {
            return Err(Status::ENOSPC);
        }
        self.groups.insert(group.name.clone(), group);
        self.fix_indexes();
        Ok(())
    }

    /// The group a storage joined, or `ENOENT`.
    pub(crate) fn member(&mut self, group: &str, id: &str) -> Result<&mut Group, Status> {
        match self.groups.get_mut(group) {
            Some(g) if g.storage(id).is_some() => Ok(g),
            _ => Err(Status::ENOENT),
        }
    }

    /// Whether storage `id` on `port` is a live (not DELETED) member of a
    /// group other than `group`.
    pub(crate) fn live_elsewhere(&self, group: &str, id: &str, port: u16) -> bool {
        self.groups.values().any(|g| {
            g.name != group
                && g.storage(id)
                    .is_some_and(|s| s.port == port && s.status != StorageStatus::Deleted)
        })
    }

    pub(crate) fn remove_group(&mut self, name: &str) -> Option<Group> {
        let g = self.groups.remove(name);
        self.fix_indexes();
        g
    }

    pub(crate) fn fix_indexes(&mut self) {
        if self.current_write_group >= self.groups.len() {
            self.current_write_group = 0;
        }
    }

    /// Checks the model's invariants: each storage is filed under its own
    /// id in the group it names, no live storage (id and port) is in two
    /// groups, statuses are known values, sync sources and timestamps name
    /// members, and every rotation index is in range. Returns the first
    /// violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        if !self.groups.is_empty() && self.current_write_group >= self.groups.len() {
            return Err(format!("current_write_group {} out of range", self.current_write_group));
        }
        for (name, g) in &self.groups {
            if &g.name != name {
                return Err(format!("group {} filed as {name}", g.name));
            }
            let (w, r) = (g.writable().len(), g.readable().len());
            if (w > 0 && g.current_write_server >= w) || (w == 0 && g.current_write_server != 0) {
                return Err(format!(
                    "{name}: current_write_server {} of {w}",
                    g.current_write_server
                ));
            }
            if (r > 0 && g.current_read_server >= r) || (r == 0 && g.current_read_server != 0) {
                return Err(format!(
                    "{name}: current_read_server {} of {r}",
                    g.current_read_server
                ));
            }
            for s in g.storages() {
                if s.group != *name {
                    return Err(format!("storage {} in {name} names group {}", s.id, s.group));
                }
                if g.storage(&s.id) != Some(s) {
                    return Err(format!("storage {} misfiled in {name}", s.id));
                }
                if matches!(s.status, StorageStatus::Unknown(_)) {
                    return Err(format!("storage {} has status {}", s.id, s.status));
                }
                if let Some(src) = &s.sync_src_id
                    && g.storage(src).is_none()
                {
                    return Err(format!("storage {} syncs from unknown {src}", s.id));
                }
            }
            let ids: Vec<&str> = g.storages().map(|s| s.id.as_str()).collect();
            for ((src, dest), _) in g.sync_timestamps() {
                if !ids.contains(&src.as_str()) || !ids.contains(&dest.as_str()) {
                    return Err(format!("{name}: sync timestamp {src}->{dest} of a non-member"));
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for g in self.groups.values() {
            for s in g.storages() {
                if s.status != StorageStatus::Deleted && !seen.insert((s.id.clone(), s.port)) {
                    return Err(format!("storage {} in more than one group", s.id));
                }
            }
        }
        Ok(())
    }
}
