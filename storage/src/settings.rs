//! The storage's configuration file: one serde struct, [`StorageSettings`],
//! read from TOML (`deploy/storage.toml` is the documented sample), with
//! every default in its [`Default`] impl and one conversion,
//! [`StorageSettings::to_config`], that validates everything and names the
//! key at fault.
//!
//! The binary also fills this struct from a FastDFS `storage.conf` and from
//! command-line flags, so all three sources share the same checks.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use fdfs_protocol::allow::{AllowHosts, AllowHostsError};
use fdfs_protocol::file_id::validate_group_name;
use fdfs_protocol::server::ServerConfig;
use serde::{Deserialize, Serialize};

use crate::http::{HttpConfig, TokenCheck};
use crate::server::StorageConfig;
use crate::server::worm::LockAdmins;
use crate::store::config::ReservedSpaceError;
use crate::store::{DEFAULT_ROTATE_COUNT, DEFAULT_SUBDIR_COUNT, DistributeMode, ReservedSpace};

/// The storage port FastDFS clients and trackers expect.
pub const DEFAULT_PORT: u16 = 23000;
/// Most trackers a storage reports to.
pub const MAX_TRACKERS: usize = 16;

/// Everything `fdfs storage` reads from its config file. Unknown keys are
/// errors, so a typo never silently falls back to a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// This storage's address, `IP:PORT` or `IP` (port 23000). The IP must
    /// be a specific IPv4 address: it is the storage's identity to the
    /// trackers, the source of its connections and the address written in
    /// the names of the files it stores (default `127.0.0.1:23000`).
    pub listen: String,
    /// The group it belongs to (default `group1`).
    pub group: String,
    /// Base directory: `data/` under it holds the binlog and the join
    /// state; also the first store path when `store_paths` is empty
    /// (default `data/storage`).
    pub base_path: PathBuf,
    /// Store paths `M00`, `M01`, ... (default: empty, the base path only).
    pub store_paths: Vec<PathBuf>,
    /// Every tracker of the cluster as `IP:PORT`, 1 to 16 (no default).
    pub trackers: Vec<SocketAddr>,
    /// Subdirectories per level under each store path, 1..=256 (default 256).
    pub subdir_count_per_path: u16,
    /// How a new file picks its subdirectory: 0 round robin, 1 hash of
    /// its name (default 0).
    pub file_distribute_path_mode: i64,
    /// With round robin, files written to one subdirectory before the next
    /// (default 100).
    pub file_distribute_rotate_count: u32,
    /// Space kept free on each store path: `N%` or a size such as `10G`
    /// (default `10%`). Uploads that would cross it are refused (ENOSPC).
    pub reserved_storage_space: String,
    /// Reported to trackers; with `store_server = 2` lower values get
    /// uploads first (default 10).
    pub upload_priority: i64,
    /// Seconds between heart beats to every tracker (default 30).
    pub heart_beat_interval_secs: u64,
    /// Seconds between disk usage reports (default 60).
    pub stat_report_interval_secs: u64,
    /// Peers allowed to connect: `*`, an address, a CIDR block or
    /// `a.b.c.[1-15,20]` (default: empty, which allows everyone).
    pub allow_hosts: Vec<String>,
    /// Concurrent connections at most, per listener (default 1024).
    pub max_connections: usize,
    /// Bound in seconds on every socket read and write (default 60).
    pub network_timeout_secs: u64,
    /// File descriptors kept out of the process's connection budget for
    /// files, databases and outgoing connections (default 256; see
    /// `fdfs_protocol::fd_budget`). The soft RLIMIT_NOFILE is raised to the
    /// hard limit at start; connections beyond `limit - fd_reserve` are
    /// refused at once.
    pub fd_reserve: usize,
    /// Storages of the group (this one included) that must hold a new file
    /// before its upload is answered (default 1: answer once it is on this
    /// storage's disk and replicate in the background, as FastDFS).
    pub sync_replicas: u32,
    /// Address of the HTTP download server, `IP:PORT` (default: none, no
    /// HTTP server).
    pub http_listen: Option<SocketAddr>,
    /// Secret of FastDFS's anti-steal token: when set, HTTP downloads need
    /// `?token=md5(logic filename + secret + ts)&ts=UNIX_TIME` (default
    /// empty: no check).
    pub http_token_secret: String,
    /// Seconds a signed HTTP URL stays valid after its `ts` (default 900).
    pub http_token_ttl_secs: u64,
    /// Clients that may delete or change a file whose Object Lock tags
    /// (`s3-lock-mode`/`s3-lock-until`, `s3-legal-hold`) lock it — the S3
    /// gateways, which lift a governance retention or a hold by S3's rules:
    /// addresses in `allow_hosts` notation (default: empty, nobody; an
    /// expired retention still frees the file).
    pub lock_admin_hosts: Vec<String>,
}

impl Default for StorageSettings {
    fn default() -> Self {
        let server = ServerConfig::default();
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)).to_string(),
            group: "group1".to_string(),
            base_path: PathBuf::from("data/storage"),
            store_paths: Vec::new(),
            trackers: Vec::new(),
            subdir_count_per_path: DEFAULT_SUBDIR_COUNT,
            file_distribute_path_mode: 0,
            file_distribute_rotate_count: DEFAULT_ROTATE_COUNT,
            reserved_storage_space: "10%".to_string(),
            upload_priority: 10,
            heart_beat_interval_secs: 30,
            stat_report_interval_secs: 60,
            allow_hosts: Vec::new(),
            max_connections: server.max_connections,
            network_timeout_secs: server.network_timeout.as_secs(),
            fd_reserve: fdfs_protocol::fd_budget::DEFAULT_FD_RESERVE,
            sync_replicas: 1,
            http_listen: None,
            http_token_secret: String::new(),
            http_token_ttl_secs: 900,
            lock_admin_hosts: Vec::new(),
        }
    }
}

/// Why settings were refused; each names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The TOML text does not parse or has unknown keys.
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// `reserved_storage_space` does not parse.
    #[error(transparent)]
    Reserved(#[from] ReservedSpaceError),
    /// An `allow_hosts` entry does not parse.
    #[error(transparent)]
    AllowHosts(#[from] AllowHostsError),
    /// Any other out-of-range value.
    #[error("{key}: {reason}")]
    Invalid {
        /// The key at fault.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(key: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid { key, reason: reason.into() }
}

/// Parses a listen address: `IP:PORT`, or an `IP` alone for port 23000.
/// The IP must be a specific IPv4 address.
pub fn parse_listen(text: &str) -> Result<SocketAddr, SettingsError> {
    let text = text.trim();
    let addr = match text.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => match text.parse::<IpAddr>() {
            Ok(ip) => SocketAddr::new(ip, DEFAULT_PORT),
            Err(_) => return Err(invalid("listen", format!("{text:?} is not IP:PORT or an IP"))),
        },
    };
    match addr.ip() {
        IpAddr::V4(ip) if !ip.is_unspecified() && !ip.is_broadcast() && !ip.is_multicast() => {
            Ok(addr)
        }
        _ => Err(invalid(
            "listen",
            format!(
                "{addr} must be a specific IPv4 address: it is the storage's identity \
                 (e.g. the machine's own IP)"
            ),
        )),
    }
}

impl StorageSettings {
    /// Parses TOML text (missing keys take their defaults).
    pub fn from_toml(text: &str) -> Result<Self, SettingsError> {
        Ok(toml::from_str(text)?)
    }

    /// Validates the settings and builds what the server runs with.
    pub fn to_config(&self) -> Result<StorageConfig, SettingsError> {
        let listen = parse_listen(&self.listen)?;
        validate_group_name(&self.group)
            .map_err(|e| invalid("group", format!("{:?} is not a group name: {e}", self.group)))?;
        if self.base_path.as_os_str().is_empty() {
            return Err(invalid("base_path", "must not be empty"));
        }
        if self.trackers.is_empty() || self.trackers.len() > MAX_TRACKERS {
            return Err(invalid(
                "trackers",
                format!("{} given; name 1 to {MAX_TRACKERS} trackers", self.trackers.len()),
            ));
        }
        if !(1..=256).contains(&self.subdir_count_per_path) {
            return Err(invalid("subdir_count_per_path", "must be 1..=256"));
        }
        let distribute_mode = DistributeMode::from_code(self.file_distribute_path_mode)
            .ok_or_else(|| {
                invalid(
                    "file_distribute_path_mode",
                    format!(
                        "{} is not 0 (round robin) or 1 (hash)",
                        self.file_distribute_path_mode
                    ),
                )
            })?;
        if self.file_distribute_rotate_count == 0 {
            return Err(invalid("file_distribute_rotate_count", "must be at least 1"));
        }
        let reserved: ReservedSpace = self.reserved_storage_space.parse()?;
        for (key, value) in [
            ("heart_beat_interval_secs", self.heart_beat_interval_secs),
            ("stat_report_interval_secs", self.stat_report_interval_secs),
            ("network_timeout_secs", self.network_timeout_secs),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1 second"));
            }
        }
        if self.max_connections == 0 {
            return Err(invalid("max_connections", "must be at least 1"));
        }
        let network_timeout = Duration::from_secs(self.network_timeout_secs);
        let server = ServerConfig {
            max_connections: self.max_connections,
            network_timeout,
            allow_hosts: AllowHosts::parse(self.allow_hosts.iter().map(String::as_str))?,
            ..ServerConfig::default()
        };
        let mut config =
            StorageConfig::new(listen, &self.group, self.base_path.clone(), self.trackers.clone());
        if !self.store_paths.is_empty() {
            config.store_paths = self.store_paths.clone();
        }
        config.subdir_count = self.subdir_count_per_path;
        config.distribute_mode = distribute_mode;
        config.rotate_count = self.file_distribute_rotate_count;
        config.reserved = reserved;
        config.upload_priority = self.upload_priority;
        config.heart_beat_interval = Duration::from_secs(self.heart_beat_interval_secs);
        config.stat_report_interval = Duration::from_secs(self.stat_report_interval_secs);
        if self.sync_replicas == 0 {
            return Err(invalid("sync_replicas", "must be at least 1 (this storage)"));
        }
        config.sync_replicas = self.sync_replicas as usize;
        config.http = self.http_config(network_timeout, &server.allow_hosts)?;
        config.lock_admins = LockAdmins::parse(self.lock_admin_hosts.iter().map(String::as_str))
            .map_err(|e| invalid("lock_admin_hosts", e.to_string()))?;
        config.server = server;
        Ok(config)
    }

    fn http_config(
        &self,
        network_timeout: Duration,
        allow_hosts: &AllowHosts,
    ) -> Result<Option<HttpConfig>, SettingsError> {
        let Some(listen) = self.http_listen else { return Ok(None) };
        let mut http = HttpConfig::new(listen);
        http.max_connections = self.max_connections;
        http.network_timeout = network_timeout;
        http.allow_hosts = allow_hosts.clone();
        if !self.http_token_secret.is_empty() {
            if self.http_token_ttl_secs == 0 {
                return Err(invalid("http_token_ttl_secs", "must be at least 1 second"));
            }
            http.token = Some(TokenCheck {
                secret: self.http_token_secret.clone(),
                ttl: Duration::from_secs(self.http_token_ttl_secs),
            });
        }
        Ok(Some(http))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../deploy/storage.toml");

    fn with(extra: &str) -> String {
        format!("trackers = [\"10.0.0.1:22122\"]\n{extra}")
    }

    #[test]
    fn the_deploy_sample_parses_with_every_key() {
        let s = StorageSettings::from_toml(SAMPLE).unwrap();
        assert_eq!(s.listen, "127.0.0.1:23000");
        assert_eq!(s.group, "group1");
        assert_eq!(s.base_path, PathBuf::from("data/storage"));
        assert_eq!(s.trackers, ["127.0.0.1:22122".parse().unwrap()]);
        assert_eq!(s.http_listen, Some("127.0.0.1:8888".parse().unwrap()));
        // Apart from the examples, the sample spells out the defaults.
        let defaults = StorageSettings {
            trackers: s.trackers.clone(),
            allow_hosts: s.allow_hosts.clone(),
            http_listen: s.http_listen,
            lock_admin_hosts: s.lock_admin_hosts.clone(),
            ..StorageSettings::default()
        };
        assert_eq!(s, defaults);
        let config = s.to_config().unwrap();
        assert_eq!(config.listen, "127.0.0.1:23000".parse().unwrap());
        assert_eq!(config.store_paths, [PathBuf::from("data/storage")]);
        assert_eq!(config.reserved, ReservedSpace::Ratio(0.1));
        assert!(config.http.unwrap().token.is_none());
        assert!(config.lock_admins.contains("127.0.0.1".parse().unwrap()));
        assert!(!config.lock_admins.contains("127.0.0.2".parse().unwrap()));
        // Every key of the struct is present in the sample.
        let table: toml::Table = toml::from_str(SAMPLE).unwrap();
        let want = toml::Table::try_from(StorageSettings::default()).unwrap();
        for key in want.keys() {
            assert!(table.contains_key(key), "sample lacks {key}");
        }
    }

    #[test]
    fn builds_the_server_config() {
        let s = StorageSettings::from_toml(&with(
            "listen = \"10.0.0.7\"\ngroup = \"img\"\nstore_paths = [\"/d0\", \"/d1\"]\n\
             file_distribute_path_mode = 1\nreserved_storage_space = \"2G\"\n\
             heart_beat_interval_secs = 2\nsync_replicas = 1\n\
             http_listen = \"10.0.0.7:8080\"\nhttp_token_secret = \"s3cret\"\n",
        ))
        .unwrap();
        let c = s.to_config().unwrap();
        assert_eq!(c.listen, "10.0.0.7:23000".parse().unwrap());
        assert_eq!(c.group, "img");
        assert_eq!(c.store_paths, [PathBuf::from("/d0"), PathBuf::from("/d1")]);
        assert_eq!(c.distribute_mode, DistributeMode::Hash);
        assert_eq!(c.reserved, ReservedSpace::Mb(2048));
        assert_eq!(c.heart_beat_interval, Duration::from_secs(2));
        assert_eq!(c.sync_replicas, 1);
        let http = c.http.unwrap();
        assert_eq!(http.listen, "10.0.0.7:8080".parse().unwrap());
        let token = http.token.unwrap();
        assert_eq!((token.secret.as_str(), token.ttl.as_secs()), ("s3cret", 900));
        assert!(!format!("{token:?}").contains("s3cret"));
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (with("lisen = \"1.2.3.4\""), "lisen"),
            (with("listen = \"0.0.0.0:23000\""), "specific IPv4"),
            (with("listen = \"[::1]:23000\""), "listen"),
            (with("listen = \"storage.local\""), "listen"),
            (with("group = \"bad group\""), "group"),
            ("".to_string(), "trackers"),
            (with("subdir_count_per_path = 0"), "subdir_count_per_path"),
            (with("file_distribute_path_mode = 2"), "file_distribute_path_mode"),
            (with("file_distribute_rotate_count = 0"), "file_distribute_rotate_count"),
            (with("reserved_storage_space = \"101%\""), "reserved_storage_space"),
            (with("heart_beat_interval_secs = 0"), "heart_beat_interval_secs"),
            (with("network_timeout_secs = 0"), "network_timeout_secs"),
            (with("max_connections = 0"), "max_connections"),
            (with("allow_hosts = [\"example.com\"]"), "allow_hosts"),
            (with("lock_admin_hosts = [\"gw.local\"]"), "lock_admin_hosts"),
            (with("base_path = \"\""), "base_path"),
            (
                with(
                    "http_listen = \"127.0.0.1:1\"\nhttp_token_secret = \"x\"\nhttp_token_ttl_secs = 0",
                ),
                "http_token_ttl_secs",
            ),
        ];
        for (text, key) in cases {
            let err = StorageSettings::from_toml(&text)
                .and_then(|s| s.to_config().map(|_| ()))
                .expect_err(&text)
                .to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }
}
