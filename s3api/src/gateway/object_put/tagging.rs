//! Tags merged into files that already exist: CompleteMultipartUpload
//! marks each part of the new object, CopyObject records an alias on each
//! file it shares (`crate::rebuild::tags`). One SET_METADATA (merge) per
//! file, on the file's source storage (QUERY_UPDATE, as FastDFS clients
//! set metadata), a few at a time.
//!
//! The tags only serve a later index rebuild, and the index row that
//! matters is already committed when they are written, so a failure is
//! logged and counted, never turned into an S3 error.

use fdfs_protocol::client::storage_socket_addr;
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::file_id::FileId;
use fdfs_protocol::metadata::{MetaOp, Metadata};
use futures_util::StreamExt;
use futures_util::stream;

use super::super::Inner;

/// Files tagged at once.
const CONCURRENCY: usize = 8;

/// Merges `meta` into the metadata of each of `file_ids`; returns how many
/// failed (each logged).
pub(in crate::gateway) async fn merge_tags(
    inner: &Inner,
    file_ids: &[String],
    meta: &Metadata,
) -> usize {
    let results = stream::iter(file_ids.iter().cloned())
        .map(|file_id| async move {
            let result = merge_one(inner, &file_id, meta).await;
            (file_id, result)
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut failed = 0;
    for (file_id, result) in results {
        if let Err(e) = result {
            failed += 1;
            tracing::warn!(%file_id, error = %e, "cannot record rebuild tags on a file");
        }
    }
    failed
}

async fn merge_one(inner: &Inner, file_id: &str, meta: &Metadata) -> Result<(), ConnError> {
    let id = FileId::parse(file_id).map_err(|e| ConnError::Protocol(e.to_string()))?;
    let name = id.logic().as_str();
    let target = inner.tracker.query_update(id.group(), name).await?;
    let addr = storage_socket_addr(&target.storage)?;
    inner.storage.set_metadata(addr, id.group(), name, MetaOp::Merge, meta).await
}

/// CopyObject shared the files of its source with `bucket`/`key` (whose
/// new attributes are `info`): records the alias on each of them, so a
/// rebuild restores the copy too, an encrypted copy with its own envelope
/// (its data key is wrapped for its own name). A copy onto itself records
/// only a new envelope, when it re-wrapped the data key, and its tags
/// (`crate::gateway::tagging::record`); every alias records the copy's
/// tag set.
/// Deleting or overwriting the copy later leaves the alias in place (a
/// rebuild while the files still exist for the source resurrects it).
/// In a versioned bucket the alias also records the copy's version
/// (`version`: its ID and seq), so a copy onto its own key (restoring an
/// older version) is recorded too.
pub(in crate::gateway) async fn record_alias(
    inner: &Inner,
    source: (&str, &str),
    bucket: &str,
    key: &str,
    info: &crate::index::ObjectInfo,
    seq: i64,
) {
    let version = info.version_id.clone();
    let same = source == (bucket, key);
    let (b, k, v) = (bucket.to_string(), key.to_string(), version.clone());
    let files = match inner.index.read(move |ix| ix.get_version(&b, &k, v.as_deref())).await {
        Ok(record) if record.info.last_modified_ms == info.last_modified_ms => {
            record.data.file_ids().into_iter().map(str::to_string).collect::<Vec<_>>()
        }
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the copy to tag its files");
            return;
        }
    };
    let envelope = info.meta.encryption.as_deref();
    if same && version.is_none() {
        // A copy onto itself that is no new version: the same version with
        // maybe a re-wrapped data key and new tags.
        if let Some(e) = envelope {
            merge_tags(inner, &files, &crate::rebuild::tags::sse_metadata(e)).await;
        }
        let written = crate::index::TagsWritten {
            version_id: None,
            stored_version_id: crate::index::NULL_VERSION.to_string(),
            file_ids: files,
            versioned: false,
        };
        let target = crate::gateway::tagging::record::Target { bucket, key, written: &written };
        crate::gateway::tagging::record::record_tags(inner, &target, &info.meta.tags).await;
        return;
    }
    // 96 random bits of a fresh token: unique per copy, so concurrent
    // copies of one source never overwrite each other's alias.
    let token = crate::index::random_id(super::super::now_ms());
    let id = &token[token.len().saturating_sub(24)..];
    let mut meta = crate::rebuild::tags::alias_metadata(id, bucket, key, envelope);
    if let Some(v) = &version {
        let tags = crate::rebuild::version_tags::alias_version_metadata(id, v, seq);
        meta.apply(MetaOp::Merge, &tags);
    }
    // The copy's own tag set, even an empty one: else a rebuild would
    // give it the tags its source has by then.
    let tag_name = format!("{}{id}", crate::rebuild::object_tags::ALIAS_TAGS);
    meta.apply(
        MetaOp::Merge,
        &crate::rebuild::object_tags::tags_metadata(&tag_name, &info.meta.tags),
    );
    merge_tags(inner, &files, &meta).await;
}
