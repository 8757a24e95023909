//! The worker over a real index (no cluster: it only talks to the index):
//! a pass applies the rules and reports counts; a pass stopped by
//! shutdown keeps its place and the next worker resumes it.

use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::server::shutdown_channel;
use tokio::sync::Notify;

use super::super::model::{Configuration, Expiration, Filter, FilterForm, Rule};
use super::super::worker::{LifecycleSettings, LifecycleWorker};
use crate::index::{Bucket, IndexHandle, NewObject, ObjectData, ObjectMeta};

fn rule(prefix: &str) -> Configuration {
    Configuration {
        rules: vec![Rule {
            id: "r".into(),
            enabled: true,
            filter: Filter {
                form: FilterForm::Single,
                prefix: Some(prefix.into()),
                tags: Vec::new(),
                size_greater: None,
                size_less: None,
            },
            expiration: Some(Expiration::Days(1)),
            noncurrent: None,
            abort_upload_days: None,
        }],
    }
}

async fn seeded(dir: &std::path::Path) -> IndexHandle {
    let index = IndexHandle::open(dir.join("index.db"), 1).unwrap();
    index
        .write(|ix| {
            for name in ["a", "b"] {
                let owner = "o".to_string();
                let home_group = "group1".to_string();
                ix.create_bucket(&Bucket { name: name.into(), home_group, owner, created_ms: 1 })?;
                ix.put_lifecycle(name, &rule("old/"))?;
                for key in ["old/1", "old/2", "new/1"] {
                    let obj = NewObject {
                        data: ObjectData::Single(format!("{name}-{key}")),
                        size: 1,
                        etag: "e".into(),
                        meta: ObjectMeta::default(),
                        // Long ago: a day has passed whatever its length.
                        last_modified_ms: 1_000,
                    };
                    ix.put_object(name, key, &obj, None)?;
                }
            }
            Ok(())
        })
        .await
        .unwrap();
    index
}

fn settings() -> LifecycleSettings {
    LifecycleSettings { interval: Duration::from_secs(3600), day: Duration::from_secs(1) }
}

#[tokio::test]
async fn a_pass_expires_and_a_stopped_pass_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let index = seeded(dir.path()).await;
    let wake = Arc::new(Notify::new());

    // Shut down before the first batch: the pass starts, saves its place
    // on bucket `a`, and stops without touching anything.
    let (trigger, shutdown) = shutdown_channel();
    trigger.trigger();
    let worker = LifecycleWorker::new(index.clone(), Arc::clone(&wake), settings());
    let stats = worker.run_pass(&shutdown).await.unwrap();
    assert_eq!(stats.expired, 0);
    let progress = index.read(|ix| ix.lifecycle_progress()).await.unwrap().unwrap();
    assert_eq!(progress.bucket, "a");

    // A new worker resumes that pass and finishes it.
    let (_trigger, shutdown) = shutdown_channel();
    let worker = LifecycleWorker::new(index.clone(), Arc::clone(&wake), settings());
    let stats = worker.run_pass(&shutdown).await.unwrap();
    assert_eq!((stats.buckets, stats.scanned, stats.expired, stats.released), (2, 6, 4, 4));
    assert_eq!(index.read(|ix| ix.lifecycle_progress()).await.unwrap(), None);
    let left = index.read(|ix| Ok(ix.head_object("a", "new/1").is_ok())).await.unwrap();
    assert!(left);
    let gone = index.read(|ix| Ok(ix.head_object("b", "old/2").is_err())).await.unwrap();
    assert!(gone);
    assert_eq!(index.read(|ix| ix.delete_queue_len()).await.unwrap(), 4);
    // The drainer was woken for the queued files.
    tokio::time::timeout(Duration::from_secs(1), wake.notified()).await.unwrap();
}
