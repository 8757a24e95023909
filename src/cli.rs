//! Command-line interface: one binary, one subcommand per role or tool.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use fdfs_protocol::IpWidth;

/// fdfs: a distributed file system with the topology of FastDFS and an S3 API.
#[derive(Debug, Parser)]
#[command(name = "fdfs", version, about, long_about = None)]
pub struct Cli {
    /// Log filter, e.g. `info` or `fdfs_protocol=debug` (also RUST_LOG).
    #[arg(long, global = true, env = "FDFS_LOG", default_value = "info")]
    pub log: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a tracker, one storage and the S3 gateway in one process.
    Server(ServerArgs),
    /// Run a tracker: cluster state, placement, download routing.
    Tracker(TrackerCmdArgs),
    /// Run a storage server: files, binlog and replication in its group.
    Storage(StorageCmdArgs),
    /// Run the S3 gateway in front of a cluster; `gateway key ...` manages
    /// its access keys.
    Gateway(GatewayArgs),
    /// Print the cluster state a tracker knows (like fdfs_monitor).
    Monitor(MonitorArgs),
    /// Upload a local file through a tracker and print its file ID.
    Upload(UploadArgs),
    /// Download a file by its file ID.
    Download(DownloadArgs),
    /// Delete a file by its file ID.
    Delete(FileIdArgs),
    /// Append a local file's bytes to an appender file.
    Append(AppendArgs),
    /// Decode a file ID: source storage, creation time, size, CRC32.
    Info(InfoArgs),
    /// Measure a running cluster: requests per second and latency.
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub trackers: TrackerArgs,
    /// Concurrent clients, each with its own persistent connection.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    #[command(subcommand)]
    pub workload: BenchWorkload,
}

#[derive(Debug, Clone, Subcommand)]
pub enum BenchWorkload {
    /// QUERY_STORE against the trackers (where would an upload go).
    QueryStore {
        /// Ask for this group (QUERY_STORE_WITH_GROUP_ONE) instead of any.
        #[arg(long)]
        group: Option<String>,
    },
    /// Upload files of one size through the trackers.
    Upload {
        /// Bytes per file.
        #[arg(long, default_value_t = 65536)]
        size: usize,
        /// Upload into this group instead of the one the tracker picks.
        #[arg(long)]
        group: Option<String>,
    },
    /// Download files of one size through the trackers (uploaded first).
    Download {
        /// Bytes per file.
        #[arg(long, default_value_t = 65536)]
        size: usize,
        /// How many distinct files to upload and then read in turn.
        #[arg(long, default_value_t = 64)]
        files: usize,
    },
}

/// `fdfs server`: tracker, storage (group1) and S3 gateway in one process.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Data directory: DIR/tracker, DIR/storage and DIR/gateway.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// The S3 listen address (use 0.0.0.0:9000 to expose it).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9000")]
    pub listen: SocketAddr,
    /// The embedded tracker's address.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:22122")]
    pub tracker_listen: SocketAddr,
    /// The embedded storage's address, a specific IPv4 (its identity).
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:23000")]
    pub storage_listen: SocketAddr,
    /// Space kept free on the disk, e.g. 1G or 10%; a fixed size by
    /// default because the disk is shared with the rest of the machine.
    #[arg(long, value_name = "SIZE", default_value = "1G")]
    pub reserved_storage_space: String,
    /// Base domain for virtual-hosted-style S3 requests
    /// (http://BUCKET.DOMAIN:PORT/KEY); repeat for several. Path-style
    /// requests work whatever is set.
    #[arg(long = "domain", value_name = "DOMAIN", default_value = "localhost")]
    pub domains: Vec<String>,
    /// The master key sealing the gateway's secrets at rest, kept apart
    /// from the data [default: DIR/gateway/master.key, made at first start].
    #[arg(long, value_name = "FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Limits of the embedded tracker's and storage's connections.
    #[command(flatten)]
    pub connections: ConnectionArgs,
    /// Limits of the S3 port's connections.
    #[command(flatten)]
    pub s3_limits: HttpLimitArgs,
    #[command(flatten)]
    pub lifecycle: LifecycleArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Access log of the S3 gateway, one line per request (time, request
    /// id, key id, method, bucket, key, status, bytes, ms): a file
    /// appended to, or `-` for standard output [default: none].
    #[arg(long, value_name = "FILE|-")]
    pub access_log: Option<String>,
}

/// HTTPS for the S3 port (`fdfs gateway`, `fdfs server`).
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// Serve HTTPS with this certificate chain (PEM, leaf first); HTTP/2
    /// and HTTP/1.1 by ALPN. SIGHUP reloads it and the key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// Limits on S3 client connections (`fdfs gateway`, `fdfs server`); each
/// overrides the same key of `[connections]` in gateway.toml.
#[derive(Debug, Args)]
pub struct HttpLimitArgs {
    /// Concurrent S3 connections at most; more are closed at once
    /// [default: 4096].
    #[arg(long = "s3-max-connections", value_name = "N")]
    pub s3_max_connections: Option<usize>,
    /// Seconds a request head may take (on HTTP/1 also the keep-alive idle
    /// bound) [default: 30].
    #[arg(long = "s3-header-timeout", value_name = "SECS")]
    pub s3_header_timeout: Option<u64>,
    /// Seconds a connection may move no byte with no request in flight
    /// [default: 30].
    #[arg(long = "s3-idle-timeout", value_name = "SECS")]
    pub s3_idle_timeout: Option<u64>,
    /// Seconds a request body may deliver nothing before RequestTimeout
    /// [default: 30].
    #[arg(long = "s3-body-timeout", value_name = "SECS")]
    pub s3_body_timeout: Option<u64>,
}

/// The bucket lifecycle worker (`fdfs gateway`, `fdfs server`); overrides
/// `[lifecycle]` in gateway.toml.
#[derive(Debug, Args)]
pub struct LifecycleArgs {
    /// Seconds between two passes of the lifecycle worker over the
    /// buckets with lifecycle rules [default: 3600].
    #[arg(long = "lifecycle-interval", value_name = "SECS")]
    pub lifecycle_interval: Option<u64>,
}

/// Where the trackers are.
#[derive(Debug, Args)]
pub struct TrackerArgs {
    /// Tracker address (repeat for several trackers; the client fails over).
    #[arg(long = "tracker", required = true, value_name = "ADDR:PORT")]
    pub trackers: Vec<SocketAddr>,
}

/// `fdfs tracker`: every flag overrides the same setting of `--config`.
#[derive(Debug, Args)]
pub struct TrackerCmdArgs {
    /// Config file: TOML if it ends in `.toml` (see deploy/tracker.toml),
    /// else a FastDFS tracker.conf.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the effective settings (the config file with every flag
    /// applied, defaults filled in) as TOML, and exit without serving.
    #[arg(long)]
    pub print_config: bool,
    /// Address to listen on; the port defaults to 22122, as `fdfs storage
    /// --listen` defaults its own [default: 127.0.0.1:22122, this machine
    /// only].
    #[arg(long, value_name = "ADDR[:PORT]", value_parser = tracker_listen)]
    pub listen: Option<SocketAddr>,
    /// Directory of the tracker database [default: data/tracker].
    #[arg(long = "data", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Every tracker of the cluster (repeat; this one may be included).
    #[arg(long = "tracker", value_name = "ADDR:PORT")]
    pub trackers: Vec<SocketAddr>,
    /// Group for uploads naming none: 0 round robin, 1 --store-group,
    /// 2 most free space [default: 2].
    #[arg(long, value_name = "N")]
    pub store_lookup: Option<i64>,
    /// The group used with --store-lookup 1.
    #[arg(long, value_name = "NAME")]
    pub store_group: Option<String>,
    /// Storage in the group: 0 round robin, 1 first by IP, 2 by upload
    /// priority [default: 0].
    #[arg(long, value_name = "N")]
    pub store_server: Option<i64>,
    /// Store path: 0 round robin, 2 most free space [default: 0].
    #[arg(long, value_name = "N")]
    pub store_path: Option<i64>,
    /// Download from: 0 round robin, 1 the source storage first [default: 0].
    #[arg(long, value_name = "N")]
    pub download_server: Option<i64>,
    /// Space kept free per group and path, e.g. 20% or 10G [default: 20%].
    #[arg(long, value_name = "SIZE")]
    pub reserved_storage_space: Option<String>,
    /// Seconds without a heart beat before a storage goes OFFLINE
    /// [default: 120].
    #[arg(long, value_name = "SECS")]
    pub check_active_interval: Option<i64>,
    #[command(flatten)]
    pub connections: ConnectionArgs,
    /// IP field width of query replies: auto (15 bytes for IPv4, as
    /// FastDFS 6.15+) or 46 (always 45 bytes, for clients built for FastDFS
    /// 6.11-6.12); storages follow it in QUERY_FILE_INFO [default: auto].
    #[arg(long, value_name = "auto|16|46")]
    pub response_ip_addr_size: Option<IpWidth>,
}

/// Who may connect and for how long: the flags `fdfs tracker` and
/// `fdfs storage` share (both serve through the same accept loop).
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Who may connect: *, an IP, a CIDR block or a.b.c.[1-15,20] (repeat)
    /// [default: everyone].
    #[arg(long = "allow-hosts", value_name = "ENTRY")]
    pub allow_hosts: Vec<String>,
    /// Concurrent connections at most [default: 1024].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Bound in seconds on every socket read and write, and on idle
    /// connections [default: 60].
    #[arg(long, value_name = "SECS")]
    pub network_timeout: Option<u64>,
    /// File descriptors kept out of the process's connection budget
    /// [default: 256].
    #[arg(long, value_name = "N")]
    pub fd_reserve: Option<usize>,
}

impl ConnectionArgs {
    /// Applies the given flags over a role's settings.
    pub fn apply(
        self,
        allow_hosts: &mut Vec<String>,
        max_connections: &mut usize,
        timeout: &mut u64,
    ) {
        if !self.allow_hosts.is_empty() {
            *allow_hosts = self.allow_hosts;
        }
        if let Some(v) = self.max_connections {
            *max_connections = v;
        }
        if let Some(v) = self.network_timeout {
            *timeout = v;
        }
    }
}

/// `fdfs storage`: every flag overrides the same setting of `--config`.
#[derive(Debug, Args)]
pub struct StorageCmdArgs {
    /// Config file: TOML if it ends in `.toml` (see deploy/storage.toml),
    /// else a FastDFS storage.conf.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the effective settings (the config file with every flag
    /// applied, defaults filled in) as TOML, and exit without serving.
    #[arg(long)]
    pub print_config: bool,
    /// This storage's address, a specific IPv4 (its identity); the port
    /// defaults to 23000 [default: 127.0.0.1:23000].
    #[arg(long, value_name = "IP[:PORT]")]
    pub listen: Option<String>,
    /// The group it belongs to [default: group1].
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Every tracker of the cluster (repeat).
    #[arg(long = "tracker", value_name = "ADDR:PORT")]
    pub trackers: Vec<SocketAddr>,
    /// Base directory (binlog, join state; the first store path unless
    /// --store-path is given) [default: data/storage].
    #[arg(long = "data", value_name = "DIR")]
    pub base_path: Option<PathBuf>,
    /// A store path M00, M01, ... in order (repeat) [default: the --data
    /// directory].
    #[arg(long = "store-path", value_name = "DIR")]
    pub store_paths: Vec<PathBuf>,
    /// Serve HTTP downloads (GET /<group>/M00/..) on this address
    /// [default: off].
    #[arg(long, value_name = "ADDR:PORT")]
    pub http: Option<SocketAddr>,
    /// Seconds between heart beats to the trackers [default: 30].
    #[arg(long, value_name = "SECS")]
    pub heart_beat_interval: Option<u64>,
    /// Seconds between disk usage reports [default: 60].
    #[arg(long, value_name = "SECS")]
    pub stat_report_interval: Option<u64>,
    /// Space kept free on each store path, e.g. 10% or 10G [default: 10%].
    #[arg(long, value_name = "SIZE")]
    pub reserved_storage_space: Option<String>,
    /// Upload priority reported to trackers (lower first) [default: 10].
    #[arg(long, value_name = "N")]
    pub upload_priority: Option<i64>,
    /// Subdirectories per level in each store path, 1..=256 [default: 256].
    #[arg(long = "subdir-count", value_name = "N")]
    pub subdir_count: Option<u16>,
    #[command(flatten)]
    pub connections: ConnectionArgs,
    /// Storages of the group, this one included, that must hold a new file
    /// before its upload is answered [default: 1].
    #[arg(long, value_name = "N")]
    pub sync_replicas: Option<u32>,
    /// A client that may delete or change files under an S3 retention or
    /// legal hold — the S3 gateway's address (repeat; allow_hosts notation)
    /// [default: nobody].
    #[arg(long = "lock-admin-host", value_name = "HOST")]
    pub lock_admin_hosts: Vec<String>,
}

/// `fdfs monitor`: what fdfs_monitor prints, and storage removal.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    #[command(flatten)]
    pub trackers: TrackerArgs,
    /// What to do (default: list every group).
    #[command(subcommand)]
    pub action: Option<MonitorAction>,
}

#[derive(Debug, Subcommand)]
pub enum MonitorAction {
    /// List the groups and their storages (one group, or one storage).
    List {
        /// Only this group.
        group: Option<String>,
        /// Only this storage of the group (its id, the IP by default).
        storage_id: Option<String>,
    },
    /// Remove a storage that is no longer active from a group, on every
    /// tracker.
    Delete {
        /// The group.
        group: String,
        /// The storage id (its IP unless storage ids are used).
        storage_id: String,
    },
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    #[command(flatten)]
    pub trackers: TrackerArgs,
    /// Upload into this group instead of the one the tracker picks.
    #[arg(long)]
    pub group: Option<String>,
    /// Extension stored in the file ID (default: the local file's).
    #[arg(long)]
    pub ext: Option<String>,
    /// Create an appender file (can be appended to later).
    #[arg(long)]
    pub appender: bool,
    /// The local file to upload.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    #[command(flatten)]
    pub trackers: TrackerArgs,
    /// The file ID, e.g. group1/M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt.
    pub file_id: String,
    /// Where to write it (`-` for standard output).
    pub output: PathBuf,
    /// First byte to download.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// Bytes to download (0 = to the end).
    #[arg(long, default_value_t = 0)]
    pub length: u64,
}

#[derive(Debug, Args)]
pub struct AppendArgs {
    #[command(flatten)]
    pub trackers: TrackerArgs,
    /// The appender file's ID (from `fdfs upload --appender`).
    pub file_id: String,
    /// The local file whose bytes are appended.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct FileIdArgs {
    #[command(flatten)]
    pub trackers: TrackerArgs,
    /// The file ID.
    pub file_id: String,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The file ID.
    pub file_id: String,
}

/// `fdfs gateway`: serve S3, or manage access keys with `key`.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    #[command(subcommand)]
    pub command: Option<GatewayCommand>,
    /// Config file (TOML, see deploy/gateway.toml); every flag overrides
    /// the same setting of the file.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Print the effective settings (the config file with every flag
    /// applied, defaults filled in) as TOML, and exit without serving.
    #[arg(long)]
    pub print_config: bool,
    /// The S3 listen address [default: 127.0.0.1:9000].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Every tracker of the cluster (repeat; required to serve, to
    /// rebuild the index and to sweep).
    #[arg(long = "tracker", value_name = "ADDR:PORT", global = true)]
    pub trackers: Vec<SocketAddr>,
    /// Base domain for virtual-hosted-style S3 requests
    /// (http://BUCKET.DOMAIN:PORT/KEY); repeat for several [default: none,
    /// path-style only].
    #[arg(long = "domain", value_name = "DOMAIN")]
    pub domains: Vec<String>,
    /// Access log, one line per request (time, request id, key id,
    /// method, bucket, key, status, bytes, ms): a file appended to, or
    /// `-` for standard output [default: none].
    #[arg(long, value_name = "FILE|-")]
    pub access_log: Option<String>,
    /// The gateway's data directory (the index) [default: data/gateway].
    #[arg(long = "data", value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// The master key sealing the secrets at rest (access key secrets in
    /// the index), kept apart from the data [default: DATA/master.key,
    /// made by whichever of `fdfs gateway` and `key create` runs first].
    #[arg(long, value_name = "FILE", global = true)]
    pub master_key_file: Option<PathBuf>,
    #[command(flatten)]
    pub limits: HttpLimitArgs,
    #[command(flatten)]
    pub lifecycle: LifecycleArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// File descriptors kept out of the process's connection budget
    /// [default: 256].
    #[arg(long, value_name = "N")]
    pub fd_reserve: Option<usize>,
    /// The data directory in effect (`--data`, else the config file's,
    /// else the default), filled in by `fdfs gateway` before use.
    #[arg(skip)]
    pub data: PathBuf,
}

/// `fdfs gateway key ...`.
#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Manage access keys (stored in the index).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Rebuild the index from the S3 tags in the files' FastDFS metadata
    /// (stop the gateway first; access keys and buckets of an existing
    /// index are kept).
    RebuildIndex,
    /// Write every bucket with its configuration (versioning, Object Lock,
    /// lifecycle, default encryption) as JSON: `rebuild-index` restores
    /// objects from the storages, not bucket configuration, which lives
    /// only in the index.
    ExportConfig {
        /// The file to write (replaced atomically) [default: standard
        /// output].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Apply an `export-config` file to the index, all or nothing: missing
    /// buckets are created, each bucket's configuration becomes the file's.
    ImportConfig {
        /// The export to apply (`-` for standard input).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Run the orphan sweep once: delete files tagged by this gateway that
    /// no index row references and that are older than the grace period.
    Sweep {
        /// Files younger than this many seconds are spared.
        #[arg(long, value_name = "SECS", default_value_t = 3600)]
        grace_secs: u64,
    },
}

/// Access key management.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key pair and print it (random unless given).
    Create {
        /// The access key ID [default: random].
        #[arg(long, value_name = "ID")]
        access_key_id: Option<String>,
        /// The secret, at least 16 characters [default: random].
        #[arg(long, value_name = "SECRET")]
        secret: Option<String>,
        /// The owner the key acts as.
        #[arg(long, value_name = "NAME", default_value = "owner")]
        owner: String,
        /// Make an admin key: it may also read the group buckets, i.e.
        /// every tenant's raw files by file ID.
        #[arg(long)]
        admin: bool,
    },
    /// List key IDs, owners and roles (admin or tenant; never secrets).
    List,
    /// Delete a key.
    Delete {
        /// The access key ID.
        access_key_id: String,
    },
    /// Let another owner read (list, get) or write (put, delete) a bucket,
    /// effective at once; see `key deny`.
    Allow {
        /// The bucket.
        #[arg(long, value_name = "BUCKET")]
        bucket: String,
        /// The owner to allow (the `--owner` of its keys).
        #[arg(long, value_name = "NAME")]
        owner: String,
        /// List the bucket and read its objects.
        #[arg(long)]
        read: bool,
        /// Put and delete objects.
        #[arg(long)]
        write: bool,
    },
    /// Take back what `key allow` gave (both without --read/--write).
    Deny {
        /// The bucket.
        #[arg(long, value_name = "BUCKET")]
        bucket: String,
        /// The owner.
        #[arg(long, value_name = "NAME")]
        owner: String,
        /// Take back read.
        #[arg(long)]
        read: bool,
        /// Take back write.
        #[arg(long)]
        write: bool,
    },
    /// List the owners allowed into a bucket.
    Grants {
        /// The bucket.
        #[arg(long, value_name = "BUCKET")]
        bucket: String,
    },
}

/// The tracker's port when `--listen` names only an address (FastDFS's
/// default).
const TRACKER_PORT: u16 = 22122;

/// `ADDR:PORT`, or a bare `ADDR` (IPv4, or IPv6 with or without brackets)
/// on port 22122.
fn tracker_listen(value: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = value.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, TRACKER_PORT)),
        Err(_) => Err(format!("{value:?} is not an IP address with an optional :PORT")),
    }
}

#[cfg(test)]
mod tests {
    use super::tracker_listen;

    #[test]
    fn a_tracker_listen_address_takes_the_default_port() {
        assert_eq!(tracker_listen("127.0.0.7").unwrap().to_string(), "127.0.0.7:22122");
        assert_eq!(tracker_listen("127.0.0.7:9").unwrap().to_string(), "127.0.0.7:9");
        assert_eq!(tracker_listen("::1").unwrap().to_string(), "[::1]:22122");
        assert_eq!(tracker_listen("[::1]").unwrap().to_string(), "[::1]:22122");
        assert_eq!(tracker_listen("[::1]:7").unwrap().to_string(), "[::1]:7");
        assert!(tracker_listen("localhost").is_err());
        assert!(tracker_listen("1.2.3.4:x").is_err());
    }
}
