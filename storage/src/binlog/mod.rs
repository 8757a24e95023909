//! The storage's binlog: every change to a file, one text line each, in
//! FastDFS's format and files (`fastdfs-protocol.md` §8), read back by one
//! sync worker per peer (§9) from the position kept in that peer's mark file.
//!
//! # Layout
//!
//! - [`record`]: the typed line (`<ts> <op> <filename>[ <extra>]`), format
//!   and strict parse.
//! - [`writer`]: [`Binlog`], the single owner of the files — group commit
//!   (one fsync per batch, callers resolved after it), rotation to the next
//!   `binlog.NNN` at a size limit, torn-line recovery at start-up, and a
//!   [`watch`](tokio::sync::watch) of the durable end for tailing readers.
//! - [`reader`]: [`Reader`], sequential records from a [`Position`] across
//!   rotations, never past the durable end, optionally waiting for more.
//! - [`mark`]: [`SyncMark`], the per-peer `<ip>_<port>.mark` progress file.
//! - [`forward`]: [`should_forward`] (which records go to a peer, §9) and
//!   [`Replay`], the full replay that catches a new member up.
//! - `current`: the writer thread's state — the current file, recovery,
//!   batch write, rotation, roll-back.
//! - [`files`]: file names, `binlog_index.dat`, the ini format and the
//!   crash-safe replace shared by the small state files.
//!
//! # Durability
//!
//! A record is appended, and fsynced, before the change it describes is
//! acknowledged to the client: [`Binlog::append`] resolves only after the
//! fsync of the batch that holds it. Readers only see records up to the
//! durable end, so a mark can never point past data a crash could lose.
//!
//! # Bad lines
//!
//! A complete line that does not parse (corruption, a foreign tool) is
//! skipped by the reader with a warning and counted ([`Reader::skipped`]):
//! one bad line must not stop replication of everything after it. A torn
//! last line (a crash mid-append) is never returned; the writer truncates it
//! at start-up.

mod current;
pub mod files;
pub mod forward;
pub mod mark;
pub mod reader;
pub mod record;
pub mod writer;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use forward::{Replay, should_forward};
pub use mark::SyncMark;
pub use reader::Reader;
pub use record::{META_SUFFIX, Op, Origin, Record, RecordError};
pub use writer::{Binlog, BinlogConfig, BinlogStats};

/// A place in the binlog: file `binlog.<index>`, byte `offset` in it.
/// Positions order as the records they point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// The binlog file number (`binlog.NNN`).
    pub index: u32,
    /// The byte offset in that file; always at the start of a line.
    pub offset: u64,
}

impl Position {
    /// The very beginning of the binlog.
    pub const START: Position = Position { index: 0, offset: 0 };

    /// A position.
    pub fn new(index: u32, offset: u64) -> Self {
        Self { index, offset }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "binlog.{:03}@{}", self.index, self.offset)
    }
}

/// Errors of the binlog, readers and marks.
#[derive(Debug, thiserror::Error)]
pub enum BinlogError {
    /// A file operation failed.
    #[error("binlog: cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A state file (`binlog_index.dat`, a mark) does not parse.
    #[error("binlog: {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A record cannot be written (its filename would not parse back).
    #[error("binlog: invalid record: {0}")]
    Record(#[from] RecordError),
    /// A reader was asked to start beyond the durable end of the binlog.
    #[error("binlog: position {position} is beyond the end {end}")]
    BeyondEnd {
        /// The requested position.
        position: Position,
        /// The durable end.
        end: Position,
    },
    /// A peer name that cannot be used in a mark file name.
    #[error("binlog: unusable peer name for a mark file: {0:?}")]
    BadPeerName(String),
    /// The writer stopped after an I/O error it could not roll back; no
    /// record is accepted until the process restarts and recovers.
    #[error("binlog: writer failed and accepts no more records")]
    Failed,
    /// The writer has shut down.
    #[error("binlog: writer closed")]
    Closed,
}

impl BinlogError {
    pub(crate) fn io(op: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io { op, path: path.to_owned(), source }
    }

    pub(crate) fn corrupt(path: &Path, reason: impl Into<String>) -> Self {
        Self::Corrupt { path: path.to_owned(), reason: reason.into() }
    }
}
