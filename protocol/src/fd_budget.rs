//! One file-descriptor budget per process.
//!
//! Every accepted connection costs a descriptor, and so do the files,
//! databases and outgoing connections of every role. When one listener is
//! flooded until the process runs out, `accept(2)` fails with EMFILE on
//! *every* listener and `open(2)` fails everywhere: in `fdfs server` an S3
//! flood would silence the embedded tracker and storage. So:
//!
//! - at start the soft RLIMIT_NOFILE is raised to the hard limit
//!   ([`init_process_budget`]), as nginx's `worker_rlimit_nofile` would;
//! - every listener takes an [`FdPermit`] from the one process-wide
//!   [`FdBudget`] of `limit - reserve` descriptors per accepted
//!   connection, on top of its own `max_connections`. Once the budget is
//!   spent, new connections are accepted and closed at once (refused
//!   fast), and the `reserve` stays free for files, the index, the
//!   cluster clients and the other listeners' next connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use tracing::{info, warn};

/// Descriptors kept out of the connection budget by default: files being
/// served, SQLite, binlogs, outgoing connections to trackers and storages.
pub const DEFAULT_FD_RESERVE: usize = 256;

/// The smallest budget ever handed out, so a tiny limit still serves.
const MIN_BUDGET: usize = 16;

/// A count of descriptors connections may hold at once.
#[derive(Debug)]
pub struct FdBudget {
    capacity: usize,
    used: AtomicUsize,
}

/// One descriptor of an [`FdBudget`], given back on drop.
#[derive(Debug)]
pub struct FdPermit {
    budget: Arc<FdBudget>,
}

impl FdBudget {
    /// A budget of `capacity` descriptors.
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self { capacity, used: AtomicUsize::new(0) })
    }

    /// Takes one descriptor, or `None` when the budget is spent.
    pub fn try_acquire(self: &Arc<Self>) -> Option<FdPermit> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used < self.capacity).then_some(used + 1)
            })
            .ok()
            .map(|_| FdPermit { budget: Arc::clone(self) })
    }

    /// Descriptors in the budget.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Descriptors taken now.
    pub fn in_use(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

impl Drop for FdPermit {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(1, Ordering::AcqRel);
    }
}

static PROCESS: OnceLock<Arc<FdBudget>> = OnceLock::new();

/// Raises the soft RLIMIT_NOFILE to the hard limit and sets the process
/// budget to the result minus `reserve` (at least a small floor). The
/// first call decides; later calls (and [`process_budget`] before any)
/// return the budget already set.
pub fn init_process_budget(reserve: usize) -> Arc<FdBudget> {
    Arc::clone(PROCESS.get_or_init(|| {
        let limit = raise_nofile_limit();
        let capacity = limit.saturating_sub(reserve).max(MIN_BUDGET);
        info!(limit, reserve, connections = capacity, "file descriptor budget");
        FdBudget::new(capacity)
    }))
}

/// The process budget ([`init_process_budget`] with the default reserve
/// when nothing set it yet).
pub fn process_budget() -> Arc<FdBudget> {
    init_process_budget(DEFAULT_FD_RESERVE)
}

/// Raises the soft descriptor limit to the hard one when it can and
/// returns the soft limit in effect (capped to `usize`, "unlimited" read
/// as a large finite number).
pub fn raise_nofile_limit() -> usize {
    const UNLIMITED: u64 = 1 << 20;
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let hard = maximum.unwrap_or(UNLIMITED);
    let soft = current.unwrap_or(UNLIMITED);
    let effective = if soft < hard {
        match setrlimit(Resource::Nofile, Rlimit { current: Some(hard), maximum }) {
            Ok(()) => hard,
            Err(e) => {
                warn!(error = %e, soft, hard, "cannot raise the soft RLIMIT_NOFILE");
                soft
            }
        }
    } else {
        soft
    };
    usize::try_from(effective).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_are_counted_and_given_back() {
        let budget = FdBudget::new(2);
        let a = budget.try_acquire().unwrap();
        let b = budget.try_acquire().unwrap();
        assert!(budget.try_acquire().is_none(), "over capacity");
        assert_eq!(budget.in_use(), 2);
        drop(a);
        let c = budget.try_acquire().unwrap();
        drop((b, c));
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let limit = raise_nofile_limit();
        let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
        assert_eq!(current, maximum, "soft limit not raised");
        assert!(limit >= 256);
        let budget = process_budget();
        assert!(budget.capacity() <= limit);
    }
}
