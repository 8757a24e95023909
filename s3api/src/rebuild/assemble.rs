//! From tagged files to objects: the pure part of the rebuild.
//!
//! - A file tagged without a part is a single-file object: size and time
//!   from the storage, ETag = the MD5 the rebuild computed.
//! - Parts marked `s3-complete` with the same bucket, key, upload ID and
//!   ETag form a multipart object, when exactly the part count the ETag
//!   names is there with distinct numbers (a partly marked or partly
//!   deleted upload is left out). Its time is the completion time.
//! - Each alias on a file (on every part of a multipart object) adds the
//!   same data under the alias's bucket and key.
//! - An encrypted file's alias carries the copy's own envelope (each
//!   copy's data key is wrapped for the copy's own name), which replaces
//!   the source's in the copy's row; an alias of an encrypted file
//!   without one (tagged before copies recorded it) is not restored.
//! - When several candidates claim one key (an overwrite whose old files
//!   were not deleted yet), the newest wins — per version: files tagged
//!   with a version (`version_tags`) are that version of the key, a file
//!   tagged as a delete marker is one, and an untagged candidate is the
//!   `null` version older than every tagged one. A key's versions come out
//!   newest (highest `seq`) first; a key whose only candidates are
//!   untagged objects comes out as one unversioned object, as before
//!   versioning.

use std::collections::{BTreeMap, HashMap};

use super::tags::{Alias, FileTag};
use super::version_tags::VersionTag;
use crate::index::{NULL_VERSION, NewObject, ObjectData, ObjectMeta, PartRef};

/// A file that carries S3 tags, with what the storages say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedFile {
    /// Its file ID.
    pub file_id: String,
    /// Its group.
    pub group: String,
    /// The tags.
    pub tag: FileTag,
    /// Size in bytes.
    pub size: u64,
    /// Create time, unix seconds.
    pub create_time: i64,
    /// Hex MD5 of the content.
    pub md5: String,
}

/// What a rebuilt version holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// An object's data and attributes.
    Object(Box<NewObject>),
    /// A delete marker and the file that records it.
    Marker {
        /// The marker's file.
        file: String,
        /// When it was made, unix ms.
        modified_ms: i64,
    },
}

/// A rebuilt version and where its first file lives (the bucket's home
/// group when no old index row says otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// The version's content.
    pub body: Body,
    /// The group of its first file.
    pub group: String,
    /// Its version, when tagged (resolved to `null`/0 for an untagged
    /// candidate of a versioned key).
    pub version: Option<VersionTag>,
}

impl Rebuilt {
    /// When the version was written, unix ms.
    pub fn modified_ms(&self) -> i64 {
        match &self.body {
            Body::Object(o) => o.last_modified_ms,
            Body::Marker { modified_ms, .. } => *modified_ms,
        }
    }
}

/// The versions of each (bucket, key), newest first; see the module docs.
pub fn assemble(files: &[TaggedFile]) -> BTreeMap<(String, String), Vec<Rebuilt>> {
    let mut out: BTreeMap<(String, String), Vec<Rebuilt>> = BTreeMap::new();
    let mut offer = |bucket: &str, key: &str, candidate: Rebuilt| {
        out.entry((bucket.to_string(), key.to_string())).or_default().push(candidate);
    };
    let mut uploads: HashMap<(&str, &str, &str, &str), Vec<&TaggedFile>> = HashMap::new();
    for file in files {
        let tag = &file.tag;
        match (&tag.part, &tag.complete) {
            (None, _) if tag.delete_marker => {
                let body = Body::Marker {
                    file: file.file_id.clone(),
                    modified_ms: file.create_time.saturating_mul(1000),
                };
                let version = tag.version.clone();
                offer(&tag.bucket, &tag.key, Rebuilt { body, group: file.group.clone(), version });
            }
            (None, _) => {
                let object = NewObject {
                    data: ObjectData::Single(file.file_id.clone()),
                    size: file.size,
                    etag: file.md5.clone(),
                    meta: meta(tag),
                    last_modified_ms: file.create_time.saturating_mul(1000),
                };
                let rebuilt = Rebuilt {
                    body: Body::Object(Box::new(object)),
                    group: file.group.clone(),
                    version: tag.version.clone(),
                };
                for alias in &tag.aliases {
                    if let Some(copy) = as_alias(&rebuilt, alias, tag.is_encrypted()) {
                        offer(&alias.bucket, &alias.key, copy);
                    }
                }
                offer(&tag.bucket, &tag.key, rebuilt);
            }
            (Some(part), Some(complete)) => {
                let slot = (&*tag.bucket, &*tag.key, &*part.upload_id, &*complete.etag);
                uploads.entry(slot).or_default().push(file);
            }
            (Some(_), None) => {} // a part of an upload never completed
        }
    }
    for ((bucket, key, _, etag), mut parts) in uploads {
        parts.sort_by_key(|f| f.tag.part.as_ref().map_or(0, |p| p.number));
        let Some(first) = parts.first() else { continue };
        let complete = first.tag.complete.clone();
        let count = complete.as_ref().and_then(|c| c.part_count());
        let mut numbers: Vec<u32> =
            parts.iter().filter_map(|f| f.tag.part.as_ref().map(|p| p.number)).collect();
        numbers.dedup();
        if count != Some(parts.len()) || numbers.len() != parts.len() {
            tracing::warn!(bucket, key, etag, found = parts.len(), "incomplete multipart object");
            continue;
        }
        let refs: Vec<PartRef> = parts
            .iter()
            .map(|f| PartRef {
                part_number: f.tag.part.as_ref().map_or(0, |p| p.number),
                file_id: f.file_id.clone(),
                size: f.size,
                etag: f.md5.clone(),
                // Not in the tags: a rebuilt manifest has no part checksums.
                checksums: Default::default(),
            })
            .collect();
        let object = NewObject {
            size: refs.iter().map(|p| p.size).sum(),
            data: ObjectData::Parts(refs),
            etag: etag.to_string(),
            meta: meta(&first.tag),
            last_modified_ms: complete.map_or(0, |c| c.completed_ms),
        };
        let rebuilt = Rebuilt {
            body: Body::Object(Box::new(object)),
            group: first.group.clone(),
            version: first.tag.version.clone(),
        };
        // An alias holds for the object when every part names it.
        let encrypted = first.tag.is_encrypted();
        for alias in &first.tag.aliases {
            if parts.iter().all(|f| f.tag.aliases.contains(alias))
                && let Some(copy) = as_alias(&rebuilt, alias, encrypted)
            {
                offer(&alias.bucket, &alias.key, copy);
            }
        }
        offer(bucket, key, rebuilt);
    }
    out.into_iter().map(|(slot, candidates)| (slot, resolve(candidates))).collect()
}

/// A key's candidates as its versions, newest first (see the module docs).
fn resolve(candidates: Vec<Rebuilt>) -> Vec<Rebuilt> {
    let versioned =
        candidates.iter().any(|c| c.version.is_some() || matches!(c.body, Body::Marker { .. }));
    if !versioned {
        // As before versioning: the newest candidate is the object.
        let newest = candidates
            .into_iter()
            .reduce(|a, b| if b.modified_ms() > a.modified_ms() { b } else { a });
        return newest.into_iter().collect();
    }
    let mut by_id: BTreeMap<String, Rebuilt> = BTreeMap::new();
    let rank = |c: &Rebuilt| (c.version.as_ref().map_or(0, |v| v.seq), c.modified_ms());
    for mut c in candidates {
        let id = c
            .version
            .get_or_insert_with(|| VersionTag { id: NULL_VERSION.into(), seq: 0 })
            .id
            .clone();
        match by_id.get(&id) {
            Some(have) if rank(have) >= rank(&c) => {}
            _ => {
                by_id.insert(id, c);
            }
        }
    }
    let mut out: Vec<Rebuilt> = by_id.into_values().collect();
    out.sort_by_key(|c| std::cmp::Reverse(rank(c)));
    out
}

/// The copy `alias` of `source`: under the copy's own envelope when it
/// has one; `None` for an alias of an `encrypted` file without one.
fn as_alias(source: &Rebuilt, alias: &Alias, encrypted: bool) -> Option<Rebuilt> {
    let mut copy = source.clone();
    copy.version = alias.version.clone();
    if let (Some(tags), Body::Object(o)) = (&alias.tags, &mut copy.body) {
        o.meta.tags = tags.clone();
    }
    match (&alias.encryption, &mut copy.body) {
        (Some(envelope), Body::Object(o)) => o.meta.encryption = Some(envelope.clone()),
        (None, _) if encrypted => return None,
        _ => {}
    }
    Some(copy)
}

fn meta(tag: &FileTag) -> ObjectMeta {
    tag.object_meta()
}

#[cfg(test)]
mod tests {
    use super::{Body, Rebuilt, TaggedFile, assemble};
    use crate::index::{NewObject, ObjectData, ObjectMeta};
    use crate::rebuild::tags::{Alias, CompleteTag, FileTag};
    use crate::rebuild::version_tags::VersionTag;

    fn object(r: &[Rebuilt]) -> &NewObject {
        assert_eq!(r.len(), 1, "one unversioned object");
        match &r[0].body {
            Body::Object(o) => o,
            b => panic!("{b:?}"),
        }
    }

    fn file(id: &str, tag: FileTag, time: i64) -> TaggedFile {
        TaggedFile {
            file_id: id.into(),
            group: "group1".into(),
            tag,
            size: 10,
            create_time: time,
            md5: format!("md5-of-{id}"),
        }
    }

    fn part(id: &str, n: u32, etag: &str, aliases: &[(&str, &str)]) -> TaggedFile {
        let mut tag = FileTag::part("b", "mp", "u1", n);
        tag.complete = Some(CompleteTag { etag: etag.into(), completed_ms: 5000 });
        tag.aliases = aliases.iter().map(|(b, k)| Alias::new(b, k, None)).collect();
        file(id, tag, 1)
    }

    #[test]
    fn singles_parts_aliases_and_the_newest_wins() {
        let mut single = FileTag::object("b", "k", Some("text/plain"));
        single.aliases = vec![Alias::new("b2", "copy", None)];
        let files = vec![
            file("g/old", FileTag::object("b", "k", None), 1),
            file("g/new", single, 2),
            part("g/p2", 2, "abc-2", &[("b", "mpcopy")]),
            part("g/p1", 1, "abc-2", &[("b", "mpcopy"), ("b", "half")]),
            // A partly marked upload is left out.
            part("g/q1", 1, "def-3", &[]),
            // A part of an upload never completed is no object.
            file("g/open", FileTag::part("b", "open", "u9", 1), 1),
        ];
        let objects = assemble(&files);
        let keys: Vec<_> = objects.keys().map(|(b, k)| format!("{b}/{k}")).collect();
        assert_eq!(keys, ["b/k", "b/mp", "b/mpcopy", "b2/copy"]);
        let k = object(&objects[&("b".into(), "k".into())]);
        assert_eq!(k.data, ObjectData::Single("g/new".into()));
        assert_eq!((k.etag.as_str(), k.last_modified_ms), ("md5-of-g/new", 2000));
        assert_eq!(k.meta.content_type.as_deref(), Some("text/plain"));
        let mp = object(&objects[&("b".into(), "mp".into())]);
        let ObjectData::Parts(parts) = &mp.data else { panic!("{mp:?}") };
        let ids: Vec<_> = parts.iter().map(|p| p.file_id.as_str()).collect();
        assert_eq!(ids, ["g/p1", "g/p2"]);
        assert_eq!((mp.size, mp.etag.as_str(), mp.last_modified_ms), (20, "abc-2", 5000));
        assert_eq!(object(&objects[&("b".into(), "mpcopy".into())]).data, mp.data);
    }

    fn version(id: &str, seq: i64) -> Option<VersionTag> {
        Some(VersionTag { id: id.into(), seq })
    }

    #[test]
    fn versions_and_markers_come_out_newest_first() {
        let v = |c: char| c.to_string().repeat(32);
        let tagged = |fid: &str, ver: Option<VersionTag>, time: i64| {
            let mut tag = FileTag::object("b", "k", None);
            tag.version = ver;
            file(fid, tag, time)
        };
        let mut marker = FileTag::marker("b", "k");
        marker.version = version(&v('M'), 4);
        let mut copied = FileTag::object("b", "src", None);
        let mut alias = Alias::new("b", "k", None);
        alias.version = version(&v('C'), 3);
        copied.aliases = vec![alias];
        let files = vec![
            // The object from before versioning: the oldest null.
            tagged("g/untagged", None, 1),
            tagged("g/v1", version(&v('A'), 1), 2),
            tagged("g/v2", version(&v('B'), 2), 3),
            file("g/m", marker, 4),
            file("g/src", copied, 1),
            // A suspended write made later, and the null it replaced
            // whose file was not deleted yet.
            tagged("g/n-old", version("null", 5), 5),
            tagged("g/n-new", version("null", 6), 6),
        ];
        let objects = assemble(&files);
        let k = &objects[&("b".into(), "k".into())];
        let ids: Vec<(String, i64)> =
            k.iter().map(|r| r.version.clone().map(|v| (v.id, v.seq)).unwrap()).collect();
        assert_eq!(
            ids,
            [("null".into(), 6), (v('M'), 4), (v('C'), 3), (v('B'), 2), (v('A'), 1),],
            "the untagged null gave way to the tagged one"
        );
        assert!(matches!(&k[1].body, Body::Marker { file, .. } if file == "g/m"));
        assert!(
            matches!(&k[0].body, Body::Object(o) if o.data == ObjectData::Single("g/n-new".into()))
        );
        // The source of the copy is unversioned: one object.
        assert_eq!(
            object(&objects[&("b".into(), "src".into())]).data,
            ObjectData::Single("g/src".into())
        );
    }

    #[test]
    fn an_encrypted_copy_gets_its_own_envelope() {
        let meta = ObjectMeta { encryption: Some(vec![1, 1, 9]), ..ObjectMeta::default() };
        let mut tag = FileTag::object("b", "src", None).with_meta(&meta);
        tag.aliases = vec![
            Alias::new("b", "copy", Some(&[1, 2, 7])),
            // Tagged without its envelope: the source's would not open it.
            Alias::new("b", "old-copy", None),
        ];
        let objects = assemble(&[file("g/enc", tag, 3)]);
        let keys: Vec<_> = objects.keys().map(|(_, k)| k.as_str()).collect();
        assert_eq!(keys, ["copy", "src"]);
        let enc =
            |k: &str| object(&objects[&("b".to_string(), k.to_string())]).meta.encryption.clone();
        assert_eq!(enc("src"), Some(vec![1, 1, 9]));
        assert_eq!(enc("copy"), Some(vec![1, 2, 7]));
    }
}
