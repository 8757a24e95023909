//! `fdfs tracker`: settings from `--config` (TOML or FastDFS tracker.conf)
//! overridden by flags, then the tracker server until SIGINT or SIGTERM.
//!
//! A first signal starts a graceful stop (see `signals`).

use anyhow::Context;
use fdfs_protocol::server::shutdown_channel;
use fdfs_tracker::server::Tracker;
use fdfs_tracker::settings::TrackerSettings;

use super::signals::wait_for_signals;
use crate::cli::TrackerCmdArgs;
use crate::config;

pub async fn run(args: TrackerCmdArgs) -> anyhow::Result<()> {
    if args.print_config {
        return super::print_config::print(&settings(args)?);
    }
    // Signal handlers before anything binds: a SIGTERM that arrives as soon
    // as a port accepts connections must stop the process cleanly, not kill it.
    let (trigger, shutdown) = shutdown_channel();
    let signals = wait_for_signals(trigger).context("cannot install signal handlers")?;
    let settings = settings(args)?;
    fdfs_protocol::fd_budget::init_process_budget(settings.fd_reserve);
    super::exposure::warn_if_exposed("tracker", settings.listen, &settings.allow_hosts);
    let config = settings.to_config().context("invalid tracker settings")?;
    let tracker = Tracker::bind(config).await.context("tracker failed to start")?;
    // Parsed by tests and scripts that ask for port 0.
    eprintln!("listening on {}", tracker.local_addr());
    tracker.run(shutdown).await;
    signals.abort();
    Ok(())
}

/// The config file's settings (or the defaults), with every given flag
/// applied on top.
fn settings(args: TrackerCmdArgs) -> anyhow::Result<TrackerSettings> {
    let mut s = match &args.config {
        Some(path) => config::tracker::load(path)?,
        None => TrackerSettings::default(),
    };
    if let Some(v) = args.listen {
        s.listen = v;
    }
    if let Some(v) = args.data_dir {
        s.data_dir = v;
    }
    if !args.trackers.is_empty() {
        s.trackers = args.trackers;
    }
    if let Some(v) = args.connections.fd_reserve {
        s.fd_reserve = v;
    }
    args.connections.apply(&mut s.allow_hosts, &mut s.max_connections, &mut s.network_timeout_secs);
    if let Some(v) = args.response_ip_addr_size {
        s.response_ip_addr_size = v.to_string();
    }
    let p = &mut s.placement;
    for (flag, field) in [
        (args.store_lookup, &mut p.store_lookup),
        (args.store_server, &mut p.store_server),
        (args.store_path, &mut p.store_path),
        (args.download_server, &mut p.download_server),
        (args.check_active_interval, &mut p.check_active_interval),
    ] {
        if let Some(v) = flag {
            *field = v;
        }
    }
    if let Some(v) = args.store_group {
        p.store_group = v;
    }
    if let Some(v) = args.reserved_storage_space {
        p.reserved_storage_space = v;
    }
    Ok(s)
}
