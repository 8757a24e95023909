//! The tracker's configuration file: one serde struct, [`TrackerSettings`],
//! read from TOML (`deploy/tracker.toml` is the documented sample), with
//! every default in its [`Default`] impl and one conversion,
//! [`TrackerSettings::to_config`], that validates everything a
//! [`TrackerConfig`] cannot represent wrongly (policy codes, the reserve, the
//! `allow_hosts` entries) and says which key is at fault.
//!
//! The binary also fills this struct from a FastDFS `tracker.conf` and from
//! command-line flags, so all three sources share the same checks.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use fdfs_protocol::IpWidth;
use fdfs_protocol::allow::{AllowHosts, AllowHostsError};
use fdfs_protocol::ip_width::ParseIpWidthError;
use fdfs_protocol::server::ServerConfig;
use fdfs_protocol::tracker::validate_group_name;
use serde::{Deserialize, Serialize};

use crate::config::{
    DownloadServer, ReservedSpace, ReservedSpaceError, StoreLookup, StorePath, StoreServer,
    TrackerPolicy,
};
use crate::server::TrackerConfig;

/// The tracker port FastDFS clients and storages expect.
pub const DEFAULT_PORT: u16 = 22122;

/// Everything `fdfs tracker` reads from its config file. Unknown keys are
/// errors, so a typo never silently falls back to a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerSettings {
    /// Address to listen on, `IP:PORT` (default `127.0.0.1:22122`: only
    /// this machine; use `0.0.0.0:22122` to serve a network). Peers and
    /// storages know the tracker by this address, so a multi-machine
    /// cluster should name the machine's real IP here.
    pub listen: SocketAddr,
    /// Directory of the tracker's SQLite database (default `data/tracker`,
    /// relative to the working directory).
    pub data_dir: PathBuf,
    /// Every tracker of the cluster as `IP:PORT`, this one included or not
    /// (default: none, a single tracker).
    pub trackers: Vec<SocketAddr>,
    /// Peers allowed to connect: `*`, an address, a CIDR block or
    /// `a.b.c.[1-15,20]` (default: empty, which allows everyone).
    pub allow_hosts: Vec<String>,
    /// Concurrent connections at most (default 1024).
    pub max_connections: usize,
    /// Bound in seconds on every socket read and write (default 30).
    pub network_timeout_secs: u64,
    /// File descriptors kept out of the process's connection budget for
    /// files, databases and outgoing connections (default 256; see
    /// `fdfs_protocol::fd_budget`). The soft RLIMIT_NOFILE is raised to the
    /// hard limit at start; connections beyond `limit - fd_reserve` are
    /// refused at once.
    pub fd_reserve: usize,
    /// IP field width of query replies: `"auto"` (default: 15 bytes for
    /// IPv4, what FastDFS 6.15+ sends) or `46` (always the IPv6 width, for
    /// clients built for FastDFS 6.11–6.12); `16` means `auto`. Storages
    /// learn it and answer QUERY_FILE_INFO likewise.
    #[serde(deserialize_with = "text_or_number")]
    pub response_ip_addr_size: String,
    /// Placement and liveness policy (the `tracker.conf` keys of the same
    /// names).
    pub placement: PlacementSettings,
}

/// Reads a TOML string or integer as text (`"auto"` and `46` alike).
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(i64),
    }
    match TextOrNumber::deserialize(d) {
        Ok(TextOrNumber::Text(s)) => Ok(s),
        Ok(TextOrNumber::Number(n)) => Ok(n.to_string()),
        Err(_) => Err(serde::de::Error::custom("expected \"auto\", 16 or 46")),
    }
}

/// The placement and liveness keys, named and coded as in `tracker.conf`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlacementSettings {
    /// Group for uploads that name none: 0 round robin, 1 `store_group`,
    /// 2 the group with the most free space (default 2).
    pub store_lookup: i64,
    /// The group used when `store_lookup = 1` (default empty).
    pub store_group: String,
    /// Storage within the group: 0 round robin, 1 first by IP, 2 first by
    /// upload priority (default 0).
    pub store_server: i64,
    /// Store path within the storage: 0 round robin, 2 most free space
    /// (default 0).
    pub store_path: i64,
    /// Storage serving a download: 0 round robin over those that have the
    /// file, 1 the file's source storage first (default 0).
    pub download_server: i64,
    /// Space every group and store path keeps free: `N%` of the disk or a
    /// size such as `10G`, `1024M` (default `20%`).
    pub reserved_storage_space: String,
    /// Seconds without a heart beat after which a storage goes OFFLINE
    /// (default 120).
    pub check_active_interval: i64,
    /// Seconds after which a file is assumed replicated to every storage
    /// of its group (default 86400).
    pub storage_sync_file_max_delay: i64,
    /// Seconds one file may take to replicate (default 300).
    pub storage_sync_file_max_time: i64,
}

impl Default for TrackerSettings {
    fn default() -> Self {
        let server = ServerConfig::default();
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            data_dir: PathBuf::from("data/tracker"),
            trackers: Vec::new(),
            allow_hosts: Vec::new(),
            max_connections: server.max_connections,
            network_timeout_secs: server.network_timeout.as_secs(),
            fd_reserve: fdfs_protocol::fd_budget::DEFAULT_FD_RESERVE,
            response_ip_addr_size: IpWidth::default().to_string(),
            placement: PlacementSettings::default(),
        }
    }
}

impl Default for PlacementSettings {
    /// FastDFS's defaults, taken from [`TrackerPolicy::default`].
    fn default() -> Self {
        let p = TrackerPolicy::default();
        Self {
            store_lookup: lookup_code(p.store_lookup),
            store_group: p.store_group,
            store_server: server_code(p.store_server),
            store_path: p.store_path.code(),
            download_server: download_code(p.download_server),
            reserved_storage_space: p.reserved_storage_space.to_string(),
            check_active_interval: p.check_active_interval,
            storage_sync_file_max_delay: p.storage_sync_file_max_delay,
            storage_sync_file_max_time: p.storage_sync_file_max_time,
        }
    }
}

/// The `tracker.conf` code of a [`StoreLookup`].
fn lookup_code(v: StoreLookup) -> i64 {
    match v {
        StoreLookup::RoundRobin => 0,
        StoreLookup::SpecifiedGroup => 1,
        StoreLookup::LoadBalance => 2,
    }
}

/// The `tracker.conf` code of a [`StoreServer`].
fn server_code(v: StoreServer) -> i64 {
    match v {
        StoreServer::RoundRobin => 0,
        StoreServer::FirstByIp => 1,
        StoreServer::FirstByPriority => 2,
    }
}

/// The `tracker.conf` code of a [`DownloadServer`].
fn download_code(v: DownloadServer) -> i64 {
    match v {
        DownloadServer::RoundRobin => 0,
        DownloadServer::SourceFirst => 1,
    }
}

/// Why settings were refused; each names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The TOML text does not parse or has unknown keys.
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// A policy code outside the values `tracker.conf` defines.
    #[error("{key} = {value} is not valid: expected {expected}")]
    Code { key: &'static str, value: i64, expected: &'static str },
    /// `reserved_storage_space` does not parse.
    #[error(transparent)]
    Reserved(#[from] ReservedSpaceError),
    /// An `allow_hosts` entry does not parse.
    #[error(transparent)]
    AllowHosts(#[from] AllowHostsError),
    /// Any other out-of-range value.
    #[error("{key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl TrackerSettings {
    /// Parses TOML text (missing keys take their defaults).
    pub fn from_toml(text: &str) -> Result<Self, SettingsError> {
        Ok(toml::from_str(text)?)
    }

    /// Validates the settings and builds what the server runs with.
    pub fn to_config(&self) -> Result<TrackerConfig, SettingsError> {
        let invalid = |key, reason: &str| SettingsError::Invalid { key, reason: reason.into() };
        if self.max_connections == 0 {
            return Err(invalid("max_connections", "must be at least 1"));
        }
        if self.network_timeout_secs == 0 {
            return Err(invalid("network_timeout_secs", "must be at least 1 second"));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        let server = ServerConfig {
            max_connections: self.max_connections,
            network_timeout: Duration::from_secs(self.network_timeout_secs),
            allow_hosts: AllowHosts::parse(self.allow_hosts.iter().map(String::as_str))?,
            ..ServerConfig::default()
        };
        let mut policy = self.placement.to_policy()?;
        policy.response_ip_addr_size = self
            .response_ip_addr_size
            .parse()
            .map_err(|e: ParseIpWidthError| invalid("response_ip_addr_size", &e.to_string()))?;
        Ok(TrackerConfig {
            listen: self.listen,
            data_dir: self.data_dir.clone(),
            trackers: self.trackers.clone(),
            policy,
            server,
        })
    }
}

impl PlacementSettings {
    /// Validates the codes and intervals and builds the policy.
    pub fn to_policy(&self) -> Result<TrackerPolicy, SettingsError> {
        let code = |key, value, expected| SettingsError::Code { key, value, expected };
        let store_lookup = StoreLookup::from_code(self.store_lookup).ok_or_else(|| {
            code(
                "store_lookup",
                self.store_lookup,
                "0 (round robin), 1 (store_group) or 2 (most free space)",
            )
        })?;
        let store_server = StoreServer::from_code(self.store_server).ok_or_else(|| {
            code(
                "store_server",
                self.store_server,
                "0 (round robin), 1 (first by IP) or 2 (first by upload priority)",
            )
        })?;
        let store_path = StorePath::from_code(self.store_path).ok_or_else(|| {
            code("store_path", self.store_path, "0 (round robin) or 2 (most free space)")
        })?;
        let download_server = DownloadServer::from_code(self.download_server).ok_or_else(|| {
            code("download_server", self.download_server, "0 (round robin) or 1 (source first)")
        })?;
        let invalid = |key, reason: String| SettingsError::Invalid { key, reason };
        if !self.store_group.is_empty() || store_lookup == StoreLookup::SpecifiedGroup {
            validate_group_name(&self.store_group).map_err(|e| {
                invalid("store_group", format!("{:?} is not a group name: {e}", self.store_group))
            })?;
        }
        let reserved_storage_space: ReservedSpace = self.reserved_storage_space.parse()?;
        for (key, value) in [
            ("check_active_interval", self.check_active_interval),
            ("storage_sync_file_max_delay", self.storage_sync_file_max_delay),
            ("storage_sync_file_max_time", self.storage_sync_file_max_time),
        ] {
            if value <= 0 {
                return Err(invalid(key, format!("{value} must be a positive number of seconds")));
            }
        }
        Ok(TrackerPolicy {
            store_lookup,
            store_group: self.store_group.clone(),
            store_server,
            store_path,
            download_server,
            reserved_storage_space,
            check_active_interval: self.check_active_interval,
            storage_sync_file_max_delay: self.storage_sync_file_max_delay,
            storage_sync_file_max_time: self.storage_sync_file_max_time,
            // Not a placement key: set by `TrackerSettings::to_config`.
            response_ip_addr_size: IpWidth::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../deploy/tracker.toml");

    #[test]
    fn the_deploy_sample_parses_with_every_key() {
        let s = TrackerSettings::from_toml(SAMPLE).unwrap();
        assert_eq!(s.listen, "127.0.0.1:22122".parse().unwrap());
        assert_eq!(s.data_dir, PathBuf::from("data/tracker"));
        assert_eq!(s.trackers, ["127.0.0.1:22122".parse().unwrap()]);
        assert_eq!(s.allow_hosts, ["127.0.0.1", "10.0.0.0/16", "192.168.1.[10-20,30]"]);
        assert_eq!((s.max_connections, s.network_timeout_secs), (1024, 60));
        // The sample spells out the defaults.
        assert_eq!(s.placement, PlacementSettings::default());
        let config = s.to_config().unwrap();
        assert_eq!(config.policy, TrackerPolicy::default());
        assert!(config.server.allow_hosts.allows("10.0.3.4".parse().unwrap()));
        assert!(!config.server.allow_hosts.allows("10.1.0.1".parse().unwrap()));
        // Every key of the struct is present in the sample.
        let table: toml::Table = toml::from_str(SAMPLE).unwrap();
        let want = toml::Table::try_from(TrackerSettings::default()).unwrap();
        for (key, value) in &want {
            assert!(table.contains_key(key), "sample lacks {key}");
            if let Some(inner) = value.as_table() {
                for k in inner.keys() {
                    assert!(table[key].as_table().unwrap().contains_key(k), "sample lacks {k}");
                }
            }
        }
    }

    #[test]
    fn empty_file_gives_defaults() {
        let s = TrackerSettings::from_toml("").unwrap();
        assert_eq!(s, TrackerSettings::default());
        let config = s.to_config().unwrap();
        assert_eq!(config.listen.port(), DEFAULT_PORT);
        assert!(config.listen.ip().is_loopback());
        assert!(config.server.allow_hosts.allows("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn partial_placement_keeps_other_defaults() {
        let s = TrackerSettings::from_toml(
            "[placement]\nstore_lookup = 1\nstore_group = \"group2\"\n\
             reserved_storage_space = \"10G\"\n",
        )
        .unwrap();
        let p = s.to_config().unwrap().policy;
        assert_eq!(p.store_lookup, StoreLookup::SpecifiedGroup);
        assert_eq!(p.store_group, "group2");
        assert_eq!(p.reserved_storage_space, ReservedSpace::Mb(10 * 1024));
        assert_eq!(p.check_active_interval, 120);
        assert_eq!(p.response_ip_addr_size, IpWidth::Auto);
    }

    #[test]
    fn response_ip_addr_size_takes_text_or_number() {
        for (text, want) in [
            ("response_ip_addr_size = \"auto\"", IpWidth::Auto),
            ("response_ip_addr_size = 16", IpWidth::Auto),
            ("response_ip_addr_size = 46", IpWidth::Ipv6),
            ("response_ip_addr_size = \"46\"", IpWidth::Ipv6),
        ] {
            let s = TrackerSettings::from_toml(text).unwrap();
            assert_eq!(s.to_config().unwrap().policy.response_ip_addr_size, want, "{text}");
        }
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("lisen = \"127.0.0.1:1\"", "lisen"),
            ("[placement]\nstore_lookup_x = 1", "store_lookup_x"),
            ("listen = \"localhost\"", "listen"),
            ("[placement]\nstore_lookup = 7", "store_lookup = 7"),
            ("[placement]\nstore_server = 3", "store_server"),
            ("[placement]\nstore_path = 1", "store_path"),
            ("[placement]\ndownload_server = 2", "download_server"),
            ("[placement]\nstore_lookup = 1", "store_group"),
            ("[placement]\nstore_group = \"bad group!\"", "store_group"),
            ("[placement]\nreserved_storage_space = \"120%\"", "reserved_storage_space"),
            ("[placement]\ncheck_active_interval = 0", "check_active_interval"),
            ("allow_hosts = [\"example.com\"]", "allow_hosts"),
            ("max_connections = 0", "max_connections"),
            ("network_timeout_secs = 0", "network_timeout_secs"),
            ("data_dir = \"\"", "data_dir"),
            ("response_ip_addr_size = 45", "response_ip_addr_size"),
            ("response_ip_addr_size = true", "response_ip_addr_size"),
        ];
        for (text, key) in cases {
            let err = TrackerSettings::from_toml(text)
                .and_then(|s| s.to_config().map(|_| ()))
                .expect_err(text)
                .to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }
}
