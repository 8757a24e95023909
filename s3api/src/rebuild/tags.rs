//! The S3 tags the gateway records in each stored file's FastDFS metadata,
//! so the index can be rebuilt from the storages (`fdfs gateway
//! rebuild-index`) and the orphan sweep can tell gateway files from files
//! of other FastDFS users.
//!
//! | name | value |
//! |---|---|
//! | `s3-bucket` | the bucket |
//! | `s3-key`, `s3-key.1`, … | the key, escaped, in chunks of ≤ 256 bytes |
//! | `s3-content-type` | Content-Type (escaped; left out when longer than 256 bytes) |
//! | `s3-upload`, `s3-part` | a multipart part: upload ID and part number |
//! | `s3-complete`, `s3-complete-ms` | set on each part of a completed upload: the object's ETag (`<md5-of-md5s>-<N>`) and the completion time |
//! | `s3-alias.<id>`, `s3-alias.<id>.1`, … | a CopyObject destination sharing this file: `bucket/key`, escaped, chunked |
//! | `s3-alias.<id>.sse`, `s3-alias.<id>.sse.1`, … | an encrypted copy's own envelope, base64, chunked: each copy's data key is wrapped for the copy's own bucket and key, so the source's envelope does not open it |
//! | `s3-h.cache-control`, `s3-h.content-disposition`, `s3-h.content-encoding`, `s3-h.content-language`, `s3-h.expires`, `s3-h.storage-class` | the object's other stored headers (escaped) |
//! | `s3-m.<name>` | user metadata `x-amz-meta-<name>` (escaped) |
//! | `s3-sse` | an encrypted object's envelope, base64 (`crate::crypto::Envelope`: the kind and the *wrapped* data key, never a clear key) |
//! | `s3-sse-etag` | an encrypted object's ETag, merged in after the upload (the stored bytes are ciphertext, so a rebuild cannot recompute it) |
//! | `s3-version`, `s3-seq`, `s3-delete-marker`, `s3-alias-v.<id>` | versions and delete markers: see [`super::version_tags`] |
//! | `s3-tags`, `s3-tags.<n>`, `s3-alias-t.<id>`… | object tags (the file's own version's, an alias's): see [`super::object_tags`] |
//!
//! FastDFS limits names to 64 bytes and values to 256, and a value cannot
//! hold the separators 0x01, 0x02 or NUL. S3 keys are up to 1024 bytes of
//! UTF-8 that may contain those, so a key is escaped — `%` → `%25`, NUL →
//! `%00`, 0x01 → `%01`, 0x02 → `%02`, nothing else — and split into chunks
//! on UTF-8 boundaries, concatenated again in chunk order when read. Most
//! keys read as themselves with FastDFS's tools.
//!
//! The ETag of a single-file object is not recorded: the upload starts
//! before the body's MD5 is known. A rebuild recomputes it by streaming
//! the file. Headers and user metadata are recorded with the file (a
//! multipart object's at completion, on every part); an entry whose name
//! would pass 64 bytes or whose value 256 is left out, and checksums are
//! not recorded: a rebuild loses those.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fdfs_protocol::consts::{MAX_META_NAME_LEN, MAX_META_VALUE_LEN};
use fdfs_protocol::metadata::{MetaOp, Metadata};

use super::object_tags::{self, TAGS};
use super::version_tags::{self, VersionTag};
use crate::index::ObjectMeta;

const BUCKET: &str = "s3-bucket";
const KEY: &str = "s3-key";
const CONTENT_TYPE: &str = "s3-content-type";
const UPLOAD: &str = "s3-upload";
const PART: &str = "s3-part";
const COMPLETE: &str = "s3-complete";
const COMPLETE_MS: &str = "s3-complete-ms";
const ALIAS: &str = "s3-alias.";
/// Suffix of an alias's envelope tag (`s3-alias.<id>.sse`).
const ALIAS_SSE: &str = ".sse";
/// Prefix of a stored header's tag (`s3-h.cache-control`).
const HEADER: &str = "s3-h.";
/// Prefix of a user metadata entry's tag (`s3-m.<name>`).
const USER: &str = "s3-m.";
/// An encrypted object's envelope, base64.
const SSE: &str = "s3-sse";
/// An encrypted object's ETag.
const SSE_ETAG: &str = "s3-sse-etag";

/// A multipart part's tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartTag {
    /// The upload ID.
    pub upload_id: String,
    /// The part number.
    pub number: u32,
}

/// The mark CompleteMultipartUpload leaves on each part of the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteTag {
    /// The object's ETag, `<hex>-<part count>`.
    pub etag: String,
    /// Completion time, unix ms.
    pub completed_ms: i64,
}

impl CompleteTag {
    /// The part count the ETag names.
    pub fn part_count(&self) -> Option<usize> {
        self.etag.rsplit_once('-').and_then(|(_, n)| n.parse().ok())
    }
}

/// A CopyObject destination sharing a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The copy's bucket.
    pub bucket: String,
    /// The copy's key.
    pub key: String,
    /// The copy's envelope (`crate::crypto::Envelope`, encoded) when the
    /// file is encrypted; `None` for a plain file, and for copies tagged
    /// before copies recorded it (those cannot be restored).
    pub encryption: Option<Vec<u8>>,
    /// The copy's version, when it was made in a versioned bucket
    /// ([`super::version_tags`]).
    pub version: Option<VersionTag>,
    /// The copy's tag set, when recorded ([`super::object_tags`]); `None`:
    /// the copy has the file's own version's tags.
    pub tags: Option<BTreeMap<String, String>>,
}

impl Alias {
    /// The copy `bucket`/`key` with envelope `encryption`.
    pub fn new(bucket: &str, key: &str, encryption: Option<&[u8]>) -> Self {
        Self {
            bucket: bucket.to_string(),
            key: key.to_string(),
            encryption: encryption.map(<[u8]>::to_vec),
            version: None,
            tags: None,
        }
    }
}

/// Everything the tags of one file say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTag {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Content-Type, when recorded.
    pub content_type: Option<String>,
    /// Set for a multipart part.
    pub part: Option<PartTag>,
    /// Set on the parts of a completed upload.
    pub complete: Option<CompleteTag>,
    /// CopyObject destinations sharing the file.
    pub aliases: Vec<Alias>,
    /// Stored headers and user metadata by tag name (`s3-h.…`, `s3-m.…`),
    /// unescaped.
    pub attrs: BTreeMap<String, String>,
    /// The version the file belongs to, in a versioned bucket.
    pub version: Option<VersionTag>,
    /// The file records a delete marker.
    pub delete_marker: bool,
    /// The tag set of the file's own version, when recorded
    /// ([`super::object_tags`]).
    pub tags: Option<BTreeMap<String, String>>,
}

impl FileTag {
    /// The tag of a single-file object.
    pub fn object(bucket: &str, key: &str, content_type: Option<&str>) -> Self {
        Self {
            bucket: bucket.to_string(),
            key: key.to_string(),
            content_type: content_type.map(str::to_string),
            part: None,
            complete: None,
            aliases: Vec::new(),
            attrs: BTreeMap::new(),
            version: None,
            delete_marker: false,
            tags: None,
        }
    }

    /// The tag of the file recording a delete marker of `bucket`/`key`.
    pub fn marker(bucket: &str, key: &str) -> Self {
        let mut tag = Self::object(bucket, key, None);
        tag.delete_marker = true;
        tag
    }

    /// This tag with `meta`'s headers and user metadata recorded too
    /// (its Content-Type is the tag's own field).
    pub fn with_meta(mut self, meta: &ObjectMeta) -> Self {
        self.attrs = meta_attrs(meta);
        self.tags = (!meta.tags.is_empty()).then(|| meta.tags.clone());
        self
    }

    /// The object attributes the tags record.
    pub fn object_meta(&self) -> ObjectMeta {
        let mut meta =
            ObjectMeta { content_type: self.content_type.clone(), ..ObjectMeta::default() };
        for (name, value) in &self.attrs {
            if let Some(user) = name.strip_prefix(USER) {
                meta.user.insert(user.to_string(), value.clone());
                continue;
            }
            let slot = match name.strip_prefix(HEADER) {
                Some("cache-control") => &mut meta.cache_control,
                Some("content-disposition") => &mut meta.content_disposition,
                Some("content-encoding") => &mut meta.content_encoding,
                Some("content-language") => &mut meta.content_language,
                Some("expires") => &mut meta.expires,
                Some("storage-class") => &mut meta.storage_class,
                _ => continue,
            };
            *slot = Some(value.clone());
        }
        meta.encryption = self.attrs.get(SSE).and_then(|v| STANDARD.decode(v).ok());
        meta.tags = self.tags.clone().unwrap_or_default();
        meta
    }

    /// Whether the file is an encrypted object's (its bytes are sealed).
    pub fn is_encrypted(&self) -> bool {
        self.attrs.contains_key(SSE)
    }

    /// The ETag recorded for an encrypted object, if it was.
    pub fn sse_etag(&self) -> Option<&str> {
        self.attrs.get(SSE_ETAG).map(String::as_str)
    }

    /// The tag of part `number` of upload `upload_id`.
    pub fn part(bucket: &str, key: &str, upload_id: &str, number: u32) -> Self {
        let mut tag = Self::object(bucket, key, None);
        tag.part = Some(PartTag { upload_id: upload_id.to_string(), number });
        tag
    }

    /// The metadata an upload records (bucket, key, content type, part).
    pub fn to_metadata(&self) -> Metadata {
        let mut meta = Metadata::new();
        meta.push(BUCKET, escape(&self.bucket));
        push_chunks(&mut meta, KEY, &escape(&self.key));
        if let Some(ct) = &self.content_type {
            let ct = escape(ct);
            if ct.len() <= MAX_META_VALUE_LEN {
                meta.push(CONTENT_TYPE, ct);
            }
        }
        if let Some(part) = &self.part
            && part.upload_id.len() <= MAX_META_VALUE_LEN
        {
            meta.push(UPLOAD, escape(&part.upload_id));
            meta.push(PART, part.number.to_string());
        }
        push_attrs(&mut meta, &self.attrs);
        if let Some(tags) = &self.tags {
            meta.apply(MetaOp::Merge, &object_tags::tags_metadata(TAGS, tags));
        }
        if self.delete_marker {
            let (name, value) = version_tags::marker_entry();
            meta.push(name, value);
        }
        meta
    }

    /// Reads the tags back; `None` when the file carries no bucket and key
    /// (it belongs to another FastDFS user) or they do not decode.
    pub fn from_metadata(meta: &Metadata) -> Option<Self> {
        let bucket = unescape(meta.get_str(BUCKET)?)?;
        let key = unescape(&chunked(meta, KEY)?)?;
        let content_type = meta.get_str(CONTENT_TYPE).and_then(unescape);
        let part = match (meta.get_str(UPLOAD), meta.get_str(PART)) {
            (Some(u), Some(n)) => {
                Some(PartTag { upload_id: unescape(u)?, number: n.parse().ok()? })
            }
            _ => None,
        };
        let complete = match (meta.get_str(COMPLETE), meta.get_str(COMPLETE_MS)) {
            (Some(etag), ms) => Some(CompleteTag {
                etag: etag.to_string(),
                completed_ms: ms.and_then(|m| m.parse().ok()).unwrap_or(0),
            }),
            _ => None,
        };
        let mut attrs = BTreeMap::new();
        for (name, value) in meta.iter() {
            let (Ok(name), Ok(value)) = (std::str::from_utf8(name), std::str::from_utf8(value))
            else {
                continue;
            };
            let known = name.starts_with(HEADER) || name.starts_with(USER);
            if (known || name == SSE || name == SSE_ETAG)
                && let Some(value) = unescape(value)
            {
                attrs.insert(name.to_string(), value);
            }
        }
        Some(Self {
            bucket,
            key,
            content_type,
            part,
            complete,
            aliases: aliases(meta),
            attrs,
            version: version_tags::version_of(meta),
            delete_marker: version_tags::is_marker(meta),
            tags: object_tags::read(meta, TAGS),
        })
    }
}

/// What CompleteMultipartUpload merges into each part's metadata: the
/// object's ETag and completion time, and its Content-Type, headers and
/// user metadata (those that fit).
pub fn complete_metadata(etag: &str, completed_ms: i64, object: &ObjectMeta) -> Metadata {
    let mut meta: Metadata =
        [(COMPLETE, etag.to_string()), (COMPLETE_MS, completed_ms.to_string())]
            .into_iter()
            .collect();
    let content_type = object.content_type.as_deref().map(escape);
    if let Some(ct) = content_type.filter(|ct| ct.len() <= MAX_META_VALUE_LEN) {
        meta.push(CONTENT_TYPE, ct);
    }
    push_attrs(&mut meta, &meta_attrs(object));
    if !object.tags.is_empty() {
        meta.apply(MetaOp::Merge, &object_tags::tags_metadata(TAGS, &object.tags));
    }
    meta
}

/// The tags of `meta`'s headers (but Content-Type) and user metadata.
fn meta_attrs(meta: &ObjectMeta) -> BTreeMap<String, String> {
    let headers = [
        ("cache-control", &meta.cache_control),
        ("content-disposition", &meta.content_disposition),
        ("content-encoding", &meta.content_encoding),
        ("content-language", &meta.content_language),
        ("expires", &meta.expires),
        ("storage-class", &meta.storage_class),
    ];
    let mut attrs: BTreeMap<String, String> = headers
        .into_iter()
        .filter_map(|(name, value)| Some((format!("{HEADER}{name}"), value.clone()?)))
        .collect();
    for (name, value) in &meta.user {
        attrs.insert(format!("{USER}{name}"), value.clone());
    }
    if let Some(envelope) = &meta.encryption {
        attrs.insert(SSE.to_string(), STANDARD.encode(envelope));
    }
    attrs
}

/// What PutObject merges into an encrypted object's file once its ETag
/// is known.
pub fn sse_etag_metadata(etag: &str) -> Metadata {
    [(SSE_ETAG, etag.to_string())].into_iter().collect()
}

/// Pushes each attribute that fits FastDFS's limits, escaped.
fn push_attrs(meta: &mut Metadata, attrs: &BTreeMap<String, String>) {
    for (name, value) in attrs {
        let value = escape(value);
        let fits = name.len() <= MAX_META_NAME_LEN
            && value.len() <= MAX_META_VALUE_LEN
            && !name.bytes().any(|b| b <= 2);
        if fits {
            meta.push(name.as_str(), value);
        }
    }
}

/// What CopyObject merges into each file it shares: alias `id` (a short
/// token unique to the copy, `[0-9a-z]{1,32}`) names `bucket/key`, with
/// the copy's own envelope `encryption` when the file is encrypted.
pub fn alias_metadata(id: &str, bucket: &str, key: &str, encryption: Option<&[u8]>) -> Metadata {
    let mut meta = Metadata::new();
    let name = format!("{ALIAS}{id}");
    push_chunks(&mut meta, &name, &escape(&format!("{bucket}/{key}")));
    if let Some(envelope) = encryption {
        push_chunks(&mut meta, &format!("{name}{ALIAS_SSE}"), &STANDARD.encode(envelope));
    }
    meta
}

/// What a CopyObject onto itself that re-wrapped the data key (a new
/// SSE-C key, say) merges into the object's files: the new envelope.
pub fn sse_metadata(envelope: &[u8]) -> Metadata {
    [(SSE, STANDARD.encode(envelope))].into_iter().collect()
}

/// Escapes the bytes FastDFS metadata cannot hold (see the module docs).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\0' => out.push_str("%00"),
            '\u{1}' => out.push_str("%01"),
            '\u{2}' => out.push_str("%02"),
            c => out.push(c),
        }
    }
    out
}

/// Reverses [`escape`]; `None` on an escape it never writes.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3)?;
        out.push(match code {
            "25" => '%',
            "00" => '\0',
            "01" => '\u{1}',
            "02" => '\u{2}',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// Pushes `value` as `name`, `name.1`, … in chunks of at most 256 bytes,
/// split on character boundaries.
fn push_chunks(meta: &mut Metadata, name: &str, value: &str) {
    let mut rest = value;
    let mut n = 0;
    loop {
        let mut end = rest.len().min(MAX_META_VALUE_LEN);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let chunk_name = if n == 0 { name.to_string() } else { format!("{name}.{n}") };
        meta.push(chunk_name, &rest[..end]);
        rest = &rest[end..];
        n += 1;
        if rest.is_empty() {
            break;
        }
    }
}

/// Concatenates `name`, `name.1`, … (stopping at the first gap).
fn chunked(meta: &Metadata, name: &str) -> Option<String> {
    let mut out = meta.get_str(name)?.to_string();
    for n in 1.. {
        match meta.get_str(format!("{name}.{n}")) {
            Some(chunk) => out.push_str(chunk),
            None => break,
        }
    }
    Some(out)
}

/// Every alias the metadata names.
fn aliases(meta: &Metadata) -> Vec<Alias> {
    aliases_by_id(meta).into_values().collect()
}

/// Every alias the metadata names, by its alias ID (the `<id>` of
/// `s3-alias.<id>`), so a later change to one copy (its tags) can be
/// recorded beside that alias.
pub fn aliases_by_id(meta: &Metadata) -> BTreeMap<String, Alias> {
    let versions = version_tags::alias_versions(meta);
    let tag_sets = object_tags::alias_tags(meta);
    let mut ids = BTreeMap::new();
    for (name, _) in meta.iter() {
        let Ok(name) = std::str::from_utf8(name) else { continue };
        if let Some(id) = name.strip_prefix(ALIAS)
            && !id.contains('.')
        {
            ids.insert(id.to_string(), ());
        }
    }
    ids.into_keys()
        .filter_map(|id| {
            let name = format!("{ALIAS}{id}");
            let text = unescape(&chunked(meta, &name)?)?;
            let (bucket, key) = text.split_once('/')?;
            let encryption = match chunked(meta, &format!("{name}{ALIAS_SSE}")) {
                Some(b64) => Some(STANDARD.decode(b64).ok()?),
                None => None,
            };
            let version = versions.get(&id).cloned();
            let tags = tag_sets.get(&id).cloned();
            let alias = Alias {
                bucket: bucket.to_string(),
                key: key.to_string(),
                encryption,
                version,
                tags,
            };
            Some((id, alias))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use fdfs_protocol::metadata::{MetaOp, Metadata};

    use super::{Alias, FileTag, alias_metadata, complete_metadata};
    use crate::index::ObjectMeta;

    fn stored(sent: &Metadata) -> Metadata {
        let mut m = Metadata::new();
        m.apply(MetaOp::Overwrite, sent);
        m
    }

    #[test]
    fn long_keys_with_separators_round_trip() {
        let key = format!("{}\u{1}%x\u{2}é\0{}", "ü".repeat(300), "k".repeat(400));
        let tag = FileTag::object("bkt", &key, Some("text/plain"));
        let meta = tag.to_metadata();
        meta.validate().unwrap();
        assert!(meta.len() > 4, "split into chunks");
        // FastDFS stores the list sorted by name; order does not matter.
        assert_eq!(FileTag::from_metadata(&stored(&meta)), Some(tag));
    }

    #[test]
    fn parts_completion_and_aliases() {
        let tag = FileTag::part("b", "dir/obj", "upl0ad", 7);
        let mut meta = stored(&tag.to_metadata());
        let object = ObjectMeta {
            content_type: Some("a/b".into()),
            cache_control: Some("max-age=60".into()),
            user: [("colour".to_string(), "blue%\u{1}".to_string())].into_iter().collect(),
            ..ObjectMeta::default()
        };
        meta.apply(MetaOp::Merge, &complete_metadata("0123abcd-3", 1234, &object));
        meta.apply(MetaOp::Merge, &alias_metadata("a1", "b2", &"k".repeat(600), None));
        meta.apply(MetaOp::Merge, &alias_metadata("a2", "b3", "x/y", None));
        // An encrypted copy's envelope, longer than one value.
        let envelope: Vec<u8> = (0..=255u8).collect();
        meta.apply(MetaOp::Merge, &alias_metadata("a3", "b4", "enc", Some(&envelope)));
        meta.validate().unwrap();
        let back = FileTag::from_metadata(&meta).unwrap();
        assert_eq!(back.part, tag.part);
        let complete = back.complete.clone().unwrap();
        assert_eq!((complete.etag.as_str(), complete.completed_ms), ("0123abcd-3", 1234));
        assert_eq!(complete.part_count(), Some(3));
        assert_eq!(back.content_type.as_deref(), Some("a/b"));
        assert_eq!(back.object_meta(), object, "the completed object's attributes");
        assert_eq!(
            back.aliases,
            [
                Alias::new("b2", &"k".repeat(600), None),
                Alias::new("b3", "x/y", None),
                Alias::new("b4", "enc", Some(&envelope)),
            ]
        );
    }

    #[test]
    fn headers_and_user_metadata_ride_along_when_they_fit() {
        let object = ObjectMeta {
            content_type: Some("image/png".into()),
            content_encoding: Some("gzip".into()),
            content_disposition: Some("attachment; filename=\"a b.png\"".into()),
            content_language: Some("fr".into()),
            cache_control: Some("no-cache".into()),
            expires: Some("Thu, 01 Dec 2033 16:00:00 GMT".into()),
            storage_class: Some("STANDARD_IA".into()),
            user: [("a".to_string(), "1".to_string()), ("b".to_string(), "é\0%".to_string())]
                .into_iter()
                .collect(),
            checksums: Default::default(),
            encryption: None,
            tags: Default::default(),
        };
        let tag = FileTag::object("b", "k", Some("image/png")).with_meta(&object);
        let meta = tag.to_metadata();
        meta.validate().unwrap();
        let back = FileTag::from_metadata(&stored(&meta)).unwrap();
        assert_eq!(back.object_meta(), object);

        // What does not fit FastDFS's limits is left out, not truncated.
        let mut big = object.clone();
        big.user.insert("long".into(), "v".repeat(300));
        big.user.insert("n".repeat(70), "v".into());
        let meta = FileTag::object("b", "k", None).with_meta(&big).to_metadata();
        meta.validate().unwrap();
        let back = FileTag::from_metadata(&stored(&meta)).unwrap().object_meta();
        assert_eq!(back.user, object.user);
    }

    #[test]
    fn foreign_files_have_no_tag() {
        let meta: Metadata = [("author", "someone")].into_iter().collect();
        assert_eq!(FileTag::from_metadata(&meta), None);
        let bad: Metadata = [("s3-bucket", "b"), ("s3-key", "%zz")].into_iter().collect();
        assert_eq!(FileTag::from_metadata(&bad), None);
    }

    mod properties {
        use fdfs_protocol::metadata::Metadata;
        use proptest::prelude::*;

        use super::super::FileTag;
        use super::stored;

        proptest! {
            /// Any bucket, key (up to S3's 1,024 bytes) and content type
            /// survive the trip through FastDFS metadata, within its limits.
            #[test]
            fn tags_round_trip(
                bucket in "[a-z0-9][a-z0-9.-]{2,62}",
                key in "\\PC{1,300}",
                content_type in proptest::option::of("[ -~]{0,300}"),
            ) {
                prop_assume!(key.len() <= 1024);
                let tag = FileTag::object(&bucket, &key, content_type.as_deref());
                let meta = tag.to_metadata();
                prop_assert!(meta.validate().is_ok());
                let back = FileTag::from_metadata(&stored(&meta)).unwrap();
                prop_assert_eq!(back.bucket, bucket);
                prop_assert_eq!(back.key, key);
            }

            /// Metadata read from a storage is network input: any blob
            /// decodes without a panic, tagged or not.
            #[test]
            fn any_stored_metadata_is_read_without_panic(
                blob in proptest::collection::vec(any::<u8>(), 0..600),
            ) {
                let _ = FileTag::from_metadata(&Metadata::from_bytes(&blob));
            }

            /// Names that look like our tags but carry anything (an
            /// alias's envelope included: not base64, or not an envelope).
            #[test]
            fn tag_like_entries_are_read_without_panic(
                entries in proptest::collection::vec(
                    ("s3-(bucket|key|key\\.[0-9]{1,3}|part|upload|complete|complete-ms|alias\\.[a-z0-9]{1,4}(\\.[0-9]|\\.sse(\\.[0-9])?)?|sse|content-type)",
                     "\\PC{0,40}"),
                    0..12,
                ),
            ) {
                let meta: Metadata = entries.into_iter().collect();
                let _ = FileTag::from_metadata(&meta);
            }
        }
    }
}
