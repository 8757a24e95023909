//! Reporting to every tracker (`fastdfs-protocol.md` §3.3, §6): one task
//! and one long-lived connection per tracker that joins, beats, reports
//! disk usage and sync progress, and hands what trackers announce (the
//! storage's status, its sync source, the group's members, the leader)
//! back to the storage.
//!
//! The reporter knows nothing of files: it reads the storage's live facts
//! and writes what it learns through the small [`StorageFacts`] trait the
//! storage server implements. Whether this is the storage's first start is
//! the storage's to persist ([`Learned::SyncSource`]); the reporter takes
//! it as a flag ([`ReporterConfig::first_start`]).
//!
//! # Layout
//!
//! - [`config`]: [`ReporterConfig`] and the [`Dialer`] that binds every
//!   tracker connection to the storage's own IP.
//! - [`facts`]: [`StorageFacts`], [`Learned`] and [`InMemoryFacts`].
//! - [`oneshot`]: requests on their own short connection — the start-up
//!   queries and the sync-source helpers the replication code uses
//!   ([`sync_src_req`], [`report_status`]).
//! - `shared`, `session`, `task`: the once-per-storage state, one reporter
//!   connection, and the per-tracker reconnect loop.

pub mod config;
pub mod facts;
pub mod oneshot;
mod session;
mod shared;
mod space_watch;
mod task;

use std::collections::HashSet;
use std::sync::Arc;

use fdfs_protocol::consts::MAX_TRACKERS;
use fdfs_protocol::server::Shutdown;
use fdfs_protocol::tracker::validate_group_name;
use tokio::task::JoinSet;
use tracing::warn;

pub use config::{Dialer, ReporterConfig};
pub use facts::{FactsSnapshot, InMemoryFacts, Learned, StorageFacts};
pub use oneshot::{
    changelog_before_join, fetch_parameters, get_my_ip, report_status, report_status_all,
    sync_src_req, sync_src_req_any,
};

use shared::Shared;

/// A configuration the reporter cannot run with.
#[derive(Debug, thiserror::Error)]
#[error("invalid reporter configuration: {0}")]
pub struct ConfigError(String);

/// The running reporter tasks of one storage.
#[derive(Debug)]
pub struct Reporter {
    tasks: JoinSet<()>,
}

impl Reporter {
    /// Starts one reporter task per tracker (duplicates are reported to
    /// once). They run until `shutdown` fires; then each says QUIT and
    /// ends.
    pub fn spawn(
        mut config: ReporterConfig,
        facts: Arc<dyn StorageFacts>,
        shutdown: Shutdown,
    ) -> Result<Self, ConfigError> {
        let mut seen = HashSet::new();
        config.trackers.retain(|t| seen.insert(*t));
        validate(&config)?;
        let trackers = config.trackers.clone();
        let shared = Arc::new(Shared::new(config, facts));
        let mut tasks = JoinSet::new();
        for tracker in trackers {
            tasks.spawn(task::run(Arc::clone(&shared), tracker, shutdown.clone()));
        }
        Ok(Self { tasks })
    }

    /// Waits until every task has ended (after shutdown).
    pub async fn wait(mut self) {
        while let Some(result) = self.tasks.join_next().await {
            if let Err(e) = result {
                warn!(error = %e, "reporter task failed");
            }
        }
    }
}

/// Checks the limits JOIN and the reporting loop rely on.
fn validate(c: &ReporterConfig) -> Result<(), ConfigError> {
    let bad = |what: String| Err(ConfigError(what));
    if validate_group_name(&c.group).is_err() {
        return bad(format!("group name {:?}", c.group));
    }
    if c.trackers.is_empty() || c.trackers.len() > MAX_TRACKERS {
        return bad(format!("{} trackers (1..={MAX_TRACKERS})", c.trackers.len()));
    }
    if c.port == 0 {
        return bad("port 0".into());
    }
    if !(1..=256).contains(&c.store_path_count) || !(1..=256).contains(&c.subdir_count_per_path) {
        return bad(format!(
            "store_path_count {} / subdir_count_per_path {} (1..=256)",
            c.store_path_count, c.subdir_count_per_path
        ));
    }
    if c.heart_beat_interval.is_zero() || c.stat_report_interval.is_zero() {
        return bad("zero heart beat or stat report interval".into());
    }
    if c.version.len() > fdfs_protocol::consts::VERSION_SIZE {
        return bad(format!("version {:?} longer than 8 bytes", c.version));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_limits() {
        let addr = "127.0.0.1:22122".parse().unwrap();
        let ok = ReporterConfig::new("group1", 23000, vec![addr]);
        assert!(validate(&ok).is_ok());
        let mut c = ok.clone();
        c.group = "a-b".into();
        assert!(validate(&c).is_err());
        let mut c = ok.clone();
        c.trackers.clear();
        assert!(validate(&c).is_err());
        let mut c = ok.clone();
        c.store_path_count = 0;
        assert!(validate(&c).is_err());
        let mut c = ok;
        c.heart_beat_interval = std::time::Duration::ZERO;
        assert!(validate(&c).is_err());
    }
}
