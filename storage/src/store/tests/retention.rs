//! The store under `Worm::Enforce`: a file whose tags lock it is neither
//! deleted nor changed, its tags only strengthened; expiry, the bypass and
//! files without tags behave as before.

use fdfs_protocol::Status;
use fdfs_protocol::metadata::{MetaOp, Metadata};

use super::Fixture;
use crate::store::retention::{HOLD_TAG, MODE_TAG, UNTIL_TAG};
use crate::store::{Deleted, Worm};

const NOW: u64 = 1_800_000_000_000;

fn at(now_ms: u64) -> Worm {
    Worm::Enforce { now_ms }
}

fn tags(pairs: &[(&str, String)]) -> Metadata {
    pairs.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

fn retained(mode: &str, until: u64) -> Metadata {
    tags(&[(MODE_TAG, mode.into()), (UNTIL_TAG, until.to_string()), ("s3-key", "k".into())])
}

#[tokio::test]
async fn a_retained_file_is_kept_until_its_date() {
    let fx = Fixture::new().await;
    let name = fx.upload(b"keep me", "bin", false).await.name;
    let gov = retained("GOVERNANCE", NOW + 10);
    fx.store.set_metadata(&name, MetaOp::Overwrite, &gov, at(NOW)).await.unwrap();
    let err = fx.store.delete(&name, at(NOW)).await.unwrap_err();
    assert_eq!(err.status(), Status::EPERM);
    assert_eq!(fx.read(&name), b"keep me");
    // Shortening or removing is refused; extending and strengthening are not.
    for (op, meta) in [
        (MetaOp::Overwrite, retained("GOVERNANCE", NOW + 9)),
        (MetaOp::Overwrite, Metadata::new()),
        (MetaOp::Merge, tags(&[(UNTIL_TAG, (NOW + 1).to_string())])),
    ] {
        let err = fx.store.set_metadata(&name, op, &meta, at(NOW)).await.unwrap_err();
        assert_eq!(err.status(), Status::EPERM, "{meta:?}");
    }
    let later = tags(&[(UNTIL_TAG, (NOW + 20).to_string()), (MODE_TAG, "COMPLIANCE".into())]);
    fx.store.set_metadata(&name, MetaOp::Merge, &later, at(NOW)).await.unwrap();
    let err = fx.store.delete(&name, at(NOW + 19)).await.unwrap_err();
    assert_eq!(err.status(), Status::EPERM);
    // Expired: deleted as any file.
    let deleted = fx.store.delete(&name, at(NOW + 20)).await.unwrap();
    assert_eq!(deleted, Deleted { had_metadata: true });
}

#[tokio::test]
async fn a_held_appender_is_not_changed() {
    let fx = Fixture::new().await;
    let name = fx.upload(b"0123456789", "log", true).await.name;
    let hold = tags(&[(HOLD_TAG, "ON".into())]);
    fx.store.set_metadata(&name, MetaOp::Merge, &hold, at(NOW)).await.unwrap();
    let far = u64::MAX - 1;
    let err = fx.store.append(&name, 1, &mut &b"x"[..], at(far)).await.unwrap_err();
    assert_eq!(err.status(), Status::EPERM);
    let err = fx.store.modify(&name, 0, 1, &mut &b"x"[..], at(far)).await.unwrap_err();
    assert_eq!(err.status(), Status::EPERM);
    assert_eq!(fx.store.truncate(&name, 0, at(far)).await.unwrap_err().status(), Status::EPERM);
    let err = fx.store.regenerate_appender(&name, at(far)).await.unwrap_err();
    assert_eq!(err.status(), Status::EPERM);
    let off = tags(&[(HOLD_TAG, "OFF".into())]);
    let err = fx.store.set_metadata(&name, MetaOp::Merge, &off, at(far)).await.unwrap_err();
    assert_eq!(err.status(), Status::EPERM);
    assert_eq!(fx.read(&name), b"0123456789");
    // The bypass (a lock admin, a peer's sync) may lift the hold and change.
    fx.store.set_metadata(&name, MetaOp::Merge, &off, Worm::Bypass).await.unwrap();
    fx.store.truncate(&name, 4, at(far)).await.unwrap();
    assert_eq!(fx.read(&name), b"0123");
    fx.store.delete(&name, at(far)).await.unwrap();
}

#[tokio::test]
async fn files_without_tags_are_unaffected() {
    let fx = Fixture::new().await;
    let plain = fx.upload(b"plain", "txt", false).await.name;
    assert_eq!(fx.store.delete(&plain, at(NOW)).await.unwrap(), Deleted { had_metadata: false });
    let tagged = fx.upload(b"tagged", "txt", false).await.name;
    let meta = tags(&[("s3-bucket", "b".into()), (HOLD_TAG, "OFF".into())]);
    fx.store.set_metadata(&tagged, MetaOp::Overwrite, &meta, at(NOW)).await.unwrap();
    fx.store.set_metadata(&tagged, MetaOp::Overwrite, &Metadata::new(), at(NOW)).await.unwrap();
    fx.store.delete(&tagged, at(NOW)).await.unwrap();
    let garbage = fx.upload(b"garbage", "txt", false).await.name;
    let meta = tags(&[(UNTIL_TAG, "tomorrow".into())]);
    fx.store.set_metadata(&garbage, MetaOp::Overwrite, &meta, at(NOW)).await.unwrap();
    let err = fx.store.delete(&garbage, at(u64::MAX - 1)).await.unwrap_err();
    assert_eq!(err.status(), Status::EPERM);
    fx.store.delete(&garbage, Worm::Bypass).await.unwrap();
}
