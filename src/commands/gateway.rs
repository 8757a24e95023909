//! `fdfs gateway`: the S3 gateway in front of a cluster until SIGINT or
//! SIGTERM (see `signals`), and `fdfs gateway key create|list|delete` for
//! its access keys, which live in the gateway's index.
//!
//! FDFS_ACCESS_KEY_ID / FDFS_SECRET_ACCESS_KEY, when both are set, define
//! the owner key at start (created, or its secret replaced).

use anyhow::{Context, bail};
use fdfs_protocol::server::shutdown_channel;
use fdfs_s3api::gateway::DEFAULT_OWNER;
use fdfs_s3api::gateway::auth::generate_key;
use fdfs_s3api::gateway::server::{GatewayConfig, GatewayServer, index_path};
use fdfs_s3api::index::{AccessKey, Index};

use super::signals::wait_for_signals;
use crate::cli::{GatewayArgs, GatewayCommand, KeyCommand};

pub async fn run(args: GatewayArgs) -> anyhow::Result<()> {
    if let Some(GatewayCommand::Key(cmd)) = args.command {
        let data = args.data.clone();
        return tokio::task::spawn_blocking(move || key(cmd, &data)).await?;
    }
    if args.trackers.is_empty() {
        bail!("--tracker is required to serve");
    }
    // Signal handlers before anything binds: a SIGTERM that arrives as soon
    // as a port accepts connections must stop the process cleanly, not kill it.
    let (trigger, shutdown) = shutdown_channel();
    let signals = wait_for_signals(trigger).context("cannot install signal handlers")?;
    let mut config = GatewayConfig::new(args.listen, args.trackers, args.data);
    config.owner_key = owner_key_from_env()?;
    let server = GatewayServer::bind(config).await.context("gateway failed to start")?;
    // Parsed by tests and scripts that ask for port 0.
    eprintln!("listening on {}", server.local_addr());
    server.run(shutdown).await;
    signals.abort();
    Ok(())
}

/// The owner key from FDFS_ACCESS_KEY_ID / FDFS_SECRET_ACCESS_KEY, when
/// both are set (shared with `fdfs server`).
pub(super) fn owner_key_from_env() -> anyhow::Result<Option<AccessKey>> {
    let id = std::env::var("FDFS_ACCESS_KEY_ID").ok().filter(|v| !v.is_empty());
    let secret = std::env::var("FDFS_SECRET_ACCESS_KEY").ok().filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(access_key_id), Some(secret)) => Ok(Some(AccessKey {
            access_key_id,
            secret,
            owner: DEFAULT_OWNER.to_string(),
            created_ms: now_ms(),
        })),
        (None, None) => Ok(None),
        _ => bail!("set both FDFS_ACCESS_KEY_ID and FDFS_SECRET_ACCESS_KEY, or neither"),
    }
}

/// Unix milliseconds now.
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `fdfs gateway key ...` against the index in `data`.
fn key(cmd: KeyCommand, data: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let mut index = Index::open(index_path(data)).context("cannot open the gateway index")?;
    match cmd {
        KeyCommand::Create { access_key_id, secret, owner } => {
            let mut key = generate_key(&owner, now_ms());
            if let Some(id) = access_key_id {
                key.access_key_id = id;
            }
            if let Some(secret) = secret {
                key.secret = secret;
            }
            index.create_access_key(&key)?;
            println!("access_key_id: {}", key.access_key_id);
            println!("secret_access_key: {}", key.secret);
            println!("owner: {}", key.owner);
        }
        KeyCommand::List => {
            for key in index.list_access_keys()? {
                println!("{}\t{}", key.access_key_id, key.owner);
            }
        }
        KeyCommand::Delete { access_key_id } => {
            if !index.delete_access_key(&access_key_id)? {
                bail!("no access key {access_key_id}");
            }
        }
    }
    Ok(())
}
