//! PutObjectAcl records the new ACL in the version's file tags
//! (`crate::rebuild::acl_tags`), so a rebuilt index restores it.
//!
//! Only a single-file version whose file's own tags name it (its bucket
//! and key) is retagged: a file shared with a CopyObject destination
//! carries its source's ACL, and a copy's ACL must never overwrite it.
//! Like every rebuild tag, a failure here is logged, not answered: the
//! index, which already holds the new ACL, is what requests obey.

use fdfs_protocol::client::storage_socket_addr;
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::file_id::FileId;

use super::super::Inner;
use super::super::object_put::merge_tags;
use crate::index::ObjectData;
use crate::rebuild::acl_tags::acl_metadata;
use crate::rebuild::tags::FileTag;

/// Tags version `version` of `key` in `bucket` with `stored`.
pub(super) async fn retag(
    inner: &Inner,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    stored: Option<&str>,
) {
    let (b, k, v) = (bucket.to_string(), key.to_string(), version.map(str::to_string));
    let record = inner.index.read(move |ix| ix.get_version(&b, &k, v.as_deref())).await;
    let file = match record {
        Ok(r) => match r.data {
            ObjectData::Single(file) => file,
            ObjectData::Parts(_) => return,
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the version to tag its ACL");
            return;
        }
    };
    match names(inner, &file).await {
        Ok(Some((b, k))) if b == bucket && k == key => {
            merge_tags(inner, std::slice::from_ref(&file), &acl_metadata(stored)).await;
        }
        Ok(_) => tracing::debug!(%file, "file shared with another key: ACL not tagged"),
        Err(e) => tracing::warn!(%file, error = %e, "cannot read the file's tags"),
    }
}

/// The bucket and key `file`'s tags name.
async fn names(inner: &Inner, file: &str) -> Result<Option<(String, String)>, ConnError> {
    let id = FileId::parse(file).map_err(|e| ConnError::Protocol(e.to_string()))?;
    let name = id.logic().as_str();
    let target = inner.tracker.query_update(id.group(), name).await?;
    let addr = storage_socket_addr(&target.storage)?;
    let meta = inner.storage.get_metadata(addr, id.group(), name).await?;
    Ok(FileTag::from_metadata(&meta).map(|t| (t.bucket, t.key)))
}
