//! Versioning: writes, deletes and reads by version in each bucket state,
//! with refcounts checked against the rows after every step.

use std::collections::BTreeMap;

use super::{bucket, open, parts, single};
use crate::index::{
    DeleteTarget, Index, IndexError, MetaDirective, ObjectData, VersionQuery, Versioning,
    WriteCondition,
};

/// Asserts that `files` holds exactly one reference per row naming a file:
/// object versions (and marker files), manifest entries, uploaded parts.
pub(super) fn assert_refcounts_exact(index: &Index) {
    let mut want: BTreeMap<String, i64> = BTreeMap::new();
    for sql in [
        "SELECT file_id FROM objects WHERE file_id IS NOT NULL",
        "SELECT file_id FROM object_parts",
        "SELECT file_id FROM upload_parts",
    ] {
        let mut stmt = index.conn.prepare(sql).unwrap();
        for id in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
            *want.entry(id.unwrap()).or_default() += 1;
        }
    }
    let mut stmt = index.conn.prepare("SELECT file_id, refcount FROM files").unwrap();
    let have: BTreeMap<String, i64> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(have, want, "refcounts differ from the rows");
    // One latest row per key that has rows at all.
    let bad: i64 = index
        .conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT bucket_id, key, SUM(is_latest) AS n FROM objects
             GROUP BY bucket_id, key HAVING n != 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bad, 0, "a key without exactly one latest version");
}

fn cond_none() -> WriteCondition {
    WriteCondition::none()
}

fn queued(index: &Index) -> Vec<String> {
    let mut stmt = index.conn.prepare("SELECT file_id FROM delete_queue ORDER BY file_id").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn versions_of(index: &mut Index, key: &str) -> Vec<(String, bool, bool)> {
    let q = VersionQuery { prefix: key, max_keys: 1000, ..VersionQuery::default() };
    let page = index.list_versions("b", &q).unwrap();
    page.entries
        .into_iter()
        .filter(|e| e.key == key)
        .map(|e| (e.version_id, e.is_latest, e.delete_marker))
        .collect()
}

fn put(index: &mut Index, key: &str, file: &str) -> Option<String> {
    let cond = WriteCondition::none();
    index.put_version_if("b", key, &single(file, 1), None, &cond).unwrap().version_id
}

fn delete(index: &mut Index, key: &str, version: Option<&str>) -> crate::index::Deleted {
    index.delete_version_if("b", key, version, None, 9, &WriteCondition::none()).unwrap()
}

#[test]
fn never_versioned_buckets_behave_as_before() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    assert_eq!(index.bucket_versioning("b").unwrap(), None);
    assert_eq!(put(&mut index, "k", "f1"), None);
    assert_eq!(put(&mut index, "k", "f2"), None);
    assert_eq!(queued(&index), vec!["f1"]);
    assert_eq!(index.get_object("b", "k").unwrap().info.version_id, None);
    assert_eq!(versions_of(&mut index, "k"), vec![("null".into(), true, false)]);
    let d = delete(&mut index, "k", None);
    assert!(d.found && !d.delete_marker && d.version_id.is_none());
    assert_eq!(d.released, vec!["f2"]);
    assert!(versions_of(&mut index, "k").is_empty());
    assert_refcounts_exact(&index);
}

#[test]
fn enabled_buckets_keep_every_version_and_promote_on_delete() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    // An object from before versioning stays as the null version.
    put(&mut index, "k", "f0");
    index.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let v1 = put(&mut index, "k", "f1").unwrap();
    let v2 = put(&mut index, "k", "f2").unwrap();
    assert_eq!(v1.len(), 32);
    assert_ne!(v1, v2);
    assert!(queued(&index).is_empty(), "versions keep their files");
    assert_eq!(
        versions_of(&mut index, "k"),
        vec![(v2.clone(), true, false), (v1.clone(), false, false), ("null".into(), false, false)]
    );
    let cur = index.get_object("b", "k").unwrap();
    assert_eq!(
        (cur.info.version_id.as_deref(), &cur.data),
        (Some(v2.as_str()), &single("f2", 1).data)
    );
    let old = index.get_version("b", "k", Some(&v1)).unwrap();
    assert_eq!(old.data, ObjectData::Single("f1".into()));
    let null = index.get_version("b", "k", Some("null")).unwrap();
    assert_eq!((null.info.version_id.as_deref(), null.data), (Some("null"), single("f0", 1).data));
    assert_refcounts_exact(&index);

    // A delete without a version adds a marker; reads see it.
    let d = delete(&mut index, "k", None);
    assert!(d.found && d.delete_marker && d.released.is_empty());
    let marker = d.version_id.unwrap();
    match index.get_object("b", "k").unwrap_err() {
        IndexError::DeleteMarker { version_id, addressed: false, .. } => {
            assert_eq!(version_id, marker)
        }
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        index.head_version("b", "k", Some(&marker)),
        Err(IndexError::DeleteMarker { addressed: true, .. })
    ));
    let page =
        index.list_objects("b", &crate::index::ListQuery { max_keys: 10, ..Default::default() });
    assert!(page.unwrap().entries.is_empty(), "a deleted key is not listed");
    // A second delete adds a second marker, as AWS does.
    let again = delete(&mut index, "k", None).version_id.unwrap();
    assert_eq!(versions_of(&mut index, "k").len(), 5);
    assert_refcounts_exact(&index);

    // Removing both markers by ID brings v2 back.
    assert!(delete(&mut index, "k", Some(&again)).delete_marker);
    assert!(delete(&mut index, "k", Some(&marker)).delete_marker);
    assert_eq!(index.get_object("b", "k").unwrap().info.version_id, Some(v2.clone()));
    // Removing the latest version promotes the one before.
    let d = delete(&mut index, "k", Some(&v2));
    assert_eq!((d.found, d.delete_marker, d.released.clone()), (true, false, vec!["f2".into()]));
    assert_eq!(index.get_object("b", "k").unwrap().info.version_id, Some(v1.clone()));
    // Removing an older version leaves the latest alone.
    assert_eq!(delete(&mut index, "k", Some("null")).released, vec!["f0"]);
    assert_eq!(versions_of(&mut index, "k"), vec![(v1.clone(), true, false)]);
    // An unknown (well-formed) version removes nothing; a malformed one
    // is refused.
    assert!(!delete(&mut index, "k", Some(&"A".repeat(32))).found);
    let bad = index.delete_version_if("b", "k", Some("nope"), None, 9, &WriteCondition::none());
    assert!(matches!(bad, Err(IndexError::InvalidArgument(_))));
    assert!(matches!(
        index.get_version("b", "k", Some(&"A".repeat(32))),
        Err(IndexError::NoSuchVersion { .. })
    ));
    assert_refcounts_exact(&index);
}

#[test]
fn suspended_buckets_keep_one_null_version() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let v1 = put(&mut index, "k", "f1").unwrap();
    index.set_bucket_versioning("b", Versioning::Suspended).unwrap();
    assert_eq!(put(&mut index, "k", "f2").as_deref(), Some("null"));
    assert_eq!(put(&mut index, "k", "f3").as_deref(), Some("null"));
    assert_eq!(queued(&index), vec!["f2"], "the earlier null version is replaced");
    assert_eq!(
        versions_of(&mut index, "k"),
        vec![("null".into(), true, false), (v1.clone(), false, false)]
    );
    // A delete makes a null marker, which replaces the null version.
    let d = delete(&mut index, "k", None);
    assert_eq!((d.version_id.as_deref(), d.delete_marker), (Some("null"), true));
    assert_eq!(d.released, vec!["f3"]);
    assert_eq!(
        versions_of(&mut index, "k"),
        vec![("null".into(), true, true), (v1.clone(), false, false)]
    );
    // Writing again replaces the null marker.
    put(&mut index, "k", "f4");
    assert_eq!(versions_of(&mut index, "k")[0], ("null".into(), true, false));
    assert_eq!(versions_of(&mut index, "k").len(), 2);
    // Re-enabling keeps the null version among the others.
    index.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let v5 = put(&mut index, "k", "f5").unwrap();
    let all: Vec<String> = versions_of(&mut index, "k").into_iter().map(|v| v.0).collect();
    assert_eq!(all, vec![v5, "null".into(), v1]);
    assert_refcounts_exact(&index);
}

#[test]
fn copies_multipart_and_shared_files_keep_refcounts_exact() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    let v1 = put(&mut index, "src", "f1").unwrap();
    put(&mut index, "src", "f2");
    // Copy from an old version: shares its file.
    let cond = WriteCondition::none();
    let c = index
        .copy_version_if(("b", "src"), Some(&v1), ("b", "dst"), MetaDirective::Copy, 5, &cond)
        .unwrap();
    assert_eq!(c.source_version_id.as_deref(), Some(v1.as_str()));
    assert_eq!(index.refcount("f1").unwrap(), 2);
    assert_eq!(index.get_object("b", "dst").unwrap().data, ObjectData::Single("f1".into()));
    // Copy onto a key's own versions: more references, no release.
    let c2 = index
        .copy_version_if(("b", "src"), Some(&v1), ("b", "src"), MetaDirective::Copy, 6, &cond)
        .unwrap();
    assert_ne!(c2.info.version_id, Some(v1.clone()));
    assert_eq!(index.refcount("f1").unwrap(), 3);
    // A delete marker cannot be copied.
    let m = delete(&mut index, "src", None).version_id.unwrap();
    assert!(matches!(
        index.copy_version_if(("b", "src"), None, ("b", "x"), MetaDirective::Copy, 7, &cond),
        Err(IndexError::DeleteMarker { addressed: false, .. })
    ));
    assert!(matches!(
        index.copy_version_if(("b", "src"), Some(&m), ("b", "x"), MetaDirective::Copy, 7, &cond),
        Err(IndexError::DeleteMarker { addressed: true, .. })
    ));
    // A multipart object as a version, and a bulk write of versions.
    let w = index.put_version_if("b", "mp", &parts(&["p1", "p2"], 5), None, &cond).unwrap();
    index.put_objects("b", &[("mp".into(), parts(&["p1", "p3"], 5))]).unwrap();
    assert_eq!(index.refcount("p1").unwrap(), 2);
    let first = index.get_version("b", "mp", w.version_id.as_deref()).unwrap();
    assert_eq!(first.data.file_ids(), vec!["p1", "p2"]);
    // Delete every version of every key: all files go, none twice.
    let page = index.list_versions("b", &VersionQuery { max_keys: 100, ..Default::default() });
    let targets: Vec<DeleteTarget> = page
        .unwrap()
        .entries
        .into_iter()
        .map(|e| DeleteTarget {
            key: e.key,
            version_id: Some(e.version_id),
            cond: WriteCondition::none(),
            marker_file: None,
            bypass: false,
        })
        .collect();
    for r in index.delete_versions_if("b", &targets, 9).unwrap() {
        assert!(r.unwrap().found);
    }
    assert_eq!(queued(&index), vec!["f1", "f2", "p1", "p2", "p3"]);
    assert_refcounts_exact(&index);
    index.delete_bucket("b", 10).unwrap();
}

#[test]
fn conditions_address_the_current_object_and_buckets_with_markers_are_not_empty() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    put(&mut index, "k", "f1");
    delete(&mut index, "k", None);
    // The latest is a marker: If-None-Match: * succeeds, If-Match fails.
    let absent = WriteCondition::if_absent();
    index.put_version_if("b", "k", &single("f2", 1), None, &absent).unwrap();
    delete(&mut index, "k", None);
    let any = WriteCondition::if_match("*");
    let r = index.put_version_if("b", "k", &single("f3", 1), None, &any);
    assert!(matches!(r, Err(IndexError::NoSuchKey { .. })));
    // With a version ID, If-Match is about that version: an old one's
    // ETag holds for it, the current object's does not.
    let w = index.put_version_if("b", "c", &single("f4", 1), None, &cond_none()).unwrap();
    index.put_version_if("b", "c", &single("f5", 1), None, &cond_none()).unwrap();
    let old = w.version_id.as_deref();
    let wrong = WriteCondition::if_match(single("f5", 1).etag);
    let r = index.delete_version_if("b", "c", old, None, 9, &wrong);
    assert!(matches!(r, Err(IndexError::PreconditionFailed(_))));
    let right = WriteCondition::if_match(single("f4", 1).etag);
    assert!(index.delete_version_if("b", "c", old, None, 9, &right).unwrap().found);
    // Only markers and old versions left: the bucket is not empty.
    assert!(matches!(index.delete_bucket("b", 1), Err(IndexError::BucketNotEmpty(_))));
    assert_refcounts_exact(&index);
}

#[test]
fn marker_files_are_referenced_and_released_with_their_marker() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    // Never-versioned: no marker is made, so its file is queued at once.
    put(&mut index, "k", "f1");
    let cond = WriteCondition::none();
    let d = index.delete_version_if("b", "k", None, Some("m0"), 5, &cond).unwrap();
    assert_eq!(d.released, vec!["m0", "f1"]);
    index.set_bucket_versioning("b", Versioning::Enabled).unwrap();
    put(&mut index, "k", "f2");
    let d = index.delete_version_if("b", "k", None, Some("m1"), 5, &cond).unwrap();
    assert!(d.delete_marker && d.released.is_empty());
    assert_eq!(index.refcount("m1").unwrap(), 1);
    assert_refcounts_exact(&index);
    let gone = index.delete_version_if("b", "k", d.version_id.as_deref(), None, 6, &cond).unwrap();
    assert_eq!(gone.released, vec!["m1"]);
    assert_refcounts_exact(&index);
}

/// One element of a version listing: a version (key, ID) or a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    Version(String, String),
    Prefix(String),
}

/// The listing straight from the rows, rolled up by hand.
fn model(index: &Index, prefix: &str, delimiter: Option<&str>) -> Vec<Element> {
    let mut stmt = index
        .conn
        .prepare("SELECT CAST(key AS TEXT), version_id FROM objects ORDER BY key, seq DESC")
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out: Vec<Element> = Vec::new();
    for (key, vid) in rows {
        let Some(rest) = key.strip_prefix(prefix) else { continue };
        let cut = delimiter.and_then(|d| rest.find(d).map(|i| i + d.len()));
        let el = match cut {
            Some(i) => Element::Prefix(format!("{prefix}{}", &rest[..i])),
            None => Element::Version(key.clone(), vid),
        };
        if out.last() != Some(&el) {
            out.push(el);
        }
    }
    out
}

/// Pages through the listing with the next markers of each page.
fn paged(index: &mut Index, prefix: &str, delimiter: Option<&str>, size: usize) -> Vec<Element> {
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    let mut out = Vec::new();
    loop {
        let q = VersionQuery {
            prefix,
            delimiter,
            key_marker: key_marker.as_deref(),
            version_id_marker: version_marker.as_deref(),
            max_keys: size,
        };
        let page = index.list_versions("b", &q).unwrap();
        assert!(page.entries.len() + page.common_prefixes.len() <= size);
        // Versions and prefixes of one page interleave in key order.
        let mut els: Vec<(String, Element)> = page
            .entries
            .iter()
            .map(|e| (e.key.clone(), Element::Version(e.key.clone(), e.version_id.clone())))
            .collect();
        els.extend(page.common_prefixes.iter().map(|p| (p.clone(), Element::Prefix(p.clone()))));
        els.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        // (stable: the versions of one key keep their order)
        out.extend(els.into_iter().map(|e| e.1));
        if !page.is_truncated {
            return out;
        }
        key_marker = page.next_key_marker;
        version_marker = page.next_version_id_marker;
        assert!(key_marker.is_some());
    }
}

#[test]
fn version_pages_match_the_model() {
    use rand::{Rng, SeedableRng};
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let keys = ["a", "a/b", "a/c", "a/c/d", "a/cx", "b", "b/", "c/a/b", "é", "z"];
    let mut n = 0;
    for round in 0..120 {
        if round == 10 {
            index.set_bucket_versioning("b", Versioning::Enabled).unwrap();
        }
        if round == 90 {
            index.set_bucket_versioning("b", Versioning::Suspended).unwrap();
        }
        let key = keys[rng.random_range(0..keys.len())];
        n += 1;
        if rng.random_bool(0.25) {
            delete(&mut index, key, None);
        } else {
            put(&mut index, key, &format!("f{n}"));
        }
    }
    assert_refcounts_exact(&index);
    for (prefix, delimiter) in
        [("", None), ("", Some("/")), ("a", Some("/")), ("a/", None), ("a/c", Some("/"))]
    {
        let want = model(&index, prefix, delimiter);
        for size in [1, 2, 3, 7, 1000] {
            let got = paged(&mut index, prefix, delimiter, size);
            assert_eq!(got, want, "prefix {prefix:?} delimiter {delimiter:?} pages of {size}");
        }
    }
}
