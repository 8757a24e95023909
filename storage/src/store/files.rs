//! Reading and removing stored files: downloads, file info, deletes.
//!
//! Downloads follow FastDFS (`fastdfs-protocol.md` §5.1): an offset at or
//! past the end is `EINVAL` — so a 0-byte file cannot be downloaded — a
//! length of 0 means "to the end", and a longer length is clipped. The
//! caller gets an open file positioned at the offset and the byte count to
//! send, and streams it (sendfile can replace the copy later).
//!
//! File info takes size and time from `stat`, the source from the name,
//! and the CRC32 from the name for normal files; appender and slave files
//! (whose names do not describe their current content) get it computed
//! over the content, unless the caller asks not to (QUERY_FILE_INFO flag 1).

use std::io::SeekFrom;

use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::filename::{FileKind, Source};
use tokio::fs::File;
use tokio::io::AsyncSeekExt;

use crate::store::Store;
use crate::store::error::{StoreError, StoreResult};
use crate::store::retention::Worm;
use crate::store::{fsops, meta};

/// A file opened for a download.
#[derive(Debug)]
pub struct Download {
    /// The file, positioned at `offset`.
    pub file: File,
    /// Where the download starts.
    pub offset: u64,
    /// Bytes to send.
    pub len: u64,
    /// The whole file's size.
    pub size: u64,
}

/// What QUERY_FILE_INFO answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// Size in bytes (from `stat`).
    pub size: u64,
    /// The mtime in unix seconds (FastDFS calls it the create time).
    pub create_time: u32,
    /// CRC-32 (see the module docs); 0 when not computed.
    pub crc32: u32,
    /// The storage that first stored the file, from its name.
    pub source: Source,
    /// The kind of file its name says it is.
    pub kind: FileKind,
}

/// What a delete removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deleted {
    /// Whether a `-m` metadata file was removed too.
    pub had_metadata: bool,
}

impl Store {
    /// Opens `name` for sending `length` bytes (0 = to the end) from
    /// `offset` (DOWNLOAD_FILE).
    #[tracing::instrument(level = "debug", skip(self, name), fields(name = %name))]
    pub async fn open_download(
        &self,
        name: &LogicName,
        offset: u64,
        length: u64,
    ) -> StoreResult<Download> {
        let path = self.paths.resolve(name)?;
        let mut file = File::open(&path)
            .await
            .map_err(|e| StoreError::io_or_missing("open", &path, name.as_str(), e))?;
        let meta = file.metadata().await.map_err(|e| StoreError::io("stat", &path, e))?;
        if !meta.is_file() {
            return Err(StoreError::NotFound(name.to_string()));
        }
        let size = meta.len();
        if offset >= size {
            return Err(StoreError::invalid(format!(
                "{name}: offset {offset} not below file size {size}"
            )));
        }
        let rest = size - offset;
        let len = if length == 0 { rest } else { length.min(rest) };
        if offset > 0 {
            file.seek(SeekFrom::Start(offset))
                .await
                .map_err(|e| StoreError::io("seek", &path, e))?;
        }
        Ok(Download { file, offset, len, size })
    }

    /// Describes `name` (QUERY_FILE_INFO); `compute_crc32 = false` skips
    /// reading appender and slave files (their CRC32 is then 0).
    #[tracing::instrument(level = "debug", skip(self, name), fields(name = %name))]
    pub async fn file_info(&self, name: &LogicName, compute_crc32: bool) -> StoreResult<FileInfo> {
        let info = name.info()?;
        let path = self.paths.resolve(name)?;
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| StoreError::io_or_missing("stat", &path, name.as_str(), e))?;
        if !meta.is_file() {
            return Err(StoreError::NotFound(name.to_string()));
        }
        let mtime = meta.modified().map_err(|e| StoreError::io("stat", &path, e))?;
        let crc32 = match info.kind {
            FileKind::Normal | FileKind::Trunk => info.crc32(),
            FileKind::Appender | FileKind::Slave if !compute_crc32 => 0,
            FileKind::Appender | FileKind::Slave => {
                let (buffer, what) = (self.config.buffer_size, name.to_string());
                fsops::blocking(move || {
                    fsops::crc_of_file(&path, buffer)
                        .map(|(_, crc)| crc)
                        .map_err(|e| StoreError::io_or_missing("read", &path, &what, e))
                })
                .await?
            }
        };
        Ok(FileInfo {
            size: meta.len(),
            create_time: fsops::unix_secs(mtime),
            crc32,
            source: info.source(),
            kind: info.kind,
        })
    }

    /// Removes `name` and its `-m` metadata file (DELETE_FILE); `ENOENT`
    /// if the file is missing, `EPERM` if `worm` enforces and its tags
    /// lock it (checked under the file's lock, in the same blocking step).
    #[tracing::instrument(level = "debug", skip(self, name), fields(name = %name))]
    pub async fn delete(&self, name: &LogicName, worm: Worm) -> StoreResult<Deleted> {
        let path = self.paths.resolve(name)?;
        let meta_path = self.paths.meta_path(name)?;
        let _lock = self.locks.lock(name.as_str()).await;
        let (what, logic) = (name.to_string(), name.clone());
        fsops::blocking(move || {
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                return Err(StoreError::NotFound(what));
            }
            if let Worm::Enforce { now_ms } = worm {
                let blob = meta::read_meta_blocking(&meta_path)?;
                meta::check_blob(&logic, blob.as_deref(), now_ms)?;
            }
            std::fs::remove_file(&path)
                .map_err(|e| StoreError::io_or_missing("delete", &path, &what, e))?;
            let had_metadata = match std::fs::remove_file(&meta_path) {
                Ok(()) => true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => return Err(StoreError::io("delete", &meta_path, e)),
            };
            fsops::fsync_parent(&path).map_err(|e| StoreError::io("fsync dir", &path, e))?;
            Ok(Deleted { had_metadata })
        })
        .await
    }
}
