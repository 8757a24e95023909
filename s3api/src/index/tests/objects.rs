//! Objects: put/get/head/delete/copy, refcounts and the delete queue.

use super::{bucket, open, parts, rich_meta, single};
use crate::index::{IndexError, MetaDirective, ObjectData, ObjectMeta};

#[test]
fn put_get_head_round_trip() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let mut obj = single("group1/M00/00/00/a", 5);
    obj.meta = rich_meta();
    assert_eq!(index.put_object("b", "k é/1", &obj, None).unwrap(), Vec::<String>::new());
    let got = index.get_object("b", "k é/1").unwrap();
    assert_eq!(got.data, obj.data);
    assert_eq!(got.info.meta, obj.meta);
    assert_eq!((got.info.size, got.info.part_count, got.info.last_modified_ms), (5, 0, 1_000));
    assert_eq!(index.head_object("b", "k é/1").unwrap(), got.info);
    assert!(matches!(index.get_object("b", "other"), Err(IndexError::NoSuchKey { .. })));
    assert!(matches!(index.get_object("nope", "k"), Err(IndexError::NoSuchBucket(_))));
    assert!(matches!(index.put_object("nope", "k", &obj, None), Err(IndexError::NoSuchBucket(_))));
}

#[test]
fn overwrite_queues_the_old_file_in_the_same_write() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "k", &single("f1", 1), None).unwrap();
    let released = index.put_object("b", "k", &single("f2", 2), None).unwrap();
    assert_eq!(released, vec!["f1"]);
    assert_eq!(index.queued_file_ids().unwrap(), vec!["f1"]);
    assert!(!index.is_referenced("f1").unwrap());
    assert!(index.is_referenced("f2").unwrap());
    // Rewriting the same file ID (idempotent retry) frees nothing.
    assert!(index.put_object("b", "k", &single("f2", 2), None).unwrap().is_empty());
    assert_eq!(index.refcount("f2").unwrap(), 1);
    // A queued file cannot be referenced again.
    assert!(matches!(
        index.put_object("b", "k2", &single("f1", 1), None),
        Err(IndexError::FileQueuedForDeletion(_))
    ));
}

#[test]
fn multipart_manifest_round_trip_and_validation() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let obj = parts(&["p1", "p2", "p3"], 10);
    index.put_object("b", "m", &obj, None).unwrap();
    let got = index.get_object("b", "m").unwrap();
    assert_eq!(got.data, obj.data);
    assert_eq!((got.info.size, got.info.part_count), (30, 3));
    // Overwriting a multipart object with a single one frees every part.
    let mut released = index.put_object("b", "m", &single("s", 1), None).unwrap();
    released.sort();
    assert_eq!(released, vec!["p1", "p2", "p3"]);
    // Size must equal the sum of the parts; an empty manifest is invalid.
    let mut bad = parts(&["q1"], 10);
    bad.size = 11;
    assert!(matches!(index.put_object("b", "x", &bad, None), Err(IndexError::InvalidArgument(_))));
    bad.data = ObjectData::Parts(Vec::new());
    bad.size = 0;
    assert!(matches!(index.put_object("b", "x", &bad, None), Err(IndexError::InvalidArgument(_))));
    assert!(matches!(
        index.put_object("b", "x", &single("", 0), None),
        Err(IndexError::InvalidArgument(_))
    ));
    assert!(matches!(
        index.put_object("b", "x", &single("big", u64::MAX), None),
        Err(IndexError::InvalidArgument(_))
    ));
    // Failed writes left nothing behind.
    assert!(!index.is_referenced("q1").unwrap());
}

#[test]
fn delete_and_delete_many() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "a", &single("fa", 1), None).unwrap();
    index.put_object("b", "m", &parts(&["m1", "m2"], 3), None).unwrap();
    assert_eq!(index.delete_object("b", "a", 5).unwrap(), Some(vec!["fa".to_string()]));
    assert_eq!(index.delete_object("b", "a", 5).unwrap(), None);
    let out = index.delete_objects("b", &["m".into(), "zz".into()], 6).unwrap();
    assert_eq!(out, vec![Some(vec!["m1".to_string(), "m2".to_string()]), None]);
    assert_eq!(index.queued_file_ids().unwrap(), vec!["fa", "m1", "m2"]);
    assert!(matches!(index.head_object("b", "m"), Err(IndexError::NoSuchKey { .. })));
}

#[test]
fn copy_shares_files_until_the_last_reference_goes() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    bucket(&mut index, "c");
    let mut src = parts(&["p1", "p2"], 7);
    src.meta = rich_meta();
    index.put_object("b", "src", &src, None).unwrap();
    let (info, released) =
        index.copy_object(("b", "src"), ("c", "dst"), MetaDirective::Copy, 9).unwrap();
    assert!(released.is_empty());
    assert_eq!((info.size, info.part_count, info.last_modified_ms), (14, 2, 9));
    assert_eq!(info.meta, src.meta);
    assert_eq!(index.refcount("p1").unwrap(), 2);
    // A renamed copy with replaced metadata.
    let replaced = ObjectMeta { content_type: Some("x/y".into()), ..ObjectMeta::default() };
    let (info, _) = index
        .copy_object(
            ("b", "src"),
            ("b", "renamed"),
            MetaDirective::Replace(Box::new(replaced.clone())),
            10,
        )
        .unwrap();
    assert_eq!(info.meta, replaced);
    assert_eq!(index.refcount("p2").unwrap(), 3);
    // Deleting the original (the rename's second half) frees nothing.
    assert_eq!(index.delete_object("b", "src", 11).unwrap(), Some(vec![]));
    assert_eq!(index.delete_object("c", "dst", 12).unwrap(), Some(vec![]));
    assert_eq!(index.delete_queue_len().unwrap(), 0);
    assert_eq!(index.get_object("b", "renamed").unwrap().data, src.data);
    // The last copy frees the parts.
    let last = index.delete_object("b", "renamed", 13).unwrap().unwrap();
    assert_eq!(last, vec!["p1", "p2"]);
    // Copy onto itself keeps the data; copy of a missing source fails.
    index.put_object("b", "self", &single("s1", 1), None).unwrap();
    let (_, released) =
        index.copy_object(("b", "self"), ("b", "self"), MetaDirective::Copy, 14).unwrap();
    assert!(released.is_empty());
    assert_eq!(index.refcount("s1").unwrap(), 1);
    assert!(matches!(
        index.copy_object(("b", "none"), ("b", "x"), MetaDirective::Copy, 15),
        Err(IndexError::NoSuchKey { .. })
    ));
    assert!(matches!(
        index.copy_object(("b", "self"), ("nope", "x"), MetaDirective::Copy, 15),
        Err(IndexError::NoSuchBucket(_))
    ));
}

#[test]
fn corrupt_rows_are_errors_not_panics() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "k", &single("f", 1), None).unwrap();
    index.put_object("b", "m", &parts(&["p1", "p2"], 1), None).unwrap();
    index
        .conn
        .execute("UPDATE objects SET user_meta = x'09' WHERE key = CAST('k' AS BLOB)", [])
        .unwrap();
    assert!(matches!(index.get_object("b", "k"), Err(IndexError::Corrupt(_))));
    index
        .conn
        .execute("UPDATE objects SET size = -1, user_meta = x'' WHERE key = CAST('k' AS BLOB)", [])
        .unwrap();
    assert!(matches!(index.head_object("b", "k"), Err(IndexError::Corrupt(_))));
    index
        .conn
        .execute("UPDATE objects SET part_count = 5 WHERE key = CAST('m' AS BLOB)", [])
        .unwrap();
    assert!(matches!(index.get_object("b", "m"), Err(IndexError::Corrupt(_))));
    index
        .conn
        .execute("UPDATE objects SET file_id = 'x' WHERE key = CAST('m' AS BLOB)", [])
        .unwrap();
    assert!(matches!(index.head_object("b", "m"), Err(IndexError::Corrupt(_))));
    index.conn.execute("UPDATE objects SET key = x'FF' WHERE key = CAST('m' AS BLOB)", []).unwrap();
    let listed =
        index.list_objects("b", &crate::index::ListQuery { max_keys: 10, ..Default::default() });
    assert!(matches!(listed, Err(IndexError::Corrupt(_))));
}
