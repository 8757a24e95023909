//! The lock down to the files: the orphan sweep keeps locked files and
//! rebuild-index restores the locks.

use super::*;

/// Uploads `data` straight to the storage with tags `meta` (no index row).
async fn raw_upload(stack: &Stack, meta: &Metadata, data: &[u8]) -> String {
    let pool = Pool::default();
    let tracker = TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap();
    let target = tracker.query_store(Some("group1")).await.unwrap();
    let addr = storage_socket_addr(&target.storage).unwrap();
    let content = Content { len: data.len() as u64, reader: &mut &data[..] };
    let stored = StorageClient::new(pool)
        .upload_with_metadata(addr, target.store_path_index, "bin", meta, content)
        .await
        .unwrap();
    stored.file_id()
}

#[tokio::test]
async fn the_orphan_sweep_keeps_locked_files() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "swp").await;
    let tagged = |key: &str, lock: &ObjectLock| {
        let mut meta = FileTag::object("swp", key, None).to_metadata();
        meta.merge(&lock_metadata(lock));
        meta
    };
    let held = ObjectLock { retention: None, legal_hold: true };
    let held = raw_upload(&stack, &tagged("held", &held), b"h").await;
    let future = Retention { mode: LockMode::Governance, until_ms: i64::MAX / 2 };
    let retained = ObjectLock { retention: Some(future), legal_hold: false };
    let retained = raw_upload(&stack, &tagged("retained", &retained), b"r").await;
    let past = Retention { mode: LockMode::Compliance, until_ms: 1 };
    let expired = ObjectLock { retention: Some(past), legal_hold: false };
    let expired = raw_upload(&stack, &tagged("expired", &expired), b"e").await;

    let pool = Pool::default();
    let tracker = TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap();
    let storage = StorageClient::new(pool);
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis();
    let now = i64::try_from(now).unwrap() + 1000;
    let report = sweep_orphans(&stack.index, &tracker, &storage, Duration::ZERO, now).await;
    let report = report.unwrap();
    // Three orphans; only the one whose retention is over is queued.
    assert_eq!(report.unreferenced, 3);
    assert_eq!(report.queued, vec![expired.clone()]);
    assert!(disk_path(&stack, &held).exists() && disk_path(&stack, &retained).exists());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while disk_path(&stack, &expired).exists() {
        assert!(std::time::Instant::now() < deadline, "the expired orphan was never deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stack.stop().await;
}

#[tokio::test]
async fn rebuild_index_restores_locks() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "rbl").await;
    let until = in_secs(3600);
    let kept = s3
        .put_object()
        .bucket("rbl")
        .key("kept")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"c"))
        .send()
        .await
        .unwrap();
    let kept_version = kept.version_id().unwrap().to_string();
    s3.put_object()
        .bucket("rbl")
        .key("held")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .body(ByteStream::from_static(b"h"))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("rbl")
        .key("free")
        .body(ByteStream::from_static(b"f"))
        .send()
        .await
        .unwrap();

    let pool = Pool::default();
    let tracker = TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap();
    let storage = StorageClient::new(pool);
    let fresh = stack.dir.path().join("rebuilt");
    std::fs::create_dir_all(&fresh).unwrap();
    let report = rebuild_index(&tracker, &storage, &fresh).await.unwrap();
    assert_eq!((report.objects, report.locked_files), (3, 2), "{report:?}");
    let mut index = Index::open(index_path(&fresh)).unwrap();
    let kept = index.object_lock("rbl", "kept", Some(&kept_version)).unwrap();
    let want = Retention { mode: LockMode::Compliance, until_ms: until.secs() * 1000 };
    assert_eq!(kept, ObjectLock { retention: Some(want), legal_hold: false });
    assert!(index.object_lock("rbl", "held", None).unwrap().legal_hold);
    assert_eq!(index.object_lock("rbl", "free", None).unwrap(), ObjectLock::default());
    // The bucket is a lock bucket again, so the versions stay protected.
    assert!(index.get_bucket_lock("rbl").unwrap().is_some());
    assert!(matches!(
        index.delete_version_if("rbl", "kept", Some(&kept_version), None, 0, &Default::default()),
        Err(IndexError::ObjectLocked(_))
    ));
    stack.stop().await;
}
