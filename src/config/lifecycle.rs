//! `[lifecycle]` of `deploy/gateway.toml`: how often the lifecycle worker
//! applies the buckets' rules, with the `--lifecycle-interval` flag that
//! overrides it (shared by `fdfs gateway` and `fdfs server`).
//!
//! The day length is not a setting: only tests shorten it, through the
//! `FDFS_LIFECYCLE_DAY_SECONDS` environment variable
//! (`fdfs_s3api::lifecycle::worker`), so no config file can shorten the
//! life of production data by mistake.

use std::time::Duration;

use anyhow::bail;
use fdfs_s3api::lifecycle::worker::LifecycleSettings;
use serde::{Deserialize, Serialize};

use crate::cli::LifecycleArgs;

/// The lifecycle worker's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecycleToml {
    /// Seconds between the end of a pass over every bucket with rules and
    /// the start of the next (default 3600).
    pub interval_secs: u64,
}

impl Default for LifecycleToml {
    fn default() -> Self {
        Self { interval_secs: LifecycleSettings::default().interval.as_secs() }
    }
}

impl LifecycleToml {
    /// These settings with the flag on top.
    pub fn with_flags(mut self, flags: &LifecycleArgs) -> Self {
        if let Some(v) = flags.lifecycle_interval {
            self.interval_secs = v;
        }
        self
    }

    /// `settings` with this schedule, checked.
    pub fn apply(&self, settings: &mut LifecycleSettings) -> anyhow::Result<()> {
        if self.interval_secs == 0 {
            bail!("lifecycle.interval_secs = 0: must be at least 1 second");
        }
        settings.interval = Duration::from_secs(self.interval_secs);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_overrides_the_file_and_zero_is_refused() {
        let file: LifecycleToml = toml::from_str("interval_secs = 60").unwrap();
        let mut s = LifecycleSettings::default();
        file.clone().with_flags(&LifecycleArgs { lifecycle_interval: None }).apply(&mut s).unwrap();
        assert_eq!(s.interval, Duration::from_secs(60));
        file.with_flags(&LifecycleArgs { lifecycle_interval: Some(5) }).apply(&mut s).unwrap();
        assert_eq!(s.interval, Duration::from_secs(5));
        let zero = LifecycleToml { interval_secs: 0 };
        assert!(zero.apply(&mut s).unwrap_err().to_string().contains("lifecycle.interval_secs"));
        assert!(toml::from_str::<LifecycleToml>("interval = 5").is_err());
    }
}
