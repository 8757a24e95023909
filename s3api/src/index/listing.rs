//! ListObjects (v1 and v2) as a range scan with seeks.
//!
//! # Semantics
//!
//! Think of the listing as one sorted sequence of *elements*: every key
//! that starts with `prefix`, except that a key containing `delimiter`
//! after the prefix is replaced by its common prefix (prefix + text up to
//! and including that delimiter), each common prefix appearing once. A
//! common prefix sorts before all of its keys and no other element falls
//! between them, so the sequence is in UTF-8 byte order either way. A page
//! is the first `max_keys` elements *greater than* the marker
//! (`marker` / `start-after` / the decoded continuation token); it is
//! truncated when more elements follow, and then `next_marker` is its last
//! element — a key or a common prefix. Resuming after a common prefix
//! therefore skips every key under it, and a marker *inside* a common
//! prefix skips the rest of that prefix too (the prefix itself sorts at or
//! before the marker). `max_keys == 0` returns nothing, not truncated.
//!
//! # Cost
//!
//! Keys are BLOBs under the `(bucket_id, key)` index, so a scan steps the
//! index in byte order and stops at the first key outside the prefix. On
//! meeting a key that rolls up into a common prefix it emits the prefix
//! and re-seeks to the prefix's successor: a page costs at most
//! `max_keys + 1` seeks or steps, however many keys the prefixes hide,
//! and never reads the whole bucket.

use rusqlite::{Connection, Row};

use super::Index;
use super::buckets::bucket_id;
use super::codec::{common_prefix, from_sql_u64, key_successor, prefix_successor};
use super::error::{IndexError, Result};

/// The scan of ListObjects: current objects only, said literally as the
/// partial index `objects_current` says it, so SQLite scans that index
/// and never steps over old versions or delete markers.
pub(super) const LIST_SQL: &str = "SELECT key, size, etag, last_modified_ms, storage_class, acl
    FROM objects WHERE bucket_id = ?1 AND key >= ?2 AND is_latest = 1 AND delete_marker = 0
    ORDER BY key";

/// A listing request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListQuery<'a> {
    /// Only keys starting with this ("" for all).
    pub prefix: &'a str,
    /// Roll keys up into common prefixes at this string (`None` or "" for
    /// a flat listing).
    pub delimiter: Option<&'a str>,
    /// Start after this element (exclusive).
    pub start_after: Option<&'a str>,
    /// The most elements (keys plus common prefixes) to return.
    pub max_keys: usize,
}

/// One key in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// The ETag.
    pub etag: String,
    /// Last modification, unix ms.
    pub last_modified_ms: i64,
    /// The storage class, if one was set.
    pub storage_class: Option<String>,
    /// The stored ACL, which names the object's owner (`None`: the
    /// default, owned by the bucket's owner).
    pub acl: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Keys, in order.
    pub entries: Vec<ListEntry>,
    /// Common prefixes, in order.
    pub common_prefixes: Vec<String>,
    /// More elements follow.
    pub is_truncated: bool,
    /// When truncated: the last element returned (key or common prefix),
    /// the marker / start-after / continuation token of the next page.
    pub next_marker: Option<String>,
}

/// Where a scan starts: rows whose `(key, upload_id)` is greater than
/// `(key, after_id)`; objects use only `key`, as an inclusive bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cursor {
    /// The lower key bound (inclusive when `after_id` is empty).
    pub key: Vec<u8>,
    /// Upload listings: the upload-ID tiebreak within `key`.
    pub after_id: String,
}

/// The cursor for the first element after `marker` under `prefix`; `None`
/// when no element can follow.
pub(super) fn start_cursor(
    prefix: &str,
    delimiter: Option<&str>,
    marker: Option<&str>,
) -> Option<Cursor> {
    let mut key = prefix.as_bytes().to_vec();
    if let Some(marker) = marker {
        let after = match common_prefix(marker, prefix, delimiter) {
            Some(cp) => prefix_successor(cp.as_bytes())?,
            None => key_successor(marker.as_bytes()),
        };
        key = key.max(after);
    }
    Some(Cursor { key, after_id: String::new() })
}

/// What a scan collected.
#[derive(Debug)]
pub(super) struct Scanned<E> {
    pub entries: Vec<E>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// The last element collected was a common prefix.
    pub last_was_prefix: bool,
}

/// The roll-up engine. `sql` selects the key BLOB as column 0 in
/// `(key[, upload_id])` order, with `?1` the bucket row ID, `?2` the
/// cursor key and (if present) `?3` the upload-ID tiebreak. `decode`
/// turns a row that stays a key into an entry.
#[allow(clippy::too_many_arguments)]
pub(super) fn scan<E>(
    conn: &Connection,
    sql: &str,
    bucket: i64,
    start: Option<Cursor>,
    prefix: &str,
    delimiter: Option<&str>,
    max: usize,
    mut decode: impl FnMut(&Row<'_>, String) -> Result<E>,
) -> Result<Scanned<E>> {
    let mut out = Scanned {
        entries: Vec::new(),
        prefixes: Vec::new(),
        truncated: false,
        last_was_prefix: false,
    };
    let (Some(mut cursor), true) = (start, max > 0) else {
        return Ok(out);
    };
    let mut count = 0;
    'seek: loop {
        let mut stmt = conn.prepare_cached(sql)?;
        stmt.raw_bind_parameter(1, bucket)?;
        stmt.raw_bind_parameter(2, &cursor.key)?;
        if stmt.parameter_count() >= 3 {
            stmt.raw_bind_parameter(3, &cursor.after_id)?;
        }
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            let key = match row.get_ref(0)? {
                rusqlite::types::ValueRef::Blob(b) => b,
                other => {
                    return Err(IndexError::Corrupt(format!(
                        "key of type {:?}",
                        other.data_type()
                    )));
                }
            };
            if !key.starts_with(prefix.as_bytes()) {
                break 'seek;
            }
            if count == max {
                out.truncated = true;
                break 'seek;
            }
            let key = std::str::from_utf8(key)
                .map_err(|_| IndexError::Corrupt("key is not UTF-8".into()))?;
            count += 1;
            if let Some(cp) = common_prefix(key, prefix, delimiter) {
                out.prefixes.push(cp.to_string());
                out.last_was_prefix = true;
                match prefix_successor(cp.as_bytes()) {
                    Some(next) => {
                        cursor = Cursor { key: next, after_id: String::new() };
                        continue 'seek;
                    }
                    None => break 'seek,
                }
            }
            let key = key.to_string();
            out.entries.push(decode(row, key)?);
            out.last_was_prefix = false;
        }
        break;
    }
    Ok(out)
}

impl Index {
    /// One page of ListObjects / ListObjectsV2 (see the module docs for
    /// the exact semantics).
    pub fn list_objects(&mut self, bucket: &str, query: &ListQuery<'_>) -> Result<ListPage> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, bucket)?;
        let delimiter = query.delimiter.filter(|d| !d.is_empty());
        let start = start_cursor(query.prefix, delimiter, query.start_after);
        let scanned =
            scan(&tx, LIST_SQL, id, start, query.prefix, delimiter, query.max_keys, |row, key| {
                Ok(ListEntry {
                    key,
                    size: from_sql_u64(row.get(1)?, "size")?,
                    etag: row.get(2)?,
                    last_modified_ms: row.get(3)?,
                    storage_class: row.get(4)?,
                    acl: row.get(5)?,
                })
            })?;
        tx.commit()?;
        let next_marker = match (scanned.truncated, scanned.last_was_prefix) {
            (false, _) => None,
            (true, true) => scanned.prefixes.last().cloned(),
            (true, false) => scanned.entries.last().map(|e| e.key.clone()),
        };
        Ok(ListPage {
            entries: scanned.entries,
            common_prefixes: scanned.prefixes,
            is_truncated: scanned.truncated,
            next_marker,
        })
    }
}
