//! Row ↔ model conversions: writing groups, storages and sync timestamps,
//! and loading them back into a [`Cluster`]. Every value read back is
//! range-checked: a damaged database is a [`StoreError::Corrupt`], never a
//! panic.

use std::collections::BTreeMap;

use fdfs_protocol::tracker::{PathUsage, StorageStatBuff, StorageStatus};
use fdfs_protocol::{Decode, Encode};
use rusqlite::{Connection, Row, params};

use super::StoreError;
use crate::cluster::{Cluster, Group, RwMode, Storage};

/// Bytes of one encoded store path: total_mb, free_mb (int64 BE).
const PATH_LEN: usize = 16;
/// Most store paths a storage can have.
const MAX_PATHS: usize = 256;

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

fn int<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T, StoreError> {
    T::try_from(v).map_err(|_| corrupt(format!("{what} = {v}")))
}

fn encode_paths(paths: &[PathUsage]) -> Vec<u8> {
    let mut out = Vec::with_capacity(paths.len() * PATH_LEN);
    for p in paths {
        out.extend_from_slice(&p.total_mb.to_be_bytes());
        out.extend_from_slice(&p.free_mb.to_be_bytes());
    }
    out
}

fn decode_paths(blob: &[u8]) -> Result<Vec<PathUsage>, StoreError> {
    if !blob.len().is_multiple_of(PATH_LEN) || blob.len() / PATH_LEN > MAX_PATHS {
        return Err(corrupt(format!("paths blob of {} bytes", blob.len())));
    }
    let be = |b: &[u8]| <[u8; 8]>::try_from(b).map(i64::from_be_bytes);
    blob.chunks_exact(PATH_LEN)
        .map(|c| {
            let (t, f) = c.split_at(8);
            match (be(t), be(f)) {
                (Ok(total_mb), Ok(free_mb)) => Ok(PathUsage { total_mb, free_mb }),
                _ => Err(corrupt("paths blob")),
            }
        })
        .collect()
}

pub(super) fn upsert_group(conn: &Connection, g: &Group) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO tracker_groups (name, storage_port, store_path_count, subdir_count,
             current_write_server, current_read_server, chg_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(name) DO UPDATE SET storage_port = excluded.storage_port,
             store_path_count = excluded.store_path_count, subdir_count = excluded.subdir_count,
             current_write_server = excluded.current_write_server,
             current_read_server = excluded.current_read_server, chg_count = excluded.chg_count",
        params![
            g.name,
            g.storage_port,
            g.store_path_count,
            g.subdir_count,
            g.current_write_server as i64,
            g.current_read_server as i64,
            g.chg_count as i64,
        ],
    )?;
    Ok(())
}

pub(super) fn upsert_storage(conn: &Connection, s: &Storage) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO storages (group_name, id, ip, port, status, rw_mode, version, join_time,
             up_time, store_path_count, subdir_count, paths, upload_priority,
             current_write_path, stats, last_heart_beat_time, sync_src_id,
             sync_until_timestamp, last_synced_timestamp)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
             ?18, ?19)
         ON CONFLICT(group_name, id) DO UPDATE SET ip = excluded.ip, port = excluded.port,
             status = excluded.status, rw_mode = excluded.rw_mode, version = excluded.version,
             join_time = excluded.join_time, up_time = excluded.up_time,
             store_path_count = excluded.store_path_count,
             subdir_count = excluded.subdir_count, paths = excluded.paths,
             upload_priority = excluded.upload_priority,
             current_write_path = excluded.current_write_path, stats = excluded.stats,
             last_heart_beat_time = excluded.last_heart_beat_time,
             sync_src_id = excluded.sync_src_id,
             sync_until_timestamp = excluded.sync_until_timestamp,
             last_synced_timestamp = excluded.last_synced_timestamp",
        params![
            s.group,
            s.id,
            s.ip,
            s.port,
            u8::from(s.status),
            s.rw_mode.0,
            s.version,
            s.join_time,
            s.up_time,
            s.store_path_count,
            s.subdir_count,
            encode_paths(&s.paths),
            s.upload_priority,
            s.current_write_path as i64,
            s.stats.to_body().to_vec(),
            s.last_heart_beat_time,
            s.sync_src_id,
            s.sync_until_timestamp,
            s.last_synced_timestamp,
        ],
    )?;
    Ok(())
}

pub(super) fn set_sync_timestamp(
    conn: &Connection,
    group: &str,
    src: &str,
    dest: &str,
    timestamp: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sync_timestamps (group_name, src_id, dest_id, timestamp)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(group_name, src_id, dest_id) DO UPDATE SET timestamp = excluded.timestamp",
        params![group, src, dest, timestamp],
    )?;
    Ok(())
}

/// Writes a group with exactly its storages and timestamps (call inside a
/// transaction).
pub(super) fn write_group(conn: &Connection, g: &Group) -> Result<(), StoreError> {
    upsert_group(conn, g)?;
    conn.execute("DELETE FROM storages WHERE group_name = ?1", params![g.name])?;
    for s in g.storages() {
        upsert_storage(conn, s)?;
    }
    for ((src, dest), ts) in g.sync_timestamps() {
        set_sync_timestamp(conn, &g.name, src, dest, *ts)?;
    }
    Ok(())
}

fn read_group(row: &Row<'_>) -> Result<Group, StoreError> {
    let name: String = row.get(0)?;
    let mut g = Group::new(&name);
    g.storage_port = int(row.get(1)?, "storage_port")?;
    g.store_path_count = int(row.get(2)?, "store_path_count")?;
    g.subdir_count = int(row.get(3)?, "subdir_count")?;
    g.current_write_server = int(row.get(4)?, "current_write_server")?;
    g.current_read_server = int(row.get(5)?, "current_read_server")?;
    g.chg_count = int(row.get(6)?, "chg_count")?;
    Ok(g)
}

fn read_storage(row: &Row<'_>) -> Result<Storage, StoreError> {
    let group: String = row.get(0)?;
    let id: String = row.get(1)?;
    let ip: String = row.get(2)?;
    let mut s = Storage::new(&group, &id, &ip, int(row.get(3)?, "port")?);
    s.status = StorageStatus::from(int::<u8>(row.get(4)?, "status")?);
    s.rw_mode = RwMode(int(row.get(5)?, "rw_mode")?);
    s.version = row.get(6)?;
    s.join_time = row.get(7)?;
    s.up_time = row.get(8)?;
    s.store_path_count = int(row.get(9)?, "store_path_count")?;
    s.subdir_count = int(row.get(10)?, "subdir_count")?;
    s.paths = decode_paths(&row.get::<_, Vec<u8>>(11)?)?;
    s.upload_priority = row.get(12)?;
    s.current_write_path = int(row.get(13)?, "current_write_path")?;
    let stats: Vec<u8> = row.get(14)?;
    s.stats = StorageStatBuff::decode(&stats).map_err(|e| corrupt(format!("stats: {e}")))?;
    s.last_heart_beat_time = row.get(15)?;
    s.sync_src_id = row.get(16)?;
    s.sync_until_timestamp = row.get(17)?;
    s.last_synced_timestamp = row.get(18)?;
    Ok(s)
}

/// Reads every group, storage and sync timestamp.
pub(super) fn load_cluster(conn: &Connection) -> Result<Cluster, StoreError> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT name, storage_port, store_path_count, subdir_count, current_write_server,
             current_read_server, chg_count FROM tracker_groups ORDER BY name",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let g = read_group(row)?;
        groups.insert(g.name.clone(), g);
    }
    // Rotation indexes are range-checked against the storages, so restore
    // them after the storages are in.
    let indexes: Vec<(String, usize, usize)> = groups
        .values()
        .map(|g| (g.name.clone(), g.current_write_server, g.current_read_server))
        .collect();

    let mut stmt = conn.prepare(
        "SELECT group_name, id, ip, port, status, rw_mode, version, join_time, up_time,
             store_path_count, subdir_count, paths, upload_priority, current_write_path, stats,
             last_heart_beat_time, sync_src_id, sync_until_timestamp, last_synced_timestamp
         FROM storages ORDER BY group_name, id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let s = read_storage(row)?;
        let g = groups.get_mut(&s.group).ok_or_else(|| corrupt(format!("group of {}", s.id)))?;
        g.insert_storage(s);
    }
    for (name, write, read) in indexes {
        if let Some(g) = groups.get_mut(&name) {
            g.current_write_server = write;
            g.current_read_server = read;
            g.fix_indexes();
        }
    }

    let mut stmt = conn.prepare(
        "SELECT group_name, src_id, dest_id, timestamp FROM sync_timestamps
         ORDER BY group_name, src_id, dest_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let group: String = row.get(0)?;
        let (src, dest): (String, String) = (row.get(1)?, row.get(2)?);
        if let Some(g) = groups.get_mut(&group) {
            g.set_sync_timestamp(&src, &dest, row.get(3)?);
        }
    }

    let mut cluster = Cluster::new();
    for g in groups.into_values() {
        cluster.insert_group(g).map_err(|_| corrupt("too many groups"))?;
    }
    Ok(cluster)
}
