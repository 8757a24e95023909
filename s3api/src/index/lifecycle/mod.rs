//! Lifecycle in the index: each bucket's rules (table `lifecycle_rules`),
//! and the worker's batches with its progress (`lifecycle_progress`).
//!
//! A batch reads at most `limit` keys after the progress cursor, each with
//! all its versions and delete markers, asks the caller's plan what to do
//! with each key ([`crate::lifecycle::plan`]), applies it through the
//! versions API (`versions::delete_version`: a delete marker for an
//! expired current version of a versioned bucket, exact removal of a
//! noncurrent version or a lone marker, the files released as any delete
//! releases them), and moves the cursor, all in one write transaction: a
//! batch is atomic with its progress, so a crash neither skips keys nor
//! applies a batch twice, and a batch holds the write lock only for a few
//! hundred keys (a key with very many versions makes its batch longer).
//! A version that Object Lock protects is skipped, never an error.
//!
//! # Layout
//!
//! - this file — the records, and the worker's progress.
//! - `rules` — the rules of each bucket.
//! - `batch` — the batches over keys and uploads.

mod batch;
mod rules;

use rusqlite::{Connection, OptionalExtension, params};

use super::Index;
use super::codec::key_from_blob;
use super::error::Result;

/// Which part of a bucket the worker walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Objects (and, with versions, their versions and markers).
    Objects,
    /// Incomplete multipart uploads.
    Uploads,
}

/// Where the worker is in its pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// When the pass started, unix ms.
    pub pass_start_ms: i64,
    /// The bucket being walked.
    pub bucket: String,
    pub phase: Phase,
    /// The last key handled in the phase; `None`: from the start.
    pub cursor_key: Option<String>,
    /// With [`Phase::Uploads`], the last upload ID of `cursor_key` handled.
    pub cursor_upload: Option<String>,
}

/// One version (or delete marker) of a key, as a lifecycle batch shows
/// it to the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionCandidate {
    /// Its index row (stable within the batch's transaction).
    pub row_id: i64,
    /// `null` in a never-versioned bucket.
    pub version_id: String,
    pub is_latest: bool,
    pub delete_marker: bool,
    pub size: u64,
    /// Its creation time, unix ms.
    pub last_modified_ms: i64,
    /// Its tag set (empty for a delete marker), read in the batch's own
    /// query, so tag filters cost no lookup per object.
    pub tags: Vec<(String, String)>,
}

/// A key and its versions, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCandidate {
    pub key: String,
    pub versions: Vec<VersionCandidate>,
}

/// An incomplete upload as a lifecycle batch shows it to the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadCandidate {
    pub key: String,
    pub upload_id: String,
    pub created_ms: i64,
}

/// What one batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Keys (or uploads) looked at.
    pub scanned: usize,
    /// Current objects expired (removed, or hidden by a delete marker), or
    /// uploads aborted.
    pub expired: usize,
    /// Noncurrent versions removed.
    pub noncurrent: usize,
    /// Lone delete markers removed.
    pub markers: usize,
    /// Versions the plan picked that Object Lock protects: left alone.
    pub locked: usize,
    /// File IDs put on the delete queue.
    pub released: Vec<String>,
    /// Delete markers made on a marker file the caller supplied: the key
    /// and what the delete did (its version ID and seq go into the file's
    /// tags).
    pub made_markers: Vec<(String, super::types::Deleted)>,
    /// The phase is finished (fewer than `limit` rows were left).
    pub done: bool,
}

fn save_progress(conn: &Connection, p: &Progress) -> Result<()> {
    let phase = match p.phase {
        Phase::Objects => 0,
        Phase::Uploads => 1,
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO lifecycle_progress
         (id, pass_start_ms, bucket, phase, cursor_key, cursor_upload)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        p.pass_start_ms,
        p.bucket,
        phase,
        p.cursor_key.as_deref().map(str::as_bytes),
        p.cursor_upload
    ])?;
    Ok(())
}

/// The first bucket after `after` (all, with `None`) that has rules.
fn next_bucket(conn: &Connection, after: Option<&str>) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT b.name FROM buckets b
             WHERE b.name > ?1 AND EXISTS (SELECT 1 FROM lifecycle_rules r WHERE r.bucket_id = b.id)
             ORDER BY b.name LIMIT 1",
        )?
        .query_row(params![after.unwrap_or("")], |r| r.get(0))
        .optional()?)
}

impl Index {
    /// The worker's place in an unfinished pass, if any.
    pub fn lifecycle_progress(&mut self) -> Result<Option<Progress>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT pass_start_ms, bucket, phase, cursor_key, cursor_upload
                 FROM lifecycle_progress WHERE id = 1",
            )?
            .query_row([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((pass_start_ms, bucket, phase, key, cursor_upload)) = row else {
            return Ok(None);
        };
        let key: Option<Vec<u8>> = key;
        Ok(Some(Progress {
            pass_start_ms,
            bucket,
            phase: if phase == 1 { Phase::Uploads } else { Phase::Objects },
            cursor_key: key.map(key_from_blob).transpose()?,
            cursor_upload,
        }))
    }

    /// Starts a pass at `now_ms` on the first bucket with rules; `None`
    /// (and no pass) when no bucket has any.
    pub fn lifecycle_start_pass(&mut self, now_ms: i64) -> Result<Option<Progress>> {
        let tx = self.write_tx()?;
        let out = match next_bucket(&tx, None)? {
            Some(bucket) => {
                let p = Progress {
                    pass_start_ms: now_ms,
                    bucket,
                    phase: Phase::Objects,
                    cursor_key: None,
                    cursor_upload: None,
                };
                save_progress(&tx, &p)?;
                Some(p)
            }
            None => None,
        };
        tx.commit()?;
        Ok(out)
    }

    /// Moves the pass to the next bucket with rules after `current`'s;
    /// `None` when the pass is over (its progress is then removed).
    pub fn lifecycle_next_bucket(&mut self, current: &Progress) -> Result<Option<Progress>> {
        let tx = self.write_tx()?;
        let out = match next_bucket(&tx, Some(&current.bucket))? {
            Some(bucket) => {
                let p = Progress {
                    bucket,
                    phase: Phase::Objects,
                    cursor_key: None,
                    cursor_upload: None,
                    ..current.clone()
                };
                save_progress(&tx, &p)?;
                Some(p)
            }
            None => {
                tx.execute("DELETE FROM lifecycle_progress", [])?;
                None
            }
        };
        tx.commit()?;
        Ok(out)
    }
}
