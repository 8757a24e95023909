//! Property tests: generated names decode to what they were made from,
//! base64 round-trips, and no decoder or parser panics on any input.

use std::net::Ipv4Addr;

use fdfs_protocol::base64;
use fdfs_protocol::file_id::{FileId, LogicName};
use fdfs_protocol::filename::{
    FileKind, MAX_PLAIN_SIZE, MAX_SERVER_ID, NameBlock, NameInfo, NewFile, NewName, ServerId,
    Source, TrunkLocation, slave_name,
};
use proptest::prelude::{Just, Strategy, any, prop_assert, prop_assert_eq, prop_oneof, proptest};

/// Sources that decode back to themselves: FastDFS reads an address ending
/// in `.0` as a storage id, so those are left out.
fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        any::<[u8; 4]>()
            .prop_filter("reads back as an id", |b| b[3] != 0 || *b == [0; 4])
            .prop_map(|b| Source::Ip(Ipv4Addr::from(b))),
        (1..=MAX_SERVER_ID).prop_map(|id| Source::Id(ServerId::new(id).unwrap())),
    ]
}

fn new_file() -> impl Strategy<Value = NewFile> {
    prop_oneof![
        (0..=u64::from(u32::MAX)).prop_map(|size| NewFile::Normal { size }),
        (u64::from(u32::MAX) + 1..=MAX_PLAIN_SIZE).prop_map(|size| NewFile::Normal { size }),
        Just(NewFile::Appender),
        (any::<u32>(), any::<[u32; 3]>()).prop_map(|(size, [id, offset, slot])| NewFile::Trunk {
            size,
            location: TrunkLocation { id, offset, size: slot },
        }),
    ]
}

fn ext() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{0,6}"
        .prop_filter("no leading '.' or ..", |e| !e.starts_with('.') && !e.contains(".."))
}

proptest! {
    #[test]
    fn names_round_trip(
        source in source(),
        create_time in any::<u32>(),
        file in new_file(),
        crc32 in any::<u32>(),
        ext in ext(),
        rand in any::<u32>(),
        digits in any::<u32>(),
        dirs in any::<(u8, u8, u8)>(),
    ) {
        let spec = NewName { source, create_time, file, crc32, ext: &ext };
        let name = spec.encode(rand, digits).unwrap();
        let info = NameInfo::decode(&name).unwrap();
        prop_assert_eq!(info.source(), source);
        prop_assert_eq!(info.create_time(), create_time);
        prop_assert_eq!(info.crc32(), crc32);
        prop_assert_eq!(info.block.size_field, file.size_field(rand).unwrap());
        prop_assert_eq!(&info.ext, &ext);
        prop_assert_eq!(info.block.encode(), &name[..27]);
        match file {
            NewFile::Normal { size } => {
                prop_assert_eq!(name.len(), 34);
                prop_assert_eq!(info.kind, FileKind::Normal);
                prop_assert_eq!(info.size(), Some(size));
            }
            NewFile::Appender => {
                prop_assert_eq!(name.len(), 34);
                prop_assert_eq!(info.kind, FileKind::Appender);
                prop_assert_eq!(info.size(), None);
            }
            NewFile::Trunk { size, location } => {
                prop_assert_eq!(name.len(), 50);
                prop_assert_eq!(info.kind, FileKind::Trunk);
                prop_assert_eq!(info.size(), Some(u64::from(size)));
                prop_assert_eq!(info.trunk, Some(location));
            }
        }

        let (index, high, low) = dirs;
        let logic = LogicName::new(index, high, low, &name).unwrap();
        let parsed = LogicName::parse(logic.as_str()).unwrap();
        prop_assert_eq!(&parsed, &logic);
        prop_assert_eq!(parsed.info().unwrap(), info);
        let id = FileId::new("group1", logic).unwrap();
        prop_assert_eq!(FileId::parse(&id.to_string()).unwrap(), id);
    }

    #[test]
    fn slave_names_decode_as_slaves(
        source in source(),
        file in new_file(),
        ext in ext(),
        prefix in "[A-Za-z0-9_-]{1,16}",
        slave_ext in ext(),
    ) {
        let spec = NewName { source, create_time: 1, file, crc32: 2, ext: &ext };
        let master = spec.encode(3, 4).unwrap();
        if let Ok(slave) = slave_name(&master, &prefix, &slave_ext) {
            let info = NameInfo::decode(&slave).unwrap();
            let expected = if file == NewFile::Appender { FileKind::Appender } else { FileKind::Slave };
            prop_assert_eq!(info.kind, expected);
            prop_assert_eq!(info.size(), None);
            prop_assert!(slave.contains(&prefix));
        }
    }

    #[test]
    fn base64_round_trips(block in any::<[u8; 20]>(), trunk in any::<[u8; 12]>(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let text = base64::encode(&block);
        prop_assert_eq!(text.len(), 27);
        prop_assert_eq!(base64::decode_array::<20>(&text).unwrap(), block);
        prop_assert_eq!(NameBlock::decode(&text).unwrap().to_bytes(), block);
        let text = base64::encode(&trunk);
        prop_assert_eq!(text.len(), 16);
        prop_assert_eq!(base64::decode_array::<12>(&text).unwrap(), trunk);
        let text = base64::encode(&bytes);
        prop_assert_eq!(base64::decode(&text).unwrap(), bytes);
    }

    #[test]
    fn base64_decode_is_canonical(text in "[A-Za-z0-9_.+/=-]{0,40}") {
        if let Ok(bytes) = base64::decode(&text) {
            prop_assert_eq!(base64::encode(&bytes), text);
        }
    }

    #[test]
    fn decoders_never_panic(text in any::<String>()) {
        let _ = base64::decode(&text);
        let _ = base64::decode_array::<20>(&text);
        let _ = NameInfo::decode(&text);
        let _ = LogicName::parse(&text);
        let _ = FileId::parse(&text);
        let _ = slave_name(&text, "_s", "jpg");
        let _ = slave_name("fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt", &text, &text);
    }

    #[test]
    fn name_shaped_input_never_panics(name in "[A-Za-z0-9._-]{0,130}", path in "M[0-9A-Fa-f]{2}/[0-9A-F]{2}/[0-9A-F]{2}/") {
        if let Ok(info) = NameInfo::decode(&name) {
            prop_assert_eq!(info.block.encode(), &name[..27]);
        }
        let logic = format!("{path}{name}");
        if let Ok(parsed) = LogicName::parse(&logic) {
            prop_assert_eq!(parsed.as_str(), logic.as_str());
            let _ = parsed.info();
        }
        let _ = FileId::parse(&format!("group1/{logic}"));
        let _ = slave_name(&name, "_s", "");
        let _ = slave_name(&logic, "_s", "x");
    }
}
