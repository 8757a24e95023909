//! `fdfs gateway export-config` / `import-config`: every bucket's
//! configuration as one JSON document, to back it up and to restore it.
//!
//! Objects, versions and delete markers come back with `rebuild-index`
//! (their tags are on the storages), but bucket-level configuration lives
//! only in the index: a lost index loses versioning, Object Lock defaults,
//! lifecycle rules and default encryption. An export taken beforehand
//! puts them back on a rebuilt (or a new) index.
//!
//! Each configuration is kept in the XML body its S3 `Get` call answers
//! (`<LifecycleConfiguration>…`), keyed by the S3 sub-resource that
//! names it (`lifecycle`), so an export reads like what an S3 client sees
//! and an import goes through the same validation as the S3 `Put` call
//! ([`sections`]). An import is one index transaction: it applies all of
//! the file or nothing.

mod sections;
mod xml;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::index::{Bucket, Index, IndexError};

/// The `format` this build writes and reads.
pub const FORMAT: u32 = 1;

/// One export: every bucket with its configurations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// [`FORMAT`].
    pub format: u32,
    /// When it was taken, unix ms.
    pub exported_ms: i64,
    pub buckets: Vec<BucketConfig>,
}

/// One bucket: its row and each configuration it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    pub name: String,
    pub owner: String,
    pub home_group: String,
    pub created_ms: i64,
    /// Configuration name (`versioning`, `object-lock`, `lifecycle`,
    /// `encryption`, `tagging`) to the XML its S3 `Get` call answers.
    pub configs: BTreeMap<String, String>,
}

/// Why an export or an import failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("backup format {0} is not supported (this build reads {FORMAT})")]
    Format(u32),
    #[error("bucket {bucket}: {why}")]
    Bucket { bucket: String, why: String },
    #[error("bucket {bucket}, configuration {config:?}: {why}")]
    Config { bucket: String, config: String, why: String },
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Buckets the index did not have, created from the file.
    pub created: usize,
    /// Buckets whose configurations were applied.
    pub buckets: usize,
    /// Configurations applied.
    pub configs: usize,
}

/// Every bucket of `index` with its configurations.
pub fn export(index: &mut Index, now_ms: i64) -> Result<Backup, BackupError> {
    let mut buckets = Vec::new();
    for bucket in index.list_buckets(None)? {
        let mut configs = BTreeMap::new();
        for section in sections::SECTIONS {
            if let Some(body) = (section.export)(index, &bucket.name)
                .map_err(|e| config_error(&bucket.name, section.name, e))?
            {
                configs.insert(section.name.to_string(), body);
            }
        }
        buckets.push(BucketConfig {
            name: bucket.name,
            owner: bucket.owner,
            home_group: bucket.home_group,
            created_ms: bucket.created_ms,
            configs,
        });
    }
    Ok(Backup { format: FORMAT, exported_ms: now_ms, buckets })
}

/// Applies `backup` to `index` in one transaction: a bucket it lacks is
/// created (owner, home group and creation time from the file); each
/// bucket's configurations become the file's — a removable one (lifecycle,
/// encryption, tags) the file lacks is removed, while versioning and Object
/// Lock, which S3 never turns off, are left as they are when absent.
/// A bucket the index has under another owner is refused.
pub fn import(index: &mut Index, backup: &Backup) -> Result<ImportReport, BackupError> {
    if backup.format != FORMAT {
        return Err(BackupError::Format(backup.format));
    }
    for bucket in &backup.buckets {
        for name in bucket.configs.keys() {
            if !sections::SECTIONS.iter().any(|s| s.name == name) {
                return Err(config_error(&bucket.name, name, "unknown configuration".into()));
            }
        }
    }
    let mut failure = None;
    let result = index.atomically(|ix| {
        let mut report = ImportReport::default();
        for bucket in &backup.buckets {
            match import_bucket(ix, bucket, &mut report) {
                Ok(()) => {}
                Err(BackupError::Index(e)) => return Err(e),
                Err(e) => {
                    // Roll the whole import back, keeping the reason.
                    failure = Some(e);
                    return Err(IndexError::InvalidArgument("import refused".into()));
                }
            }
        }
        Ok(report)
    });
    match (result, failure) {
        (Ok(report), _) => Ok(report),
        (Err(_), Some(why)) => Err(why),
        (Err(e), None) => Err(e.into()),
    }
}

fn import_bucket(
    ix: &mut Index,
    bucket: &BucketConfig,
    report: &mut ImportReport,
) -> Result<(), BackupError> {
    match ix.get_bucket(&bucket.name) {
        Ok(have) if have.owner != bucket.owner => {
            return Err(BackupError::Bucket {
                bucket: bucket.name.clone(),
                why: format!("owned by {:?} here, by {:?} in the file", have.owner, bucket.owner),
            });
        }
        Ok(_) => {}
        Err(IndexError::NoSuchBucket(_)) => {
            ix.create_bucket(&Bucket {
                name: bucket.name.clone(),
                home_group: bucket.home_group.clone(),
                owner: bucket.owner.clone(),
                created_ms: bucket.created_ms,
            })?;
            report.created += 1;
        }
        Err(e) => return Err(e.into()),
    }
    for section in sections::SECTIONS {
        let body = bucket.configs.get(section.name).map(String::as_str);
        (section.import)(ix, &bucket.name, body)
            .map_err(|e| config_error(&bucket.name, section.name, e))?;
        report.configs += usize::from(body.is_some());
    }
    report.buckets += 1;
    Ok(())
}

impl Backup {
    /// The backup as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings and maps always serializes.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A backup from its JSON; unknown fields are refused, not ignored.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

fn config_error(bucket: &str, config: &str, why: String) -> BackupError {
    BackupError::Config { bucket: bucket.to_string(), config: config.to_string(), why }
}

#[cfg(test)]
mod tests;
