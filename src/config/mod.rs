//! Loading each role's configuration from a file: our TOML format, or
//! FastDFS's own `.conf` files for users bringing an existing deployment.
//!
//! # Layout
//!
//! - [`fastdfs_conf`]: the generic FastDFS `key = value` reader.
//! - [`tracker`]: `fdfs tracker --config`: TOML, or a FastDFS `tracker.conf`
//!   mapped onto the same settings.
//! - [`storage`]: `fdfs storage --config`: TOML, or a FastDFS `storage.conf`.
//! - [`gateway`]: `fdfs gateway --config`: TOML only (FastDFS has no
//!   gateway).
//! - [`http_limits`]: the gateway's `[connections]` limits and their flags.
//! - [`lifecycle`]: the gateway's `[lifecycle]` worker schedule and its flag.

pub mod fastdfs_conf;
pub mod gateway;
pub mod http_limits;
pub mod lifecycle;
pub mod storage;
pub mod tracker;

use std::path::Path;

use anyhow::Context;
use tracing::warn;

use fastdfs_conf::FastdfsConf;

/// Reads a role's `--config FILE`: our TOML when the name ends in `.toml`
/// (parsed by `from_toml`), else a FastDFS `<role>.conf` mapped by
/// `from_fastdfs`, whose unused keys are named in one warning.
fn load_toml_or_fastdfs<T>(
    path: &Path,
    role: &str,
    from_toml: impl FnOnce(&str) -> anyhow::Result<T>,
    from_fastdfs: impl FnOnce(&FastdfsConf) -> anyhow::Result<(T, Vec<String>)>,
) -> anyhow::Result<T> {
    let is_toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if is_toml {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return from_toml(&text)
            .with_context(|| format!("{}: invalid {role} config", path.display()));
    }
    let conf = FastdfsConf::load(path)?;
    let (settings, ignored) =
        from_fastdfs(&conf).with_context(|| format!("{}: invalid {role}.conf", path.display()))?;
    if !ignored.is_empty() {
        warn!(
            file = %path.display(),
            keys = %ignored.join(", "),
            "{role}.conf keys not used by fdfs (ignored)"
        );
    }
    Ok(settings)
}
