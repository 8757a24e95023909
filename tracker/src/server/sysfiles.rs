//! The "system files" one tracker hands another (GET_ONE_SYS_FILE, 63), so
//! a tracker starting with an empty data directory learns the cluster from
//! a running one before it takes part in the election — the export a
//! running tracker serves and the import the fresh one loads, kept together
//! so the two cannot drift apart.
//!
//! FastDFS ships its own `.dat` files; fdfs ships the same four slots as
//! text exports of its model. Each non-empty file starts with a header line
//! `#fdfs-sysfile v1 <kind>` (an importer refuses a kind or version it does
//! not know), then one record per line, fields separated by tabs:
//!
//! - 0 groups: `name storage_port store_path_count subdir_count`;
//! - 1 storages: `group id ip port status rw_mode version join_time
//!   store_path_count subdir_count upload_priority sync_src_id
//!   sync_until_timestamp last_synced_timestamp` (an empty `sync_src_id`
//!   means none);
//! - 2 sync timestamps: `group src_id dest_id timestamp`;
//! - 3 the IP-change log: always empty (fdfs keeps none).
//!
//! Only slowly changing facts are exported — no heartbeat times, disk
//! space or counters — so a file fetched in several chunks stays the same
//! between them; the storages report the rest when they rejoin. Text fields
//! never hold a tab or a line break (a storage's version string is the only
//! free text; control characters in it are exported as `?`).

use std::fmt::Write;

use fdfs_protocol::consts::{IP_ADDRESS_SIZE, MAX_SERVERS_EACH_GROUP, VERSION_SIZE};
use fdfs_protocol::file_id::validate_group_name;
use fdfs_protocol::tracker::{StorageStatus, validate_storage_id};

use super::state::TrackerState;
use crate::cluster::{Cluster, Group, RwMode, Storage};

/// The number of system files.
pub const SYS_FILE_COUNT: u8 = 4;

/// The format version written in every header.
const VERSION: &str = "v1";

/// What each file index holds, as named in its header.
const KINDS: [&str; SYS_FILE_COUNT as usize] = ["groups", "storages", "sync-timestamps", ""];

/// Most store paths and subdirectories a storage can announce.
const MAX_PATHS: u16 = 256;

/// Why a set of system files could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("system file {file}, line {line}: {reason}")]
pub struct ImportError {
    /// The file index.
    pub file: u8,
    /// 1-based line number (0: the file as a whole).
    pub line: usize,
    pub reason: String,
}

/// The content of system file `index`, or `None` for an unknown index.
pub fn export(state: &TrackerState, index: u8) -> Option<Vec<u8>> {
    state.with_cluster(|c| export_cluster(c, index))
}

/// System file `index` of `cluster`, or `None` for an unknown index.
pub fn export_cluster(cluster: &Cluster, index: u8) -> Option<Vec<u8>> {
    let kind = KINDS.get(usize::from(index))?;
    let mut out = String::new();
    if !kind.is_empty() {
        let _ = writeln!(out, "#fdfs-sysfile {VERSION} {kind}");
    }
    match index {
        0 => {
            for g in cluster.groups() {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    g.name, g.storage_port, g.store_path_count, g.subdir_count
                );
            }
        }
        1 => {
            for s in cluster.groups().flat_map(|g| g.storages()) {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    s.group,
                    s.id,
                    s.ip,
                    s.port,
                    u8::from(s.status),
                    s.rw_mode.0,
                    printable(&s.version),
                    s.join_time,
                    s.store_path_count,
                    s.subdir_count,
                    s.upload_priority,
                    s.sync_src_id.as_deref().unwrap_or(""),
                    s.sync_until_timestamp,
                    s.last_synced_timestamp,
                );
            }
        }
        2 => {
            for g in cluster.groups() {
                for ((src, dest), ts) in g.sync_timestamps() {
                    let _ = writeln!(out, "{}\t{src}\t{dest}\t{ts}", g.name);
                }
            }
        }
        _ => {}
    }
    Some(out.into_bytes())
}

fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// Builds a cluster from the four system files of another tracker. Every
/// field is checked; the result satisfies the model's invariants or the
/// import fails as a whole. Statuses are taken as exported: the caller
/// marks storages disconnected, as after a restart.
pub fn import(files: &[Vec<u8>]) -> Result<Cluster, ImportError> {
    let file = |index: u8| files.get(usize::from(index)).map_or(&[][..], Vec::as_slice);
    let mut cluster = Cluster::new();
    for (line, fields) in records(0, file(0))? {
        let err = |reason: String| ImportError { file: 0, line, reason };
        let [name, port, paths, subdirs] = take::<4>(&fields).map_err(err)?;
        validate_group_name(name).map_err(|e| err(e.to_string()))?;
        if cluster.group(name).is_some() {
            return Err(err(format!("group {name} listed twice")));
        }
        let mut group = Group::new(name);
        group.storage_port = parse(port, "storage_port").map_err(err)?;
        group.store_path_count = parse(paths, "store_path_count").map_err(err)?;
        group.subdir_count = parse(subdirs, "subdir_count").map_err(err)?;
        cluster.insert_group(group).map_err(|s| err(format!("too many groups ({s})")))?;
    }
    for (line, fields) in records(1, file(1))? {
        let err = |reason: String| ImportError { file: 1, line, reason };
        let storage = storage(&fields).map_err(err)?;
        let group = cluster
            .group_mut(&storage.group)
            .ok_or_else(|| err(format!("unknown group {}", storage.group)))?;
        if group.storage(&storage.id).is_some() {
            return Err(err(format!("storage {} listed twice", storage.id)));
        }
        if group.storage_count() >= MAX_SERVERS_EACH_GROUP {
            return Err(err(format!("more than {MAX_SERVERS_EACH_GROUP} storages")));
        }
        group.insert_storage(storage);
    }
    for (line, fields) in records(2, file(2))? {
        let err = |reason: String| ImportError { file: 2, line, reason };
        let [name, src, dest, ts] = take::<4>(&fields).map_err(err)?;
        let timestamp: i64 = parse(ts, "timestamp").map_err(err)?;
        let group = cluster.group_mut(name).ok_or_else(|| err(format!("unknown group {name}")))?;
        if group.storage(src).is_none() || group.storage(dest).is_none() || src == dest {
            return Err(err(format!("sync timestamp {src} -> {dest} of a non-member")));
        }
        group.set_sync_timestamp(src, dest, timestamp);
    }
    cluster.check_invariants().map_err(|reason| ImportError { file: 1, line: 0, reason })?;
    Ok(cluster)
}

/// The records of file `index` after its header, with their line numbers.
fn records(index: u8, bytes: &[u8]) -> Result<Vec<(usize, Vec<&str>)>, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError {
        file: index,
        line: 0,
        reason: format!("not UTF-8: {e}"),
    })?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let kind = KINDS.get(usize::from(index)).copied().unwrap_or("");
    match lines.next() {
        None => return Ok(Vec::new()),
        Some((_, header)) if header == format!("#fdfs-sysfile {VERSION} {kind}") => {}
        Some((line, header)) => {
            return Err(ImportError {
                file: index,
                line,
                reason: format!("unknown header {:?}", truncated(header)),
            });
        }
    }
    Ok(lines.filter(|(_, l)| !l.is_empty()).map(|(n, l)| (n, l.split('\t').collect())).collect())
}

fn truncated(text: &str) -> &str {
    text.char_indices().nth(64).map_or(text, |(i, _)| &text[..i])
}

/// The fields of a record with exactly `N` of them.
fn take<'a, const N: usize>(fields: &[&'a str]) -> Result<[&'a str; N], String> {
    <[&str; N]>::try_from(fields).map_err(|_| format!("{} fields, expected {N}", fields.len()))
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{what} = {:?}", truncated(text)))
}

/// One storage record, checked.
fn storage(fields: &[&str]) -> Result<Storage, String> {
    let [
        group,
        id,
        ip,
        port,
        status,
        rw_mode,
        version,
        join_time,
        paths,
        subdirs,
        priority,
        src,
        until,
        synced,
    ] = take::<14>(fields)?;
    validate_group_name(group).map_err(|e| e.to_string())?;
    validate_storage_id(id).map_err(|e| e.to_string())?;
    if ip.is_empty() || ip.len() >= IP_ADDRESS_SIZE || !ip.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("ip = {:?}", truncated(ip)));
    }
    let port: u16 = parse(port, "port")?;
    let status = StorageStatus::from(parse::<u8>(status, "status")?);
    if matches!(status, StorageStatus::Unknown(_)) {
        return Err(format!("status = {status}"));
    }
    if version.len() > VERSION_SIZE {
        return Err(format!("version = {:?}", truncated(version)));
    }
    let store_path_count: u16 = parse(paths, "store_path_count")?;
    let subdir_count: u16 = parse(subdirs, "subdir_count")?;
    if store_path_count > MAX_PATHS || subdir_count > MAX_PATHS {
        return Err(format!("{store_path_count} store paths, {subdir_count} subdirectories"));
    }
    if !src.is_empty() {
        validate_storage_id(src).map_err(|e| e.to_string())?;
    }
    let mut s = Storage::new(group, id, ip, port);
    s.status = status;
    s.rw_mode = RwMode(parse(rw_mode, "rw_mode")?);
    s.version = version.to_string();
    s.join_time = parse(join_time, "join_time")?;
    s.store_path_count = store_path_count;
    s.subdir_count = subdir_count;
    s.upload_priority = parse(priority, "upload_priority")?;
    s.sync_src_id = (!src.is_empty()).then(|| src.to_string());
    s.sync_until_timestamp = parse(until, "sync_until_timestamp")?;
    s.last_synced_timestamp = parse(synced, "last_synced_timestamp")?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Cluster {
        let mut cluster = Cluster::new();
        for (name, ids) in
            [("group1", ["10.0.0.1", "10.0.0.2"]), ("group2", ["10.0.1.1", "10.0.1.2"])]
        {
            let mut g = Group::new(name);
            g.storage_port = 23000;
            g.store_path_count = 2;
            g.subdir_count = 256;
            for (i, id) in ids.into_iter().enumerate() {
                let mut s = Storage::new(name, id, id, 23000);
                s.status = if i == 0 { StorageStatus::Active } else { StorageStatus::WaitSync };
                s.version = "6.16.1".into();
                s.join_time = 1_700_000_000 + i as i64;
                s.store_path_count = 2;
                s.subdir_count = 256;
                s.upload_priority = 10;
                s.rw_mode = RwMode(RwMode::READ);
                if i == 1 {
                    s.sync_src_id = Some(ids[0].to_string());
                    s.sync_until_timestamp = 1_700_000_100;
                }
                s.last_synced_timestamp = 1_700_000_050;
                g.insert_storage(s);
            }
            g.set_sync_timestamp(ids[0], ids[1], 1_700_000_060);
            g.set_sync_timestamp(ids[1], ids[0], 1_700_000_070);
            cluster.insert_group(g).unwrap();
        }
        cluster
    }

    fn files(cluster: &Cluster) -> Vec<Vec<u8>> {
        (0..SYS_FILE_COUNT).map(|i| export_cluster(cluster, i).unwrap()).collect()
    }

    #[test]
    fn round_trip() {
        let cluster = sample();
        let imported = import(&files(&cluster)).unwrap();
        assert_eq!(imported, cluster);
        assert!(export_cluster(&cluster, 3).unwrap().is_empty());
        assert!(export_cluster(&cluster, SYS_FILE_COUNT).is_none());
    }

    #[test]
    fn empty_cluster_and_missing_files() {
        let imported = import(&files(&Cluster::new())).unwrap();
        assert_eq!(imported.group_count(), 0);
        assert_eq!(import(&[]).unwrap().group_count(), 0);
    }

    #[test]
    fn version_text_cannot_break_records() {
        let mut cluster = sample();
        let g = cluster.group_mut("group1").unwrap();
        let mut s = g.storage("10.0.0.1").unwrap().clone();
        s.version = "6.\t1\n".into();
        g.insert_storage(s);
        let imported = import(&files(&cluster)).unwrap();
        assert_eq!(imported.storage("group1", "10.0.0.1").unwrap().version, "6.?1?");
    }

    #[test]
    fn rejects_damaged_files() {
        let good = files(&sample());
        let damaged = |index: usize, text: &str| {
            let mut f = good.clone();
            f[index] = text.as_bytes().to_vec();
            import(&f)
        };
        assert!(damaged(0, "#fdfs-sysfile v9 groups\n").is_err());
        assert!(damaged(0, "group1\t23000\t2\t256\n").is_err());
        assert!(damaged(0, "#fdfs-sysfile v1 groups\ngroup 1\t23000\t2\t256\n").is_err());
        assert!(damaged(0, "#fdfs-sysfile v1 groups\ngroup1\t70000\t2\t256\n").is_err());
        assert!(damaged(0, "#fdfs-sysfile v1 groups\ngroup1\t1\t2\n").is_err());
        // Storages of a group that is no longer listed.
        assert!(damaged(0, "#fdfs-sysfile v1 groups\ngroup1\t23000\t2\t256\n").is_err());
        let storages = String::from_utf8(good[1].clone()).unwrap();
        assert!(damaged(1, &storages.replace("\t7\t", "\t42\t")).is_err());
        assert!(damaged(1, &storages.replace("10.0.0.1\t10.0.0.1", "10.0.0.1\t")).is_err());
        let line = "group1\t10.0.0.9\t10.0.0.9\t23000\t7\t6\tv\t0\t1\t1\t0\t10.0.0.8\t0\t0";
        assert!(damaged(1, &format!("{storages}{line}\n")).is_err(), "unknown sync source");
        assert!(
            damaged(2, "#fdfs-sysfile v1 sync-timestamps\ngroup1\t10.0.0.1\t10.0.9.9\t5\n")
                .is_err()
        );
        assert!(damaged(2, "#fdfs-sysfile v1 sync-timestamps\ngroup1\tx\n").is_err());
        let mut bad_utf8 = good.clone();
        bad_utf8[0] = vec![0xff, 0xfe];
        assert!(import(&bad_utf8).is_err());
    }
}
