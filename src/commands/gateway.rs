//! `fdfs gateway`: the S3 gateway in front of a cluster until SIGINT or
//! SIGTERM (see `signals`), `fdfs gateway key create|list|delete` for
//! its access keys, which live in the gateway's index, `fdfs gateway
//! rebuild-index` to rebuild that index from the storages, `fdfs gateway
//! export-config|import-config` to back its bucket configuration up (see
//! `config_backup`), and `fdfs gateway sweep` to run the orphan sweep once.
//!
//! Settings come from `--config FILE` (TOML, `deploy/gateway.toml`), with
//! every flag overriding the file; `--data` and the trackers apply to the
//! subcommands too. FDFS_ACCESS_KEY_ID / FDFS_SECRET_ACCESS_KEY, when both
//! are set, define the owner key at start (created, or its secret replaced).

use std::path::Path;

use anyhow::{Context, bail};
use fdfs_protocol::client::{Pool, StorageClient, TrackerClient};
use fdfs_protocol::server::shutdown_channel;
use fdfs_s3api::crypto::MasterKey;
use fdfs_s3api::gateway::DEFAULT_OWNER;
use fdfs_s3api::gateway::auth::generate_key;
use fdfs_s3api::gateway::drainer::Drainer;
use fdfs_s3api::gateway::server::{GatewayServer, index_path, load_master_key};
use fdfs_s3api::index::private::private_dir;
use fdfs_s3api::index::{AccessKey, Index, IndexHandle, MIN_SECRET_LEN};
use fdfs_s3api::rebuild::{rebuild_index, sweep_orphans};

use super::config_backup;
use super::signals::{reload_on_sighup, wait_for_signals};
use crate::cli::{GatewayArgs, GatewayCommand, KeyCommand};
use crate::config;
use crate::config::gateway::GatewaySettings;

pub async fn run(mut args: GatewayArgs) -> anyhow::Result<()> {
    let settings = settings(&args)?;
    if args.print_config {
        return super::print_config::print(&settings);
    }
    // The subcommands below read the merged values from `args`.
    args.data = settings.data_dir.clone();
    args.trackers = settings.trackers.clone();
    match args.command {
        Some(GatewayCommand::Key(cmd)) => {
            let data = args.data.clone();
            let master = settings.master_key_file.clone();
            return tokio::task::spawn_blocking(move || key(cmd, &data, master.as_deref())).await?;
        }
        Some(GatewayCommand::RebuildIndex) => return rebuild(&args).await,
        Some(GatewayCommand::Sweep { grace_secs }) => return sweep(&args, grace_secs).await,
        Some(GatewayCommand::ExportConfig { out }) => {
            let data = args.data.clone();
            return tokio::task::spawn_blocking(move || {
                config_backup::export(&data, out.as_deref())
            })
            .await?;
        }
        Some(GatewayCommand::ImportConfig { file }) => {
            let data = args.data.clone();
            return tokio::task::spawn_blocking(move || config_backup::import(&data, &file))
                .await?;
        }
        None => {}
    }
    if args.trackers.is_empty() {
        bail!("--tracker (or `trackers` in --config) is required to serve");
    }
    // Signal handlers before anything binds: a SIGTERM that arrives as soon
    // as a port accepts connections must stop the process cleanly, not kill it.
    let (trigger, shutdown) = shutdown_channel();
    let signals = wait_for_signals(trigger).context("cannot install signal handlers")?;
    if let Some(dest) = args.access_log.as_ref().or(settings.access_log.as_ref()) {
        fdfs_s3api::gateway::access_log::install(dest)
            .with_context(|| format!("cannot open the access log {dest}"))?;
    }
    let mut config = settings.to_config().context("invalid gateway settings")?;
    config.owner_key = owner_key_from_env()?;
    fdfs_protocol::fd_budget::init_process_budget(settings.connections.fd_reserve);
    let server = GatewayServer::bind(config).await.context("gateway failed to start")?;
    let reload = server.tls().map(|tls| reload_on_sighup(move || tls.reload_logged()));
    let reload = reload.transpose().context("cannot install the SIGHUP handler")?;
    // Parsed by tests and scripts that ask for port 0.
    eprintln!("listening on {}", server.local_addr());
    server.run(shutdown).await;
    signals.abort();
    if let Some(task) = reload {
        task.abort();
    }
    Ok(())
}

/// The config file's settings (or the defaults), with every given flag
/// applied on top.
fn settings(args: &GatewayArgs) -> anyhow::Result<GatewaySettings> {
    let file = match &args.config {
        Some(path) => config::gateway::load(path)?,
        None => GatewaySettings::default(),
    };
    let mut s =
        file.with_flags(args.listen, &args.trackers, &args.domains, args.data_dir.as_deref());
    if let Some(path) = &args.master_key_file {
        s.master_key_file = Some(path.clone());
    }
    s.connections = s.connections.with_flags(&args.limits);
    s.lifecycle = s.lifecycle.with_flags(&args.lifecycle);
    if let Some(v) = args.fd_reserve {
        s.connections.fd_reserve = v;
    }
    if let (Some(cert), Some(key)) = (&args.tls.tls_cert, &args.tls.tls_key) {
        (s.tls_cert, s.tls_key) = (Some(cert.clone()), Some(key.clone()));
    }
    Ok(s)
}

/// The cluster clients for the offline subcommands.
fn clients(args: &GatewayArgs) -> anyhow::Result<(TrackerClient, StorageClient)> {
    if args.trackers.is_empty() {
        bail!("--tracker is required");
    }
    let pool = Pool::default();
    let tracker = TrackerClient::new(args.trackers.clone(), pool.clone())?;
    Ok((tracker, StorageClient::new(pool)))
}

/// `fdfs gateway rebuild-index`.
async fn rebuild(args: &GatewayArgs) -> anyhow::Result<()> {
    let (tracker, storage) = clients(args)?;
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create {}", args.data.display()))?;
    let report = rebuild_index(&tracker, &storage, &args.data).await?;
    println!(
        "rebuilt {}: {} buckets, {} objects from {} tagged of {} files ({} bytes hashed)",
        index_path(&args.data).display(),
        report.buckets,
        report.objects,
        report.tagged,
        report.files,
        report.bytes_hashed
    );
    Ok(())
}

/// `fdfs gateway sweep`: one sweep, then the queue drained once.
async fn sweep(args: &GatewayArgs, grace_secs: u64) -> anyhow::Result<()> {
    let (tracker, storage) = clients(args)?;
    let path = index_path(&args.data);
    let index = tokio::task::spawn_blocking(move || IndexHandle::open(path, 1)).await??;
    let grace = std::time::Duration::from_secs(grace_secs);
    let report = sweep_orphans(&index, &tracker, &storage, grace, now_ms()).await?;
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let drainer = Drainer::new(index, tracker, storage, wake, grace);
    while drainer.drain_once().await > 0 {}
    println!(
        "swept {} files: {} unreferenced, {} orphans deleted",
        report.scanned,
        report.unreferenced,
        report.queued.len()
    );
    Ok(())
}

/// The owner key from FDFS_ACCESS_KEY_ID / FDFS_SECRET_ACCESS_KEY, when
/// both are set (shared with `fdfs server`): an admin key, since whoever
/// sets the environment of the gateway process runs the gateway.
pub(super) fn owner_key_from_env() -> anyhow::Result<Option<AccessKey>> {
    let id = std::env::var("FDFS_ACCESS_KEY_ID").ok().filter(|v| !v.is_empty());
    let secret = std::env::var("FDFS_SECRET_ACCESS_KEY").ok().filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(_), Some(secret)) if secret.chars().count() < MIN_SECRET_LEN => {
            bail!("FDFS_SECRET_ACCESS_KEY must have at least {MIN_SECRET_LEN} characters")
        }
        (Some(access_key_id), Some(secret)) => Ok(Some(AccessKey {
            access_key_id,
            secret,
            owner: DEFAULT_OWNER.to_string(),
            admin: true,
            created_ms: now_ms(),
        })),
        (None, None) => Ok(None),
        _ => bail!("set both FDFS_ACCESS_KEY_ID and FDFS_SECRET_ACCESS_KEY, or neither"),
    }
}

/// The index of gateway data directory `data` (made private) and its
/// master key, any secret an older build left in clear sealed (shared with
/// `fdfs server`). Blocks.
pub(super) fn open_sealed(
    data: &Path,
    master: Option<&Path>,
) -> anyhow::Result<(Index, MasterKey)> {
    private_dir(data).with_context(|| format!("cannot create {}", data.display()))?;
    let master = load_master_key(data, master)?;
    let mut index = Index::open(index_path(data)).context("cannot open the gateway index")?;
    index.seal_clear_secrets(&master)?;
    Ok((index, master))
}

/// Unix milliseconds now.
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `fdfs gateway key ...` against the index in `data`, its secrets sealed
/// by the master key (`master`, else `data/master.key`, made here when
/// this runs before the first `fdfs gateway`, which then finds it).
fn key(cmd: KeyCommand, data: &Path, master: Option<&Path>) -> anyhow::Result<()> {
    let (mut index, master) = open_sealed(data, master)?;
    match cmd {
        KeyCommand::Create { access_key_id, secret, owner, admin } => {
            let mut key = generate_key(&owner, now_ms());
            key.admin = admin;
            if let Some(id) = access_key_id {
                key.access_key_id = id;
            }
            if let Some(secret) = secret {
                key.secret = secret;
            }
            index.create_access_key(&key, &master)?;
            println!("access_key_id: {}", key.access_key_id);
            println!("secret_access_key: {}", key.secret);
            println!("owner: {}", key.owner);
            println!("admin: {}", key.admin);
        }
        KeyCommand::List => {
            for key in index.list_access_keys()? {
                let role = if key.admin { "admin" } else { "tenant" };
                println!("{}\t{}\t{role}", key.access_key_id, key.owner);
            }
        }
        KeyCommand::Delete { access_key_id } => {
            if !index.delete_access_key(&access_key_id)? {
                bail!("no access key {access_key_id}");
            }
        }
        KeyCommand::Allow { bucket, owner, read, write } => {
            super::key_grants::allow(&mut index, &bucket, &owner, read, write)?;
        }
        KeyCommand::Deny { bucket, owner, read, write } => {
            super::key_grants::deny(&mut index, &bucket, &owner, read, write)?;
        }
        KeyCommand::Grants { bucket } => super::key_grants::list(&mut index, &bucket)?,
    }
    Ok(())
}
