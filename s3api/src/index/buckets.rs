//! Buckets: create, get, list, delete.
//!
//! DeleteBucket refuses a bucket that still holds objects
//! ([`IndexError::BucketNotEmpty`]), like S3. In-progress multipart uploads
//! do not count as content (S3 refuses only for objects): they are aborted
//! in the same transaction and their parts go on the delete queue.

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{IndexError, Result};
use super::types::{Bucket, DeleteReason};
use super::{Index, multipart};

/// The row ID of bucket `name`, or [`IndexError::NoSuchBucket`].
pub(super) fn bucket_id(conn: &Connection, name: &str) -> Result<i64> {
    conn.prepare_cached("SELECT id FROM buckets WHERE name = ?1")?
        .query_row(params![name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| IndexError::NoSuchBucket(name.to_string()))
}

fn row_to_bucket(row: &rusqlite::Row<'_>) -> rusqlite::Result<Bucket> {
    Ok(Bucket {
        name: row.get(0)?,
        home_group: row.get(1)?,
        owner: row.get(2)?,
        created_ms: row.get(3)?,
    })
}

impl Index {
    /// Creates a bucket. A taken name is [`IndexError::BucketExists`] with
    /// the current owner, so the caller can answer
    /// BucketAlreadyOwnedByYou or BucketAlreadyExists.
    pub fn create_bucket(&mut self, bucket: &Bucket) -> Result<()> {
        if bucket.name.is_empty() {
            return Err(IndexError::InvalidArgument("empty bucket name".into()));
        }
        let tx = self.write_tx()?;
        let owner: Option<String> = tx
            .query_row("SELECT owner FROM buckets WHERE name = ?1", params![bucket.name], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(owner) = owner {
            return Err(IndexError::BucketExists { name: bucket.name.clone(), owner });
        }
        tx.execute(
            "INSERT INTO buckets (name, home_group, owner, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![bucket.name, bucket.home_group, bucket.owner, bucket.created_ms],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The bucket `name`, or [`IndexError::NoSuchBucket`].
    pub fn get_bucket(&mut self, name: &str) -> Result<Bucket> {
        self.conn
            .prepare_cached(
                "SELECT name, home_group, owner, created_ms FROM buckets WHERE name = ?1",
            )?
            .query_row(params![name], row_to_bucket)
            .optional()?
            .ok_or_else(|| IndexError::NoSuchBucket(name.to_string()))
    }

    /// Buckets sorted by name: all of them, or those of `owner`.
    pub fn list_buckets(&mut self, owner: Option<&str>) -> Result<Vec<Bucket>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, home_group, owner, created_ms FROM buckets
             WHERE ?1 IS NULL OR owner = ?1 ORDER BY name",
        )?;
        let rows = stmt.query_map(params![owner], row_to_bucket)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Deletes an empty bucket, aborting its multipart uploads. Returns the
    /// file IDs this put on the delete queue.
    pub fn delete_bucket(&mut self, name: &str, now_ms: i64) -> Result<Vec<String>> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        let has_objects: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM objects WHERE bucket_id = ?1)",
            params![id],
            |r| r.get(0),
        )?;
        if has_objects {
            return Err(IndexError::BucketNotEmpty(name.to_string()));
        }
        let uploads: Vec<i64> = tx
            .prepare("SELECT id FROM uploads WHERE bucket_id = ?1")?
            .query_map(params![id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut released = Vec::new();
        for upload in uploads {
            released.extend(multipart::drop_upload(
                &tx,
                upload,
                DeleteReason::UploadAborted,
                now_ms,
            )?);
        }
        tx.execute("DELETE FROM buckets WHERE id = ?1", params![id])?;
        tx.commit()?;
        Ok(released)
    }
}
