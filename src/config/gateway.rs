//! The S3 gateway's `--config FILE`: TOML ([`GatewaySettings`], sample in
//! `deploy/gateway.toml`). FastDFS has no gateway, so there is no `.conf`
//! form to map.
//!
//! Every default comes from [`GatewayConfig::new`], so the file, the flags
//! and code that builds a [`GatewayConfig`] directly agree. Unknown keys
//! are errors, so a typo never silently falls back to a default. Flags
//! override the file ([`GatewaySettings::with_flags`]). Secrets are not
//! read from the file: the owner key comes from FDFS_ACCESS_KEY_ID /
//! FDFS_SECRET_ACCESS_KEY or `fdfs gateway key create`; the file may only
//! name the master key's file (`master_key_file`).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use fdfs_s3api::gateway::drainer::SweepSchedule;
use fdfs_s3api::gateway::net::tls::TlsFiles;
use fdfs_s3api::gateway::server::GatewayConfig;
use serde::{Deserialize, Serialize};

use super::http_limits::ConnectionSettings;
use super::lifecycle::LifecycleToml;

/// The gateway's default S3 port.
pub const DEFAULT_PORT: u16 = 9000;

/// Index reader threads at most: each holds an SQLite connection.
const MAX_INDEX_READERS: usize = 64;

/// Everything `fdfs gateway` reads from its config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewaySettings {
    /// The S3 listen address (default `127.0.0.1:9000`: this machine only).
    pub listen: SocketAddr,
    /// Every tracker of the cluster, `IP:PORT` (required to serve).
    pub trackers: Vec<SocketAddr>,
    /// The gateway's data directory, holding the index (default
    /// `data/gateway`).
    pub data_dir: PathBuf,
    /// Base domains for virtual-hosted-style requests
    /// (`http://BUCKET.DOMAIN:PORT/KEY`); default none, path-style only.
    pub domains: Vec<String>,
    /// Reader threads of the index (default 2); writes have their own.
    pub index_readers: usize,
    /// Seconds in-flight requests may run after SIGTERM (default 10).
    pub drain_timeout_secs: u64,
    /// Stale multipart uploads.
    pub uploads: UploadSettings,
    /// The delete queue and the orphan sweep.
    pub delete_queue: DeleteQueueSettings,
    /// Connections to trackers and storages.
    pub cluster: ClusterSettings,
    /// The master key's file, kept apart from the data (default none:
    /// `data_dir/master.key`, made at first start).
    pub master_key_file: Option<PathBuf>,
    /// Limits on S3 client connections.
    pub connections: ConnectionSettings,
    /// The bucket lifecycle worker.
    pub lifecycle: LifecycleToml,
    /// Serve HTTPS with this certificate chain (PEM); needs `tls_key`
    /// (default: none, plain HTTP).
    pub tls_cert: Option<PathBuf>,
    /// The private key of `tls_cert` (PEM).
    pub tls_key: Option<PathBuf>,
    /// TLS-terminating proxies whose `X-Forwarded-Proto: https` is
    /// believed, so the SSE-C requests they forward over plain HTTP are
    /// served (SSE-C is otherwise refused over plain HTTP, except from
    /// loopback). Default none.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The access log: a file appended to, or `-` for standard output
    /// (default: none). Flag `--access-log`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log: Option<String>,
}

/// `[uploads]`: the reaper of forgotten multipart uploads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadSettings {
    /// Uploads initiated longer ago than this many seconds are aborted
    /// (default 604800, 7 days).
    pub max_age_secs: u64,
    /// Seconds between two looks for such uploads (default 3600).
    pub reaper_period_secs: u64,
}

/// `[delete_queue]`: the background deletion of replaced files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeleteQueueSettings {
    /// Seconds between two looks at the queue when nothing wakes the
    /// drainer (default 5).
    pub idle_secs: u64,
    /// Whether the orphan sweep runs (default true).
    pub orphan_sweep: bool,
    /// Seconds between two sweeps (default 3600).
    pub sweep_period_secs: u64,
    /// Files younger than this many seconds are never orphans (default
    /// 3600).
    pub sweep_grace_secs: u64,
}

/// `[cluster]`: the connection pool towards trackers and storages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSettings {
    /// Bound in seconds on opening a connection (default 5).
    pub connect_timeout_secs: u64,
    /// Bound in seconds on every socket read and write (default 30).
    pub network_timeout_secs: u64,
    /// Idle connections older than this many seconds are closed (default
    /// 3600).
    pub max_idle_secs: u64,
    /// Idle connections older than this many seconds are tested before
    /// reuse (default 30).
    pub check_after_secs: u64,
    /// Idle connections kept per server (default 64).
    pub max_idle_per_server: usize,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT));
        let c = GatewayConfig::new(listen, Vec::new(), PathBuf::from("data/gateway"));
        let sweep = c.orphan_sweep.unwrap_or_default();
        Self {
            listen: c.listen,
            trackers: c.trackers,
            data_dir: c.data_dir,
            domains: c.virtual_host_domains,
            trusted_proxies: c.trusted_proxies,
            index_readers: c.index_readers,
            drain_timeout_secs: c.drain_timeout.as_secs(),
            uploads: UploadSettings {
                max_age_secs: c.upload_ttl.as_secs(),
                reaper_period_secs: c.reaper_period.as_secs(),
            },
            delete_queue: DeleteQueueSettings {
                idle_secs: c.drainer_idle.as_secs(),
                orphan_sweep: c.orphan_sweep.is_some(),
                sweep_period_secs: sweep.period.as_secs(),
                sweep_grace_secs: sweep.grace.as_secs(),
            },
            cluster: ClusterSettings {
                connect_timeout_secs: c.pool.connect_timeout.as_secs(),
                network_timeout_secs: c.pool.network_timeout.as_secs(),
                max_idle_secs: c.pool.max_idle_time.as_secs(),
                check_after_secs: c.pool.check_after.as_secs(),
                max_idle_per_server: c.pool.max_idle_per_server,
            },
            master_key_file: c.master_key,
            connections: ConnectionSettings::default(),
            lifecycle: LifecycleToml::default(),
            tls_cert: None,
            tls_key: None,
            access_log: None,
        }
    }
}

impl Default for UploadSettings {
    fn default() -> Self {
        GatewaySettings::default().uploads
    }
}

impl Default for DeleteQueueSettings {
    fn default() -> Self {
        GatewaySettings::default().delete_queue
    }
}

impl Default for ClusterSettings {
    fn default() -> Self {
        GatewaySettings::default().cluster
    }
}

/// Reads a TOML config file.
pub fn load(path: &Path) -> anyhow::Result<GatewaySettings> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    GatewaySettings::from_toml(&text)
        .with_context(|| format!("{}: invalid gateway config", path.display()))
}

impl GatewaySettings {
    /// Parses TOML; keys left out keep their defaults.
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }

    /// These settings with every given flag applied on top: an empty list
    /// is a flag not given.
    pub fn with_flags(
        mut self,
        listen: Option<SocketAddr>,
        trackers: &[SocketAddr],
        domains: &[String],
        data_dir: Option<&Path>,
    ) -> Self {
        if let Some(v) = listen {
            self.listen = v;
        }
        if !trackers.is_empty() {
            self.trackers = trackers.to_vec();
        }
        if !domains.is_empty() {
            self.domains = domains.to_vec();
        }
        if let Some(v) = data_dir {
            self.data_dir = v.to_path_buf();
        }
        self
    }

    /// The server configuration, every value checked; the owner key is
    /// left unset.
    pub fn to_config(&self) -> anyhow::Result<GatewayConfig> {
        if !(1..=MAX_INDEX_READERS).contains(&self.index_readers) {
            bail!("index_readers = {} is not in 1..={MAX_INDEX_READERS}", self.index_readers);
        }
        let secs = |key: &str, v: u64| -> anyhow::Result<Duration> {
            if v == 0 {
                bail!("{key} = 0: must be at least 1 second");
            }
            Ok(Duration::from_secs(v))
        };
        let (u, d, p) = (&self.uploads, &self.delete_queue, &self.cluster);
        let mut c = GatewayConfig::new(self.listen, self.trackers.clone(), self.data_dir.clone());
        c.index_readers = self.index_readers;
        c.drain_timeout = Duration::from_secs(self.drain_timeout_secs);
        c.virtual_host_domains = self.domains.clone();
        c.trusted_proxies = self.trusted_proxies.clone();
        c.upload_ttl = secs("uploads.max_age_secs", u.max_age_secs)?;
        c.reaper_period = secs("uploads.reaper_period_secs", u.reaper_period_secs)?;
        c.drainer_idle = secs("delete_queue.idle_secs", d.idle_secs)?;
        c.orphan_sweep = if d.orphan_sweep {
            Some(SweepSchedule {
                period: secs("delete_queue.sweep_period_secs", d.sweep_period_secs)?,
                grace: Duration::from_secs(d.sweep_grace_secs),
            })
        } else {
            None
        };
        c.pool.connect_timeout = secs("cluster.connect_timeout_secs", p.connect_timeout_secs)?;
        c.pool.network_timeout = secs("cluster.network_timeout_secs", p.network_timeout_secs)?;
        c.pool.max_idle_time = Duration::from_secs(p.max_idle_secs);
        c.pool.check_after = Duration::from_secs(p.check_after_secs);
        c.pool.max_idle_per_server = p.max_idle_per_server;
        c.master_key = self.master_key_file.clone();
        c.limits = self.connections.to_limits()?;
        self.lifecycle.apply(&mut c.lifecycle)?;
        c.tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert: cert.clone(), key: key.clone() }),
            (None, None) => None,
            _ => bail!("tls_cert and tls_key go together"),
        };
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../deploy/gateway.toml");

    #[test]
    fn the_deploy_sample_parses_with_every_key() {
        let s = GatewaySettings::from_toml(SAMPLE).unwrap();
        assert_eq!(s.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(s.trackers, ["127.0.0.1:22122".parse().unwrap()]);
        assert_eq!(s.data_dir, PathBuf::from("data/gateway"));
        assert_eq!(s.domains, ["s3.example.com"]);
        assert_eq!(s.trusted_proxies, ["10.0.0.5".parse::<std::net::IpAddr>().unwrap()]);
        // The sample spells out the defaults of everything else.
        let defaults = GatewaySettings {
            trackers: s.trackers.clone(),
            domains: s.domains.clone(),
            trusted_proxies: s.trusted_proxies.clone(),
            ..GatewaySettings::default()
        };
        assert_eq!(s, defaults);
        let c = s.to_config().unwrap();
        let d = GatewayConfig::new(c.listen, c.trackers.clone(), c.data_dir.clone());
        assert_eq!(
            (c.upload_ttl, c.reaper_period, c.drainer_idle),
            (d.upload_ttl, d.reaper_period, d.drainer_idle)
        );
        assert_eq!(
            c.orphan_sweep.map(|o| (o.period, o.grace)),
            d.orphan_sweep.map(|o| (o.period, o.grace))
        );
        assert_eq!(c.pool.network_timeout, d.pool.network_timeout);
        assert_eq!(c.virtual_host_domains, ["s3.example.com"]);
        assert_eq!(c.trusted_proxies.len(), 1);
        // Every key of the struct is present in the sample.
        let table: toml::Table = toml::from_str(SAMPLE).unwrap();
        let want = toml::Table::try_from(GatewaySettings::default()).unwrap();
        for (key, value) in &want {
            assert!(table.contains_key(key), "sample lacks {key}");
            if let (Some(want), Some(got)) = (value.as_table(), table[key].as_table()) {
                for sub in want.keys() {
                    assert!(got.contains_key(sub), "sample lacks {key}.{sub}");
                }
            }
        }
    }

    #[test]
    fn the_access_log_is_optional() {
        let s = GatewaySettings::from_toml("access_log = \"-\"\n").unwrap();
        assert_eq!(s.access_log.as_deref(), Some("-"));
        assert_eq!(GatewaySettings::from_toml("").unwrap().access_log, None);
        let commented = SAMPLE.lines().find(|l| l.starts_with("# access_log = ")).unwrap();
        let s = GatewaySettings::from_toml(commented.trim_start_matches("# ")).unwrap();
        assert_eq!(s.access_log.as_deref(), Some("/var/log/fdfs/s3-access.log"));
    }

    #[test]
    fn flags_override_the_file() {
        let s = GatewaySettings::from_toml(
            "listen = \"127.0.0.2:1\"\ntrackers = [\"127.0.0.3:2\"]\ndomains = [\"a.test\"]\n",
        )
        .unwrap();
        let same = s.clone().with_flags(None, &[], &[], None);
        assert_eq!(same, s);
        let t: SocketAddr = "127.0.0.4:3".parse().unwrap();
        let o = s.with_flags(
            Some("127.0.0.5:4".parse().unwrap()),
            &[t],
            &["b.test".to_string()],
            Some(Path::new("/x")),
        );
        assert_eq!((o.listen.port(), o.trackers, o.domains), (4, vec![t], vec!["b.test".into()]));
        assert_eq!(o.data_dir, PathBuf::from("/x"));
    }

    #[test]
    fn bad_files_and_values_say_which_key() {
        for (text, key) in [
            ("listne = \"127.0.0.1:1\"", "listne"),
            ("listen = \"localhost\"", "listen"),
            ("[uploads]\nmax_age = 5", "max_age"),
            ("index_readers = -1", "index_readers"),
        ] {
            let err = format!("{:#}", GatewaySettings::from_toml(text).unwrap_err());
            assert!(err.contains(key), "{text}: {err}");
        }
        for (text, key) in [
            ("index_readers = 0", "index_readers"),
            ("[uploads]\nreaper_period_secs = 0", "uploads.reaper_period_secs"),
            ("[delete_queue]\nidle_secs = 0", "delete_queue.idle_secs"),
            ("[cluster]\nnetwork_timeout_secs = 0", "cluster.network_timeout_secs"),
            ("[lifecycle]\ninterval_secs = 0", "lifecycle.interval_secs"),
        ] {
            let s = GatewaySettings::from_toml(text).unwrap();
            let err = s.to_config().unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
        let off = GatewaySettings::from_toml("[delete_queue]\norphan_sweep = false").unwrap();
        assert!(off.to_config().unwrap().orphan_sweep.is_none());
    }
}
