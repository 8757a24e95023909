//! Sync marks: FastDFS's file, round trip, defaults, corruption, names.

use crate::binlog::files::read_ini;
use crate::binlog::{BinlogError, Position, SyncMark};

use super::TempDir;

#[tokio::test]
async fn round_trip_and_missing_file_defaults() {
    let tmp = TempDir::new();
    let path = SyncMark::path_for_peer(tmp.path(), "127.0.0.3", 23000).unwrap();
    assert_eq!(path, tmp.path().join("127.0.0.3_23000.mark"));
    assert_eq!(SyncMark::load(path.clone()).await.unwrap(), SyncMark::default());
    assert_eq!(SyncMark::default().position(), Position::START);

    let mut mark = SyncMark {
        need_sync_old: true,
        until_timestamp: 1_795_682_935,
        scan_row_count: 12,
        sync_row_count: 9,
        ..SyncMark::default()
    };
    mark.set_position(Position::new(3, 4096));
    assert!(mark.catching_up());
    mark.save(path.clone()).await.unwrap();
    assert_eq!(SyncMark::load(path.clone()).await.unwrap(), mark);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "binlog_index=3\nbinlog_offset=4096\nneed_sync_old=1\nsync_old_done=0\n\
         until_timestamp=1795682935\nscan_row_count=12\nsync_row_count=9\n"
    );

    mark.sync_old_done = true;
    assert!(!mark.catching_up());
    mark.save_blocking(&path).unwrap();
    assert_eq!(SyncMark::load_blocking(&path).unwrap(), mark);
    // Only the mark is left in the directory: no temp file.
    let names: Vec<_> =
        std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("127.0.0.3_23000.mark")]);
}

#[test]
fn reads_a_fastdfs_mark_with_spaces_comments_and_unknown_keys() {
    let tmp = TempDir::new();
    let path = SyncMark::path_for_id(tmp.path(), "100001").unwrap();
    std::fs::write(
        &path,
        "# written by fdfs_storaged\nbinlog_index = 1\nbinlog_offset=77\n\nneed_sync_old=0\n\
         sync_old_done=1\nuntil_timestamp=0\nscan_row_count=5\nsync_row_count=4\nfuture_key=x\n",
    )
    .unwrap();
    let mark = SyncMark::load_blocking(&path).unwrap();
    assert_eq!(mark.position(), Position::new(1, 77));
    assert!(mark.sync_old_done && !mark.need_sync_old);
    assert_eq!((mark.scan_row_count, mark.sync_row_count), (5, 4));
    assert_eq!(read_ini(&path).unwrap().unwrap().len(), 8);
}

#[test]
fn corrupt_marks_are_errors() {
    let tmp = TempDir::new();
    let path = tmp.path().join("p.mark");
    for text in
        ["binlog_offset=-1\n", "binlog_index=x\n", "need_sync_old=yes\n", "no equals sign\n"]
    {
        std::fs::write(&path, text).unwrap();
        let err = SyncMark::load_blocking(&path).unwrap_err();
        assert!(matches!(err, BinlogError::Corrupt { .. }), "{text}: {err}");
    }
    std::fs::write(&path, [0xffu8, 0xfe]).unwrap();
    assert!(SyncMark::load_blocking(&path).is_err());
    std::fs::write(&path, vec![b'#'; 100_000]).unwrap();
    assert!(SyncMark::load_blocking(&path).is_err());
}

#[test]
fn peer_names_cannot_leave_the_directory() {
    let dir = std::path::Path::new("/data/sync");
    for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\0b"] {
        assert!(matches!(SyncMark::path_for_peer(dir, bad, 1), Err(BinlogError::BadPeerName(_))));
        assert!(SyncMark::path_for_id(dir, bad).is_err());
    }
    assert_eq!(SyncMark::path_for_peer(dir, "::1", 23000).unwrap(), dir.join("::1_23000.mark"));
}
