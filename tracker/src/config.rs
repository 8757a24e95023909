//! The tracker settings that drive placement, liveness and the width of IP
//! fields in replies (`tracker.conf` keys of `fastdfs-protocol.md` §10),
//! with FastDFS's defaults.
//!
//! Kept free of any file format: the config loader (later) fills a
//! [`TrackerPolicy`] from `tracker.conf`-style keys using the `from_code`
//! constructors and [`ReservedSpace`]'s `FromStr`, and the cluster model and
//! the placement functions only ever see this plain struct.

use std::fmt;
use std::str::FromStr;

use fdfs_protocol::IpWidth;

/// `store_lookup`: how a group is chosen when the client names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreLookup {
    /// 0: rotate over the groups.
    RoundRobin,
    /// 1: always `store_group`.
    SpecifiedGroup,
    /// 2 (default): the group with the most free space.
    #[default]
    LoadBalance,
}

impl StoreLookup {
    /// The policy for a `tracker.conf` value, `None` if unknown.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::RoundRobin),
            1 => Some(Self::SpecifiedGroup),
            2 => Some(Self::LoadBalance),
            _ => None,
        }
    }
}

/// `store_server`: which writable storage of the group receives an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreServer {
    /// 0 (default): rotate over the writable storages.
    #[default]
    RoundRobin,
    /// 1: the first writable storage in id (IP) order.
    FirstByIp,
    /// 2: the writable storage with the lowest `upload_priority`.
    FirstByPriority,
}

impl StoreServer {
    /// The policy for a `tracker.conf` value, `None` if unknown.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::RoundRobin),
            1 => Some(Self::FirstByIp),
            2 => Some(Self::FirstByPriority),
            _ => None,
        }
    }
}

/// `store_path`: which store path of the storage receives an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorePath {
    /// 0 (default): rotate over the paths on every store query.
    #[default]
    RoundRobin,
    /// 2: the path with the most free space (moved by disk reports).
    LoadBalance,
}

impl StorePath {
    /// The policy for a `tracker.conf` value, `None` if unknown.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::RoundRobin),
            2 => Some(Self::LoadBalance),
            _ => None,
        }
    }

    /// The `tracker.conf` value (what PARAMETER_REQ tells storages).
    pub fn code(self) -> i64 {
        match self {
            Self::RoundRobin => 0,
            Self::LoadBalance => 2,
        }
    }
}

/// `download_server`: which readable storage serves a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DownloadServer {
    /// 0 (default): rotate over the storages that already have the file.
    #[default]
    RoundRobin,
    /// 1: the file's source storage when it is readable.
    SourceFirst,
}

impl DownloadServer {
    /// The policy for a `tracker.conf` value, `None` if unknown.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::RoundRobin),
            1 => Some(Self::SourceFirst),
            _ => None,
        }
    }
}

/// `reserved_storage_space`: the space a group or path must keep free.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReservedSpace {
    /// An absolute amount in MB (`10G`, `1024M`, `1048576K`, plain bytes).
    Mb(i64),
    /// A fraction of the total, 0 < ratio < 1 (`20%` → 0.2).
    Ratio(f64),
}

impl Default for ReservedSpace {
    /// `20%`, FastDFS's sample config value.
    fn default() -> Self {
        Self::Ratio(0.2)
    }
}

impl ReservedSpace {
    /// The reserve in MB for a disk (group or storage) of `total_mb`.
    pub fn reserved_mb(self, total_mb: i64) -> i64 {
        match self {
            Self::Mb(mb) => mb,
            Self::Ratio(r) => (total_mb as f64 * r) as i64,
        }
    }

    /// Whether a group with this much space is above the reserve
    /// (`free > reserve`; a group that never reported has no space).
    pub fn group_has_space(self, total_mb: i64, free_mb: i64) -> bool {
        match self {
            Self::Mb(mb) => free_mb > mb,
            Self::Ratio(r) => total_mb > 0 && (free_mb as f64 / total_mb as f64) > r,
        }
    }

    /// Whether one store path is above its share of the reserve: the
    /// absolute reserve is split evenly over `path_count` paths, a ratio
    /// applies to each path as is.
    pub fn path_has_space(self, total_mb: i64, free_mb: i64, path_count: usize) -> bool {
        match self {
            Self::Mb(mb) => free_mb > mb / (path_count.max(1) as i64),
            Self::Ratio(r) => total_mb > 0 && (free_mb as f64 / total_mb as f64) > r,
        }
    }
}

/// Why a `reserved_storage_space` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid reserved_storage_space {0:?}: expect N% (0 < N < 100) or a size like 10G")]
pub struct ReservedSpaceError(pub String);

impl FromStr for ReservedSpace {
    type Err = ReservedSpaceError;

    /// Parses `20%`, `12.5%`, `10G`, `1024M`, `512MB`, `1T`, `4096K` or a
    /// plain byte count, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ReservedSpaceError(s.to_string());
        let t = s.trim();
        if let Some(pct) = t.strip_suffix('%') {
            let v: f64 = pct.trim().parse().map_err(|_| bad())?;
            return if v > 0.0 && v < 100.0 { Ok(Self::Ratio(v / 100.0)) } else { Err(bad()) };
        }
        let upper = t.to_ascii_uppercase();
        let body = upper.strip_suffix('B').unwrap_or(&upper);
        let (digits, unit): (&str, u64) = match body.as_bytes().last() {
            Some(b'K') => (&body[..body.len() - 1], 1 << 10),
            Some(b'M') => (&body[..body.len() - 1], 1 << 20),
            Some(b'G') => (&body[..body.len() - 1], 1 << 30),
            Some(b'T') => (&body[..body.len() - 1], 1 << 40),
            _ => (body, 1),
        };
        let n: u64 = digits.trim().parse().map_err(|_| bad())?;
        let bytes = n.checked_mul(unit).ok_or_else(bad)?;
        i64::try_from(bytes >> 20).map(Self::Mb).map_err(|_| bad())
    }
}

impl fmt::Display for ReservedSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mb(mb) => write!(f, "{mb}M"),
            Self::Ratio(r) => write!(f, "{}%", r * 100.0),
        }
    }
}

/// The placement, liveness and reply-format keys of `tracker.conf`,
/// defaults as FastDFS.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerPolicy {
    /// `store_lookup` (2).
    pub store_lookup: StoreLookup,
    /// `store_group`: the group for [`StoreLookup::SpecifiedGroup`].
    pub store_group: String,
    /// `store_server` (0).
    pub store_server: StoreServer,
    /// `store_path` (0).
    pub store_path: StorePath,
    /// `download_server` (0).
    pub download_server: DownloadServer,
    /// `reserved_storage_space` (20%).
    pub reserved_storage_space: ReservedSpace,
    /// `check_active_interval` in seconds (120): an ACTIVE or ONLINE
    /// storage silent this long goes OFFLINE.
    pub check_active_interval: i64,
    /// `storage_sync_file_max_delay` in seconds (86400): files older than
    /// this are assumed replicated everywhere.
    pub storage_sync_file_max_delay: i64,
    /// `storage_sync_file_max_time` in seconds (300): how long one file may
    /// take to replicate.
    pub storage_sync_file_max_time: i64,
    /// `response_ip_addr_size` (auto): the IP field width of query replies
    /// (101–107), and, told to storages in PARAMETER_REQ, of their
    /// QUERY_FILE_INFO replies.
    pub response_ip_addr_size: IpWidth,
}

impl Default for TrackerPolicy {
    fn default() -> Self {
        Self {
            store_lookup: StoreLookup::default(),
            store_group: String::new(),
            store_server: StoreServer::default(),
            store_path: StorePath::default(),
            download_server: DownloadServer::default(),
            reserved_storage_space: ReservedSpace::default(),
            check_active_interval: 120,
            storage_sync_file_max_delay: 86_400,
            storage_sync_file_max_time: 300,
            response_ip_addr_size: IpWidth::Auto,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_space_parses() {
        let cases: &[(&str, Option<ReservedSpace>)] = &[
            ("20%", Some(ReservedSpace::Ratio(0.2))),
            ("12.5%", Some(ReservedSpace::Ratio(0.125))),
            ("10G", Some(ReservedSpace::Mb(10 * 1024))),
            ("10g", Some(ReservedSpace::Mb(10 * 1024))),
            ("1024M", Some(ReservedSpace::Mb(1024))),
            ("512MB", Some(ReservedSpace::Mb(512))),
            ("1T", Some(ReservedSpace::Mb(1024 * 1024))),
            ("4096K", Some(ReservedSpace::Mb(4))),
            ("2097152", Some(ReservedSpace::Mb(2))),
            ("0%", None),
            ("100%", None),
            ("-5%", None),
            ("", None),
            ("G", None),
            ("10X", None),
            ("-1G", None),
            ("99999999999999999999T", None),
            ("18446744073709551615T", None),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<ReservedSpace>().ok(), *want, "{text}");
        }
    }

    #[test]
    fn reserve_checks() {
        let r = ReservedSpace::Ratio(0.2);
        assert!(r.group_has_space(100, 21));
        assert!(!r.group_has_space(100, 20));
        assert!(!r.group_has_space(0, 0));
        assert_eq!(r.reserved_mb(1000), 200);
        let m = ReservedSpace::Mb(100);
        assert!(m.group_has_space(0, 101));
        assert!(!m.group_has_space(1000, 100));
        assert!(m.path_has_space(0, 51, 2));
        assert!(!m.path_has_space(0, 50, 2));
        assert!(m.path_has_space(0, 101, 0), "zero paths treated as one");
    }

    #[test]
    fn defaults_and_codes() {
        let p = TrackerPolicy::default();
        assert_eq!(p.store_lookup, StoreLookup::LoadBalance);
        assert_eq!(p.reserved_storage_space, ReservedSpace::Ratio(0.2));
        assert_eq!(p.check_active_interval, 120);
        assert_eq!(StorePath::from_code(1), None);
        assert_eq!(StoreServer::from_code(2), Some(StoreServer::FirstByPriority));
        assert_eq!(DownloadServer::from_code(1), Some(DownloadServer::SourceFirst));
        assert_eq!(StoreLookup::from_code(3), None);
    }
}
