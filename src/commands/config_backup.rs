//! `fdfs gateway export-config` and `import-config`: the index's bucket
//! configuration to a JSON file and back (the document and its rules are
//! `fdfs_s3api::gateway::config_backup`'s).
//!
//! Both work beside a running gateway: SQLite serializes the import's one
//! transaction with the gateway's writes, and the gateway's per-bucket
//! caches (the lifecycle rules behind `x-amz-expiration`) pick an import
//! up within seconds.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use fdfs_s3api::gateway::config_backup::{self, Backup};
use fdfs_s3api::gateway::server::index_path;
use fdfs_s3api::index::Index;

use super::gateway::now_ms;

/// Writes the export of the index in `data` to `out` (temp file, fsync,
/// rename), or to standard output.
pub(super) fn export(data: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let mut index = open_existing(data)?;
    let backup = config_backup::export(&mut index, now_ms())?;
    let text = backup.to_json() + "\n";
    match out {
        None => std::io::stdout().write_all(text.as_bytes())?,
        Some(path) => write_durably(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
    }
    let configs: usize = backup.buckets.iter().map(|b| b.configs.len()).sum();
    eprintln!("exported {} buckets, {configs} configurations", backup.buckets.len());
    Ok(())
}

/// Applies export `file` (`-`: standard input) to the index in `data`.
pub(super) fn import(data: &Path, file: &Path) -> anyhow::Result<()> {
    let mut text = String::new();
    if file == Path::new("-") {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    let backup = Backup::from_json(&text).context("not an export-config file")?;
    let mut index = open_existing(data)?;
    let report = config_backup::import(&mut index, &backup).context("nothing was imported")?;
    println!(
        "imported {} buckets ({} created), {} configurations",
        report.buckets, report.created, report.configs
    );
    Ok(())
}

/// The index in `data`, which must exist: an export of a path that holds
/// none is a mistake, not an empty export, and an import needs `rebuild-
/// index` (or a gateway) to have made the index first.
fn open_existing(data: &Path) -> anyhow::Result<Index> {
    let path = index_path(data);
    if !path.exists() {
        bail!("no gateway index at {} (check --data)", path.display());
    }
    Index::open(&path).with_context(|| format!("cannot open {}", path.display()))
}

/// `bytes` into `path` so that a crash leaves the old file or the new
/// one: a temp file beside it, fsynced, renamed over it, the directory
/// fsynced.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}
