//! ACLs and Object Ownership in the index (migration 12): the stored
//! forms only — what they mean is `gateway::access`.
//!
//! A bucket's ACL and Object Ownership sit on its row, a version's ACL on
//! the version's row (an upload's on the upload, handed to the object on
//! completion). `NULL` is the default: `private`, ObjectWriter.

use rusqlite::{OptionalExtension, params};

use super::Index;
use super::buckets::bucket_id;
use super::error::{IndexError, Result};
use super::types::Bucket;

/// A bucket with what access decisions need of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketAccess {
    /// The bucket row.
    pub bucket: Bucket,
    /// Its stored ACL, if one was set.
    pub acl: Option<String>,
    /// Its Object Ownership, if one was set.
    pub object_ownership: Option<String>,
}

impl Index {
    /// Bucket `name` with its ACL and Object Ownership; `None` when no
    /// such bucket exists.
    pub fn get_bucket_access(&mut self, name: &str) -> Result<Option<BucketAccess>> {
        let found = self
            .conn
            .prepare_cached(
                "SELECT name, home_group, owner, created_ms, acl, object_ownership
                 FROM buckets WHERE name = ?1",
            )?
            .query_row(params![name], |r| {
                Ok(BucketAccess {
                    bucket: Bucket {
                        name: r.get(0)?,
                        home_group: r.get(1)?,
                        owner: r.get(2)?,
                        created_ms: r.get(3)?,
                    },
                    acl: r.get(4)?,
                    object_ownership: r.get(5)?,
                })
            })
            .optional()?;
        Ok(found)
    }

    /// Sets (`None`: resets to private) bucket `name`'s stored ACL.
    pub fn set_bucket_acl(&mut self, name: &str, acl: Option<&str>) -> Result<()> {
        self.update_bucket_column(name, "acl", acl)
    }

    /// Sets (`None`: removes) bucket `name`'s Object Ownership.
    pub fn set_bucket_ownership(&mut self, name: &str, ownership: Option<&str>) -> Result<()> {
        self.update_bucket_column(name, "object_ownership", ownership)
    }

    fn update_bucket_column(
        &mut self,
        name: &str,
        column: &str,
        value: Option<&str>,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        tx.prepare_cached(&format!("UPDATE buckets SET {column} = ?1 WHERE id = ?2"))?
            .execute(params![value, id])?;
        tx.commit()?;
        Ok(())
    }

    /// The stored ACL of version `version_id` of `key` (`None`: the
    /// current object): `Ok(None)` when there is no such object or
    /// version (or it is a delete marker), `Ok(Some(None))` when it has
    /// the default ACL.
    pub fn get_object_acl(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<Option<String>>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, bucket)?;
        let found = object_acl_row(&tx, id, key, version_id)?;
        Ok(found.map(|(_, acl)| acl))
    }

    /// Sets the stored ACL of version `version_id` of `key` (`None`: the
    /// current object). NoSuchKey / NoSuchVersion when it does not exist
    /// (or is a delete marker).
    pub fn set_object_acl(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        acl: Option<&str>,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, bucket)?;
        let Some((row, _)) = object_acl_row(&tx, id, key, version_id)? else {
            return Err(match version_id {
                None => IndexError::NoSuchKey { bucket: bucket.to_string(), key: key.to_string() },
                Some(v) => IndexError::NoSuchVersion {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    version_id: v.to_string(),
                },
            });
        };
        tx.prepare_cached("UPDATE objects SET acl = ?1 WHERE id = ?2")?
            .execute(params![acl, row])?;
        tx.commit()?;
        Ok(())
    }

    /// Sets the stored ACL of the multipart upload `upload_id`.
    pub fn set_upload_acl(&mut self, upload_id: &str, acl: Option<&str>) -> Result<()> {
        let tx = self.write_tx()?;
        let n = tx
            .prepare_cached("UPDATE uploads SET acl = ?1 WHERE upload_id = ?2")?
            .execute(params![acl, upload_id])?;
        if n == 0 {
            return Err(IndexError::NoSuchUpload(upload_id.to_string()));
        }
        tx.commit()?;
        Ok(())
    }

    /// The stored ACL of the multipart upload `upload_id`, if it has one.
    pub fn get_upload_acl(&mut self, upload_id: &str) -> Result<Option<String>> {
        let acl = self
            .conn
            .prepare_cached("SELECT acl FROM uploads WHERE upload_id = ?1")?
            .query_row(params![upload_id], |r| r.get(0))
            .optional()?;
        Ok(acl.flatten())
    }
}

impl Index {
    /// Rebuild: gives each `(file_id, bucket, key, stored ACL)` to the
    /// version of `key` in `bucket` whose single file is `file_id` (never
    /// to another version sharing the file, a copy). Returns how many
    /// versions got one.
    pub fn restore_object_acls(
        &mut self,
        acls: &[(String, String, String, String)],
    ) -> Result<usize> {
        let tx = self.write_tx()?;
        let mut restored = 0;
        for (file_id, bucket, key, acl) in acls {
            let Ok(id) = bucket_id(&tx, bucket) else { continue };
            restored += tx
                .prepare_cached(
                    "UPDATE objects SET acl = ?1 WHERE bucket_id = ?2 AND key = ?3 AND file_id = ?4",
                )?
                .execute(params![acl, id, key.as_bytes(), file_id])?;
        }
        tx.commit()?;
        Ok(restored)
    }
}

/// The row ID and stored ACL of a version that is not a delete marker.
fn object_acl_row(
    conn: &rusqlite::Connection,
    bucket_id: i64,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<(i64, Option<String>)>> {
    let sql = match version_id {
        None => {
            "SELECT id, acl FROM objects WHERE bucket_id = ?1 AND key = ?2 AND ?3 IS NULL
             AND is_latest = 1 AND delete_marker = 0"
        }
        Some(_) => {
            "SELECT id, acl FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3
             AND delete_marker = 0"
        }
    };
    let found = conn
        .prepare_cached(sql)?
        .query_row(params![bucket_id, key.as_bytes(), version_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(found)
}
