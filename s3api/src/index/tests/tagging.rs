//! Tagging: tags per version, carried by writes, copies and completed
//! uploads; bucket tag sets.

use std::collections::BTreeMap;

use super::{bucket, open, single};
use crate::index::{IndexError, MetaDirective, ObjectMeta, VersionQuery, Versioning};

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn a_write_carries_its_tags_and_put_tagging_replaces_them() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let mut obj = single("group1/M00/00/00/a", 3);
    obj.meta.tags = tags(&[("k", "v")]);
    index.put_object("b", "k", &obj, None).unwrap();
    let got = index.object_tags("b", "k", None).unwrap();
    assert_eq!((got.version_id, got.tags), (None, tags(&[("k", "v")])));
    assert_eq!(index.get_object("b", "k").unwrap().info.meta.tags, tags(&[("k", "v")]));

    let written = index.set_object_tags("b", "k", None, &tags(&[("a", ""), ("b", "2")])).unwrap();
    assert_eq!(written.file_ids, ["group1/M00/00/00/a"]);
    assert!(!written.versioned);
    assert_eq!(index.object_tags("b", "k", None).unwrap().tags, tags(&[("a", ""), ("b", "2")]));

    index.set_object_tags("b", "k", None, &BTreeMap::new()).unwrap();
    assert!(index.object_tags("b", "k", None).unwrap().tags.is_empty());

    // An overwrite in place takes the new write's tags, none here.
    index.set_object_tags("b", "k", None, &tags(&[("x", "y")])).unwrap();
    index.put_object("b", "k", &single("group1/M00/00/00/b", 1), None).unwrap();
    assert!(index.object_tags("b", "k", None).unwrap().tags.is_empty());

    let missing = index.object_tags("b", "nope", None).unwrap_err();
    assert!(matches!(missing, IndexError::NoSuchKey { .. }), "{missing:?}");
}

#[test]
fn tags_are_per_version_and_a_delete_marker_has_none() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let mut first = single("group1/M00/00/00/1", 1);
    first.meta.tags = tags(&[("gen", "1")]);
    let v1 = index.put_version_if("b", "k", &first, None, &Default::default()).unwrap();
    let v1 = v1.version_id.unwrap();
    let v2 = index
        .put_version_if("b", "k", &single("group1/M00/00/00/2", 1), None, &Default::default())
        .unwrap()
        .version_id
        .unwrap();
    let w = index.set_object_tags("b", "k", Some(&v2), &tags(&[("gen", "2")])).unwrap();
    assert_eq!(w.version_id.as_deref(), Some(v2.as_str()));
    assert_eq!(w.stored_version_id, v2);
    assert!(w.versioned);
    assert_eq!(index.object_tags("b", "k", Some(&v1)).unwrap().tags, tags(&[("gen", "1")]));
    let current = index.object_tags("b", "k", None).unwrap();
    assert_eq!((current.version_id, current.tags), (Some(v2.clone()), tags(&[("gen", "2")])));

    let marker = index.delete_object("b", "k", 5_000).unwrap();
    assert!(marker.is_some());
    let current = index.object_tags("b", "k", None).unwrap_err();
    assert!(matches!(current, IndexError::DeleteMarker { addressed: false, .. }), "{current:?}");
    let q = VersionQuery { max_keys: 100, ..VersionQuery::default() };
    let listed = index.list_versions("b", &q).unwrap();
    let marker_id = listed.entries.iter().find(|e| e.delete_marker).unwrap().version_id.clone();
    let named = index.set_object_tags("b", "k", Some(&marker_id), &tags(&[("a", "b")]));
    assert!(matches!(named, Err(IndexError::DeleteMarker { addressed: true, .. })), "{named:?}");
    // The older versions keep theirs.
    assert_eq!(index.object_tags("b", "k", Some(&v1)).unwrap().tags, tags(&[("gen", "1")]));
}

#[test]
fn copies_and_uploads_carry_tags() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let mut src = single("group1/M00/00/00/s", 2);
    src.meta.tags = tags(&[("from", "src")]);
    index.put_object("b", "src", &src, None).unwrap();
    index.copy_object(("b", "src"), ("b", "copy"), MetaDirective::Copy, 2_000).unwrap();
    assert_eq!(index.object_tags("b", "copy", None).unwrap().tags, tags(&[("from", "src")]));
    let replaced = ObjectMeta { tags: tags(&[("new", "1")]), ..ObjectMeta::default() };
    let directive = MetaDirective::Replace(Box::new(replaced));
    index.copy_object(("b", "src"), ("b", "other"), directive, 2_000).unwrap();
    assert_eq!(index.object_tags("b", "other", None).unwrap().tags, tags(&[("new", "1")]));

    let meta = ObjectMeta { tags: tags(&[("up", "load")]), ..ObjectMeta::default() };
    let upload = index.create_upload("b", "big", &meta, 10).unwrap();
    assert_eq!(index.get_upload("b", "big", &upload).unwrap().meta.tags, tags(&[("up", "load")]));
}

#[test]
fn bucket_tags_round_trip_and_empty_is_none() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    assert_eq!(index.get_bucket_tags("b").unwrap(), None);
    let set = tags(&[("team", "storage"), ("cost center", "42")]);
    index.set_bucket_tags("b", Some(&set)).unwrap();
    assert_eq!(index.get_bucket_tags("b").unwrap(), Some(set));
    index.set_bucket_tags("b", Some(&BTreeMap::new())).unwrap();
    assert_eq!(index.get_bucket_tags("b").unwrap(), None);
    index.set_bucket_tags("b", Some(&tags(&[("a", "b")]))).unwrap();
    index.set_bucket_tags("b", None).unwrap();
    assert_eq!(index.get_bucket_tags("b").unwrap(), None);
    assert!(matches!(index.get_bucket_tags("nope"), Err(IndexError::NoSuchBucket(_))));
    assert!(matches!(index.set_bucket_tags("nope", None), Err(IndexError::NoSuchBucket(_))));
}
