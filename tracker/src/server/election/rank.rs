//! The order trackers elect their leader by: FastDFS's maximum of
//! `(is_leader, running_time, −restart_interval, ip, port)` over the
//! TRACKER_GET_STATUS answers, with running times within
//! [`RUNNING_TIME_SLACK`] taken as equal so two trackers that measure each
//! other a second apart still agree.

use std::net::SocketAddr;

use fdfs_protocol::tracker::TrackerStatus;

/// Running times closer than this many seconds rank as equal.
pub const RUNNING_TIME_SLACK: i64 = 2;

/// One tracker's answer to TRACKER_GET_STATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub addr: SocketAddr,
    pub status: TrackerStatus,
}

/// Whether `a` ranks above `b`: the order FastDFS elects by, with running
/// times within [`RUNNING_TIME_SLACK`] taken as equal.
pub fn outranks(a: &Candidate, b: &Candidate) -> bool {
    let (x, y) = (&a.status, &b.status);
    let uptime = x.running_time.saturating_sub(y.running_time);
    let uptime = if uptime.unsigned_abs() > RUNNING_TIME_SLACK as u64 { uptime } else { 0 };
    x.is_leader
        .cmp(&y.is_leader)
        .then(uptime.cmp(&0))
        .then(y.restart_interval.cmp(&x.restart_interval))
        .then(a.addr.cmp(&b.addr))
        .is_gt()
}

/// The highest-ranked candidate.
pub fn pick(candidates: &[Candidate]) -> Option<&Candidate> {
    candidates.iter().fold(None, |best, c| match best {
        Some(b) if !outranks(c, b) => Some(b),
        _ => Some(c),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(addr: &str, is_leader: bool, running_time: i64, restart_interval: i64) -> Candidate {
        Candidate {
            addr: addr.parse().unwrap(),
            status: TrackerStatus { is_leader, running_time, restart_interval },
        }
    }

    #[test]
    fn ranking() {
        let a = cand("127.0.0.10:22122", false, 0, 0);
        let b = cand("127.0.0.11:22122", false, 1, 0);
        // Fresh trackers: the higher address wins, whatever second each
        // measured (observed with FastDFS: 127.0.0.11 won).
        assert!(outranks(&b, &a) && !outranks(&a, &b));
        let b_early = cand("127.0.0.11:22122", false, 0, 0);
        let a_late = cand("127.0.0.10:22122", false, 1, 0);
        assert!(outranks(&b_early, &a_late));
        // A clearly longer running time beats the address.
        assert!(outranks(&cand("127.0.0.10:22122", false, 100, 0), &b));
        // A leader beats everything.
        assert!(outranks(&cand("127.0.0.1:1", true, 0, 500), &cand("127.0.0.9:9", false, 900, 0)));
        // A shorter restart interval wins.
        assert!(outranks(&cand("127.0.0.1:1", false, 0, 0), &cand("127.0.0.9:9", false, 0, 60)));
        // The port breaks the last tie.
        assert!(outranks(&cand("127.0.0.1:2", false, 0, 0), &cand("127.0.0.1:1", false, 0, 0)));
        assert!(!outranks(&a, &a));
        let extreme = cand("127.0.0.1:1", false, i64::MIN, 0);
        assert!(outranks(&cand("127.0.0.1:1", false, i64::MAX, 0), &extreme));
    }

    #[test]
    fn pick_is_order_independent() {
        let list = [
            cand("127.0.0.10:22122", false, 3, 0),
            cand("127.0.0.12:22122", false, 2, 0),
            cand("127.0.0.11:22122", false, 3, 0),
        ];
        let mut reversed = list;
        reversed.reverse();
        assert_eq!(pick(&list).unwrap().addr, list[1].addr);
        assert_eq!(pick(&reversed).unwrap().addr, list[1].addr);
        assert!(pick(&[]).is_none());
    }
}
