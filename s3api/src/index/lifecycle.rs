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

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::Index;
use super::buckets::bucket_id;
use super::codec::{decode_map, encode_map, from_sql_u32, from_sql_u64, key_from_blob, to_sql_u64};
use super::error::{IndexError, Result};
use super::multipart::drop_upload;
use super::types::{DeleteReason, Versioning};
use super::versions::{BucketRow, NULL_VERSION, bucket_row, delete_version};
use crate::lifecycle::model::{
    Configuration, Expiration, Filter, FilterForm, NoncurrentExpiration, Rule,
};
use crate::lifecycle::plan::KeyPlan;

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
    /// The phase is finished (fewer than `limit` rows were left).
    pub done: bool,
}

const RULE_COLS: &str = "rule_id, enabled, filter_form, prefix, tags, size_greater, size_less, \
     expire_days, expire_date_ms, expire_marker, noncurrent_days, noncurrent_newer, abort_days";

fn form_code(form: FilterForm) -> i64 {
    match form {
        FilterForm::RulePrefix => 0,
        FilterForm::Single => 1,
        FilterForm::And => 2,
    }
}

fn opt_u32(v: Option<i64>, what: &str) -> Result<Option<u32>> {
    v.map(|v| from_sql_u32(v, what)).transpose()
}

fn rule_from_row(row: &Row<'_>) -> Result<Rule> {
    let form = match row.get::<_, i64>(2)? {
        0 => FilterForm::RulePrefix,
        1 => FilterForm::Single,
        2 => FilterForm::And,
        other => return Err(IndexError::Corrupt(format!("lifecycle filter form {other}"))),
    };
    let tags: Vec<u8> = row.get(4)?;
    let size = |at: usize| -> Result<Option<u64>> {
        row.get::<_, Option<i64>>(at)?.map(|v| from_sql_u64(v, "lifecycle size")).transpose()
    };
    let expiration = match (row.get::<_, Option<i64>>(7)?, row.get::<_, Option<i64>>(8)?) {
        (Some(d), _) => Some(Expiration::Days(from_sql_u32(d, "expiration days")?)),
        (None, Some(ms)) => Some(Expiration::Date(ms)),
        (None, None) if row.get::<_, i64>(9)? == 1 => Some(Expiration::ExpiredDeleteMarker),
        (None, None) => None,
    };
    let noncurrent = match opt_u32(row.get(10)?, "noncurrent days")? {
        Some(days) => Some(NoncurrentExpiration {
            days,
            newer_versions: opt_u32(row.get(11)?, "newer noncurrent versions")?,
        }),
        None => None,
    };
    Ok(Rule {
        id: row.get(0)?,
        enabled: row.get::<_, i64>(1)? == 1,
        filter: Filter {
            form,
            prefix: row.get(3)?,
            tags: decode_map(&tags)?.into_iter().collect(),
            size_greater: size(5)?,
            size_less: size(6)?,
        },
        expiration,
        noncurrent,
        abort_upload_days: opt_u32(row.get(12)?, "abort days")?,
    })
}

/// The rules of bucket row `bucket`, `None` without any.
fn load_rules(conn: &Connection, bucket: i64) -> Result<Option<Configuration>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RULE_COLS} FROM lifecycle_rules WHERE bucket_id = ?1 ORDER BY idx"
    ))?;
    let mut rows = stmt.query(params![bucket])?;
    let mut rules = Vec::new();
    while let Some(row) = rows.next()? {
        rules.push(rule_from_row(row)?);
    }
    Ok((!rules.is_empty()).then_some(Configuration { rules }))
}

fn insert_rule(conn: &Connection, bucket: i64, idx: usize, rule: &Rule) -> Result<()> {
    let tags: BTreeMap<String, String> = rule.filter.tags.iter().cloned().collect();
    let size = |v: Option<u64>| v.map(|v| to_sql_u64(v, "lifecycle size")).transpose();
    let (days, date, marker) = match rule.expiration {
        Some(Expiration::Days(d)) => (Some(d), None, 0),
        Some(Expiration::Date(ms)) => (None, Some(ms), 0),
        Some(Expiration::ExpiredDeleteMarker) => (None, None, 1),
        None => (None, None, 0),
    };
    conn.prepare_cached(&format!(
        "INSERT INTO lifecycle_rules (bucket_id, idx, {RULE_COLS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    ))?
    .execute(params![
        bucket,
        i64::try_from(idx).map_err(|_| IndexError::InvalidArgument("rule index".into()))?,
        rule.id,
        i64::from(rule.enabled),
        form_code(rule.filter.form),
        rule.filter.prefix,
        encode_map(&tags)?,
        size(rule.filter.size_greater)?,
        size(rule.filter.size_less)?,
        days,
        date,
        marker,
        rule.noncurrent.map(|n| n.days),
        rule.noncurrent.and_then(|n| n.newer_versions),
        rule.abort_upload_days,
    ])?;
    Ok(())
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
    /// Replaces bucket `name`'s lifecycle configuration.
    pub fn put_lifecycle(&mut self, name: &str, config: &Configuration) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        tx.prepare_cached("DELETE FROM lifecycle_rules WHERE bucket_id = ?1")?
            .execute(params![id])?;
        for (idx, rule) in config.rules.iter().enumerate() {
            insert_rule(&tx, id, idx, rule)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Bucket `name`'s lifecycle configuration, `None` without one.
    pub fn get_lifecycle(&mut self, name: &str) -> Result<Option<Configuration>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, name)?;
        let config = load_rules(&tx, id)?;
        tx.commit()?;
        Ok(config)
    }

    /// Removes bucket `name`'s lifecycle configuration (none is fine).
    pub fn delete_lifecycle(&mut self, name: &str) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        tx.prepare_cached("DELETE FROM lifecycle_rules WHERE bucket_id = ?1")?
            .execute(params![id])?;
        tx.commit()?;
        Ok(())
    }

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
        let tx = self.write_tx()?;
        let mut out = BatchOutcome::default();
        let mut next = progress.clone();
        let Some(bucket) = existing_bucket(&tx, &progress.bucket)? else {
            tx.commit()?;
            return Ok((BatchOutcome { done: true, ..out }, next));
        };
        let after = progress.cursor_key.as_deref().unwrap_or("");
        let candidates = key_candidates(&tx, &bucket, after, limit)?;
        let lock = LockGuard::new(&tx)?;
        out.scanned = candidates.len();
        for c in &candidates {
            let p = plan(c);
            if !p.is_empty() {
                apply_plan(&tx, &bucket, c, &p, &lock, now_ms, &mut out)?;
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
        "SELECT id, key, version_id, is_latest, delete_marker, size, last_modified_ms
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
    lock: &LockGuard,
    now_ms: i64,
    out: &mut BatchOutcome,
) -> Result<()> {
    let mut left = c.versions.len();
    for id in &plan.remove {
        let Some(v) = c.versions.iter().find(|v| v.version_id == *id) else { continue };
        if lock.protects(conn, v.row_id, now_ms)? {
            out.locked += 1;
            continue;
        }
        let d = delete_version(conn, bucket, &c.key, Some(id), None, now_ms)?;
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
            Some(v) => lock.protects(conn, v.row_id, now_ms)?,
            None => false,
        };
        if locked {
            out.locked += 1;
        } else {
            let d = delete_version(conn, bucket, &c.key, None, None, now_ms)?;
            out.expired += 1;
            out.released.extend(d.released);
        }
        return Ok(());
    }
    if let Some(id) = &plan.remove_lone_marker
        && left == 1
    {
        let d = delete_version(conn, bucket, &c.key, Some(id), None, now_ms)?;
        if d.found {
            out.markers += 1;
        }
        out.released.extend(d.released);
    }
    Ok(())
}

/// Object Lock as the worker sees it: a version under a running retention
/// (either mode: the worker has no bypass) or a legal hold is never
/// removed. The lock columns are looked up rather than assumed, so this
/// module works on an index with or without Object Lock's migration.
struct LockGuard {
    columns: bool,
}

impl LockGuard {
    fn new(conn: &Connection) -> Result<Self> {
        let n: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM pragma_table_info('objects')
                 WHERE name IN ('lock_until_ms', 'legal_hold')",
            )?
            .query_row([], |r| r.get(0))?;
        Ok(Self { columns: n == 2 })
    }

    /// Whether row `row` may not be removed at `now_ms`.
    fn protects(&self, conn: &Connection, row: i64, now_ms: i64) -> Result<bool> {
        if !self.columns {
            return Ok(false);
        }
        let locked: Option<bool> = conn
            .prepare_cached(
                "SELECT legal_hold = 1 OR COALESCE(lock_until_ms > ?2, 0) FROM objects
                 WHERE id = ?1",
            )?
            .query_row(params![row, now_ms], |r| r.get(0))
            .optional()?;
        Ok(locked.unwrap_or(false))
    }
}
