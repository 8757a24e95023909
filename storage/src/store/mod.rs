//! The local file engine: FastDFS files on this storage's disks.
//!
//! [`Store`] owns the store paths (`M00..`, each with `data/HH/LL/`), names
//! new files as FastDFS does (`fastdfs-protocol.md` §7) so FastDFS tools
//! decode them, and performs every file operation a storage command needs:
//! uploads (normal, appender, slave), writes under a given name for
//! replication, appender changes, metadata files, file info, downloads,
//! deletes, and disk space with the reserve.
//!
//! Nothing half-written is ever visible under a final name: new content is
//! streamed into a temp file on the same filesystem, fsynced, then renamed
//! (without replacing anything) and the directory fsynced
//! (the `fsops` module explains the rename). Uploads are checked against
//! the reserve before their first byte is read.
//!
//! Every operation is an `async fn` usable on the runtime: content moves
//! through one bounded buffer ([`StoreConfig::buffer_size`]) with tokio's
//! file I/O, and the few blocking steps (rename, fsync, `statvfs`, CRC of a
//! stored file) run on the blocking pool. Failures are [`StoreError`]s with
//! the status to answer ([`StoreError::status`]).
//!
//! # Layout
//!
//! - [`config`]: [`StoreConfig`], modes and [`ReservedSpace`].
//! - [`paths`]: [`StorePaths`] — logic filename → path, init.
//! - `naming`: subdirectory and store path choice, name generation.
//! - `upload`: new files, slave files, writes under a given name.
//! - `upload_meta`: a new file and its metadata in one durable step.
//! - `appender`: append, modify, truncate, regenerate an appender's name.
//! - `files`: delete, file info, downloads.
//! - `meta`: the `<file>-m` metadata files.
//! - [`retention`]: the Object Lock tags a file carries and what they
//!   forbid ([`Worm`]).
//! - [`space`]: disk space and the reserve check.
//! - `fsops`, `locks`: temp files, renames, fsyncs; per-file locks.
//! - [`error`]: the error type, [`StoreError`].

pub mod config;
pub mod error;
pub mod paths;
pub mod retention;
pub mod space;

mod appender;
mod files;
mod fsops;
mod locks;
mod meta;
mod naming;
mod upload;
mod upload_meta;

#[cfg(test)]
mod tests;

use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;

use fdfs_protocol::filename::Source;

pub use self::appender::{Changed, Truncated};
pub use self::config::{
    DEFAULT_BUFFER_SIZE, DEFAULT_ROTATE_COUNT, DEFAULT_SUBDIR_COUNT, DistributeMode, ReservedSpace,
    StoreConfig, StorePathMode,
};
pub use self::error::{StoreError, StoreResult};
pub use self::files::{Deleted, Download, FileInfo};
pub use self::meta::{MetaChange, MetaWrite};
pub use self::naming::Rotation;
pub use self::paths::StorePaths;
pub use self::retention::{Retention, Worm};
pub use self::space::DiskSpace;
pub use self::upload::{Stored, UploadSpec, WriteMode, Written};
pub use self::upload_meta::StoredWithMeta;

use self::locks::FileLocks;

/// Smallest transfer buffer accepted.
const MIN_BUFFER_SIZE: usize = 4096;

/// The file engine of one storage server. Share it with `Arc`.
#[derive(Debug)]
pub struct Store {
    paths: StorePaths,
    config: StoreConfig,
    source: Mutex<Source>,
    rotation: Mutex<Rotation>,
    next_path: AtomicUsize,
    locks: FileLocks,
}

impl Store {
    /// Validates `config` and sets up the engine; call [`Store::init`]
    /// before serving.
    pub fn new(config: StoreConfig) -> StoreResult<Self> {
        if !(1..=256).contains(&config.subdir_count) {
            return Err(StoreError::invalid(format!(
                "subdir_count_per_path {} outside 1..=256",
                config.subdir_count
            )));
        }
        if config.rotate_count == 0 {
            return Err(StoreError::invalid("file_distribute_rotate_count must be at least 1"));
        }
        if let ReservedSpace::Ratio(r) = config.reserved
            && !(0.0..1.0).contains(&r)
        {
            return Err(StoreError::invalid(format!("reserved ratio {r} outside 0..1")));
        }
        let mut config = config;
        config.buffer_size = config.buffer_size.max(MIN_BUFFER_SIZE);
        Ok(Self {
            paths: StorePaths::new(config.store_paths.clone())?,
            source: Mutex::new(config.source),
            config,
            rotation: Mutex::new(Rotation::default()),
            next_path: AtomicUsize::new(0),
            locks: FileLocks::default(),
        })
    }

    /// Creates `data/` and `data/.tmp/` in every store path and removes
    /// temp files a crash left behind.
    pub async fn init(&self) -> StoreResult<()> {
        let paths = self.paths.clone();
        fsops::blocking(move || paths.init()).await
    }

    /// The store paths.
    pub fn paths(&self) -> &StorePaths {
        &self.paths
    }

    /// The configuration in force.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The source new names carry.
    pub fn source(&self) -> Source {
        *self.source.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the source new names carry (e.g. once the storage learns its
    /// address from a tracker).
    pub fn set_source(&self, source: Source) {
        *self.source.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = source;
    }
}
