//! Commands that address a stored file by group + logic filename:
//! DOWNLOAD_FILE (14), QUERY_FILE_INFO (22), DELETE_FILE (12),
//! GET_METADATA (15) and SET_METADATA (13).
//!
//! A download reply is the file's bytes, streamed by the connection; its
//! typed response is [`Raw`], used only for bodies small enough to hold.

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{GROUP_NAME_MAX_LEN, IP_ADDRESS_SIZE, IPV4_ADDRESS_SIZE};
use crate::error::DecodeError;
use crate::ip_width::{EncodeWidth, IpWidth};
use crate::message::{Decode, Empty, Encode, Raw, Request};
use crate::metadata::{MetaOp, Metadata};
use crate::storage::fields::{
    check_group, check_name, len_field, put_group, read_group, read_name, read_name_len,
    read_rest_name,
};
use crate::wire::{PutExt, Reader};

/// The body shared by DELETE_FILE, GET_METADATA and QUERY_FILE_INFO:
/// group 16 + logic filename (rest of the body).
fn encode_file_ref(buf: &mut BytesMut, group: &str, filename: &str) {
    buf.reserve(GROUP_NAME_MAX_LEN + filename.len());
    put_group(buf, group);
    buf.extend_from_slice(filename.as_bytes());
}

fn decode_file_ref(body: &[u8]) -> Result<(String, String), DecodeError> {
    let mut r = Reader::new(body);
    let group = read_group(&mut r)?;
    let filename = read_rest_name(&mut r, "filename")?;
    Ok((group, filename))
}

fn check_file_ref(group: &str, filename: &str) -> Result<(), DecodeError> {
    check_group(group)?;
    check_name("filename", filename)
}

/// DOWNLOAD_FILE (14): offset 8B + length 8B (0 = to the end) + group 16 +
/// logic filename. The reply body is the file's bytes (length clipped to
/// the end of the file); an offset at or beyond the size fails with EINVAL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DownloadFile {
    /// First byte to send.
    pub offset: u64,
    /// Bytes wanted; 0 means up to the end.
    pub length: u64,
    /// The group name (16-byte field).
    pub group: String,
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
}

impl DownloadFile {
    /// Checks the group and filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_file_ref(&self.group, &self.filename)
    }
}

impl Encode for DownloadFile {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(self.offset);
        buf.put_len64(self.length);
        encode_file_ref(buf, &self.group, &self.filename);
    }
}

impl Decode for DownloadFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let offset = r.len64()?;
        let length = r.len64()?;
        let group = read_group(&mut r)?;
        let filename = read_rest_name(&mut r, "filename")?;
        Ok(Self { offset, length, group, filename })
    }
}

impl Request for DownloadFile {
    const CMD: u8 = cmd::DOWNLOAD_FILE;
    /// The file bytes; a connection streams them instead of decoding.
    type Response = Raw;
}

/// QUERY_FILE_INFO (22): group 16 + logic filename.
///
/// The request carries [`QueryFileInfo::flags`] in the **header's status
/// byte**, not in the body: the caller must build the header with
/// `status = flags` (see [`QueryFileInfo::header_status`]), and a server
/// must copy the received header status into `flags` after decoding
/// (decoding the body alone yields `flags = 0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueryFileInfo {
    /// [`QueryFileInfo::NO_CRC32`] | [`QueryFileInfo::NO_LOG_MISSING`];
    /// travels in the header status byte.
    pub flags: u8,
    /// The group name (16-byte field).
    pub group: String,
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
}

impl QueryFileInfo {
    /// Flag: do not compute the CRC32 of appender/slave files (reply 0).
    pub const NO_CRC32: u8 = 1;
    /// Flag: do not log a missing file.
    pub const NO_LOG_MISSING: u8 = 2;

    /// The status byte for the request header.
    pub fn header_status(&self) -> u8 {
        self.flags
    }

    /// Checks the group and filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_file_ref(&self.group, &self.filename)
    }
}

impl Encode for QueryFileInfo {
    fn encode(&self, buf: &mut BytesMut) {
        encode_file_ref(buf, &self.group, &self.filename);
    }
}

impl Decode for QueryFileInfo {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (group, filename) = decode_file_ref(body)?;
        Ok(Self { flags: 0, group, filename })
    }
}

impl Request for QueryFileInfo {
    const CMD: u8 = cmd::QUERY_FILE_INFO;
    type Response = FileInfo;
}

/// Reply to QUERY_FILE_INFO: file size 8B + create time 8B + CRC32 8B
/// (sign-extended int32) + source IP. The IP field is 16 bytes for IPv4
/// addresses (40-byte body) and 46 with IPv6 width (70 bytes, always with
/// [`IpWidth::Ipv6`]); decoding also accepts the 15/45-byte query widths.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileInfo {
    /// Size of the file in bytes.
    pub file_size: u64,
    /// Unix seconds (the stored file's mtime).
    pub create_time: i64,
    /// CRC32 of the content (0 when not computed).
    pub crc32: u32,
    /// The source storage's address.
    pub source_ip: String,
}

/// Bytes before the IP field of a [`FileInfo`].
const FILE_INFO_FIXED_LEN: usize = 24;

impl FileInfo {
    /// The IP field width encoding uses: 46 when asked for, else 16 when
    /// the address fits (IPv4), else 46.
    fn ip_width(&self, width: IpWidth) -> usize {
        if width == IpWidth::Auto && self.source_ip.len() < IPV4_ADDRESS_SIZE {
            IPV4_ADDRESS_SIZE
        } else {
            IP_ADDRESS_SIZE
        }
    }

    /// Checks that the address fits the IPv6-width field.
    pub fn validate(&self) -> Result<(), DecodeError> {
        if self.source_ip.len() >= IP_ADDRESS_SIZE || self.source_ip.as_bytes().contains(&0) {
            return Err(DecodeError::invalid("source ip", format!("{:?}", self.source_ip)));
        }
        Ok(())
    }
}

impl Encode for FileInfo {
    fn encode(&self, buf: &mut BytesMut) {
        self.encode_with(buf, IpWidth::Auto);
    }
}

impl EncodeWidth for FileInfo {
    fn encode_with(&self, buf: &mut BytesMut, width: IpWidth) {
        buf.put_len64(self.file_size);
        buf.put_i64_be(self.create_time);
        // FastDFS sends its int CRC through long2buff: sign-extended.
        buf.put_i64_be(i64::from(self.crc32 as i32));
        buf.put_fixed_str(&self.source_ip, self.ip_width(width));
    }
}

impl Decode for FileInfo {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let ip_width = body.len().saturating_sub(FILE_INFO_FIXED_LEN);
        if ![15, 16, 45, 46].contains(&ip_width) {
            return Err(DecodeError::BadLength { what: "file info", len: body.len() as u64 });
        }
        let mut r = Reader::new(body);
        let file_size = r.len64()?;
        let create_time = r.i64()?;
        let raw_crc = r.i64()?;
        // Sign-extended (FastDFS) or zero-extended: both name a 32-bit CRC.
        let crc32 = if let Ok(v) = i32::try_from(raw_crc) {
            v as u32
        } else {
            u32::try_from(raw_crc)
                .map_err(|_| DecodeError::invalid("crc32", format!("{raw_crc:#x}")))?
        };
        let source_ip = r.fixed_str(ip_width)?;
        r.finish()?;
        Ok(Self { file_size, create_time, crc32, source_ip })
    }
}

/// DELETE_FILE (12): group 16 + logic filename; empty reply (ENOENT when
/// missing). Also removes the file's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeleteFile {
    /// The group name (16-byte field).
    pub group: String,
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
}

impl DeleteFile {
    /// Checks the group and filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_file_ref(&self.group, &self.filename)
    }
}

impl Encode for DeleteFile {
    fn encode(&self, buf: &mut BytesMut) {
        encode_file_ref(buf, &self.group, &self.filename);
    }
}

impl Decode for DeleteFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (group, filename) = decode_file_ref(body)?;
        Ok(Self { group, filename })
    }
}

impl Request for DeleteFile {
    const CMD: u8 = cmd::DELETE_FILE;
    type Response = Empty;
}

/// GET_METADATA (15): group 16 + logic filename; the reply is the metadata
/// blob (sorted by name); ENOENT when the file has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GetMetadata {
    /// The group name (16-byte field).
    pub group: String,
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
}

impl GetMetadata {
    /// Checks the group and filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_file_ref(&self.group, &self.filename)
    }
}

impl Encode for GetMetadata {
    fn encode(&self, buf: &mut BytesMut) {
        encode_file_ref(buf, &self.group, &self.filename);
    }
}

impl Decode for GetMetadata {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (group, filename) = decode_file_ref(body)?;
        Ok(Self { group, filename })
    }
}

impl Request for GetMetadata {
    const CMD: u8 = cmd::GET_METADATA;
    type Response = Metadata;
}

/// SET_METADATA (13): filename length 8B + metadata length 8B + op flag 1
/// (`'O'`/`'M'`) + group 16 + logic filename + metadata blob; empty reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetMetadata {
    /// Overwrite or merge.
    pub op: MetaOp,
    /// The group name (16-byte field).
    pub group: String,
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
    /// The pairs to store.
    pub metadata: Metadata,
}

impl SetMetadata {
    /// Checks the group, filename and metadata limits.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_file_ref(&self.group, &self.filename)?;
        self.metadata.validate()
    }
}

impl Encode for SetMetadata {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(len_field(&self.filename));
        buf.put_len64(self.metadata.encoded_len() as u64);
        buf.put_u8(self.op.as_byte());
        encode_file_ref(buf, &self.group, &self.filename);
        self.metadata.encode(buf);
    }
}

impl Decode for SetMetadata {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let name_len = read_name_len(&mut r, "filename", 1)?;
        let meta_len = r.len64()?;
        let op = MetaOp::from_byte(r.u8()?)?;
        let group = read_group(&mut r)?;
        let filename = read_name(&mut r, name_len, "filename")?;
        if meta_len != r.remaining() as u64 {
            return Err(DecodeError::BadLength { what: "metadata", len: meta_len });
        }
        let metadata = Metadata::from_bytes(r.rest());
        Ok(Self { op, group, filename, metadata })
    }
}

impl Request for SetMetadata {
    const CMD: u8 = cmd::SET_METADATA;
    type Response = Empty;
}

#[cfg(test)]
mod tests {
    use super::{FileInfo, QueryFileInfo, SetMetadata};
    use crate::ip_width::{EncodeWidth, IpWidth};
    use crate::message::{Decode, Encode};

    #[test]
    fn file_info_crc_is_sign_extended() {
        let info = FileInfo {
            file_size: 7,
            create_time: 1_795_682_912,
            crc32: 0xf6c1_3655,
            source_ip: "127.0.0.2".into(),
        };
        let body = info.to_body();
        assert_eq!(body.len(), 40);
        assert_eq!(&body[16..24], &[0xff, 0xff, 0xff, 0xff, 0xf6, 0xc1, 0x36, 0x55]);
        assert_eq!(FileInfo::decode(&body).unwrap(), info);
        // A zero-extended CRC is read as the same value.
        let mut zero_ext = body.to_vec();
        zero_ext[16..20].copy_from_slice(&[0; 4]);
        assert_eq!(FileInfo::decode(&zero_ext).unwrap(), info);
        // Anything wider is not a CRC32.
        let mut bad = body.to_vec();
        bad[16] = 0x7f;
        assert!(FileInfo::decode(&bad).is_err());
    }

    #[test]
    fn file_info_ip_widths() {
        let v6 = FileInfo {
            file_size: 1,
            create_time: 2,
            crc32: 3,
            source_ip: "fe80::1234:5678:9abc:def0".into(),
        };
        assert_eq!(v6.to_body().len(), 70);
        assert_eq!(FileInfo::decode(&v6.to_body()).unwrap(), v6);
        let v4 = FileInfo { source_ip: "10.0.0.1".into(), ..v6 };
        let body = v4.to_body();
        assert_eq!(FileInfo::decode(&body[..39]).unwrap(), v4);
        let mut wide = body.to_vec();
        wide.resize(24 + 45, 0);
        assert_eq!(FileInfo::decode(&wide).unwrap(), v4);
        assert!(FileInfo::decode(&body[..38]).is_err());
        assert!(FileInfo::decode(&[0; 50]).is_err());
        // Forced IPv6 width, as a tracker with response_ip_addr_size = 46.
        assert_eq!(v4.to_body_with(IpWidth::Auto), body);
        let wide = v4.to_body_with(IpWidth::Ipv6);
        assert_eq!(wide.len(), 24 + 46);
        assert_eq!(&wide[..40 - 16], &body[..24]);
        assert_eq!(FileInfo::decode(&wide).unwrap(), v4);
    }

    #[test]
    fn query_flags_stay_out_of_the_body() {
        let q = QueryFileInfo { flags: 3, group: "group1".into(), filename: "M00/x".into() };
        assert_eq!(q.to_body().len(), 16 + 5);
        assert_eq!(q.header_status(), 3);
        assert_eq!(QueryFileInfo::decode(&q.to_body()).unwrap().flags, 0);
    }

    #[test]
    fn set_metadata_checks_meta_len() {
        let mut body = SetMetadata {
            op: crate::metadata::MetaOp::Merge,
            group: "group1".into(),
            filename: "M00/x".into(),
            metadata: [("a", "b")].into_iter().collect(),
        }
        .to_body();
        assert!(SetMetadata::decode(&body).is_ok());
        body[15] += 1;
        assert!(SetMetadata::decode(&body).is_err());
        body[15] -= 1;
        body[16] = b'Z';
        assert!(SetMetadata::decode(&body).is_err());
    }
}
