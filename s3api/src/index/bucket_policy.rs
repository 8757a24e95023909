//! A bucket's policy and Public Access Block (migration `policy`).
//!
//! The policy is stored as the JSON text PutBucketPolicy sent (after the
//! gateway validated it), because GetBucketPolicy answers that text and
//! the evaluator re-parses it; the Public Access Block is its four
//! switches. Both rows go with their bucket (`ON DELETE CASCADE`). These
//! getters and setters take and return the stored form, which is also
//! what an export/import of bucket configuration carries.

use rusqlite::{Connection, OptionalExtension, params};

use super::Index;
use super::buckets::bucket_id;
use super::error::Result;

/// PutPublicAccessBlock's four switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublicAccessBlock {
    /// Refuse requests that set a public ACL.
    pub block_public_acls: bool,
    /// Ignore public ACL grants when deciding.
    pub ignore_public_acls: bool,
    /// Refuse PutBucketPolicy of a public policy.
    pub block_public_policy: bool,
    /// A public policy grants nothing outside the bucket owner.
    pub restrict_public_buckets: bool,
}

/// What the access decision needs of a bucket beyond its owner: the
/// policy text and the Public Access Block, read in one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketAccessConfig {
    pub policy: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
}

impl Index {
    /// Bucket `name`'s policy document, if it has one.
    pub fn get_bucket_policy(&mut self, name: &str) -> Result<Option<String>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, name)?;
        policy_of(&tx, id)
    }

    /// Sets (or with `None` removes) bucket `name`'s policy document. The
    /// caller validated it.
    pub fn set_bucket_policy(&mut self, name: &str, policy: Option<&str>) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        match policy {
            Some(text) => tx
                .prepare_cached(
                    "INSERT INTO bucket_policies (bucket_id, policy) VALUES (?1, ?2)
                     ON CONFLICT (bucket_id) DO UPDATE SET policy = excluded.policy",
                )?
                .execute(params![id, text])?,
            None => tx
                .prepare_cached("DELETE FROM bucket_policies WHERE bucket_id = ?1")?
                .execute(params![id])?,
        };
        tx.commit()?;
        Ok(())
    }

    /// Bucket `name`'s Public Access Block, if one is set.
    pub fn get_public_access_block(&mut self, name: &str) -> Result<Option<PublicAccessBlock>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, name)?;
        block_of(&tx, id)
    }

    /// Sets (or with `None` removes) bucket `name`'s Public Access Block.
    pub fn set_public_access_block(
        &mut self,
        name: &str,
        block: Option<&PublicAccessBlock>,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        match block {
            Some(b) => tx
                .prepare_cached(
                    "INSERT INTO bucket_public_access_blocks (bucket_id, block_public_acls,
                        ignore_public_acls, block_public_policy, restrict_public_buckets)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (bucket_id) DO UPDATE SET
                        block_public_acls = excluded.block_public_acls,
                        ignore_public_acls = excluded.ignore_public_acls,
                        block_public_policy = excluded.block_public_policy,
                        restrict_public_buckets = excluded.restrict_public_buckets",
                )?
                .execute(params![
                    id,
                    b.block_public_acls,
                    b.ignore_public_acls,
                    b.block_public_policy,
                    b.restrict_public_buckets
                ])?,
            None => tx
                .prepare_cached("DELETE FROM bucket_public_access_blocks WHERE bucket_id = ?1")?
                .execute(params![id])?,
        };
        tx.commit()?;
        Ok(())
    }

    /// Bucket `name`'s policy and Public Access Block in one snapshot.
    pub fn get_bucket_access_config(&mut self, name: &str) -> Result<BucketAccessConfig> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, name)?;
        Ok(BucketAccessConfig {
            policy: policy_of(&tx, id)?,
            public_access_block: block_of(&tx, id)?,
        })
    }
}

fn policy_of(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT policy FROM bucket_policies WHERE bucket_id = ?1")?
        .query_row(params![id], |r| r.get(0))
        .optional()?)
}

fn block_of(conn: &Connection, id: i64) -> Result<Option<PublicAccessBlock>> {
    Ok(conn
        .prepare_cached(
            "SELECT block_public_acls, ignore_public_acls, block_public_policy,
                restrict_public_buckets
             FROM bucket_public_access_blocks WHERE bucket_id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok(PublicAccessBlock {
                block_public_acls: r.get(0)?,
                ignore_public_acls: r.get(1)?,
                block_public_policy: r.get(2)?,
                restrict_public_buckets: r.get(3)?,
            })
        })
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{bucket, open};
    use super::{BucketAccessConfig, PublicAccessBlock};
    use crate::index::IndexError;

    #[test]
    fn policy_set_replace_delete() {
        let (_dir, mut ix) = open();
        bucket(&mut ix, "b");
        assert_eq!(ix.get_bucket_policy("b").unwrap(), None);
        ix.set_bucket_policy("b", Some("{\"a\":1}")).unwrap();
        ix.set_bucket_policy("b", Some("{\"a\":2}")).unwrap();
        assert_eq!(ix.get_bucket_policy("b").unwrap().as_deref(), Some("{\"a\":2}"));
        ix.set_bucket_policy("b", None).unwrap();
        assert_eq!(ix.get_bucket_policy("b").unwrap(), None);
        assert!(matches!(ix.get_bucket_policy("nope"), Err(IndexError::NoSuchBucket(_))));
    }

    #[test]
    fn public_access_block_set_replace_delete() {
        let (_dir, mut ix) = open();
        bucket(&mut ix, "b");
        assert_eq!(ix.get_public_access_block("b").unwrap(), None);
        let all = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        };
        ix.set_public_access_block("b", Some(&all)).unwrap();
        let some = PublicAccessBlock { block_public_policy: true, ..PublicAccessBlock::default() };
        ix.set_public_access_block("b", Some(&some)).unwrap();
        assert_eq!(ix.get_public_access_block("b").unwrap(), Some(some));
        ix.set_bucket_policy("b", Some("{}")).unwrap();
        assert_eq!(
            ix.get_bucket_access_config("b").unwrap(),
            BucketAccessConfig { policy: Some("{}".into()), public_access_block: Some(some) }
        );
        ix.set_public_access_block("b", None).unwrap();
        assert_eq!(ix.get_public_access_block("b").unwrap(), None);
    }

    #[test]
    fn a_deleted_bucket_takes_its_policy_along() {
        let (_dir, mut ix) = open();
        bucket(&mut ix, "b");
        ix.set_bucket_policy("b", Some("{}")).unwrap();
        ix.set_public_access_block("b", Some(&PublicAccessBlock::default())).unwrap();
        ix.delete_bucket("b", 1).unwrap();
        // A new bucket may reuse the row ID: it starts without either.
        bucket(&mut ix, "b");
        assert_eq!(ix.get_bucket_access_config("b").unwrap(), BucketAccessConfig::default());
    }
}
