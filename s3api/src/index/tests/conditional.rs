//! Conditional writes checked in the write's own transaction, racing
//! writers, and retried completions.

use std::collections::BTreeMap;

use super::{bucket, handle_with_bucket, open, single};
use crate::index::{
    CompleteUpload, CompletedPart, Index, IndexError, Intent, MetaDirective, ObjectMeta, PartInfo,
    WriteCondition,
};

const MIB: u64 = 1024 * 1024;

fn precondition_failed<T: std::fmt::Debug>(r: Result<T, IndexError>) -> bool {
    matches!(r, Err(IndexError::PreconditionFailed(_)))
}

fn no_such_key<T: std::fmt::Debug>(r: Result<T, IndexError>) -> bool {
    matches!(r, Err(IndexError::NoSuchKey { .. }))
}

/// Records an upload intent for `key` with `file` attached.
fn intent(index: &mut Index, token: &str, key: &str, file: &str) {
    let intent = Intent {
        token: token.into(),
        bucket: "b".into(),
        key: key.into(),
        group: "group1".into(),
        started_ms: 1,
        file_id: None,
    };
    index.begin_intent(&intent).unwrap();
    index.attach_intent_file(token, file).unwrap();
}

#[test]
fn put_if_absent_and_if_match() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let absent = WriteCondition::if_absent();
    index.put_object_if("b", "k", &single("f1", 1), None, &absent).unwrap();

    // A second If-None-Match: * fails and writes nothing: the object, the
    // refcounts and the intent are as they were.
    intent(&mut index, "t2", "k", "f2");
    assert!(precondition_failed(index.put_object_if(
        "b",
        "k",
        &single("f2", 2),
        Some("t2"),
        &absent
    )));
    assert_eq!(index.head_object("b", "k").unwrap().etag, "\"etag-f1\"");
    assert_eq!(index.refcount("f2").unwrap(), 0);
    // The caller abandons the intent: the loser's file is queued.
    assert_eq!(index.abandon_intent("t2", 5).unwrap().as_deref(), Some("f2"));

    // If-Match: the current ETag (quotes optional) or `*`.
    let stale = WriteCondition::if_match("etag-f0");
    assert!(precondition_failed(index.put_object_if("b", "k", &single("f3", 3), None, &stale)));
    let current = WriteCondition::if_match("etag-f1");
    let released = index.put_object_if("b", "k", &single("f3", 3), None, &current).unwrap();
    assert_eq!(released, vec!["f1"]);
    let any = WriteCondition::if_match("*");
    index.put_object_if("b", "k", &single("f4", 4), None, &any).unwrap();
    // If-Match on a missing key is NoSuchKey, `*` included.
    assert!(no_such_key(index.put_object_if("b", "new", &single("f5", 5), None, &any)));
    assert!(index.head_object("b", "new").is_err());
    assert_eq!(index.refcount("f5").unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_if_absent_writers_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let handle = handle_with_bucket(dir.path(), "b").await;
    const WRITERS: usize = 16;
    for n in 0..WRITERS {
        let (t, f) = (format!("t{n}"), format!("f{n}"));
        handle
            .write(move |i| {
                intent(i, &t, "race", &f);
                Ok(())
            })
            .await
            .unwrap();
    }
    // Every writer passed its pre-check (the key is free); all commit at
    // once, many in one group commit.
    let mut tasks = Vec::new();
    for n in 0..WRITERS {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            let (t, f) = (format!("t{n}"), format!("f{n}"));
            let cond = WriteCondition::if_absent();
            h.write(move |i| i.put_object_if("b", "race", &single(&f, 1), Some(&t), &cond)).await
        }));
    }
    let mut winners = Vec::new();
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(_) => winners.push(n),
            Err(IndexError::PreconditionFailed(_)) => {
                let t = format!("t{n}");
                let queued = handle.write(move |i| i.abandon_intent(&t, 9)).await.unwrap();
                assert_eq!(queued, Some(format!("f{n}")), "the loser's file is queued");
            }
            Err(e) => panic!("writer {n}: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins: {winners:?}");
    let winner = format!("\"etag-f{}\"", winners[0]);
    let info = handle.read(|i| i.head_object("b", "race")).await.unwrap();
    assert_eq!(info.etag, winner);
    // No leak: only the winner's file is referenced, every other queued.
    let queued = handle.read(|i| i.delete_queue_len()).await.unwrap();
    assert_eq!(queued, WRITERS as u64 - 1);
    for n in 0..WRITERS {
        let f = format!("f{n}");
        let count = handle.read(move |i| i.refcount(&f)).await.unwrap();
        assert_eq!(count, u64::from(winners[0] == n));
    }
}

#[test]
fn delete_if_match() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "k", &single("f1", 1), None).unwrap();
    let stale = WriteCondition::if_match("nope");
    assert!(precondition_failed(index.delete_object_if("b", "k", 2, &stale)));
    assert!(index.head_object("b", "k").is_ok());
    let current = WriteCondition::if_match("\"etag-f1\"");
    assert_eq!(index.delete_object_if("b", "k", 2, &current).unwrap(), Some(vec!["f1".into()]));
    // No object: If-Match is NoSuchKey; without a condition it is a no-op.
    assert!(no_such_key(index.delete_object_if("b", "k", 3, &current)));
    assert!(no_such_key(index.delete_object_if("b", "k", 3, &WriteCondition::if_match("*"))));
    assert_eq!(index.delete_object_if("b", "k", 3, &WriteCondition::none()).unwrap(), None);
    index.put_object("b", "k", &single("f2", 1), None).unwrap();
    let any = WriteCondition::if_match("*");
    assert!(index.delete_object_if("b", "k", 4, &any).unwrap().is_some());
}

#[test]
fn batch_delete_checks_each_key() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    for k in ["a", "b", "c"] {
        index.put_object("b", k, &single(&format!("f{k}"), 1), None).unwrap();
    }
    let keys = vec![
        ("a".to_string(), WriteCondition::if_match("etag-fa")),
        ("b".to_string(), WriteCondition::if_match("etag-wrong")),
        ("c".to_string(), WriteCondition::none()),
        ("gone".to_string(), WriteCondition::if_match("x")),
        ("gone2".to_string(), WriteCondition::none()),
    ];
    let out = index.delete_objects_if("b", &keys, 5).unwrap();
    assert_eq!(out.len(), 5);
    assert_eq!(out[0].as_ref().unwrap(), &Some(vec!["fa".to_string()]));
    assert!(matches!(out[1], Err(IndexError::PreconditionFailed(_))));
    assert_eq!(out[2].as_ref().unwrap(), &Some(vec!["fc".to_string()]));
    assert!(matches!(out[3], Err(IndexError::NoSuchKey { .. })));
    assert_eq!(out[4].as_ref().unwrap(), &None);
    // The refused key is still there; the others are gone.
    assert!(index.head_object("b", "b").is_ok());
    assert!(index.head_object("b", "a").is_err() && index.head_object("b", "c").is_err());
}

#[test]
fn copy_checks_the_destination() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "src", &single("fs", 1), None).unwrap();
    index.put_object("b", "dst", &single("fd", 1), None).unwrap();
    let copy = |ix: &mut Index, cond: &WriteCondition| {
        ix.copy_object_if(("b", "src"), ("b", "dst"), MetaDirective::Copy, 9, cond)
    };
    assert!(precondition_failed(copy(&mut index, &WriteCondition::if_absent())));
    assert!(precondition_failed(copy(&mut index, &WriteCondition::if_match("etag-fs"))));
    assert_eq!(index.refcount("fs").unwrap(), 1, "a refused copy takes no reference");
    let (info, released) = copy(&mut index, &WriteCondition::if_match("etag-fd")).unwrap();
    assert_eq!((info.etag.as_str(), released), ("\"etag-fs\"", vec!["fd".to_string()]));
    assert_eq!(index.refcount("fs").unwrap(), 2);
    let fresh = index.copy_object_if(
        ("b", "src"),
        ("b", "new"),
        MetaDirective::Copy,
        9,
        &WriteCondition::if_absent(),
    );
    assert!(fresh.is_ok());
}

fn part(n: u32, file: &str) -> PartInfo {
    PartInfo {
        part_number: n,
        file_id: file.to_string(),
        size: 5 * MIB,
        etag: format!("e{file}"),
        checksums: BTreeMap::new(),
        last_modified_ms: 50,
    }
}

fn request(files: &[&str]) -> CompleteUpload {
    CompleteUpload {
        parts: files
            .iter()
            .enumerate()
            .map(|(i, f)| CompletedPart { part_number: i as u32 + 1, etag: format!("e{f}") })
            .collect(),
        etag: format!("multi-{}", files.len()),
        checksums: None,
        min_part_size: 5 * MIB,
        now_ms: 100,
    }
}

/// An upload of `key` with parts `files` uploaded.
fn upload(index: &mut Index, key: &str, files: &[&str]) -> String {
    let id = index.create_upload("b", key, &ObjectMeta::default(), 10).unwrap();
    for (i, f) in files.iter().enumerate() {
        index.upload_part("b", key, &id, &part(i as u32 + 1, f), None).unwrap();
    }
    id
}

#[test]
fn complete_honours_conditions_and_keeps_the_upload_on_failure() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "k", &single("old", 1), None).unwrap();
    let id = upload(&mut index, "k", &["p1", "p2"]);
    let req = request(&["p1", "p2"]);
    let absent = WriteCondition::if_absent();
    assert!(precondition_failed(index.complete_upload_if("b", "k", &id, &req, &absent)));
    let stale = WriteCondition::if_match("etag-other");
    assert!(precondition_failed(index.complete_upload_if("b", "k", &id, &req, &stale)));
    // Nothing changed: the old object stays, the upload can still complete.
    assert_eq!(index.head_object("b", "k").unwrap().etag, "\"etag-old\"");
    assert_eq!(index.refcount("p1").unwrap(), 1);
    let current = WriteCondition::if_match("etag-old");
    let done = index.complete_upload_if("b", "k", &id, &req, &current).unwrap();
    assert!(!done.retried);
    assert_eq!(done.released, vec!["old"]);
    // If-Match on a key without an object: NoSuchKey, upload kept.
    let id2 = upload(&mut index, "fresh", &["q1"]);
    let any = WriteCondition::if_match("*");
    let req2 = request(&["q1"]);
    assert!(no_such_key(index.complete_upload_if("b", "fresh", &id2, &req2, &any)));
    assert!(index.complete_upload_if("b", "fresh", &id2, &req2, &absent).is_ok());
}

#[test]
fn a_retried_completion_answers_with_its_object() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let id = upload(&mut index, "k", &["p1", "p2"]);
    let req = request(&["p1", "p2"]);
    let first = index.complete_upload_if("b", "k", &id, &req, &WriteCondition::none()).unwrap();
    assert!(!first.retried);
    // The reply was lost; the SDK sends the same request again, with or
    // without If-None-Match: *.
    for cond in [WriteCondition::none(), WriteCondition::if_absent()] {
        let again = index.complete_upload_if("b", "k", &id, &req, &cond).unwrap();
        assert!(again.retried);
        assert!(again.released.is_empty());
        assert_eq!(again.info, first.info);
    }
    assert_eq!(index.complete_upload("b", "k", &id, &req).unwrap().0.etag, "multi-2");
    // Under another key, or unknown: NoSuchUpload.
    let other = index.complete_upload("b", "other", &id, &req);
    assert!(matches!(other, Err(IndexError::NoSuchUpload(_))));
    let unknown = index.complete_upload("b", "k", "0000nope", &req);
    assert!(matches!(unknown, Err(IndexError::NoSuchUpload(_))));
    // Once another write replaced the object, the upload is gone for good:
    // a plain PUT, a copy, or another upload's completion.
    let copy_src = upload(&mut index, "k", &["r1"]);
    index.complete_upload("b", "k", &copy_src, &request(&["r1"])).unwrap();
    assert!(matches!(index.complete_upload("b", "k", &id, &req), Err(IndexError::NoSuchUpload(_))));
    assert!(index.complete_upload("b", "k", &copy_src, &request(&["r1"])).unwrap().0.size > 0);
    index.put_object("b", "k", &single("f", 1), None).unwrap();
    let gone = index.complete_upload("b", "k", &copy_src, &request(&["r1"]));
    assert!(matches!(gone, Err(IndexError::NoSuchUpload(_))));
}
