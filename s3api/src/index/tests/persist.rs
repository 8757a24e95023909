//! Persistence across reopen, the migration mechanism, and refusals.

use rusqlite::Connection;

use super::{bucket, open, parts, single};
use crate::index::{Index, IndexError, ObjectData, RetryPolicy, schema};

#[test]
fn state_survives_reopen() {
    let (dir, mut index) = open();
    let path = dir.path().join("index.db");
    bucket(&mut index, "b");
    index.put_object("b", "k", &parts(&["p1", "p2"], 4), None).unwrap();
    index.put_object("b", "k", &single("s", 1), None).unwrap();
    let upload = index.create_upload("b", "u", &Default::default(), 5).unwrap();
    drop(index);
    let mut index = Index::open(&path).unwrap();
    assert_eq!(index.schema_version().unwrap(), schema::current_version());
    assert_eq!(index.get_object("b", "k").unwrap().info.size, 1);
    assert_eq!(index.get_upload("b", "u", &upload).unwrap().created_ms, 5);
    let queued = index.take_deletes(10, 10_000, &RetryPolicy::default()).unwrap();
    assert_eq!(queued.iter().map(|d| d.file_id.as_str()).collect::<Vec<_>>(), vec!["p1", "p2"]);
}

#[test]
fn migrations_apply_in_order_and_keep_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.db");
    // A database at version 1 with data in it, written as version 1 did.
    let mut index = Index::open_with_migrations(&path, &schema::MIGRATIONS[..1]).unwrap();
    bucket(&mut index, "b");
    drop(index);
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "INSERT INTO objects (bucket_id, key, file_id, part_count, size, etag,
                 last_modified_ms, user_meta, checksums)
             VALUES ((SELECT id FROM buckets WHERE name = 'b'), CAST('k' AS BLOB), 'f', 0, 3,
                 '\"e\"', 0, X'', X'');
             INSERT INTO files (file_id, refcount) VALUES ('f', 1);",
        )
        .unwrap();
    // A build with one more migration upgrades it and keeps the rows.
    let mut next: Vec<&str> = schema::MIGRATIONS.to_vec();
    next.push(
        "ALTER TABLE objects ADD COLUMN tagging BLOB; CREATE TABLE extra (x INTEGER) STRICT;",
    );
    let mut index = Index::open_with_migrations(&path, &next).unwrap();
    assert_eq!(index.schema_version().unwrap(), next.len() as u32);
    let old = index.get_object("b", "k").unwrap();
    assert_eq!((old.info.size, old.info.meta.encryption), (3, None));
    drop(index);
    // The older build refuses the newer file.
    match Index::open(&path) {
        Err(IndexError::FutureSchema { found, supported }) => {
            assert_eq!((found, supported), (next.len() as u32, schema::current_version()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn manifests_written_before_part_checksums_read_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.db");
    let mut index = Index::open_with_migrations(&path, &schema::MIGRATIONS[..1]).unwrap();
    bucket(&mut index, "b");
    drop(index);
    // A multipart object as version 1 stored it: no checksum column.
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "INSERT INTO objects (bucket_id, key, file_id, part_count, size, etag, last_modified_ms,
             user_meta, checksums)
         VALUES ((SELECT id FROM buckets WHERE name = 'b'), CAST('m' AS BLOB), NULL, 2, 8,
             '\"m-2\"', 0, X'', X'');
         INSERT INTO object_parts (object_id, idx, part_number, file_id, size, etag)
         VALUES (last_insert_rowid(), 0, 1, 'p1', 4, 'e1'), (last_insert_rowid(), 1, 2, 'p2', 4, 'e2');",
    )
    .unwrap();
    drop(conn);
    let mut index = Index::open(&path).unwrap();
    assert_eq!(index.schema_version().unwrap(), schema::current_version());
    let object = index.get_object("b", "m").unwrap();
    let ObjectData::Parts(old) = object.data else { panic!("{object:?}") };
    assert_eq!(old.iter().map(|p| p.file_id.as_str()).collect::<Vec<_>>(), ["p1", "p2"]);
    assert!(old.iter().all(|p| p.checksums.is_empty()));
    // New manifests keep theirs.
    index.put_object("b", "n", &parts(&["q1", "q2"], 4), None).unwrap();
    let ObjectData::Parts(parts) = index.get_object("b", "n").unwrap().data else { panic!() };
    assert_eq!(parts[1].checksums.get("CRC32").map(String::as_str), Some("p1=="));
}

#[test]
fn failed_migration_rolls_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.db");
    drop(Index::open(&path).unwrap());
    let mut broken: Vec<&str> = schema::MIGRATIONS.to_vec();
    broken.push("CREATE TABLE half (x INTEGER); THIS IS NOT SQL;");
    assert!(matches!(Index::open_with_migrations(&path, &broken), Err(IndexError::Sqlite(_))));
    let index = Index::open(&path).unwrap();
    assert_eq!(index.schema_version().unwrap(), schema::current_version());
    let half: bool = index
        .conn
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'half')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(!half);
}

#[test]
fn refuses_a_foreign_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tracker.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER); PRAGMA user_version = 3;").unwrap();
    drop(conn);
    assert!(matches!(Index::open(&path), Err(IndexError::NotAnIndex(0))));
}

#[test]
fn reader_connections_see_commits_and_cannot_write() {
    let (dir, mut index) = open();
    let path = dir.path().join("index.db");
    bucket(&mut index, "b");
    let mut reader = Index::open_reader(&path).unwrap();
    index.put_object("b", "k", &single("f", 2), None).unwrap();
    assert_eq!(reader.head_object("b", "k").unwrap().size, 2);
    assert!(matches!(
        reader.put_object("b", "x", &single("g", 1), None),
        Err(IndexError::Sqlite(_))
    ));
    assert!(matches!(
        Index::open_reader(dir.path().join("missing.db")),
        Err(IndexError::Sqlite(_))
    ));
}
