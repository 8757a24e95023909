//! The tracker's `--config FILE`: a `.toml` file is our own format
//! ([`TrackerSettings`], sample in `deploy/tracker.toml`); any other name is
//! read as a FastDFS `tracker.conf`, whose keys that matter are mapped onto
//! the same settings so an existing deployment can switch binaries without
//! rewriting its config. The mapping is documented in `deploy/README.md`;
//! keys present but not honoured are listed in one warning, never silently
//! dropped.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use fdfs_tracker::settings::{DEFAULT_PORT, TrackerSettings};

use super::fastdfs_conf::FastdfsConf;

/// `tracker.conf` keys honoured, each mapped in [`from_fastdfs`].
const MAPPED_KEYS: &[&str] = &[
    "port",
    "bind_addr",
    "allow_hosts",
    "max_connections",
    "network_timeout",
    "base_path",
    "store_lookup",
    "store_group",
    "store_server",
    "store_path",
    "download_server",
    "reserved_storage_space",
    "check_active_interval",
    "storage_sync_file_max_delay",
    "storage_sync_file_max_time",
    "response_ip_addr_size",
];

/// Reads `path`: TOML when it ends in `.toml`, else FastDFS `tracker.conf`.
pub fn load(path: &Path) -> anyhow::Result<TrackerSettings> {
    super::load_toml_or_fastdfs(
        path,
        "tracker",
        |text| Ok(TrackerSettings::from_toml(text)?),
        from_fastdfs,
    )
}

/// Maps a FastDFS `tracker.conf` onto [`TrackerSettings`] and returns the
/// keys present in the file that fdfs does not use, each listed once.
///
/// Keys missing from the file keep fdfs's defaults, except the listen
/// address: as in FastDFS, no `bind_addr` means every interface, and no
/// `port` means 22122. `base_path` maps to `data_dir = base_path/data`,
/// where FastDFS keeps its tracker data too.
pub fn from_fastdfs(conf: &FastdfsConf) -> anyhow::Result<(TrackerSettings, Vec<String>)> {
    let mut s = TrackerSettings::default();
    let port = conf.get_port("port")?.unwrap_or(DEFAULT_PORT);
    let ip = match conf.get("bind_addr").filter(|v| !v.is_empty()) {
        Some(v) => v
            .parse::<IpAddr>()
            .with_context(|| format!("bind_addr = {v:?} is not an IP address"))?,
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    s.listen = SocketAddr::new(ip, port);
    s.allow_hosts = conf.get_all("allow_hosts").into_iter().map(str::to_string).collect();
    if let Some(n) = conf.get_i64("max_connections")? {
        s.max_connections =
            usize::try_from(n).with_context(|| format!("max_connections = {n} is negative"))?;
    }
    if let Some(n) = conf.get_i64("network_timeout")? {
        s.network_timeout_secs =
            u64::try_from(n).with_context(|| format!("network_timeout = {n} is negative"))?;
    }
    if let Some(base) = conf.get("base_path") {
        if base.is_empty() {
            bail!("base_path is empty");
        }
        s.data_dir = PathBuf::from(base).join("data");
    }
    let p = &mut s.placement;
    for (key, field) in [
        ("store_lookup", &mut p.store_lookup),
        ("store_server", &mut p.store_server),
        ("store_path", &mut p.store_path),
        ("download_server", &mut p.download_server),
        ("check_active_interval", &mut p.check_active_interval),
        ("storage_sync_file_max_delay", &mut p.storage_sync_file_max_delay),
        ("storage_sync_file_max_time", &mut p.storage_sync_file_max_time),
    ] {
        if let Some(v) = conf.get_i64(key)? {
            *field = v;
        }
    }
    if let Some(v) = conf.get("store_group") {
        p.store_group = v.to_string();
    }
    if let Some(v) = conf.get("reserved_storage_space") {
        p.reserved_storage_space = v.to_string();
    }
    if let Some(v) = conf.get("response_ip_addr_size") {
        s.response_ip_addr_size = v.to_string();
    }
    let mut ignored: Vec<String> = Vec::new();
    for key in conf.keys() {
        if !MAPPED_KEYS.contains(&key) && !ignored.iter().any(|k| k == key) {
            ignored.push(key.to_string());
        }
    }
    Ok((s, ignored))
}

#[cfg(test)]
mod tests {
    use fdfs_protocol::IpWidth;
    use fdfs_tracker::config::{ReservedSpace, StoreLookup, StorePath};

    use super::*;

    /// A tracker.conf as an operator would have it (written for this test).
    const CONF: &str = "\
# tracker of the staging cluster
disabled = false
bind_addr = 10.1.2.3
port = 22200
connect_timeout = 5
network_timeout = 45
base_path = /srv/fastdfs/tracker
max_connections = 2048
work_threads = 4

# placement
store_lookup = 1
store_group = group3
store_server = 2
store_path = 2
download_server = 1
reserved_storage_space = 15%
check_active_interval = 90
storage_sync_file_max_delay = 3600
storage_sync_file_max_time = 120
response_ip_addr_size = IPv6

allow_hosts = 10.1.2.[1-50]
allow_hosts = 127.0.0.1
log_level = info
use_storage_id = false
http.server_port = 8080
";

    #[test]
    fn maps_a_realistic_tracker_conf() {
        let conf = FastdfsConf::parse(CONF).unwrap();
        let (s, ignored) = from_fastdfs(&conf).unwrap();
        assert_eq!(s.listen, "10.1.2.3:22200".parse().unwrap());
        assert_eq!(s.data_dir, PathBuf::from("/srv/fastdfs/tracker/data"));
        assert_eq!(s.allow_hosts, ["10.1.2.[1-50]", "127.0.0.1"]);
        assert_eq!((s.max_connections, s.network_timeout_secs), (2048, 45));
        assert_eq!(
            ignored,
            [
                "disabled",
                "connect_timeout",
                "work_threads",
                "log_level",
                "use_storage_id",
                "http.server_port"
            ]
        );
        let config = s.to_config().unwrap();
        let p = config.policy;
        assert_eq!(p.store_lookup, StoreLookup::SpecifiedGroup);
        assert_eq!(p.store_group, "group3");
        assert_eq!(p.store_path, StorePath::LoadBalance);
        assert_eq!(p.reserved_storage_space, ReservedSpace::Ratio(0.15));
        assert_eq!(
            (p.check_active_interval, p.storage_sync_file_max_delay, p.storage_sync_file_max_time),
            (90, 3600, 120)
        );
        assert!(config.server.allow_hosts.allows("10.1.2.50".parse().unwrap()));
        assert!(!config.server.allow_hosts.allows("10.1.2.51".parse().unwrap()));
        assert_eq!(config.server.network_timeout.as_secs(), 45);
        assert_eq!(p.response_ip_addr_size, IpWidth::Ipv6);
    }

    #[test]
    fn missing_keys_take_fastdfs_listen_defaults() {
        let (s, ignored) = from_fastdfs(&FastdfsConf::parse("bind_addr =\n").unwrap()).unwrap();
        assert_eq!(s.listen, "0.0.0.0:22122".parse().unwrap());
        assert_eq!(s.data_dir, TrackerSettings::default().data_dir);
        assert!(ignored.is_empty());
        assert_eq!(s.placement, TrackerSettings::default().placement);
    }

    #[test]
    fn bad_values_are_clear_errors() {
        for (text, key) in [
            ("port = 70000", "port"),
            ("port = http", "port"),
            ("bind_addr = tracker.local", "bind_addr"),
            ("max_connections = -1", "max_connections"),
            ("network_timeout = x", "network_timeout"),
            ("base_path =", "base_path"),
            ("store_lookup = two", "store_lookup"),
        ] {
            let conf = FastdfsConf::parse(text).unwrap();
            let err = format!("{:#}", from_fastdfs(&conf).map(|_| ()).unwrap_err());
            assert!(err.contains(key), "{text}: {err}");
        }
        // Values that parse but are out of range fail at validation.
        let conf = FastdfsConf::parse("store_lookup = 4").unwrap();
        let err = from_fastdfs(&conf).unwrap().0.to_config().unwrap_err().to_string();
        assert!(err.contains("store_lookup = 4"), "{err}");
        let conf = FastdfsConf::parse("response_ip_addr_size = 45").unwrap();
        let err = from_fastdfs(&conf).unwrap().0.to_config().unwrap_err().to_string();
        assert!(err.contains("response_ip_addr_size"), "{err}");
    }

    #[test]
    fn load_picks_the_format_by_extension() {
        let dir = std::env::temp_dir().join(format!("fdfs-tracker-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let toml = dir.join("t.toml");
        std::fs::write(&toml, "listen = \"127.0.0.1:1\"\n").unwrap();
        assert_eq!(load(&toml).unwrap().listen.port(), 1);
        let conf = dir.join("tracker.conf");
        std::fs::write(&conf, "port = 2\n").unwrap();
        assert_eq!(load(&conf).unwrap().listen.port(), 2);
        std::fs::write(&toml, "port = 2\n").unwrap();
        let err = format!("{:#}", load(&toml).unwrap_err());
        assert!(err.contains("t.toml") && err.contains("port"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
