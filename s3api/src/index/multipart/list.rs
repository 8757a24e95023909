//! ListParts and ListMultipartUploads.
//!
//! ListParts pages by part number. ListMultipartUploads lists uploads in
//! `(key, upload ID)` order with the same prefix / delimiter roll-up as
//! ListObjects (the shared engine in `listing`): `key_marker` alone starts
//! after that key; with `upload_id_marker` it starts after that upload of
//! that key; a marker that rolls up into a common prefix starts after the
//! whole prefix. When a page ends on a common prefix, the next key marker
//! is that prefix and there is no next upload-ID marker.

use rusqlite::params;

use super::super::Index;
use super::super::buckets::bucket_id;
use super::super::codec::common_prefix;
use super::super::error::Result;
use super::super::listing::{Cursor, scan, start_cursor};
use super::super::rows::{META_COLS, meta_from_row};
use super::{PartInfo, Upload, find_upload, part_from_row};

/// One page of ListParts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartsPage {
    /// Parts in part-number order.
    pub parts: Vec<PartInfo>,
    /// More parts follow.
    pub is_truncated: bool,
    /// When truncated: the last part number returned.
    pub next_part_number_marker: Option<u32>,
}

/// A ListMultipartUploads request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadListQuery<'a> {
    /// Only keys starting with this.
    pub prefix: &'a str,
    /// Roll keys up at this string.
    pub delimiter: Option<&'a str>,
    /// Start after this key (or common prefix).
    pub key_marker: Option<&'a str>,
    /// With `key_marker`: start after this upload of that key.
    pub upload_id_marker: Option<&'a str>,
    /// The most elements (uploads plus common prefixes) to return.
    pub max_uploads: usize,
}

/// One page of ListMultipartUploads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadPage {
    /// Uploads in `(key, upload ID)` order.
    pub uploads: Vec<Upload>,
    /// Common prefixes, in order.
    pub common_prefixes: Vec<String>,
    /// More elements follow.
    pub is_truncated: bool,
    /// When truncated: the next page's key marker.
    pub next_key_marker: Option<String>,
    /// When truncated after an upload: the next page's upload-ID marker.
    pub next_upload_id_marker: Option<String>,
}

impl Index {
    /// ListParts: up to `max_parts` parts numbered above `marker`.
    pub fn list_parts(
        &mut self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        marker: u32,
        max_parts: usize,
    ) -> Result<PartsPage> {
        let tx = self.read_tx()?;
        let (row, _) = find_upload(&tx, bucket, key, upload_id)?;
        let mut page = PartsPage::default();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT part_number, file_id, size, etag, checksums, last_modified_ms
                 FROM upload_parts WHERE upload_row = ?1 AND part_number > ?2
                 ORDER BY part_number LIMIT ?3",
            )?;
            let limit = i64::try_from(max_parts).unwrap_or(i64::MAX - 1) + 1;
            let mut rows = stmt.query(params![row, marker, limit])?;
            while let Some(r) = rows.next()? {
                if page.parts.len() == max_parts {
                    page.is_truncated = true;
                    break;
                }
                page.parts.push(part_from_row(r)?);
            }
        }
        tx.commit()?;
        if page.is_truncated {
            page.next_part_number_marker = page.parts.last().map(|p| p.part_number);
        }
        Ok(page)
    }

    /// ListMultipartUploads (see the module docs for the markers).
    pub fn list_uploads(
        &mut self,
        bucket: &str,
        query: &UploadListQuery<'_>,
    ) -> Result<UploadPage> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, bucket)?;
        let delimiter = query.delimiter.filter(|d| !d.is_empty());
        let start = match (query.key_marker, query.upload_id_marker) {
            (Some(key), Some(upload))
                if common_prefix(key, query.prefix, delimiter).is_none()
                    && key.as_bytes() >= query.prefix.as_bytes() =>
            {
                Some(Cursor { key: key.as_bytes().to_vec(), after_id: upload.to_string() })
            }
            (marker, _) => start_cursor(query.prefix, delimiter, marker),
        };
        let sql = format!(
            "SELECT key, upload_id, created_ms, {META_COLS} FROM uploads
             WHERE bucket_id = ?1 AND (key, upload_id) > (?2, ?3) ORDER BY key, upload_id"
        );
        let scanned =
            scan(&tx, &sql, id, start, query.prefix, delimiter, query.max_uploads, |row, key| {
                Ok(Upload {
                    bucket: bucket.to_string(),
                    key,
                    upload_id: row.get(1)?,
                    created_ms: row.get(2)?,
                    meta: meta_from_row(row, 3)?,
                })
            })?;
        tx.commit()?;
        let (next_key_marker, next_upload_id_marker) =
            match (scanned.truncated, scanned.last_was_prefix) {
                (false, _) => (None, None),
                (true, true) => (scanned.prefixes.last().cloned(), None),
                (true, false) => match scanned.entries.last() {
                    Some(u) => (Some(u.key.clone()), Some(u.upload_id.clone())),
                    None => (None, None),
                },
            };
        Ok(UploadPage {
            uploads: scanned.entries,
            common_prefixes: scanned.prefixes,
            is_truncated: scanned.truncated,
            next_key_marker,
            next_upload_id_marker,
        })
    }
}
