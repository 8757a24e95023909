//! The crash-safe building blocks: temp files that clean up after
//! themselves, bounded streaming copies with a running CRC32, renames that
//! never replace, and directory fsyncs.
//!
//! A new file is written to `data/.tmp/`, fsynced, then renamed into
//! `data/HH/LL/` and the directory fsynced, so a crash leaves either nothing
//! under the final name or the whole file. The rename must not replace an
//! existing file (two uploads could draw the same name): `renameat2` with
//! `RENAME_NOREPLACE` does that atomically; on filesystems without it the
//! fallback is `link` + `unlink`, which also fails with `EEXIST` atomically
//! (a crash between the two leaves an extra link in `.tmp/`, removed at the
//! next start).

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rustix::fs::{CWD, RenameFlags, renameat_with};
use rustix::io::Errno;
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::store::error::{StoreError, StoreResult};

/// A file in a temp directory, removed on drop unless [`TempFile::keep`]
/// was called (after it was renamed to its final name).
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    /// Creates a new, empty, uniquely named file in `dir`.
    pub(crate) async fn create(dir: &Path) -> StoreResult<Self> {
        let mut last = io::Error::from(io::ErrorKind::AlreadyExists);
        // 64 random bits: a clash is already unlikely, eight in a row never.
        for _ in 0..8 {
            let path = dir.join(format!("{:016x}.tmp", rand::random::<u64>()));
            match OpenOptions::new().write(true).create_new(true).open(&path).await {
                Ok(file) => return Ok(Self { path, file: Some(file) }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
                Err(e) => return Err(StoreError::io("create temp file", path, e)),
            }
        }
        Err(StoreError::io("create temp file", dir, last))
    }

    /// The temp file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The open file; `None` after [`TempFile::close`].
    pub(crate) fn file(&mut self) -> StoreResult<&mut File> {
        self.file.as_mut().ok_or_else(|| {
            StoreError::io("write", &self.path, io::Error::other("temp file already closed"))
        })
    }

    /// Flushes, optionally sets the mtime, fsyncs and closes the file;
    /// returns its mtime.
    pub(crate) async fn finish(&mut self, mtime: Option<SystemTime>) -> StoreResult<SystemTime> {
        let path = self.path.clone();
        let mut file = self.file.take().ok_or_else(|| {
            StoreError::io("finish", &path, io::Error::other("temp file already closed"))
        })?;
        file.flush().await.map_err(|e| StoreError::io("flush", &path, e))?;
        let file = file.into_std().await;
        let task = tokio::task::spawn_blocking(move || -> StoreResult<SystemTime> {
            if let Some(mtime) = mtime {
                file.set_modified(mtime).map_err(|e| StoreError::io("set mtime", &path, e))?;
            }
            file.sync_all().map_err(|e| StoreError::io("fsync", &path, e))?;
            let meta = file.metadata().map_err(|e| StoreError::io("stat", &path, e))?;
            meta.modified().map_err(|e| StoreError::io("stat", &path, e))
        });
        task.await.map_err(crate::store::error::join_error)?
    }

    /// Forgets the file: it has been renamed, nothing to remove.
    pub(crate) fn keep(mut self) {
        self.path = PathBuf::new();
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            // One unlink; cheap enough to do in place even on a runtime thread.
            if let Err(err) = fs::remove_file(&self.path) {
                tracing::warn!(path = %self.path.display(), %err, "cannot remove temp file");
            }
        }
    }
}

/// Copies exactly `len` bytes from `reader` to `writer` through one buffer
/// of at most `buffer_size` bytes, feeding `hasher` on the way. Reads no
/// byte past `len`. An early end of `reader` is [`StoreError::ShortContent`].
pub(crate) async fn copy_exact<R, W>(
    reader: &mut R,
    writer: &mut W,
    len: u64,
    buffer_size: usize,
    mut hasher: Option<&mut crc32fast::Hasher>,
    path: &Path,
) -> StoreResult<()>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let cap = usize::try_from(len).unwrap_or(usize::MAX).min(buffer_size.max(1));
    let mut buf = vec![0u8; cap];
    let mut done = 0u64;
    while done < len {
        let want = usize::try_from(len - done).unwrap_or(usize::MAX).min(buf.len());
        let n = reader
            .read(&mut buf[..want])
            .await
            .map_err(|e| StoreError::io("receive", PathBuf::new(), e))?;
        if n == 0 {
            return Err(StoreError::ShortContent { expected: len, got: done });
        }
        let chunk = &buf[..n];
        if let Some(hasher) = hasher.as_deref_mut() {
            hasher.update(chunk);
        }
        writer.write_all(chunk).await.map_err(|e| StoreError::io("write", path, e))?;
        done += n as u64;
    }
    Ok(())
}

/// Renames `from` to `to` unless `to` exists (`EEXIST` then). Blocks.
pub(crate) fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::NOTSUP => {
            fs::hard_link(from, to)?;
            fs::remove_file(from)
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes `dir` (a `data/HH/LL` directory) exist, fsyncing the parents of
/// any level it had to create. Blocks.
pub(crate) fn ensure_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    // The new HH and LL entries must survive a crash with the file.
    if let Some(high) = dir.parent() {
        fsync_dir(high)?;
        if let Some(data) = high.parent() {
            fsync_dir(data)?;
        }
    }
    Ok(())
}

/// Fsyncs a directory so entries created, renamed or removed in it are
/// durable. Blocks.
pub(crate) fn fsync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Fsyncs the directory holding `path`. Blocks.
pub(crate) fn fsync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) => fsync_dir(dir),
        None => Ok(()),
    }
}

/// Size and CRC32 of a whole file, read through a `buffer_size` buffer.
/// Blocks.
pub(crate) fn crc_of_file(path: &Path, buffer_size: usize) -> io::Result<(u64, u32)> {
    let mut file = fs::File::open(path)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; buffer_size.clamp(1, 1 << 20)];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hasher.finalize()))
}

/// Unix seconds of `time`, saturated to the 32 bits names carry.
pub(crate) fn unix_secs(time: SystemTime) -> u32 {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// `SystemTime` of unix seconds.
pub(crate) fn from_unix_secs(secs: u32) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_secs(u64::from(secs))
}

/// Runs a blocking closure on the blocking pool.
pub(crate) async fn blocking<T, F>(f: F) -> StoreResult<T>
where
    F: FnOnce() -> StoreResult<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(crate::store::error::join_error)?
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::{crc_of_file, rename_noreplace};

    #[test]
    fn rename_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        std::fs::write(&a, b"one").unwrap();
        std::fs::write(&b, b"two").unwrap();
        let err = rename_noreplace(&a, &b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).unwrap(), b"two");
        rename_noreplace(&a, &c).unwrap();
        assert!(!a.exists());
        assert_eq!(crc_of_file(&c, 1).unwrap(), (3, crc32fast::hash(b"one")));
    }
}
