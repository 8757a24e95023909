//! CompleteMultipartUpload: validate the client's part list against the
//! stored parts, then write the object, drop the upload and queue unused
//! parts in one transaction.
//!
//! The object row remembers the upload it came from (`objects.upload_id`,
//! cleared by any later write of the key), so a retried completion — the
//! SDK's answer to a reply lost on the way — finds the object it made and
//! answers with it instead of NoSuchUpload, for as long as that object is
//! still the one at the key. Conditions ([`WriteCondition`]) are checked
//! after that, in the same transaction: a retry of a completion that
//! succeeded succeeds again, `If-None-Match: *` or not.

use std::collections::BTreeMap;

use rusqlite::params;

use super::super::Index;
use super::super::conditions::{WriteCondition, check_at};
use super::super::error::{IndexError, Result};
use super::super::objects::check_new;
use super::super::rows::{OBJECT_COLS, object_from_row};
use super::super::types::{DeleteReason, NewObject, ObjectData, ObjectInfo, PartRef};
use super::super::versions::{BucketRow, Content, bucket_row, write_version};
use super::{PartInfo, check_part_number, drop_upload, find_upload, part_from_row};

/// One entry of the client's part list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// The part number.
    pub part_number: u32,
    /// The ETag the client got from UploadPart (quotes optional).
    pub etag: String,
}

/// CompleteMultipartUpload's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteUpload {
    /// The client's part list, which must be in ascending order.
    pub parts: Vec<CompletedPart>,
    /// The object's ETag, computed by the caller from the part ETags
    /// (`md5(concat(md5s))-N`).
    pub etag: String,
    /// The object's checksums; `None` derives them from the parts'
    /// ([`crate::checksum::object_checksums`]).
    pub checksums: Option<BTreeMap<String, String>>,
    /// The smallest size allowed for every part but the last (S3: 5 MiB).
    pub min_part_size: u64,
    /// The completion time, unix ms.
    pub now_ms: i64,
}

/// What a completion produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    /// The object's attributes.
    pub info: ObjectInfo,
    /// The new version's `seq` (for the rebuild tags; 0 for a retry).
    pub seq: i64,
    /// File IDs put on the delete queue (parts left out, and whatever the
    /// new object replaced).
    pub released: Vec<String>,
    /// The upload had already completed into this object: a retry, which
    /// changed nothing.
    pub retried: bool,
}

/// Compares ETags ignoring surrounding quotes.
fn etag_eq(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// Checks the client's list against the stored parts — order first, then
/// each part's existence and ETag, then the minimum size — and builds the
/// manifest.
fn manifest(req: &CompleteUpload, stored: &BTreeMap<u32, PartInfo>) -> Result<Vec<PartRef>> {
    if req.parts.is_empty() {
        return Err(IndexError::NoParts);
    }
    let mut previous = 0;
    for given in &req.parts {
        check_part_number(given.part_number)?;
        if given.part_number <= previous {
            return Err(IndexError::InvalidPartOrder);
        }
        previous = given.part_number;
    }
    let mut parts = Vec::with_capacity(req.parts.len());
    for (i, given) in req.parts.iter().enumerate() {
        let part = stored
            .get(&given.part_number)
            .filter(|p| etag_eq(&p.etag, &given.etag))
            .ok_or(IndexError::InvalidPart(given.part_number))?;
        let last = i + 1 == req.parts.len();
        if !last && part.size < req.min_part_size {
            return Err(IndexError::EntityTooSmall {
                part_number: part.part_number,
                size: part.size,
                min: req.min_part_size,
            });
        }
        parts.push(PartRef {
            part_number: part.part_number,
            file_id: part.file_id.clone(),
            size: part.size,
            etag: part.etag.clone(),
            checksums: part.checksums.clone(),
        });
    }
    Ok(parts)
}

impl Index {
    /// CompleteMultipartUpload. Returns the object's attributes and the
    /// file IDs put on the delete queue (parts left out, and whatever the
    /// new object replaced).
    pub fn complete_upload(
        &mut self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        req: &CompleteUpload,
    ) -> Result<(ObjectInfo, Vec<String>)> {
        let done = self.complete_upload_if(bucket, key, upload_id, req, &WriteCondition::none())?;
        Ok((done.info, done.released))
    }

    /// CompleteMultipartUpload if `cond` holds for the object at `key`;
    /// a retry of a completion that succeeded answers with its object
    /// (see the module docs). On a failed condition nothing changes: the
    /// upload and its parts stay, to be completed or aborted.
    pub fn complete_upload_if(
        &mut self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        req: &CompleteUpload,
        cond: &WriteCondition,
    ) -> Result<Completed> {
        let tx = self.write_tx()?;
        let (row, upload) = match find_upload(&tx, bucket, key, upload_id) {
            Ok(found) => found,
            Err(IndexError::NoSuchUpload(id)) => {
                let b = bucket_row(&tx, bucket)?;
                let info =
                    completed_from(&tx, &b, key, upload_id)?.ok_or(IndexError::NoSuchUpload(id))?;
                tx.commit()?;
                return Ok(Completed { info, seq: 0, released: Vec::new(), retried: true });
            }
            Err(e) => return Err(e),
        };
        let b = bucket_row(&tx, bucket)?;
        check_at(&tx, b.id, bucket, key, cond)?;
        let mut stored = BTreeMap::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT part_number, file_id, size, etag, checksums, last_modified_ms
                 FROM upload_parts WHERE upload_row = ?1",
            )?;
            let mut rows = stmt.query(params![row])?;
            while let Some(r) = rows.next()? {
                let part = part_from_row(r)?;
                stored.insert(part.part_number, part);
            }
        }
        let parts = manifest(req, &stored)?;
        let size = parts
            .iter()
            .try_fold(0_u64, |acc, p| acc.checked_add(p.size))
            .ok_or_else(|| IndexError::InvalidArgument("object size overflows".into()))?;
        let mut meta = upload.meta;
        meta.checksums = match &req.checksums {
            Some(checksums) => checksums.clone(),
            None => {
                let sums: Vec<(&BTreeMap<String, String>, u64)> = parts
                    .iter()
                    .filter_map(|p| stored.get(&p.part_number))
                    .map(|p| (&p.checksums, p.size))
                    .collect();
                crate::checksum::object_checksums(&sums)
            }
        };
        let part_count = parts.len() as u32;
        let obj = NewObject {
            data: ObjectData::Parts(parts),
            size,
            etag: req.etag.clone(),
            meta,
            last_modified_ms: req.now_ms,
        };
        check_new(&obj)?;
        let w = write_version(&tx, &b, key, Content::Object(&obj))?;
        let mut released = w.released;
        tx.prepare_cached("UPDATE objects SET upload_id = ?2 WHERE id = ?1")?
            .execute(params![w.row_id, upload_id])?;
        super::super::lock_uploads::hand_to_object(&tx, row, w.row_id)?;
        released.extend(drop_upload(&tx, row, DeleteReason::PartUnused, req.now_ms)?);
        tx.commit()?;
        let info = ObjectInfo {
            key: key.to_string(),
            size,
            etag: obj.etag,
            last_modified_ms: req.now_ms,
            part_count,
            meta: obj.meta,
            version_id: b.shown(w.version_id),
        };
        Ok(Completed { info, seq: w.seq, released, retried: false })
    }
}

/// The version of `key` that upload `upload_id` completed into, if it is
/// still there (in a versioned bucket it may no longer be the latest).
fn completed_from(
    conn: &rusqlite::Connection,
    bucket: &BucketRow,
    key: &str,
    upload_id: &str,
) -> Result<Option<ObjectInfo>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {OBJECT_COLS} FROM objects
         WHERE bucket_id = ?1 AND key = ?2 AND upload_id = ?3 AND delete_marker = 0"
    ))?;
    let mut rows = stmt.query(params![bucket.id, key.as_bytes(), upload_id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let mut info = object_from_row(row)?.info;
    info.version_id = bucket.shown(info.version_id.unwrap_or_default());
    Ok(Some(info))
}
