//! Subcommand implementations.
//!
//! # Layout
//!
//! - `info`: decode a file ID locally.
//! - `files`: upload, download and delete through a tracker.

mod files;
mod info;

use anyhow::bail;

use crate::cli::Command;

/// Runs one subcommand to completion.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Info(args) => info::run(&args),
        Command::Upload(args) => files::upload(args).await,
        Command::Download(args) => files::download(args).await,
        Command::Delete(args) => files::delete(args).await,
        Command::Server => not_built("server", 5),
        Command::Tracker => not_built("tracker", 3),
        Command::Storage => not_built("storage", 4),
        Command::Gateway => not_built("gateway", 5),
        Command::Monitor => not_built("monitor", 3),
        Command::Bench => not_built("bench", 4),
    }
}

/// Says plainly that a role is not implemented yet, and fails.
fn not_built(name: &str, issue: u32) -> anyhow::Result<()> {
    bail!("`fdfs {name}` is not built yet (tracked in issue {issue})")
}
