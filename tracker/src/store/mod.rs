//! SQLite persistence of the cluster model, so a restarted tracker comes
//! back with the groups, storages and sync progress it knew.
//!
//! One database file, opened in WAL mode with `synchronous = FULL`: every
//! committed write is fsynced to the WAL before the call returns, so an
//! acknowledged change survives power loss, not only a process crash.
//! (NORMAL would skip that fsync and could lose the last commits on power
//! loss; the tracker writes rarely — joins, status changes, reports every
//! few seconds per storage — so FULL costs little.) The schema is versioned
//! with `PRAGMA user_version` and migrated at [`Store::open`]
//! ([`schema`]).
//!
//! **SQLite calls block.** The async server must call every method here
//! off its runtime threads: from `tokio::task::spawn_blocking`, or — the
//! intended design — from one dedicated writer thread fed by a channel,
//! which also keeps writes in order.
//!
//! Write-through granularity: [`Store::save_group`] writes one group with
//! its storages and sync timestamps in one transaction (what the server
//! calls after an operation changed a group); [`Store::upsert_storage`],
//! [`Store::set_sync_timestamp`] and friends write single rows (a storage
//! row needs its group row first); [`Store::save_all`] replaces everything
//! with a snapshot.
//!
//! # Layout
//!
//! - this file: [`Store`], [`StoreError`], the save operations.
//! - [`schema`]: the migrations.
//! - `rows`: row ↔ model conversions and [`Store::load`].

pub mod schema;

mod rows;
#[cfg(test)]
mod tests;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::cluster::{Cluster, Group, Storage};

/// Key of the cluster's `current_write_group` in the state table.
const CURRENT_WRITE_GROUP: &str = "current_write_group";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A row holds a value the model cannot represent.
    #[error("corrupt tracker database: {0}")]
    Corrupt(String),
    /// The file was written by a newer build.
    #[error("tracker database schema version {found} is newer than supported {supported}")]
    FutureSchema { found: u32, supported: u32 },
}

/// The tracker's database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, switches it to
    /// WAL with `synchronous = FULL`, and applies missing migrations.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!("journal_mode is {mode}, not wal")));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut conn)?;
        Ok(Self { conn })
    }

    /// The database's schema version.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema::version(&self.conn)
    }

    /// Inserts or updates a group's own row (not its storages).
    pub fn upsert_group(&self, group: &Group) -> Result<(), StoreError> {
        rows::upsert_group(&self.conn, group)
    }

    /// Deletes a group with its storages and sync timestamps.
    pub fn delete_group(&self, name: &str) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM tracker_groups WHERE name = ?1", params![name])?;
        Ok(())
    }

    /// Inserts or updates one storage; its group's row must exist.
    pub fn upsert_storage(&self, storage: &Storage) -> Result<(), StoreError> {
        rows::upsert_storage(&self.conn, storage)
    }

    /// Deletes one storage and its sync timestamps.
    pub fn delete_storage(&self, group: &str, id: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM storages WHERE group_name = ?1 AND id = ?2",
            params![group, id],
        )?;
        Ok(())
    }

    /// Records `dest`'s sync timestamp for files from `src`; both must be
    /// stored members of `group`.
    pub fn set_sync_timestamp(
        &self,
        group: &str,
        src: &str,
        dest: &str,
        timestamp: i64,
    ) -> Result<(), StoreError> {
        rows::set_sync_timestamp(&self.conn, group, src, dest, timestamp)
    }

    /// Writes one group — its row, every storage, its whole sync matrix —
    /// in one transaction, dropping stored storages and timestamps it no
    /// longer has.
    pub fn save_group(&mut self, group: &Group) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        rows::write_group(&tx, group)?;
        tx.commit()?;
        Ok(())
    }

    /// Saves the cluster-level state (the group rotation pointer).
    pub fn save_cluster_state(&self, cluster: &Cluster) -> Result<(), StoreError> {
        self.set_state(CURRENT_WRITE_GROUP, cluster.current_write_group.to_string().as_bytes())
    }

    /// Replaces the whole database content with `cluster`, atomically.
    pub fn save_all(&mut self, cluster: &Cluster) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM tracker_groups", [])?;
        for group in cluster.groups() {
            rows::write_group(&tx, group)?;
        }
        tx.execute(
            "INSERT INTO tracker_state (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![CURRENT_WRITE_GROUP, cluster.current_write_group.to_string().as_bytes()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Sets a tracker-level value (e.g. restart bookkeeping).
    pub fn set_state(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO tracker_state (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// A tracker-level value, `None` if never set.
    pub fn state(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM tracker_state WHERE key = ?1", params![key], |r| r.get(0))
            .optional()?)
    }

    /// Loads the whole cluster model.
    pub fn load(&self) -> Result<Cluster, StoreError> {
        let mut cluster = rows::load_cluster(&self.conn)?;
        if let Some(v) = self.state(CURRENT_WRITE_GROUP)? {
            let text = String::from_utf8_lossy(&v);
            cluster.current_write_group = text
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("{CURRENT_WRITE_GROUP} = {text:?}")))?;
            cluster.fix_indexes();
        }
        Ok(cluster)
    }
}
