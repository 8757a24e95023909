//! Changing appender files in place: append, modify, truncate, and turning
//! an appender into a normal file by renaming it (REGENERATE_APPENDER_FILENAME).
//!
//! Only names that decode as appender files are accepted (`EINVAL`
//! otherwise), as FastDFS does; under [`Worm::Enforce`] a file whose
//! retention tags lock it is refused (`EPERM`) before a byte is read. Each operation holds the file's lock, so
//! the offset it reports (for the binlog's `A`/`M`/`T` records) is the one
//! it wrote at. Writes go straight into the file and are fsynced before the
//! call returns. When the content stream fails, an append is cut back to
//! the old size and a modify that grew the file is cut back to the old
//! size; bytes a failed modify already overwrote inside the old size stay
//! overwritten (FastDFS behaves the same).
//!
//! A regenerated name keeps the appender's store path, subdirectory, source
//! and extension part (random digits included) and gets a new block with
//! the current size, the CRC32 of the whole content and, as the captured
//! FastDFS replies show, the current time (not the mtime). The `-m`
//! metadata file, if any, is renamed along.

use std::io::SeekFrom;
use std::time::SystemTime;

use fdfs_protocol::consts::FILENAME_BASE64_LENGTH;
use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::filename::{FileKind, NameInfo, NewFile, NewName};
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncRead, AsyncSeekExt, AsyncWriteExt};

use crate::store::Store;
use crate::store::error::{StoreError, StoreResult};
use crate::store::fsops;
use crate::store::retention::Worm;
use crate::store::upload::Stored;

/// A range written into an appender file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changed {
    /// Where the bytes were written.
    pub offset: u64,
    /// How many bytes.
    pub len: u64,
    /// The file size afterwards.
    pub size: u64,
}

/// A truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncated {
    /// The size before.
    pub old_size: u64,
    /// The size after.
    pub new_size: u64,
}

impl Store {
    /// Appends `len` bytes from `reader` (APPEND_FILE). `ENOENT` if the
    /// file is missing, `ENOSPC` before reading when the reserve would be
    /// crossed.
    #[tracing::instrument(level = "debug", skip(self, name, reader), fields(name = %name))]
    pub async fn append<R>(
        &self,
        name: &LogicName,
        len: u64,
        reader: &mut R,
        worm: Worm,
    ) -> StoreResult<Changed>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        appender_info(name)?;
        let _lock = self.locks.lock(name.as_str()).await;
        let (mut file, size) = self.open_appender(name).await?;
        self.check_unlocked(name, worm).await?;
        self.check_space(name.store_path_index(), len).await?;
        self.write_range(name, &mut file, size, size, len, reader).await?;
        Ok(Changed { offset: size, len, size: size + len })
    }

    /// Overwrites `len` bytes at `offset` with bytes from `reader`
    /// (MODIFY_FILE); `offset` may be at most the current size (`EINVAL`
    /// otherwise), and the file grows if the range passes its end.
    #[tracing::instrument(level = "debug", skip(self, name, reader), fields(name = %name))]
    pub async fn modify<R>(
        &self,
        name: &LogicName,
        offset: u64,
        len: u64,
        reader: &mut R,
        worm: Worm,
    ) -> StoreResult<Changed>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        appender_info(name)?;
        let end = offset.checked_add(len).ok_or_else(|| {
            StoreError::invalid(format!("offset {offset} + length {len} overflows"))
        })?;
        let _lock = self.locks.lock(name.as_str()).await;
        let (mut file, size) = self.open_appender(name).await?;
        self.check_unlocked(name, worm).await?;
        if offset > size {
            return Err(StoreError::invalid(format!("offset {offset} beyond file size {size}")));
        }
        self.check_space(name.store_path_index(), end.saturating_sub(size)).await?;
        self.write_range(name, &mut file, size, offset, len, reader).await?;
        Ok(Changed { offset, len, size: size.max(end) })
    }

    /// Cuts the file to `new_size` bytes (TRUNCATE_FILE); `EINVAL` if that
    /// is larger than the file. Truncating to the current size succeeds
    /// and changes nothing.
    #[tracing::instrument(level = "debug", skip(self, name), fields(name = %name))]
    pub async fn truncate(
        &self,
        name: &LogicName,
        new_size: u64,
        worm: Worm,
    ) -> StoreResult<Truncated> {
        appender_info(name)?;
        let _lock = self.locks.lock(name.as_str()).await;
        let (file, old_size) = self.open_appender(name).await?;
        self.check_unlocked(name, worm).await?;
        if new_size > old_size {
            return Err(StoreError::invalid(format!(
                "truncate to {new_size} beyond file size {old_size}"
            )));
        }
        let path = self.paths.resolve(name)?;
        if new_size < old_size {
            file.set_len(new_size).await.map_err(|e| StoreError::io("truncate", &path, e))?;
            file.sync_all().await.map_err(|e| StoreError::io("fsync", &path, e))?;
        }
        Ok(Truncated { old_size, new_size })
    }

    /// Renames an appender file to a normal file's name
    /// (REGENERATE_APPENDER_FILENAME) and returns the new name with the
    /// size, CRC32 and time it carries.
    #[tracing::instrument(level = "debug", skip(self, name), fields(name = %name))]
    pub async fn regenerate_appender(&self, name: &LogicName, worm: Worm) -> StoreResult<Stored> {
        let info = appender_info(name)?;
        let _lock = self.locks.lock(name.as_str()).await;
        self.check_unlocked(name, worm).await?;
        let path = self.paths.resolve(name)?;
        let meta_path = self.paths.meta_path(name)?;
        let buffer = self.config.buffer_size;
        let (read_path, what) = (path.clone(), name.to_string());
        let (size, crc32) = fsops::blocking(move || {
            fsops::crc_of_file(&read_path, buffer)
                .map_err(|e| StoreError::io_or_missing("read", &read_path, &what, e))
        })
        .await?;
        let create_time = fsops::unix_secs(SystemTime::now());
        let tail = &name.name()[FILENAME_BASE64_LENGTH..];
        let spec = NewName {
            source: info.source(),
            create_time,
            file: NewFile::Normal { size },
            crc32,
            ext: &info.ext,
        };
        for _ in 0..16 {
            let new = self.new_logic_name(name.store_path_index(), &spec, Some((name, tail)))?;
            let target = self.paths.resolve(&new)?;
            let target_meta = self.paths.meta_path(&new)?;
            let (from, from_meta) = (path.clone(), meta_path.clone());
            let renamed = fsops::blocking(move || {
                match fsops::rename_noreplace(&from, &target) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
                    Err(e) => return Err(StoreError::io("rename", &from, e)),
                }
                match std::fs::rename(&from_meta, &target_meta) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StoreError::io("rename", &from_meta, e)),
                }
                fsops::fsync_parent(&target)
                    .map_err(|e| StoreError::io("fsync dir", &target, e))?;
                Ok(true)
            })
            .await
            .map_err(|e| match e {
                StoreError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                    StoreError::NotFound(name.to_string())
                }
                other => other,
            })?;
            if renamed {
                return Ok(Stored { name: new, size, crc32, create_time });
            }
        }
        Err(StoreError::invalid(format!("{name}: no free name after repeated attempts")))
    }

    /// Opens an existing appender file for writing; returns it with its size.
    async fn open_appender(&self, name: &LogicName) -> StoreResult<(File, u64)> {
        let path = self.paths.resolve(name)?;
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .await
            .map_err(|e| StoreError::io_or_missing("open", &path, name.as_str(), e))?;
        let meta = file.metadata().await.map_err(|e| StoreError::io("stat", &path, e))?;
        if !meta.is_file() {
            return Err(StoreError::NotFound(name.to_string()));
        }
        Ok((file, meta.len()))
    }

    /// Writes `len` bytes from `reader` at `offset` of `file` (of size
    /// `size`) and fsyncs; on failure cuts the file back to `size` if it
    /// grew.
    async fn write_range<R>(
        &self,
        name: &LogicName,
        file: &mut File,
        size: u64,
        offset: u64,
        len: u64,
        reader: &mut R,
    ) -> StoreResult<()>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let path = self.paths.resolve(name)?;
        let written = async {
            file.seek(SeekFrom::Start(offset))
                .await
                .map_err(|e| StoreError::io("seek", &path, e))?;
            fsops::copy_exact(reader, file, len, self.config.buffer_size, None, &path).await?;
            file.flush().await.map_err(|e| StoreError::io("flush", &path, e))?;
            file.sync_all().await.map_err(|e| StoreError::io("fsync", &path, e))
        }
        .await;
        if written.is_err() && offset.saturating_add(len) > size {
            let restored = async {
                file.set_len(size).await?;
                file.sync_all().await
            };
            if let Err(err) = restored.await {
                tracing::warn!(%name, %err, "cannot restore size after a failed write");
            }
        }
        written
    }
}

/// Decodes `name`, `EINVAL` unless it is an appender file.
fn appender_info(name: &LogicName) -> StoreResult<NameInfo> {
    let info = name.info()?;
    if info.kind == FileKind::Appender {
        Ok(info)
    } else {
        Err(StoreError::NotAppender(name.to_string()))
    }
}
