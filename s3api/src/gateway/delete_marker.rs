//! The file that records a delete marker on the storages.
//!
//! A delete marker has no content, but a rebuild of the index from the
//! storages must know it exists, or it would bring the deleted object
//! back. So a DELETE without a version ID in a versioned bucket first
//! stores an empty file tagged as a marker of its bucket and key (under an
//! upload intent, like any upload), then the index writes the marker row,
//! which holds a reference on that file; once the row exists the file gets
//! the marker's version ID and order (`rebuild::version_tags`). The file
//! is released with the marker row, like any version's. Should the bucket
//! turn out not to be versioned when the index write lands, or the write
//! fail, the file goes on the delete queue.

use s3s::S3Result;

use super::object_put::{reject, store};
use super::{Inner, error, now_ms};
use crate::index::{Deleted, Intent, random_id};
use crate::lifecycle::markers::{MarkerFiles, MarkerFuture, PreparedMarker};
use crate::rebuild::tags::FileTag;
use crate::rebuild::version_tags::version_metadata;

/// An uploaded marker file and the intent that covers it.
#[derive(Debug)]
pub(super) struct MarkerFile {
    token: String,
    /// The file's ID, for the index write.
    pub(super) file_id: String,
}

/// Stores the marker file of a delete of `bucket`/`key` when the bucket is
/// versioned (`None` otherwise: no marker will be made).
pub(super) async fn prepare(
    inner: &Inner,
    owner: &str,
    bucket: &str,
    key: &str,
) -> S3Result<Option<MarkerFile>> {
    let b = bucket.to_string();
    let found = inner
        .index
        .read(move |ix| Ok((ix.get_bucket(&b)?, ix.bucket_versioning(&b)?)))
        .await
        .map_err(|e| error::from_index(e, owner))?;
    let (bucket_row, Some(_)) = found else {
        return Ok(None);
    };
    let token = random_id(now_ms());
    let intent = Intent {
        token: token.clone(),
        bucket: bucket.to_string(),
        key: key.to_string(),
        group: bucket_row.home_group.clone(),
        started_ms: now_ms(),
        file_id: None,
    };
    inner
        .index
        .write(move |ix| ix.begin_intent(&intent))
        .await
        .map_err(|e| error::from_index(e, owner))?;
    let tag = FileTag::marker(bucket, key);
    let stored = match store(inner, &bucket_row.home_group, &tag, 0, &mut tokio::io::empty()).await
    {
        Ok(stored) => stored,
        Err(e) => {
            reject(inner, token).await;
            return Err(error::from_conn(e));
        }
    };
    let file_id = stored.file_id();
    let (t, f) = (token.clone(), file_id.clone());
    if let Err(e) = inner.index.write(move |ix| ix.attach_intent_file(&t, &f)).await {
        // The file stays an orphan for the sweep to find.
        return Err(error::from_index(e, owner));
    }
    Ok(Some(MarkerFile { token, file_id }))
}

/// After the index write: the intent is done, and a marker that was made
/// gets its version tags. Failures only cost the rebuild its order (the
/// marker still rebuilds, as the oldest `null`).
pub(super) async fn settle(inner: &Inner, marker: MarkerFile, deleted: &Deleted) {
    let token = marker.token;
    if let Err(e) = inner.index.write(move |ix| ix.finish_intent(&token)).await {
        tracing::warn!(error = %e, "cannot finish the marker file's intent");
    }
    if let (true, Some(v)) = (deleted.delete_marker, &deleted.version_id) {
        let tags = version_metadata(v, deleted.seq);
        super::object_put::merge_tags(inner, std::slice::from_ref(&marker.file_id), &tags).await;
    }
}

/// After a failed index write: the marker file is dropped.
pub(super) async fn discard(inner: &Inner, marker: MarkerFile) {
    reject(inner, marker.token).await;
}

/// The lifecycle worker's marker files, stored and settled as a DELETE's
/// are ([`crate::lifecycle::markers`]).
#[derive(Clone)]
pub(crate) struct LifecycleMarkers(pub(crate) std::sync::Arc<Inner>);

impl std::fmt::Debug for LifecycleMarkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LifecycleMarkers")
    }
}

impl MarkerFiles for LifecycleMarkers {
    fn prepare<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
    ) -> MarkerFuture<'a, Option<PreparedMarker>> {
        Box::pin(async move {
            match prepare(&self.0, "", bucket, key).await {
                Ok(m) => m.map(|m| PreparedMarker { token: m.token, file_id: m.file_id }),
                Err(e) => {
                    tracing::warn!(bucket, key, error = %e,
                        "lifecycle cannot store a delete marker's file; the marker goes without");
                    None
                }
            }
        })
    }

    fn settle<'a>(
        &'a self,
        marker: PreparedMarker,
        made: Option<&'a Deleted>,
    ) -> MarkerFuture<'a, ()> {
        Box::pin(async move {
            let marker = MarkerFile { token: marker.token, file_id: marker.file_id };
            match made {
                Some(d) => settle(&self.0, marker, d).await,
                None => discard(&self.0, marker).await,
            }
        })
    }
}
