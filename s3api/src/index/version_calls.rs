//! The versioning calls of [`Index`]: the bucket's state, reads by
//! version, DeleteObject with or without a version ID. What they do to
//! the rows is `versions`.

use rusqlite::params;

use super::error::Result;
use super::rows::object_data;
use super::types::{Deleted, ObjectInfo, ObjectRecord, Versioning};
use super::versions::{bucket_row, check_version_id, delete_version, readable};
use super::{Index, conditions};

impl Index {
    /// Bucket `name`'s versioning state (`None`: never set).
    pub fn bucket_versioning(&mut self, name: &str) -> Result<Option<Versioning>> {
        Ok(bucket_row(&self.conn, name)?.versioning)
    }

    /// PutBucketVersioning: sets `name`'s state. There is no way back to
    /// never-versioned, as on S3.
    pub fn set_bucket_versioning(&mut self, name: &str, state: Versioning) -> Result<()> {
        let tx = self.write_tx()?;
        let b = bucket_row(&tx, name)?;
        super::object_lock::check_versioning_change(&tx, b.id, name, state)?;
        tx.prepare_cached("UPDATE buckets SET versioning = ?2 WHERE id = ?1")?
            .execute(params![b.id, state.as_str()])?;
        tx.commit()?;
        Ok(())
    }

    /// The version `version_id` of `key` (`None`: the current object) with
    /// its manifest. A missing key is `NoSuchKey`, a missing version
    /// `NoSuchVersion`, a malformed version ID `InvalidArgument`, and a
    /// delete marker [`IndexError::DeleteMarker`].
    pub fn get_version(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ObjectRecord> {
        check_version_id(version_id)?;
        let tx = self.read_tx()?;
        let b = bucket_row(&tx, bucket)?;
        let row = readable(&tx, &b, bucket, key, version_id)?;
        let data = object_data(&tx, &row)?;
        tx.commit()?;
        Ok(ObjectRecord { info: row.info, data })
    }

    /// [`Index::get_version`] without the manifest.
    pub fn head_version(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ObjectInfo> {
        check_version_id(version_id)?;
        let tx = self.read_tx()?;
        let b = bucket_row(&tx, bucket)?;
        let row = readable(&tx, &b, bucket, key, version_id)?;
        tx.commit()?;
        Ok(row.info)
    }

    /// DeleteObject: without `version_id`, in a versioned bucket a new
    /// delete marker, else the removal of the `null` object; with one, the
    /// removal of exactly that version (the newest remaining one becomes
    /// the latest). A missing key or version removes nothing (S3 answers
    /// 204 either way). `cond` applies to the version the delete
    /// addresses: the named one, else the current object (as
    /// [`Index::delete_object_if`]). `marker_file`: see `delete_version`
    /// (the uploaded file recording a new marker on the storages).
    pub fn delete_version_if(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        marker_file: Option<&str>,
        now_ms: i64,
        cond: &conditions::WriteCondition,
    ) -> Result<Deleted> {
        self.delete_version_bypass(bucket, key, version_id, marker_file, now_ms, cond, false)
    }

    /// [`Index::delete_version_if`]; with `bypass`
    /// (`x-amz-bypass-governance-retention`), a version under an unexpired
    /// GOVERNANCE retention may be removed (a legal hold or COMPLIANCE
    /// still refuses: [`super::IndexError::ObjectLocked`]).
    #[allow(clippy::too_many_arguments)]
    pub fn delete_version_bypass(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        marker_file: Option<&str>,
        now_ms: i64,
        cond: &conditions::WriteCondition,
        bypass: bool,
    ) -> Result<Deleted> {
        check_version_id(version_id)?;
        let tx = self.write_tx()?;
        let b = bucket_row(&tx, bucket)?;
        conditions::check_version_at(&tx, b.id, bucket, key, version_id, cond)?;
        let out = delete_version(&tx, &b, key, version_id, marker_file, now_ms, bypass)?;
        tx.commit()?;
        Ok(out)
    }
}
