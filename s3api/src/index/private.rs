//! The index's files are credentials files: the access keys live in them
//! (sealed, but the buckets, keys and file IDs of every tenant too). The
//! directory is made 0700 and `index.db`, `index.db-wal` and
//! `index.db-shm` 0600, whatever the umask of the process that opens it.
//! The mechanism is `fdfs_protocol::private_files`, shared with the
//! tracker's database.

use std::fs::{self, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub use fdfs_protocol::private_files::{
    DIR_MODE, FILE_MODE, private_db_files, private_dir, sqlite_files as files_of,
};

/// Before SQLite opens `db`: its directory 0700 and its three files
/// present with mode 0600.
pub fn prepare(db: &Path) -> io::Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))?;
    }
    private_db_files(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_makes_the_directory_and_files_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("gw");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        let db = dir.join("index.db");
        fs::write(&db, b"").unwrap();
        fs::set_permissions(&db, Permissions::from_mode(0o644)).unwrap();
        prepare(&db).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for file in files_of(&db) {
            assert_eq!(mode(&file), FILE_MODE, "{}", file.display());
        }
    }
}
