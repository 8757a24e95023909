//! Uploads, slave files and writes under a given name.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use fdfs_protocol::Status;
use fdfs_protocol::consts::FILENAME_BASE64_LENGTH;
use fdfs_protocol::filename::{FileKind, Source, pjw_hash_subdir};
use fdfs_protocol::storage::ANY_STORE_PATH;

use super::{FailingReader, Fixture, IP, logic};
use crate::store::{DistributeMode, ReservedSpace, StorePathMode, UploadSpec, WriteMode};

#[tokio::test]
async fn round_trip_and_name_decodes() {
    let fx = Fixture::new().await;
    let data = b"hello, fastdfs\n".repeat(1000);
    let stored = fx.upload(&data, "txt", false).await;
    assert_eq!(stored.size, data.len() as u64);
    assert_eq!(stored.crc32, crc32fast::hash(&data));
    assert_eq!(fx.read(&stored.name), data);
    assert_eq!(fx.download(&stored.name, 0, 0).await, data);

    let name = &stored.name;
    assert!(name.as_str().starts_with("M00/00/00/"), "{name}");
    assert_eq!(name.name().len(), 34);
    assert!(name.name().ends_with(".txt"));
    let info = name.info().unwrap();
    assert_eq!(info.kind, FileKind::Normal);
    assert_eq!(info.source(), Source::Ip(IP));
    assert_eq!(info.size(), Some(data.len() as u64));
    assert_eq!(info.crc32(), stored.crc32);
    assert_eq!(info.create_time(), stored.create_time);
    let mtime = std::fs::metadata(fx.path(name)).unwrap().modified().unwrap();
    let secs = mtime.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(u64::from(stored.create_time), secs);
    assert_eq!(fx.temp_files(0), 0);
}

#[tokio::test]
async fn appender_and_empty_uploads() {
    let fx = Fixture::new().await;
    let stored = fx.upload(b"APPENDER-INIT-0123456789\n", "log", true).await;
    let info = stored.name.info().unwrap();
    assert_eq!(info.kind, FileKind::Appender);
    assert_eq!(info.crc32(), 0xf6c1_3655, "CRC of the initial content, as in the fixture");
    let empty = fx.upload(b"", "", false).await;
    assert_eq!(empty.name.info().unwrap().size(), Some(0));
    assert_eq!(empty.name.name().len(), 34, "7 digits without an extension");
    assert!(fx.read(&empty.name).is_empty());
}

#[tokio::test]
async fn round_robin_subdirs_rotate() {
    let fx = Fixture::with(1, |c| {
        c.rotate_count = 3;
        c.subdir_count = 4;
    })
    .await;
    let mut dirs = Vec::new();
    for i in 0..7u8 {
        let stored = fx.upload(&[i], "bin", false).await;
        dirs.push((stored.name.dir_high(), stored.name.dir_low()));
    }
    assert_eq!(dirs, [(0, 0), (0, 0), (0, 0), (0, 1), (0, 1), (0, 1), (0, 2)]);
    assert_eq!(fx.store.rotation().count, 1);
}

#[tokio::test]
async fn hash_mode_uses_pjw() {
    let fx = Fixture::with(1, |c| {
        c.distribute_mode = DistributeMode::Hash;
        c.subdir_count = 16;
    })
    .await;
    for i in 0..5u8 {
        let stored = fx.upload(&[i; 3], "", false).await;
        let base64 = &stored.name.name()[..FILENAME_BASE64_LENGTH];
        let want = pjw_hash_subdir(base64, 16);
        assert_eq!((stored.name.dir_high(), stored.name.dir_low()), want);
    }
}

#[tokio::test]
async fn short_upload_leaves_nothing() {
    let fx = Fixture::new().await;
    let spec = UploadSpec { store_path: 0, size: 10, ext: "txt", appender: false };
    let err = fx.store.upload(spec, &mut &b"12345"[..]).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL);
    let mut failing = FailingReader { data: b"1234".to_vec() };
    let err = fx.store.upload(spec, &mut failing).await.unwrap_err();
    assert_eq!(err.status(), Status::EIO);
    assert_eq!(fx.temp_files(0), 0);
    // Nothing under data/ but the temp directory.
    let data = fx.store.paths().data_dir(0).unwrap();
    let entries: Vec<_> =
        std::fs::read_dir(data).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, [".tmp"]);
}

#[tokio::test]
async fn reads_no_byte_past_the_size() {
    let fx = Fixture::new().await;
    let mut body = &b"abcdNEXT"[..];
    let spec = UploadSpec { store_path: 0, size: 4, ext: "", appender: false };
    let stored = fx.store.upload(spec, &mut body).await.unwrap();
    assert_eq!(fx.read(&stored.name), b"abcd");
    assert_eq!(body, b"NEXT");
}

#[tokio::test]
async fn concurrent_uploads_get_unique_names() {
    let fx = Arc::new(Fixture::new().await);
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let fx = Arc::clone(&fx);
            tokio::spawn(async move { fx.upload(b"same bytes", "txt", false).await.name })
        })
        .collect();
    let mut names = HashSet::new();
    for task in tasks {
        let name = task.await.unwrap();
        assert_eq!(fx.read(&name), b"same bytes");
        names.insert(name);
    }
    assert_eq!(names.len(), 40);
    assert_eq!(fx.temp_files(0), 0);
}

#[tokio::test]
async fn store_path_choice() {
    let fx = Fixture::with(2, |_| {}).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        let spec = UploadSpec { store_path: ANY_STORE_PATH, size: 1, ext: "", appender: false };
        let stored = fx.store.upload(spec, &mut &b"x"[..]).await.unwrap();
        seen.push(stored.name.store_path_index());
    }
    assert_eq!(seen, [0, 1, 0, 1]);
    let spec = UploadSpec { store_path: 1, size: 1, ext: "", appender: false };
    assert_eq!(fx.store.upload(spec, &mut &b"x"[..]).await.unwrap().name.store_path_index(), 1);
    let spec = UploadSpec { store_path: 2, size: 1, ext: "", appender: false };
    assert_eq!(fx.store.upload(spec, &mut &b"x"[..]).await.unwrap_err().status(), Status::EINVAL);

    let fx = Fixture::with(2, |c| c.store_path_mode = StorePathMode::MostFree).await;
    let spec = UploadSpec { store_path: ANY_STORE_PATH, size: 1, ext: "", appender: false };
    assert!(fx.store.upload(spec, &mut &b"x"[..]).await.unwrap().name.store_path_index() < 2);
    assert_eq!(fx.store.disk_spaces().await.unwrap().len(), 2);
}

#[tokio::test]
async fn bad_ext_and_reserve_are_refused_before_reading() {
    let fx = Fixture::new().await;
    let mut body = &b"abc"[..];
    let spec = UploadSpec { store_path: 0, size: 3, ext: "a/b", appender: false };
    assert_eq!(fx.store.upload(spec, &mut body).await.unwrap_err().status(), Status::EINVAL);
    let huge = UploadSpec { store_path: 0, size: u64::MAX / 2, ext: "", appender: true };
    assert_eq!(fx.store.upload(huge, &mut body).await.unwrap_err().status(), Status::ENOSPC);
    let any = UploadSpec { store_path: ANY_STORE_PATH, ..huge };
    assert_eq!(fx.store.upload(any, &mut body).await.unwrap_err().status(), Status::ENOSPC);
    assert_eq!(body, b"abc", "nothing read");

    let tiny = Fixture::with(1, |c| c.reserved = ReservedSpace::Mb(u64::MAX / 4)).await;
    let spec = UploadSpec { store_path: 0, size: 3, ext: "", appender: false };
    let err = tiny.store.upload(spec, &mut body).await.unwrap_err();
    assert_eq!(err.status(), Status::ENOSPC);
    assert_eq!(body, b"abc");
    assert_eq!(tiny.store.check_space(0, 0).await.unwrap_err().status(), Status::ENOSPC);
    assert_eq!(tiny.temp_files(0), 0);
}

#[tokio::test]
async fn slave_files() {
    let fx = Fixture::new().await;
    let master = fx.upload(b"master", "txt", false).await.name;
    let slave = fx.store.upload_slave(&master, "_small", "jpg", 5, &mut &b"slave"[..]).await;
    let slave = slave.unwrap();
    let stem = master.as_str().strip_suffix(".txt").unwrap();
    assert_eq!(slave.name.as_str(), format!("{stem}_small.jpg"));
    assert_eq!(slave.name.info().unwrap().kind, FileKind::Slave);
    assert_eq!((slave.size, slave.crc32), (5, crc32fast::hash(b"slave")));
    assert_eq!(fx.read(&slave.name), b"slave");

    let mut body = &b"again"[..];
    let err = fx.store.upload_slave(&master, "_small", "jpg", 5, &mut body).await.unwrap_err();
    assert_eq!(err.status(), Status::EEXIST);
    assert_eq!(body, b"again", "refused before reading");
    let same_ext = fx.store.upload_slave(&master, "_big", "", 1, &mut &b"b"[..]).await.unwrap();
    assert!(same_ext.name.as_str().ends_with("_big.txt"));

    let missing = logic("M00/00/00/fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt");
    let err = fx.store.upload_slave(&missing, "_s", "", 1, &mut &b"x"[..]).await.unwrap_err();
    assert_eq!(err.status(), Status::ENOENT);
    let err = fx.store.upload_slave(&master, "a/b", "", 1, &mut &b"x"[..]).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL);
}

#[tokio::test]
async fn writes_under_a_given_name() {
    let fx = Fixture::new().await;
    let name = logic("M00/3A/07/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt");
    let mut body = &b"hello"[..];
    let written = fx.store.write_named(&name, 5, 1_795_682_911, WriteMode::Create, &mut body).await;
    assert_eq!(written.unwrap().crc32, crc32fast::hash(b"hello"));
    let meta = std::fs::metadata(fx.path(&name)).unwrap();
    let mtime = meta.modified().unwrap().duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(mtime, 1_795_682_911, "source timestamp kept");

    body = &b"HELLO"[..];
    let err = fx.store.write_named(&name, 5, 1, WriteMode::Create, &mut body).await.unwrap_err();
    assert_eq!(err.status(), Status::EEXIST);
    assert_eq!(body, b"HELLO", "refused before reading");
    fx.store.write_named(&name, 3, 2, WriteMode::Create, &mut &b"new"[..]).await.unwrap();
    assert_eq!(fx.read(&name), b"new", "a different size is replaced");
    fx.store.write_named(&name, 3, 3, WriteMode::Replace, &mut &b"NEW"[..]).await.unwrap();
    assert_eq!(fx.read(&name), b"NEW");
    let err = fx.store.write_named(&name, 9, 3, WriteMode::Replace, &mut &b"short"[..]).await;
    assert_eq!(err.unwrap_err().status(), Status::EINVAL);
    assert_eq!(fx.read(&name), b"NEW", "a failed write leaves the old file");
    assert_eq!(fx.temp_files(0), 0);
}

#[tokio::test]
async fn init_removes_stale_temp_files() {
    let fx = Fixture::new().await;
    let stale = fx.store.paths().tmp_dir(0).unwrap().join("0123.tmp");
    std::fs::write(&stale, b"half").unwrap();
    fx.store.init().await.unwrap();
    assert!(!stale.exists());
}

#[tokio::test]
async fn upload_with_meta_writes_both_or_nothing() {
    let fx = Fixture::new().await;
    let spec = UploadSpec { store_path: 0, size: 5, ext: "txt", appender: false };
    let blob = b"s3-bucket\x02b\x01s3-key\x02k";
    let done = fx.store.upload_with_meta(spec, blob, &mut &b"hello"[..]).await.unwrap();
    assert_eq!(fx.read(&done.stored.name), b"hello");
    let meta_name = done.meta_name.unwrap();
    assert_eq!(meta_name.as_str(), format!("{}-m", done.stored.name));
    assert_eq!(fx.store.get_metadata(&done.stored.name).await.unwrap(), blob);
    // Without metadata: no `-m` file.
    let bare = fx.store.upload_with_meta(spec, b"", &mut &b"world"[..]).await.unwrap();
    assert!(bare.meta_name.is_none());
    assert!(fx.store.get_metadata(&bare.stored.name).await.is_err());
    // A short body leaves neither file nor temp files.
    let before = fx.temp_files(0);
    let err = fx.store.upload_with_meta(spec, blob, &mut &b"abc"[..]).await.unwrap_err();
    assert_eq!(err.status(), Status::EINVAL);
    assert_eq!((before, fx.temp_files(0)), (0, 0));
    // Appenders cannot carry metadata this way.
    let appender = UploadSpec { appender: true, ..spec };
    assert!(fx.store.upload_with_meta(appender, blob, &mut &b"hello"[..]).await.is_err());
}
