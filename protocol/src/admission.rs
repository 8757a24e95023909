//! Who gets a connection slot: the per-listener cap, the process-wide
//! descriptor budget ([`crate::fd_budget`]) and the eviction of idle
//! connections when the cap is reached.
//!
//! A listener at its cap does not leave new peers waiting in the kernel
//! backlog (where a flood of idle sockets would starve `fdfs monitor` for a
//! minute): like nginx when it runs short of connections, it closes the
//! connection that has been idle longest — one waiting for its next
//! request, or holding half a header — and serves the newcomer. Only when
//! no connection is idle is the newcomer refused, at once. Connections in
//! the middle of a request are never evicted.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tracing::warn;

use crate::fd_budget::{FdBudget, FdPermit};

/// Why a new connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The process-wide descriptor budget is spent.
    Descriptors,
    /// The listener's `max_connections` is reached and nothing is idle.
    Full,
}

/// What an admitted connection holds until it ends.
#[derive(Debug)]
pub struct Admitted {
    _slot: OwnedSemaphorePermit,
    _fd: FdPermit,
    /// The connection's entry in the idle set.
    pub idle: Arc<IdleSlot>,
}

/// The admission state of one listener.
#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    budget: Arc<FdBudget>,
    idle: Arc<IdleSet>,
    refusals: RefusalLog,
}

impl Admission {
    /// `max_connections` slots drawing on `budget`.
    pub fn new(max_connections: usize, budget: Arc<FdBudget>) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max_connections.max(1))),
            budget,
            idle: Arc::new(IdleSet::default()),
            refusals: RefusalLog::default(),
        }
    }

    /// Admits a new connection, evicting the longest-idle one when the
    /// listener is full; refusals are logged (at most every few seconds).
    pub async fn admit(&self) -> Result<Admitted, Refusal> {
        let result = self.try_admit().await;
        if let Err(why) = result {
            self.refusals.note(why);
        }
        result
    }

    async fn try_admit(&self) -> Result<Admitted, Refusal> {
        let fd = self.budget.try_acquire().ok_or(Refusal::Descriptors)?;
        let slot = match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if !self.idle.evict_oldest() {
                    return Err(Refusal::Full);
                }
                // The evicted connection gives its slot back as it ends.
                let wait = Arc::clone(&self.slots).acquire_owned();
                match tokio::time::timeout(Duration::from_secs(1), wait).await {
                    Ok(Ok(slot)) => slot,
                    _ => return Err(Refusal::Full),
                }
            }
        };
        let idle = Arc::new(IdleSlot { set: Arc::clone(&self.idle), ..IdleSlot::detached() });
        Ok(Admitted { _slot: slot, _fd: fd, idle })
    }
}

/// The connections of a listener that are waiting for their next request,
/// oldest first.
#[derive(Debug, Default)]
pub struct IdleSet {
    next: AtomicU64,
    waiting: Mutex<BTreeMap<u64, Arc<Notify>>>,
}

impl IdleSet {
    /// Tells the longest-idle connection to close; `false` when none is idle.
    pub fn evict_oldest(&self) -> bool {
        let oldest = self.waiting.lock().unwrap_or_else(PoisonError::into_inner).pop_first();
        match oldest {
            Some((_, close)) => {
                // notify_one keeps the wake-up if the connection is between polls.
                close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// One connection's membership in its listener's [`IdleSet`].
#[derive(Debug)]
pub struct IdleSlot {
    set: Arc<IdleSet>,
    close: Arc<Notify>,
}

impl IdleSlot {
    /// A slot in a set of its own (for connections no listener manages).
    pub fn detached() -> Self {
        Self { set: Arc::new(IdleSet::default()), close: Arc::new(Notify::new()) }
    }

    /// Marks the connection idle until the guard drops; the guard's
    /// [`IdleGuard::evicted`] resolves if the listener needs the slot.
    pub fn enter(&self) -> IdleGuard<'_> {
        let key = self.set.next.fetch_add(1, Ordering::Relaxed);
        self.set
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&self.close));
        IdleGuard { slot: self, key }
    }
}

/// An idle period of one connection; see [`IdleSlot::enter`].
#[derive(Debug)]
pub struct IdleGuard<'a> {
    slot: &'a IdleSlot,
    key: u64,
}

impl IdleGuard<'_> {
    /// Resolves when the listener evicts this connection.
    pub async fn evicted(&self) {
        self.slot.close.notified().await;
    }
}

impl Drop for IdleGuard<'_> {
    fn drop(&mut self) {
        let mut waiting = self.slot.set.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.remove(&self.key);
    }
}

/// Counts refusals and logs them at most every few seconds, so a flood
/// does not also flood the log.
#[derive(Debug)]
struct RefusalLog {
    state: Mutex<(Instant, u64)>,
}

impl Default for RefusalLog {
    fn default() -> Self {
        Self { state: Mutex::new((Instant::now(), 0)) }
    }
}

impl RefusalLog {
    const EVERY: Duration = Duration::from_secs(5);

    fn note(&self, why: Refusal) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 += 1;
        if state.0.elapsed() >= Self::EVERY {
            let reason = match why {
                Refusal::Descriptors => "the process's file descriptor budget is spent",
                Refusal::Full => "max_connections reached and no connection is idle",
            };
            warn!(refused = state.1, reason, "connections refused");
            *state = (Instant::now(), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_listener_evicts_its_longest_idle_connection() {
        let admission = Admission::new(2, FdBudget::new(100));
        let a = admission.admit().await.unwrap();
        let b = admission.admit().await.unwrap();
        let idle_a = a.idle.enter();
        let idle_b = b.idle.enter();
        let evict = tokio::spawn(async move {
            // The third connection evicts `a`, the one idle longest.
            admission.admit().await.map(|_| ())
        });
        tokio::time::timeout(Duration::from_secs(1), idle_a.evicted()).await.unwrap();
        drop(idle_a);
        drop(a);
        evict.await.unwrap().unwrap();
        // `b` was left alone.
        assert!(tokio::time::timeout(Duration::from_millis(100), idle_b.evicted()).await.is_err());
    }

    #[tokio::test]
    async fn busy_connections_are_never_evicted() {
        let admission = Admission::new(1, FdBudget::new(100));
        let _busy = admission.admit().await.unwrap();
        assert_eq!(admission.admit().await.unwrap_err(), Refusal::Full);
    }

    #[tokio::test]
    async fn the_descriptor_budget_bounds_every_listener() {
        let budget = FdBudget::new(1);
        let one = Admission::new(10, Arc::clone(&budget));
        let two = Admission::new(10, budget);
        let _held = one.admit().await.unwrap();
        assert_eq!(two.admit().await.unwrap_err(), Refusal::Descriptors);
    }
}
