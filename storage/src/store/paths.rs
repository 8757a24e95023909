//! Store paths on disk: where a logic filename lives, and where temp files go.
//!
//! Store path `i` (`M{i:02X}` in names) is a directory holding `data/HH/LL/`
//! with the stored files, and `data/.tmp/` for files being written. The temp
//! directory sits under `data/` so a temp file is on the same filesystem as
//! its final name and the final rename is atomic.
//!
//! FastDFS creates all `subdir_count²` (65 536) subdirectories at first
//! start. Here they are created lazily, by the first write into each: start
//! is instant, an empty store path costs no inodes, and a reader of a
//! subdirectory that was never written to gets the same `ENOENT` a missing
//! file gives. Only `data/` and `data/.tmp/` are made by [`StorePaths::init`].
//!
//! Resolution is strict: the store path index must exist (else `EINVAL`),
//! and the name after `HH/LL/` must be one plain path component, so no
//! logic filename can reach outside `data/HH/LL/` (the parser of
//! [`LogicName`] already refuses `/` and `..`; this is checked again here).

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use fdfs_protocol::file_id::LogicName;

use crate::store::error::{StoreError, StoreResult};

/// The directory under a store path that holds the `HH/LL` fan-out.
pub const DATA_DIR: &str = "data";
/// The directory under `data/` that holds files being written.
pub const TMP_DIR: &str = ".tmp";
/// Most store paths a storage can have (indexes are one byte; `0xFF`
/// means "any").
pub const MAX_STORE_PATHS: usize = 255;

/// The store path directories of one storage.
#[derive(Debug, Clone)]
pub struct StorePaths {
    roots: Vec<PathBuf>,
}

impl StorePaths {
    /// Takes the store path directories (`M00` first), made absolute.
    /// Fails on none, or more than [`MAX_STORE_PATHS`].
    pub fn new(roots: Vec<PathBuf>) -> StoreResult<Self> {
        if roots.is_empty() || roots.len() > MAX_STORE_PATHS {
            return Err(StoreError::invalid(format!(
                "{} store paths, expected 1..={MAX_STORE_PATHS}",
                roots.len()
            )));
        }
        let roots = roots
            .into_iter()
            .map(|root| std::path::absolute(&root).map_err(|e| StoreError::io("absolute", root, e)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Self { roots })
    }

    /// Number of store paths.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Always false: there is at least one store path.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// The store path directory of `index`; `EINVAL` if there is none.
    pub fn root(&self, index: u8) -> StoreResult<&Path> {
        self.roots.get(usize::from(index)).map(PathBuf::as_path).ok_or_else(|| {
            StoreError::invalid(format!(
                "store path index {index} out of range (have {})",
                self.roots.len()
            ))
        })
    }

    /// `<root>/data` of store path `index`.
    pub fn data_dir(&self, index: u8) -> StoreResult<PathBuf> {
        Ok(self.root(index)?.join(DATA_DIR))
    }

    /// `<root>/data/.tmp` of store path `index`.
    pub fn tmp_dir(&self, index: u8) -> StoreResult<PathBuf> {
        Ok(self.data_dir(index)?.join(TMP_DIR))
    }

    /// `<root>/data/HH/LL` of store path `index`.
    pub fn subdir(&self, index: u8, high: u8, low: u8) -> StoreResult<PathBuf> {
        Ok(self.data_dir(index)?.join(format!("{high:02X}")).join(format!("{low:02X}")))
    }

    /// The absolute path of a logic filename.
    pub fn resolve(&self, name: &LogicName) -> StoreResult<PathBuf> {
        let leaf = name.name();
        let mut parts = Path::new(leaf).components();
        let plain = matches!(parts.next(), Some(Component::Normal(c)) if c == leaf)
            && parts.next().is_none()
            && !leaf.starts_with('.');
        if !plain {
            return Err(StoreError::invalid(format!("{name}: not a plain file name")));
        }
        Ok(self.subdir(name.store_path_index(), name.dir_high(), name.dir_low())?.join(leaf))
    }

    /// The path of a file's metadata sibling (`<file>-m`).
    pub fn meta_path(&self, name: &LogicName) -> StoreResult<PathBuf> {
        let mut path = self.resolve(name)?.into_os_string();
        path.push(META_SUFFIX);
        Ok(PathBuf::from(path))
    }

    /// Creates `data/` and `data/.tmp/` under every store path and empties
    /// the temp directories (whatever is there was left by a crash: nothing
    /// under a final name depends on it). Blocks; call it at start-up or
    /// through `spawn_blocking`.
    pub fn init(&self) -> StoreResult<()> {
        for index in 0..self.roots.len() {
            let tmp = self.tmp_dir(index as u8)?;
            fs::create_dir_all(&tmp).map_err(|e| StoreError::io("create dir", &tmp, e))?;
            let removed = purge_dir(&tmp).map_err(|e| StoreError::io("clean temp dir", &tmp, e))?;
            if removed > 0 {
                tracing::info!(dir = %tmp.display(), removed, "removed temp files left by a crash");
            }
        }
        Ok(())
    }
}

/// The suffix of a file's metadata sibling.
pub const META_SUFFIX: &str = "-m";

/// Removes every entry of `dir` (files only; stray directories are left).
fn purge_dir(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use fdfs_protocol::Status;
    use fdfs_protocol::file_id::LogicName;

    use super::StorePaths;

    #[test]
    fn resolves_names() {
        let paths = StorePaths::new(vec![PathBuf::from("/s0"), PathBuf::from("/s1")]).unwrap();
        let name = LogicName::parse("M01/0A/FF/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt").unwrap();
        assert_eq!(
            paths.resolve(&name).unwrap(),
            PathBuf::from("/s1/data/0A/FF/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt")
        );
        assert_eq!(
            paths.meta_path(&name).unwrap(),
            PathBuf::from("/s1/data/0A/FF/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt-m")
        );
        assert_eq!(paths.tmp_dir(0).unwrap(), PathBuf::from("/s0/data/.tmp"));
    }

    #[test]
    fn rejects_bad_indexes_and_escapes() {
        let paths = StorePaths::new(vec![PathBuf::from("/s0")]).unwrap();
        let name = LogicName::parse("M01/00/00/abc").unwrap();
        assert_eq!(paths.resolve(&name).unwrap_err().status(), Status::EINVAL);
        for bad in ["M00/00/00/.", "M00/00/00/.tmp", "M00/00/00/.hidden"] {
            let name = LogicName::parse(bad).unwrap();
            assert_eq!(paths.resolve(&name).unwrap_err().status(), Status::EINVAL, "{bad}");
        }
        assert!(StorePaths::new(Vec::new()).is_err());
        assert!(StorePaths::new(vec![PathBuf::from("/x"); 256]).is_err());
    }

    #[test]
    fn relative_roots_become_absolute() {
        let paths = StorePaths::new(vec![PathBuf::from("rel")]).unwrap();
        assert!(paths.root(0).unwrap().is_absolute());
    }
}
