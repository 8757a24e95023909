//! The persistent delete queue: file IDs whose last index reference is
//! gone, waiting for a background worker to delete them from the storages.
//!
//! Entries are added only inside the transaction that dropped the last
//! reference (or by the orphan sweep), so a crash can never lose one. A
//! worker [`Index::take_deletes`] a batch: each entry's `attempts` goes up
//! and it becomes invisible for a lease (`RetryPolicy::lease_ms`); a
//! worker that dies mid-batch simply lets the lease expire and the entries
//! come back. After a delete the worker [`Index::ack_delete`]s the entry
//! (a storage answering "no such file" counts as done); after a failure
//! [`Index::fail_delete`] reschedules it with exponential backoff.

use rusqlite::{Connection, OptionalExtension, params};

use super::Index;
use super::codec::from_sql_u32;
use super::error::{IndexError, Result};
use super::types::DeleteReason;

/// Lease and backoff of the delete queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long a taken entry stays invisible to other takers.
    pub lease_ms: i64,
    /// The delay after the first failure; doubled after each further one.
    pub base_backoff_ms: i64,
    /// The longest delay between attempts.
    pub max_backoff_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { lease_ms: 60_000, base_backoff_ms: 1_000, max_backoff_ms: 3_600_000 }
    }
}

impl RetryPolicy {
    /// The delay before the next attempt after `attempts` failed ones.
    pub fn backoff_ms(&self, attempts: u32) -> i64 {
        let shift = attempts.saturating_sub(1).min(62);
        self.base_backoff_ms.max(0).saturating_mul(1_i64 << shift).min(self.max_backoff_ms)
    }
}

/// One delete-queue entry as handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedDelete {
    /// The entry's ID, for [`Index::ack_delete`] / [`Index::fail_delete`].
    pub id: i64,
    /// The file to delete.
    pub file_id: String,
    /// Why it was queued.
    pub reason: DeleteReason,
    /// When it was queued, unix ms.
    pub enqueued_ms: i64,
    /// Attempts so far, including the one this take starts.
    pub attempts: u32,
}

/// Adds `file_id` to the queue, due at once.
pub(super) fn enqueue(
    conn: &Connection,
    file_id: &str,
    reason: DeleteReason,
    now_ms: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO delete_queue (file_id, reason, enqueued_ms, attempts, next_attempt_ms)
         VALUES (?1, ?2, ?3, 0, ?3)",
    )?
    .execute(params![file_id, reason.as_str(), now_ms])?;
    Ok(())
}

/// Whether `file_id` has a queue entry.
pub(super) fn is_queued(conn: &Connection, file_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM delete_queue WHERE file_id = ?1)")?
        .query_row(params![file_id], |r| r.get(0))?)
}

impl Index {
    /// Takes up to `limit` entries due at `now_ms`, oldest due first, and
    /// leases them for `policy.lease_ms`.
    pub fn take_deletes(
        &mut self,
        limit: usize,
        now_ms: i64,
        policy: &RetryPolicy,
    ) -> Result<Vec<QueuedDelete>> {
        let tx = self.write_tx()?;
        let mut batch = Vec::new();
        {
            let mut select = tx.prepare_cached(
                "SELECT id, file_id, reason, enqueued_ms, attempts FROM delete_queue
                 WHERE next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT ?2",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut rows = select.query(params![now_ms, limit])?;
            while let Some(row) = rows.next()? {
                let reason: String = row.get(2)?;
                batch.push(QueuedDelete {
                    id: row.get(0)?,
                    file_id: row.get(1)?,
                    reason: DeleteReason::parse(&reason)
                        .ok_or_else(|| IndexError::Corrupt(format!("delete reason {reason:?}")))?,
                    enqueued_ms: row.get(3)?,
                    attempts: from_sql_u32(row.get(4)?, "attempts")?.saturating_add(1),
                });
            }
            let mut lease = tx.prepare_cached(
                "UPDATE delete_queue SET attempts = ?2, next_attempt_ms = ?3 WHERE id = ?1",
            )?;
            let until = now_ms.saturating_add(policy.lease_ms);
            for entry in &batch {
                lease.execute(params![entry.id, entry.attempts, until])?;
            }
        }
        tx.commit()?;
        Ok(batch)
    }

    /// Removes a done entry. `false` if it was already gone.
    pub fn ack_delete(&mut self, id: i64) -> Result<bool> {
        let n = self.conn.execute("DELETE FROM delete_queue WHERE id = ?1", params![id])?;
        Ok(n > 0)
    }

    /// Reschedules a failed entry with backoff, recording `error`. Returns
    /// when it is due again, or `None` if the entry is gone.
    pub fn fail_delete(
        &mut self,
        id: i64,
        now_ms: i64,
        error: &str,
        policy: &RetryPolicy,
    ) -> Result<Option<i64>> {
        let tx = self.write_tx()?;
        let attempts: Option<i64> = tx
            .query_row("SELECT attempts FROM delete_queue WHERE id = ?1", params![id], |r| r.get(0))
            .optional()?;
        let Some(attempts) = attempts else {
            return Ok(None);
        };
        let due = now_ms.saturating_add(policy.backoff_ms(from_sql_u32(attempts, "attempts")?));
        tx.execute(
            "UPDATE delete_queue SET next_attempt_ms = ?2, last_error = ?3 WHERE id = ?1",
            params![id, due, error],
        )?;
        tx.commit()?;
        Ok(Some(due))
    }

    /// The number of queued entries (due or not).
    pub fn delete_queue_len(&mut self) -> Result<u64> {
        let n: i64 = self.conn.query_row("SELECT COUNT(*) FROM delete_queue", [], |r| r.get(0))?;
        super::codec::from_sql_u64(n, "queue length")
    }

    /// Every queued file ID in queue order (tests and status pages; the
    /// queue is expected to stay short).
    pub fn queued_file_ids(&mut self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT file_id FROM delete_queue ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }
}
