//! The async facade: [`IndexHandle`] runs index work on dedicated threads
//! so no SQLite call ever blocks a tokio worker.
//!
//! # Concurrency model
//!
//! - **One writer thread** owns the read-write connection and runs write
//!   jobs one at a time, in submission order. SQLite allows one writer per
//!   database anyway; a single owner makes that explicit, keeps lock
//!   waits out of the picture and gives writes a total order.
//! - **Group commit.** The writer takes every job already queued (up to
//!   [`GROUP_MAX`]) into one transaction, each job in its own savepoint,
//!   and replies to all of them after the one commit. Every commit costs
//!   a WAL fsync (`synchronous = FULL`); under load, concurrent PUTs share
//!   it instead of queueing behind each other's. A job that fails rolls
//!   back its savepoint alone; a failed commit fails the whole group.
//!   So every write job is atomic: all it wrote, or (on an error or a
//!   panic) none of it.
//! - **A pool of reader threads**, each owning a read-only connection,
//!   pull read jobs from one shared queue. In WAL mode readers never wait
//!   for the writer, so a long write (a 10,000-part completion, a bulk
//!   import) does not stall GETs and listings. With zero readers, reads
//!   run on the writer thread.
//! - A job's reply is sent after its transaction committed, so a read
//!   submitted after a write returned sees that write.
//! - Both queues are bounded ([`QUEUE_DEPTH`]): a flood of requests waits
//!   in `send().await` (back-pressure) instead of growing memory.
//! - A job that panics is caught: its transaction rolls back on unwind,
//!   the caller gets [`IndexError::JobPanicked`] and the thread lives on.
//! - Threads exit when the last handle is dropped, after finishing the
//!   jobs already queued. Every job is one transaction, so a process that
//!   exits with jobs still queued loses only writes nobody was told had
//!   succeeded.
//! - Two to four readers suit a gateway: SQLite reads are short and the
//!   pool only has to cover concurrent listings.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::Index;
use super::error::{IndexError, Result};

/// Jobs waiting per queue before senders wait.
pub const QUEUE_DEPTH: usize = 256;

/// The most write jobs one group commit takes.
pub const GROUP_MAX: usize = 64;

/// A job runs on a connection and returns how to answer its caller once
/// the outcome of its commit is known (`Some(error)` if it failed).
type Job = Box<dyn FnOnce(&mut Index) -> Reply + Send>;
type Reply = Box<dyn FnOnce(Option<&IndexError>) + Send>;

/// A cloneable async handle to the index; see the module docs.
#[derive(Debug, Clone)]
pub struct IndexHandle {
    writer: mpsc::Sender<Job>,
    readers: mpsc::Sender<Job>,
}

impl IndexHandle {
    /// Opens the index at `path` (migrating it) and starts the writer
    /// thread and `readers` reader threads. Blocking: call it at startup
    /// or from `spawn_blocking`.
    pub fn open(path: impl AsRef<Path>, readers: usize) -> Result<Self> {
        let path = path.as_ref();
        let writer_index = Index::open(path)?;
        let reader_indexes =
            (0..readers).map(|_| Index::open_reader(path)).collect::<Result<Vec<_>>>()?;
        let (writer, writer_rx) = mpsc::channel::<Job>(QUEUE_DEPTH);
        spawn_writer(writer_index, writer_rx)?;
        let readers_tx = if reader_indexes.is_empty() {
            writer.clone()
        } else {
            let (tx, rx) = mpsc::channel::<Job>(QUEUE_DEPTH);
            let rx = Arc::new(Mutex::new(rx));
            for (i, index) in reader_indexes.into_iter().enumerate() {
                spawn_worker(format!("fdfs-index-reader-{i}"), index, Arc::clone(&rx))?;
            }
            tx
        };
        Ok(Self { writer, readers: readers_tx })
    }

    /// Runs `job` on the writer connection.
    pub async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Index) -> Result<T> + Send + 'static,
    {
        submit(&self.writer, job).await
    }

    /// Runs `job` on a reader connection (writes through it fail).
    pub async fn read<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Index) -> Result<T> + Send + 'static,
    {
        submit(&self.readers, job).await
    }
}

async fn submit<T, F>(queue: &mpsc::Sender<Job>, job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Index) -> Result<T> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let wrapped: Job = Box::new(move |index: &mut Index| {
        let result = match index.begin_job() {
            Ok(()) => catch_unwind(AssertUnwindSafe(|| job(index)))
                .unwrap_or(Err(IndexError::JobPanicked)),
            Err(e) => Err(e),
        };
        let result = match (index.end_job(result.is_ok()), result) {
            (Err(e), Ok(_)) => Err(e),
            (_, result) => result,
        };
        Box::new(move |commit: Option<&IndexError>| {
            let result = match (result, commit) {
                (Ok(_), Some(e)) => Err(IndexError::GroupCommit(e.to_string())),
                (result, _) => result,
            };
            // The caller may have gone away (request cancelled): nothing to do.
            let _ = reply.send(result);
        })
    });
    queue.send(wrapped).await.map_err(|_| IndexError::Closed)?;
    answer.await.map_err(|_| IndexError::Closed)?
}

/// Starts a thread that runs jobs from `queue` on `index` until every
/// sender is gone.
fn spawn_worker(
    name: String,
    mut index: Index,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
) -> Result<()> {
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            loop {
                // Only the thread holding the lock waits for a job; the
                // others wait for the lock. A poisoned lock (impossible:
                // nothing panics while holding it) would end the worker.
                let job = match queue.lock() {
                    Ok(mut rx) => rx.blocking_recv(),
                    Err(_) => None,
                };
                let Some(job) = job else { break };
                job(&mut index)(None);
            }
            tracing::debug!(thread = %name, "index worker stopped");
        })
        .map_err(IndexError::Spawn)?;
    Ok(())
}

/// Starts the writer thread: group commits of the jobs in `queue` until
/// every sender is gone.
fn spawn_writer(mut index: Index, mut queue: mpsc::Receiver<Job>) -> Result<()> {
    std::thread::Builder::new()
        .name("fdfs-index-writer".to_string())
        .spawn(move || {
            let mut group = Vec::with_capacity(GROUP_MAX);
            while let Some(first) = queue.blocking_recv() {
                group.push(first);
                while group.len() < GROUP_MAX {
                    match queue.try_recv() {
                        Ok(job) => group.push(job),
                        Err(_) => break,
                    }
                }
                run_group(&mut index, &mut group);
            }
            tracing::debug!("index writer stopped");
        })
        .map_err(IndexError::Spawn)?;
    Ok(())
}

/// Runs `group` in one transaction and answers every job after its commit.
fn run_group(index: &mut Index, group: &mut Vec<Job>) {
    if let Err(e) = index.begin_group() {
        // Each job commits itself, or fails alone.
        tracing::warn!(error = %e, "cannot start an index group commit");
        for job in group.drain(..) {
            job(index)(None);
        }
        return;
    }
    let replies: Vec<Reply> = group.drain(..).map(|job| job(index)).collect();
    let outcome = index.commit_group();
    if let Err(e) = &outcome {
        tracing::error!(error = %e, jobs = replies.len(), "index group commit failed");
    }
    for reply in replies {
        reply(outcome.as_ref().err());
    }
}
