//! Readers: waiting and waking, partial and bad lines, the durable limit,
//! resuming from a position, the full replay.

use std::time::Duration;

use crate::binlog::files::binlog_path;
use crate::binlog::record::{MAX_LINE, Op, Record};
use crate::binlog::{Binlog, BinlogConfig, BinlogError, Position, Reader};

use super::{TempDir, create};

async fn open(tmp: &TempDir) -> Binlog {
    Binlog::open(BinlogConfig::new(tmp.path().join("sync"))).await.unwrap()
}

#[tokio::test]
async fn tailing_reader_waits_and_wakes_on_append() {
    let tmp = TempDir::new();
    let log = open(&tmp).await;
    let mut reader = log.reader(Position::START).unwrap();
    assert!(reader.next().await.unwrap().is_none());
    assert!(reader.next_wait(Some(Duration::from_millis(30))).await.unwrap().is_none());

    let waiter = tokio::spawn(async move {
        let first = reader.next_wait(Some(Duration::from_secs(10))).await.unwrap();
        let second = reader.next_wait(None).await.unwrap();
        (first, second, reader)
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let end1 = log.append_one(&create(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let end2 = log.append_one(&create(2)).await.unwrap();
    let (first, second, mut reader) =
        tokio::time::timeout(Duration::from_secs(10), waiter).await.unwrap().unwrap();
    assert_eq!(first, Some((create(1), end1)));
    assert_eq!(second, Some((create(2), end2)));
    assert_eq!(reader.position(), end2);

    // Once the writer is gone a waiting reader ends instead of hanging.
    log.close().await;
    assert!(matches!(reader.next_wait(None).await, Err(BinlogError::Closed)));
}

#[tokio::test]
async fn readers_resume_from_a_saved_position() {
    let tmp = TempDir::new();
    let log = open(&tmp).await;
    let mut ends = Vec::new();
    for n in 0..5 {
        ends.push(log.append_one(&create(n)).await.unwrap());
    }
    let mut reader = log.reader(ends[1]).unwrap();
    let (record, pos) = reader.next().await.unwrap().unwrap();
    assert_eq!((record, pos), (create(2), ends[2]));
    let mut standalone = Reader::open(log.dir().to_owned(), ends[3]);
    assert_eq!(standalone.next().await.unwrap(), Some((create(4), ends[4])));
    assert_eq!(standalone.next().await.unwrap(), None);

    let beyond = Position::new(ends[4].index, ends[4].offset + 1);
    assert!(matches!(log.reader(beyond), Err(BinlogError::BeyondEnd { .. })));
    log.close().await;
}

#[tokio::test]
async fn a_line_is_returned_only_once_complete() {
    let tmp = TempDir::new();
    let dir = tmp.path().to_owned();
    let path = binlog_path(&dir, 0);
    std::fs::write(&path, "1 C M00/00/00/a\n2 C M00/00/0").unwrap();
    let mut reader = Reader::open(dir.clone(), Position::START);
    let a = Record::source(1, "M00/00/00/a", Op::Create);
    assert_eq!(reader.next().await.unwrap(), Some((a, Position::new(0, 16))));
    assert_eq!(reader.next().await.unwrap(), None);
    assert_eq!(reader.position(), Position::new(0, 16));

    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"0/b\n");
    std::fs::write(&path, &bytes).unwrap();
    let b = Record::source(2, "M00/00/00/b", Op::Create);
    assert_eq!(reader.next().await.unwrap(), Some((b, Position::new(0, 32))));
    assert_eq!(reader.skipped(), 0);
}

#[tokio::test]
async fn bad_and_overlong_lines_are_skipped() {
    let tmp = TempDir::new();
    let dir = tmp.path().to_owned();
    let long = "9".repeat(MAX_LINE * 20); // longer than a read chunk
    let text = format!("garbage\n1 C M00/00/00/a\n{long}\n1 Q M00/00/00/x\n2 D M00/00/00/a\n");
    std::fs::write(binlog_path(&dir, 0), &text).unwrap();
    // A finished file with a torn tail, then the next file.
    std::fs::write(binlog_path(&dir, 1), "3 C M00/00/00/c\n4 C M0").unwrap();
    std::fs::write(binlog_path(&dir, 2), "5 C M00/00/00/e\n").unwrap();
    let mut reader = Reader::open(dir, Position::START);
    let mut got = Vec::new();
    while let Some((record, _)) = reader.next().await.unwrap() {
        got.push((record.timestamp, record.letter()));
    }
    assert_eq!(got, vec![(1, b'C'), (2, b'D'), (3, b'C'), (5, b'C')]);
    assert_eq!(reader.skipped(), 4);
    assert_eq!(reader.position(), Position::new(2, 16));
}

#[tokio::test]
async fn an_empty_directory_reads_as_empty() {
    let tmp = TempDir::new();
    let mut reader = Reader::open(tmp.path().join("none"), Position::START);
    assert_eq!(reader.next().await.unwrap(), None);
    assert_eq!(reader.next_wait(None).await.unwrap(), None);
}

#[tokio::test]
async fn tailing_readers_stop_at_the_durable_end() {
    let tmp = TempDir::new();
    let log = open(&tmp).await;
    let end = log.append_one(&create(1)).await.unwrap();
    // Bytes the writer has not committed (as if written but not yet fsynced).
    let path = binlog_path(log.dir(), 0);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(create(2).to_line().unwrap().as_bytes());
    std::fs::write(&path, &bytes).unwrap();

    let mut tailing = log.reader(Position::START).unwrap();
    assert_eq!(tailing.next().await.unwrap(), Some((create(1), end)));
    assert_eq!(tailing.next().await.unwrap(), None);
    let mut standalone = Reader::open(log.dir().to_owned(), end);
    assert_eq!(standalone.next().await.unwrap().map(|(r, _)| r), Some(create(2)));
    log.close().await;
}

#[tokio::test]
async fn full_replay_sends_source_and_replica_records_until_the_join() {
    let tmp = TempDir::new();
    let log = open(&tmp).await;
    let f = |n: u32| format!("M00/00/00/f{n}");
    let records = vec![
        Record::source(10, f(1), Op::Create),
        Record::replica(11, f(2), Op::Create),
        Record::replica(12, format!("{}-m", f(2)), Op::Create),
        Record::replica(13, f(2), Op::Append { offset: 0, length: 4 }),
        Record::replica(14, f(3), Op::Rename { old: f(4) }),
        Record::source(15, f(1), Op::Truncate { old_size: 4, new_size: 1 }),
        Record::replica(30, f(5), Op::Create),
        Record::source(31, f(6), Op::Create),
    ];
    let end = log.append(&records).await.unwrap();
    let mut replay = log.replay(20);
    // Appended after the replay began: left to the incremental sync.
    log.append_one(&Record::source(40, f(7), Op::Create)).await.unwrap();

    let mut sent = Vec::new();
    while let Some((record, _)) = replay.next().await.unwrap() {
        sent.push(record);
    }
    let expected: Vec<Record> = [0, 1, 2, 4, 5, 7].iter().map(|&i| records[i].clone()).collect();
    assert_eq!(sent, expected);
    assert_eq!(replay.position(), end);
    assert_eq!(replay.scanned(), records.len() as u64);
    let mut reader = replay.into_reader();
    assert_eq!(reader.next().await.unwrap().map(|(r, _)| r.timestamp), Some(40));
    log.close().await;
}
