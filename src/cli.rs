//! Command-line interface: one binary, one subcommand per role or tool.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    Server,
    /// Run a tracker: cluster state, placement, download routing.
    Tracker,
    /// Run a storage server: files, binlog and replication in its group.
    Storage,
    /// Run the S3 gateway in front of a cluster.
    Gateway,
    /// Print the cluster state a tracker knows (like fdfs_monitor).
    Monitor,
    /// Upload a local file through a tracker and print its file ID.
    Upload(UploadArgs),
    /// Download a file by its file ID.
    Download(DownloadArgs),
    /// Delete a file by its file ID.
    Delete(FileIdArgs),
    /// Decode a file ID: source storage, creation time, size, CRC32.
    Info(InfoArgs),
    /// Measure upload and download throughput against a cluster.
    Bench,
}

/// Where the trackers are.
#[derive(Debug, Args)]
pub struct TrackerArgs {
    /// Tracker address (repeat for several trackers; the client fails over).
    #[arg(long = "tracker", required = true, value_name = "ADDR:PORT")]
    pub trackers: Vec<SocketAddr>,
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
