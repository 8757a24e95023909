//! The storage's `--config FILE`: a `.toml` file is our own format
//! ([`StorageSettings`], sample in `deploy/storage.toml`); any other name
//! is read as a FastDFS `storage.conf`, whose keys that matter are mapped
//! onto the same settings so an existing deployment can switch binaries
//! without rewriting its config. The mapping is documented in
//! `deploy/README.md`; keys present but not honoured are listed in one
//! warning, never silently dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use fdfs_storage::settings::{DEFAULT_PORT, StorageSettings};

use super::fastdfs_conf::FastdfsConf;

/// `storage.conf` keys honoured, each mapped in [`from_fastdfs`].
const MAPPED_KEYS: &[&str] = &[
    "group_name",
    "bind_addr",
    "client_bind",
    "port",
    "base_path",
    "store_path_count",
    "subdir_count_per_path",
    "tracker_server",
    "heart_beat_interval",
    "stat_report_interval",
    "allow_hosts",
    "lock_admin_hosts",
    "max_connections",
    "network_timeout",
    "upload_priority",
    "file_distribute_path_mode",
    "file_distribute_rotate_count",
    "reserved_storage_space",
    "http.anti_steal.check_token",
    "http.anti_steal.secret_key",
    "http.anti_steal.token_ttl",
];

/// Store paths at most (`M00..MFE`).
const MAX_STORE_PATHS: i64 = 255;

/// Reads `path`: TOML when it ends in `.toml`, else FastDFS `storage.conf`.
pub fn load(path: &Path) -> anyhow::Result<StorageSettings> {
    super::load_toml_or_fastdfs(
        path,
        "storage",
        |text| Ok(StorageSettings::from_toml(text)?),
        from_fastdfs,
    )
}

/// Maps a FastDFS `storage.conf` onto [`StorageSettings`] and returns the
/// keys present in the file that fdfs does not use, each listed once.
///
/// Keys missing from the file keep fdfs's defaults, except the listen
/// address: no `port` means 23000, and an empty or missing `bind_addr`
/// leaves `0.0.0.0`, which start-up refuses unless `--listen` names the
/// storage's IP (fdfs needs its identity up front; FastDFS would learn it
/// from the trackers). Store paths: `store_path0` defaults to `base_path`
/// as in FastDFS, and `store_path1..` up to `store_path_count` must all be
/// present.
pub fn from_fastdfs(conf: &FastdfsConf) -> anyhow::Result<(StorageSettings, Vec<String>)> {
    let mut s = StorageSettings::default();
    let port = conf.get_port("port")?.unwrap_or(DEFAULT_PORT);
    let ip = conf.get("bind_addr").filter(|v| !v.is_empty()).unwrap_or("0.0.0.0");
    s.listen = format!("{ip}:{port}");
    if let Some(group) = conf.get("group_name") {
        s.group = group.to_string();
    }
    if let Some(base) = conf.get("base_path") {
        if base.is_empty() {
            bail!("base_path is empty");
        }
        s.base_path = PathBuf::from(base);
    }
    s.store_paths = store_paths(conf, &s.base_path)?;
    s.trackers = conf
        .get_all("tracker_server")
        .into_iter()
        .map(|t| {
            t.parse::<SocketAddr>().with_context(|| {
                format!("tracker_server = {t:?} must be IP:PORT (host names are not resolved)")
            })
        })
        .collect::<anyhow::Result<_>>()?;
    s.allow_hosts = conf.get_all("allow_hosts").into_iter().map(str::to_string).collect();
    s.lock_admin_hosts = conf.get_all("lock_admin_hosts").into_iter().map(str::to_string).collect();
    for (key, field) in [
        ("heart_beat_interval", &mut s.heart_beat_interval_secs),
        ("stat_report_interval", &mut s.stat_report_interval_secs),
        ("network_timeout", &mut s.network_timeout_secs),
        ("http.anti_steal.token_ttl", &mut s.http_token_ttl_secs),
    ] {
        if let Some(v) = non_negative(conf, key)? {
            *field = v;
        }
    }
    if let Some(v) = non_negative(conf, "max_connections")? {
        s.max_connections = usize::try_from(v).unwrap_or(usize::MAX);
    }
    if let Some(v) = non_negative(conf, "subdir_count_per_path")? {
        s.subdir_count_per_path =
            u16::try_from(v).with_context(|| format!("subdir_count_per_path = {v} is too big"))?;
    }
    if let Some(v) = non_negative(conf, "file_distribute_rotate_count")? {
        s.file_distribute_rotate_count = u32::try_from(v)
            .with_context(|| format!("file_distribute_rotate_count = {v} is too big"))?;
    }
    if let Some(v) = conf.get_i64("file_distribute_path_mode")? {
        s.file_distribute_path_mode = v;
    }
    if let Some(v) = conf.get_i64("upload_priority")? {
        s.upload_priority = v;
    }
    if let Some(v) = conf.get("reserved_storage_space") {
        s.reserved_storage_space = v.to_string();
    }
    if conf.get_bool("http.anti_steal.check_token")? == Some(true) {
        s.http_token_secret = conf.get("http.anti_steal.secret_key").unwrap_or("").to_string();
        if s.http_token_secret.is_empty() {
            bail!("http.anti_steal.check_token = true needs http.anti_steal.secret_key");
        }
    }
    let mut ignored: Vec<String> = Vec::new();
    for key in conf.keys() {
        let mapped = MAPPED_KEYS.contains(&key) || is_store_path_key(key);
        if !mapped && !ignored.iter().any(|k| k == key) {
            ignored.push(key.to_string());
        }
    }
    Ok((s, ignored))
}

/// An integer key that must not be negative.
fn non_negative(conf: &FastdfsConf, key: &str) -> anyhow::Result<Option<u64>> {
    conf.get_i64(key)?
        .map(|v| u64::try_from(v).with_context(|| format!("{key} = {v} is negative")))
        .transpose()
}

/// `store_path0..N`: empty when the only store path is the base path.
fn store_paths(conf: &FastdfsConf, base: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let count = match conf.get_i64("store_path_count")? {
        Some(n) if (1..=MAX_STORE_PATHS).contains(&n) => n as usize,
        Some(n) => bail!("store_path_count = {n} is not 1..={MAX_STORE_PATHS}"),
        None => (1..MAX_STORE_PATHS as usize)
            .find(|i| conf.get(&format!("store_path{i}")).is_none())
            .unwrap_or(1),
    };
    if count == 1 && conf.get("store_path0").is_none_or(|p| Path::new(p) == base) {
        return Ok(Vec::new());
    }
    (0..count)
        .map(|i| match conf.get(&format!("store_path{i}")).filter(|p| !p.is_empty()) {
            Some(p) => Ok(PathBuf::from(p)),
            None if i == 0 => Ok(base.to_path_buf()),
            None => bail!("store_path{i} is missing (store_path_count = {count})"),
        })
        .collect()
}

/// `store_pathN`, the keys [`store_paths`] reads.
fn is_store_path_key(key: &str) -> bool {
    key.strip_prefix("store_path")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use fdfs_storage::store::{DistributeMode, ReservedSpace};

    use super::*;

    /// A storage.conf as an operator would have it (written for this test).
    const CONF: &str = "\
disabled = false
group_name = img
bind_addr = 10.1.2.7
client_bind = true
port = 23100
connect_timeout = 5
network_timeout = 40
heart_beat_interval = 15
stat_report_interval = 45
base_path = /srv/fastdfs/storage
max_connections = 512
buff_size = 256KB
work_threads = 4
store_path_count = 2
store_path0 = /disk0/fastdfs
store_path1 = /disk1/fastdfs
subdir_count_per_path = 128
tracker_server = 10.1.2.3:22122
tracker_server = 10.1.2.4:22122
allow_hosts = 10.1.2.[1-50]
lock_admin_hosts = 10.1.2.9
upload_priority = 5
file_distribute_path_mode = 1
file_distribute_rotate_count = 50
sync_wait_msec = 50
use_access_log = false
http.server_port = 8888
http.anti_steal.check_token = true
http.anti_steal.token_ttl = 600
http.anti_steal.secret_key = FastDFS1234567890
";

    #[test]
    fn maps_a_realistic_storage_conf() {
        let conf = FastdfsConf::parse(CONF).unwrap();
        let (s, ignored) = from_fastdfs(&conf).unwrap();
        assert_eq!(
            ignored,
            [
                "disabled",
                "connect_timeout",
                "buff_size",
                "work_threads",
                "sync_wait_msec",
                "use_access_log",
                "http.server_port"
            ]
        );
        assert_eq!(
            s.store_paths,
            [PathBuf::from("/disk0/fastdfs"), PathBuf::from("/disk1/fastdfs")]
        );
        assert_eq!(s.http_token_secret, "FastDFS1234567890");
        let c = s.to_config().unwrap();
        assert_eq!(c.listen, "10.1.2.7:23100".parse().unwrap());
        assert_eq!(c.group, "img");
        assert_eq!(c.base_path, PathBuf::from("/srv/fastdfs/storage"));
        assert_eq!(c.trackers.len(), 2);
        assert_eq!(c.subdir_count, 128);
        assert_eq!(c.upload_priority, 5);
        assert_eq!(c.distribute_mode, DistributeMode::Hash);
        assert_eq!(c.rotate_count, 50);
        assert_eq!(c.heart_beat_interval, Duration::from_secs(15));
        assert_eq!(c.stat_report_interval, Duration::from_secs(45));
        assert_eq!(c.server.network_timeout, Duration::from_secs(40));
        assert_eq!(c.server.max_connections, 512);
        assert!(c.server.allow_hosts.allows("10.1.2.50".parse().unwrap()));
        assert!(!c.server.allow_hosts.allows("10.1.2.51".parse().unwrap()));
        assert!(c.lock_admins.contains("10.1.2.9".parse().unwrap()));
        assert!(!c.lock_admins.contains("10.1.2.7".parse().unwrap()));
        assert_eq!(c.reserved, ReservedSpace::Ratio(0.1));
        // HTTP stays off without --http; the token settings wait for it.
        assert!(c.http.is_none());
        assert_eq!(s.http_token_ttl_secs, 600);
    }

    #[test]
    fn store_paths_default_to_the_base_path() {
        let parse = |text: &str| from_fastdfs(&FastdfsConf::parse(text).unwrap()).map(|r| r.0);
        let s = parse("base_path = /b\n").unwrap();
        assert!(s.store_paths.is_empty());
        let s = parse("base_path = /b\nstore_path0 = /b\n").unwrap();
        assert!(s.store_paths.is_empty());
        let s = parse("base_path = /b\nstore_path1 = /c\n").unwrap();
        assert_eq!(s.store_paths, [PathBuf::from("/b"), PathBuf::from("/c")]);
        let err = parse("store_path_count = 2\nstore_path0 = /a\n").unwrap_err();
        assert!(format!("{err:#}").contains("store_path1"), "{err:#}");
    }

    #[test]
    fn no_bind_addr_needs_listen() {
        let conf = FastdfsConf::parse("bind_addr =\ntracker_server = 10.0.0.1:22122\n").unwrap();
        let (s, _) = from_fastdfs(&conf).unwrap();
        assert_eq!(s.listen, "0.0.0.0:23000");
        let err = s.to_config().unwrap_err().to_string();
        assert!(err.contains("specific IPv4"), "{err}");
    }

    #[test]
    fn bad_values_are_clear_errors() {
        for (text, key) in [
            ("port = 70000", "port"),
            ("tracker_server = tracker.local:22122", "tracker_server"),
            ("heart_beat_interval = -1", "heart_beat_interval"),
            ("max_connections = lots", "max_connections"),
            ("store_path_count = 0", "store_path_count"),
            ("subdir_count_per_path = 70000", "subdir_count_per_path"),
            ("base_path =", "base_path"),
            ("http.anti_steal.check_token = true", "secret_key"),
            ("http.anti_steal.check_token = maybe", "check_token"),
        ] {
            let conf = FastdfsConf::parse(text).unwrap();
            let err = format!("{:#}", from_fastdfs(&conf).map(|_| ()).unwrap_err());
            assert!(err.contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn load_picks_the_format_by_extension() {
        let dir = std::env::temp_dir().join(format!("fdfs-storage-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let toml = dir.join("s.toml");
        std::fs::write(&toml, "group = \"g2\"\n").unwrap();
        assert_eq!(load(&toml).unwrap().group, "g2");
        let conf = dir.join("storage.conf");
        std::fs::write(&conf, "group_name = g3\n").unwrap();
        assert_eq!(load(&conf).unwrap().group, "g3");
        std::fs::write(&toml, "group_name = \"g2\"\n").unwrap();
        let err = format!("{:#}", load(&toml).unwrap_err());
        assert!(err.contains("s.toml") && err.contains("group_name"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
