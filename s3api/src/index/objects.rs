//! Objects: put (insert or replace), get, head, delete, copy.
//!
//! Every write retains the new row's file IDs before it releases the old
//! row's (see `files`), and returns the file IDs it put on the delete
//! queue so the caller can nudge the delete worker. The `*_if` forms take
//! a [`WriteCondition`] checked in the same transaction (`conditions`).

use std::sync::LazyLock;

use rusqlite::{Connection, ToSql, params, params_from_iter};

use super::codec::to_sql_u64;
use super::conditions::{WriteCondition, check_at, check_version_at};
use super::error::{IndexError, Result};
use super::rows::{META_COLS, MetaValues, find_object, object_data, owned_file_ids};
use super::types::{
    DeleteReason, Deleted, MetaDirective, NewObject, ObjectData, ObjectInfo, ObjectRecord, Written,
};
use super::versions::{
    Content, bucket_row, check_version_id, delete_version, readable, write_version,
};
use super::{Index, files, intents, object_lock};

/// Inserts an object row unless the key exists (formatted once: this is
/// the per-object hot path of bulk imports).
static INSERT_OBJECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO objects (bucket_id, key, file_id, part_count, size, etag,
         last_modified_ms, {META_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
         ?11, ?12, ?13, ?14, ?15, ?16, ?17) ON CONFLICT DO NOTHING"
    )
});

/// The most parts a manifest may have (S3's limit).
pub const MAX_PARTS: usize = 10_000;

pub(super) fn check_new(obj: &NewObject) -> Result<()> {
    if let ObjectData::Parts(parts) = &obj.data {
        if parts.is_empty() || parts.len() > MAX_PARTS {
            return Err(IndexError::InvalidArgument(format!("{} parts", parts.len())));
        }
        let total = parts.iter().try_fold(0_u64, |acc, p| acc.checked_add(p.size));
        if total != Some(obj.size) {
            return Err(IndexError::InvalidArgument(format!(
                "object size {} is not the sum of its parts",
                obj.size
            )));
        }
    }
    Ok(())
}

/// Writes `obj` at `key` of a never-versioned bucket, replacing any
/// object there in place, in the caller's transaction. Returns the row ID
/// and the file IDs the replacement put on the queue. (Versioned buckets:
/// [`super::versions::write_version`].)
pub(super) fn write_object(
    conn: &Connection,
    bucket: i64,
    key: &str,
    obj: &NewObject,
) -> Result<(i64, Vec<String>)> {
    check_new(obj)?;
    for id in obj.data.file_ids() {
        files::retain(conn, id)?;
    }
    let (single, part_count) = match &obj.data {
        ObjectData::Single(id) => (Some(id.as_str()), 0),
        ObjectData::Parts(parts) => (None, parts.len() as i64),
    };
    let size = to_sql_u64(obj.size, "size")?;
    let meta = MetaValues::new(&obj.meta)?;
    let key_bytes = key.as_bytes();
    let mut values: Vec<&dyn ToSql> =
        vec![&bucket, &key_bytes, &single, &part_count, &size, &obj.etag, &obj.last_modified_ms];
    values.extend(meta.values());
    // The common case, a new key, is one statement; a replace finds the
    // old row, collects its files and rewrites it in place.
    let inserted = conn.prepare_cached(&INSERT_OBJECT)?.execute(params_from_iter(values.iter()))?;
    let (object_id, old_files) = if inserted == 1 {
        (conn.last_insert_rowid(), Vec::new())
    } else {
        let row = find_object(conn, bucket, key)?
            .ok_or_else(|| IndexError::Corrupt(format!("object {key:?} vanished")))?;
        // Replacing in place removes the old object: a locked one stays.
        object_lock::guard_removal(conn, row.id, key, obj.last_modified_ms, false)?;
        object_lock::write_row_lock(conn, row.id, &object_lock::ObjectLock::default())?;
        let old_files = owned_file_ids(conn, &row)?;
        conn.prepare_cached("DELETE FROM object_parts WHERE object_id = ?1")?
            .execute(params![row.id])?;
        values.push(&row.id);
        conn.prepare_cached(
            "UPDATE objects SET bucket_id = ?1, key = ?2, file_id = ?3, part_count = ?4,
             size = ?5, etag = ?6, last_modified_ms = ?7, content_type = ?8,
             content_encoding = ?9, content_disposition = ?10, content_language = ?11,
             cache_control = ?12, expires = ?13, storage_class = ?14, user_meta = ?15,
             checksums = ?16, encryption = ?17, upload_id = NULL, acl = NULL WHERE id = ?18",
        )?
        .execute(params_from_iter(values))?;
        (row.id, old_files)
    };
    insert_parts(conn, object_id, &obj.data)?;
    let released = files::release_all(
        conn,
        old_files.iter().map(String::as_str),
        DeleteReason::Overwritten,
        obj.last_modified_ms,
    )?;
    Ok((object_id, released))
}

/// Writes the manifest of a multipart object's new row `object_id`.
pub(super) fn insert_parts(conn: &Connection, object_id: i64, data: &ObjectData) -> Result<()> {
    let ObjectData::Parts(parts) = data else {
        return Ok(());
    };
    let mut insert = conn.prepare_cached(
        "INSERT INTO object_parts (object_id, idx, part_number, file_id, size, etag, checksums)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (idx, p) in parts.iter().enumerate() {
        let size = to_sql_u64(p.size, "part size")?;
        insert.execute(params![
            object_id,
            idx as i64,
            p.part_number,
            p.file_id,
            size,
            p.etag,
            super::codec::encode_map(&p.checksums)?
        ])?;
    }
    Ok(())
}

impl Index {
    /// Writes an object whose bytes the storage has acknowledged — in a
    /// never-versioned bucket replacing any object at `key`, in a
    /// versioned one as a new version — and finishes upload intent
    /// `intent` in the same transaction. Returns the file IDs put on the
    /// delete queue.
    pub fn put_object(
        &mut self,
        bucket: &str,
        key: &str,
        obj: &NewObject,
        intent: Option<&str>,
    ) -> Result<Vec<String>> {
        Ok(self.put_version_if(bucket, key, obj, intent, &WriteCondition::none())?.released)
    }

    /// [`Index::put_object`] if `cond` holds for the object at `key` when
    /// the write lands; else [`IndexError::PreconditionFailed`] (or
    /// `NoSuchKey`) and nothing is written — the intent stays open for the
    /// caller to abandon, which queues the uploaded file.
    pub fn put_object_if(
        &mut self,
        bucket: &str,
        key: &str,
        obj: &NewObject,
        intent: Option<&str>,
        cond: &WriteCondition,
    ) -> Result<Vec<String>> {
        Ok(self.put_version_if(bucket, key, obj, intent, cond)?.released)
    }

    /// [`Index::put_object_if`], answering the new version's ID too.
    pub fn put_version_if(
        &mut self,
        bucket: &str,
        key: &str,
        obj: &NewObject,
        intent: Option<&str>,
        cond: &WriteCondition,
    ) -> Result<Written> {
        check_new(obj)?;
        let tx = self.write_tx()?;
        let b = bucket_row(&tx, bucket)?;
        check_at(&tx, b.id, bucket, key, cond)?;
        if let Some(token) = intent {
            intents::finish(&tx, token)?;
        }
        let w = write_version(&tx, &b, key, Content::Object(obj))?;
        tx.commit()?;
        Ok(Written { version_id: b.shown(w.version_id), seq: w.seq, released: w.released })
    }

    /// Writes many objects in one transaction (bulk import, index rebuild).
    pub fn put_objects(
        &mut self,
        bucket: &str,
        objects: &[(String, NewObject)],
    ) -> Result<Vec<String>> {
        let tx = self.write_tx()?;
        let b = bucket_row(&tx, bucket)?;
        let mut released = Vec::new();
        for (key, obj) in objects {
            check_new(obj)?;
            released.extend(write_version(&tx, &b, key, Content::Object(obj))?.released);
        }
        tx.commit()?;
        Ok(released)
    }

    /// The current object at `key` with its manifest: as
    /// [`Index::get_version`] without a version ID.
    pub fn get_object(&mut self, bucket: &str, key: &str) -> Result<ObjectRecord> {
        self.get_version(bucket, key, None)
    }

    /// The current object's attributes without its manifest.
    pub fn head_object(&mut self, bucket: &str, key: &str) -> Result<ObjectInfo> {
        self.head_version(bucket, key, None)
    }

    /// Deletes the object at `key` without a version ID (see
    /// [`Index::delete_version_if`]): `None` if nothing was removed or
    /// created, else the file IDs put on the delete queue.
    pub fn delete_object(
        &mut self,
        bucket: &str,
        key: &str,
        now_ms: i64,
    ) -> Result<Option<Vec<String>>> {
        self.delete_object_if(bucket, key, now_ms, &WriteCondition::none())
    }

    /// [`Index::delete_object`] if `cond` holds for the object at `key`
    /// (DeleteObject with `If-Match`: an ETag or `*`; a missing object is
    /// `NoSuchKey`).
    pub fn delete_object_if(
        &mut self,
        bucket: &str,
        key: &str,
        now_ms: i64,
        cond: &WriteCondition,
    ) -> Result<Option<Vec<String>>> {
        let d = self.delete_version_if(bucket, key, None, None, now_ms, cond)?;
        Ok(d.found.then_some(d.released))
    }

    /// DeleteObjects: deletes each key in one transaction; per key as
    /// [`Index::delete_object`].
    pub fn delete_objects(
        &mut self,
        bucket: &str,
        keys: &[String],
        now_ms: i64,
    ) -> Result<Vec<Option<Vec<String>>>> {
        let targets: Vec<DeleteTarget> =
            keys.iter().map(|k| DeleteTarget::key(k.clone(), WriteCondition::none())).collect();
        self.delete_versions_if(bucket, &targets, now_ms)?
            .into_iter()
            .map(|r| r.map(|d| d.found.then_some(d.released)))
            .collect()
    }

    /// DeleteObjects with a condition per key (the `ETag` of each
    /// `Object`): one transaction; a key whose condition fails is left in
    /// place and gets its own error, the others are deleted. Per key as
    /// [`Index::delete_object_if`].
    pub fn delete_objects_if(
        &mut self,
        bucket: &str,
        keys: &[(String, WriteCondition)],
        now_ms: i64,
    ) -> Result<Vec<Result<Option<Vec<String>>>>> {
        let targets: Vec<DeleteTarget> =
            keys.iter().map(|(k, c)| DeleteTarget::key(k.clone(), c.clone())).collect();
        Ok(self
            .delete_versions_if(bucket, &targets, now_ms)?
            .into_iter()
            .map(|r| r.map(|d| d.found.then_some(d.released)))
            .collect())
    }

    /// DeleteObjects with a version ID and a condition per entry: one
    /// transaction; an entry whose condition fails (or whose version ID is
    /// malformed) gets its own error, the others are deleted. Per entry as
    /// [`Index::delete_version_if`].
    pub fn delete_versions_if(
        &mut self,
        bucket: &str,
        targets: &[DeleteTarget],
        now_ms: i64,
    ) -> Result<Vec<Result<Deleted>>> {
        let tx = self.write_tx()?;
        let b = bucket_row(&tx, bucket)?;
        let mut out = Vec::with_capacity(targets.len());
        for t in targets {
            let version = t.version_id.as_deref();
            let checked = check_version_id(version)
                .and_then(|()| check_version_at(&tx, b.id, bucket, &t.key, version, &t.cond));
            match checked {
                Ok(()) => {
                    let marker = t.marker_file.as_deref();
                    match delete_version(&tx, &b, &t.key, version, marker, now_ms, t.bypass) {
                        Ok(d) => out.push(Ok(d)),
                        // A locked version gets its own AccessDenied; the
                        // others go.
                        Err(e @ IndexError::ObjectLocked(_)) => out.push(Err(e)),
                        Err(e) => return Err(e),
                    }
                }
                Err(
                    e @ (IndexError::PreconditionFailed(_)
                    | IndexError::NoSuchKey { .. }
                    | IndexError::InvalidArgument(_)),
                ) => out.push(Err(e)),
                Err(e) => return Err(e),
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// CopyObject of a whole object: the destination shares the source's
    /// file IDs (refcounts go up, no bytes move). Source read and
    /// destination write are one transaction, so a concurrent delete of
    /// the source cannot free the files under the copy. Returns the new
    /// object's attributes and the file IDs the overwrite put on the queue.
    /// S3's rule that a copy onto itself must change something (REPLACE)
    /// is the caller's to enforce; here it is a harmless rewrite.
    pub fn copy_object(
        &mut self,
        src: (&str, &str),
        dst: (&str, &str),
        directive: MetaDirective,
        now_ms: i64,
    ) -> Result<(ObjectInfo, Vec<String>)> {
        self.copy_object_if(src, dst, directive, now_ms, &WriteCondition::none())
    }

    /// [`Index::copy_object`] if `cond` holds for the object at the
    /// destination (CopyObject's own `If-Match` / `If-None-Match`, not the
    /// `x-amz-copy-source-if-*` ones, which are about the source).
    pub fn copy_object_if(
        &mut self,
        src: (&str, &str),
        dst: (&str, &str),
        directive: MetaDirective,
        now_ms: i64,
        cond: &WriteCondition,
    ) -> Result<(ObjectInfo, Vec<String>)> {
        let c = self.copy_version_if(src, None, dst, directive, now_ms, cond)?;
        Ok((c.info, c.released))
    }

    /// [`Index::copy_object_if`] from version `src_version` of the source
    /// (`None`: its current object). A delete marker as the source is
    /// [`IndexError::DeleteMarker`], a missing version `NoSuchVersion`.
    pub fn copy_version_if(
        &mut self,
        src: (&str, &str),
        src_version: Option<&str>,
        dst: (&str, &str),
        directive: MetaDirective,
        now_ms: i64,
        cond: &WriteCondition,
    ) -> Result<Copied> {
        check_version_id(src_version)?;
        let tx = self.write_tx()?;
        let src_bucket = bucket_row(&tx, src.0)?;
        let dst_bucket = bucket_row(&tx, dst.0)?;
        check_at(&tx, dst_bucket.id, dst.0, dst.1, cond)?;
        let row = readable(&tx, &src_bucket, src.0, src.1, src_version)?;
        let data = object_data(&tx, &row)?;
        let meta = match directive {
            MetaDirective::Copy => row.info.meta,
            MetaDirective::Replace(meta) => *meta,
        };
        let obj = NewObject {
            data,
            size: row.info.size,
            etag: row.info.etag,
            meta,
            last_modified_ms: now_ms,
        };
        check_new(&obj)?;
        let w = write_version(&tx, &dst_bucket, dst.1, Content::Object(&obj))?;
        tx.commit()?;
        let info = ObjectInfo {
            key: dst.1.to_string(),
            size: obj.size,
            etag: obj.etag,
            last_modified_ms: now_ms,
            part_count: row.info.part_count,
            meta: obj.meta,
            version_id: dst_bucket.shown(w.version_id),
        };
        let source_version_id = src_bucket.shown(row.info.version_id.unwrap_or_default());
        Ok(Copied { info, source_version_id, seq: w.seq, released: w.released })
    }
}

/// What [`Index::copy_version_if`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The new object (its `version_id` is the new version's).
    pub info: ObjectInfo,
    /// The source version copied (`x-amz-copy-source-version-id`);
    /// `None` when the source bucket was never versioned.
    pub source_version_id: Option<String>,
    /// The new version's `seq` (for the rebuild tags).
    pub seq: i64,
    /// The file IDs the write put on the delete queue.
    pub released: Vec<String>,
}

/// One entry of DeleteObjects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTarget {
    /// The key.
    pub key: String,
    /// The version to remove; `None` deletes the current object.
    pub version_id: Option<String>,
    /// The entry's condition.
    pub cond: WriteCondition,
    /// The file recording the delete marker this may create (see
    /// [`Index::delete_version_if`]).
    pub marker_file: Option<String>,
    /// `x-amz-bypass-governance-retention`: removing a version under an
    /// unexpired GOVERNANCE retention is allowed.
    pub bypass: bool,
}

impl DeleteTarget {
    /// A delete of `key`'s current object under `cond`.
    pub fn key(key: String, cond: WriteCondition) -> Self {
        Self { key, version_id: None, cond, marker_file: None, bypass: false }
    }
}
