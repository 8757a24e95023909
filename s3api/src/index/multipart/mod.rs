//! Multipart uploads: create, upload part, list parts and uploads,
//! complete, abort, and the stale-upload query for a reaper.
//!
//! Each uploaded part holds a reference to its file (see `files`).
//! Re-uploading a part number releases the old part's file; aborting
//! releases them all; completing writes the object with a `Parts` manifest
//! that retains the parts it uses, then drops the upload, so unused parts
//! reach zero and go on the delete queue — all in one transaction.
//!
//! Upload IDs are 12 hex digits of the creation time (ms) followed by 32
//! random hex digits: unguessable, and sorting a key's uploads by ID sorts
//! them by initiation, which is the order ListMultipartUploads promises.

mod complete;
mod list;

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};

pub use complete::{CompleteUpload, Completed, CompletedPart};
pub use list::{PartsPage, UploadListQuery, UploadPage};

use super::buckets::bucket_id;
use super::codec::{from_sql_u32, from_sql_u64, key_from_blob, to_sql_u64};
use super::error::{IndexError, Result};
use super::rows::{META_COLS, MetaValues, meta_from_row};
use super::types::{DeleteReason, ObjectMeta};
use super::{Index, files, intents};

/// The highest part number S3 allows.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Its bucket.
    pub bucket: String,
    /// The key it will complete to.
    pub key: String,
    /// Its upload ID.
    pub upload_id: String,
    /// When it was initiated, unix ms.
    pub created_ms: i64,
    /// The metadata CreateMultipartUpload gave, for the object.
    pub meta: ObjectMeta,
}

/// One uploaded part (UploadPart's input, ListParts' output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// 1..=10000.
    pub part_number: u32,
    /// The FastDFS file holding it; the storage has acknowledged it.
    pub file_id: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag.
    pub etag: String,
    /// Its checksums by algorithm.
    pub checksums: BTreeMap<String, String>,
    /// When it was uploaded, unix ms.
    pub last_modified_ms: i64,
}

/// A fresh upload ID (or any unguessable token) whose order follows `now_ms`.
pub fn random_id(now_ms: i64) -> String {
    let time = now_ms.clamp(0, 0xFFFF_FFFF_FFFF);
    format!("{time:012x}{:032x}", rand::random::<u128>())
}

/// Drops upload row `upload` and its parts, releasing their files with
/// `reason`; returns the file IDs put on the delete queue.
pub(super) fn drop_upload(
    conn: &Connection,
    upload: i64,
    reason: DeleteReason,
    now_ms: i64,
) -> Result<Vec<String>> {
    let file_ids: Vec<String> = conn
        .prepare_cached("SELECT file_id FROM upload_parts WHERE upload_row = ?1")?
        .query_map(params![upload], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    conn.prepare_cached("DELETE FROM upload_parts WHERE upload_row = ?1")?
        .execute(params![upload])?;
    conn.prepare_cached("DELETE FROM uploads WHERE id = ?1")?.execute(params![upload])?;
    files::release_all(conn, file_ids.iter().map(String::as_str), reason, now_ms)
}

/// The row ID and record of upload `upload_id` of `bucket`/`key`, or
/// [`IndexError::NoSuchUpload`] (also when it belongs to another key).
pub(super) fn find_upload(
    conn: &Connection,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<(i64, Upload)> {
    let bucket_row = bucket_id(conn, bucket)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, bucket_id, key, created_ms, {META_COLS} FROM uploads WHERE upload_id = ?1"
    ))?;
    let mut rows = stmt.query(params![upload_id])?;
    let no_such = || IndexError::NoSuchUpload(upload_id.to_string());
    let row = rows.next()?.ok_or_else(no_such)?;
    let (id, found_bucket): (i64, i64) = (row.get(0)?, row.get(1)?);
    let found_key = key_from_blob(row.get(2)?)?;
    if found_bucket != bucket_row || found_key != key {
        return Err(no_such());
    }
    let upload = Upload {
        bucket: bucket.to_string(),
        key: found_key,
        upload_id: upload_id.to_string(),
        created_ms: row.get(3)?,
        meta: meta_from_row(row, 4)?,
    };
    Ok((id, upload))
}

fn check_part_number(n: u32) -> Result<()> {
    if (1..=MAX_PART_NUMBER).contains(&n) { Ok(()) } else { Err(IndexError::InvalidPartNumber(n)) }
}

/// Reads an `upload_parts` row selected as
/// `part_number, file_id, size, etag, checksums, last_modified_ms`.
pub(super) fn part_from_row(row: &rusqlite::Row<'_>) -> Result<PartInfo> {
    let checksums: Vec<u8> = row.get(4)?;
    Ok(PartInfo {
        part_number: from_sql_u32(row.get(0)?, "part_number")?,
        file_id: row.get(1)?,
        size: from_sql_u64(row.get(2)?, "part size")?,
        etag: row.get(3)?,
        checksums: super::codec::decode_map(&checksums)?,
        last_modified_ms: row.get(5)?,
    })
}

impl Index {
    /// CreateMultipartUpload: records the upload with its metadata and
    /// returns its new upload ID.
    pub fn create_upload(
        &mut self,
        bucket: &str,
        key: &str,
        meta: &ObjectMeta,
        now_ms: i64,
    ) -> Result<String> {
        let tx = self.write_tx()?;
        let bucket_row = bucket_id(&tx, bucket)?;
        let upload_id = random_id(now_ms);
        let meta = MetaValues::new(meta)?;
        let key_bytes = key.as_bytes();
        let mut values: Vec<&dyn rusqlite::ToSql> =
            vec![&upload_id, &bucket_row, &key_bytes, &now_ms];
        values.extend(meta.values());
        tx.execute(
            &format!(
                "INSERT INTO uploads (upload_id, bucket_id, key, created_ms, {META_COLS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
            ),
            rusqlite::params_from_iter(values),
        )?;
        tx.commit()?;
        Ok(upload_id)
    }

    /// The upload `upload_id` of `bucket`/`key`.
    pub fn get_upload(&mut self, bucket: &str, key: &str, upload_id: &str) -> Result<Upload> {
        let tx = self.read_tx()?;
        let (_, upload) = find_upload(&tx, bucket, key, upload_id)?;
        tx.commit()?;
        Ok(upload)
    }

    /// UploadPart: records a part the storage has acknowledged, replacing
    /// (and queueing the file of) an earlier part with the same number;
    /// finishes upload intent `intent` in the same transaction. Returns the
    /// file IDs put on the delete queue.
    pub fn upload_part(
        &mut self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part: &PartInfo,
        intent: Option<&str>,
    ) -> Result<Vec<String>> {
        check_part_number(part.part_number)?;
        let size = to_sql_u64(part.size, "part size")?;
        let checksums = super::codec::encode_map(&part.checksums)?;
        let tx = self.write_tx()?;
        let (row, _) = find_upload(&tx, bucket, key, upload_id)?;
        if let Some(token) = intent {
            intents::finish(&tx, token)?;
        }
        files::retain(&tx, &part.file_id)?;
        let old: Option<String> = tx
            .query_row(
                "SELECT file_id FROM upload_parts WHERE upload_row = ?1 AND part_number = ?2",
                params![row, part.part_number],
                |r| r.get(0),
            )
            .optional()?;
        tx.execute(
            "INSERT INTO upload_parts
             (upload_row, part_number, file_id, size, etag, checksums, last_modified_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (upload_row, part_number) DO UPDATE SET file_id = excluded.file_id,
             size = excluded.size, etag = excluded.etag, checksums = excluded.checksums,
             last_modified_ms = excluded.last_modified_ms",
            params![
                row,
                part.part_number,
                part.file_id,
                size,
                part.etag,
                checksums,
                part.last_modified_ms
            ],
        )?;
        let released = files::release_all(
            &tx,
            old.as_deref(),
            DeleteReason::PartReplaced,
            part.last_modified_ms,
        )?;
        tx.commit()?;
        Ok(released)
    }

    /// AbortMultipartUpload: drops the upload; its parts' files go on the
    /// delete queue (returned).
    pub fn abort_upload(
        &mut self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        now_ms: i64,
    ) -> Result<Vec<String>> {
        let tx = self.write_tx()?;
        let (row, _) = find_upload(&tx, bucket, key, upload_id)?;
        let released = drop_upload(&tx, row, DeleteReason::UploadAborted, now_ms)?;
        tx.commit()?;
        Ok(released)
    }

    /// Uploads initiated before `before_ms`, oldest first, at most
    /// `limit`: what a reaper aborts.
    pub fn stale_uploads(&mut self, before_ms: i64, limit: usize) -> Result<Vec<Upload>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT b.name, u.key, u.upload_id, u.created_ms, {} FROM uploads u
             JOIN buckets b ON b.id = u.bucket_id
             WHERE u.created_ms < ?1 ORDER BY u.created_ms, u.upload_id LIMIT ?2",
            META_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![before_ms, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(Upload {
                bucket: row.get(0)?,
                key: key_from_blob(row.get(1)?)?,
                upload_id: row.get(2)?,
                created_ms: row.get(3)?,
                meta: meta_from_row(row, 4)?,
            });
        }
        Ok(out)
    }
}
