//! What the sending side of replication is configured with, and the capped
//! doubling delay its workers wait between failed attempts.

use std::net::SocketAddr;
use std::time::Duration;

use tracing::{debug, warn};

use crate::reporter::Dialer;

/// Settings of the sync workers (`storage.conf`, §10).
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// This storage's id as peers and trackers know it: its IP without
    /// `use_storage_id`. Sent in REPORT_SERVER_ID and compared with the
    /// `src_id` of SYNC_SRC_REQ answers.
    pub my_id: String,
    /// Every tracker: asked SYNC_SRC_REQ (86) about a peer without a mark
    /// and told REPORT_STATUS (76) around a new member's full sync. Empty:
    /// no tracker handshake — every peer is treated as an old member and
    /// gets the whole binlog once (receivers answer 17 for what they have).
    pub trackers: Vec<SocketAddr>,
    /// Connector for trackers and peers. Its `bind_ip` must be this
    /// storage's IP: peers and trackers identify a storage by the source
    /// address of its connections.
    pub dialer: Dialer,
    /// `write_mark_file_freq`: save a peer's mark every this many records.
    pub mark_every: u64,
    /// How long a worker waits for new records before doing its idle
    /// chores (saving the mark, ACTIVE_TEST).
    pub idle_wait: Duration,
    /// ACTIVE_TEST on an idle peer connection this often; keep it below
    /// the peers' network timeout, after which they close idle connections.
    pub active_test_interval: Duration,
    /// First delay after a failed attempt.
    pub retry_min: Duration,
    /// Cap of the doubling delay.
    pub retry_max: Duration,
}

impl SyncConfig {
    /// FastDFS's defaults around `my_id`, `dialer` and `trackers`: a mark
    /// every 500 records, ACTIVE_TEST every 10 s, retries from 100 ms up to
    /// 30 s.
    pub fn new(my_id: impl Into<String>, dialer: Dialer, trackers: Vec<SocketAddr>) -> Self {
        Self {
            my_id: my_id.into(),
            trackers,
            dialer,
            mark_every: 500,
            idle_wait: Duration::from_millis(500),
            active_test_interval: Duration::from_secs(10),
            retry_min: Duration::from_millis(100),
            retry_max: Duration::from_secs(30),
        }
    }
}

/// A doubling delay between `min` and `max` and the failures in a row
/// (logged loudly at first and at powers of two, quietly otherwise).
#[derive(Debug)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(10));
        Self { min, max: max.max(min), next: min, failures: 0 }
    }

    /// Records a failure; returns the delay to wait before the next try.
    pub fn failed(&mut self, what: &str, error: &dyn std::fmt::Display) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let delay = self.next;
        if self.failures == 1 || self.failures.is_power_of_two() {
            warn!(%error, failures = self.failures, retry_in = ?delay, "{what} failed");
        } else {
            debug!(%error, failures = self.failures, "{what} failed");
        }
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// Something worked: start over from the shortest delay.
    pub fn reset(&mut self) {
        self.next = self.min;
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Backoff;

    #[test]
    fn doubles_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let delays: Vec<u128> = (0..4).map(|_| b.failed("x", &"e").as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.failed("x", &"e"), Duration::from_millis(100));
    }
}
