//! Record format and parse: the verified FastDFS lines of §8, every op in
//! both cases, malformed lines, and properties.

use proptest::prelude::{Just, Strategy, any, prop_assert_eq, prop_oneof, proptest};

use crate::binlog::record::{MAX_LINE, Op, Origin, Record, RecordError};

const F: &str = "M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin";
const G: &str = "M00/00/00/fwAAA2sH8mKAKvvnAAAAJUc606g408.log";
const OLD: &str = "M00/00/00/fwAAA2sH8mCEFjRcAAAAAPbBNlU408.log";

#[test]
fn every_op_round_trips() {
    let table: Vec<(&str, Record)> = vec![
        (
            "1795681925 C M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin",
            Record::source(1795681925, F, Op::Create),
        ),
        (
            "1795681925 c M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin",
            Record::replica(1795681925, F, Op::Create),
        ),
        (
            "1795681925 C M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin-m",
            Record::source(1795681925, format!("{F}-m"), Op::Create),
        ),
        ("7 D M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin", Record::source(7, F, Op::Delete)),
        ("7 d M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin", Record::replica(7, F, Op::Delete)),
        (
            "8 U M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin-m",
            Record::source(8, format!("{F}-m"), Op::Update),
        ),
        (
            "8 u M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin-m",
            Record::replica(8, format!("{F}-m"), Op::Update),
        ),
        (
            "9 A M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin 5 3",
            Record::source(9, F, Op::Append { offset: 5, length: 3 }),
        ),
        (
            "9 a M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin 5 3",
            Record::replica(9, F, Op::Append { offset: 5, length: 3 }),
        ),
        (
            "9 M M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin 1 2",
            Record::source(9, F, Op::Modify { offset: 1, length: 2 }),
        ),
        (
            "9 m M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin 1 2",
            Record::replica(9, F, Op::Modify { offset: 1, length: 2 }),
        ),
        (
            "9 T M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin 8 6",
            Record::source(9, F, Op::Truncate { old_size: 8, new_size: 6 }),
        ),
        (
            "9 t M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin 8 6",
            Record::replica(9, F, Op::Truncate { old_size: 8, new_size: 6 }),
        ),
        (
            "1 L M00/00/00/fwAAA2sH8mKAKvvnAAAAJUc606g408.log M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin",
            Record::source(1, G, Op::Link { source: F.into() }),
        ),
        (
            "1 l M00/00/00/fwAAA2sH8mKAKvvnAAAAJUc606g408.log M00/00/00/fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin",
            Record::replica(1, G, Op::Link { source: F.into() }),
        ),
        (
            "1795682914 R M00/00/00/fwAAA2sH8mKAKvvnAAAAJUc606g408.log M00/00/00/fwAAA2sH8mCEFjRcAAAAAPbBNlU408.log",
            Record::source(1795682914, G, Op::Rename { old: OLD.into() }),
        ),
        (
            "1795682914 r M00/00/00/fwAAA2sH8mKAKvvnAAAAJUc606g408.log M00/00/00/fwAAA2sH8mCEFjRcAAAAAPbBNlU408.log",
            Record::replica(1795682914, G, Op::Rename { old: OLD.into() }),
        ),
        (
            "0 A M00/00/00/x 0 18446744073709551615",
            Record::source(0, "M00/00/00/x", Op::Append { offset: 0, length: u64::MAX }),
        ),
        ("4294967295 C M00/00/00/x", Record::source(u32::MAX, "M00/00/00/x", Op::Create)),
    ];
    for (line, record) in table {
        let with_nl = format!("{line}\n");
        assert_eq!(Record::parse(line.as_bytes()).as_ref(), Ok(&record), "parse {line}");
        assert_eq!(Record::parse(with_nl.as_bytes()).as_ref(), Ok(&record), "parse {line}\\n");
        assert_eq!(record.to_line().as_deref(), Ok(with_nl.as_str()), "format {line}");
    }
}

#[test]
fn origin_follows_letter_case() {
    let r = Record::parse(format!("1 C {F}").as_bytes()).unwrap();
    assert_eq!((r.origin, r.letter()), (Origin::Source, b'C'));
    let r = Record::parse(format!("1 t {F} 2 1").as_bytes()).unwrap();
    assert_eq!((r.origin, r.letter()), (Origin::Replica, b't'));
    assert!(!r.is_metadata());
}

#[test]
fn malformed_lines_are_errors() {
    let long = format!("1 C {}", "x".repeat(MAX_LINE));
    let table: Vec<(&[u8], RecordError)> = vec![
        (b"", RecordError::Empty),
        (b"\n", RecordError::Empty),
        (b"1795681925", RecordError::Missing("op")),
        (b"1795681925 C", RecordError::Missing("filename")),
        (b"1795681925 C ", RecordError::BadFilename("filename")),
        (b"x C M00/00/00/f", RecordError::BadNumber("timestamp")),
        (b"-1 C M00/00/00/f", RecordError::BadNumber("timestamp")),
        (b"+1 C M00/00/00/f", RecordError::BadNumber("timestamp")),
        (b"4294967296 C M00/00/00/f", RecordError::BadNumber("timestamp")),
        (b" 1 C M00/00/00/f", RecordError::BadNumber("timestamp")),
        (b"1  C M00/00/00/f", RecordError::UnknownOp(String::new())),
        (b"1 X M00/00/00/f", RecordError::UnknownOp("X".into())),
        (b"1 CC M00/00/00/f", RecordError::UnknownOp("CC".into())),
        (b"1 1 M00/00/00/f", RecordError::UnknownOp("1".into())),
        (b"1 C M00/00/00/f extra", RecordError::Trailing),
        (b"1 C M00/00/00/f ", RecordError::Trailing),
        (b"1 A M00/00/00/f 5", RecordError::Missing("length")),
        (b"1 A M00/00/00/f", RecordError::Missing("offset")),
        (b"1 A M00/00/00/f 5 -3", RecordError::BadNumber("length")),
        (b"1 M M00/00/00/f 5 3 1", RecordError::Trailing),
        (b"1 T M00/00/00/f 99999999999999999999 1", RecordError::BadNumber("old size")),
        (b"1 L M00/00/00/f", RecordError::Missing("link source")),
        (b"1 R M00/00/00/f", RecordError::Missing("old filename")),
        (b"1 C M00/00/\x01f", RecordError::BadFilename("filename")),
        (b"1 C M00/00/\xff", RecordError::NotUtf8),
        (b"1 C M00/00/00/f\r", RecordError::BadFilename("filename")),
        (long.as_bytes(), RecordError::TooLong),
    ];
    for (line, error) in table {
        assert_eq!(Record::parse(line), Err(error), "{:?}", String::from_utf8_lossy(line));
    }
}

#[test]
fn unwritable_records_are_refused() {
    let bad = [
        Record::source(1, "", Op::Create),
        Record::source(1, "a b", Op::Create),
        Record::source(1, "a\nb", Op::Delete),
        Record::source(1, "a", Op::Link { source: String::new() }),
        Record::source(1, "a", Op::Rename { old: "x y".into() }),
        Record::source(1, "x".repeat(MAX_LINE), Op::Create),
    ];
    for record in bad {
        assert!(record.to_line().is_err(), "{record:?}");
    }
}

fn name() -> impl Strategy<Value = String> {
    "[!-~]{1,200}"
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Create),
        Just(Op::Delete),
        Just(Op::Update),
        (any::<u64>(), any::<u64>()).prop_map(|(offset, length)| Op::Append { offset, length }),
        (any::<u64>(), any::<u64>()).prop_map(|(offset, length)| Op::Modify { offset, length }),
        (any::<u64>(), any::<u64>())
            .prop_map(|(old_size, new_size)| Op::Truncate { old_size, new_size }),
        name().prop_map(|source| Op::Link { source }),
        name().prop_map(|old| Op::Rename { old }),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    (any::<u32>(), any::<bool>(), name(), op()).prop_map(|(timestamp, source, filename, op)| {
        let origin = if source { Origin::Source } else { Origin::Replica };
        Record { timestamp, origin, filename, op }
    })
}

proptest! {
    #[test]
    fn parse_inverts_format(r in record()) {
        let line = r.to_line().unwrap();
        prop_assert_eq!(line.matches('\n').count(), 1);
        prop_assert_eq!(Record::parse(line.as_bytes()), Ok(r));
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Record::parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_near_misses(s in "[0-9]{0,12} [CDUAMTLRcdu amtlrX]{0,2} [!-~]{0,20}( [0-9a-z-]{0,22}){0,3}") {
        if let Ok(r) = Record::parse(s.as_bytes()) {
            // Whatever parses can be written and reads back the same.
            let line = r.to_line().unwrap();
            prop_assert_eq!(Record::parse(line.as_bytes()), Ok(r));
        }
    }
}
