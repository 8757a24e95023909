//! An object whose file no storage serves is never a 404 NoSuchKey: the
//! index says the object exists. Found by the fault suite
//! (compat-tests/test_faults.py), where GETs of acknowledged objects
//! answered 404 while a storage of their group was killed or stopped;
//! there (a member not active, or one that cannot answer, may hold the
//! only copy) it is a 503 the client retries. Here every storage of the
//! group is active and answered ENOENT: the data is lost, a 500 (see
//! `gateway/file_fetch.rs` and gateway_lost_file.rs).

mod support;

use std::path::{Path, PathBuf};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use support::{SECRET, Stack, body, make_bucket};

/// The stored files (not their `-m` metadata) under a store path.
fn stored_files(store: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![store.join("data")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "sync" && !name.starts_with('.') {
                    dirs.push(path);
                }
            } else if dir != store.join("data") && !name.ends_with("-m") && !name.starts_with('.') {
                out.push(path);
            }
        }
    }
    out
}

#[tokio::test]
async fn a_file_missing_from_every_active_storage_is_500_not_404() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "lost").await;
    let data = vec![7u8; 10_000];
    s3.put_object()
        .bucket("lost")
        .key("k")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(body(s3.get_object().bucket("lost").key("k").send().await.unwrap()).await, data);

    let files = stored_files(&stack.dir.path().join("storage"));
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::remove_file(&files[0]).unwrap();

    let e = s3.get_object().bucket("lost").key("k").send().await.unwrap_err();
    assert_eq!(e.code(), Some("InternalError"), "{e:?}");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(500));
    // A key the index does not have is still NoSuchKey.
    let e = s3.get_object().bucket("lost").key("other").send().await.unwrap_err();
    assert_eq!(e.code(), Some("NoSuchKey"), "{e:?}");
    stack.stop().await;
}
