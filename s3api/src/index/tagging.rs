//! Tagging in the index: each version's tag set (the `tags` column of its
//! object row, which every write sets from [`super::ObjectMeta::tags`]) and
//! a bucket's (the `tags` column of its bucket row).
//!
//! The index stores what it is given: the gateway has already checked a
//! tag set against S3's limits (`crate::gateway::tagging::rules`). A tag
//! set is a map, so a key appears once; an empty map is "no tags".
//!
//! The object calls address a version as every read does (`target_row`:
//! the version named, or the current one), so a delete marker is
//! [`IndexError::DeleteMarker`] — 405 when named, 404 when current, as
//! AWS answers a tagging call on one. Tags are not protected by Object
//! Lock (AWS lets a locked version's tags change), so no lock guard here.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::Index;
use super::buckets::bucket_id;
use super::codec::{decode_map, encode_map};
use super::error::{IndexError, Result};
use super::rows::object_data;
use super::versions::{bucket_row, check_version_id, readable};

/// A version's tags, as GetObjectTagging answers them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionTags {
    /// The version's ID (`x-amz-version-id`); `None` in a never-versioned
    /// bucket.
    pub version_id: Option<String>,
    /// The tag set.
    pub tags: BTreeMap<String, String>,
}

/// What PutObjectTagging / DeleteObjectTagging changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagsWritten {
    /// The version whose tags changed (`None` in a never-versioned bucket).
    pub version_id: Option<String>,
    /// The row's version ID as stored (`null` for the null version), for
    /// the rebuild tags of its files.
    pub stored_version_id: String,
    /// The files of the version, whose rebuild tags record its tag set.
    pub file_ids: Vec<String>,
    /// The bucket has versioning state (the rebuild tags then name the
    /// version they belong to).
    pub versioned: bool,
}

impl Index {
    /// The tags of version `version_id` of `key` (`None`: the current
    /// version); errors as a read of it.
    pub fn object_tags(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<VersionTags> {
        check_version_id(version_id)?;
        let tx = self.read_tx()?;
        let b = bucket_row(&tx, bucket)?;
        let row = readable(&tx, &b, bucket, key, version_id)?;
        Ok(VersionTags { version_id: row.info.version_id, tags: row.info.meta.tags })
    }

    /// Replaces the tags of version `version_id` of `key` (`None`: the
    /// current one) with `tags` (empty: removes them).
    pub fn set_object_tags(
        &mut self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        tags: &BTreeMap<String, String>,
    ) -> Result<TagsWritten> {
        check_version_id(version_id)?;
        let blob = encode_map(tags)?;
        let tx = self.write_tx()?;
        let b = bucket_row(&tx, bucket)?;
        let row = readable(&tx, &b, bucket, key, version_id)?;
        tx.prepare_cached("UPDATE objects SET tags = ?1 WHERE id = ?2")?
            .execute(params![blob, row.id])?;
        let stored_version_id: String = tx
            .prepare_cached("SELECT version_id FROM objects WHERE id = ?1")?
            .query_row(params![row.id], |r| r.get(0))?;
        let file_ids = object_data(&tx, &row)?.file_ids().into_iter().map(str::to_string).collect();
        tx.commit()?;
        Ok(TagsWritten {
            version_id: row.info.version_id,
            stored_version_id,
            file_ids,
            versioned: b.versioning.is_some(),
        })
    }

    /// Bucket `name`'s tag set; `None` when it has none
    /// (GetBucketTagging's NoSuchTagSet).
    pub fn get_bucket_tags(&mut self, name: &str) -> Result<Option<BTreeMap<String, String>>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, name)?;
        let blob: Option<Vec<u8>> = tx
            .prepare_cached("SELECT tags FROM buckets WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))
            .optional()?
            .flatten();
        match blob {
            None => Ok(None),
            Some(b) => {
                let tags = decode_map(&b)
                    .map_err(|e| IndexError::Corrupt(format!("bucket {name}: tags: {e}")))?;
                Ok((!tags.is_empty()).then_some(tags))
            }
        }
    }

    /// Sets bucket `name`'s tag set (`None` or an empty set: removes it).
    /// The stored form of the lead's export/import of bucket configuration.
    pub fn set_bucket_tags(
        &mut self,
        name: &str,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Result<()> {
        let blob = match tags {
            Some(t) if !t.is_empty() => Some(encode_map(t)?),
            _ => None,
        };
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        tx.prepare_cached("UPDATE buckets SET tags = ?1 WHERE id = ?2")?
            .execute(params![blob, id])?;
        tx.commit()?;
        Ok(())
    }
}
