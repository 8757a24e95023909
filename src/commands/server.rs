//! `fdfs server`: a tracker, one storage and the S3 gateway in one process,
//! for a single machine or a first try. The three talk over loopback with
//! the real protocol, exactly as separate processes would, so nothing here
//! is a shortcut the cluster roles lack.
//!
//! Data lives under `--data` (DIR/tracker, DIR/storage, DIR/gateway). On
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
//! One SIGINT/SIGTERM stops all three (see `signals`): the gateway, the
//! storage and the tracker all drain on the same shutdown.

use std::path::Path;

use anyhow::Context;
use fdfs_protocol::server::shutdown_channel;
use fdfs_s3api::gateway::DEFAULT_OWNER;
use fdfs_s3api::gateway::auth::generate_key;
use fdfs_s3api::gateway::server::{GatewayConfig, GatewayServer, index_path};
use fdfs_s3api::index::Index;
use fdfs_storage::server::StorageServer;
use fdfs_storage::settings::StorageSettings;
use fdfs_tracker::server::Tracker;
use fdfs_tracker::settings::TrackerSettings;
use tracing::info;

use super::signals::wait_for_signals;
use crate::cli::ServerArgs;

/// The group of the embedded storage.
const GROUP: &str = "group1";

pub async fn run(args: ServerArgs) -> anyhow::Result<()> {
    // Signal handlers before anything binds: a SIGTERM that arrives as soon
    // as a port accepts connections must stop the process cleanly, not kill it.
    let (trigger, shutdown) = shutdown_channel();
    let signals = wait_for_signals(trigger).context("cannot install signal handlers")?;
    let mut tracker_settings = TrackerSettings {
        listen: args.tracker_listen,
        data_dir: args.data.join("tracker"),
        ..TrackerSettings::default()
    };
    tracker_settings.placement.reserved_storage_space = args.reserved_storage_space.clone();
    let tracker_config = tracker_settings.to_config().context("invalid tracker settings")?;
    let tracker = Tracker::bind(tracker_config).await.context("tracker failed to start")?;
    let tracker_addr = tracker.local_addr();

    let storage_settings = StorageSettings {
        listen: args.storage_listen.to_string(),
        group: GROUP.to_string(),
        base_path: args.data.join("storage"),
        trackers: vec![tracker_addr],
        reserved_storage_space: args.reserved_storage_space,
        ..StorageSettings::default()
    };
    let storage_config = storage_settings.to_config().context("invalid storage settings")?;
    let storage = StorageServer::bind(storage_config).await.context("storage failed to start")?;

    let gateway_dir = args.data.join("gateway");
    let env_key = super::gateway::owner_key_from_env()?;
    if env_key.is_none() {
        let dir = gateway_dir.clone();
        tokio::task::spawn_blocking(move || ensure_first_key(&dir)).await??;
    }
    if let Some(dest) = &args.access_log {
        fdfs_s3api::gateway::access_log::install(dest)
            .with_context(|| format!("cannot open the access log {dest}"))?;
    }
    let mut gateway_config = GatewayConfig::new(args.listen, vec![tracker_addr], gateway_dir);
    gateway_config.virtual_host_domains = args.domains;
    if let Some(key) = env_key {
        println!("access key id: {} (from FDFS_ACCESS_KEY_ID)", key.access_key_id);
        gateway_config.owner_key = Some(key);
    }
    let gateway = GatewayServer::bind(gateway_config).await.context("gateway failed to start")?;
    info!(tracker = %tracker_addr, storage = %storage.local_addr(), "embedded cluster bound");
    // Parsed by tests and scripts that ask for port 0.
    eprintln!("listening on {}", gateway.local_addr());

    let (_, storage_result, _) = tokio::join!(
        tracker.run(shutdown.clone()),
        storage.run(shutdown.clone()),
        gateway.run(shutdown),
    );
    signals.abort();
    storage_result.context("storage stopped with an error")
}

/// Creates and prints an owner key when the index has none; otherwise
/// prints the id of the one in use.
fn ensure_first_key(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut index = Index::open(index_path(dir)).context("cannot open the gateway index")?;
    let keys = index.list_access_keys()?;
    if let Some(key) = keys.iter().find(|k| k.owner == DEFAULT_OWNER).or(keys.first()) {
        println!("access key id: {} (existing; secret as first printed)", key.access_key_id);
        return Ok(());
    }
    let key = generate_key(DEFAULT_OWNER, super::gateway::now_ms());
    index.create_access_key(&key)?;
    println!("new owner key pair (shown once; stored in {}):", index_path(dir).display());
    println!("access key id: {}", key.access_key_id);
    println!("secret access key: {}", key.secret);
    Ok(())
}
