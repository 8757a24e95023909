//! Multipart uploads: parts, completion, abort, listings, the reaper query.

use std::collections::BTreeMap;

use super::{bucket, open, rich_meta, single};
use crate::index::{
    CompleteUpload, CompletedPart, Index, IndexError, ObjectData, ObjectMeta, PartInfo,
    UploadListQuery,
};

const MIB: u64 = 1024 * 1024;

fn part(n: u32, file: &str, size: u64) -> PartInfo {
    PartInfo {
        part_number: n,
        file_id: file.to_string(),
        size,
        etag: format!("\"e{file}\""),
        checksums: BTreeMap::from([("CRC32C".into(), format!("c{n}"))]),
        last_modified_ms: 50,
    }
}

fn done(parts: &[(u32, &str)]) -> CompleteUpload {
    CompleteUpload {
        parts: parts
            .iter()
            .map(|(n, f)| CompletedPart { part_number: *n, etag: format!("e{f}") })
            .collect(),
        etag: "\"abc-2\"".into(),
        checksums: None,
        min_part_size: 5 * MIB,
        now_ms: 100,
    }
}

fn started(index: &mut Index) -> String {
    bucket(index, "b");
    index.create_upload("b", "big", &rich_meta(), 10).unwrap()
}

#[test]
fn complete_writes_the_manifest_and_queues_unused_parts() {
    let (_dir, mut index) = open();
    let id = started(&mut index);
    assert_eq!(id.len(), 44);
    for (n, f) in [(1, "p1"), (2, "p2"), (3, "p3"), (5, "p5")] {
        assert!(index.upload_part("b", "big", &id, &part(n, f, 5 * MIB), None).unwrap().is_empty());
    }
    // Re-uploading a part number replaces it and queues the old file.
    assert_eq!(
        index.upload_part("b", "big", &id, &part(2, "p2b", 5 * MIB), None).unwrap(),
        vec!["p2"]
    );
    index.put_object("b", "big", &single("old", 1), None).unwrap();
    let (info, mut released) =
        index.complete_upload("b", "big", &id, &done(&[(1, "p1"), (2, "p2b"), (5, "p5")])).unwrap();
    released.sort();
    assert_eq!(released, vec!["old", "p3"]);
    assert_eq!((info.size, info.part_count, info.etag.as_str()), (15 * MIB, 3, "\"abc-2\""));
    let got = index.get_object("b", "big").unwrap();
    // The object's checksums come from its parts ("c1"... are no CRC32C
    // values, so none), not from the upload.
    assert_eq!(got.info.meta, ObjectMeta { checksums: BTreeMap::new(), ..rich_meta() });
    let ObjectData::Parts(manifest) = got.data else { panic!("not multipart") };
    let files: Vec<&str> = manifest.iter().map(|p| p.file_id.as_str()).collect();
    assert_eq!(files, vec!["p1", "p2b", "p5"]);
    assert_eq!(manifest.iter().map(|p| p.part_number).collect::<Vec<_>>(), vec![1, 2, 5]);
    for f in ["p1", "p2b", "p5"] {
        assert_eq!(index.refcount(f).unwrap(), 1);
    }
    assert!(matches!(index.get_upload("b", "big", &id), Err(IndexError::NoSuchUpload(_))));
    let mut queued = index.queued_file_ids().unwrap();
    queued.sort();
    assert_eq!(queued, vec!["old", "p2", "p3"]);
}

#[test]
fn complete_validates_the_part_list() {
    let (_dir, mut index) = open();
    let id = started(&mut index);
    index.upload_part("b", "big", &id, &part(1, "p1", 5 * MIB), None).unwrap();
    index.upload_part("b", "big", &id, &part(2, "p2", MIB), None).unwrap();
    index.upload_part("b", "big", &id, &part(3, "p3", MIB), None).unwrap();
    let err = |index: &mut Index, req| index.complete_upload("b", "big", &id, &req).unwrap_err();
    assert!(matches!(err(&mut index, done(&[])), IndexError::NoParts));
    assert!(matches!(err(&mut index, done(&[(2, "p2"), (1, "p1")])), IndexError::InvalidPartOrder));
    assert!(matches!(err(&mut index, done(&[(1, "p1"), (1, "p1")])), IndexError::InvalidPartOrder));
    assert!(matches!(err(&mut index, done(&[(1, "p1"), (4, "p4")])), IndexError::InvalidPart(4)));
    assert!(matches!(err(&mut index, done(&[(1, "px")])), IndexError::InvalidPart(1)));
    assert!(matches!(err(&mut index, done(&[(0, "p1")])), IndexError::InvalidPartNumber(0)));
    assert!(matches!(
        err(&mut index, done(&[(1, "p1"), (2, "p2"), (3, "p3")])),
        IndexError::EntityTooSmall { part_number: 2, .. }
    ));
    // Failed completions changed nothing; quoted ETags match unquoted ones.
    assert_eq!(index.list_parts("b", "big", &id, 0, 10).unwrap().parts.len(), 3);
    let mut req = done(&[(1, "p1"), (3, "p3")]);
    req.parts[0].etag = "\"ep1\"".into();
    req.checksums = Some(BTreeMap::from([("CRC32C".into(), "xyz-2".into())]));
    let (info, released) = index.complete_upload("b", "big", &id, &req).unwrap();
    assert_eq!(released, vec!["p2"]);
    assert_eq!(info.meta.checksums["CRC32C"], "xyz-2");
}

#[test]
fn abort_queues_every_part_and_wrong_key_is_no_such_upload() {
    let (_dir, mut index) = open();
    let id = started(&mut index);
    index.upload_part("b", "big", &id, &part(1, "p1", 1), None).unwrap();
    index.upload_part("b", "big", &id, &part(7, "p7", 1), None).unwrap();
    assert!(matches!(
        index.upload_part("b", "big", &id, &part(10_001, "px", 1), None),
        Err(IndexError::InvalidPartNumber(10_001))
    ));
    assert!(matches!(
        index.upload_part("b", "other", &id, &part(1, "px", 1), None),
        Err(IndexError::NoSuchUpload(_))
    ));
    assert!(matches!(index.abort_upload("b", "other", &id, 5), Err(IndexError::NoSuchUpload(_))));
    assert!(!index.is_referenced("px").unwrap());
    let mut released = index.abort_upload("b", "big", &id, 5).unwrap();
    released.sort();
    assert_eq!(released, vec!["p1", "p7"]);
    assert!(matches!(index.abort_upload("b", "big", &id, 5), Err(IndexError::NoSuchUpload(_))));
}

#[test]
fn list_parts_pages_by_part_number() {
    let (_dir, mut index) = open();
    let id = started(&mut index);
    for n in [3, 1, 2, 10, 4] {
        index.upload_part("b", "big", &id, &part(n, &format!("f{n}"), n.into()), None).unwrap();
    }
    let first = index.list_parts("b", "big", &id, 0, 2).unwrap();
    assert_eq!(first.parts.iter().map(|p| p.part_number).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!((first.is_truncated, first.next_part_number_marker), (true, Some(2)));
    assert_eq!(first.parts[1].checksums["CRC32C"], "c2");
    let rest = index.list_parts("b", "big", &id, 2, 3).unwrap();
    assert_eq!(rest.parts.iter().map(|p| p.part_number).collect::<Vec<_>>(), vec![3, 4, 10]);
    assert_eq!((rest.is_truncated, rest.next_part_number_marker), (false, None));
    assert!(index.list_parts("b", "big", &id, 0, 0).unwrap().parts.is_empty());
}

#[test]
fn list_uploads_pages_with_markers_and_prefixes() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let meta = ObjectMeta::default();
    let mut ids = Vec::new();
    for (key, t) in [("a", 1), ("a", 2), ("d/x", 3), ("d/y", 4), ("e", 5)] {
        ids.push((key, index.create_upload("b", key, &meta, t).unwrap()));
    }
    let q = |key_marker, upload_id_marker, max| UploadListQuery {
        prefix: "",
        delimiter: Some("/"),
        key_marker,
        upload_id_marker,
        max_uploads: max,
    };
    let first = index.list_uploads("b", &q(None, None, 1)).unwrap();
    assert_eq!(first.uploads[0].upload_id, ids[0].1);
    assert_eq!(first.next_key_marker.as_deref(), Some("a"));
    let second = index
        .list_uploads(
            "b",
            &q(first.next_key_marker.as_deref(), first.next_upload_id_marker.as_deref(), 2),
        )
        .unwrap();
    assert_eq!(second.uploads.iter().map(|u| &u.upload_id).collect::<Vec<_>>(), vec![&ids[1].1]);
    assert_eq!(second.common_prefixes, vec!["d/"]);
    assert_eq!(
        (second.next_key_marker.as_deref(), second.next_upload_id_marker.as_deref()),
        (Some("d/"), None)
    );
    let third = index.list_uploads("b", &q(Some("d/"), None, 2)).unwrap();
    assert_eq!(third.uploads.iter().map(|u| u.key.as_str()).collect::<Vec<_>>(), vec!["e"]);
    assert!(!third.is_truncated);
    // key-marker alone skips every upload of that key.
    let after_a = index.list_uploads("b", &q(Some("a"), None, 10)).unwrap();
    assert_eq!(after_a.common_prefixes, vec!["d/"]);
    let flat = UploadListQuery { prefix: "d/", max_uploads: 10, ..Default::default() };
    let flat = index.list_uploads("b", &flat).unwrap();
    assert_eq!(flat.uploads.iter().map(|u| u.key.as_str()).collect::<Vec<_>>(), vec!["d/x", "d/y"]);
    // The reaper sees uploads older than its cutoff, oldest first.
    let stale = index.stale_uploads(3, 10).unwrap();
    assert_eq!(stale.iter().map(|u| u.created_ms).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(stale[0].bucket, "b");
}

#[test]
fn delete_bucket_refuses_objects_and_aborts_uploads() {
    let (_dir, mut index) = open();
    let id = started(&mut index);
    index.upload_part("b", "big", &id, &part(1, "p1", 1), None).unwrap();
    index.put_object("b", "o", &single("f", 1), None).unwrap();
    assert!(matches!(index.delete_bucket("b", 9), Err(IndexError::BucketNotEmpty(_))));
    index.delete_object("b", "o", 9).unwrap();
    assert_eq!(index.delete_bucket("b", 9).unwrap(), vec!["p1"]);
    assert!(matches!(index.get_bucket("b"), Err(IndexError::NoSuchBucket(_))));
    assert!(matches!(index.delete_bucket("b", 9), Err(IndexError::NoSuchBucket(_))));
}
