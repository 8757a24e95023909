//! Trunk-file commands between a storage and its group's trunk server
//! (fastdfs-protocol.md §5.3; only with `use_trunk_file`): small files are
//! packed into large trunk files, and the trunk server hands out space.
//!
//! TRUNK_ALLOC_SPACE (27) asks for space and gets a [`TrunkInfo`];
//! TRUNK_ALLOC_CONFIRM (28) and TRUNK_FREE_SPACE (29) return it. The trunk
//! binlog commands: TRUNK_SYNC_BINLOG (30) pushes binlog bytes,
//! TRUNK_GET_BINLOG_SIZE (31) asks its size, TRUNK_DELETE_BINLOG_MARKS (32)
//! and TRUNK_TRUNCATE_BINLOG_FILE (33) carry no body. Bodies of 30–33 follow
//! the FastDFS 6.16.1 storage (the protocol doc names only the commands).

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::error::DecodeError;
use crate::message::{Decode, Empty, Encode, Request};
use crate::storage::fields::{check_group, put_group, read_group};
use crate::wire::{PutExt, Reader};

/// FDFSTrunkInfoBuff (15 bytes): where a slot lives — store path index 1 +
/// sub path high 1 + sub path low 1 + trunk file id 4B + offset 4B + size 4B.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TrunkInfo {
    /// Store path index (`M00` = 0).
    pub store_path_index: u8,
    /// First-level directory (`HH`).
    pub sub_path_high: u8,
    /// Second-level directory (`LL`).
    pub sub_path_low: u8,
    /// Trunk file id.
    pub id: u32,
    /// Slot offset inside the trunk file.
    pub offset: u32,
    /// Slot size.
    pub size: u32,
}

/// Size of a [`TrunkInfo`] on the wire.
pub const TRUNK_INFO_LEN: usize = 15;

impl TrunkInfo {
    fn put(&self, buf: &mut BytesMut) {
        buf.put_u8(self.store_path_index);
        buf.put_u8(self.sub_path_high);
        buf.put_u8(self.sub_path_low);
        buf.put_u32(self.id);
        buf.put_u32(self.offset);
        buf.put_u32(self.size);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            store_path_index: r.u8()?,
            sub_path_high: r.u8()?,
            sub_path_low: r.u8()?,
            id: r.i32()? as u32,
            offset: r.i32()? as u32,
            size: r.i32()? as u32,
        })
    }
}

impl Encode for TrunkInfo {
    fn encode(&self, buf: &mut BytesMut) {
        self.put(buf);
    }
}

impl Decode for TrunkInfo {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let info = Self::read(&mut r)?;
        r.finish()?;
        Ok(info)
    }
}

/// TRUNK_ALLOC_SPACE (27): group 16 + file size 4B + store path index 1 =
/// 21 bytes; the reply is a [`TrunkInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrunkAllocSpace {
    /// The group name (16-byte field).
    pub group: String,
    /// Size of the file in bytes.
    pub file_size: u32,
    /// Store path index (`M00` = 0).
    pub store_path_index: u8,
}

impl TrunkAllocSpace {
    /// Checks the group.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)
    }
}

impl Encode for TrunkAllocSpace {
    fn encode(&self, buf: &mut BytesMut) {
        put_group(buf, &self.group);
        buf.put_u32(self.file_size);
        buf.put_u8(self.store_path_index);
    }
}

impl Decode for TrunkAllocSpace {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let group = read_group(&mut r)?;
        let file_size = r.i32()? as u32;
        let store_path_index = r.u8()?;
        r.finish()?;
        Ok(Self { group, file_size, store_path_index })
    }
}

impl Request for TrunkAllocSpace {
    const CMD: u8 = cmd::TRUNK_ALLOC_SPACE;
    type Response = TrunkInfo;
}

/// TRUNK_ALLOC_CONFIRM (28) and TRUNK_FREE_SPACE (29): group 16 +
/// [`TrunkInfo`] = 31 bytes; empty reply.
///
/// Use the aliases [`TrunkAllocConfirm`] and [`TrunkFreeSpace`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrunkSlot<const CMD: u8> {
    /// The group name (16-byte field).
    pub group: String,
    /// The slot.
    pub info: TrunkInfo,
}

/// TRUNK_ALLOC_CONFIRM (28): the allocated slot was used.
pub type TrunkAllocConfirm = TrunkSlot<{ cmd::TRUNK_ALLOC_CONFIRM }>;
/// TRUNK_FREE_SPACE (29): the slot is free again.
pub type TrunkFreeSpace = TrunkSlot<{ cmd::TRUNK_FREE_SPACE }>;

impl<const CMD: u8> TrunkSlot<CMD> {
    /// Checks the group.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)
    }
}

impl<const CMD: u8> Encode for TrunkSlot<CMD> {
    fn encode(&self, buf: &mut BytesMut) {
        put_group(buf, &self.group);
        self.info.put(buf);
    }
}

impl<const CMD: u8> Decode for TrunkSlot<CMD> {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let group = read_group(&mut r)?;
        let info = TrunkInfo::read(&mut r)?;
        r.finish()?;
        Ok(Self { group, info })
    }
}

impl<const CMD: u8> Request for TrunkSlot<CMD> {
    const CMD: u8 = CMD;
    type Response = Empty;
}

/// TRUNK_SYNC_BINLOG (30): trunk binlog bytes pushed by the trunk server
/// (must not be empty); empty reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TrunkSyncBinlog {
    /// Trunk binlog lines.
    pub data: Vec<u8>,
}

impl Encode for TrunkSyncBinlog {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.data);
    }
}

impl Decode for TrunkSyncBinlog {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        if body.is_empty() {
            return Err(DecodeError::BadLength { what: "trunk binlog", len: 0 });
        }
        Ok(Self { data: body.to_vec() })
    }
}

impl Request for TrunkSyncBinlog {
    const CMD: u8 = cmd::TRUNK_SYNC_BINLOG;
    type Response = Empty;
}

/// The reply to TRUNK_GET_BINLOG_SIZE: the trunk binlog's size, 8B.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TrunkBinlogSize {
    /// The trunk binlog's size in bytes.
    pub size: u64,
}

impl Encode for TrunkBinlogSize {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(self.size);
    }
}

impl Decode for TrunkBinlogSize {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let size = r.len64()?;
        r.finish()?;
        Ok(Self { size })
    }
}

/// Defines an empty-bodied request.
macro_rules! empty_request {
    ($(#[$doc:meta])* $name:ident, $cmd:expr, $resp:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $name;

        impl Encode for $name {
            fn encode(&self, _buf: &mut BytesMut) {}
        }

        impl Decode for $name {
            fn decode(body: &[u8]) -> Result<Self, DecodeError> {
                Empty::decode(body).map(|_| Self)
            }
        }

        impl Request for $name {
            const CMD: u8 = $cmd;
            type Response = $resp;
        }
    };
}

empty_request!(
    /// TRUNK_GET_BINLOG_SIZE (31): empty; the reply is [`TrunkBinlogSize`].
    TrunkGetBinlogSize,
    cmd::TRUNK_GET_BINLOG_SIZE,
    TrunkBinlogSize
);
empty_request!(
    /// TRUNK_DELETE_BINLOG_MARKS (32): empty; empty reply.
    TrunkDeleteBinlogMarks,
    cmd::TRUNK_DELETE_BINLOG_MARKS,
    Empty
);
empty_request!(
    /// TRUNK_TRUNCATE_BINLOG_FILE (33): empty; empty reply.
    TrunkTruncateBinlogFile,
    cmd::TRUNK_TRUNCATE_BINLOG_FILE,
    Empty
);

#[cfg(test)]
mod tests {
    use super::{
        TRUNK_INFO_LEN, TrunkAllocConfirm, TrunkAllocSpace, TrunkBinlogSize,
        TrunkDeleteBinlogMarks, TrunkFreeSpace, TrunkGetBinlogSize, TrunkInfo, TrunkSyncBinlog,
        TrunkTruncateBinlogFile,
    };
    use crate::message::{Decode, Encode, Request};

    fn info() -> TrunkInfo {
        TrunkInfo {
            store_path_index: 1,
            sub_path_high: 0x2a,
            sub_path_low: 0xff,
            id: 7,
            offset: 0x0100_0000,
            size: 0xffff_fff0,
        }
    }

    #[test]
    fn alloc_space_layouts() {
        let req = TrunkAllocSpace { group: "group1".into(), file_size: 4096, store_path_index: 1 };
        let body = req.to_body();
        assert_eq!(body.len(), 21);
        assert_eq!(&body[16..], &[0, 0, 0x10, 0, 1]);
        assert_eq!(TrunkAllocSpace::decode(&body).unwrap(), req);
        assert!(TrunkAllocSpace::decode(&body[..20]).is_err());
        let reply = info().to_body();
        assert_eq!(reply.len(), TRUNK_INFO_LEN);
        assert_eq!(&reply[..], &[1, 0x2a, 0xff, 0, 0, 0, 7, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0]);
        assert_eq!(TrunkInfo::decode(&reply).unwrap(), info());
        assert_eq!(<TrunkAllocSpace as Request>::CMD, 27);
    }

    #[test]
    fn confirm_and_free_layouts() {
        let c = TrunkAllocConfirm { group: "group1".into(), info: info() };
        let body = c.to_body();
        assert_eq!(body.len(), 31);
        assert_eq!(TrunkAllocConfirm::decode(&body).unwrap(), c);
        let f: TrunkFreeSpace = TrunkFreeSpace::decode(&body).unwrap();
        assert_eq!(f.info, info());
        assert_eq!(
            (<TrunkAllocConfirm as Request>::CMD, <TrunkFreeSpace as Request>::CMD),
            (28, 29)
        );
        assert!(TrunkFreeSpace::decode(&[body.as_ref(), b"x"].concat()).is_err());
    }

    #[test]
    fn binlog_commands() {
        let s = TrunkSyncBinlog { data: b"1795682911 A 0 0 0 1 0 4096\n".to_vec() };
        assert_eq!(TrunkSyncBinlog::decode(&s.to_body()).unwrap(), s);
        assert!(TrunkSyncBinlog::decode(b"").is_err());
        assert_eq!(<TrunkSyncBinlog as Request>::CMD, 30);
        assert!(TrunkGetBinlogSize.to_body().is_empty());
        assert!(TrunkGetBinlogSize::decode(b"x").is_err());
        let size = TrunkBinlogSize { size: 1234 };
        assert_eq!(size.to_body().len(), 8);
        assert_eq!(TrunkBinlogSize::decode(&size.to_body()).unwrap(), size);
        assert!(TrunkBinlogSize::decode(&[0xff; 8]).is_err());
        assert_eq!(TrunkDeleteBinlogMarks::decode(b"").unwrap(), TrunkDeleteBinlogMarks);
        assert_eq!(TrunkTruncateBinlogFile::decode(b"").unwrap(), TrunkTruncateBinlogFile);
        let cmds = [
            <TrunkGetBinlogSize as Request>::CMD,
            <TrunkDeleteBinlogMarks as Request>::CMD,
            <TrunkTruncateBinlogFile as Request>::CMD,
        ];
        assert_eq!(cmds, [31, 32, 33]);
    }
}
