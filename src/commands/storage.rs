//! `fdfs storage`: settings from `--config` (TOML or FastDFS storage.conf)
//! overridden by flags, then the storage server — client commands,
//! reports to every tracker, replication, and the HTTP download server
//! when asked for — until SIGINT or SIGTERM (see `signals`).

use anyhow::Context;
use fdfs_protocol::server::shutdown_channel;
use fdfs_storage::server::StorageServer;
use fdfs_storage::settings::{StorageSettings, parse_listen};

use super::signals::wait_for_signals;
use crate::cli::StorageCmdArgs;
use crate::config;

pub async fn run(args: StorageCmdArgs) -> anyhow::Result<()> {
    if args.print_config {
        return super::print_config::print(&settings(args)?);
    }
    // Signal handlers before anything binds: a SIGTERM that arrives as soon
    // as a port accepts connections must stop the process cleanly, not kill it.
    let (trigger, shutdown) = shutdown_channel();
    let signals = wait_for_signals(trigger).context("cannot install signal handlers")?;
    let settings = settings(args)?;
    fdfs_protocol::fd_budget::init_process_budget(settings.fd_reserve);
    let config = settings.to_config().context("invalid storage settings")?;
    super::exposure::warn_if_exposed("storage", config.listen, &settings.allow_hosts);
    let server = StorageServer::bind(config).await.context("storage failed to start")?;
    if let Some(http) = server.http_addr() {
        eprintln!("http listening on {http}");
    }
    // Parsed by tests and scripts that ask for port 0.
    eprintln!("listening on {}", server.local_addr());
    let result = server.run(shutdown).await;
    signals.abort();
    result.context("storage stopped with an error")
}

/// The config file's settings (or the defaults), with every given flag
/// applied on top.
fn settings(args: StorageCmdArgs) -> anyhow::Result<StorageSettings> {
    let mut s = match &args.config {
        Some(path) => config::storage::load(path)?,
        None => StorageSettings::default(),
    };
    if let Some(listen) = args.listen {
        s.listen = listen_with_port(&listen, &s.listen)?;
    }
    if let Some(v) = args.group {
        s.group = v;
    }
    if !args.trackers.is_empty() {
        s.trackers = args.trackers;
    }
    if let Some(v) = args.base_path {
        s.base_path = v;
    }
    if !args.store_paths.is_empty() {
        s.store_paths = args.store_paths;
    }
    if let Some(v) = args.http {
        s.http_listen = Some(v);
    }
    for (flag, field) in [
        (args.heart_beat_interval, &mut s.heart_beat_interval_secs),
        (args.stat_report_interval, &mut s.stat_report_interval_secs),
    ] {
        if let Some(v) = flag {
            *field = v;
        }
    }
    if let Some(v) = args.reserved_storage_space {
        s.reserved_storage_space = v;
    }
    if let Some(v) = args.upload_priority {
        s.upload_priority = v;
    }
    if let Some(v) = args.subdir_count {
        s.subdir_count_per_path = v;
    }
    if let Some(v) = args.connections.fd_reserve {
        s.fd_reserve = v;
    }
    args.connections.apply(&mut s.allow_hosts, &mut s.max_connections, &mut s.network_timeout_secs);
    if let Some(v) = args.sync_replicas {
        s.sync_replicas = v;
    }
    if !args.lock_admin_hosts.is_empty() {
        s.lock_admin_hosts = args.lock_admin_hosts;
    }
    Ok(s)
}

/// `--listen IP` keeps the port of the file (or the default); `IP:PORT`
/// replaces both.
fn listen_with_port(flag: &str, current: &str) -> anyhow::Result<String> {
    if flag.parse::<std::net::SocketAddr>().is_ok() {
        return Ok(flag.to_string());
    }
    let ip: std::net::IpAddr =
        flag.trim().parse().with_context(|| format!("--listen {flag:?} is not IP or IP:PORT"))?;
    let port = current
        .parse::<std::net::SocketAddr>()
        .map(|a| a.port())
        .or_else(|_| parse_listen(current).map(|a| a.port()))
        .unwrap_or(fdfs_storage::settings::DEFAULT_PORT);
    Ok(std::net::SocketAddr::new(ip, port).to_string())
}

#[cfg(test)]
mod tests {
    use super::listen_with_port;

    #[test]
    fn listen_flag_keeps_the_configured_port() {
        assert_eq!(listen_with_port("10.0.0.2", "0.0.0.0:23100").unwrap(), "10.0.0.2:23100");
        assert_eq!(listen_with_port("10.0.0.2", "10.0.0.9").unwrap(), "10.0.0.2:23000");
        assert_eq!(listen_with_port("10.0.0.2:1", "0.0.0.0:23100").unwrap(), "10.0.0.2:1");
        assert!(listen_with_port("storage.local", "0.0.0.0:23100").is_err());
    }
}
