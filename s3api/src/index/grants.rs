//! Owner grants (`fdfs gateway key allow` / `key deny`, migration 12):
//! another owner's read or write access to a bucket, beside its ACL.
//! What they allow is `gateway::access::decide`'s business.

use rusqlite::{OptionalExtension, params};

use super::Index;
use super::buckets::bucket_id;
use super::error::Result;

/// One owner's grant on a bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OwnerGrant {
    /// Read: list the bucket, read its objects.
    pub read: bool,
    /// Write: put and delete objects, multipart uploads.
    pub write: bool,
}

impl Index {
    /// Sets `owner`'s grant on bucket `bucket` (all false: removes it).
    pub fn set_bucket_grant(&mut self, bucket: &str, owner: &str, grant: OwnerGrant) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, bucket)?;
        if grant == OwnerGrant::default() {
            tx.prepare_cached("DELETE FROM bucket_grants WHERE bucket_id = ?1 AND owner = ?2")?
                .execute(params![id, owner])?;
        } else {
            tx.prepare_cached(
                "INSERT INTO bucket_grants (bucket_id, owner, read, write) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (bucket_id, owner) DO UPDATE SET read = ?3, write = ?4",
            )?
            .execute(params![id, owner, grant.read, grant.write])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// `owner`'s grant on bucket `bucket` (none: all false).
    pub fn get_bucket_grant(&mut self, bucket: &str, owner: &str) -> Result<OwnerGrant> {
        let found = self
            .conn
            .prepare_cached(
                "SELECT g.read, g.write FROM bucket_grants g JOIN buckets b ON b.id = g.bucket_id
                 WHERE b.name = ?1 AND g.owner = ?2",
            )?
            .query_row(params![bucket, owner], |r| {
                Ok(OwnerGrant { read: r.get(0)?, write: r.get(1)? })
            })
            .optional()?;
        Ok(found.unwrap_or_default())
    }

    /// Every owner grant on bucket `bucket`, by owner name.
    pub fn list_bucket_grants(&mut self, bucket: &str) -> Result<Vec<(String, OwnerGrant)>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, bucket)?;
        let grants = tx
            .prepare_cached(
                "SELECT owner, read, write FROM bucket_grants WHERE bucket_id = ?1 ORDER BY owner",
            )?
            .query_map(params![id], |r| {
                Ok((r.get(0)?, OwnerGrant { read: r.get(1)?, write: r.get(2)? }))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(grants)
    }
}
