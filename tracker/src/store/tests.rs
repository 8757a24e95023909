//! Store tests: round trips through a real file, migrations, pragmas, and
//! damaged rows.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use fdfs_protocol::tracker::{PathUsage, StorageStatBuff, StorageStatus, SyncTimestamp};

use super::schema::{MIGRATIONS, current_version};
use super::{Store, StoreError};
use crate::cluster::tests::bring_up;
use crate::cluster::{Cluster, RwMode};
use crate::config::StoreServer;

const T0: i64 = 1_700_000_000;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("fdfs-tracker-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("tracker.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Two groups, three storages in assorted states, stats, paths, a sync
/// source and sync timestamps.
fn sample() -> Cluster {
    let mut c = Cluster::new();
    bring_up(&mut c, "group1", "127.0.0.2", T0, 50_000);
    bring_up(&mut c, "group1", "127.0.0.3", T0 + 5, 60_000);
    bring_up(&mut c, "group2", "127.0.0.4", T0 + 9, 70_000);
    let stat = StorageStatBuff {
        total_upload_count: 42,
        success_sync_in_bytes: 1 << 40,
        ..Default::default()
    };
    c.beat("group1", "127.0.0.3", Some(&stat), T0 + 30).unwrap();
    let e = SyncTimestamp { src_id: "127.0.0.2".into(), timestamp: 1234 };
    c.sync_report("group1", "127.0.0.3", &[e], StoreServer::RoundRobin).unwrap();
    c.disconnect("group2", "127.0.0.4");
    let g = c.group_mut("group1").unwrap();
    g.storage_mut("127.0.0.2").unwrap().rw_mode = RwMode(RwMode::READ);
    g.current_read_server = 0;
    c.current_write_group = 1;
    c.check_invariants().unwrap();
    c
}

#[test]
fn round_trip_through_a_file() {
    let dir = TempDir::new();
    let cluster = sample();
    {
        let mut store = Store::open(dir.db()).unwrap();
        store.save_all(&cluster).unwrap();
    }
    let store = Store::open(dir.db()).unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded, cluster);
    let s = loaded.storage("group1", "127.0.0.3").unwrap();
    assert_eq!((s.stats.total_upload_count, s.last_synced_timestamp), (42, 1234));
    assert_eq!(s.sync_src_id.as_deref(), Some("127.0.0.2"));
}

#[test]
fn granular_writes_match_the_model() {
    let dir = TempDir::new();
    let mut cluster = sample();
    let mut store = Store::open(dir.db()).unwrap();
    store.save_all(&cluster).unwrap();

    // A new group and storage, written through group by group.
    bring_up(&mut cluster, "group3", "127.0.0.5", T0 + 50, 1);
    store.save_group(cluster.group("group3").unwrap()).unwrap();
    // Single rows.
    cluster.disconnect("group1", "127.0.0.3");
    store.upsert_storage(cluster.storage("group1", "127.0.0.3").unwrap()).unwrap();
    cluster.group_mut("group1").unwrap().set_sync_timestamp("127.0.0.3", "127.0.0.2", 99);
    store.set_sync_timestamp("group1", "127.0.0.3", "127.0.0.2", 99).unwrap();
    cluster.delete_storage("group1", "127.0.0.3").unwrap();
    store.save_group(cluster.group("group1").unwrap()).unwrap();
    cluster.delete_storage("group2", "127.0.0.4").unwrap();
    cluster.delete_group("group2").unwrap();
    store.delete_group("group2").unwrap();
    cluster.current_write_group = 0;
    store.save_cluster_state(&cluster).unwrap();
    assert_eq!(Store::open(dir.db()).unwrap().load().unwrap(), cluster);

    // Removing a storage row drops its timestamps with it.
    let g = cluster.group_mut("group1").unwrap();
    g.remove_storage("127.0.0.3");
    store.delete_storage("group1", "127.0.0.3").unwrap();
    assert_eq!(store.load().unwrap(), cluster);
    cluster.check_invariants().unwrap();
}

#[test]
fn schema_is_created_once() {
    let dir = TempDir::new();
    let store = Store::open(dir.db()).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as u32);
    assert_eq!(current_version(), MIGRATIONS.len() as u32);
    store.set_state("marker", b"kept").unwrap();
    drop(store);
    // Reopening applies nothing and keeps the data.
    let store = Store::open(dir.db()).unwrap();
    assert_eq!(store.schema_version().unwrap(), current_version());
    assert_eq!(store.state("marker").unwrap().as_deref(), Some(&b"kept"[..]));
    assert_eq!(store.state("absent").unwrap(), None);
    assert_eq!(store.load().unwrap(), Cluster::new());
    let mode: String = store.conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    let sync: i64 = store.conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
    assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL with synchronous = FULL");
    // A database from a newer build is refused, not mangled.
    store.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(store);
    match Store::open(dir.db()) {
        Err(StoreError::FutureSchema { found: 99, supported }) => {
            assert_eq!(supported, current_version())
        }
        other => panic!("expected FutureSchema, got {other:?}"),
    }
}

#[test]
fn damaged_rows_are_errors() {
    let dir = TempDir::new();
    let mut store = Store::open(dir.db()).unwrap();
    store.save_all(&sample()).unwrap();
    let cases = [
        "UPDATE storages SET status = 300",
        "UPDATE storages SET paths = x'0102'",
        "UPDATE storages SET stats = x'00'",
        "UPDATE storages SET port = -1",
        "UPDATE tracker_groups SET store_path_count = 70000",
    ];
    for sql in cases {
        let tx = store.conn.transaction().unwrap();
        tx.execute(sql, []).unwrap();
        assert!(matches!(rows_load(&tx), Err(StoreError::Corrupt(_))), "{sql}");
        tx.rollback().unwrap();
    }
    store.set_state("current_write_group", b"x").unwrap();
    assert!(matches!(store.load(), Err(StoreError::Corrupt(_))));
}

fn rows_load(conn: &rusqlite::Connection) -> Result<Cluster, StoreError> {
    super::rows::load_cluster(conn)
}

#[test]
fn paths_blob_round_trip() {
    let dir = TempDir::new();
    let mut c = Cluster::new();
    bring_up(&mut c, "group1", "127.0.0.2", T0, 5);
    let s = c.group_mut("group1").unwrap().storage_mut("127.0.0.2").unwrap();
    s.paths = vec![PathUsage { total_mb: i64::MAX, free_mb: -1 }; 3];
    s.status = StorageStatus::Recovery;
    let mut store = Store::open(dir.db()).unwrap();
    store.save_all(&c).unwrap();
    assert_eq!(store.load().unwrap(), c);
}
