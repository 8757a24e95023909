//! Subcommand implementations.
//!
//! # Layout
//!
//! - `info`: decode a file ID locally.
//! - `files`: upload, download, delete and append through a tracker.
//! - `status_words`: what a FastDFS status byte means, in their errors.
//! - `server`: a tracker, one storage and the S3 gateway in one process.
//! - `moved_storage`: `fdfs server`'s storage restarted on a new IP.
//! - `tracker`: run a tracker until SIGINT/SIGTERM.
//! - `storage`: run a storage server until SIGINT/SIGTERM.
//! - `gateway`: run the S3 gateway until SIGINT/SIGTERM; manage its keys.
//! - `config_backup`: the gateway's bucket configuration to and from JSON.
//! - `key_grants`: `gateway key allow|deny|grants`, owners' access to
//!   others' buckets.
//! - `signals`: the SIGINT/SIGTERM handling both share, and SIGHUP reloads.
//! - `exposure`: the start-up warning for a native port open to everyone.
//! - `monitor`: print the cluster a tracker knows; delete a storage.
//! - `timefmt`: unix seconds as `YYYY-MM-DD hh:mm:ss`, shared by the tools.
//! - `bench`: load generators measuring a running cluster.
//! - `print_config`: `--print-config` of the tracker, storage and gateway.
//! - `lock_admin`: the embedded gateway's source address, the one client
//!   `fdfs server`'s storage lets lift an S3 retention.

mod bench;
mod config_backup;
mod exposure;
mod files;
mod gateway;
mod info;
mod key_grants;
mod lock_admin;
mod monitor;
mod moved_storage;
mod print_config;
mod server;
mod signals;
mod status_words;
mod storage;
mod timefmt;
mod tracker;

use crate::cli::Command;

/// Runs one subcommand to completion.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Info(args) => info::run(&args),
        Command::Upload(args) => files::upload(args).await,
        Command::Download(args) => files::download(args).await,
        Command::Delete(args) => files::delete(args).await,
        Command::Append(args) => files::append(args).await,
        Command::Tracker(args) => tracker::run(args).await,
        Command::Monitor(args) => monitor::run(args).await,
        Command::Server(args) => server::run(args).await,
        Command::Storage(args) => storage::run(args).await,
        Command::Gateway(args) => gateway::run(args).await,
        Command::Bench(args) => bench::run(args).await,
    }
}
