//! The async facade: reads and writes from tokio without blocking it.

use super::{bucket, handle_with_bucket, single};
use crate::index::{IndexError, IndexHandle, ListQuery};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_see_completed_writes_and_panics_are_contained() {
    let dir = tempfile::tempdir().unwrap();
    let handle = handle_with_bucket(dir.path(), "b").await;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("k{n:02}");
            let k2 = key.clone();
            h.write(move |i| i.put_object("b", &k2, &single(&format!("f{n}"), n), None)).await?;
            let info = h.read(move |i| i.head_object("b", &key)).await?;
            assert_eq!(info.size, n);
            Ok::<_, IndexError>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let page = handle
        .read(|i| i.list_objects("b", &ListQuery { max_keys: 100, ..Default::default() }))
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 20);
    // Readers cannot write.
    let err = handle.read(|i| i.put_object("b", "x", &single("x", 1), None)).await.unwrap_err();
    assert!(matches!(err, IndexError::Sqlite(_)));
    // A panicking job is reported and the worker lives on.
    let err = handle.write(|_| -> Result<(), IndexError> { panic!("boom") }).await.unwrap_err();
    assert!(matches!(err, IndexError::JobPanicked));
    assert!(handle.write(|i| i.is_referenced("f1")).await.unwrap());
}

#[tokio::test]
async fn without_readers_reads_run_on_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let handle = IndexHandle::open(dir.path().join("index.db"), 0).unwrap();
    handle
        .write(|i| {
            bucket(i, "b");
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(handle.read(|i| i.list_buckets(None)).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commits_keep_each_jobs_outcome_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.db");
    let handle = IndexHandle::open(&path, 1).unwrap();
    handle
        .write(|i| {
            bucket(i, "b");
            Ok(())
        })
        .await
        .unwrap();
    // Submit a burst so the writer groups them: good writes, writes to a
    // missing bucket, and a job that writes and then panics.
    let mut tasks = Vec::new();
    for n in 0..60u64 {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("k{n:02}");
            match n % 3 {
                0 => h.write(move |i| i.put_object("b", &key, &single(&key, n), None)).await,
                1 => h.write(move |i| i.put_object("nope", &key, &single(&key, n), None)).await,
                _ => {
                    h.write(move |i| -> Result<Vec<String>, IndexError> {
                        i.put_object("b", &format!("half-{key}"), &single(&key, n), None)?;
                        panic!("after a write")
                    })
                    .await
                }
            }
        }));
    }
    for (n, t) in tasks.into_iter().enumerate() {
        let result = t.await.unwrap();
        match n % 3 {
            0 => assert!(result.is_ok(), "{n}: {result:?}"),
            1 => assert!(matches!(result, Err(IndexError::NoSuchBucket(_))), "{n}: {result:?}"),
            _ => assert!(matches!(result, Err(IndexError::JobPanicked)), "{n}: {result:?}"),
        }
    }
    drop(handle);
    // What survived is exactly the good writes, and it is on disk: a fresh
    // connection sees it. A job is atomic, so the panicking jobs' writes
    // before the panic are gone too.
    let mut index = crate::index::Index::open(&path).unwrap();
    let page =
        index.list_objects("b", &ListQuery { max_keys: 1000, ..Default::default() }).unwrap();
    let keys: Vec<_> = page.entries.iter().map(|e| e.key.clone()).collect();
    let good: Vec<_> = (0..60).filter(|n| n % 3 == 0).map(|n| format!("k{n:02}")).collect();
    assert_eq!(keys, good);
}
