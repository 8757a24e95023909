//! The writer on real files: layout, rotation, group commit under
//! concurrency, recovery of a torn last line.

use std::collections::HashMap;

use crate::binlog::files::{BinlogIndex, INDEX_FILE, binlog_path};
use crate::binlog::record::{Op, Record};
use crate::binlog::{Binlog, BinlogConfig, BinlogError, Position, Reader};

use super::{TempDir, create};

fn config(dir: &TempDir, max_file_size: u64) -> BinlogConfig {
    BinlogConfig { max_file_size, ..BinlogConfig::new(dir.path().join("sync")) }
}

/// Every record of the binlog in `dir`, read by a standalone reader.
async fn read_all(dir: &std::path::Path) -> Vec<(Record, Position)> {
    let mut reader = Reader::open(dir.to_owned(), Position::START);
    let mut out = Vec::new();
    while let Some(item) = reader.next().await.unwrap() {
        out.push(item);
    }
    assert_eq!(reader.skipped(), 0);
    out
}

#[tokio::test]
async fn appends_fastdfs_lines_and_index() {
    let tmp = TempDir::new();
    let log = Binlog::open(config(&tmp, 1 << 30)).await.unwrap();
    let sync = log.dir().to_owned();
    assert_eq!(log.durable_end(), Position::START);
    let f = "M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin";
    let end1 = log.append_one(&Record::source(1795681925, f, Op::Create)).await.unwrap();
    let end2 = log
        .append(&[
            Record::source(1795681926, f, Op::Append { offset: 5, length: 3 }),
            Record::replica(1795681927, format!("{f}-m"), Op::Create),
        ])
        .await
        .unwrap();
    let text = std::fs::read_to_string(binlog_path(&sync, 0)).unwrap();
    assert_eq!(text, format!("1795681925 C {f}\n1795681926 A {f} 5 3\n1795681927 c {f}-m\n"));
    assert_eq!(end1, Position::new(0, 58));
    assert_eq!(end2, Position::new(0, text.len() as u64));
    assert_eq!(log.durable_end(), end2);
    assert_eq!(log.append(&[]).await.unwrap(), end2);
    let index = std::fs::read_to_string(sync.join(INDEX_FILE)).unwrap();
    assert_eq!(index, "current_write=0\ncurrent_compress=0\n");
}

#[tokio::test]
async fn invalid_records_and_second_writers_are_refused() {
    let tmp = TempDir::new();
    let log = Binlog::open(config(&tmp, 1 << 30)).await.unwrap();
    // One writer per directory.
    let second = Binlog::open(config(&tmp, 1 << 30)).await.unwrap_err();
    assert!(matches!(second, BinlogError::Io { .. }), "{second}");
    let err = log.append(&[create(1), Record::source(1, "a b", Op::Create)]).await.unwrap_err();
    assert!(matches!(err, BinlogError::Record(_)), "{err}");
    assert_eq!(log.durable_end(), Position::START);
}

#[tokio::test]
async fn rotates_at_the_size_limit_and_reads_across_files() {
    let tmp = TempDir::new();
    let line = create(0).to_line().unwrap().len() as u64;
    let limit = line * 3 + 1; // three lines per file
    let log = Binlog::open(config(&tmp, limit)).await.unwrap();
    let sync = log.dir().to_owned();
    let mut ends = Vec::new();
    for n in 0..10 {
        ends.push(log.append_one(&create(n)).await.unwrap());
    }
    // Nine lines fill binlog.000-002; the tenth starts binlog.003.
    assert_eq!(ends[2], Position::new(0, line * 3));
    assert_eq!(ends[3], Position::new(1, line));
    assert_eq!(ends[9], Position::new(3, line));
    for index in 0..3 {
        assert_eq!(std::fs::metadata(binlog_path(&sync, index)).unwrap().len(), line * 3);
    }
    assert_eq!(BinlogIndex::load(&sync).unwrap().unwrap().current_write, 3);

    let all = read_all(&sync).await;
    let records: Vec<Record> = all.iter().map(|(r, _)| r.clone()).collect();
    assert_eq!(records, (0..10).map(create).collect::<Vec<_>>());
    // The position after each record is what its append returned.
    let positions: Vec<Position> = all.iter().map(|(_, p)| *p).collect();
    assert_eq!(positions, ends);

    // A restart continues in the last file.
    log.close().await;
    let log = Binlog::open(config(&tmp, limit)).await.unwrap();
    assert_eq!(log.durable_end(), Position::new(3, line));
    assert_eq!(log.append_one(&create(10)).await.unwrap(), Position::new(3, line * 2));
    log.close().await;
}

#[tokio::test]
async fn concurrent_appends_are_all_durable_and_in_completion_order() {
    let tmp = TempDir::new();
    let line = create(0).to_line().unwrap().len() as u64;
    let log = Binlog::open(config(&tmp, line * 50)).await.unwrap();
    let sync = log.dir().to_owned();
    const TASKS: u32 = 32;
    const EACH: u32 = 25;
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let log = log.clone();
        handles.push(tokio::spawn(async move {
            let mut ends = Vec::new();
            for i in 0..EACH {
                let record = create(task * 1000 + i);
                let end = log.append_one(&record).await.unwrap();
                // Resolved only once durable: the writer published it.
                assert!(log.durable_end() >= end);
                ends.push((end, record));
            }
            ends
        }));
    }
    let mut by_end = HashMap::new();
    for handle in handles {
        let ends = handle.await.unwrap();
        for pair in ends.windows(2) {
            assert!(pair[0].0 < pair[1].0, "a task's appends complete in order");
        }
        by_end.extend(ends);
    }
    let all = read_all(&sync).await;
    assert_eq!(all.len(), (TASKS * EACH) as usize);
    // Each record sits exactly where its append said it ends.
    for (record, pos) in &all {
        assert_eq!(by_end.get(pos), Some(record), "{pos}");
    }
    assert_eq!(by_end.len(), all.len());
    assert!(all.last().unwrap().1.index > 0, "the test crossed a rotation");
    let stats = log.stats();
    let records = stats.records.load(std::sync::atomic::Ordering::Relaxed);
    let batches = stats.batches.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(records, u64::from(TASKS * EACH));
    assert!(batches >= 1 && batches <= records, "{batches} batches");
    log.close().await;
}

#[tokio::test]
async fn recovery_truncates_a_torn_last_line() {
    let tmp = TempDir::new();
    let cfg = config(&tmp, 1 << 30);
    let log = Binlog::open(cfg.clone()).await.unwrap();
    let sync = log.dir().to_owned();
    let end = log.append(&[create(1), create(2)]).await.unwrap();
    log.close().await;
    assert!(matches!(log.append_one(&create(9)).await, Err(BinlogError::Closed)));

    // A crash in the middle of the next append.
    let path = binlog_path(&sync, 0);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"1795681930 C M00/00/00/fwAAAm");
    std::fs::write(&path, &bytes).unwrap();

    let log = Binlog::open(cfg.clone()).await.unwrap();
    assert_eq!(log.durable_end(), end);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), end.offset);
    log.append_one(&create(3)).await.unwrap();
    let records: Vec<Record> = read_all(&sync).await.into_iter().map(|(r, _)| r).collect();
    assert_eq!(records, vec![create(1), create(2), create(3)]);
    log.close().await;

    // A file holding nothing but a torn line is emptied.
    std::fs::write(&path, b"17956819").unwrap();
    let log = Binlog::open(cfg).await.unwrap();
    assert_eq!(log.durable_end(), Position::START);
    log.close().await;
}

#[tokio::test]
async fn recovery_trusts_the_highest_file_over_a_stale_index() {
    let tmp = TempDir::new();
    let sync = tmp.path().join("sync");
    std::fs::create_dir_all(&sync).unwrap();
    // Crash after creating binlog.002 but before the index pointed at it.
    std::fs::write(binlog_path(&sync, 1), create(1).to_line().unwrap()).unwrap();
    std::fs::write(binlog_path(&sync, 2), "").unwrap();
    BinlogIndex { current_write: 1, current_compress: 0 }.save(&sync).unwrap();
    let log = Binlog::open(config(&tmp, 1 << 30)).await.unwrap();
    assert_eq!(log.durable_end(), Position::new(2, 0));
    assert_eq!(BinlogIndex::load(&sync).unwrap().unwrap().current_write, 2);
    log.close().await;

    // No index at all: the highest file is current too.
    std::fs::remove_file(sync.join(INDEX_FILE)).unwrap();
    let log = Binlog::open(config(&tmp, 1 << 30)).await.unwrap();
    assert_eq!(log.durable_end(), Position::new(2, 0));
    log.close().await;
}
