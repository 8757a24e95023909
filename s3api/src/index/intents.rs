//! Upload intents: a journal that lets the orphan sweep find files whose
//! upload never reached the index.
//!
//! A PUT (or UploadPart) that crashes after the storage stored the bytes
//! but before the index row was written leaves a file nothing references.
//! Two mechanisms find such files:
//!
//! 1. **Intents (preferred).** Before sending bytes the gateway records
//!    [`Index::begin_intent`] (bucket, key, target group, start time);
//!    when the storage returns the file ID it records
//!    [`Index::attach_intent_file`]; the index write that references the
//!    file finishes the intent in the same transaction (`put_object`'s and
//!    `upload_part`'s `intent` argument). The sweep looks at
//!    [`Index::stale_intents`] and calls [`Index::abandon_intent`], which
//!    queues the named file for deletion if nothing references it. An
//!    intent without a file ID (crash before the storage answered, or
//!    between its answer and the attach) tells the sweep which group and
//!    time window to scan on the storages.
//! 2. **Full comparison.** The sweep lists files on the storages (each
//!    carries its bucket and key in its metadata), skips files younger
//!    than the oldest open intent (or than a grace period), and hands the rest for which
//!    [`Index::referenced`] is false to [`Index::enqueue_delete`], which
//!    re-checks the reference in its own transaction.
//!
//! The intent costs one extra small commit per upload before the bytes
//! flow; the attach is a second one, which a gateway may skip when it
//! relies on the time-window scan instead.

use rusqlite::{Connection, OptionalExtension, params};

use super::codec::key_from_blob;
use super::error::{IndexError, Result};
use super::types::DeleteReason;
use super::{Index, queue};

/// A recorded upload intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The caller's unique token (e.g. [`super::random_id`]).
    pub token: String,
    /// The target bucket.
    pub bucket: String,
    /// The target key.
    pub key: String,
    /// The group the bytes are going to.
    pub group: String,
    /// When the upload began, unix ms.
    pub started_ms: i64,
    /// The file the storage returned, once attached.
    pub file_id: Option<String>,
}

/// Removes intent `token`; a missing one is fine (the sweep may have
/// abandoned it, in which case its file is queued and referencing it fails).
pub(super) fn finish(conn: &Connection, token: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM upload_intents WHERE token = ?1")?.execute(params![token])?;
    Ok(())
}

impl Index {
    /// Records an upload about to send bytes. `intent.file_id` is ignored.
    pub fn begin_intent(&mut self, intent: &Intent) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO upload_intents (token, bucket, key, group_name, started_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                intent.token,
                intent.bucket,
                intent.key.as_bytes(),
                intent.group,
                intent.started_ms
            ])?;
        Ok(())
    }

    /// Records the file ID the storage returned for intent `token`.
    pub fn attach_intent_file(&mut self, token: &str, file_id: &str) -> Result<()> {
        let n = self
            .conn
            .prepare_cached("UPDATE upload_intents SET file_id = ?2 WHERE token = ?1")?
            .execute(params![token, file_id])?;
        if n == 0 {
            return Err(IndexError::NoSuchIntent(token.to_string()));
        }
        Ok(())
    }

    /// Drops intent `token` without writing an object (the upload failed
    /// cleanly and the caller deleted its bytes itself). `false` if absent.
    pub fn finish_intent(&mut self, token: &str) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM upload_intents WHERE token = ?1")?
            .execute(params![token])?;
        Ok(n > 0)
    }

    /// Intents begun before `before_ms`, oldest first, at most `limit`.
    pub fn stale_intents(&mut self, before_ms: i64, limit: usize) -> Result<Vec<Intent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT token, bucket, key, group_name, started_ms, file_id FROM upload_intents
             WHERE started_ms < ?1 ORDER BY started_ms, token LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![before_ms, limit])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(Intent {
                token: row.get(0)?,
                bucket: row.get(1)?,
                key: key_from_blob(row.get(2)?)?,
                group: row.get(3)?,
                started_ms: row.get(4)?,
                file_id: row.get(5)?,
            });
        }
        Ok(out)
    }

    /// The sweep gives up on intent `token`: drops it and, if it names a
    /// file that no index row references and that is not queued yet,
    /// queues that file as an orphan. Returns the queued file ID.
    pub fn abandon_intent(&mut self, token: &str, now_ms: i64) -> Result<Option<String>> {
        let tx = self.write_tx()?;
        let file_id: Option<Option<String>> = tx
            .query_row("SELECT file_id FROM upload_intents WHERE token = ?1", params![token], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(file_id) = file_id else {
            return Err(IndexError::NoSuchIntent(token.to_string()));
        };
        finish(&tx, token)?;
        let mut queued = None;
        if let Some(file_id) = file_id {
            let referenced: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM files WHERE file_id = ?1)",
                params![file_id],
                |r| r.get(0),
            )?;
            if !referenced && !queue::is_queued(&tx, &file_id)? {
                queue::enqueue(&tx, &file_id, DeleteReason::Orphan, now_ms)?;
                queued = Some(file_id);
            }
        }
        tx.commit()?;
        Ok(queued)
    }
}
