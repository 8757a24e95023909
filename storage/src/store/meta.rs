//! Metadata files: `<file>-m` beside a stored file, holding its
//! [`Metadata`] blob sorted by name (`fastdfs-protocol.md` §5.1).
//!
//! SET_METADATA `O` replaces the list (an empty one deletes the `-m` file),
//! `M` merges by name. The result is written like any new content: temp
//! file, fsync, rename over the old `-m` file, directory fsync, so a reader
//! sees the old list or the new one, never a mix. The file's lock is held
//! across the read-merge-write. The change is reported so the caller can
//! log it in the binlog (FastDFS logs a created `-m` file as `C`, a
//! rewritten one as `U`, a removed one as `D`).
//!
//! Under [`Worm::Enforce`] a change that would weaken the retention tags
//! (`store::retention`) is refused with `EPERM`, and
//! [`Store::check_unlocked`] tells the other operations whether a file's
//! tags lock it; a file without a `-m` file costs that check one failed
//! `open`, nothing more.

use std::io;

use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::message::Encode;
use fdfs_protocol::metadata::{MetaOp, Metadata};

use crate::store::Store;
use crate::store::error::{StoreError, StoreResult};
use crate::store::fsops;
use crate::store::paths::META_SUFFIX;
use crate::store::retention::{Retention, Worm};
use crate::store::upload::is_file;

/// Largest `-m` file read back (far above what 64-byte names and 256-byte
/// values need for any sane list; guards against a corrupt file).
pub const MAX_META_FILE_LEN: u64 = 16 << 20;

/// What SET_METADATA did to the `-m` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaChange {
    /// It was created.
    Created,
    /// It was rewritten with different content.
    Updated,
    /// It was removed.
    Deleted,
    /// Nothing changed on disk.
    Unchanged,
}

/// The outcome of SET_METADATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaWrite {
    /// The logic filename of the `-m` file (`<name>-m`).
    pub meta_name: LogicName,
    /// What happened to it.
    pub change: MetaChange,
}

impl Store {
    /// Applies SET_METADATA to `name`'s metadata; `ENOENT` if the file is
    /// missing, `EPERM` if `worm` enforces and the result would break a
    /// promise of the current retention tags.
    #[tracing::instrument(level = "debug", skip(self, name, sent), fields(name = %name))]
    pub async fn set_metadata(
        &self,
        name: &LogicName,
        op: MetaOp,
        sent: &Metadata,
        worm: Worm,
    ) -> StoreResult<MetaWrite> {
        let meta_name = LogicName::parse(&format!("{name}{META_SUFFIX}"))?;
        let path = self.paths.resolve(name)?;
        let meta_path = self.paths.meta_path(name)?;
        let _lock = self.locks.lock(name.as_str()).await;
        if !is_file(&path).await {
            return Err(StoreError::NotFound(name.to_string()));
        }
        let old = read_meta_file(&meta_path).await?;
        let old_list = old.as_deref().map(Metadata::from_bytes).unwrap_or_default();
        let mut list = old_list.clone();
        list.apply(op, sent);
        if let Worm::Enforce { now_ms } = worm {
            let before = Retention::from_metadata(&old_list);
            if !before.is_none() && !before.allows(&Retention::from_metadata(&list), now_ms) {
                return Err(StoreError::Retained(name.to_string()));
            }
        }
        let blob = list.to_body();
        let change = match (&old, blob.is_empty()) {
            (None, true) => MetaChange::Unchanged,
            (Some(_), true) => {
                let target = meta_path.clone();
                fsops::blocking(move || {
                    match std::fs::remove_file(&target) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return Err(StoreError::io("delete", &target, e)),
                    }
                    fsops::fsync_parent(&target)
                        .map_err(|e| StoreError::io("fsync dir", &target, e))
                })
                .await?;
                MetaChange::Deleted
            }
            (Some(old), false) if old[..] == blob[..] => MetaChange::Unchanged,
            (old, false) => {
                self.replace_meta(name.store_path_index(), &meta_path, &blob).await?;
                if old.is_some() { MetaChange::Updated } else { MetaChange::Created }
            }
        };
        Ok(MetaWrite { meta_name, change })
    }

    /// The stored metadata blob of `name` (GET_METADATA), sorted by name;
    /// `ENOENT` if the file or its metadata is missing.
    #[tracing::instrument(level = "debug", skip(self, name), fields(name = %name))]
    pub async fn get_metadata(&self, name: &LogicName) -> StoreResult<Vec<u8>> {
        let path = self.paths.resolve(name)?;
        if !is_file(&path).await {
            return Err(StoreError::NotFound(name.to_string()));
        }
        let meta_path = self.paths.meta_path(name)?;
        read_meta_file(&meta_path)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("{name}{META_SUFFIX}")))
    }

    /// [`Store::get_metadata`], decoded.
    pub async fn metadata(&self, name: &LogicName) -> StoreResult<Metadata> {
        Ok(Metadata::from_bytes(&self.get_metadata(name).await?))
    }

    /// `EPERM` ([`StoreError::Retained`]) when `worm` enforces and the tags
    /// of `name` lock it now. The answer holds while the caller holds the
    /// file's lock (the store's own operations do; a sync pre-check does
    /// not need to). Costs one failed `open` when the file has no metadata.
    pub(crate) async fn check_unlocked(&self, name: &LogicName, worm: Worm) -> StoreResult<()> {
        let Worm::Enforce { now_ms } = worm else { return Ok(()) };
        let meta_path = self.paths.meta_path(name)?;
        let blob = fsops::blocking(move || read_meta_blocking(&meta_path)).await?;
        check_blob(name, blob.as_deref(), now_ms)
    }

    /// Writes `blob` to `meta_path` crash-safely, replacing the old file.
    async fn replace_meta(
        &self,
        index: u8,
        meta_path: &std::path::Path,
        blob: &[u8],
    ) -> StoreResult<()> {
        let mut slice = blob;
        let (tmp, _, _) = self.receive(index, blob.len() as u64, &mut slice, None).await?;
        let (from, to) = (tmp.path().to_path_buf(), meta_path.to_path_buf());
        fsops::blocking(move || {
            std::fs::rename(&from, &to).map_err(|e| StoreError::io("rename", &to, e))?;
            tmp.keep();
            fsops::fsync_parent(&to).map_err(|e| StoreError::io("fsync dir", &to, e))
        })
        .await
    }
}

/// Reads a `-m` file; `None` if there is none.
async fn read_meta_file(path: &std::path::Path) -> StoreResult<Option<Vec<u8>>> {
    match tokio::fs::metadata(path).await {
        Ok(meta) if meta.len() > MAX_META_FILE_LEN => {
            return Err(StoreError::io(
                "read",
                path,
                io::Error::other(format!("metadata file of {} bytes", meta.len())),
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io("stat", path, e)),
    }
    match tokio::fs::read(path).await {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("read", path, e)),
    }
}

/// [`read_meta_file`] for the blocking pool (one `open` when there is none).
pub(crate) fn read_meta_blocking(path: &std::path::Path) -> StoreResult<Option<Vec<u8>>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io("open", path, e)),
    };
    let len = file.metadata().map_err(|e| StoreError::io("stat", path, e))?.len();
    if len > MAX_META_FILE_LEN {
        let err = io::Error::other(format!("metadata file of {len} bytes"));
        return Err(StoreError::io("read", path, err));
    }
    let mut blob = Vec::with_capacity(len as usize);
    file.take(MAX_META_FILE_LEN)
        .read_to_end(&mut blob)
        .map_err(|e| StoreError::io("read", path, e))?;
    Ok(Some(blob))
}

/// `EPERM` when the `-m` blob of `name` (if any) locks it at `now_ms`.
pub(crate) fn check_blob(name: &LogicName, blob: Option<&[u8]>, now_ms: u64) -> StoreResult<()> {
    match blob {
        Some(blob) if Retention::from_blob(blob).is_locked(now_ms) => {
            Err(StoreError::Retained(name.to_string()))
        }
        _ => Ok(()),
    }
}
