//! Unit tests of the index, against real database files in temp dirs.

mod buckets_keys;
mod conditional;
mod handle;
mod lifecycle;
mod listing;
mod listing_big;
mod model;
mod multipart;
mod object_lock;
mod objects;
mod persist;
mod queue;
mod sealed_keys;
mod tagging;
mod upload_listing;
mod versions;

use std::collections::BTreeMap;

use tempfile::TempDir;

use super::{Bucket, Index, IndexHandle, NewObject, ObjectData, ObjectMeta, PartRef};

/// A fresh index in a temp dir (keep the dir alive as long as the index).
pub(super) fn open() -> (TempDir, Index) {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open(dir.path().join("index.db")).unwrap();
    (dir, index)
}

/// Creates bucket `name` owned by "alice" in group1.
pub(super) fn bucket(index: &mut Index, name: &str) {
    index
        .create_bucket(&Bucket {
            name: name.to_string(),
            home_group: "group1".to_string(),
            owner: "alice".to_string(),
            created_ms: 1,
        })
        .unwrap();
}

/// An index handle in `dir` (two readers) holding bucket `name`.
pub(super) async fn handle_with_bucket(dir: &std::path::Path, name: &'static str) -> IndexHandle {
    let handle = IndexHandle::open(dir.join("index.db"), 2).unwrap();
    handle
        .write(move |i| {
            bucket(i, name);
            Ok(())
        })
        .await
        .unwrap();
    handle
}

/// A single-file object of `size` bytes in `file`.
pub(super) fn single(file: &str, size: u64) -> NewObject {
    NewObject {
        data: ObjectData::Single(file.to_string()),
        size,
        etag: format!("\"etag-{file}\""),
        meta: ObjectMeta::default(),
        last_modified_ms: 1_000,
    }
}

/// A multipart object made of `files`, each `part_size` bytes.
pub(super) fn parts(files: &[&str], part_size: u64) -> NewObject {
    let refs: Vec<PartRef> = files
        .iter()
        .enumerate()
        .map(|(i, f)| PartRef {
            part_number: i as u32 + 1,
            file_id: f.to_string(),
            size: part_size,
            etag: format!("\"p{i}\""),
            checksums: [("CRC32".to_string(), format!("p{i}=="))].into_iter().collect(),
        })
        .collect();
    NewObject {
        data: ObjectData::Parts(refs),
        size: part_size * files.len() as u64,
        etag: format!("\"multi-{}\"", files.len()),
        meta: ObjectMeta::default(),
        last_modified_ms: 1_000,
    }
}

/// Rich metadata for round-trip checks.
pub(super) fn rich_meta() -> ObjectMeta {
    ObjectMeta {
        content_type: Some("text/plain; charset=utf-8".into()),
        content_encoding: Some("gzip".into()),
        content_disposition: Some("attachment; filename=\"a b.txt\"".into()),
        content_language: Some("de-CH".into()),
        cache_control: Some("max-age=60".into()),
        expires: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        storage_class: Some("STANDARD".into()),
        user: BTreeMap::from([("color".into(), "blau".into()), ("ünï".into(), "".into())]),
        checksums: BTreeMap::from([("CRC32".into(), "AAAAAA==".into())]),
        encryption: Some(vec![1, 1, 0xfe, 0]),
        tags: BTreeMap::from([("project".into(), "blue".into()), ("empty".into(), "".into())]),
    }
}
