//! The tracker database schema as an ordered list of migrations.
//!
//! `PRAGMA user_version` holds how many migrations a database has applied;
//! [`migrate`] applies the missing ones in order, each in its own
//! transaction together with the version bump, so a crash leaves the
//! database at a whole version. Append new migrations; never edit one that
//! has shipped.

use rusqlite::Connection;

use super::StoreError;

/// Migration `i` takes a database from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: groups, storages, the sync timestamp matrix, tracker-level state.
    "CREATE TABLE tracker_groups (
        name TEXT PRIMARY KEY NOT NULL,
        storage_port INTEGER NOT NULL,
        store_path_count INTEGER NOT NULL,
        subdir_count INTEGER NOT NULL,
        current_write_server INTEGER NOT NULL,
        current_read_server INTEGER NOT NULL,
        chg_count INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE storages (
        group_name TEXT NOT NULL REFERENCES tracker_groups(name) ON DELETE CASCADE,
        id TEXT NOT NULL,
        ip TEXT NOT NULL,
        port INTEGER NOT NULL,
        status INTEGER NOT NULL,
        rw_mode INTEGER NOT NULL,
        version TEXT NOT NULL,
        join_time INTEGER NOT NULL,
        up_time INTEGER NOT NULL,
        store_path_count INTEGER NOT NULL,
        subdir_count INTEGER NOT NULL,
        -- n x (total_mb, free_mb), each int64 big-endian
        paths BLOB NOT NULL,
        upload_priority INTEGER NOT NULL,
        current_write_path INTEGER NOT NULL,
        -- the 348-byte FDFSStorageStatBuff wire encoding
        stats BLOB NOT NULL,
        last_heart_beat_time INTEGER NOT NULL,
        sync_src_id TEXT,
        sync_until_timestamp INTEGER NOT NULL,
        last_synced_timestamp INTEGER NOT NULL,
        PRIMARY KEY (group_name, id)
    ) STRICT;
    CREATE TABLE sync_timestamps (
        group_name TEXT NOT NULL,
        src_id TEXT NOT NULL,
        dest_id TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        PRIMARY KEY (group_name, src_id, dest_id),
        FOREIGN KEY (group_name, src_id) REFERENCES storages(group_name, id) ON DELETE CASCADE,
        FOREIGN KEY (group_name, dest_id) REFERENCES storages(group_name, id) ON DELETE CASCADE
    ) STRICT;
    CREATE TABLE tracker_state (
        key TEXT PRIMARY KEY NOT NULL,
        value BLOB NOT NULL
    ) STRICT;",
];

/// The schema version this build writes.
pub fn current_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// The database's schema version.
pub fn version(conn: &Connection) -> Result<u32, StoreError> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("user_version {v}")))
}

/// Applies every migration the database lacks. Refuses a database written
/// by a newer build.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found = version(conn)?;
    if found > current_version() {
        return Err(StoreError::FutureSchema { found, supported: current_version() });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
