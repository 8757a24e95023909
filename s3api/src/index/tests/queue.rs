//! The delete queue (leases, backoff, acks), upload intents and the
//! orphan-sweep helpers.

use super::{bucket, open, single};
use crate::index::{DeleteReason, IndexError, Intent, RetryPolicy};

const POLICY: RetryPolicy = RetryPolicy { lease_ms: 100, base_backoff_ms: 10, max_backoff_ms: 35 };

#[test]
fn take_leases_ack_and_fail_with_backoff() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    for (i, key) in ["a", "b", "c"].iter().enumerate() {
        index.put_object("b", key, &single(&format!("f{i}"), 1), None).unwrap();
        index.delete_object("b", key, 1_000 + i as i64).unwrap();
    }
    // Not due yet before the enqueue time.
    assert!(index.take_deletes(10, 999, &POLICY).unwrap().is_empty());
    let batch = index.take_deletes(2, 2_000, &POLICY).unwrap();
    assert_eq!(batch.iter().map(|d| d.file_id.as_str()).collect::<Vec<_>>(), vec!["f0", "f1"]);
    assert_eq!(
        (batch[0].attempts, batch[0].reason, batch[0].enqueued_ms),
        (1, DeleteReason::Deleted, 1_000)
    );
    // Leased entries are invisible; the rest is still due.
    let rest = index.take_deletes(10, 2_000, &POLICY).unwrap();
    assert_eq!(rest.iter().map(|d| d.file_id.as_str()).collect::<Vec<_>>(), vec!["f2"]);
    assert!(index.ack_delete(batch[0].id).unwrap());
    assert!(!index.ack_delete(batch[0].id).unwrap());
    // A failure reschedules with backoff (attempt 1 → base).
    assert_eq!(
        index.fail_delete(batch[1].id, 2_010, "ECONNREFUSED", &POLICY).unwrap(),
        Some(2_020)
    );
    assert!(index.take_deletes(10, 2_019, &POLICY).unwrap().is_empty());
    let again = index.take_deletes(10, 2_020, &POLICY).unwrap();
    assert_eq!((again[0].file_id.as_str(), again[0].attempts), ("f1", 2));
    assert_eq!(index.fail_delete(again[0].id, 2_030, "x", &POLICY).unwrap(), Some(2_050));
    // An expired lease hands the entry out again, after the retry due first.
    let expired = index.take_deletes(10, 2_100, &POLICY).unwrap();
    assert_eq!(expired.iter().map(|d| d.file_id.as_str()).collect::<Vec<_>>(), vec!["f1", "f2"]);
    assert_eq!(index.fail_delete(12345, 0, "gone", &POLICY).unwrap(), None);
    assert_eq!(index.delete_queue_len().unwrap(), 2);
}

#[test]
fn backoff_doubles_and_caps() {
    let p = RetryPolicy { lease_ms: 1, base_backoff_ms: 1_000, max_backoff_ms: 60_000 };
    let delays: Vec<i64> = (1..=8).map(|a| p.backoff_ms(a)).collect();
    assert_eq!(delays, vec![1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    assert_eq!(p.backoff_ms(u32::MAX), 60_000);
    assert_eq!(p.backoff_ms(0), 1_000);
}

#[test]
fn corrupt_queue_reason_is_an_error() {
    let (_dir, mut index) = open();
    index
        .conn
        .execute(
            "INSERT INTO delete_queue (file_id, reason, enqueued_ms, attempts, next_attempt_ms)
             VALUES ('f', 'bogus', 0, 0, 0)",
            [],
        )
        .unwrap();
    assert!(matches!(index.take_deletes(1, 0, &POLICY), Err(IndexError::Corrupt(_))));
}

fn intent(token: &str, started_ms: i64) -> Intent {
    Intent {
        token: token.to_string(),
        bucket: "b".into(),
        key: "k/é".into(),
        group: "group1".into(),
        started_ms,
        file_id: None,
    }
}

#[test]
fn intents_finish_with_the_object_or_are_abandoned_to_the_sweep() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    // A finished upload: the object write drops the intent.
    index.begin_intent(&intent("t1", 10)).unwrap();
    index.attach_intent_file("t1", "f1").unwrap();
    index.put_object("b", "k/é", &single("f1", 1), Some("t1")).unwrap();
    // A crash after the storage answered: the sweep queues the file.
    index.begin_intent(&intent("t2", 20)).unwrap();
    index.attach_intent_file("t2", "f2").unwrap();
    // A crash before it answered: no file to name.
    index.begin_intent(&intent("t3", 30)).unwrap();
    assert!(matches!(index.attach_intent_file("nope", "x"), Err(IndexError::NoSuchIntent(_))));
    let stale = index.stale_intents(31, 10).unwrap();
    assert_eq!(stale.iter().map(|i| i.token.as_str()).collect::<Vec<_>>(), vec!["t2", "t3"]);
    assert_eq!((stale[0].file_id.as_deref(), stale[0].key.as_str()), (Some("f2"), "k/é"));
    assert_eq!(index.abandon_intent("t2", 40).unwrap(), Some("f2".to_string()));
    assert_eq!(index.abandon_intent("t3", 40).unwrap(), None);
    assert!(matches!(index.abandon_intent("t3", 40), Err(IndexError::NoSuchIntent(_))));
    assert_eq!(index.queued_file_ids().unwrap(), vec!["f2"]);
    // An abandoned intent's file can no longer be referenced.
    assert!(matches!(
        index.put_object("b", "late", &single("f2", 1), None),
        Err(IndexError::FileQueuedForDeletion(_))
    ));
    // An intent whose file did reach the index: abandoning queues nothing.
    index.begin_intent(&intent("t4", 50)).unwrap();
    index.attach_intent_file("t4", "f1").unwrap();
    assert_eq!(index.abandon_intent("t4", 60).unwrap(), None);
    index.begin_intent(&intent("t5", 50)).unwrap();
    assert!(index.finish_intent("t5").unwrap());
    assert!(!index.finish_intent("t5").unwrap());
}

#[test]
fn orphan_sweep_helpers() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    index.put_object("b", "k", &single("kept", 1), None).unwrap();
    let found = index.referenced(["kept", "orphan", "kept"]).unwrap();
    assert_eq!(found.into_iter().collect::<Vec<_>>(), vec!["kept"]);
    assert!(!index.enqueue_delete("kept", DeleteReason::Orphan, 5).unwrap());
    assert!(index.enqueue_delete("orphan", DeleteReason::Orphan, 5).unwrap());
    assert!(!index.enqueue_delete("orphan", DeleteReason::Rejected, 6).unwrap());
    let batch = index.take_deletes(10, 5, &POLICY).unwrap();
    assert_eq!((batch.len(), batch[0].reason), (1, DeleteReason::Orphan));
}
