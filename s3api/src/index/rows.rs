//! Row ↔ record conversions shared by objects and uploads.

use rusqlite::{Connection, Row, params};

use super::codec::{decode_map, encode_map, from_sql_u32, from_sql_u64, key_from_blob};
use super::error::{IndexError, Result};
use super::types::{ObjectData, ObjectInfo, ObjectMeta, PartRef};

/// The metadata columns, in the order [`MetaValues`] binds them and
/// [`meta_from_row`] reads them.
pub const META_COLS: &str = "content_type, content_encoding, content_disposition, \
    content_language, cache_control, expires, storage_class, user_meta, checksums, encryption, tags";

/// The columns of an object row read by [`object_from_row`].
pub const OBJECT_COLS: &str = "id, key, file_id, part_count, size, etag, last_modified_ms, \
    content_type, content_encoding, content_disposition, content_language, cache_control, \
    expires, storage_class, user_meta, checksums, encryption, tags, version_id, seq, is_latest, \
    delete_marker";

/// An [`ObjectMeta`] encoded for binding.
#[derive(Debug)]
pub struct MetaValues<'a> {
    meta: &'a ObjectMeta,
    user: Vec<u8>,
    checksums: Vec<u8>,
    tags: Vec<u8>,
}

impl<'a> MetaValues<'a> {
    /// Encodes the maps of `meta`.
    pub fn new(meta: &'a ObjectMeta) -> Result<Self> {
        Ok(Self {
            meta,
            user: encode_map(&meta.user)?,
            checksums: encode_map(&meta.checksums)?,
            tags: encode_map(&meta.tags)?,
        })
    }

    /// The eleven values in [`META_COLS`] order.
    pub fn values(&self) -> [&dyn rusqlite::ToSql; 11] {
        let m = self.meta;
        [
            &m.content_type,
            &m.content_encoding,
            &m.content_disposition,
            &m.content_language,
            &m.cache_control,
            &m.expires,
            &m.storage_class,
            &self.user,
            &self.checksums,
            &m.encryption,
            &self.tags,
        ]
    }
}

/// Reads the eleven [`META_COLS`] starting at column `at`.
pub fn meta_from_row(row: &Row<'_>, at: usize) -> Result<ObjectMeta> {
    let user: Vec<u8> = row.get(at + 7)?;
    let checksums: Vec<u8> = row.get(at + 8)?;
    let tags: Vec<u8> = row.get(at + 10)?;
    Ok(ObjectMeta {
        content_type: row.get(at)?,
        content_encoding: row.get(at + 1)?,
        content_disposition: row.get(at + 2)?,
        content_language: row.get(at + 3)?,
        cache_control: row.get(at + 4)?,
        expires: row.get(at + 5)?,
        storage_class: row.get(at + 6)?,
        user: decode_map(&user)?,
        checksums: decode_map(&checksums)?,
        encryption: row.get(at + 9)?,
        tags: decode_map(&tags)?,
    })
}

/// An object row as read by [`OBJECT_COLS`]: its row ID, its single file
/// (if any) and its attributes.
#[derive(Debug)]
pub struct ObjectRow {
    /// The row ID (manifest rows hang off it).
    pub id: i64,
    /// The single file, `None` for a multipart object (and for a delete
    /// marker written without a marker file).
    pub file_id: Option<String>,
    /// The attributes; `info.version_id` is always the row's version ID
    /// here (the caller hides it in a never-versioned bucket).
    pub info: ObjectInfo,
    /// The key's current version.
    pub is_latest: bool,
    /// A delete marker.
    pub delete_marker: bool,
}

/// Reads an object row selected with [`OBJECT_COLS`].
pub fn object_from_row(row: &Row<'_>) -> Result<ObjectRow> {
    let id: i64 = row.get(0)?;
    let file_id: Option<String> = row.get(2)?;
    let part_count = from_sql_u32(row.get(3)?, "part_count")?;
    let delete_marker: bool = row.get(21)?;
    let consistent =
        if delete_marker { part_count == 0 } else { file_id.is_some() != (part_count > 0) };
    if !consistent {
        return Err(IndexError::Corrupt(format!(
            "object row {id}: file_id {file_id:?} with {part_count} parts"
        )));
    }
    Ok(ObjectRow {
        id,
        file_id,
        info: ObjectInfo {
            key: key_from_blob(row.get(1)?)?,
            size: from_sql_u64(row.get(4)?, "size")?,
            etag: row.get(5)?,
            last_modified_ms: row.get(6)?,
            part_count,
            meta: meta_from_row(row, 7)?,
            version_id: Some(row.get(18)?),
        },
        is_latest: row.get(20)?,
        delete_marker,
    })
}

/// The current object of `key` in bucket `bucket_id` — its latest
/// version unless that is a delete marker — if any.
pub fn find_object(conn: &Connection, bucket_id: i64, key: &str) -> Result<Option<ObjectRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {OBJECT_COLS} FROM objects
         WHERE bucket_id = ?1 AND key = ?2 AND is_latest = 1 AND delete_marker = 0"
    ))?;
    let mut rows = stmt.query(params![bucket_id, key.as_bytes()])?;
    match rows.next()? {
        Some(row) => Ok(Some(object_from_row(row)?)),
        None => Ok(None),
    }
}

/// The version `version_id` of `key` (`None`: the latest version, which
/// may be a delete marker), if any.
pub fn find_version(
    conn: &Connection,
    bucket_id: i64,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<ObjectRow>> {
    let mut stmt = match version_id {
        None => conn.prepare_cached(&format!(
            "SELECT {OBJECT_COLS} FROM objects WHERE bucket_id = ?1 AND key = ?2 AND is_latest = 1"
        ))?,
        Some(_) => conn.prepare_cached(&format!(
            "SELECT {OBJECT_COLS} FROM objects
             WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3"
        ))?,
    };
    let mut rows = match version_id {
        None => stmt.query(params![bucket_id, key.as_bytes()])?,
        Some(v) => stmt.query(params![bucket_id, key.as_bytes(), v])?,
    };
    match rows.next()? {
        Some(row) => Ok(Some(object_from_row(row)?)),
        None => Ok(None),
    }
}

/// The manifest of a multipart object row, checked against its part count.
pub fn load_parts(conn: &Connection, object: &ObjectRow) -> Result<Vec<PartRef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT part_number, file_id, size, etag, checksums FROM object_parts
         WHERE object_id = ?1 ORDER BY idx",
    )?;
    let mut rows = stmt.query(params![object.id])?;
    let mut parts = Vec::with_capacity(object.info.part_count as usize);
    while let Some(row) = rows.next()? {
        parts.push(PartRef {
            part_number: from_sql_u32(row.get(0)?, "part_number")?,
            file_id: row.get(1)?,
            size: from_sql_u64(row.get(2)?, "part size")?,
            etag: row.get(3)?,
            checksums: super::codec::decode_map(&row.get::<_, Vec<u8>>(4)?)?,
        });
    }
    if parts.len() != object.info.part_count as usize {
        return Err(IndexError::Corrupt(format!(
            "object row {}: {} manifest rows, part_count {}",
            object.id,
            parts.len(),
            object.info.part_count
        )));
    }
    Ok(parts)
}

/// The file IDs a row references: its data, or a delete marker's file.
pub fn owned_file_ids(conn: &Connection, row: &ObjectRow) -> Result<Vec<String>> {
    if row.delete_marker {
        return Ok(row.file_id.iter().cloned().collect());
    }
    Ok(match object_data(conn, row)? {
        ObjectData::Single(id) => vec![id],
        ObjectData::Parts(parts) => parts.into_iter().map(|p| p.file_id).collect(),
    })
}

/// Where an object row's bytes are.
pub fn object_data(conn: &Connection, object: &ObjectRow) -> Result<ObjectData> {
    match &object.file_id {
        Some(id) => Ok(ObjectData::Single(id.clone())),
        None => Ok(ObjectData::Parts(load_parts(conn, object)?)),
    }
}
