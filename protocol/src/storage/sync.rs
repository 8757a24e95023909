//! Storage ↔ storage replication: the commands a storage sends a group peer
//! while replaying its binlog (fastdfs-protocol.md §5.2).
//!
//! A sync connection opens with REPORT_SERVER_ID (9); then one request per
//! binlog record. Every record carries the source's 4-byte timestamp, which
//! the receiver keeps on the file and writes to its own binlog. Receivers
//! answer 17 (EEXIST) when they already hold the result and 2 (ENOENT) when
//! the file to change is missing; neither is a failure for the sender.

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{GROUP_NAME_MAX_LEN, STORAGE_ID_MAX_SIZE};
use crate::error::DecodeError;
use crate::message::{Decode, Empty, Encode, Raw, Request, Streamed};
use crate::status::Status;
use crate::storage::fields::{
    check_group, check_name, len_field, put_group, read_group, read_name, read_name_len,
    read_rest_name,
};
use crate::wire::{PutExt, Reader};

/// REPORT_SERVER_ID (9): the sender's storage id (its IP without
/// `use_storage_id`), 16 bytes NUL-padded. Empty reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportServerId {
    /// The sender's storage id (at most 15 bytes).
    pub storage_id: String,
}

impl ReportServerId {
    /// Checks that the id fits its field with a NUL (at most 15 bytes).
    pub fn validate(&self) -> Result<(), DecodeError> {
        let id = &self.storage_id;
        if id.is_empty() || id.len() >= STORAGE_ID_MAX_SIZE || id.as_bytes().contains(&0) {
            return Err(DecodeError::invalid("storage id", format!("{id:?}")));
        }
        Ok(())
    }
}

impl Encode for ReportServerId {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.storage_id, STORAGE_ID_MAX_SIZE);
    }
}

impl Decode for ReportServerId {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let storage_id = r.fixed_str(STORAGE_ID_MAX_SIZE)?;
        r.finish()?;
        Ok(Self { storage_id })
    }
}

impl Request for ReportServerId {
    const CMD: u8 = cmd::REPORT_SERVER_ID;
    type Response = Empty;
}

/// Head of SYNC_CREATE_FILE (16) and SYNC_UPDATE_FILE (18): filename length
/// 8B + file size 8B + timestamp 4B + group 16 + logic filename, followed by
/// the file's bytes — unless the request header's status is 17
/// ([`SyncFile::NO_CONTENT_STATUS`]): then no bytes follow (the peer already
/// has a file of that size) and `pkg_len` covers the head only.
///
/// Use the aliases [`SyncCreateFile`] and [`SyncUpdateFile`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncFile<const CMD: u8> {
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
    /// The file's size (also when no content follows).
    pub file_size: u64,
    /// The source's timestamp of the record (unix seconds).
    pub timestamp: u32,
    /// The group name (16-byte field).
    pub group: String,
    /// Whether the content is left out; travels as header status 17, not in
    /// the body. A server copies it from the header after decoding.
    pub content_omitted: bool,
}

/// SYNC_CREATE_FILE (16): replicate a new file (also `-m` metadata files).
pub type SyncCreateFile = SyncFile<{ cmd::SYNC_CREATE_FILE }>;
/// SYNC_UPDATE_FILE (18): replace a file's content (metadata rewrites,
/// re-sync of appenders after a failed append/modify).
pub type SyncUpdateFile = SyncFile<{ cmd::SYNC_UPDATE_FILE }>;

impl<const CMD: u8> SyncFile<CMD> {
    /// Request header status meaning "no content follows" (EEXIST).
    pub const NO_CONTENT_STATUS: u8 = Status::EEXIST.0;

    /// The status byte for the request header.
    pub fn header_status(&self) -> u8 {
        if self.content_omitted { Self::NO_CONTENT_STATUS } else { 0 }
    }

    /// Checks the group and filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)?;
        check_name("filename", &self.filename)
    }
}

impl<const CMD: u8> Encode for SyncFile<CMD> {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(len_field(&self.filename));
        buf.put_len64(self.file_size);
        buf.put_u32(self.timestamp);
        put_group(buf, &self.group);
        buf.extend_from_slice(self.filename.as_bytes());
    }
}

impl<const CMD: u8> Decode for SyncFile<CMD> {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let name_len = read_name_len(&mut r, "filename", 1)?;
        let file_size = r.len64()?;
        let timestamp = r.i32()? as u32;
        let group = read_group(&mut r)?;
        let filename = read_name(&mut r, name_len, "filename")?;
        r.finish()?;
        Ok(Self { filename, file_size, timestamp, group, content_omitted: false })
    }
}

impl<const CMD: u8> Request for SyncFile<CMD> {
    const CMD: u8 = CMD;
    type Response = Empty;
}

impl<const CMD: u8> Streamed for SyncFile<CMD> {
    /// The filename length field.
    const PREFIX_LEN: usize = 8;

    fn head_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        Ok(8 + 8 + 4 + GROUP_NAME_MAX_LEN + read_name_len(&mut Reader::new(prefix), "filename", 1)?)
    }

    fn content_len(&self) -> u64 {
        if self.content_omitted { 0 } else { self.file_size }
    }
}

/// SYNC_DELETE_FILE (17): timestamp 4B + group 16 + logic filename. Empty
/// reply; ENOENT when already gone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncDeleteFile {
    /// The source's timestamp of the record (unix seconds).
    pub timestamp: u32,
    /// The group name (16-byte field).
    pub group: String,
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
}

impl SyncDeleteFile {
    /// Checks the group and filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)?;
        check_name("filename", &self.filename)
    }
}

impl Encode for SyncDeleteFile {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.timestamp);
        put_group(buf, &self.group);
        buf.extend_from_slice(self.filename.as_bytes());
    }
}

impl Decode for SyncDeleteFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let timestamp = r.i32()? as u32;
        let group = read_group(&mut r)?;
        let filename = read_rest_name(&mut r, "filename")?;
        Ok(Self { timestamp, group, filename })
    }
}

impl Request for SyncDeleteFile {
    const CMD: u8 = cmd::SYNC_DELETE_FILE;
    type Response = Empty;
}

/// Head of SYNC_APPEND_FILE (25) and SYNC_MODIFY_FILE (35): filename length
/// 8B + offset 8B + length 8B + timestamp 4B + group 16 + logic filename,
/// followed by `length` bytes to write at `offset`.
///
/// Use the aliases [`SyncAppendFile`] and [`SyncModifyFile`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncRange<const CMD: u8> {
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
    /// Where the bytes go (for an append: the size before it).
    pub offset: u64,
    /// Bytes that follow the head.
    pub length: u64,
    /// The source's timestamp of the record (unix seconds).
    pub timestamp: u32,
    /// The group name (16-byte field).
    pub group: String,
}

/// SYNC_APPEND_FILE (25).
pub type SyncAppendFile = SyncRange<{ cmd::SYNC_APPEND_FILE }>;
/// SYNC_MODIFY_FILE (35).
pub type SyncModifyFile = SyncRange<{ cmd::SYNC_MODIFY_FILE }>;

impl<const CMD: u8> SyncRange<CMD> {
    /// Checks the group and filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)?;
        check_name("filename", &self.filename)
    }
}

impl<const CMD: u8> Encode for SyncRange<CMD> {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(len_field(&self.filename));
        buf.put_len64(self.offset);
        buf.put_len64(self.length);
        buf.put_u32(self.timestamp);
        put_group(buf, &self.group);
        buf.extend_from_slice(self.filename.as_bytes());
    }
}

impl<const CMD: u8> Decode for SyncRange<CMD> {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let name_len = read_name_len(&mut r, "filename", 1)?;
        let offset = r.len64()?;
        let length = r.len64()?;
        let timestamp = r.i32()? as u32;
        let group = read_group(&mut r)?;
        let filename = read_name(&mut r, name_len, "filename")?;
        r.finish()?;
        Ok(Self { filename, offset, length, timestamp, group })
    }
}

impl<const CMD: u8> Request for SyncRange<CMD> {
    const CMD: u8 = CMD;
    type Response = Empty;
}

impl<const CMD: u8> Streamed for SyncRange<CMD> {
    /// The filename length field.
    const PREFIX_LEN: usize = 8;

    fn head_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        Ok(3 * 8 + 4 + GROUP_NAME_MAX_LEN + read_name_len(&mut Reader::new(prefix), "filename", 1)?)
    }

    fn content_len(&self) -> u64 {
        self.length
    }
}

/// SYNC_TRUNCATE_FILE (37): filename length 8B + old size 8B + new size 8B
/// + timestamp 4B + group 16 + logic filename. Empty reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncTruncateFile {
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
    /// The size before truncation.
    pub old_size: u64,
    /// The size after truncation.
    pub new_size: u64,
    /// The source's timestamp of the record (unix seconds).
    pub timestamp: u32,
    /// The group name (16-byte field).
    pub group: String,
}

impl SyncTruncateFile {
    /// Checks the group and filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)?;
        check_name("filename", &self.filename)
    }
}

impl Encode for SyncTruncateFile {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(len_field(&self.filename));
        buf.put_len64(self.old_size);
        buf.put_len64(self.new_size);
        buf.put_u32(self.timestamp);
        put_group(buf, &self.group);
        buf.extend_from_slice(self.filename.as_bytes());
    }
}

impl Decode for SyncTruncateFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let name_len = read_name_len(&mut r, "filename", 1)?;
        let old_size = r.len64()?;
        let new_size = r.len64()?;
        let timestamp = r.i32()? as u32;
        let group = read_group(&mut r)?;
        let filename = read_name(&mut r, name_len, "filename")?;
        r.finish()?;
        Ok(Self { filename, old_size, new_size, timestamp, group })
    }
}

impl Request for SyncTruncateFile {
    const CMD: u8 = cmd::SYNC_TRUNCATE_FILE;
    type Response = Empty;
}

/// The body of SYNC_CREATE_LINK (19) and SYNC_RENAME_FILE (40): dest length
/// 8B + src length 8B + timestamp 4B + group 16 + dest name + src name.
fn encode_two_names(buf: &mut BytesMut, dest: &str, src: &str, timestamp: u32, group: &str) {
    buf.put_len64(len_field(dest));
    buf.put_len64(len_field(src));
    buf.put_u32(timestamp);
    put_group(buf, group);
    buf.extend_from_slice(dest.as_bytes());
    buf.extend_from_slice(src.as_bytes());
}

/// Decodes [`encode_two_names`]'s layout: (dest, src, timestamp, group).
fn decode_two_names(body: &[u8]) -> Result<(String, String, u32, String), DecodeError> {
    let mut r = Reader::new(body);
    let dest_len = read_name_len(&mut r, "dest filename", 1)?;
    let src_len = read_name_len(&mut r, "src filename", 1)?;
    let timestamp = r.i32()? as u32;
    let group = read_group(&mut r)?;
    let dest = read_name(&mut r, dest_len, "dest filename")?;
    let src = read_name(&mut r, src_len, "src filename")?;
    r.finish()?;
    Ok((dest, src, timestamp, group))
}

/// SYNC_CREATE_LINK (19): replicate a symlink `dest_filename` →
/// `src_filename` (deduplication / slave links). Empty reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncCreateLink {
    /// The link's logic filename.
    pub dest_filename: String,
    /// The file it points to.
    pub src_filename: String,
    /// The source's timestamp of the record (unix seconds).
    pub timestamp: u32,
    /// The group name (16-byte field).
    pub group: String,
}

impl SyncCreateLink {
    /// Checks the group and both filenames.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)?;
        check_name("dest filename", &self.dest_filename)?;
        check_name("src filename", &self.src_filename)
    }
}

impl Encode for SyncCreateLink {
    fn encode(&self, buf: &mut BytesMut) {
        encode_two_names(buf, &self.dest_filename, &self.src_filename, self.timestamp, &self.group);
    }
}

impl Decode for SyncCreateLink {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (dest_filename, src_filename, timestamp, group) = decode_two_names(body)?;
        Ok(Self { dest_filename, src_filename, timestamp, group })
    }
}

impl Request for SyncCreateLink {
    const CMD: u8 = cmd::SYNC_CREATE_LINK;
    type Response = Empty;
}

/// SYNC_RENAME_FILE (40): replicate an appender's rename to a normal file
/// (REGENERATE_APPENDER_FILENAME on the source).
///
/// Its **success reply echoes the request body** byte for byte, so the
/// response type is this struct itself; errors (17 already renamed, 2
/// source missing) carry no body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyncRenameFile {
    /// The new logic filename.
    pub dest_filename: String,
    /// The old (appender) logic filename.
    pub src_filename: String,
    /// The source's timestamp of the record (unix seconds).
    pub timestamp: u32,
    /// The group name (16-byte field).
    pub group: String,
}

impl SyncRenameFile {
    /// Checks the group and both filenames.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)?;
        check_name("dest filename", &self.dest_filename)?;
        check_name("src filename", &self.src_filename)
    }
}

impl Encode for SyncRenameFile {
    fn encode(&self, buf: &mut BytesMut) {
        encode_two_names(buf, &self.dest_filename, &self.src_filename, self.timestamp, &self.group);
    }
}

impl Decode for SyncRenameFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (dest_filename, src_filename, timestamp, group) = decode_two_names(body)?;
        Ok(Self { dest_filename, src_filename, timestamp, group })
    }
}

impl Request for SyncRenameFile {
    const CMD: u8 = cmd::SYNC_RENAME_FILE;
    /// The echo of the request.
    type Response = SyncRenameFile;
}

/// FETCH_ONE_PATH_BINLOG (26): group 16 + store path index 1. The reply is
/// the peer's binlog lines for that store path (disk recovery), as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FetchOnePathBinlog {
    /// The group name (16-byte field).
    pub group: String,
    /// Store path index (`M00` = 0).
    pub store_path_index: u8,
}

impl FetchOnePathBinlog {
    /// Checks the group.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)
    }
}

impl Encode for FetchOnePathBinlog {
    fn encode(&self, buf: &mut BytesMut) {
        put_group(buf, &self.group);
        buf.put_u8(self.store_path_index);
    }
}

impl Decode for FetchOnePathBinlog {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let group = read_group(&mut r)?;
        let store_path_index = r.u8()?;
        r.finish()?;
        Ok(Self { group, store_path_index })
    }
}

impl Request for FetchOnePathBinlog {
    const CMD: u8 = cmd::FETCH_ONE_PATH_BINLOG;
    type Response = Raw;
}

#[cfg(test)]
mod tests {
    use super::{FetchOnePathBinlog, SyncCreateFile, SyncCreateLink, SyncRenameFile};
    use crate::message::{Decode, Encode, Request, Streamed};

    #[test]
    fn no_content_status_zeroes_the_content() {
        let mut f = SyncCreateFile {
            filename: "M00/00/00/a.txt".into(),
            file_size: 22,
            timestamp: 1_795_682_911,
            group: "group1".into(),
            content_omitted: false,
        };
        assert_eq!((f.content_len(), f.header_status()), (22, 0));
        f.content_omitted = true;
        assert_eq!((f.content_len(), f.header_status()), (0, 17));
        // The flag is not in the body.
        let back = SyncCreateFile::decode(&f.to_body()).unwrap();
        assert!(!back.content_omitted);
        assert_eq!(back.file_size, 22);
    }

    #[test]
    fn sync_create_link_layout() {
        let l = SyncCreateLink {
            dest_filename: "M00/00/00/link.jpg".into(),
            src_filename: "M00/00/00/src.jpg".into(),
            timestamp: 0x6b07_f262,
            group: "group1".into(),
        };
        l.validate().unwrap();
        let body = l.to_body();
        assert_eq!(body.len(), 36 + 18 + 17);
        assert_eq!(&body[..8], &18u64.to_be_bytes());
        assert_eq!(&body[8..16], &17u64.to_be_bytes());
        assert_eq!(&body[16..20], &[0x6b, 0x07, 0xf2, 0x62]);
        assert_eq!(&body[36..54], b"M00/00/00/link.jpg");
        assert_eq!(SyncCreateLink::decode(&body).unwrap(), l);
        assert!(SyncCreateLink::decode(&body[..body.len() - 1]).is_err());
        assert_eq!(<SyncCreateLink as Request>::CMD, 19);
    }

    #[test]
    fn rename_reply_is_the_request() {
        let r = SyncRenameFile {
            dest_filename: "M00/00/00/new.log".into(),
            src_filename: "M00/00/00/old.log".into(),
            timestamp: 1,
            group: "group1".into(),
        };
        let echo: <SyncRenameFile as Request>::Response = Decode::decode(&r.to_body()).unwrap();
        assert_eq!(echo, r);
    }

    #[test]
    fn fetch_one_path_binlog_layout() {
        let f = FetchOnePathBinlog { group: "group1".into(), store_path_index: 2 };
        let body = f.to_body();
        assert_eq!(body.len(), 17);
        assert_eq!(body[16], 2);
        assert_eq!(FetchOnePathBinlog::decode(&body).unwrap(), f);
        assert!(FetchOnePathBinlog::decode(&body[..16]).is_err());
        assert_eq!(<FetchOnePathBinlog as Request>::CMD, 26);
    }
}
