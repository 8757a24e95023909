//! Metadata files, file info, downloads, deletes, path checks.

use std::time::UNIX_EPOCH;

use fdfs_protocol::Status;
use fdfs_protocol::filename::{FileKind, Source};
use fdfs_protocol::metadata::{MetaOp, Metadata};

use super::{Fixture, IP, logic};
use crate::store::{Deleted, MetaChange, Worm};

fn meta(pairs: &[(&str, &str)]) -> Metadata {
    pairs.iter().copied().collect()
}

#[tokio::test]
async fn metadata_overwrite_merge_get_delete() {
    let fx = Fixture::new().await;
    let name = fx.upload(b"content", "txt", false).await.name;
    assert_eq!(fx.store.get_metadata(&name).await.unwrap_err().status(), Status::ENOENT);

    let first = meta(&[("width", "100"), ("author", "probe")]);
    let w = fx.store.set_metadata(&name, MetaOp::Overwrite, &first, Worm::Bypass).await.unwrap();
    assert_eq!(w.change, MetaChange::Created);
    assert_eq!(w.meta_name.as_str(), format!("{name}-m"));
    assert_eq!(fx.store.get_metadata(&name).await.unwrap(), b"author\x02probe\x01width\x02100");

    let merged = meta(&[("width", "200"), ("color", "red")]);
    let w = fx.store.set_metadata(&name, MetaOp::Merge, &merged, Worm::Bypass).await.unwrap();
    assert_eq!(w.change, MetaChange::Updated);
    assert_eq!(
        fx.store.get_metadata(&name).await.unwrap(),
        b"author\x02probe\x01color\x02red\x01width\x02200"
    );
    let w = fx.store.set_metadata(&name, MetaOp::Merge, &merged, Worm::Bypass).await.unwrap();
    assert_eq!(w.change, MetaChange::Unchanged);

    let w = fx
        .store
        .set_metadata(&name, MetaOp::Overwrite, &meta(&[("only", "one")]), Worm::Bypass)
        .await;
    assert_eq!(w.unwrap().change, MetaChange::Updated);
    assert_eq!(fx.store.metadata(&name).await.unwrap(), meta(&[("only", "one")]));

    let w = fx
        .store
        .set_metadata(&name, MetaOp::Overwrite, &Metadata::new(), Worm::Bypass)
        .await
        .unwrap();
    assert_eq!(w.change, MetaChange::Deleted);
    assert_eq!(fx.store.get_metadata(&name).await.unwrap_err().status(), Status::ENOENT);
    let w = fx
        .store
        .set_metadata(&name, MetaOp::Overwrite, &Metadata::new(), Worm::Bypass)
        .await
        .unwrap();
    assert_eq!(w.change, MetaChange::Unchanged);
    assert_eq!(fx.temp_files(0), 0);

    let missing = logic("M00/00/00/fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt");
    let err =
        fx.store.set_metadata(&missing, MetaOp::Merge, &meta(&[("a", "b")]), Worm::Bypass).await;
    assert_eq!(err.unwrap_err().status(), Status::ENOENT);
    assert_eq!(fx.store.get_metadata(&missing).await.unwrap_err().status(), Status::ENOENT);
}

#[tokio::test]
async fn delete_removes_file_and_metadata() {
    let fx = Fixture::new().await;
    let name = fx.upload(b"content", "txt", false).await.name;
    fx.store
        .set_metadata(&name, MetaOp::Overwrite, &meta(&[("a", "b")]), Worm::Bypass)
        .await
        .unwrap();
    let meta_path = fx.store.paths().meta_path(&name).unwrap();
    assert!(meta_path.exists());
    assert_eq!(fx.store.delete(&name, Worm::Bypass).await.unwrap(), Deleted { had_metadata: true });
    assert!(!fx.path(&name).exists() && !meta_path.exists());
    assert_eq!(fx.store.delete(&name, Worm::Bypass).await.unwrap_err().status(), Status::ENOENT);
    let plain = fx.upload(b"x", "", false).await.name;
    assert_eq!(
        fx.store.delete(&plain, Worm::Bypass).await.unwrap(),
        Deleted { had_metadata: false }
    );
    // A directory is never deleted as a file.
    let dir = logic("M00/00/00/00");
    std::fs::create_dir_all(fx.path(&dir)).unwrap();
    assert_eq!(fx.store.delete(&dir, Worm::Bypass).await.unwrap_err().status(), Status::ENOENT);
}

#[tokio::test]
async fn file_info_by_kind() {
    let fx = Fixture::new().await;
    let normal = fx.upload(b"normal content", "txt", false).await;
    let info = fx.store.file_info(&normal.name, true).await.unwrap();
    assert_eq!(info.size, 14);
    assert_eq!(info.crc32, normal.crc32);
    assert_eq!(info.source, Source::Ip(IP));
    assert_eq!(info.kind, FileKind::Normal);
    let mtime = std::fs::metadata(fx.path(&normal.name)).unwrap().modified().unwrap();
    assert_eq!(u64::from(info.create_time), mtime.duration_since(UNIX_EPOCH).unwrap().as_secs());

    let appender = fx.upload(b"init", "", true).await.name;
    fx.store.append(&appender, 4, &mut &b"more"[..], Worm::Bypass).await.unwrap();
    let info = fx.store.file_info(&appender, true).await.unwrap();
    assert_eq!((info.size, info.crc32), (8, crc32fast::hash(b"initmore")));
    assert_eq!(fx.store.file_info(&appender, false).await.unwrap().crc32, 0);

    let slave = fx.store.upload_slave(&normal.name, "_s", "", 2, &mut &b"sl"[..]).await.unwrap();
    let info = fx.store.file_info(&slave.name, true).await.unwrap();
    assert_eq!((info.kind, info.size, info.crc32), (FileKind::Slave, 2, crc32fast::hash(b"sl")));

    let missing = logic("M00/00/00/fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt");
    assert_eq!(fx.store.file_info(&missing, true).await.unwrap_err().status(), Status::ENOENT);
    let junk = logic("M00/00/00/junk");
    assert_eq!(fx.store.file_info(&junk, true).await.unwrap_err().status(), Status::EINVAL);
}

#[tokio::test]
async fn download_ranges() {
    let fx = Fixture::new().await;
    let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let name = fx.upload(&data, "bin", false).await.name;
    assert_eq!(fx.download(&name, 0, 0).await, data);
    assert_eq!(fx.download(&name, 10, 20).await, &data[10..30]);
    assert_eq!(fx.download(&name, 990, 0).await, &data[990..]);
    assert_eq!(fx.download(&name, 990, 100).await, &data[990..], "clipped to the end");
    let dl = fx.store.open_download(&name, 999, 0).await.unwrap();
    assert_eq!((dl.offset, dl.len, dl.size), (999, 1, 1000));
    for offset in [1000, 5000, u64::MAX] {
        let err = fx.store.open_download(&name, offset, 0).await.unwrap_err();
        assert_eq!(err.status(), Status::EINVAL, "offset {offset}");
    }
    let empty = fx.upload(b"", "", false).await.name;
    let err = fx.store.open_download(&empty, 0, 0).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL, "a 0-byte file cannot be downloaded");
    let missing = logic("M00/00/00/fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt");
    assert_eq!(fx.store.open_download(&missing, 0, 0).await.unwrap_err().status(), Status::ENOENT);
}

#[tokio::test]
async fn names_cannot_escape_the_store_path() {
    let fx = Fixture::new().await;
    for bad in ["M01/00/00/fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt", "M00/00/00/.tmp", "M00/00/00/."] {
        let name = logic(bad);
        assert_eq!(fx.store.open_download(&name, 0, 0).await.unwrap_err().status(), Status::EINVAL);
        assert_eq!(
            fx.store.delete(&name, Worm::Bypass).await.unwrap_err().status(),
            Status::EINVAL
        );
        let err = fx.store.set_metadata(&name, MetaOp::Merge, &Metadata::new(), Worm::Bypass).await;
        assert_eq!(err.unwrap_err().status(), Status::EINVAL, "{bad}");
    }
}
