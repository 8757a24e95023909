//! The settings the file engine needs, with FastDFS's defaults.
//!
//! These mirror the `storage.conf` keys that shape the on-disk layout
//! (`store_path0..N`, `subdir_count_per_path`, `file_distribute_path_mode`,
//! `file_distribute_rotate_count`, `buff_size`) plus the two the tracker
//! hands a storage (`store_path` for uploads that ask for any path,
//! `reserved_storage_space`). Parsing a config file is the caller's job;
//! this module only holds validated values.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::str::FromStr;

use fdfs_protocol::filename::Source;

/// Default `subdir_count_per_path`.
pub const DEFAULT_SUBDIR_COUNT: u16 = 256;
/// Default `file_distribute_rotate_count`.
pub const DEFAULT_ROTATE_COUNT: u32 = 100;
/// Default I/O buffer per transfer (`buff_size`, 256 KiB).
pub const DEFAULT_BUFFER_SIZE: usize = 256 * 1024;

/// How a new file's `HH/LL` subdirectory is chosen (`file_distribute_path_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DistributeMode {
    /// 0: `rotate_count` files into one subdirectory, then the next.
    #[default]
    RoundRobin,
    /// 1: PJW hash of the name's base64 part.
    Hash,
}

impl DistributeMode {
    /// The mode for a `storage.conf` value, `None` if unknown.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::RoundRobin),
            1 => Some(Self::Hash),
            _ => None,
        }
    }
}

/// How the store path is chosen when an upload asks for any
/// ([`fdfs_protocol::storage::ANY_STORE_PATH`]); the tracker's `store_path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorePathMode {
    /// 0: each store path in turn.
    #[default]
    RoundRobin,
    /// 2: the store path with the most free space.
    MostFree,
}

impl StorePathMode {
    /// The mode for a `tracker.conf` `store_path` value, `None` if unknown.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::RoundRobin),
            2 => Some(Self::MostFree),
            _ => None,
        }
    }
}

/// `reserved_storage_space`: the space a store path must keep free.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReservedSpace {
    /// An absolute amount in MB for the whole storage, shared evenly by its
    /// store paths (as FastDFS does).
    Mb(u64),
    /// A fraction of each store path's total, `0 <= ratio < 1`.
    Ratio(f64),
}

impl Default for ReservedSpace {
    /// `20%`, FastDFS's sample config value.
    fn default() -> Self {
        Self::Ratio(0.2)
    }
}

impl ReservedSpace {
    /// Whether a store path of `total_mb` keeps its reserve with `free_mb`
    /// left (`free > reserve`), the storage having `path_count` paths.
    pub fn keeps_reserve(self, total_mb: u64, free_mb: u64, path_count: usize) -> bool {
        match self {
            Self::Mb(mb) => free_mb > mb / (path_count.max(1) as u64),
            Self::Ratio(r) => total_mb > 0 && (free_mb as f64 / total_mb as f64) > r,
        }
    }
}

/// Why a `reserved_storage_space` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid reserved_storage_space {0:?}: expect N% (0 <= N < 100) or a size like 10G")]
pub struct ReservedSpaceError(pub String);

impl FromStr for ReservedSpace {
    type Err = ReservedSpaceError;

    /// Parses `20%`, `12.5%`, `10G`, `1024M`, `512MB`, `1T`, `4096K` or a
    /// plain byte count, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ReservedSpaceError(s.to_owned());
        let t = s.trim();
        if let Some(pct) = t.strip_suffix('%') {
            let v: f64 = pct.trim().parse().map_err(|_| bad())?;
            return if (0.0..100.0).contains(&v) { Ok(Self::Ratio(v / 100.0)) } else { Err(bad()) };
        }
        let upper = t.to_ascii_uppercase();
        let body = upper.strip_suffix('B').unwrap_or(&upper);
        let (digits, shift) = match body.as_bytes().last() {
            Some(b'K') => (&body[..body.len() - 1], 10),
            Some(b'M') => (&body[..body.len() - 1], 20),
            Some(b'G') => (&body[..body.len() - 1], 30),
            Some(b'T') => (&body[..body.len() - 1], 40),
            _ => (body, 0),
        };
        let n: u64 = digits.trim().parse().map_err(|_| bad())?;
        let bytes = n.checked_mul(1u64 << shift).ok_or_else(bad)?;
        Ok(Self::Mb(bytes >> 20))
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

/// Everything the file engine is configured with.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `store_path0..N`: one directory per store path, `M00` first.
    pub store_paths: Vec<PathBuf>,
    /// `subdir_count_per_path` (1..=256): `HH` and `LL` stay below it.
    pub subdir_count: u16,
    /// `file_distribute_path_mode`.
    pub distribute_mode: DistributeMode,
    /// `file_distribute_rotate_count` (at least 1).
    pub rotate_count: u32,
    /// How uploads asking for any store path are placed.
    pub store_path_mode: StorePathMode,
    /// Free space every store path keeps.
    pub reserved: ReservedSpace,
    /// The storage named in new files' names: its IPv4 address, or its
    /// numeric id (`id_type_in_filename = id`).
    pub source: Source,
    /// Bytes buffered per transfer.
    pub buffer_size: usize,
}

impl StoreConfig {
    /// One store path per directory, FastDFS's defaults for the rest, and
    /// `source` as the address in new names.
    pub fn new(store_paths: Vec<PathBuf>, source: Ipv4Addr) -> Self {
        Self {
            store_paths,
            subdir_count: DEFAULT_SUBDIR_COUNT,
            distribute_mode: DistributeMode::default(),
            rotate_count: DEFAULT_ROTATE_COUNT,
            store_path_mode: StorePathMode::default(),
            reserved: ReservedSpace::default(),
            source: Source::Ip(source),
            buffer_size: DEFAULT_BUFFER_SIZE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DistributeMode, ReservedSpace, StorePathMode};

    #[test]
    fn parses_reserves() {
        assert_eq!("20%".parse::<ReservedSpace>().unwrap(), ReservedSpace::Ratio(0.2));
        assert_eq!("0%".parse::<ReservedSpace>().unwrap(), ReservedSpace::Ratio(0.0));
        assert_eq!("10G".parse::<ReservedSpace>().unwrap(), ReservedSpace::Mb(10 * 1024));
        assert_eq!("512mb".parse::<ReservedSpace>().unwrap(), ReservedSpace::Mb(512));
        assert_eq!("2097152".parse::<ReservedSpace>().unwrap(), ReservedSpace::Mb(2));
        for bad in ["100%", "-1%", "x", "99999999999T", ""] {
            assert!(bad.parse::<ReservedSpace>().is_err(), "{bad}");
        }
        assert_eq!(ReservedSpace::Mb(7).to_string(), "7M");
    }

    #[test]
    fn reserve_checks() {
        let abs = ReservedSpace::Mb(100);
        assert!(abs.keeps_reserve(1000, 51, 2));
        assert!(!abs.keeps_reserve(1000, 50, 2));
        let ratio = ReservedSpace::Ratio(0.1);
        assert!(ratio.keeps_reserve(1000, 101, 1));
        assert!(!ratio.keeps_reserve(1000, 100, 1));
        assert!(!ratio.keeps_reserve(0, 0, 1));
    }

    #[test]
    fn codes() {
        assert_eq!(DistributeMode::from_code(1), Some(DistributeMode::Hash));
        assert_eq!(DistributeMode::from_code(2), None);
        assert_eq!(StorePathMode::from_code(2), Some(StorePathMode::MostFree));
        assert_eq!(StorePathMode::from_code(1), None);
    }
}
