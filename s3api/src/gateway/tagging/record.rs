//! Records a version's new tag set in its files' rebuild tags
//! (`crate::rebuild::object_tags`) after PutObjectTagging,
//! DeleteObjectTagging or a CopyObject onto itself changed it.
//!
//! A file can hold several versions: its own (the bucket, key and version
//! it was written as) and the copies sharing it (its aliases). So each
//! file's metadata is read first, and the tag set is merged beside what
//! names this version: `s3-tags` when the file is its own, `s3-alias-t.<id>`
//! for each alias that is this version. A file naming neither (a copy
//! tagged before aliases were recorded) is left alone.
//!
//! As with every rebuild tag, the index is the authority for S3: a failure
//! is logged and counted, never an S3 error. A locked file accepts the
//! merge (it keeps its lock tags, which is all the storage's WORM checks).

use std::collections::BTreeMap;

use fdfs_protocol::client::storage_socket_addr;
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::file_id::FileId;
use fdfs_protocol::metadata::{MetaOp, Metadata};
use futures_util::StreamExt;
use futures_util::stream;

use super::super::Inner;
use crate::index::{NULL_VERSION, TagsWritten};
use crate::rebuild::object_tags::{ALIAS_TAGS, TAGS, tags_metadata};
use crate::rebuild::tags::{FileTag, aliases_by_id};
use crate::rebuild::version_tags::VersionTag;

/// Files handled at once.
const CONCURRENCY: usize = 8;

/// The version whose tags changed, as its files' tags name it.
pub(in crate::gateway) struct Target<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub written: &'a TagsWritten,
}

impl Target<'_> {
    /// Whether a file's (or alias's) `bucket`, `key` and `version` tags
    /// name this version. In a never-versioned bucket no file carries a
    /// version; in a versioned one a file without one is the `null`
    /// version (written before versioning was enabled).
    fn names(&self, bucket: &str, key: &str, version: Option<&VersionTag>) -> bool {
        if (bucket, key) != (self.bucket, self.key) {
            return false;
        }
        if !self.written.versioned {
            return true;
        }
        version.map_or(NULL_VERSION, |v| v.id.as_str()) == self.written.stored_version_id
    }

    /// What to merge into a file whose metadata is `meta` (empty: none).
    fn merge_for(&self, meta: &Metadata, tags: &BTreeMap<String, String>) -> Metadata {
        let mut out = Metadata::new();
        let Some(tag) = FileTag::from_metadata(meta) else { return out };
        // A part of an upload never completed is no object.
        let object = tag.part.is_none() || tag.complete.is_some();
        if object && !tag.delete_marker && self.names(&tag.bucket, &tag.key, tag.version.as_ref()) {
            out.apply(MetaOp::Merge, &tags_metadata(TAGS, tags));
        }
        for (id, alias) in aliases_by_id(meta) {
            if self.names(&alias.bucket, &alias.key, alias.version.as_ref()) {
                out.apply(MetaOp::Merge, &tags_metadata(&format!("{ALIAS_TAGS}{id}"), tags));
            }
        }
        out
    }
}

/// Records `tags` as the tag set of `target` on each of its files;
/// returns how many files failed (each logged).
pub(in crate::gateway) async fn record_tags(
    inner: &Inner,
    target: &Target<'_>,
    tags: &BTreeMap<String, String>,
) -> usize {
    let results = stream::iter(target.written.file_ids.iter().cloned())
        .map(|file_id| async move {
            let result = record_one(inner, target, &file_id, tags).await;
            (file_id, result)
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut failed = 0;
    for (file_id, result) in results {
        if let Err(e) = result {
            failed += 1;
            tracing::warn!(%file_id, error = %e, "cannot record object tags on a file");
        }
    }
    failed
}

async fn record_one(
    inner: &Inner,
    target: &Target<'_>,
    file_id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ConnError> {
    let id = FileId::parse(file_id).map_err(|e| ConnError::Protocol(e.to_string()))?;
    let name = id.logic().as_str();
    // The source storage, as FastDFS clients set metadata: it has the
    // file and its latest metadata.
    let storage = inner.tracker.query_update(id.group(), name).await?;
    let addr = storage_socket_addr(&storage.storage)?;
    let meta = inner.storage.get_metadata(addr, id.group(), name).await?;
    let merge = target.merge_for(&meta, tags);
    if merge.is_empty() {
        tracing::debug!(%file_id, "no version of the file to record tags for");
        return Ok(());
    }
    inner.storage.set_metadata(addr, id.group(), name, MetaOp::Merge, &merge).await
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use fdfs_protocol::metadata::{MetaOp, Metadata};

    use super::Target;
    use crate::index::TagsWritten;
    use crate::rebuild::object_tags::{TAGS, read};
    use crate::rebuild::tags::{FileTag, alias_metadata};
    use crate::rebuild::version_tags::{alias_version_metadata, version_metadata};

    fn written(version: &str, versioned: bool) -> TagsWritten {
        TagsWritten {
            version_id: versioned.then(|| version.to_string()),
            stored_version_id: version.to_string(),
            file_ids: Vec::new(),
            versioned,
        }
    }

    #[test]
    fn own_version_or_matching_alias_only() {
        let tags: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into();
        let id = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
        let mut meta = FileTag::object("b", "k", None).to_metadata();
        meta.apply(MetaOp::Merge, &version_metadata(id, 3));
        meta.apply(MetaOp::Merge, &alias_metadata("x1", "b", "copy", None));
        meta.apply(MetaOp::Merge, &alias_version_metadata("x1", "null", 1));

        let own = written(id, true);
        let merge = Target { bucket: "b", key: "k", written: &own }.merge_for(&meta, &tags);
        assert_eq!(read(&merge, TAGS), Some(tags.clone()));
        assert_eq!(merge.get_str("s3-alias-t.x1"), None);

        let other = written("null", true);
        let merge = Target { bucket: "b", key: "k", written: &other }.merge_for(&meta, &tags);
        assert!(merge.is_empty(), "another version of the key");

        let copy = Target { bucket: "b", key: "copy", written: &other };
        let merge = copy.merge_for(&meta, &tags);
        assert_eq!(read(&merge, "s3-alias-t.x1"), Some(tags.clone()));
        assert_eq!(read(&merge, TAGS), None);

        let plain = FileTag::object("b", "k", None).to_metadata();
        let unversioned = written("null", false);
        let t = Target { bucket: "b", key: "k", written: &unversioned };
        assert_eq!(read(&t.merge_for(&plain, &tags), TAGS), Some(tags));
        assert!(t.merge_for(&Metadata::new(), &BTreeMap::new()).is_empty(), "not a gateway file");
    }
}
