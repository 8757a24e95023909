//! Write-behind persistence: a dedicated thread owns the SQLite store, so no
//! SQLite call ever blocks an async worker.
//!
//! Handlers send a snapshot of each group they changed (a cheap clone) on a
//! channel; the thread coalesces what queued up — only the newest snapshot of
//! a group is written — and commits it in one transaction. Storages re-report
//! their state every heartbeat, so the window a crash could lose (the
//! updates still in the channel) is refilled within one beat; membership and
//! status survive restarts because they were committed when they changed.
//! [`Persister::flush`] waits until everything sent so far is on disk. The
//! upload rotation pointers are not persisted: losing them only restarts the
//! rotation.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tracing::error;

use crate::cluster::Group;
use crate::store::Store;

enum Op {
    SaveGroup(Box<Group>),
    DeleteGroup(String),
    SetState(String, Vec<u8>),
    Flush(mpsc::Sender<()>),
}

/// Handle to the persistence thread. Dropping the last handle stops it after
/// it has written everything queued.
#[derive(Debug)]
pub struct Persister {
    tx: Option<mpsc::Sender<Op>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SaveGroup(g) => write!(f, "SaveGroup({})", g.name),
            Self::DeleteGroup(n) => write!(f, "DeleteGroup({n})"),
            Self::SetState(k, _) => write!(f, "SetState({k})"),
            Self::Flush(_) => write!(f, "Flush"),
        }
    }
}

impl Persister {
    /// Starts the thread that owns `store`.
    pub fn start(store: Store) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tracker-persist".into())
            .spawn(move || run(store, rx))?;
        Ok(Self { tx: Some(tx), thread: Some(thread) })
    }

    fn send(&self, op: Op) {
        if let Some(tx) = &self.tx
            && tx.send(op).is_err()
        {
            error!("persistence thread is gone; cluster changes are no longer saved");
        }
    }

    /// Queues the current state of `group` for writing.
    pub fn save_group(&self, group: &Group) {
        self.send(Op::SaveGroup(Box::new(group.clone())));
    }

    /// Queues the removal of a group.
    pub fn delete_group(&self, name: &str) {
        self.send(Op::DeleteGroup(name.to_string()));
    }

    /// Queues a tracker-level key/value write.
    pub fn set_state(&self, key: &str, value: &[u8]) {
        self.send(Op::SetState(key.to_string(), value.to_vec()));
    }

    /// Blocks until everything queued before this call is committed.
    pub fn flush(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        self.send(Op::Flush(done_tx));
        let _ = done_rx.recv();
    }
}

impl Drop for Persister {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            error!("persistence thread panicked");
        }
    }
}

fn run(mut store: Store, rx: mpsc::Receiver<Op>) {
    while let Ok(first) = rx.recv() {
        // Coalesce everything already queued: newest snapshot per group wins.
        let mut groups: BTreeMap<String, Option<Box<Group>>> = BTreeMap::new();
        let mut waiters = Vec::new();
        let mut states = BTreeMap::new();
        for op in std::iter::once(first).chain(rx.try_iter()) {
            match op {
                Op::SaveGroup(g) => {
                    groups.insert(g.name.clone(), Some(g));
                }
                Op::DeleteGroup(name) => {
                    groups.insert(name, None);
                }
                Op::SetState(key, value) => {
                    states.insert(key, value);
                }
                Op::Flush(done) => waiters.push(done),
            }
        }
        for (name, group) in groups {
            let result = match group {
                Some(g) => store.save_group(&g),
                None => store.delete_group(&name),
            };
            if let Err(e) = result {
                error!(group = %name, error = %e, "saving tracker state failed");
            }
        }
        for (key, value) in states {
            if let Err(e) = store.set_state(&key, &value) {
                error!(key, error = %e, "saving tracker state failed");
            }
        }
        for done in waiters {
            let _ = done.send(());
        }
    }
}
