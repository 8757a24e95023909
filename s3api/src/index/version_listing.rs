//! ListObjectVersions as a seek-based scan.
//!
//! # Semantics
//!
//! The listing is the sequence of every version and delete marker whose
//! key starts with `prefix`, keys in UTF-8 byte order and each key's
//! versions newest first, with keys containing `delimiter` after the
//! prefix rolled up into common prefixes exactly as ListObjects does
//! (`listing`). Each version, marker and common prefix is one element of
//! `max_keys`. A page starts after the markers: `key_marker` alone skips
//! every version of that key (and, when it falls in a common prefix, the
//! whole prefix); with `version_id_marker` the page continues after that
//! version of `key_marker`. A truncated page's next markers are its last
//! element: a version's key and ID, or a common prefix alone.
//!
//! # Cost
//!
//! Rows are read through `objects_by_seq` (`bucket_id, key, seq DESC`),
//! whose order is the listing's: the versions left of the marker key are
//! one seek, the rest one range scan that re-seeks past each common prefix
//! (the `listing` engine). A page costs its own elements plus a few seeks,
//! wherever it starts.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::Index;
use super::codec::{common_prefix, from_sql_u64};
use super::error::Result;
use super::listing::{scan, start_cursor};
use super::versions::bucket_row;

/// A ListObjectVersions request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VersionQuery<'a> {
    /// Only keys starting with this ("" for all).
    pub prefix: &'a str,
    /// Roll keys up into common prefixes at this string.
    pub delimiter: Option<&'a str>,
    /// Start after this key (all of its versions, unless
    /// `version_id_marker` is given).
    pub key_marker: Option<&'a str>,
    /// With `key_marker`: start after this version of it.
    pub version_id_marker: Option<&'a str>,
    /// The most elements (versions, markers, common prefixes) to return.
    pub max_keys: usize,
}

/// One version or delete marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionEntry {
    /// The key.
    pub key: String,
    /// The version ID (`null` for the null version).
    pub version_id: String,
    /// The key's current version.
    pub is_latest: bool,
    /// A delete marker (size and ETag are then meaningless).
    pub delete_marker: bool,
    /// Size in bytes.
    pub size: u64,
    /// The ETag.
    pub etag: String,
    /// Last modification, unix ms.
    pub last_modified_ms: i64,
    /// The storage class, if one was set.
    pub storage_class: Option<String>,
    /// The stored ACL, which names the version's owner (`None`: the
    /// default, owned by the bucket's owner).
    pub acl: Option<String>,
}

/// One page of ListObjectVersions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionPage {
    /// Versions and delete markers, in order.
    pub entries: Vec<VersionEntry>,
    /// Common prefixes, in order.
    pub common_prefixes: Vec<String>,
    /// More elements follow.
    pub is_truncated: bool,
    /// When truncated: the key (or common prefix) to continue after.
    pub next_key_marker: Option<String>,
    /// When truncated after a version: its ID.
    pub next_version_id_marker: Option<String>,
}

const COLS: &str =
    "key, version_id, is_latest, delete_marker, size, etag, last_modified_ms, storage_class, acl";

/// The scan of ListObjectVersions, in `objects_by_seq` order.
pub(super) fn versions_sql() -> String {
    format!("SELECT {COLS} FROM objects WHERE bucket_id = ?1 AND key >= ?2 ORDER BY key, seq DESC")
}

fn entry(row: &Row<'_>, key: String) -> Result<VersionEntry> {
    Ok(VersionEntry {
        key,
        version_id: row.get(1)?,
        is_latest: row.get(2)?,
        delete_marker: row.get(3)?,
        size: from_sql_u64(row.get(4)?, "size")?,
        etag: row.get(5)?,
        last_modified_ms: row.get(6)?,
        storage_class: row.get(7)?,
        acl: row.get(8)?,
    })
}

/// The versions of `key` older than version `version_id`, newest first,
/// at most `max` of them; and whether more followed. An unknown version
/// marker lists none of the key's versions.
fn rest_of_key(
    conn: &Connection,
    bucket: i64,
    key: &str,
    version_id: &str,
    max: usize,
) -> Result<(Vec<VersionEntry>, bool)> {
    let seq: Option<i64> = conn
        .prepare_cached(
            "SELECT seq FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3",
        )?
        .query_row(params![bucket, key.as_bytes(), version_id], |r| r.get(0))
        .optional()?;
    let Some(seq) = seq else {
        return Ok((Vec::new(), false));
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM objects WHERE bucket_id = ?1 AND key = ?2 AND seq < ?3
         ORDER BY seq DESC"
    ))?;
    let mut rows = stmt.query(params![bucket, key.as_bytes(), seq])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        if out.len() == max {
            return Ok((out, true));
        }
        out.push(entry(row, key.to_string())?);
    }
    Ok((out, false))
}

impl Index {
    /// One page of ListObjectVersions (see the module docs).
    pub fn list_versions(&mut self, bucket: &str, q: &VersionQuery<'_>) -> Result<VersionPage> {
        let tx = self.read_tx()?;
        let b = bucket_row(&tx, bucket)?;
        let delimiter = q.delimiter.filter(|d| !d.is_empty());
        let mut page = VersionPage::default();
        if q.max_keys == 0 {
            tx.commit()?;
            return Ok(page);
        }
        // The versions left of the marker key, when the marker names a
        // version of a key that is listed as itself.
        let version_marker = q.version_id_marker.filter(|v| !v.is_empty());
        if let (Some(k), Some(v)) = (q.key_marker, version_marker)
            && k.starts_with(q.prefix)
            && common_prefix(k, q.prefix, delimiter).is_none()
        {
            let (entries, more) = rest_of_key(&tx, b.id, k, v, q.max_keys)?;
            page.entries = entries;
            page.is_truncated = more;
        }
        let left = q.max_keys - page.entries.len();
        let start = start_cursor(q.prefix, delimiter, q.key_marker);
        let sql = versions_sql();
        let mut last_was_prefix = false;
        if !page.is_truncated {
            // A full first part still needs to know whether anything
            // follows: one more element is looked for, not returned.
            let want = if left == 0 { 1 } else { left };
            let scanned = scan(&tx, &sql, b.id, start, q.prefix, delimiter, want, entry)?;
            if left == 0 {
                page.is_truncated = !scanned.entries.is_empty() || !scanned.prefixes.is_empty();
            } else {
                page.entries.extend(scanned.entries);
                page.common_prefixes = scanned.prefixes;
                page.is_truncated = scanned.truncated;
                last_was_prefix = scanned.last_was_prefix;
            }
        }
        tx.commit()?;
        if page.is_truncated {
            if last_was_prefix {
                page.next_key_marker = page.common_prefixes.last().cloned();
            } else if let Some(e) = page.entries.last() {
                page.next_key_marker = Some(e.key.clone());
                page.next_version_id_marker = Some(e.version_id.clone());
            }
        }
        Ok(page)
    }
}
