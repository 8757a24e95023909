//! Object Lock on multipart uploads: CreateMultipartUpload records the
//! lock its headers (or the bucket's default) asked for on the upload row,
//! and CompleteMultipartUpload hands it to the object it makes, in the
//! completion's own transaction.

use rusqlite::{Connection, params};

use super::Index;
use super::error::Result;
use super::multipart::find_upload;
use super::object_lock::ObjectLock;

/// Copies upload row `upload`'s lock onto the object row `object`.
pub(super) fn hand_to_object(conn: &Connection, upload: i64, object: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE objects SET (lock_mode, lock_until_ms, legal_hold, legal_hold_set) =
         (SELECT lock_mode, lock_until_ms, legal_hold, legal_hold_set FROM uploads WHERE id = ?1)
         WHERE id = ?2",
    )?
    .execute(params![upload, object])?;
    Ok(())
}

impl Index {
    /// Records `lock` on upload `upload_id` of `bucket`/`key` (call it in
    /// the same [`Index::atomically`] as `create_upload`).
    pub fn set_upload_lock(
        &mut self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        lock: &ObjectLock,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let (row, _) = find_upload(&tx, bucket, key, upload_id)?;
        let mode = lock.retention.map(|r| r.mode.as_str());
        let until = lock.retention.map(|r| r.until_ms);
        tx.prepare_cached(
            "UPDATE uploads SET lock_mode = ?1, lock_until_ms = ?2, legal_hold = ?3 WHERE id = ?4",
        )?
        .execute(params![mode, until, i64::from(lock.legal_hold), row])?;
        tx.commit()?;
        Ok(())
    }

    /// Records that upload `upload_id` was created with an explicit
    /// `x-amz-object-lock-legal-hold` (ON or OFF), so the completed
    /// object's hold reads as set (see migrations 10 and 11).
    pub fn mark_upload_hold_set(&mut self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        let tx = self.write_tx()?;
        let (row, _) = find_upload(&tx, bucket, key, upload_id)?;
        tx.prepare_cached("UPDATE uploads SET legal_hold_set = 1 WHERE id = ?1")?
            .execute(params![row])?;
        tx.commit()?;
        Ok(())
    }
}
