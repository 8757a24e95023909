//! Writing whole files: uploads under generated names (normal and
//! appender), slave files beside their master, and writes under a given
//! name for replication receivers.
//!
//! Every path streams the content into a temp file (bounded buffer, CRC32
//! on the way, exact byte count), fsyncs it, and only then gives it its
//! final name. A generated name needs the CRC32, size and mtime, so it is
//! drawn after the write; if a file of that name exists a new one is drawn
//! (the random parts differ), and the no-replace rename makes the check and
//! the rename one atomic step.

use std::io;
use std::path::{Path, PathBuf};

use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::filename::{MAX_PLAIN_SIZE, NewFile, NewName, slave_name, validate_ext};
use tokio::io::AsyncRead;

use crate::store::Store;
use crate::store::error::{StoreError, StoreResult, join_error};
use crate::store::fsops::{self, TempFile};

/// Attempts at drawing a name not already taken before giving up.
const NAME_ATTEMPTS: usize = 16;

/// A new file to store under a generated name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadSpec<'a> {
    /// The store path index, or [`fdfs_protocol::storage::ANY_STORE_PATH`].
    pub store_path: u8,
    /// Bytes of content that follow.
    pub size: u64,
    /// Extension without the dot (`[A-Za-z0-9._-]{0,6}`), may be empty.
    pub ext: &'a str,
    /// Whether to create an appender file.
    pub appender: bool,
}

/// A file stored under a new name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its logic filename.
    pub name: LogicName,
    /// Its size in bytes.
    pub size: u64,
    /// CRC-32/IEEE of its content.
    pub crc32: u32,
    /// Unix seconds in its name: the mtime when the write finished.
    pub create_time: u32,
}

/// What [`Store::write_named`] does when the name exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// SYNC_CREATE_FILE: `EEXIST` when a file of the same size is there
    /// (checked before any byte is read); a different size is replaced.
    Create,
    /// SYNC_UPDATE_FILE: always replace.
    Replace,
}

/// A file written under a given name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Its size in bytes.
    pub size: u64,
    /// CRC-32/IEEE of its content.
    pub crc32: u32,
}

/// How a final rename went.
enum Commit {
    Done,
    Taken,
}

impl Store {
    /// Stores `spec.size` bytes from `reader` as a new file (UPLOAD_FILE,
    /// UPLOAD_APPENDER_FILE). `ENOSPC` is decided before the first byte is
    /// read; on any error nothing is left on disk and the caller must
    /// consider the connection's remaining body unread.
    #[tracing::instrument(level = "debug", skip(self, reader), fields(name))]
    pub async fn upload<R>(&self, spec: UploadSpec<'_>, reader: &mut R) -> StoreResult<Stored>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        validate_ext(spec.ext)?;
        if !spec.appender && spec.size > MAX_PLAIN_SIZE {
            return Err(StoreError::invalid(format!("file size {} too large", spec.size)));
        }
        let index = self.pick_store_path(spec.store_path, spec.size).await?;
        let (tmp, crc32, mtime) = self.receive(index, spec.size, reader, None).await?;
        let create_time = fsops::unix_secs(mtime);
        let file =
            if spec.appender { NewFile::Appender } else { NewFile::Normal { size: spec.size } };
        let new = NewName { source: self.source(), create_time, file, crc32, ext: spec.ext };
        let name = self.commit_new_name(tmp, index, &new).await?;
        tracing::Span::current().record("name", name.as_str());
        Ok(Stored { name, size: spec.size, crc32, create_time })
    }

    /// Stores a slave file of `master` (UPLOAD_SLAVE_FILE): named
    /// [`slave_name`]`(master, prefix, ext)` in the master's directory.
    /// `ENOENT` if the master is missing, `EEXIST` if the slave exists —
    /// both, and `ENOSPC`, decided before the first byte is read.
    #[tracing::instrument(level = "debug", skip(self, master, reader), fields(master = %master))]
    pub async fn upload_slave<R>(
        &self,
        master: &LogicName,
        prefix: &str,
        ext: &str,
        size: u64,
        reader: &mut R,
    ) -> StoreResult<Stored>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let name = LogicName::parse(&slave_name(master.as_str(), prefix, ext)?)?;
        let master_path = self.paths.resolve(master)?;
        let path = self.paths.resolve(&name)?;
        if !is_file(&master_path).await {
            return Err(StoreError::NotFound(master.to_string()));
        }
        if tokio::fs::symlink_metadata(&path).await.is_ok() {
            return Err(StoreError::Exists(name.to_string()));
        }
        let index = name.store_path_index();
        self.check_space(index, size).await?;
        let (tmp, crc32, mtime) = self.receive(index, size, reader, None).await?;
        match commit(tmp, path, false).await? {
            Commit::Done => {}
            Commit::Taken => return Err(StoreError::Exists(name.to_string())),
        }
        Ok(Stored { name, size, crc32, create_time: fsops::unix_secs(mtime) })
    }

    /// Writes `size` bytes from `reader` under exactly `name`, with mtime
    /// `timestamp` (replication: SYNC_CREATE_FILE / SYNC_UPDATE_FILE keep
    /// the source's time). See [`WriteMode`] for an existing file; an
    /// `EEXIST` is answered before any byte is read, so the caller must
    /// drain the body itself.
    #[tracing::instrument(level = "debug", skip(self, name, reader), fields(name = %name))]
    pub async fn write_named<R>(
        &self,
        name: &LogicName,
        size: u64,
        timestamp: u32,
        mode: WriteMode,
        reader: &mut R,
    ) -> StoreResult<Written>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let path = self.paths.resolve(name)?;
        let _lock = self.locks.lock(name.as_str()).await;
        if mode == WriteMode::Create
            && let Ok(meta) = tokio::fs::metadata(&path).await
            && meta.is_file()
            && meta.len() == size
        {
            return Err(StoreError::Exists(name.to_string()));
        }
        let index = name.store_path_index();
        self.check_space(index, size).await?;
        let mtime = Some(fsops::from_unix_secs(timestamp));
        let (tmp, crc32, _) = self.receive(index, size, reader, mtime).await?;
        commit(tmp, path, true).await?;
        Ok(Written { size, crc32 })
    }

    /// Streams `size` bytes into a new temp file of store path `index`,
    /// fsyncs it (with `mtime` set when given) and returns it with its CRC32
    /// and mtime. The temp file is removed if anything fails.
    pub(crate) async fn receive<R>(
        &self,
        index: u8,
        size: u64,
        reader: &mut R,
        mtime: Option<std::time::SystemTime>,
    ) -> StoreResult<(TempFile, u32, std::time::SystemTime)>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let mut tmp = TempFile::create(&self.paths.tmp_dir(index)?).await?;
        let mut hasher = crc32fast::Hasher::new();
        let path = tmp.path().to_path_buf();
        let buffer = self.config.buffer_size;
        fsops::copy_exact(reader, tmp.file()?, size, buffer, Some(&mut hasher), &path).await?;
        let mtime = tmp.finish(mtime).await?;
        Ok((tmp, hasher.finalize(), mtime))
    }

    /// Gives a finished temp file a fresh name from `spec` (drawing again
    /// while names are taken).
    pub(crate) async fn commit_new_name(
        &self,
        tmp: TempFile,
        index: u8,
        spec: &NewName<'_>,
    ) -> StoreResult<LogicName> {
        let paths = &self.paths;
        self.draw_name(tmp, index, spec, move |file, name| async move {
            commit_or_return(file, paths.resolve(&name)?, false).await
        })
        .await
    }

    /// Draws fresh names from `spec` and hands `tmp` to `commit` under
    /// each until one is free: `commit` gives the file back when the name
    /// is taken. Fails after [`NAME_ATTEMPTS`] taken names.
    pub(crate) async fn draw_name<F, Fut>(
        &self,
        tmp: TempFile,
        index: u8,
        spec: &NewName<'_>,
        mut commit: F,
    ) -> StoreResult<LogicName>
    where
        F: FnMut(TempFile, LogicName) -> Fut,
        Fut: Future<Output = StoreResult<Result<(), TempFile>>>,
    {
        let mut tmp = Some(tmp);
        for _ in 0..NAME_ATTEMPTS {
            let name = self.new_logic_name(index, spec, None)?;
            let Some(file) = tmp.take() else { break };
            match commit(file, name.clone()).await? {
                Ok(()) => return Ok(name),
                Err(file) => {
                    tracing::debug!(%name, "generated name taken, drawing another");
                    tmp = Some(file);
                }
            }
        }
        Err(StoreError::io(
            "name file",
            self.paths.data_dir(index)?,
            io::Error::other("no free name after repeated attempts"),
        ))
    }
}

/// Renames a finished temp file to `path` (replacing an existing file only
/// when `replace`), creating `data/HH/LL` as needed, then fsyncs the
/// directory. `Taken` when the name exists and `replace` is false.
async fn commit(tmp: TempFile, path: PathBuf, replace: bool) -> StoreResult<Commit> {
    match commit_or_return(tmp, path, replace).await? {
        Ok(()) => Ok(Commit::Done),
        Err(_tmp) => Ok(Commit::Taken),
    }
}

/// Like [`commit`], but hands the temp file back when the name is taken.
async fn commit_or_return(
    tmp: TempFile,
    path: PathBuf,
    replace: bool,
) -> StoreResult<Result<(), TempFile>> {
    let from = tmp.path().to_path_buf();
    let target = path.clone();
    let renamed = tokio::task::spawn_blocking(move || -> Result<(), (&'static str, io::Error)> {
        if let Some(dir) = target.parent() {
            fsops::ensure_dir(dir).map_err(|e| ("create dir", e))?;
        }
        let renamed = if replace {
            std::fs::rename(&from, &target)
        } else {
            fsops::rename_noreplace(&from, &target)
        };
        renamed.map_err(|e| ("rename", e))
    })
    .await
    .map_err(join_error)?;
    match renamed {
        Ok(()) => {}
        Err((_, e)) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(Err(tmp)),
        Err((op, e)) => return Err(StoreError::io(op, path, e)),
    }
    // The content is under its final name: nothing to clean up any more.
    tmp.keep();
    let dir = path.clone();
    fsops::blocking(move || {
        fsops::fsync_parent(&dir).map_err(|e| StoreError::io("fsync dir", dir.as_path(), e))
    })
    .await?;
    Ok(Ok(()))
}

/// Whether `path` is a regular file.
pub(crate) async fn is_file(path: &Path) -> bool {
    tokio::fs::metadata(path).await.is_ok_and(|m| m.is_file())
}
