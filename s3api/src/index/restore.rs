//! Restoring versions as they were (`fdfs gateway rebuild-index`): rows
//! with their own version IDs, order and latest flag, rather than the
//! ones a write would make.

use super::error::{IndexError, Result};
use super::objects::check_new;
use super::types::NewObject;
use super::versions::{Content, bucket_row, insert_row_as};
use super::{Index, files};

/// One version of a key to restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredVersion {
    /// The version ID.
    pub version_id: String,
    /// Its order among the key's versions (higher is newer).
    pub seq: i64,
    /// What it holds.
    pub content: RestoredContent,
}

/// A restored version's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoredContent {
    /// An object version.
    Object(Box<NewObject>),
    /// A delete marker, with the file that records it.
    Marker {
        /// The marker's file, when there is one.
        file: Option<String>,
        /// When it was made, unix ms.
        modified_ms: i64,
    },
}

impl Index {
    /// Writes the versions of each key (none may exist yet), in one
    /// transaction: per key the first version with the highest `seq`
    /// becomes the latest. Each version retains its files.
    pub fn restore_versions(
        &mut self,
        bucket: &str,
        keys: &[(String, Vec<RestoredVersion>)],
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let b = bucket_row(&tx, bucket)?;
        for (key, versions) in keys {
            check_distinct(versions)?;
            let top = versions.iter().map(|v| v.seq).max();
            let latest_at = versions.iter().position(|v| Some(v.seq) == top);
            for (i, v) in versions.iter().enumerate() {
                let content = match &v.content {
                    RestoredContent::Object(obj) => {
                        check_new(obj)?;
                        Content::Object(obj)
                    }
                    RestoredContent::Marker { file, modified_ms } => {
                        Content::Marker { file: file.as_deref(), now_ms: *modified_ms }
                    }
                };
                let ids: Vec<&str> = match content {
                    Content::Object(obj) => obj.data.file_ids(),
                    Content::Marker { file, .. } => file.into_iter().collect(),
                };
                for id in ids {
                    files::retain(&tx, id)?;
                }
                let latest = Some(i) == latest_at;
                insert_row_as(&tx, b.id, key, content, &v.version_id, v.seq, latest)?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Refuses two versions of one key with the same ID.
pub(super) fn check_distinct(versions: &[RestoredVersion]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for v in versions {
        if !seen.insert(&v.version_id) {
            return Err(IndexError::InvalidArgument(format!(
                "version {} restored twice",
                v.version_id
            )));
        }
    }
    Ok(())
}
