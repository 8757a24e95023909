//! A bucket's access configuration as one record — its ACL, its Object
//! Ownership and its owner grants — for what moves buckets between
//! indexes whole: `rebuild-index` keeping an existing index's buckets,
//! and configuration export and import.

use super::Index;
use super::error::{IndexError, Result};
use super::grants::OwnerGrant;

/// Everything about who may use a bucket besides its owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketAclConfig {
    /// The stored ACL (`gateway::access::acl`); `None`: private.
    pub acl: Option<String>,
    /// The Object Ownership; `None`: never set (ObjectWriter).
    pub object_ownership: Option<String>,
    /// Owner grants (`fdfs gateway key allow`), by owner name.
    pub grants: Vec<(String, OwnerGrant)>,
}

impl Index {
    /// Bucket `name`'s access configuration.
    pub fn get_bucket_acl_config(&mut self, name: &str) -> Result<BucketAclConfig> {
        let access =
            self.get_bucket_access(name)?.ok_or_else(|| IndexError::NoSuchBucket(name.into()))?;
        Ok(BucketAclConfig {
            acl: access.acl,
            object_ownership: access.object_ownership,
            grants: self.list_bucket_grants(name)?,
        })
    }

    /// Replaces bucket `name`'s access configuration with `config`.
    pub fn set_bucket_acl_config(&mut self, name: &str, config: &BucketAclConfig) -> Result<()> {
        self.atomically(|ix| {
            ix.set_bucket_acl(name, config.acl.as_deref())?;
            ix.set_bucket_ownership(name, config.object_ownership.as_deref())?;
            for (owner, _) in ix.list_bucket_grants(name)? {
                ix.set_bucket_grant(name, &owner, OwnerGrant::default())?;
            }
            for (owner, grant) in &config.grants {
                ix.set_bucket_grant(name, owner, *grant)?;
            }
            Ok(())
        })
    }
}
