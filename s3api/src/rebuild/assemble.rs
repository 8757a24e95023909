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
//!   were not deleted yet), the newest wins.

use std::collections::{BTreeMap, HashMap};

use super::tags::{Alias, FileTag};
use crate::index::{NewObject, ObjectData, ObjectMeta, PartRef};

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

/// A rebuilt object and where its first file lives (the bucket's home
/// group when no old index row says otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// The object row.
    pub object: NewObject,
    /// The group of its first file.
    pub group: String,
}

/// Objects by (bucket, key); see the module docs.
pub fn assemble(files: &[TaggedFile]) -> BTreeMap<(String, String), Rebuilt> {
    let mut out: BTreeMap<(String, String), Rebuilt> = BTreeMap::new();
    let mut offer = |bucket: &str, key: &str, candidate: Rebuilt| {
        let slot = (bucket.to_string(), key.to_string());
        match out.get(&slot) {
            Some(have) if have.object.last_modified_ms >= candidate.object.last_modified_ms => {}
            _ => {
                out.insert(slot, candidate);
            }
        }
    };
    let mut uploads: HashMap<(&str, &str, &str, &str), Vec<&TaggedFile>> = HashMap::new();
    for file in files {
        let tag = &file.tag;
        match (&tag.part, &tag.complete) {
            (None, _) => {
                let object = NewObject {
                    data: ObjectData::Single(file.file_id.clone()),
                    size: file.size,
                    etag: file.md5.clone(),
                    meta: meta(tag),
                    last_modified_ms: file.create_time.saturating_mul(1000),
                };
                let rebuilt = Rebuilt { object, group: file.group.clone() };
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
        let rebuilt = Rebuilt { object, group: first.group.clone() };
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
    out
}

/// The copy `alias` of `source`: under the copy's own envelope when it
/// has one; `None` for an alias of an `encrypted` file without one.
fn as_alias(source: &Rebuilt, alias: &Alias, encrypted: bool) -> Option<Rebuilt> {
    let mut copy = source.clone();
    match &alias.encryption {
        Some(envelope) => copy.object.meta.encryption = Some(envelope.clone()),
        None if encrypted => return None,
        None => {}
    }
    Some(copy)
}

fn meta(tag: &FileTag) -> ObjectMeta {
    tag.object_meta()
}

#[cfg(test)]
mod tests {
    use super::{TaggedFile, assemble};
    use crate::index::{ObjectData, ObjectMeta};
    use crate::rebuild::tags::{Alias, CompleteTag, FileTag};

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
        let k = &objects[&("b".into(), "k".into())].object;
        assert_eq!(k.data, ObjectData::Single("g/new".into()));
        assert_eq!((k.etag.as_str(), k.last_modified_ms), ("md5-of-g/new", 2000));
        assert_eq!(k.meta.content_type.as_deref(), Some("text/plain"));
        let mp = &objects[&("b".into(), "mp".into())].object;
        let ObjectData::Parts(parts) = &mp.data else { panic!("{mp:?}") };
        let ids: Vec<_> = parts.iter().map(|p| p.file_id.as_str()).collect();
        assert_eq!(ids, ["g/p1", "g/p2"]);
        assert_eq!((mp.size, mp.etag.as_str(), mp.last_modified_ms), (20, "abc-2", 5000));
        assert_eq!(objects[&("b".into(), "mpcopy".into())].object.data, mp.data);
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
            |k: &str| objects[&("b".to_string(), k.to_string())].object.meta.encryption.clone();
        assert_eq!(enc("src"), Some(vec![1, 1, 9]));
        assert_eq!(enc("copy"), Some(vec![1, 2, 7]));
    }
}
