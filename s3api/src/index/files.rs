//! File refcounts: how many index rows reference each FastDFS file.
//!
//! Every row that names a file — a single-file object, a manifest entry, an
//! uploaded part — holds one reference. Writers [`retain`] the new
//! references *before* they [`release`] the old ones, so a file moving from
//! an upload to an object, or shared by a copy, never touches zero on the
//! way. A release that reaches zero removes the `files` row and enqueues
//! the file for deletion in the caller's transaction.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{IndexError, Result};
use super::types::DeleteReason;
use super::{Index, queue};

/// Adds one reference to `file_id`. A file already on the delete queue
/// cannot be referenced again ([`IndexError::FileQueuedForDeletion`]):
/// a worker may be deleting it.
pub(super) fn retain(conn: &Connection, file_id: &str) -> Result<()> {
    if file_id.is_empty() {
        return Err(IndexError::InvalidArgument("empty file ID".into()));
    }
    let count: i64 = conn
        .prepare_cached(
            "INSERT INTO files (file_id, refcount) VALUES (?1, 1)
             ON CONFLICT (file_id) DO UPDATE SET refcount = refcount + 1 RETURNING refcount",
        )?
        .query_row(params![file_id], |r| r.get(0))?;
    // A new reference to a queued file: the caller's transaction, which
    // this error aborts, rolls the insert back.
    if count == 1 && queue::is_queued(conn, file_id)? {
        return Err(IndexError::FileQueuedForDeletion(file_id.to_string()));
    }
    Ok(())
}

/// Drops one reference to `file_id`; at zero the file goes on the delete
/// queue and `true` is returned. A file with no references at all is a
/// corrupt index.
pub(super) fn release(
    conn: &Connection,
    file_id: &str,
    reason: DeleteReason,
    now_ms: i64,
) -> Result<bool> {
    let count: Option<i64> = conn
        .prepare_cached("SELECT refcount FROM files WHERE file_id = ?1")?
        .query_row(params![file_id], |r| r.get(0))
        .optional()?;
    match count {
        None => Err(IndexError::Corrupt(format!("file {file_id} has no refcount row"))),
        Some(n) if n > 1 => {
            conn.prepare_cached("UPDATE files SET refcount = refcount - 1 WHERE file_id = ?1")?
                .execute(params![file_id])?;
            Ok(false)
        }
        Some(_) => {
            conn.prepare_cached("DELETE FROM files WHERE file_id = ?1")?
                .execute(params![file_id])?;
            queue::enqueue(conn, file_id, reason, now_ms)?;
            Ok(true)
        }
    }
}

/// Releases each of `file_ids`, returning those that went on the queue.
pub(super) fn release_all<'a>(
    conn: &Connection,
    file_ids: impl IntoIterator<Item = &'a str>,
    reason: DeleteReason,
    now_ms: i64,
) -> Result<Vec<String>> {
    let mut released = Vec::new();
    for id in file_ids {
        if release(conn, id, reason, now_ms)? {
            released.push(id.to_string());
        }
    }
    Ok(released)
}

/// Puts `file_id` on the delete queue unless a row references it or it
/// is queued already, in the caller's transaction; whether it was queued.
pub(super) fn enqueue_unreferenced(
    conn: &Connection,
    file_id: &str,
    reason: DeleteReason,
    now_ms: i64,
) -> Result<bool> {
    let referenced: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM files WHERE file_id = ?1)")?
        .query_row(params![file_id], |r| r.get(0))?;
    if referenced || queue::is_queued(conn, file_id)? {
        return Ok(false);
    }
    queue::enqueue(conn, file_id, reason, now_ms)?;
    Ok(true)
}

impl Index {
    /// Whether any index row references `file_id` (the orphan sweep keeps
    /// such files).
    pub fn is_referenced(&mut self, file_id: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM files WHERE file_id = ?1)")?
            .query_row(params![file_id], |r| r.get(0))?)
    }

    /// The subset of `file_ids` that index rows reference, read in one
    /// snapshot (the orphan sweep's bulk check).
    pub fn referenced<'a>(
        &mut self,
        file_ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<HashSet<String>> {
        let tx = self.read_tx()?;
        let mut found = HashSet::new();
        {
            let mut stmt =
                tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM files WHERE file_id = ?1)")?;
            for id in file_ids {
                if stmt.query_row(params![id], |r| r.get::<_, bool>(0))? {
                    found.insert(id.to_string());
                }
            }
        }
        tx.commit()?;
        Ok(found)
    }

    /// The number of index rows referencing `file_id` (0 if none).
    pub fn refcount(&mut self, file_id: &str) -> Result<u64> {
        let n: Option<i64> = self
            .conn
            .prepare_cached("SELECT refcount FROM files WHERE file_id = ?1")?
            .query_row(params![file_id], |r| r.get(0))
            .optional()?;
        super::codec::from_sql_u64(n.unwrap_or(0), "refcount")
    }

    /// Puts a file on the delete queue unless an index row references it
    /// or it is already queued — a file the orphan sweep found, or one the
    /// gateway uploaded but will not index (a checksum mismatch). Checked
    /// and done in one transaction, so a concurrent write cannot slip in
    /// between. Returns whether it was enqueued.
    pub fn enqueue_delete(
        &mut self,
        file_id: &str,
        reason: DeleteReason,
        now_ms: i64,
    ) -> Result<bool> {
        let tx = self.write_tx()?;
        let queued = enqueue_unreferenced(&tx, file_id, reason, now_ms)?;
        tx.commit()?;
        Ok(queued)
    }
}
