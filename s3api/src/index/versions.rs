//! Versions and delete markers: the bucket's versioning state, and the
//! write, delete and read of one version, in the caller's transaction.
//!
//! # The rows
//!
//! `objects` holds one row per version and delete marker. The versions of
//! a key are ordered by `seq` (a new one gets the key's highest plus one,
//! inside the write transaction, so ordering never depends on clocks or
//! on the random version IDs), and exactly one of them is `is_latest`.
//!
//! # What a write does, by bucket state
//!
//! - never versioned: the key's one `null` row is replaced in place and
//!   its files released (as before versioning existed);
//! - Enabled: a new row with a fresh random version ID becomes the
//!   latest; the old latest stays, holding its files;
//! - Suspended: the new row is the `null` version; an earlier `null`
//!   version of the key (latest or not) is removed and its files released.
//!
//! A delete without a version ID is a write of a delete marker in a
//! versioned bucket (even over a marker, as AWS does) and a removal in a
//! never-versioned one. A delete with a version ID removes exactly that
//! row; if it was the latest, the row with the highest remaining `seq`
//! becomes the latest. Every row holds references on its files (a delete
//! marker on its marker file, when it has one), so refcounts stay exact.

use rand::Rng;
use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};

use super::codec::to_sql_u64;
use super::error::{IndexError, Result};
use super::files;
use super::objects::{insert_parts, write_object};
use super::rows::{META_COLS, MetaValues, ObjectRow, find_version, owned_file_ids};
use super::types::{DeleteReason, Deleted, NewObject, ObjectData, ObjectMeta, Versioning};

/// The version ID of unversioned objects and of writes to a suspended
/// bucket.
pub const NULL_VERSION: &str = "null";

/// The length of the version IDs the index makes.
pub const VERSION_ID_LEN: usize = 32;

/// The alphabet of version IDs: URL-safe, so they need no escaping in a
/// query string or a header.
const VERSION_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

/// A fresh random version ID (192 bits of randomness).
pub fn new_version_id() -> String {
    let mut rng = rand::rng();
    (0..VERSION_ID_LEN).map(|_| VERSION_ALPHABET[rng.random_range(0..64)] as char).collect()
}

/// Whether `v` could name a version: `null` or an ID of our form. A
/// malformed one is 400 InvalidArgument on AWS, not NoSuchVersion.
pub fn is_valid_version_id(v: &str) -> bool {
    v == NULL_VERSION
        || (v.len() == VERSION_ID_LEN && v.bytes().all(|b| VERSION_ALPHABET.contains(&b)))
}

/// [`is_valid_version_id`] as a result, `None` passing.
pub(super) fn check_version_id(v: Option<&str>) -> Result<()> {
    match v {
        Some(v) if !is_valid_version_id(v) => {
            Err(IndexError::InvalidArgument("Invalid version id specified".into()))
        }
        _ => Ok(()),
    }
}

/// A bucket row as writes and reads need it.
#[derive(Debug, Clone, Copy)]
pub(super) struct BucketRow {
    pub id: i64,
    pub versioning: Option<Versioning>,
}

impl BucketRow {
    /// A row's version ID as the API shows it: `None` in a never-versioned
    /// bucket (S3 sends no version header there).
    pub fn shown(&self, version_id: String) -> Option<String> {
        self.versioning.map(|_| version_id)
    }
}

/// Bucket `name`'s row ID and versioning state, or `NoSuchBucket`.
pub(super) fn bucket_row(conn: &Connection, name: &str) -> Result<BucketRow> {
    let row: Option<(i64, Option<String>)> = conn
        .prepare_cached("SELECT id, versioning FROM buckets WHERE name = ?1")?
        .query_row(params![name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, state) = row.ok_or_else(|| IndexError::NoSuchBucket(name.to_string()))?;
    let versioning = match state {
        None => None,
        Some(s) => Some(
            Versioning::parse(&s)
                .ok_or_else(|| IndexError::Corrupt(format!("bucket versioning {s:?}")))?,
        ),
    };
    Ok(BucketRow { id, versioning })
}

/// What a new version row holds.
#[derive(Debug, Clone, Copy)]
pub(super) enum Content<'a> {
    /// An object's data and attributes.
    Object(&'a NewObject),
    /// A delete marker, with the small file that records it on the
    /// storages (if one was uploaded).
    Marker { file: Option<&'a str>, now_ms: i64 },
}

/// A written row.
#[derive(Debug)]
pub(super) struct RowWritten {
    pub row_id: i64,
    pub version_id: String,
    pub seq: i64,
    pub released: Vec<String>,
}

/// Writes `content` as the new latest version of `key` (see the module
/// docs for what each bucket state does).
pub(super) fn write_version(
    conn: &Connection,
    bucket: &BucketRow,
    key: &str,
    content: Content<'_>,
) -> Result<RowWritten> {
    let Some(state) = bucket.versioning else {
        let Content::Object(obj) = content else {
            return Err(IndexError::InvalidArgument(
                "a delete marker needs a versioned bucket".into(),
            ));
        };
        let (row_id, released) = write_object(conn, bucket.id, key, obj)?;
        return Ok(RowWritten { row_id, version_id: NULL_VERSION.into(), seq: 0, released });
    };
    // New references first, so a file shared with the version this
    // replaces never touches zero on the way.
    let new_files: Vec<&str> = match content {
        Content::Object(obj) => obj.data.file_ids(),
        Content::Marker { file, .. } => file.into_iter().collect(),
    };
    for id in &new_files {
        files::retain(conn, id)?;
    }
    let seq = next_seq(conn, bucket.id, key)?;
    conn.prepare_cached(
        "UPDATE objects SET is_latest = 0 WHERE bucket_id = ?1 AND key = ?2 AND is_latest = 1",
    )?
    .execute(params![bucket.id, key.as_bytes()])?;
    let now_ms = match content {
        Content::Object(obj) => obj.last_modified_ms,
        Content::Marker { now_ms, .. } => now_ms,
    };
    let (version_id, released) = match state {
        Versioning::Enabled => (new_version_id(), Vec::new()),
        Versioning::Suspended => {
            let released = match find_version(conn, bucket.id, key, Some(NULL_VERSION))? {
                Some(old) => {
                    // Replacing the null version removes it: not a locked one.
                    super::object_lock::guard_removal(conn, old.id, key, now_ms, false)?;
                    remove_row(conn, &old, DeleteReason::Overwritten, now_ms)?
                }
                None => Vec::new(),
            };
            (NULL_VERSION.to_string(), released)
        }
    };
    let row_id = insert_row(conn, bucket.id, key, content, &version_id, seq)?;
    Ok(RowWritten { row_id, version_id, seq, released })
}

/// The `seq` a new version of `key` gets: one above the newest.
fn next_seq(conn: &Connection, bucket: i64, key: &str) -> Result<i64> {
    let top: Option<i64> = conn
        .prepare_cached(
            "SELECT seq FROM objects WHERE bucket_id = ?1 AND key = ?2 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row(params![bucket, key.as_bytes()], |r| r.get(0))
        .optional()?;
    Ok(top.map_or(1, |s| s + 1))
}

/// Inserts a version row (the latest) and its manifest.
pub(super) fn insert_row(
    conn: &Connection,
    bucket: i64,
    key: &str,
    content: Content<'_>,
    version_id: &str,
    seq: i64,
) -> Result<i64> {
    insert_row_as(conn, bucket, key, content, version_id, seq, true)
}

/// [`insert_row`] with an explicit `is_latest` (an index rebuild restores
/// old versions as they were).
pub(super) fn insert_row_as(
    conn: &Connection,
    bucket: i64,
    key: &str,
    content: Content<'_>,
    version_id: &str,
    seq: i64,
    is_latest: bool,
) -> Result<i64> {
    let empty = ObjectMeta::default();
    let (single, part_count, size, etag, modified, meta, marker) = match content {
        Content::Object(obj) => {
            let (single, count) = match &obj.data {
                ObjectData::Single(id) => (Some(id.as_str()), 0_i64),
                ObjectData::Parts(parts) => (None, parts.len() as i64),
            };
            let size = to_sql_u64(obj.size, "size")?;
            (single, count, size, obj.etag.as_str(), obj.last_modified_ms, &obj.meta, false)
        }
        Content::Marker { file, now_ms } => (file, 0, 0, "", now_ms, &empty, true),
    };
    let meta = MetaValues::new(meta)?;
    let key_bytes = key.as_bytes();
    let mut values: Vec<&dyn ToSql> =
        vec![&bucket, &key_bytes, &single, &part_count, &size, &etag, &modified];
    values.extend(meta.values());
    values.extend([&version_id as &dyn ToSql, &seq, &is_latest, &marker]);
    conn.prepare_cached(&format!(
        "INSERT INTO objects (bucket_id, key, file_id, part_count, size, etag,
         last_modified_ms, {META_COLS}, version_id, seq, is_latest, delete_marker)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
         ?18, ?19, ?20, ?21, ?22)"
    ))?
    .execute(params_from_iter(values))?;
    let row_id = conn.last_insert_rowid();
    if let Content::Object(obj) = content {
        insert_parts(conn, row_id, &obj.data)?;
    }
    Ok(row_id)
}

/// Removes version row `row` and its manifest, releasing its files;
/// returns those put on the delete queue. Does not promote another row.
fn remove_row(
    conn: &Connection,
    row: &ObjectRow,
    reason: DeleteReason,
    now_ms: i64,
) -> Result<Vec<String>> {
    let old_files = owned_file_ids(conn, row)?;
    conn.prepare_cached("DELETE FROM object_parts WHERE object_id = ?1")?
        .execute(params![row.id])?;
    conn.prepare_cached("DELETE FROM objects WHERE id = ?1")?.execute(params![row.id])?;
    files::release_all(conn, old_files.iter().map(String::as_str), reason, now_ms)
}

/// Makes the newest remaining version of `key` the latest.
fn promote(conn: &Connection, bucket: i64, key: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE objects SET is_latest = 1 WHERE id = (SELECT id FROM objects
         WHERE bucket_id = ?1 AND key = ?2 ORDER BY seq DESC LIMIT 1)",
    )?
    .execute(params![bucket, key.as_bytes()])?;
    Ok(())
}

/// DeleteObject in the caller's transaction (see the module docs).
/// `marker_file` is the file the gateway uploaded to record a new delete
/// marker on the storages; when no marker is made after all (the bucket
/// is not versioned, or a version ID was given) it goes on the delete
/// queue at once.
pub(super) fn delete_version(
    conn: &Connection,
    bucket: &BucketRow,
    key: &str,
    version_id: Option<&str>,
    marker_file: Option<&str>,
    now_ms: i64,
    bypass: bool,
) -> Result<Deleted> {
    match (version_id, bucket.versioning) {
        (None, Some(_)) => {
            let file = marker_file;
            let w = write_version(conn, bucket, key, Content::Marker { file, now_ms })?;
            Ok(Deleted {
                version_id: Some(w.version_id),
                delete_marker: true,
                seq: w.seq,
                found: true,
                released: w.released,
            })
        }
        (_, versioning) => {
            let target = version_id.unwrap_or(NULL_VERSION);
            let shown = versioning.is_some() || version_id.is_some();
            let mut out =
                Deleted { version_id: shown.then(|| target.to_string()), ..Deleted::default() };
            if let Some(file) = marker_file
                && files::enqueue_unreferenced(conn, file, DeleteReason::Rejected, now_ms)?
            {
                out.released.push(file.to_string());
            }
            let Some(row) = find_version(conn, bucket.id, key, Some(target))? else {
                return Ok(out);
            };
            // Object Lock: a retained or held version stays (403).
            super::object_lock::guard_removal(conn, row.id, key, now_ms, bypass)?;
            out.released.extend(remove_row(conn, &row, DeleteReason::Deleted, now_ms)?);
            if row.is_latest {
                promote(conn, bucket.id, key)?;
            }
            out.delete_marker = row.delete_marker;
            out.found = true;
            Ok(out)
        }
    }
}

/// The version a read addresses, refusing a delete marker and a missing
/// key or version with the error S3 answers.
pub(super) fn readable(
    conn: &Connection,
    bucket: &BucketRow,
    bucket_name: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<ObjectRow> {
    let Some(mut row) = find_version(conn, bucket.id, key, version_id)? else {
        return Err(match version_id {
            None => IndexError::NoSuchKey { bucket: bucket_name.into(), key: key.into() },
            Some(v) => IndexError::NoSuchVersion {
                bucket: bucket_name.into(),
                key: key.into(),
                version_id: v.into(),
            },
        });
    };
    if row.delete_marker {
        return Err(IndexError::DeleteMarker {
            bucket: bucket_name.into(),
            key: key.into(),
            version_id: row.info.version_id.unwrap_or_default(),
            addressed: version_id.is_some(),
        });
    }
    row.info.version_id = bucket.shown(row.info.version_id.take().unwrap_or_default());
    Ok(row)
}
