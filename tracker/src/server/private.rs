//! The tracker's data directory is private: mode 0700, and its database
//! (`tracker.db` with its WAL and shared-memory files) 0600, whatever the
//! umask. The database holds the cluster's topology (every storage's
//! address, id and sync state), which an unprivileged local user has no
//! business reading or altering.
//!
//! SQLite creates the WAL and shared-memory files lazily with the database
//! file's mode filtered by the umask; the three are created empty with mode
//! 0600 before SQLite opens the database (an empty WAL is no WAL; SQLite
//! resets a shared-memory file it opens first) and their modes set outright
//! with `set_permissions`, which the umask does not filter, so files of an
//! older build are fixed too.

use std::fs::{self, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Creates `dir` if needed and makes it 0700.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, Permissions::from_mode(0o700))
}

/// Creates the database `db` and its WAL and shared-memory files if
/// missing, and makes all three 0600.
pub fn private_db_files(db: &Path) -> io::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let file =
            OpenOptions::new().append(true).create(true).mode(0o600).open(PathBuf::from(name))?;
        file.set_permissions(Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_and_database_files_become_private() {
        let root =
            std::env::temp_dir().join(format!("fdfs-tracker-private-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dir = root.join("tracker");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        let db = dir.join("tracker.db");
        fs::write(&db, b"").unwrap();
        fs::set_permissions(&db, Permissions::from_mode(0o644)).unwrap();
        private_dir(&dir).unwrap();
        private_db_files(&db).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for name in ["tracker.db", "tracker.db-wal", "tracker.db-shm"] {
            assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
        }
        fs::remove_dir_all(&root).unwrap();
    }
}
