//! Feeds arbitrary bytes to every decoder that reads network input: none
//! may panic, and the name decoders must be canonical (what decodes
//! re-encodes to the same text).
//!
//! Run with `cargo +nightly fuzz run decoders` from the repository root.
#![no_main]

use fdfs_protocol::base64;
use fdfs_protocol::file_id::{FileId, LogicName};
use fdfs_protocol::filename::{NameBlock, NameInfo, TrunkLocation, slave_name};
use fdfs_protocol::metadata::Metadata;
use fdfs_protocol::{Decode, Header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Header::decode(data);
    let _ = Metadata::decode(data);

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(bytes) = base64::decode(text) {
        assert_eq!(base64::encode(&bytes), text);
    }
    if let Ok(block) = NameBlock::decode(text) {
        assert_eq!(block.encode(), text);
    }
    if let Ok(location) = TrunkLocation::decode(text) {
        assert_eq!(location.encode(), text);
    }
    if let Ok(info) = NameInfo::decode(text) {
        assert_eq!(info.block.encode(), text[..27]);
    }
    if let Ok(logic) = LogicName::parse(text) {
        assert_eq!(logic.as_str(), text);
        let _ = logic.info();
    }
    if let Ok(id) = FileId::parse(text) {
        assert_eq!(id.to_string(), text);
    }
    let _ = slave_name(text, "_s", "jpg");
});
