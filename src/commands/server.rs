//! `fdfs server`: a tracker, one storage and the S3 gateway in one process,
//! for a single machine or a first try. The three talk over loopback with
//! the real protocol, exactly as separate processes would, so nothing here
//! is a shortcut the cluster roles lack.
//!
//! Data lives under `--data` (DIR/tracker, DIR/storage, DIR/gateway; DIR
//! and DIR/gateway mode 0700, the index and master key 0600). On
//! the first start an owner key pair is generated, stored in the gateway's
//! index and printed (id and secret); later starts reuse it and print the
//! id only, so the secret is not repeated in every log. FDFS_ACCESS_KEY_ID /
//! FDFS_SECRET_ACCESS_KEY, when both are set, define the owner key instead.
//!
//! Both the tracker and the storage keep 1G free by default rather than
//! their cluster defaults (20% and 10%): the embedded storage shares its
//! disk with everything else on the machine, and a percentage of a large,
//! busy disk can refuse every upload of a small set-up.
//!
//! The embedded storage lets only the embedded gateway lift an S3 retention
//! or legal hold early (`lock_admin_hosts`, see `lock_admin`): a FastDFS
//! client cannot erase what the gateway promised to keep.
//!
//! One SIGINT/SIGTERM stops all three (see `signals`): the gateway, the
//! storage and the tracker all drain on the same shutdown.

use std::path::Path;

use anyhow::Context;
use fdfs_protocol::fd_budget::{DEFAULT_FD_RESERVE, init_process_budget};
use fdfs_protocol::server::shutdown_channel;
use fdfs_s3api::gateway::DEFAULT_OWNER;
use fdfs_s3api::gateway::auth::generate_key;
use fdfs_s3api::gateway::net::tls::TlsFiles;
use fdfs_s3api::gateway::server::{GatewayConfig, GatewayServer, index_path};
use fdfs_s3api::index::private::private_dir;
use fdfs_storage::server::StorageServer;
use fdfs_storage::settings::StorageSettings;
use fdfs_tracker::server::Tracker;
use fdfs_tracker::settings::TrackerSettings;
use tracing::{info, warn};

use super::signals::{reload_on_sighup, wait_for_signals};
use crate::cli::ServerArgs;
use crate::config::http_limits::ConnectionSettings;
use crate::config::lifecycle::LifecycleToml;

/// The group of the embedded storage.
const GROUP: &str = "group1";

pub async fn run(args: ServerArgs) -> anyhow::Result<()> {
    // Signal handlers before anything binds: a SIGTERM that arrives as soon
    // as a port accepts connections must stop the process cleanly, not kill it.
    let (trigger, shutdown) = shutdown_channel();
    let signals = wait_for_signals(trigger).context("cannot install signal handlers")?;
    // The tracker's, storage's and gateway's data all live under DIR: one
    // private directory keeps every file of the three from other users.
    private_dir(&args.data).with_context(|| format!("cannot create {}", args.data.display()))?;
    // One descriptor budget for the three roles: an S3 flood is refused
    // before it can take the tracker's and storage's descriptors.
    let reserve = args.connections.fd_reserve.unwrap_or(DEFAULT_FD_RESERVE);
    let budget = init_process_budget(reserve);
    let s3_limits = ConnectionSettings::default().with_flags(&args.s3_limits).to_limits()?;
    let mut tracker_settings = TrackerSettings {
        listen: args.tracker_listen,
        data_dir: args.data.join("tracker"),
        ..TrackerSettings::default()
    };
    tracker_settings.placement.reserved_storage_space = args.reserved_storage_space.clone();
    let t = &mut tracker_settings;
    args.connections.clone().apply(
        &mut t.allow_hosts,
        &mut t.max_connections,
        &mut t.network_timeout_secs,
    );
    let tracker_config = tracker_settings.to_config().context("invalid tracker settings")?;
    let tracker = Tracker::bind(tracker_config).await.context("tracker failed to start")?;
    let tracker_addr = tracker.local_addr();

    let mut storage_settings = StorageSettings {
        listen: args.storage_listen.to_string(),
        group: GROUP.to_string(),
        base_path: args.data.join("storage"),
        trackers: vec![tracker_addr],
        reserved_storage_space: args.reserved_storage_space,
        ..StorageSettings::default()
    };
    let s = &mut storage_settings;
    args.connections.apply(&mut s.allow_hosts, &mut s.max_connections, &mut s.network_timeout_secs);
    // Only the embedded gateway may lift an S3 retention or legal hold.
    let gateway_source = super::lock_admin::source_towards(args.storage_listen.ip())?;
    s.lock_admin_hosts = vec![gateway_source.to_string()];
    let roles = s3_limits.max_connections + s.max_connections + tracker_settings.max_connections;
    if roles > budget.capacity() {
        warn!(
            connections = roles,
            budget = budget.capacity(),
            "the three roles' max_connections exceed the descriptor budget; \
             a flood of one port can starve the others"
        );
    }
    let storage_config = storage_settings.to_config().context("invalid storage settings")?;
    let storage = StorageServer::bind(storage_config).await.context("storage failed to start")?;
    let moved = super::moved_storage::moved_from(&args.data, args.storage_listen)
        .context("cannot record the storage's address")?;
    if let Some(old) = moved {
        tokio::spawn(super::moved_storage::forget(tracker_addr, GROUP, old));
    }

    let gateway_dir = args.data.join("gateway");
    let env_key = super::gateway::owner_key_from_env()?;
    if env_key.is_none() {
        let dir = gateway_dir.clone();
        let master = args.master_key_file.clone();
        tokio::task::spawn_blocking(move || ensure_first_key(&dir, master.as_deref())).await??;
    }
    if let Some(dest) = &args.access_log {
        fdfs_s3api::gateway::access_log::install(dest)
            .with_context(|| format!("cannot open the access log {dest}"))?;
    }
    let mut gateway_config = GatewayConfig::new(args.listen, vec![tracker_addr], gateway_dir);
    gateway_config.virtual_host_domains = args.domains;
    gateway_config.master_key = args.master_key_file;
    gateway_config.limits = s3_limits;
    LifecycleToml::default().with_flags(&args.lifecycle).apply(&mut gateway_config.lifecycle)?;
    if let (Some(cert), Some(key)) = (args.tls.tls_cert, args.tls.tls_key) {
        gateway_config.tls = Some(TlsFiles { cert, key });
    }
    if let Some(key) = env_key {
        println!("access key id: {} (from FDFS_ACCESS_KEY_ID)", key.access_key_id);
        gateway_config.owner_key = Some(key);
    }
    let gateway = GatewayServer::bind(gateway_config).await.context("gateway failed to start")?;
    let reload = gateway.tls().map(|tls| reload_on_sighup(move || tls.reload_logged()));
    let reload = reload.transpose().context("cannot install the SIGHUP handler")?;
    info!(tracker = %tracker_addr, storage = %storage.local_addr(), "embedded cluster bound");
    // Parsed by tests and scripts that ask for port 0.
    eprintln!("listening on {}", gateway.local_addr());

    let (_, storage_result, _) = tokio::join!(
        tracker.run(shutdown.clone()),
        storage.run(shutdown.clone()),
        gateway.run(shutdown),
    );
    signals.abort();
    if let Some(task) = reload {
        task.abort();
    }
    storage_result.context("storage stopped with an error")
}

/// Creates and prints an admin owner key when the index has none;
/// otherwise prints the id of the one in use. An index from before admin
/// keys has none marked: the default owner's key is the one this function
/// made at first start, and is marked admin now (a key of another owner
/// is a tenant's, never promoted: a new admin key is made instead).
fn ensure_first_key(dir: &Path, master: Option<&Path>) -> anyhow::Result<()> {
    let (mut index, master) = super::gateway::open_sealed(dir, master)?;
    let mut keys = index.list_access_keys()?;
    // The server's own key is the first made: the oldest admin key of the
    // default owner, before any later `key create --admin` (the listing is
    // in key ID order, which says nothing about which came first).
    keys.sort_by_key(|k| (k.owner != DEFAULT_OWNER, k.created_ms));
    if let Some(key) = keys.iter().find(|k| k.admin) {
        println!("access key id: {} (existing; secret as first printed)", key.access_key_id);
        return Ok(());
    }
    if let Some(key) = keys.iter().find(|k| k.owner == DEFAULT_OWNER) {
        index.set_access_key_admin(&key.access_key_id, true)?;
        info!(access_key_id = %key.access_key_id, "the first key is now an admin key");
        println!("access key id: {} (existing; secret as first printed)", key.access_key_id);
        return Ok(());
    }
    let mut key = generate_key(DEFAULT_OWNER, super::gateway::now_ms());
    key.admin = true;
    index.create_access_key(&key, &master)?;
    println!("new owner key pair (shown once; stored in {}):", index_path(dir).display());
    println!("access key id: {}", key.access_key_id);
    println!("secret access key: {}", key.secret);
    Ok(())
}
