//! Private on-disk state shared by the roles that keep an SQLite database
//! (the tracker's cluster state, the gateway's index): the directory 0700,
//! the database and its WAL and shared-memory files 0600, whatever the
//! umask of the process that opens them.
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

/// The mode of a private directory.
pub const DIR_MODE: u32 = 0o700;
/// The mode of a private file.
pub const FILE_MODE: u32 = 0o600;

/// The database file `db` and its WAL and shared-memory siblings.
pub fn sqlite_files(db: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [db.to_path_buf(), with("-wal"), with("-shm")]
}

/// Creates `dir` if needed and makes it 0700.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
}

/// Creates the database `db` and its WAL and shared-memory files if
/// missing, and makes all three 0600.
pub fn private_db_files(db: &Path) -> io::Result<()> {
    for file in sqlite_files(db) {
        let opened = OpenOptions::new().append(true).create(true).mode(FILE_MODE).open(&file)?;
        opened.set_permissions(Permissions::from_mode(FILE_MODE))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_and_database_files_become_private() {
        let root = std::env::temp_dir().join(format!("fdfs-private-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dir = root.join("state");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        let db = dir.join("state.db");
        fs::write(&db, b"").unwrap();
        fs::set_permissions(&db, Permissions::from_mode(0o644)).unwrap();
        private_dir(&dir).unwrap();
        private_db_files(&db).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for file in sqlite_files(&db) {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
        private_dir(&root.join("a/b")).unwrap();
        assert_eq!(mode(&root.join("a/b")), 0o700);
        fs::remove_dir_all(&root).unwrap();
    }
}
