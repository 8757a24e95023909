//! The async facade: reads and writes from tokio without blocking it.

use super::{bucket, single};
use crate::index::{IndexError, IndexHandle, ListQuery};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_see_completed_writes_and_panics_are_contained() {
    let dir = tempfile::tempdir().unwrap();
    let handle = IndexHandle::open(dir.path().join("index.db"), 2).unwrap();
    handle
        .write(|i| {
            bucket(i, "b");
            Ok(())
        })
        .await
        .unwrap();
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
