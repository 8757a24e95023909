//! The worker's batches: keys with their versions, and incomplete
//! uploads, each batch one write transaction together with its progress.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::super::Index;
use super::super::codec::{decode_map, from_sql_u64, key_from_blob};
use super::super::error::{IndexError, Result};
use super::super::multipart::drop_upload;
use super::super::object_lock::row_lock;
use super::super::types::{DeleteReason, Versioning};
use super::super::versions::{BucketRow, NULL_VERSION, bucket_row, delete_version};
use super::{
    BatchOutcome, KeyCandidate, Phase, Progress, UploadCandidate, VersionCandidate, save_progress,
};
use crate::lifecycle::plan::KeyPlan;

impl Index {
    /// One batch of [`Phase::Objects`] for `progress`'s bucket: up to
    /// `limit` keys after its cursor, each with its versions, to which
    /// `plan` says what happens; the plan is applied (files released,
    /// locked versions skipped) and the cursor moves in the same
    /// transaction (to [`Phase::Uploads`] when the keys are done). A
    /// bucket that is gone counts as done.
    pub fn lifecycle_object_batch(
        &mut self,
        progress: &Progress,
        limit: usize,
        now_ms: i64,
        plan: &dyn Fn(&KeyCandidate) -> KeyPlan,
    ) -> Result<(BatchOutcome, Progress)> {
        self.lifecycle_object_batch_with(progress, limit, now_ms, plan, &HashMap::new())
    }

    /// The keys of the next [`Index::lifecycle_object_batch`] whose plan
    /// expires the current version in a versioned bucket, i.e. that will
    /// get a delete marker: the worker stores a marker file for each
    /// first (a read; the batch itself judges again).
    pub fn lifecycle_marker_keys(
        &mut self,
        progress: &Progress,
        limit: usize,
        plan: &dyn Fn(&KeyCandidate) -> KeyPlan,
    ) -> Result<Vec<String>> {
        let tx = self.read_tx()?;
        let keys = match existing_bucket(&tx, &progress.bucket)? {
            Some(bucket) if bucket.versioning.is_some() => {
                let after = progress.cursor_key.as_deref().unwrap_or("");
                key_candidates(&tx, &bucket, after, limit)?
                    .into_iter()
                    .filter(|c| plan(c).expire_current)
                    .map(|c| c.key)
                    .collect()
            }
            _ => Vec::new(),
        };
        tx.commit()?;
        Ok(keys)
    }

    /// [`Index::lifecycle_object_batch`] with marker files by key: a key
    /// that gets a delete marker has it recorded by its file from
    /// `markers` (see `gateway::delete_marker`); the markers made are in
    /// [`BatchOutcome::made_markers`], and a supplied file no marker used
    /// is the caller's to discard.
    pub fn lifecycle_object_batch_with(
        &mut self,
        progress: &Progress,
        limit: usize,
        now_ms: i64,
        plan: &dyn Fn(&KeyCandidate) -> KeyPlan,
        markers: &HashMap<String, String>,
    ) -> Result<(BatchOutcome, Progress)> {
        let tx = self.write_tx()?;
        let mut out = BatchOutcome::default();
        let mut next = progress.clone();
        let Some(bucket) = existing_bucket(&tx, &progress.bucket)? else {
            tx.commit()?;
            return Ok((BatchOutcome { done: true, ..out }, next));
        };
        let after = progress.cursor_key.as_deref().unwrap_or("");
        let candidates = key_candidates(&tx, &bucket, after, limit)?;
        out.scanned = candidates.len();
        for c in &candidates {
            let p = plan(c);
            if !p.is_empty() {
                let marker = markers.get(&c.key).map(String::as_str);
                apply_plan(&tx, &bucket, c, &p, (marker, now_ms), &mut out)?;
            }
        }
        out.done = candidates.len() < limit;
        if out.done {
            next.phase = Phase::Uploads;
            next.cursor_key = None;
        } else {
            next.cursor_key = candidates.last().map(|c| c.key.clone());
        }
        next.cursor_upload = None;
        save_progress(&tx, &next)?;
        tx.commit()?;
        Ok((out, next))
    }

    /// One batch of [`Phase::Uploads`]: up to `limit` uploads after the
    /// cursor, each aborted (parts released) when `abort` says so; the
    /// cursor moves in the same transaction.
    pub fn lifecycle_upload_batch(
        &mut self,
        progress: &Progress,
        limit: usize,
        now_ms: i64,
        abort: &dyn Fn(&UploadCandidate) -> bool,
    ) -> Result<(BatchOutcome, Progress)> {
        let tx = self.write_tx()?;
        let mut out = BatchOutcome::default();
        let mut next = progress.clone();
        let Some(id) = existing_bucket(&tx, &progress.bucket)?.map(|b| b.id) else {
            tx.commit()?;
            return Ok((BatchOutcome { done: true, ..out }, next));
        };
        let key = progress.cursor_key.as_deref().unwrap_or("").as_bytes();
        let upload = progress.cursor_upload.as_deref().unwrap_or("");
        let mut candidates = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT id, key, upload_id, created_ms FROM uploads
                 WHERE bucket_id = ?1 AND (key > ?2 OR (key = ?2 AND upload_id > ?3))
                 ORDER BY key, upload_id LIMIT ?4",
            )?;
            let mut rows = stmt.query(params![id, key, upload, sql_limit(limit)])?;
            while let Some(row) = rows.next()? {
                let row_id: i64 = row.get(0)?;
                let c = UploadCandidate {
                    key: key_from_blob(row.get(1)?)?,
                    upload_id: row.get(2)?,
                    created_ms: row.get(3)?,
                };
                candidates.push((row_id, c));
            }
        }
        out.scanned = candidates.len();
        for (row_id, c) in &candidates {
            if abort(c) {
                out.released.extend(drop_upload(
                    &tx,
                    *row_id,
                    DeleteReason::UploadAborted,
                    now_ms,
                )?);
                out.expired += 1;
            }
        }
        out.done = candidates.len() < limit;
        let last = candidates.last().map(|(_, c)| c);
        next.cursor_key = last.map(|c| c.key.clone());
        next.cursor_upload = last.map(|c| c.upload_id.clone());
        save_progress(&tx, &next)?;
        tx.commit()?;
        Ok((out, next))
    }
}

/// Bucket `name`'s row, `None` if it is gone.
fn existing_bucket(conn: &Connection, name: &str) -> Result<Option<BucketRow>> {
    match bucket_row(conn, name) {
        Ok(b) => Ok(Some(b)),
        Err(IndexError::NoSuchBucket(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Up to `limit` keys of `bucket` after `after`, each with its versions
/// newest first: the keys first (the `(bucket_id, key, seq DESC)` index
/// gives them in order), then every row of that key range.
fn key_candidates(
    conn: &Connection,
    bucket: &BucketRow,
    after: &str,
    limit: usize,
) -> Result<Vec<KeyCandidate>> {
    let last: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT MAX(key) FROM (SELECT DISTINCT key FROM objects
             WHERE bucket_id = ?1 AND key > ?2 ORDER BY key LIMIT ?3)",
        )?
        .query_row(params![bucket.id, after.as_bytes(), sql_limit(limit)], |r| r.get(0))?;
    let Some(last) = last else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, key, version_id, is_latest, delete_marker, size, last_modified_ms, tags
         FROM objects WHERE bucket_id = ?1 AND key > ?2 AND key <= ?3 ORDER BY key, seq DESC",
    )?;
    let mut rows = stmt.query(params![bucket.id, after.as_bytes(), last])?;
    let mut out: Vec<KeyCandidate> = Vec::new();
    while let Some(row) = rows.next()? {
        let key = key_from_blob(row.get(1)?)?;
        let version = VersionCandidate {
            row_id: row.get(0)?,
            version_id: row.get(2)?,
            is_latest: row.get::<_, i64>(3)? == 1,
            delete_marker: row.get::<_, i64>(4)? == 1,
            size: from_sql_u64(row.get(5)?, "object size")?,
            last_modified_ms: row.get(6)?,
            tags: decode_map(&row.get::<_, Vec<u8>>(7)?)?.into_iter().collect(),
        };
        match out.last_mut() {
            Some(c) if c.key == key => c.versions.push(version),
            _ => out.push(KeyCandidate { key, versions: vec![version] }),
        }
    }
    Ok(out)
}

/// Applies `plan` to key `c` of `bucket`, counting into `out`: noncurrent
/// versions first, then the current one, then a marker left alone.
fn apply_plan(
    conn: &Connection,
    bucket: &BucketRow,
    c: &KeyCandidate,
    plan: &KeyPlan,
    (marker, now_ms): (Option<&str>, i64),
    out: &mut BatchOutcome,
) -> Result<()> {
    let mut left = c.versions.len();
    for id in &plan.remove {
        let Some(v) = c.versions.iter().find(|v| v.version_id == *id) else { continue };
        if locked(conn, v.row_id, now_ms)? {
            out.locked += 1;
            continue;
        }
        let d = delete_version(conn, bucket, &c.key, Some(id), None, now_ms, false)?;
        if d.found {
            out.noncurrent += 1;
            left -= 1;
        }
        out.released.extend(d.released);
    }
    if plan.expire_current {
        // What expiring the current version removes: the row itself when
        // the bucket was never versioned, the key's `null` version when
        // it is suspended (a `null` marker replaces it), nothing when
        // enabled (a marker is added).
        let removed = match bucket.versioning {
            None => c.versions.first(),
            Some(Versioning::Suspended) => c.versions.iter().find(|v| v.version_id == NULL_VERSION),
            Some(Versioning::Enabled) => None,
        };
        let locked = match removed {
            Some(v) => locked(conn, v.row_id, now_ms)?,
            None => false,
        };
        if locked {
            out.locked += 1;
        } else {
            let d = delete_version(conn, bucket, &c.key, None, marker, now_ms, false)?;
            out.expired += 1;
            out.released.extend(d.released.iter().cloned());
            if d.delete_marker && marker.is_some() {
                out.made_markers.push((c.key.clone(), d));
            }
        }
        return Ok(());
    }
    if let Some(id) = &plan.remove_lone_marker
        && left == 1
    {
        let d = delete_version(conn, bucket, &c.key, Some(id), None, now_ms, false)?;
        if d.found {
            out.markers += 1;
        }
        out.released.extend(d.released);
    }
    Ok(())
}

/// Whether object row `row` may not be removed by the worker at `now_ms`:
/// a running retention of either mode (the worker has no bypass) or a
/// legal hold keeps it.
fn locked(conn: &Connection, row: i64, now_ms: i64) -> Result<bool> {
    Ok(row_lock(conn, row)?.protects(now_ms, false))
}
