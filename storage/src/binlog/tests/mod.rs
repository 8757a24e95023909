//! Tests of the binlog: records (table-driven and property), the writer and
//! readers on real files in temp directories, marks.

mod marks;
mod reading;
mod records;
mod writing;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::record::{Op, Record};

/// A fresh directory under the system temp dir, removed on drop.
pub(super) struct TempDir(PathBuf);

impl TempDir {
    pub(super) fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("fdfs-binlog-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(super) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A source create of a distinct, realistic logic filename.
pub(super) fn create(n: u32) -> Record {
    Record::source(
        1_795_681_925 + n,
        format!("M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm{n:08}.bin"),
        Op::Create,
    )
}
