//! [`Reader`]: records in order from a [`Position`], across file rotations —
//! what each per-peer sync worker runs on.
//!
//! A reader made by [`Binlog::reader`](super::Binlog::reader) ("tailing")
//! never reads past the writer's durable end, so it can't hand out a record
//! that a crash could still lose (a mark saved past such a record would later
//! point into the middle of another line), and it waits for new records on
//! the writer's `watch`. A reader made by [`Reader::open`] ("standalone")
//! reads what the files hold — for tools and for a binlog no process is
//! writing — and never waits.
//!
//! Either way a record is only returned once its `\n` is there; a complete
//! line that does not parse, or a line longer than [`MAX_LINE`], is skipped
//! with a warning and counted in [`Reader::skipped`].

use std::io::{ErrorKind, SeekFrom};
use std::path::PathBuf;
use std::time::Duration;

use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::watch;
use tokio::time::Instant;

use super::files::binlog_path;
use super::record::{MAX_LINE, Record};
use super::{BinlogError, Position};

const CHUNK: usize = 64 * 1024;

/// A sequential binlog reader; see the module docs.
#[derive(Debug)]
pub struct Reader {
    dir: PathBuf,
    /// Start of the next unconsumed line.
    pos: Position,
    file: Option<File>,
    /// Bytes read from the file; the unconsumed ones start at `start`.
    buf: Vec<u8>,
    start: usize,
    /// The file offset of `buf[start]`: `pos.offset`, or further while
    /// discarding an over-long line.
    at: u64,
    chunk: Vec<u8>,
    /// Dropping an over-long line until its `\n`.
    discarding: bool,
    durable: Option<watch::Receiver<Position>>,
    skipped: u64,
}

impl Reader {
    /// A standalone reader of the binlog in `dir` from `from`: it reads
    /// whatever complete lines the files hold, and moves to `binlog.N+1`
    /// at the end of `binlog.N` when that file exists.
    pub fn open(dir: PathBuf, from: Position) -> Self {
        Self::new(dir, from, None)
    }

    pub(crate) fn tailing(
        dir: PathBuf,
        from: Position,
        durable: watch::Receiver<Position>,
    ) -> Self {
        Self::new(dir, from, Some(durable))
    }

    fn new(dir: PathBuf, from: Position, durable: Option<watch::Receiver<Position>>) -> Self {
        Self {
            dir,
            pos: from,
            file: None,
            buf: Vec::new(),
            start: 0,
            at: from.offset,
            chunk: vec![0; CHUNK],
            discarding: false,
            durable,
            skipped: 0,
        }
    }

    /// Where the next record starts (what a mark should save).
    pub fn position(&self) -> Position {
        self.pos
    }

    /// How many malformed lines were skipped.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The next record and the position just after it, or `None` at the end
    /// of the data available now. Cancel-safe.
    pub async fn next(&mut self) -> Result<Option<(Record, Position)>, BinlogError> {
        loop {
            if let Some(record) = self.take_line() {
                return Ok(Some((record, self.pos)));
            }
            let durable = self.durable.as_mut().map(|rx| *rx.borrow_and_update());
            if self.fill(durable).await? {
                continue;
            }
            // End of the readable data of this file: is the file finished?
            let finished = match durable {
                Some(end) => end.index > self.pos.index,
                None => tokio::fs::try_exists(binlog_path(&self.dir, self.pos.index + 1))
                    .await
                    .unwrap_or(false),
            };
            if !finished {
                return Ok(None);
            }
            if self.discarding || self.start < self.buf.len() {
                let position = self.pos;
                tracing::warn!(%position, "binlog: partial line at the end of a finished file; skipped");
                self.skipped += 1;
            }
            self.pos = Position::new(self.pos.index + 1, 0);
            self.at = 0;
            self.file = None;
            self.buf.clear();
            self.start = 0;
            self.discarding = false;
        }
    }

    /// Like [`Reader::next`], but at the end of the data waits for the
    /// writer to commit more, up to `timeout` (forever if `None`); `None`
    /// after the timeout. A standalone reader does not wait. Fails with
    /// [`BinlogError::Closed`] once the writer has shut down. Cancel-safe.
    pub async fn next_wait(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<(Record, Position)>, BinlogError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(found) = self.next().await? {
                return Ok(Some(found));
            }
            let Some(rx) = self.durable.as_mut() else {
                return Ok(None);
            };
            let changed = match deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline, rx.changed()).await {
                    Ok(changed) => changed,
                    Err(_elapsed) => return Ok(None),
                },
                None => rx.changed().await,
            };
            changed.map_err(|_| BinlogError::Closed)?;
        }
    }

    /// Takes the next complete line from the buffer, skipping bad ones.
    fn take_line(&mut self) -> Option<Record> {
        while let Some(nl) = self.buf[self.start..].iter().position(|&b| b == b'\n') {
            let line_start = self.start;
            self.start += nl + 1;
            self.at += nl as u64 + 1;
            let at = self.pos;
            self.pos.offset = self.at;
            if std::mem::take(&mut self.discarding) {
                continue;
            }
            match Record::parse(&self.buf[line_start..self.start]) {
                Ok(record) => return Some(record),
                Err(error) => {
                    tracing::warn!(position = %at, %error, "binlog: skipping a malformed line");
                    self.skipped += 1;
                }
            }
        }
        let pending = self.buf.len() - self.start;
        if pending >= MAX_LINE {
            if !self.discarding {
                let position = self.pos;
                tracing::warn!(%position, "binlog: skipping a line longer than {MAX_LINE} bytes");
                self.skipped += 1;
                self.discarding = true;
            }
            self.at += pending as u64;
            self.buf.clear();
            self.start = 0;
        } else if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        None
    }

    /// Reads more of the current file, up to the durable end when tailing.
    /// `false` when nothing more can be read now.
    async fn fill(&mut self, durable: Option<Position>) -> Result<bool, BinlogError> {
        let read_at = self.at + (self.buf.len() - self.start) as u64;
        let mut want = CHUNK as u64;
        if let Some(end) = durable {
            if end.index < self.pos.index {
                return Ok(false);
            }
            if end.index == self.pos.index {
                want = want.min(end.offset.saturating_sub(read_at));
            }
        }
        if want == 0 {
            return Ok(false);
        }
        if self.file.is_none() {
            let path = binlog_path(&self.dir, self.pos.index);
            let mut file = match File::open(&path).await {
                Ok(file) => file,
                Err(e) if e.kind() == ErrorKind::NotFound && read_at == 0 && durable.is_none() => {
                    return Ok(false);
                }
                Err(e) => return Err(BinlogError::io("open", &path, e)),
            };
            file.seek(SeekFrom::Start(read_at))
                .await
                .map_err(|e| BinlogError::io("seek", &path, e))?;
            self.file = Some(file);
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(false);
        };
        let n = file
            .read(&mut self.chunk[..want as usize])
            .await
            .map_err(|e| BinlogError::io("read", &binlog_path(&self.dir, self.pos.index), e))?;
        self.buf.extend_from_slice(&self.chunk[..n]);
        Ok(n > 0)
    }
}
