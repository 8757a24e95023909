//! Appender files: append, modify, truncate, regenerate.

use fdfs_protocol::Status;
use fdfs_protocol::filename::{FileKind, Source};
use fdfs_protocol::metadata::MetaOp;

use super::{FailingReader, Fixture, IP, logic};
use crate::store::{Changed, Truncated, Worm};

const INIT: &[u8] = b"APPENDER-INIT-0123456789\n";

#[tokio::test]
async fn the_captured_sequence() {
    // Same operations as fdfs_appender_test in fixtures/storage-appender.txt.
    let fx = Fixture::new().await;
    let name = fx.upload(INIT, "log", true).await.name;
    let t = fx.store.truncate(&name, 12, Worm::Bypass).await.unwrap();
    assert_eq!(t, Truncated { old_size: 25, new_size: 12 });
    let a = fx.store.append(&name, 25, &mut &INIT[..], Worm::Bypass).await.unwrap();
    assert_eq!(a, Changed { offset: 12, len: 25, size: 37 });
    let m = fx.store.modify(&name, 37, 25, &mut &INIT[..], Worm::Bypass).await.unwrap();
    assert_eq!(m, Changed { offset: 37, len: 25, size: 62 });
    let m = fx.store.modify(&name, 1, 2, &mut &b"xy"[..], Worm::Bypass).await.unwrap();
    assert_eq!(m, Changed { offset: 1, len: 2, size: 62 });
    let mut want = [&INIT[..12], INIT, INIT].concat();
    want[1..3].copy_from_slice(b"xy");
    assert_eq!(fx.read(&name), want);
    let info = fx.store.file_info(&name, true).await.unwrap();
    assert_eq!(
        (info.size, info.crc32, info.kind),
        (62, crc32fast::hash(&want), FileKind::Appender)
    );
}

#[tokio::test]
async fn regenerate_matches_the_fixture_crc() {
    let fx = Fixture::new().await;
    let old = fx.upload(INIT, "log", true).await.name;
    fx.store.append(&old, 12, &mut &b"append-part\n"[..], Worm::Bypass).await.unwrap();
    fx.store
        .set_metadata(&old, MetaOp::Overwrite, &[("k", "v")].into_iter().collect(), Worm::Bypass)
        .await
        .unwrap();
    let rotation = fx.store.rotation();
    let new = fx.store.regenerate_appender(&old, Worm::Bypass).await.unwrap();
    assert_eq!(fx.store.rotation(), rotation, "no round-robin slot used");
    assert_eq!((new.size, new.crc32), (37, 0x473a_d3a8));
    let info = new.name.info().unwrap();
    assert_eq!(info.kind, FileKind::Normal);
    assert_eq!(info.size(), Some(37));
    assert_eq!(info.crc32(), 0x473a_d3a8);
    assert_eq!(info.source(), Source::Ip(IP));
    assert_eq!(info.create_time(), new.create_time);
    let same_place = |n: &fdfs_protocol::file_id::LogicName| {
        (n.store_path_index(), n.dir_high(), n.dir_low(), n.name()[27..].to_owned())
    };
    assert_eq!(same_place(&new.name), same_place(&old), "same subdir and extension part");
    assert!(!fx.path(&old).exists());
    assert_eq!(fx.read(&new.name), [INIT, b"append-part\n"].concat());
    let meta = fx.store.metadata(&new.name).await.unwrap();
    assert_eq!(meta.get_str("k"), Some("v"), "metadata moved along");

    // Now a normal file: no more appender operations.
    let err = fx.store.append(&new.name, 1, &mut &b"x"[..], Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL);
    let err = fx.store.regenerate_appender(&new.name, Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL);
    let err = fx.store.regenerate_appender(&old, Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::ENOENT);
}

#[tokio::test]
async fn appender_operations_check_their_input() {
    let fx = Fixture::new().await;
    let normal = fx.upload(b"normal", "txt", false).await.name;
    let name = fx.upload(b"0123456789", "", true).await.name;

    assert_eq!(
        fx.store.truncate(&normal, 1, Worm::Bypass).await.unwrap_err().status(),
        Status::EINVAL
    );
    let err = fx.store.modify(&normal, 0, 1, &mut &b"x"[..], Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL);

    assert_eq!(
        fx.store.truncate(&name, 11, Worm::Bypass).await.unwrap_err().status(),
        Status::EINVAL
    );
    assert_eq!(
        fx.store.truncate(&name, 10, Worm::Bypass).await.unwrap(),
        Truncated { old_size: 10, new_size: 10 }
    );
    let mut body = &b"x"[..];
    let err = fx.store.modify(&name, 11, 1, &mut body, Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL);
    assert_eq!(body, b"x", "refused before reading");
    let err = fx.store.modify(&name, u64::MAX, 2, &mut body, Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL);

    // Appender names that do not exist.
    fx.store.delete(&name, Worm::Bypass).await.unwrap();
    let err = fx.store.append(&name, 1, &mut &b"x"[..], Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::ENOENT);
    assert_eq!(
        fx.store.truncate(&name, 0, Worm::Bypass).await.unwrap_err().status(),
        Status::ENOENT
    );
    // Names that do not decode.
    let junk = logic("M00/00/00/not-a-fastdfs-name");
    assert_eq!(
        fx.store.truncate(&junk, 0, Worm::Bypass).await.unwrap_err().status(),
        Status::EINVAL
    );
}

#[tokio::test]
async fn failed_writes_restore_the_size() {
    let fx = Fixture::new().await;
    let name = fx.upload(b"0123456789", "", true).await.name;
    let err = fx.store.append(&name, 8, &mut &b"abc"[..], Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL);
    assert_eq!(fx.read(&name), b"0123456789");
    let mut failing = FailingReader { data: b"abcd".to_vec() };
    let err = fx.store.modify(&name, 8, 6, &mut failing, Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::EIO);
    assert_eq!(fx.read(&name).len(), 10, "growth undone");
    let err = fx.store.append(&name, u64::MAX / 2, &mut &b""[..], Worm::Bypass).await.unwrap_err();
    assert_eq!(err.status(), Status::ENOSPC);
    // The lock map is empty again after every path.
    assert_eq!(fx.store.locks.len(), 0);
}

#[tokio::test]
async fn concurrent_appends_do_not_interleave() {
    let fx = std::sync::Arc::new(Fixture::new().await);
    let name = fx.upload(b"", "", true).await.name;
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let (fx, name) = (std::sync::Arc::clone(&fx), name.clone());
            tokio::spawn(async move {
                let chunk = [b'a' + i; 1000];
                fx.store.append(&name, 1000, &mut &chunk[..], Worm::Bypass).await.unwrap()
            })
        })
        .collect();
    let mut offsets = Vec::new();
    for task in tasks {
        offsets.push(task.await.unwrap().offset);
    }
    offsets.sort_unstable();
    assert_eq!(offsets, (0..8).map(|i| i * 1000).collect::<Vec<u64>>());
    let content = fx.read(&name);
    for chunk in content.chunks(1000) {
        assert!(chunk.iter().all(|&b| b == chunk[0]));
    }
}
