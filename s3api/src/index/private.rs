//! The index's files are credentials files: the access keys live in them
//! (sealed, but the buckets, keys and file IDs of every tenant too). The
//! directory is made 0700 and `index.db`, `index.db-wal` and
//! `index.db-shm` 0600, whatever the umask of the process that opens it.
//!
//! SQLite creates the WAL and shared-memory files lazily, with the mode of
//! the database file filtered by the umask; rather than rely on that, all
//! three are created empty with mode 0600 before SQLite opens the database
//! (SQLite treats an empty WAL as none and resets a shared-memory file it
//! opens first) and their modes set outright with `set_permissions`, which
//! the umask does not filter. Files of an older build (0644) are fixed the
//! same way on their next open.

use std::fs::{self, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of the index's directory.
pub const DIR_MODE: u32 = 0o700;
/// The mode of the index's files.
pub const FILE_MODE: u32 = 0o600;

/// The database file and its WAL and shared-memory siblings.
pub fn files_of(db: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [db.to_path_buf(), with("-wal"), with("-shm")]
}

/// Makes `dir` private (0700), creating it if needed.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
}

/// Before SQLite opens `db`: its directory 0700 and its three files
/// present with mode 0600.
pub fn prepare(db: &Path) -> io::Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))?;
    }
    for file in files_of(db) {
        let opened = OpenOptions::new().append(true).create(true).mode(FILE_MODE).open(&file)?;
        opened.set_permissions(Permissions::from_mode(FILE_MODE))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directory_are_private_even_when_they_were_not() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("gw");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        let db = dir.join("index.db");
        fs::write(&db, b"").unwrap();
        fs::set_permissions(&db, Permissions::from_mode(0o644)).unwrap();
        prepare(&db).unwrap();
        assert_eq!(mode(&dir), 0o700);
        for file in files_of(&db) {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
        private_dir(&root.path().join("a/b")).unwrap();
        assert_eq!(mode(&root.path().join("a/b")), 0o700);
    }
}
