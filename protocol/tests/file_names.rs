//! Generated names and file IDs against every name a real FastDFS 6.16.1
//! cluster produced in the golden fixtures.

mod support;

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use fdfs_protocol::base64;
use fdfs_protocol::file_id::{FileId, LogicName, validate_group_name};
use fdfs_protocol::filename::{
    FileKind, NameBlock, NameInfo, NewFile, NewName, ServerId, Source, TrunkLocation,
    pjw_hash_subdir, size_of_field, slave_name,
};

/// One `note: file name decode:` annotation.
#[derive(Debug)]
struct Annotated {
    name: String,
    src_ip: Ipv4Addr,
    create_ts: u32,
    size_field: u64,
    appender: bool,
    size: Option<u64>,
    crc32: u32,
    logic_len: usize,
}

/// Parses `<name>: src_ip=... create_ts=N (...) size_field=0x.. [APPENDER(bit58)] size=N crc32=0x.. len(logic name)=N`.
fn parse_note(note: &str) -> Option<Annotated> {
    let rest = note.strip_prefix("note: file name decode: ")?;
    let (name, fields) = rest.split_once(": ")?;
    let field = |key: &str| -> String {
        let start = fields.find(key).unwrap_or_else(|| panic!("{key} missing in {note:?}"));
        fields[start + key.len()..].split_whitespace().next().unwrap().to_owned()
    };
    let hex = |key: &str| u64::from_str_radix(field(key).trim_start_matches("0x"), 16).unwrap();
    let size = field("size=");
    Some(Annotated {
        name: name.to_owned(),
        src_ip: field("src_ip=").parse().unwrap(),
        create_ts: field("create_ts=").parse().unwrap(),
        size_field: hex("size_field="),
        appender: fields.contains("[APPENDER(bit58)]"),
        size: (size != "n/a").then(|| size.parse().unwrap()),
        crc32: hex("crc32=") as u32,
        logic_len: field("len(logic name)=").parse().unwrap(),
    })
}

fn all_notes() -> Vec<String> {
    support::load_all()
        .into_iter()
        .flat_map(|ex| {
            let mut notes = ex.request.notes;
            notes.extend(ex.response.into_iter().flat_map(|r| r.notes));
            notes
        })
        .collect()
}

fn annotated_names() -> Vec<Annotated> {
    let names: Vec<Annotated> = all_notes().iter().filter_map(|n| parse_note(n)).collect();
    assert!(names.len() >= 40, "only {} annotated names", names.len());
    names
}

/// Every quoted `"Mxx/HH/LL/..."` logic filename in the annotations, with
/// the group name noted on the same message (if any).
fn fixture_logic_names() -> BTreeSet<(Option<String>, String)> {
    let mut out = BTreeSet::new();
    for ex in support::load_all() {
        for dump in std::iter::once(&ex.request).chain(ex.response.as_ref()) {
            let group = dump.notes.iter().find_map(|n| quoted_after(n, "group_name[16] = "));
            for note in &dump.notes {
                if let Some(text) = quoted_after(note, " = ")
                    && text.starts_with("M0")
                {
                    out.insert((group.clone(), text));
                }
            }
        }
    }
    assert!(out.len() >= 13, "only {} logic names", out.len());
    out
}

fn quoted_after(note: &str, marker: &str) -> Option<String> {
    let start = note.find(marker)? + marker.len();
    let rest = note[start..].strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

#[test]
fn fixture_names_decode_to_the_annotated_fields() {
    let mut kinds = BTreeSet::new();
    for note in annotated_names() {
        let info = NameInfo::decode(&note.name).unwrap_or_else(|e| panic!("{note:?}: {e}"));
        assert_eq!(info.source(), Source::Ip(note.src_ip), "{note:?}");
        assert_eq!(info.create_time(), note.create_ts, "{note:?}");
        assert_eq!(info.block.size_field, note.size_field, "{note:?}");
        assert_eq!(info.crc32(), note.crc32, "{note:?}");
        assert_eq!(note.logic_len, 10 + note.name.len(), "{note:?}");
        assert_eq!(info.trunk, None);

        let expected_kind = if note.appender {
            FileKind::Appender
        } else if note.logic_len > 44 {
            FileKind::Slave
        } else {
            FileKind::Normal
        };
        assert_eq!(info.kind, expected_kind, "{note:?}");
        kinds.insert(format!("{expected_kind:?}"));
        match info.kind {
            FileKind::Appender => {
                assert_eq!(note.size, None, "{note:?}");
                assert_eq!(info.size(), None);
                assert_eq!(note.size_field & 0xFFFF_FFFF, 0, "{note:?}");
            }
            // The annotation shows the master's size; the client asks the
            // storage for the slave's.
            FileKind::Slave => {
                assert_eq!(info.size(), None);
                assert_eq!(Some(size_of_field(note.size_field)), note.size, "{note:?}");
            }
            _ => assert_eq!(info.size(), note.size, "{note:?}"),
        }

        // Re-encoding the block gives back the same 27 characters.
        assert_eq!(info.block.encode(), note.name[..27], "{note:?}");
        let raw = base64::decode_array::<20>(&note.name[..27]).unwrap();
        assert_eq!(base64::encode(&raw), note.name[..27]);
        assert_eq!(info.ext, note.name.rsplit('.').next().unwrap(), "{note:?}");
    }
    assert_eq!(kinds.len(), 3, "expected normal, appender and slave names: {kinds:?}");
}

#[test]
fn the_upload_fixture_name_bit_for_bit() {
    let block = NameBlock::decode("fwAAAmsH8l-Ad5C4AAAAFpR_bpI").unwrap();
    assert_eq!(
        block,
        NameBlock {
            source: Source::Ip(Ipv4Addr::new(127, 0, 0, 2)),
            create_time: 1_795_682_911,
            size_field: 0x8077_90b8_0000_0016,
            crc32: 0x947f_6e92,
        }
    );
}

#[test]
fn generated_names_reproduce_the_fixtures() {
    let normal = NewName {
        source: Source::Ip(Ipv4Addr::new(127, 0, 0, 2)),
        create_time: 1_795_682_911,
        file: NewFile::Normal { size: 22 },
        crc32: 0x947f_6e92,
        ext: "txt",
    };
    assert_eq!(normal.encode(0x7790b8, 442).unwrap(), "fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt");
    // Only the low 23 bits of the random value and the needed digits count.
    assert_eq!(
        normal.encode(0xFF80_0000 | 0x0e40d9, 1_000_906).unwrap(),
        "fwAAAmsH8l-ADkDZAAAAFpR_bpI906.txt"
    );

    let appender = NewName {
        source: Source::Ip(Ipv4Addr::new(127, 0, 0, 3)),
        create_time: 1_795_682_912,
        file: NewFile::Appender,
        crc32: 0xf6c1_3655,
        ext: "log",
    };
    let name = appender.encode(0x16345c, 408).unwrap();
    assert_eq!(name, "fwAAA2sH8mCEFjRcAAAAAPbBNlU408.log");
    assert_eq!(NameInfo::decode(&name).unwrap().kind, FileKind::Appender);

    // The protocol doc's example: 100000 bytes from 127.0.0.2.
    let doc = NewName {
        source: Source::Ip(Ipv4Addr::new(127, 0, 0, 2)),
        create_time: 1_795_681_925,
        file: NewFile::Normal { size: 100_000 },
        crc32: 0xF5D2_6E6E,
        ext: "bin",
    };
    let info = NameInfo::decode("fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin").unwrap();
    let rand = (info.block.size_field >> 32) as u32;
    assert_eq!(doc.encode(rand, 976).unwrap(), "fwAAAmsH7oWAdptPAAGGoPXSbm4976.bin");
    assert_eq!(info.size(), Some(100_000));
}

#[test]
fn generated_names_decode_back() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let location = TrunkLocation { id: 3, offset: 65_536, size: 1024 };
    let cases = [
        (Source::Ip(Ipv4Addr::new(10, 1, 2, 3)), NewFile::Normal { size: 0 }, "bin"),
        (Source::Ip(Ipv4Addr::new(192, 168, 0, 77)), NewFile::Normal { size: 6 << 30 }, ""),
        (Source::Id(ServerId::new(100_001).unwrap()), NewFile::Appender, "log"),
        (Source::Id(ServerId::new(1).unwrap()), NewFile::Trunk { size: 1000, location }, "jpeg"),
        (Source::Ip(Ipv4Addr::UNSPECIFIED), NewFile::Normal { size: u32::MAX.into() }, "tar.gz"),
    ];
    for (source, file, ext) in cases {
        let spec = NewName { source, create_time: 1_800_000_000, file, crc32: 0xDEAD_BEEF, ext };
        let name = spec.generate(&mut rng).unwrap();
        let info = NameInfo::decode(&name).unwrap();
        assert_eq!(info.source(), source, "{name}");
        assert_eq!(info.create_time(), 1_800_000_000);
        assert_eq!(info.crc32(), 0xDEAD_BEEF);
        assert_eq!(info.ext, ext, "{name}");
        match file {
            NewFile::Normal { size } => {
                assert_eq!((info.kind, info.size()), (FileKind::Normal, Some(size)));
                assert_eq!(name.len(), 34);
            }
            NewFile::Appender => assert_eq!((info.kind, info.size()), (FileKind::Appender, None)),
            NewFile::Trunk { size, location } => {
                assert_eq!(info.kind, FileKind::Trunk);
                assert_eq!(info.size(), Some(u64::from(size)));
                assert_eq!(info.trunk, Some(location));
                assert_eq!(name.len(), 50);
            }
        }
        let logic = LogicName::new(0, 0x12, 0xAB, &name).unwrap();
        assert_eq!(logic.as_str().len(), if name.len() == 50 { 60 } else { 44 });
        assert_eq!(logic.info().unwrap(), info);
    }
}

#[test]
fn slave_names_match_the_fixtures() {
    assert_eq!(
        slave_name("fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt", "_small", "jpg").unwrap(),
        "fwAAAmsH8mKAFnOWAAABIhqN0Rk449_small.jpg"
    );
    assert_eq!(
        slave_name("M00/00/00/fwAAA2sH8mCAb-oXAAABLBtDLRM227.bin", "_big", "bin").unwrap(),
        "M00/00/00/fwAAA2sH8mCAb-oXAAABLBtDLRM227_big.bin"
    );
    assert_eq!(
        slave_name("fwAAA2sH8mCAb-oXAAABLBtDLRM227.bin", "_big", "").unwrap(),
        "fwAAA2sH8mCAb-oXAAABLBtDLRM227_big.bin"
    );
    for slave in
        ["fwAAAmsH8mKAFnOWAAABIhqN0Rk449_small.jpg", "fwAAA2sH8mCAb-oXAAABLBtDLRM227_big.bin"]
    {
        let info = NameInfo::decode(slave).unwrap();
        assert_eq!(info.kind, FileKind::Slave);
        assert_eq!(info.size(), None);
    }
    assert!(slave_name("fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt", "_".repeat(17).as_str(), "").is_err());
}

#[test]
fn fixture_file_ids_round_trip() {
    for (group, text) in fixture_logic_names() {
        let logic = LogicName::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(logic.to_string(), text);
        assert_eq!(logic.store_path_index(), 0);
        assert_eq!((logic.dir_high(), logic.dir_low()), (0, 0));
        assert_eq!(logic.name(), &text[10..]);
        assert_eq!(text.parse::<LogicName>().unwrap(), logic);
        let rebuilt = LogicName::new(0, 0, 0, logic.name()).unwrap();
        assert_eq!(rebuilt, logic);
        // Every fixture name is a generated one (incl. the `-m` metadata file).
        logic.info().unwrap_or_else(|e| panic!("{text}: {e}"));

        let group = group.unwrap_or_else(|| "group1".to_owned());
        let id_text = format!("{group}/{text}");
        let id: FileId = id_text.parse().unwrap();
        assert_eq!(id.group(), group);
        assert_eq!(id.logic(), &logic);
        assert_eq!(id.to_string(), id_text);
        assert_eq!(FileId::new(&group, logic).unwrap(), id);
    }
}

#[test]
fn rejects_malformed_ids() {
    let good = "group1/M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt";
    assert!(FileId::parse(good).is_ok());
    let cases = [
        // group
        "/M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group_1/M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group.1/M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group123456789012/M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group1",
        // path
        "group1/M00/00/2a/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group1/m00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group1/00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group1/M0a/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group1/M00/002A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group1/M00/00/2A/",
        // name
        "group1/M00/00/2A/../../etc/passwd",
        "group1/M00/00/2A/..",
        "group1/M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI..txt",
        "group1/M00/00/2A/sub/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
        "group1/M00/00/2A/fwAAAmsH8l+Ad5C4AAAAFpR/bpI442.txt",
        "group1/M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.t\0t",
    ];
    for bad in cases {
        assert!(FileId::parse(bad).is_err(), "{bad:?}");
    }
    let too_long = format!("group1/M00/00/2A/{}", "a".repeat(118));
    assert!(FileId::parse(&too_long).is_err());
    let longest = format!("group1/M00/00/2A/{}", "a".repeat(117));
    assert!(FileId::parse(&longest).is_ok());
    assert!(validate_group_name("group12345678901").is_ok());
    assert!(validate_group_name("").is_err());
}

#[test]
fn rejects_malformed_names() {
    for bad in [
        // bad base64 digits in the block
        "fwAAAmsH8l+Ad5C4AAAAFpR_bpI442.txt",
        "fwAAAmsH8l.Ad5C4AAAAFpR_bpI442.txt",
        // spare bits set in the 27th character
        "fwAAAmsH8l-Ad5C4AAAAFpR_bpJ442.txt",
        // too short, too long
        "fwAAAmsH8l-Ad5C4AAAAFpR_bpI42.txt",
        &format!("fwAAAmsH8l-Ad5C4AAAAFpR_bpI442{}.txt", "x".repeat(90)),
        "",
        // a trunk flag without a trunk position
        &format!(
            "{}442.txt",
            NameBlock {
                source: Source::Ip(Ipv4Addr::LOCALHOST),
                create_time: 1,
                size_field: 0x8800_0000_0000_0001,
                crc32: 0,
            }
            .encode()
        ),
    ] {
        assert!(NameInfo::decode(bad).is_err(), "{bad:?}");
    }
    // Structurally fine logic names may still carry undecodable names.
    let logic = LogicName::parse("M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpJ442.txt").unwrap();
    assert!(logic.info().is_err());
}

#[test]
fn pjw_subdirs_are_within_bounds() {
    for note in annotated_names() {
        let (high, low) = pjw_hash_subdir(&note.name[..27], 256);
        let again = pjw_hash_subdir(&note.name[..27], 256);
        assert_eq!((high, low), again);
        let (high, low) = pjw_hash_subdir(&note.name[..27], 16);
        assert!(high < 16 && low < 16);
    }
}
