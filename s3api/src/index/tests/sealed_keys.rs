//! Secrets at rest: sealed in the file, clear secrets of an older index
//! sealed by the first opener with the master key, and the files private.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rusqlite::Connection;

use crate::crypto::MasterKey;
use crate::index::private::files_of;
use crate::index::{AccessKey, Index, schema};

const SECRET: &str = "a-very-secret-secret-1234567890";

fn key(id: &str) -> AccessKey {
    AccessKey {
        access_key_id: id.into(),
        secret: SECRET.into(),
        owner: "alice".into(),
        admin: false,
        created_ms: 7,
    }
}

/// Whether the database or its WAL holds `needle` anywhere.
fn files_contain(db: &Path, needle: &str) -> bool {
    files_of(db)
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .any(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

#[test]
fn secrets_are_sealed_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.db");
    let master = MasterKey::generate();
    let mut index = Index::open(&path).unwrap();
    index.create_access_key(&key("AK1"), &master).unwrap();
    assert!(!files_contain(&path, SECRET), "the secret is in the file in clear");
    let stored: Vec<u8> = Connection::open(&path)
        .unwrap()
        .query_row("SELECT sealed_secret FROM access_keys", [], |r| r.get(0))
        .unwrap();
    assert!(!stored.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
    assert_eq!(index.get_access_key("AK1", &master).unwrap().unwrap().secret, SECRET);
    drop(index);
    // A copy of the file without the master key opens no secret.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    let mut copied = Index::open(&copy).unwrap();
    assert!(copied.get_access_key("AK1", &MasterKey::generate()).is_err());
}

#[test]
fn clear_secrets_of_an_older_index_are_sealed_and_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.db");
    // A schema 2 index as an older build wrote it: the secret in clear.
    drop(Index::open_with_migrations(&path, &schema::MIGRATIONS[..2]).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO access_keys (access_key_id, secret, owner, created_ms)
         VALUES ('OLD', ?1, 'owner', 1)",
        [SECRET],
    )
    .unwrap();
    drop(conn);
    assert!(files_contain(&path, SECRET));

    let master = MasterKey::generate();
    let mut index = Index::open(&path).unwrap();
    // Still usable before sealing: an upgrade never locks a key out.
    assert_eq!(index.get_access_key("OLD", &master).unwrap().unwrap().secret, SECRET);
    assert_eq!(index.seal_clear_secrets(&master).unwrap(), 1);
    assert_eq!(index.seal_clear_secrets(&master).unwrap(), 0);
    let opened = index.get_access_key("OLD", &master).unwrap().unwrap();
    assert_eq!((opened.secret.as_str(), opened.admin), (SECRET, false));
    assert!(!files_contain(&path, SECRET), "a clear copy of the secret is left in the files");
    drop(index);
    let mut index = Index::open(&path).unwrap();
    assert_eq!(index.get_access_key("OLD", &master).unwrap().unwrap().secret, SECRET);
    assert!(index.get_access_key("OLD", &MasterKey::generate()).is_err());
}

#[test]
fn files_are_private_whatever_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let gw = dir.path().join("gw");
    std::fs::create_dir(&gw).unwrap();
    std::fs::set_permissions(&gw, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = gw.join("index.db");
    let mut index = Index::open(&path).unwrap();
    index.create_access_key(&key("AK1"), &MasterKey::generate()).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&gw), 0o700);
    for file in files_of(&path) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}
