//! The tracker's placement policies (`fastdfs-protocol.md` §4) as functions
//! over the [`Cluster`] model: where an upload goes (group, storage, store
//! path; QUERY_STORE 101/104/106/107) and who serves or updates an existing
//! file (QUERY_FETCH 102/105, QUERY_UPDATE 103).
//!
//! They do no I/O and never read the clock (`now` is passed in); they take
//! the model mutably only to advance the rotation pointers FastDFS keeps
//! (`current_write_group`, `current_write_server`, `current_read_server`,
//! `current_write_path`). Failures are the wire status: `ENOENT` for an
//! unknown group or no writable/readable storage, `ENOSPC` when nothing is
//! above `reserved_storage_space`.
//!
//! # Layout
//!
//! - this file: store queries ([`store_one`], [`store_all`]) and their
//!   three steps ([`lookup_group`], [`pick_store_server`],
//!   [`pick_store_path`]).
//! - [`fetch`]: download and update routing and the readability rule.

pub mod fetch;

#[cfg(test)]
mod tests;

use fdfs_protocol::Status;
use fdfs_protocol::tracker::{ServerAddr, StoreTarget, StoreTargets};

pub use fetch::{fetch_all, fetch_one, has_file, is_source, update};

use crate::cluster::{Cluster, Group, Storage};
use crate::config::{StoreLookup, StorePath, StoreServer, TrackerPolicy};

/// QUERY_STORE_*_ONE (101, 104): the group (`group`, or by `store_lookup`),
/// the storage (`store_server`) and the store path (`store_path`).
pub fn store_one(
    cluster: &mut Cluster,
    policy: &TrackerPolicy,
    group: Option<&str>,
) -> Result<StoreTarget, Status> {
    let name = lookup_group(cluster, policy, group)?;
    let g = cluster.group_mut(&name).ok_or(Status::ENOENT)?;
    let id = pick_store_server(g, policy.store_server).ok_or(Status::ENOENT)?;
    let store_path_index = pick_store_path(g, &id, policy)?;
    let s = g.storage(&id).ok_or(Status::ENOENT)?;
    Ok(StoreTarget { group: name, storage: ServerAddr::new(&s.ip, s.port), store_path_index })
}

/// QUERY_STORE_*_ALL (106, 107): every writable storage of the chosen
/// group; the store path is chosen on the first of them, as FastDFS does.
pub fn store_all(
    cluster: &mut Cluster,
    policy: &TrackerPolicy,
    group: Option<&str>,
) -> Result<StoreTargets, Status> {
    let name = lookup_group(cluster, policy, group)?;
    let g = cluster.group_mut(&name).ok_or(Status::ENOENT)?;
    let first = g.writable().first().map(|s| s.id.clone()).ok_or(Status::ENOENT)?;
    let store_path_index = pick_store_path(g, &first, policy)?;
    let storages = g.writable().iter().map(|s| ServerAddr::new(&s.ip, s.port)).collect();
    Ok(StoreTargets { group: name, storages, store_path_index })
}

/// The group an upload goes to.
///
/// A named group (or `store_lookup = 1`'s `store_group`) must exist and
/// have a writable storage (`ENOENT`) and space above the reserve
/// (`ENOSPC`). Otherwise, starting at `current_write_group` — which
/// `store_lookup = 2` first moves to the writable group with the most free
/// space — the first writable group with space is taken; `store_lookup = 0`
/// then advances the pointer. `ENOENT` if no group has a writable storage,
/// `ENOSPC` if none has space.
///
/// FastDFS moves the load-balance pointer only on disk reports; doing it
/// on each query picks the same group between reports and reacts to
/// status changes sooner.
pub fn lookup_group(
    cluster: &mut Cluster,
    policy: &TrackerPolicy,
    group: Option<&str>,
) -> Result<String, Status> {
    if cluster.group_count() == 0 {
        return Err(Status::ENOENT);
    }
    let reserve = policy.reserved_storage_space;
    let has_space = |g: &Group| {
        let (total, free) = g.space_mb();
        reserve.group_has_space(total, free)
    };
    let named = match (group, policy.store_lookup) {
        (Some(name), _) => Some(name),
        (None, StoreLookup::SpecifiedGroup) => Some(policy.store_group.as_str()),
        (None, _) => None,
    };
    if let Some(name) = named {
        let g = cluster.group(name).ok_or(Status::ENOENT)?;
        if g.writable().is_empty() {
            return Err(Status::ENOENT);
        }
        return if has_space(g) { Ok(g.name.clone()) } else { Err(Status::ENOSPC) };
    }

    let groups: Vec<&Group> = cluster.groups().collect();
    let mut start = cluster.current_write_group;
    if policy.store_lookup == StoreLookup::LoadBalance {
        let mut best: Option<(usize, i64)> = None;
        for (i, g) in groups.iter().enumerate() {
            let free = g.space_mb().1;
            if !g.writable().is_empty() && best.is_none_or(|(_, f)| free > f) {
                best = Some((i, free));
            }
        }
        if let Some((i, _)) = best {
            start = i;
        }
    }
    if start >= groups.len() {
        start = 0;
    }
    let n = groups.len();
    let mut any_writable = false;
    let mut found = None;
    for i in (0..n).map(|k| (start + k) % n) {
        let Some(g) = groups.get(i) else { continue };
        if g.writable().is_empty() {
            continue;
        }
        any_writable = true;
        if has_space(g) {
            found = Some((i, g.name.clone()));
            break;
        }
    }
    let Some((index, name)) = found else {
        return Err(if any_writable { Status::ENOSPC } else { Status::ENOENT });
    };
    cluster.current_write_group = index;
    if policy.store_lookup == StoreLookup::RoundRobin {
        cluster.current_write_group = (index + 1) % n;
    }
    Ok(name)
}

/// The writable storage of `group` an upload goes to (`store_server`), by
/// id: 0 rotates with `current_write_server`, 1 takes the first by id
/// (IP), 2 the lowest `upload_priority` (first by id on ties). `None` when
/// nothing is writable.
pub fn pick_store_server(group: &mut Group, policy: StoreServer) -> Option<String> {
    let writable = group.writable();
    let len = writable.len();
    let pick = match policy {
        StoreServer::RoundRobin => {
            let index =
                if group.current_write_server < len { group.current_write_server } else { 0 };
            let id = writable.get(index).map(|s| s.id.clone());
            if len > 0 {
                group.current_write_server = (index + 1) % len;
            }
            return id;
        }
        StoreServer::FirstByIp => writable.first().copied(),
        StoreServer::FirstByPriority => store_server(group, policy),
    };
    pick.map(|s| s.id.clone())
}

/// The storage FastDFS calls the group's store server, its fallback for
/// downloads: the lowest `upload_priority` writable storage with
/// `store_server = 2`, else the first writable one.
pub(crate) fn store_server(group: &Group, policy: StoreServer) -> Option<&Storage> {
    let writable = group.writable();
    if policy == StoreServer::FirstByPriority {
        writable
            .into_iter()
            .reduce(|a, b| if b.upload_priority < a.upload_priority { b } else { a })
    } else {
        writable.first().copied()
    }
}

/// The store path of storage `id` an upload goes to.
///
/// Starts at its `current_write_path`; a path at or below its share of the
/// reserve is skipped for the next one with space (which becomes current).
/// `store_path = 0` then advances `current_write_path`; with 2 it is moved
/// by disk reports. `ENOSPC` when no path has space, `ENOENT` when the
/// storage or its paths are unknown.
pub fn pick_store_path(group: &mut Group, id: &str, policy: &TrackerPolicy) -> Result<u8, Status> {
    let count = usize::from(group.store_path_count);
    let reserve = policy.reserved_storage_space;
    let s = group.storage_mut(id).ok_or(Status::ENOENT)?;
    let n = count.min(s.paths.len());
    if n == 0 {
        return Err(Status::ENOENT);
    }
    let fits =
        |i: usize| s.paths.get(i).is_some_and(|p| reserve.path_has_space(p.total_mb, p.free_mb, n));
    let mut index = if s.current_write_path < n { s.current_write_path } else { 0 };
    if !fits(index) {
        index = (1..n).map(|k| (index + k) % n).find(|&i| fits(i)).ok_or(Status::ENOSPC)?;
        s.current_write_path = index;
    }
    if policy.store_path == StorePath::RoundRobin {
        s.current_write_path = (index + 1) % n;
    }
    u8::try_from(index).map_err(|_| Status::EINVAL)
}
