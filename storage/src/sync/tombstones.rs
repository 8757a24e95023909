//! [`Tombstones`]: the names of files this storage deleted lately, so a
//! replayed create cannot bring one back.
//!
//! A sync worker saves its peer's mark every few records, so a sender
//! killed (or restarted) between two saves pushes again the records after
//! the last mark. For a create that is harmless (the receiver answers 17,
//! already here) unless the file was deleted in between: while the sender
//! was down, the delete went to the receiver (the tracker names a live
//! storage for QUERY_UPDATE), which removed its copy and logged it; the
//! replayed create then wrote the file again, and the sender, once the
//! receiver's delete reached it, removed its own copy — leaving a file no
//! index references on one storage only, which the delete queue (sent to
//! the source, which no longer has it) could not remove either. Found by
//! the fault suite (compat-tests/test_faults.py, storage SIGKILL).
//!
//! FastDFS names are never reused (source IP, creation time, size, a
//! random part), so a create for a name deleted here is always a stale
//! replay: the receiver answers it as already applied. Memory is bounded
//! (the newest [`CAPACITY`] names; a replay covers only the records since
//! the sender's last saved mark), and the set lives in memory: a receiver
//! restarted at the same time as its sender does not remember older
//! deletes.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, PoisonError};

/// Names remembered; the oldest are forgotten first.
pub const CAPACITY: usize = 100_000;

/// The bounded set of deleted names.
#[derive(Debug, Default)]
pub struct Tombstones {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    names: HashSet<String>,
    order: VecDeque<String>,
}

impl Tombstones {
    /// Notes that `name` (a logic filename) was deleted here.
    pub fn insert(&self, name: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.names.insert(name.to_string()) {
            inner.order.push_back(name.to_string());
            if inner.order.len() > CAPACITY
                && let Some(old) = inner.order.pop_front()
            {
                inner.names.remove(&old);
            }
        }
    }

    /// Whether `name` was deleted here lately.
    pub fn contains(&self, name: &str) -> bool {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).names.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_newest_names_only() {
        let t = Tombstones::default();
        t.insert("M00/00/00/a");
        assert!(t.contains("M00/00/00/a"));
        assert!(!t.contains("M00/00/00/b"));
        for i in 0..CAPACITY {
            t.insert(&format!("M00/00/01/{i}"));
        }
        assert!(!t.contains("M00/00/00/a"), "the oldest is forgotten past the capacity");
        assert!(t.contains("M00/00/01/1"));
        assert!(t.contains(&format!("M00/00/01/{}", CAPACITY - 1)));
    }
}
