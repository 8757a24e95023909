//! Disk space of store paths, and the reserve check that refuses a write
//! before any of its bytes are read.
//!
//! Sizes come from `statvfs` of the store path: total = blocks × fragment
//! size, free = blocks available to unprivileged users × fragment size (the
//! space an upload can really use). Both are reported to trackers in MB.

use std::path::Path;

use crate::store::config::ReservedSpace;
use crate::store::error::{StoreError, StoreResult};

/// Bytes per MB in space reports.
pub const MB: u64 = 1 << 20;

/// Space of one store path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSpace {
    /// Total bytes of the filesystem.
    pub total_bytes: u64,
    /// Bytes available for new data.
    pub free_bytes: u64,
}

impl DiskSpace {
    /// Reads the space of the filesystem holding `path`. Blocks (one
    /// `statvfs` call).
    pub fn of(path: &Path) -> StoreResult<Self> {
        let st = rustix::fs::statvfs(path)
            .map_err(|e| StoreError::io("statvfs", path, std::io::Error::from(e)))?;
        let unit = if st.f_frsize > 0 { st.f_frsize } else { st.f_bsize };
        Ok(Self {
            total_bytes: st.f_blocks.saturating_mul(unit),
            free_bytes: st.f_bavail.saturating_mul(unit),
        })
    }

    /// Total MB.
    pub fn total_mb(&self) -> u64 {
        self.total_bytes / MB
    }

    /// Free MB.
    pub fn free_mb(&self) -> u64 {
        self.free_bytes / MB
    }

    /// Whether writing `bytes` more keeps `reserved` free on this store
    /// path (one of `path_count`).
    pub fn allows(&self, bytes: u64, reserved: ReservedSpace, path_count: usize) -> bool {
        let Some(left) = self.free_bytes.checked_sub(bytes) else {
            return false;
        };
        reserved.keeps_reserve(self.total_mb(), left / MB, path_count)
    }
}

#[cfg(test)]
mod tests {
    use super::{DiskSpace, MB};
    use crate::store::config::ReservedSpace;

    #[test]
    fn allows_within_the_reserve() {
        let space = DiskSpace { total_bytes: 1000 * MB, free_bytes: 300 * MB };
        let ratio = ReservedSpace::Ratio(0.2);
        assert!(space.allows(0, ratio, 1));
        assert!(space.allows(99 * MB, ratio, 1));
        assert!(!space.allows(100 * MB, ratio, 1));
        assert!(!space.allows(301 * MB, ReservedSpace::Ratio(0.0), 1));
        assert!(!space.allows(u64::MAX, ReservedSpace::Mb(0), 1));
        // 400 MB shared by two paths: 200 each.
        assert!(space.allows(99 * MB, ReservedSpace::Mb(400), 2));
        assert!(!space.allows(100 * MB, ReservedSpace::Mb(400), 2));
    }

    #[test]
    fn reads_a_real_filesystem() {
        let dir = tempfile::tempdir().unwrap();
        let space = DiskSpace::of(dir.path()).unwrap();
        assert!(space.total_bytes > 0);
        assert!(space.free_bytes <= space.total_bytes);
    }
}
