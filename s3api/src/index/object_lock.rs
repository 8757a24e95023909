//! Object Lock in the index: a bucket's lock configuration, each object
//! row's retention (mode + retain-until) and legal hold, and the guard that
//! refuses to remove a protected row.
//!
//! The guard ([`guard_removal`]) runs inside the transaction of whatever
//! removes or replaces a row — DELETE, DeleteObjects, an overwrite in
//! place, lifecycle — so no path can slip a protected row out between a
//! check and the write. A protected row is [`IndexError::ObjectLocked`],
//! which the gateway answers as AWS does: 403 AccessDenied.
//!
//! Retention rules, as on AWS: a COMPLIANCE retention can only be
//! extended (never shortened, removed or turned into GOVERNANCE) while it
//! runs; a GOVERNANCE retention can be shortened, removed or replaced only
//! with the bypass flag (`x-amz-bypass-governance-retention`). A retention
//! whose date has passed protects nothing and may be replaced freely.
//! "The object" of a lock call is found by one function, `target_row`:
//! the version named, or the current one.

use rusqlite::{Connection, params};

use super::Index;
use super::buckets::bucket_id;
use super::error::{IndexError, Result};
use super::rows::object_data;
use super::types::{ObjectRecord, Versioning};
use super::versions::{bucket_row, check_version_id, readable};

pub use super::lock_rules::{
    BucketLock, DefaultRetention, LockMode, ObjectLock, Period, Retention,
    retention_change_allowed, strongest,
};

/// The row that lock calls address: version `version_id` of `key`, or its
/// current version; a delete marker, a missing key or version are the
/// errors a read gets (`NoSuchKey`, `NoSuchVersion`, `DeleteMarker`).
pub(super) fn target_row(
    conn: &Connection,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<i64> {
    check_version_id(version_id)?;
    let b = bucket_row(conn, bucket)?;
    Ok(readable(conn, &b, bucket, key, version_id)?.id)
}

/// Refuses to suspend versioning on a bucket with Object Lock
/// ([`IndexError::InvalidBucketState`]): a lock protects versions.
pub(super) fn check_versioning_change(
    conn: &Connection,
    bucket: i64,
    name: &str,
    state: Versioning,
) -> Result<()> {
    let locked: i64 = conn
        .prepare_cached("SELECT object_lock FROM buckets WHERE id = ?1")?
        .query_row(params![bucket], |r| r.get(0))?;
    if locked != 0 && state != Versioning::Enabled {
        return Err(IndexError::InvalidBucketState(format!(
            "versioning cannot be suspended on {name}: Object Lock is enabled"
        )));
    }
    Ok(())
}

/// The lock of object row `row`.
pub(super) fn row_lock(conn: &Connection, row: i64) -> Result<ObjectLock> {
    let (mode, until, hold): (Option<String>, Option<i64>, i64) = conn
        .prepare_cached("SELECT lock_mode, lock_until_ms, legal_hold FROM objects WHERE id = ?1")?
        .query_row(params![row], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let retention = match (mode, until) {
        (Some(m), Some(until_ms)) => {
            let mode = LockMode::parse(&m)
                .ok_or_else(|| IndexError::Corrupt(format!("object row {row}: lock mode {m:?}")))?;
            Some(Retention { mode, until_ms })
        }
        (None, None) => None,
        _ => return Err(IndexError::Corrupt(format!("object row {row}: half a retention"))),
    };
    Ok(ObjectLock { retention, legal_hold: hold != 0 })
}

/// Writes `lock` onto object row `row`.
pub(super) fn write_row_lock(conn: &Connection, row: i64, lock: &ObjectLock) -> Result<()> {
    let mode = lock.retention.map(|r| r.mode.as_str());
    let until = lock.retention.map(|r| r.until_ms);
    conn.prepare_cached(
        "UPDATE objects SET lock_mode = ?1, lock_until_ms = ?2, legal_hold = ?3 WHERE id = ?4",
    )?
    .execute(params![mode, until, i64::from(lock.legal_hold), row])?;
    Ok(())
}

/// Marks object row `row`'s legal hold as set (see migration 10).
fn mark_hold_set(conn: &Connection, row: i64) -> Result<()> {
    conn.prepare_cached("UPDATE objects SET legal_hold_set = 1 WHERE id = ?1")?
        .execute(params![row])?;
    Ok(())
}

/// Refuses the removal (or in-place replacement) of object row `row`
/// while its lock protects it; `bypass` lifts a GOVERNANCE retention.
pub(super) fn guard_removal(
    conn: &Connection,
    row: i64,
    key: &str,
    now_ms: i64,
    bypass: bool,
) -> Result<()> {
    let lock = row_lock(conn, row)?;
    if lock.protects(now_ms, bypass) {
        let why = if lock.legal_hold { "a legal hold" } else { "its retention" };
        return Err(IndexError::ObjectLocked(format!("{key}: protected by {why}")));
    }
    Ok(())
}

impl Index {
    /// Runs `f` as one transaction: inside a group commit the job's
    /// savepoint already makes it atomic; otherwise it gets its own.
    pub fn atomically<T>(&mut self, f: impl FnOnce(&mut Index) -> Result<T>) -> Result<T> {
        if self.grouped {
            return f(self);
        }
        self.begin_group()?;
        match f(self) {
            Ok(v) => {
                self.commit_group()?;
                Ok(v)
            }
            Err(e) => {
                self.grouped = false;
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// The Object Lock configuration of bucket `name`; `None` when object
    /// lock is not enabled on it.
    pub fn get_bucket_lock(&mut self, name: &str) -> Result<Option<BucketLock>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, name)?;
        let (enabled, mode, days, years): (i64, Option<String>, Option<i64>, Option<i64>) = tx
            .prepare_cached(
                "SELECT object_lock, lock_default_mode, lock_default_days, lock_default_years
                 FROM buckets WHERE id = ?1",
            )?
            .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        if enabled == 0 {
            return Ok(None);
        }
        let corrupt = || IndexError::Corrupt(format!("bucket {name}: default retention"));
        let period = |n: i64| u32::try_from(n).map_err(|_| corrupt());
        let default = match (mode, days, years) {
            (None, None, None) => None,
            (Some(m), Some(d), None) => Some(DefaultRetention {
                mode: LockMode::parse(&m).ok_or_else(corrupt)?,
                period: Period::Days(period(d)?),
            }),
            (Some(m), None, Some(y)) => Some(DefaultRetention {
                mode: LockMode::parse(&m).ok_or_else(corrupt)?,
                period: Period::Years(period(y)?),
            }),
            _ => return Err(corrupt()),
        };
        Ok(Some(BucketLock { default }))
    }

    /// Enables object lock on bucket `name` with configuration `lock`
    /// (replacing any default retention it had).
    pub fn set_bucket_lock(&mut self, name: &str, lock: &BucketLock) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        let mode = lock.default.map(|d| d.mode.as_str());
        let (days, years) = match lock.default.map(|d| d.period) {
            None => (None, None),
            Some(Period::Days(d)) => (Some(d), None),
            Some(Period::Years(y)) => (None, Some(y)),
        };
        tx.prepare_cached(
            "UPDATE buckets SET object_lock = 1, lock_default_mode = ?1,
             lock_default_days = ?2, lock_default_years = ?3 WHERE id = ?4",
        )?
        .execute(params![mode, days, years, id])?;
        tx.commit()?;
        Ok(())
    }

    /// The lock of version `version_id` of `key` (`None`: the current
    /// one); errors as a read of it.
    pub fn object_lock(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ObjectLock> {
        let tx = self.read_tx()?;
        let row = target_row(&tx, bucket, key, version_id)?;
        row_lock(&tx, row)
    }

    /// [`Index::get_version`] and that version's lock, read in one
    /// snapshot from one row lookup (GET and HEAD answer both), so a
    /// concurrent write cannot pair a version with another's lock.
    pub fn get_version_with_lock(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(ObjectRecord, ObjectLock)> {
        check_version_id(version_id)?;
        let tx = self.read_tx()?;
        let b = bucket_row(&tx, bucket)?;
        let row = readable(&tx, &b, bucket, key, version_id)?;
        let data = object_data(&tx, &row)?;
        let lock = row_lock(&tx, row.id)?;
        tx.commit()?;
        Ok((ObjectRecord { info: row.info, data }, lock))
    }

    /// Sets the retention of the object at `key` to `new` (`None`
    /// removes it) under AWS's rules (see the module docs); a refusal is
    /// [`IndexError::ObjectLocked`]. Returns the resulting lock.
    pub fn set_retention(
        &mut self,
        (bucket, key, version_id): (&str, &str, Option<&str>),
        new: Option<Retention>,
        bypass: bool,
        now_ms: i64,
    ) -> Result<ObjectLock> {
        let tx = self.write_tx()?;
        let row = target_row(&tx, bucket, key, version_id)?;
        let mut lock = row_lock(&tx, row)?;
        retention_change_allowed(lock.retention, new, now_ms, bypass)
            .map_err(|why| IndexError::ObjectLocked(format!("{key}: {why}")))?;
        lock.retention = new;
        write_row_lock(&tx, row, &lock)?;
        tx.commit()?;
        Ok(lock)
    }

    /// Turns the legal hold of the object at `key` on or off. Returns the
    /// resulting lock.
    pub fn set_legal_hold(
        &mut self,
        (bucket, key, version_id): (&str, &str, Option<&str>),
        on: bool,
    ) -> Result<ObjectLock> {
        let tx = self.write_tx()?;
        let row = target_row(&tx, bucket, key, version_id)?;
        let mut lock = row_lock(&tx, row)?;
        lock.legal_hold = on;
        write_row_lock(&tx, row, &lock)?;
        mark_hold_set(&tx, row)?;
        tx.commit()?;
        Ok(lock)
    }

    /// Records that the current version of `key` was written with an
    /// explicit `x-amz-object-lock-legal-hold` (ON or OFF): its hold then
    /// reads as set (call it in the write's [`Index::atomically`]).
    pub fn mark_legal_hold_set(&mut self, bucket: &str, key: &str) -> Result<()> {
        let tx = self.write_tx()?;
        let row = target_row(&tx, bucket, key, None)?;
        mark_hold_set(&tx, row)?;
        tx.commit()?;
        Ok(())
    }

    /// The legal hold of version `version_id` of `key`: `None` when none
    /// was ever set on it (GetObjectLegalHold answers 404 then), else
    /// whether it is on.
    pub fn legal_hold(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<bool>> {
        let tx = self.read_tx()?;
        let row = target_row(&tx, bucket, key, version_id)?;
        let (hold, set): (i64, i64) = tx
            .prepare_cached("SELECT legal_hold, legal_hold_set FROM objects WHERE id = ?1")?
            .query_row(params![row], |r| Ok((r.get(0)?, r.get(1)?)))?;
        tx.commit()?;
        Ok((hold != 0 || set != 0).then_some(hold != 0))
    }

    /// Puts `lock` on the object just written at `key` (call it in the
    /// same [`Index::atomically`] as the write).
    pub fn lock_new_object(&mut self, bucket: &str, key: &str, lock: &ObjectLock) -> Result<()> {
        let tx = self.write_tx()?;
        let row = target_row(&tx, bucket, key, None)?;
        write_row_lock(&tx, row, lock)?;
        tx.commit()?;
        Ok(())
    }

    /// The strongest lock over every object row referencing `file_id`
    /// (a file shared by copies carries the strongest), for its tags.
    pub fn strongest_file_lock(&mut self, file_id: &str, now_ms: i64) -> Result<ObjectLock> {
        let tx = self.read_tx()?;
        let rows: Vec<i64> = tx
            .prepare_cached(
                "SELECT id FROM objects WHERE file_id = ?1
                 UNION SELECT object_id FROM object_parts WHERE file_id = ?1",
            )?
            .query_map(params![file_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = ObjectLock::default();
        for row in rows {
            out = strongest(out, row_lock(&tx, row)?, now_ms);
        }
        Ok(out)
    }
}

impl Index {
    /// Index rebuild: gives every version referencing each file of
    /// `locks` the stronger of its lock and the file's, and turns Object
    /// Lock (and versioning) on in their buckets; one transaction. Returns
    /// how many versions were locked.
    pub fn restore_file_locks(&mut self, locks: &[(String, ObjectLock)]) -> Result<usize> {
        let tx = self.write_tx()?;
        let mut locked = 0;
        for (file_id, lock) in locks {
            let rows: Vec<(i64, i64)> = tx
                .prepare_cached(
                    "SELECT id, bucket_id FROM objects WHERE file_id = ?1
                     UNION SELECT o.id, o.bucket_id FROM object_parts p
                     JOIN objects o ON o.id = p.object_id WHERE p.file_id = ?1",
                )?
                .query_map(params![file_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (row, bucket) in rows {
                // `now` 0: keep both modes as they are, the later date wins.
                let merged = strongest(row_lock(&tx, row)?, *lock, 0);
                write_row_lock(&tx, row, &merged)?;
                tx.prepare_cached(
                    "UPDATE buckets SET object_lock = 1, versioning = 'Enabled' WHERE id = ?1",
                )?
                .execute(params![bucket])?;
                locked += 1;
            }
        }
        tx.commit()?;
        Ok(locked)
    }
}
