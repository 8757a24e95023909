//! The async facade: [`IndexHandle`] runs index work on dedicated threads
//! so no SQLite call ever blocks a tokio worker.
//!
//! # Concurrency model
//!
//! - **One writer thread** owns the read-write connection and runs write
//!   jobs one at a time, in submission order. SQLite allows one writer per
//!   database anyway; a single owner makes that explicit, keeps lock
//!   waits out of the picture and gives writes a total order.
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

type Job = Box<dyn FnOnce(&mut Index) + Send>;

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
        spawn_worker(
            "fdfs-index-writer".to_string(),
            writer_index,
            Arc::new(Mutex::new(writer_rx)),
        )?;
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
        let result =
            catch_unwind(AssertUnwindSafe(|| job(index))).unwrap_or(Err(IndexError::JobPanicked));
        // The caller may have gone away (request cancelled): nothing to do.
        let _ = reply.send(result);
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
                job(&mut index);
            }
            tracing::debug!(thread = %name, "index worker stopped");
        })
        .map_err(IndexError::Spawn)?;
    Ok(())
}
