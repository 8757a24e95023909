//! The records the index stores and returns. Plain data: no SQL here.
//!
//! Times are unix milliseconds (`i64`), passed in by the caller so every
//! operation is deterministic under test. Sizes are `u64` in the API and
//! checked against SQLite's `i64` on the way in and out.

use std::collections::BTreeMap;

/// A bucket row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The bucket name (unique).
    pub name: String,
    /// The FastDFS group new objects go to while it has space.
    pub home_group: String,
    /// The owner's canonical ID (or access key owner name).
    pub owner: String,
    /// Creation time, unix ms.
    pub created_ms: i64,
}

/// Where an object's bytes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectData {
    /// One FastDFS file holds the whole object.
    Single(String),
    /// A completed multipart upload: the parts in object order.
    Parts(Vec<PartRef>),
}

impl ObjectData {
    /// Every file ID the object references, in object order.
    pub fn file_ids(&self) -> Vec<&str> {
        match self {
            ObjectData::Single(id) => vec![id.as_str()],
            ObjectData::Parts(parts) => parts.iter().map(|p| p.file_id.as_str()).collect(),
        }
    }
}

/// One part of a multipart object's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRef {
    /// The S3 part number it was uploaded as (1..=10000).
    pub part_number: u32,
    /// The FastDFS file holding the part.
    pub file_id: String,
    /// The part's size in bytes.
    pub size: u64,
    /// The part's ETag (as stored at UploadPart).
    pub etag: String,
    /// The part's checksums by algorithm, base64 (what UploadPart
    /// verified); empty when none was sent.
    pub checksums: BTreeMap<String, String>,
}

/// The HTTP-level metadata stored with an object (or a multipart upload,
/// which hands it to the object on completion).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Expires`, the header value as the client sent it.
    pub expires: Option<String>,
    /// `x-amz-storage-class`, when one was given.
    pub storage_class: Option<String>,
    /// `x-amz-meta-*` user metadata (names without the prefix).
    pub user: BTreeMap<String, String>,
    /// Checksums by algorithm name (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`,
    /// `SHA256`) → base64 value. For an upload: the requested algorithm
    /// with an empty value.
    pub checksums: BTreeMap<String, String>,
    /// Server-side encryption: the encoded envelope (see
    /// `crate::crypto::Envelope`: how the object is encrypted and its
    /// wrapped data key, never a clear key); `None` for plaintext. The
    /// index stores it opaquely. `size` is the plaintext's.
    pub encryption: Option<Vec<u8>>,
    /// The object's tag set (PutObjectTagging, `x-amz-tagging`), validated
    /// by `crate::index::tagging` before it gets here; empty: no tags.
    pub tags: BTreeMap<String, String>,
}

/// An object's stored attributes, without its part manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// The ETag, as the gateway computed it (quoted form is the caller's
    /// choice; the index stores what it is given).
    pub etag: String,
    /// Last modification, unix ms.
    pub last_modified_ms: i64,
    /// 0 for a single-file object, else the number of parts.
    pub part_count: u32,
    /// HTTP metadata.
    pub meta: ObjectMeta,
    /// The version ID (`null` for the null version); `None` in a bucket
    /// whose versioning was never set, which answers no version header.
    pub version_id: Option<String>,
}

/// A whole object: attributes and where the bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRecord {
    /// The attributes.
    pub info: ObjectInfo,
    /// The file ID(s).
    pub data: ObjectData,
}

/// What PutObject writes (the key and bucket are separate arguments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObject {
    /// Where the bytes are; the storage has acknowledged them.
    pub data: ObjectData,
    /// Size in bytes; for `Parts` it must equal the sum of the parts.
    pub size: u64,
    /// The ETag.
    pub etag: String,
    /// HTTP metadata.
    pub meta: ObjectMeta,
    /// The write time, unix ms; also the delete-queue time of what it
    /// replaces.
    pub last_modified_ms: i64,
}

/// A bucket's versioning state once PutBucketVersioning set it; a bucket
/// that never had it set is `None` and can never return to that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    /// Every write makes a new version with its own ID.
    Enabled,
    /// Writes make the `null` version, replacing any earlier `null` one.
    Suspended,
}

impl Versioning {
    /// The stored (and S3) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Versioning::Enabled => "Enabled",
            Versioning::Suspended => "Suspended",
        }
    }

    /// Parses the stored (and S3) spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Enabled" => Some(Versioning::Enabled),
            "Suspended" => Some(Versioning::Suspended),
            _ => None,
        }
    }
}

/// What a write of a version returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// The new version's ID; `None` in a never-versioned bucket.
    pub version_id: Option<String>,
    /// The new version's order among its key's versions (for the rebuild
    /// tags; 0 in a never-versioned bucket).
    pub seq: i64,
    /// The file IDs the write put on the delete queue.
    pub released: Vec<String>,
}

/// What a DeleteObject did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deleted {
    /// The version removed or the delete marker created (`x-amz-version-id`);
    /// `None` for a plain delete in a never-versioned bucket.
    pub version_id: Option<String>,
    /// The removed or created version is a delete marker
    /// (`x-amz-delete-marker: true`).
    pub delete_marker: bool,
    /// The `seq` of a delete marker this created (for its file's tags).
    pub seq: i64,
    /// Something was removed or created (a delete of a missing key or
    /// version in a never-versioned bucket removes nothing).
    pub found: bool,
    /// The file IDs put on the delete queue.
    pub released: Vec<String>,
}

/// CopyObject's metadata directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaDirective {
    /// `COPY`: the source's metadata.
    Copy,
    /// `REPLACE`: the given metadata.
    Replace(Box<ObjectMeta>),
}

/// Why a file ID went on the delete queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeleteReason {
    /// An object was overwritten.
    Overwritten,
    /// An object was deleted.
    Deleted,
    /// A multipart part was re-uploaded under the same number.
    PartReplaced,
    /// A multipart upload was aborted (or its bucket deleted).
    UploadAborted,
    /// A completed upload left this part out of the object.
    PartUnused,
    /// The orphan sweep found a file no index row references.
    Orphan,
    /// The gateway stored bytes it will not index (e.g. a checksum
    /// mismatch after the storage acknowledged them).
    Rejected,
}

impl DeleteReason {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DeleteReason::Overwritten => "overwritten",
            DeleteReason::Deleted => "deleted",
            DeleteReason::PartReplaced => "part-replaced",
            DeleteReason::UploadAborted => "upload-aborted",
            DeleteReason::PartUnused => "part-unused",
            DeleteReason::Orphan => "orphan",
            DeleteReason::Rejected => "rejected",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "overwritten" => DeleteReason::Overwritten,
            "deleted" => DeleteReason::Deleted,
            "part-replaced" => DeleteReason::PartReplaced,
            "upload-aborted" => DeleteReason::UploadAborted,
            "part-unused" => DeleteReason::PartUnused,
            "orphan" => DeleteReason::Orphan,
            "rejected" => DeleteReason::Rejected,
            _ => return None,
        })
    }
}
