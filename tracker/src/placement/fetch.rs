//! Routing for existing files: QUERY_FETCH_ONE (102), QUERY_FETCH_ALL (105)
//! and QUERY_UPDATE (103), from the file's decoded name
//! (`fastdfs-protocol.md` §4 "Download").
//!
//! Replication is asynchronous, so a peer may not have a file yet. A
//! storage is trusted with a normal file only when [`has_file`] says so;
//! appender and slave files (whose names do not tell their real content)
//! always go to their source.

use fdfs_protocol::Status;
use fdfs_protocol::filename::{FileKind, NameInfo, Source};
use fdfs_protocol::tracker::{FetchTarget, FetchTargets, ServerAddr};

use super::{pick_store_server, store_server};
use crate::cluster::{Cluster, Storage};
use crate::config::{DownloadServer, TrackerPolicy};

/// Whether `storage` is the file's source: its IP for names carrying an
/// address, its id for names carrying a numeric storage id.
pub fn is_source(storage: &Storage, source: Source) -> bool {
    match source {
        Source::Ip(addr) => storage.ip == addr.to_string(),
        Source::Id(id) => storage.id == id.get().to_string(),
    }
}

/// The readability rule: `storage` can serve the normal file `name` if it
/// is the source, or the file is older than `storage_sync_file_max_delay`,
/// or the storage has synced past the file's creation
/// (`last_synced_timestamp > ts`), or it has synced to within a second of
/// it and the file is older than `storage_sync_file_max_time`.
pub fn has_file(storage: &Storage, name: &NameInfo, policy: &TrackerPolicy, now: i64) -> bool {
    let ts = i64::from(name.create_time());
    let synced = storage.last_synced_timestamp;
    is_source(storage, name.source())
        || ts < now.saturating_sub(policy.storage_sync_file_max_delay)
        || synced > ts
        || (synced.saturating_add(1) >= ts
            && now.saturating_sub(ts) > policy.storage_sync_file_max_time)
}

/// Normal and trunk files carry their size in the name and may be served
/// by any peer that has them; appender and slave files only by the source.
fn is_normal(name: &NameInfo) -> bool {
    matches!(name.kind, FileKind::Normal | FileKind::Trunk)
}

fn addr(s: &Storage) -> ServerAddr {
    ServerAddr::new(&s.ip, s.port)
}

/// QUERY_FETCH_ONE (102): one readable storage that has the file.
///
/// Appender/slave files, and every file with `download_server = 1`, go to
/// the source when it is readable. Normal files otherwise rotate over the
/// readable storages from `current_read_server`, taking the first that
/// [`has_file`]. Failing both, FastDFS falls back to the group's store
/// server if it is readable (it may not have the file yet); `ENOENT` for
/// an unknown group or when nothing is readable.
pub fn fetch_one(
    cluster: &mut Cluster,
    policy: &TrackerPolicy,
    group: &str,
    name: &NameInfo,
    now: i64,
) -> Result<FetchTarget, Status> {
    let g = cluster.group_mut(group).ok_or(Status::ENOENT)?;
    let readable = g.readable();
    if readable.is_empty() {
        return Err(Status::ENOENT);
    }
    let target = |s: &Storage| FetchTarget { group: g.name.clone(), storage: addr(s) };
    let source_first = !is_normal(name) || policy.download_server == DownloadServer::SourceFirst;
    if source_first && let Some(s) = readable.iter().find(|s| is_source(s, name.source())) {
        return Ok(target(s));
    }
    if is_normal(name) {
        let len = readable.len();
        let start = if g.current_read_server < len { g.current_read_server } else { 0 };
        let hit = (0..len)
            .map(|k| (start + k) % len)
            .find(|&i| readable.get(i).is_some_and(|s| has_file(s, name, policy, now)));
        if let Some(i) = hit {
            let found = readable.get(i).map(|s| target(s)).ok_or(Status::ENOENT)?;
            g.current_read_server = (i + 1) % len;
            return Ok(found);
        }
    }
    match store_server(g, policy.store_server) {
        Some(s) if s.rw_mode.readable() => Ok(target(s)),
        _ => Err(Status::ENOENT),
    }
}

/// QUERY_FETCH_ALL (105): every readable storage that [`has_file`] (for
/// appender/slave files: the source if readable), falling back to the
/// store server like [`fetch_one`]; `ENOENT` when the list is empty.
pub fn fetch_all(
    cluster: &Cluster,
    policy: &TrackerPolicy,
    group: &str,
    name: &NameInfo,
    now: i64,
) -> Result<FetchTargets, Status> {
    let g = cluster.group(group).ok_or(Status::ENOENT)?;
    let readable = g.readable();
    if readable.is_empty() {
        return Err(Status::ENOENT);
    }
    let mut storages: Vec<ServerAddr> = if is_normal(name) {
        readable.iter().filter(|s| has_file(s, name, policy, now)).map(|s| addr(s)).collect()
    } else {
        readable.iter().filter(|s| is_source(s, name.source())).map(|s| addr(s)).collect()
    };
    if storages.is_empty()
        && let Some(s) = store_server(g, policy.store_server)
        && s.rw_mode.readable()
    {
        storages.push(addr(s));
    }
    if storages.is_empty() {
        return Err(Status::ENOENT);
    }
    Ok(FetchTargets { group: g.name.clone(), storages })
}

/// QUERY_UPDATE (103), used before delete, metadata, append, modify,
/// truncate and slave uploads: the file's source when it is ACTIVE and
/// writable, else any writable storage chosen by `store_server`. `ENOENT`
/// for an unknown group or when nothing is writable.
pub fn update(
    cluster: &mut Cluster,
    policy: &TrackerPolicy,
    group: &str,
    name: &NameInfo,
) -> Result<FetchTarget, Status> {
    let g = cluster.group_mut(group).ok_or(Status::ENOENT)?;
    let source = g.writable().into_iter().find(|s| is_source(s, name.source())).map(addr);
    let storage = match source {
        Some(a) => a,
        None => {
            let id = pick_store_server(g, policy.store_server).ok_or(Status::ENOENT)?;
            g.storage(&id).map(addr).ok_or(Status::ENOENT)?
        }
    };
    Ok(FetchTarget { group: g.name.clone(), storage })
}
