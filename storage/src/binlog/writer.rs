//! [`Binlog`]: the single owner of the binlog files.
//!
//! Appends go through a queue to one dedicated thread (the files need
//! blocking `write` and `fsync`, and one owner means no locking of file
//! offsets). The thread takes everything queued — group commit — writes it,
//! fsyncs once, publishes the new durable end on a `watch` channel (tailing
//! readers wake up) and only then resolves each caller's future. Rotation to
//! `binlog.N+1` happens before a line that would take the current file past
//! the size limit; `binlog_index.dat` is rewritten crash-safely each time.
//!
//! Start-up recovery (in [`Binlog::open`]) picks the current file (the larger
//! of `current_write` and the highest `binlog.N` present: a crash between
//! creating a file and updating the index loses nothing) and truncates a torn
//! last line — a crash in the middle of an append — so that every line in the
//! file is complete.
//!
//! An I/O error fails every append of its batch and truncates the current
//! file back to its durable end; if even that fails the writer stops
//! accepting records ([`BinlogError::Failed`]) until a restart recovers it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot, watch};

use super::current::FileState;
use super::forward::Replay;
use super::reader::Reader;
use super::record::Record;
use super::{BinlogError, Position};

/// Binlog settings.
#[derive(Debug, Clone)]
pub struct BinlogConfig {
    /// The sync directory, `<base_path>/data/sync`; created if missing.
    pub dir: PathBuf,
    /// Start a new `binlog.NNN` when the current one would exceed this many
    /// bytes (FastDFS: 1 GiB). A single longer line still goes in one file.
    pub max_file_size: u64,
    /// How many append calls may wait in the queue before callers wait.
    pub queue_depth: usize,
    /// Upper bound of bytes written per fsync (group commit batch).
    pub max_batch_bytes: usize,
}

impl BinlogConfig {
    /// FastDFS's defaults for the sync directory of `base_path`.
    pub fn for_base_path(base_path: &Path) -> Self {
        Self::new(base_path.join("data").join("sync"))
    }

    /// FastDFS's defaults for the sync directory `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, max_file_size: 1 << 30, queue_depth: 1024, max_batch_bytes: 4 << 20 }
    }
}

/// A handle to the binlog writer; cheap to clone, shared by every task that
/// logs changes and every sync worker that tails the log.
#[derive(Debug, Clone)]
pub struct Binlog {
    inner: Arc<Inner>,
}

/// Counters of the writer, for status reports.
#[derive(Debug, Default)]
pub struct BinlogStats {
    /// Records made durable.
    pub records: AtomicU64,
    /// Batches written (one fsync each, plus one per rotation).
    pub batches: AtomicU64,
    /// Batches that failed.
    pub errors: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    stats: Arc<BinlogStats>,
    queue: Mutex<Option<mpsc::Sender<Request>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    durable: watch::Receiver<Position>,
}

#[derive(Debug)]
struct Request {
    lines: Vec<String>,
    done: oneshot::Sender<Result<Position, BinlogError>>,
}

impl Binlog {
    /// Opens (creating if needed) the binlog in `config.dir`, recovers a
    /// torn last line, and starts the writer thread. The directory is locked
    /// (`.binlog.lock`) until the thread exits — after [`Binlog::close`], or
    /// once every handle is dropped — so a second writer fails to open.
    pub async fn open(config: BinlogConfig) -> Result<Self, BinlogError> {
        let dir = config.dir.clone();
        let state = tokio::task::spawn_blocking(move || FileState::recover(&config))
            .await
            .map_err(|e| BinlogError::io("recover", &dir, std::io::Error::other(e)))??;
        let (durable_tx, durable) = watch::channel(state.durable);
        let (queue, rx) = mpsc::channel(state.queue_depth.max(1));
        let stats = Arc::new(BinlogStats::default());
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("fdfs-binlog".into())
            .spawn(move || run(state, rx, durable_tx, &thread_stats))
            .map_err(|e| BinlogError::io("start writer for", &dir, e))?;
        let inner = Inner {
            dir,
            stats,
            queue: Mutex::new(Some(queue)),
            thread: Mutex::new(Some(thread)),
            durable,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The sync directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Appends `records` in order and resolves, after they are fsynced, to
    /// the position just past the last of them (a peer whose mark reaches it
    /// has seen them all). Records of one call are never interleaved with
    /// another call's. An empty slice resolves to the current durable end.
    #[tracing::instrument(level = "debug", skip_all, fields(records = records.len()))]
    pub async fn append(&self, records: &[Record]) -> Result<Position, BinlogError> {
        if records.is_empty() {
            return Ok(self.durable_end());
        }
        let lines = records.iter().map(Record::to_line).collect::<Result<Vec<_>, _>>()?;
        let queue = self.inner.queue.lock().map_err(|_| BinlogError::Closed)?.clone();
        let queue = queue.ok_or(BinlogError::Closed)?;
        let (done, wait) = oneshot::channel();
        queue.send(Request { lines, done }).await.map_err(|_| BinlogError::Closed)?;
        wait.await.map_err(|_| BinlogError::Closed)?
    }

    /// Appends one record; see [`Binlog::append`].
    pub async fn append_one(&self, record: &Record) -> Result<Position, BinlogError> {
        self.append(std::slice::from_ref(record)).await
    }

    /// The writer's counters.
    pub fn stats(&self) -> &BinlogStats {
        &self.inner.stats
    }

    /// The end of the durable records.
    pub fn durable_end(&self) -> Position {
        *self.inner.durable.borrow()
    }

    /// A watch of the durable end; it changes after every committed batch.
    pub fn subscribe(&self) -> watch::Receiver<Position> {
        self.inner.durable.clone()
    }

    /// A reader from `from` that can wait for new records
    /// ([`Reader::next_wait`]). Fails if `from` is past the durable end.
    pub fn reader(&self, from: Position) -> Result<Reader, BinlogError> {
        let end = self.durable_end();
        if from > end {
            return Err(BinlogError::BeyondEnd { position: from, end });
        }
        Ok(Reader::tailing(self.inner.dir.clone(), from, self.subscribe()))
    }

    /// The full replay that catches up a new member: every record from the
    /// start of the binlog to the current durable end that
    /// [`should_forward`](super::should_forward) passes while catching up.
    pub fn replay(&self, until_timestamp: i64) -> Replay {
        let end = self.durable_end();
        let reader = Reader::tailing(self.inner.dir.clone(), Position::START, self.subscribe());
        Replay::new(reader, end, until_timestamp)
    }

    /// Stops accepting records, lets the writer finish what is queued, and
    /// waits for its thread to exit. Other handles get [`BinlogError::Closed`].
    pub async fn close(&self) {
        drop(self.inner.queue.lock().ok().and_then(|mut q| q.take()));
        let thread = self.inner.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// The writer thread: batches queued requests, one fsync per batch.
fn run(
    mut state: FileState,
    mut rx: mpsc::Receiver<Request>,
    durable: watch::Sender<Position>,
    stats: &BinlogStats,
) {
    const MAX_REQUESTS: usize = 4096;
    while let Some(first) = rx.blocking_recv() {
        let mut bytes: usize = first.lines.iter().map(String::len).sum();
        let mut batch = vec![first];
        while bytes < state.max_batch_bytes && batch.len() < MAX_REQUESTS {
            let Ok(next) = rx.try_recv() else { break };
            bytes += next.lines.iter().map(String::len).sum::<usize>();
            batch.push(next);
        }
        if state.failed {
            for request in batch {
                let _ = request.done.send(Err(BinlogError::Failed));
            }
            continue;
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        match state.write_batch(batch.iter().map(|r| r.lines.as_slice())) {
            Ok(ends) => {
                let records = batch.iter().map(|r| r.lines.len() as u64).sum();
                stats.records.fetch_add(records, Ordering::Relaxed);
                durable.send_replace(state.durable);
                for (request, end) in batch.into_iter().zip(ends) {
                    let _ = request.done.send(Ok(end));
                }
            }
            Err(error) => {
                tracing::error!(%error, requests = batch.len(), "binlog: append failed");
                stats.errors.fetch_add(1, Ordering::Relaxed);
                state.roll_back();
                // Records before a rotation inside the batch are durable.
                durable.send_replace(state.durable);
                for request in batch {
                    let _ = request.done.send(Err(copy_error(&error)));
                }
            }
        }
    }
    tracing::debug!(dir = %state.dir.display(), "binlog: writer stopped");
}

/// One error for each caller of a failed batch (`io::Error` is not `Clone`).
fn copy_error(error: &BinlogError) -> BinlogError {
    match error {
        BinlogError::Io { op, path, source } => BinlogError::Io {
            op,
            path: path.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        BinlogError::Corrupt { path, reason } => {
            BinlogError::Corrupt { path: path.clone(), reason: reason.clone() }
        }
        BinlogError::Record(e) => BinlogError::Record(e.clone()),
        BinlogError::BeyondEnd { position, end } => {
            BinlogError::BeyondEnd { position: *position, end: *end }
        }
        BinlogError::BadPeerName(name) => BinlogError::BadPeerName(name.clone()),
        BinlogError::Failed => BinlogError::Failed,
        BinlogError::Closed => BinlogError::Closed,
    }
}
