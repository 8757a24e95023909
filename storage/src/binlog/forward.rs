//! Which binlog records go to a peer (`fastdfs-protocol.md` §9), and the
//! full replay that catches up a new member (§6 step 2).
//!
//! Every storage pushes its own changes (upper-case records) to each peer.
//! Changes it received from a peer (lower-case) are that peer's to push —
//! except to a new member this storage is the sync source of: then it
//! replays its whole binlog, replica records included, up to the moment the
//! member joined (`until_timestamp`). Partial updates (`a`, `m`, `t`) are
//! never forwarded: the replayed create already ships the file's current
//! content.

use super::reader::Reader;
use super::record::{Origin, Record};
use super::{BinlogError, Position};

/// Whether the sync worker of a peer sends `record`. `catching_up` is
/// `need_sync_old && !sync_old_done` of the peer's mark; `until_timestamp`
/// its `until_timestamp`.
pub fn should_forward(record: &Record, catching_up: bool, until_timestamp: i64) -> bool {
    match record.origin {
        Origin::Source => true,
        Origin::Replica => {
            catching_up
                && !record.op.is_partial_update()
                && i64::from(record.timestamp) <= until_timestamp
        }
    }
}

/// The full replay for a new member: records from the start of the binlog
/// up to the durable end when the replay began, filtered by
/// [`should_forward`] in catching-up mode. After it, the worker continues
/// incrementally from [`Replay::position`] with `catching_up = false`.
#[derive(Debug)]
pub struct Replay {
    reader: Reader,
    end: Position,
    until_timestamp: i64,
    scanned: u64,
}

impl Replay {
    /// A replay of `reader`'s records before `end`.
    pub fn new(reader: Reader, end: Position, until_timestamp: i64) -> Self {
        Self { reader, end, until_timestamp, scanned: 0 }
    }

    /// The next record to send and the position after it; `None` when the
    /// replay has reached its end.
    pub async fn next(&mut self) -> Result<Option<(Record, Position)>, BinlogError> {
        while self.reader.position() < self.end {
            let Some((record, next)) = self.reader.next().await? else {
                return Ok(None);
            };
            self.scanned += 1;
            if should_forward(&record, true, self.until_timestamp) {
                return Ok(Some((record, next)));
            }
        }
        Ok(None)
    }

    /// Where the replay stands: after the last record read (sent or not).
    pub fn position(&self) -> Position {
        self.reader.position()
    }

    /// Records read so far (for the mark's `scan_row_count`).
    pub fn scanned(&self) -> u64 {
        self.scanned
    }

    /// The reader, to continue incrementally once the replay is done.
    pub fn into_reader(self) -> Reader {
        self.reader
    }
}

#[cfg(test)]
mod tests {
    use super::should_forward;
    use crate::binlog::record::{Op, Record};

    const UNTIL: i64 = 1000;

    fn ops() -> Vec<Op> {
        vec![
            Op::Create,
            Op::Delete,
            Op::Update,
            Op::Append { offset: 1, length: 2 },
            Op::Modify { offset: 1, length: 2 },
            Op::Truncate { old_size: 2, new_size: 1 },
            Op::Link { source: "M00/00/00/src".into() },
            Op::Rename { old: "M00/00/00/old".into() },
        ]
    }

    #[test]
    fn source_records_always_forwarded() {
        for op in ops() {
            for catching_up in [false, true] {
                for ts in [0, 1000, 1001, u32::MAX] {
                    let r = Record::source(ts, "M00/00/00/f", op.clone());
                    assert!(should_forward(&r, catching_up, UNTIL), "{r:?} {catching_up}");
                }
            }
        }
    }

    #[test]
    fn replica_records_only_while_catching_up_until_the_join() {
        for op in ops() {
            let partial = op.is_partial_update();
            let before = Record::replica(999, "M00/00/00/f", op.clone());
            let at = Record::replica(1000, "M00/00/00/f", op.clone());
            let after = Record::replica(1001, "M00/00/00/f", op.clone());
            assert!(!should_forward(&before, false, UNTIL), "{op:?} not catching up");
            assert!(!should_forward(&at, false, UNTIL));
            assert_eq!(should_forward(&before, true, UNTIL), !partial, "{op:?}");
            assert_eq!(should_forward(&at, true, UNTIL), !partial, "{op:?}");
            assert!(!should_forward(&after, true, UNTIL), "{op:?} after until");
        }
    }

    #[test]
    fn partial_updates_are_a_m_t() {
        let partial: Vec<u8> =
            ops().iter().filter(|op| op.is_partial_update()).map(Op::letter).collect();
        assert_eq!(partial, b"AMT");
    }

    #[test]
    fn replica_metadata_create_is_replayed() {
        let r = Record::replica(5, "M00/00/00/f.txt-m", Op::Create);
        assert!(r.is_metadata());
        assert!(should_forward(&r, true, UNTIL));
    }
}
