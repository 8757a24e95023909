//! Early disk reports: between the periodic REPORT_DISK_USAGE (84), the
//! reporter samples its store paths every second and reports at once when
//! free space moved enough to matter to the tracker's placement.
//!
//! The tracker places uploads by the free space storages last reported.
//! With only the periodic report (60 s by default, 300 s in FastDFS) a
//! storage that filled up keeps being picked and answers ENOSPC, and one
//! that was full keeps being skipped for a minute after space was freed.
//! Sampling a statvfs per path each second is cheap, and a report is sent
//! only when a path's free space moved by at least [`threshold_mb`] since
//! the last report: 1% of the path, at least 1 MB and at most 1 GB, so a
//! busy storage does not report every second, and a disk that filled up or
//! was cleared is known to the tracker within about a second.

use fdfs_protocol::tracker::PathUsage;

/// The smallest move of a path's free space worth an early report.
pub fn threshold_mb(total_mb: i64) -> i64 {
    (total_mb / 100).clamp(1, 1024)
}

/// Whether `now` differs enough from `reported` (the last report) to be
/// sent early. A different path count always is.
pub fn moved(reported: &[PathUsage], now: &[PathUsage]) -> bool {
    reported.len() != now.len()
        || reported
            .iter()
            .zip(now)
            .any(|(r, n)| (r.free_mb - n.free_mb).abs() >= threshold_mb(n.total_mb.max(r.total_mb)))
}

#[cfg(test)]
mod tests {
    use fdfs_protocol::tracker::PathUsage;

    use super::{moved, threshold_mb};

    fn p(total_mb: i64, free_mb: i64) -> PathUsage {
        PathUsage { total_mb, free_mb }
    }

    #[test]
    fn thresholds() {
        assert_eq!(threshold_mb(0), 1);
        assert_eq!(threshold_mb(64), 1);
        assert_eq!(threshold_mb(10_000), 100);
        assert_eq!(threshold_mb(10_000_000), 1024);
    }

    #[test]
    fn small_moves_wait_for_the_periodic_report() {
        assert!(!moved(&[p(64, 10)], &[p(64, 10)]));
        assert!(moved(&[p(64, 10)], &[p(64, 9)]));
        assert!(moved(&[p(64, 0)], &[p(64, 40)]));
        assert!(!moved(&[p(10_000, 5_000)], &[p(10_000, 4_950)]));
        assert!(moved(&[p(10_000, 5_000)], &[p(10_000, 4_900)]));
        assert!(moved(&[p(64, 10)], &[p(64, 10), p(64, 10)]));
    }
}
