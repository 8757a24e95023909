//! Sizes and limits shared by both sides of the protocol (FastDFS 6.15+).

/// Group name field width; names are `[A-Za-z0-9]{1,16}`.
pub const GROUP_NAME_MAX_LEN: usize = 16;
/// Storage id field width, NUL included (ids are at most 15 characters).
pub const STORAGE_ID_MAX_SIZE: usize = 16;
/// `IP_ADDRESS_SIZE` of libfastcommon since 1.0.71 (IPv6 capable).
pub const IP_ADDRESS_SIZE: usize = 46;
/// IPv4 address field width.
pub const IPV4_ADDRESS_SIZE: usize = 16;
/// The IP field in query replies: `IPV4_ADDRESS_SIZE - 1`.
pub const QUERY_IP_LEN: usize = IPV4_ADDRESS_SIZE - 1;
/// Version string field width (`"6.16.1"` NUL-padded).
pub const VERSION_SIZE: usize = 8;
/// Extension field width; extensions are `[A-Za-z0-9._-]{0,6}`.
pub const FILE_EXT_NAME_MAX_LEN: usize = 6;
/// Slave prefix field width.
pub const FILE_PREFIX_MAX_LEN: usize = 16;
/// Metadata name and value limits.
pub const MAX_META_NAME_LEN: usize = 64;
pub const MAX_META_VALUE_LEN: usize = 256;
/// Cluster limits.
pub const MAX_SERVERS_EACH_GROUP: usize = 32;
pub const MAX_GROUPS: usize = 512;
pub const MAX_TRACKERS: usize = 16;
/// `M00/00/00/`.
pub const LOGIC_FILE_PATH_LEN: usize = 10;
/// Base64 part of a generated name.
pub const FILENAME_BASE64_LENGTH: usize = 27;
/// Trunk position part of a trunk file name.
pub const TRUNK_FILE_INFO_LEN: usize = 16;
/// `M00/00/00/` + 27 + 7.
pub const NORMAL_LOGIC_FILENAME_LENGTH: usize = 44;
/// Normal length + 16 trunk chars.
pub const TRUNK_LOGIC_FILENAME_LENGTH: usize = 60;
/// Metadata record and field separators.
pub const RECORD_SEPARATOR: u8 = 0x01;
pub const FIELD_SEPARATOR: u8 = 0x02;
/// A tracker refuses request bodies larger than this (`TRACKER_MAX_PACKAGE_SIZE`).
pub const TRACKER_MAX_PACKAGE_SIZE: usize = 8 * 1024;
/// Longest logic filename a request may carry (QUERY_FETCH bounds it to < 128).
pub const MAX_LOGIC_FILENAME_LEN: usize = 127;
/// Default ports.
pub const DEFAULT_TRACKER_PORT: u16 = 22122;
pub const DEFAULT_STORAGE_PORT: u16 = 23000;
/// The version we report where FastDFS reports its own.
pub const FDFS_VERSION: &str = "6.16.1";
