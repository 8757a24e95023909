//! The writer thread's state: the current `binlog.NNN`, what of it is
//! durable, and the operations only the writer performs on it — start-up
//! recovery, writing a batch with one fsync, rotation, roll-back after a
//! failed write. Everything here blocks (it runs on the writer's own thread
//! or in `spawn_blocking`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::files::{BinlogIndex, binlog_path, highest_binlog, sync_dir};
use super::writer::BinlogConfig;
use super::{BinlogError, Position};

/// Name of the lock file that keeps a second writer out of the directory.
const LOCK_FILE: &str = ".binlog.lock";

/// The open current file and what is known durable in it.
pub(super) struct FileState {
    pub(super) dir: PathBuf,
    /// Held (locked) for the writer's lifetime.
    _lock: File,
    file: File,
    index: BinlogIndex,
    pub(super) durable: Position,
    /// Bytes in the current file (durable plus written in this batch).
    len: u64,
    max_file_size: u64,
    pub(super) max_batch_bytes: usize,
    pub(super) queue_depth: usize,
    pub(super) failed: bool,
}

impl FileState {
    pub(super) fn recover(config: &BinlogConfig) -> Result<Self, BinlogError> {
        let dir = &config.dir;
        std::fs::create_dir_all(dir).map_err(|e| BinlogError::io("create", dir, e))?;
        let lock = lock_dir(dir)?;
        let saved = BinlogIndex::load(dir)?;
        let highest = highest_binlog(dir)?;
        let mut index = saved.unwrap_or_default();
        index.current_write = index.current_write.max(highest.unwrap_or(0));
        if saved != Some(index) {
            let current_write = index.current_write;
            tracing::info!(dir = %dir.display(), current_write, "binlog: writing index");
            index.save(dir)?;
        }
        let path = binlog_path(dir, index.current_write);
        let file = open_append(&path)?;
        sync_dir(dir)?;
        let len = file.metadata().map_err(|e| BinlogError::io("stat", &path, e))?.len();
        let good = complete_prefix(&file, len).map_err(|e| BinlogError::io("read", &path, e))?;
        if good < len {
            tracing::warn!(
                file = %path.display(), torn_bytes = len - good,
                "binlog: truncating a partial last line left by a crash"
            );
            file.set_len(good).map_err(|e| BinlogError::io("truncate", &path, e))?;
            file.sync_all().map_err(|e| BinlogError::io("fsync", &path, e))?;
        }
        Ok(Self {
            dir: dir.clone(),
            _lock: lock,
            file,
            index,
            durable: Position::new(index.current_write, good),
            len: good,
            max_file_size: config.max_file_size,
            max_batch_bytes: config.max_batch_bytes,
            queue_depth: config.queue_depth,
            failed: false,
        })
    }

    fn path(&self) -> PathBuf {
        binlog_path(&self.dir, self.index.current_write)
    }

    /// Writes the batch, fsyncs, and returns each request's end position.
    pub(super) fn write_batch<'a>(
        &mut self,
        batch: impl ExactSizeIterator<Item = &'a [String]>,
    ) -> Result<Vec<Position>, BinlogError> {
        let mut ends = Vec::with_capacity(batch.len());
        let mut pending: Vec<u8> = Vec::new();
        for lines in batch {
            for line in lines {
                let size = line.len() as u64;
                if self.len > 0 && self.len + size > self.max_file_size {
                    self.flush(&mut pending)?;
                    self.rotate()?;
                }
                pending.extend_from_slice(line.as_bytes());
                self.len += size;
            }
            ends.push(Position::new(self.index.current_write, self.len));
        }
        self.flush(&mut pending)?;
        Ok(ends)
    }

    /// Writes `pending` to the current file and fsyncs it.
    fn flush(&mut self, pending: &mut Vec<u8>) -> Result<(), BinlogError> {
        let path = self.path();
        self.file.write_all(pending).map_err(|e| BinlogError::io("append to", &path, e))?;
        pending.clear();
        self.file.sync_data().map_err(|e| BinlogError::io("fsync", &path, e))?;
        self.durable = Position::new(self.index.current_write, self.len);
        Ok(())
    }

    /// Starts the next file: create it, make its name durable, then point
    /// `binlog_index.dat` at it.
    fn rotate(&mut self) -> Result<(), BinlogError> {
        let next = self.index.current_write + 1;
        let path = binlog_path(&self.dir, next);
        let file = open_append(&path)?;
        sync_dir(&self.dir)?;
        let index = BinlogIndex { current_write: next, ..self.index };
        index.save(&self.dir)?;
        tracing::info!(file = %path.display(), "binlog: rotated");
        self.file = file;
        self.index = index;
        self.len = 0;
        self.durable = Position::new(next, 0);
        Ok(())
    }

    /// After a failed batch: cut the current file back to its durable end.
    pub(super) fn roll_back(&mut self) {
        let path = self.path();
        let offset = self.durable.offset;
        let result = self.file.set_len(offset).and_then(|()| self.file.sync_all());
        match result {
            Ok(()) => self.len = offset,
            Err(error) => {
                tracing::error!(
                    file = %path.display(), %error,
                    "binlog: cannot roll back a failed append; refusing further records"
                );
                self.failed = true;
            }
        }
    }
}

/// Takes the directory's writer lock, failing if another writer holds it.
fn lock_dir(dir: &Path) -> Result<File, BinlogError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| BinlogError::io("open", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(BinlogError::io(
            "lock (another writer has this binlog open)",
            &path,
            std::io::Error::from(std::io::ErrorKind::WouldBlock),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(BinlogError::io("lock", &path, e)),
    }
}

fn open_append(path: &Path) -> Result<File, BinlogError> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| BinlogError::io("open", path, e))
}

/// The length of the longest prefix of the file (of length `len`) that ends
/// with `\n` (0 if none), scanning backwards from the end.
fn complete_prefix(mut file: &File, len: u64) -> std::io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut end = len;
    let mut chunk = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let buf = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(buf)?;
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}
