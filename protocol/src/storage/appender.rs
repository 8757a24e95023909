//! Appender-file commands — APPEND_FILE (24), MODIFY_FILE (34),
//! TRUNCATE_FILE (36), REGENERATE_APPENDER_FILENAME (38) — and CREATE_LINK
//! (20, FastDFS's deduplication link).
//!
//! Append, modify and truncate carry **no group name**: only the appender's
//! source storage serves them. Append and modify stream their bytes after
//! the head ([`Streamed`]).

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{FILE_EXT_NAME_MAX_LEN, FILE_PREFIX_MAX_LEN};
use crate::error::DecodeError;
use crate::message::{Decode, Empty, Encode, Request, Streamed};
use crate::storage::fields::{
    bounded_len, check_ext, check_group, check_name, check_name_len, check_prefix, len_field,
    put_group, read_ext, read_group, read_name, read_name_len, read_prefix, read_rest_name,
};
use crate::storage::upload::FileIdResponse;
use crate::wire::{PutExt, Reader};

/// APPEND_FILE (24): filename length 8B + append length 8B + appender
/// logic filename, then `append_len` bytes. Empty reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppendFile {
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
    /// Bytes that follow the head.
    pub append_len: u64,
}

impl AppendFile {
    /// Checks the filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_name("filename", &self.filename)
    }
}

impl Encode for AppendFile {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(len_field(&self.filename));
        buf.put_len64(self.append_len);
        buf.extend_from_slice(self.filename.as_bytes());
    }
}

impl Decode for AppendFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let name_len = read_name_len(&mut r, "filename", 1)?;
        let append_len = r.len64()?;
        let filename = read_name(&mut r, name_len, "filename")?;
        r.finish()?;
        Ok(Self { filename, append_len })
    }
}

impl Request for AppendFile {
    const CMD: u8 = cmd::APPEND_FILE;
    type Response = Empty;
}

impl Streamed for AppendFile {
    /// The filename length field.
    const PREFIX_LEN: usize = 8;

    fn head_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        Ok(16 + read_name_len(&mut Reader::new(prefix), "filename", 1)?)
    }

    fn content_len(&self) -> u64 {
        self.append_len
    }
}

/// MODIFY_FILE (34): filename length 8B + offset 8B + length 8B + appender
/// logic filename, then `modify_len` bytes written at `offset` (which must
/// not exceed the current size). Empty reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModifyFile {
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
    /// Where the bytes start in the file.
    pub offset: u64,
    /// Bytes that follow the head.
    pub modify_len: u64,
}

impl ModifyFile {
    /// Checks the filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_name("filename", &self.filename)
    }
}

impl Encode for ModifyFile {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(len_field(&self.filename));
        buf.put_len64(self.offset);
        buf.put_len64(self.modify_len);
        buf.extend_from_slice(self.filename.as_bytes());
    }
}

impl Decode for ModifyFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let name_len = read_name_len(&mut r, "filename", 1)?;
        let offset = r.len64()?;
        let modify_len = r.len64()?;
        let filename = read_name(&mut r, name_len, "filename")?;
        r.finish()?;
        Ok(Self { filename, offset, modify_len })
    }
}

impl Request for ModifyFile {
    const CMD: u8 = cmd::MODIFY_FILE;
    type Response = Empty;
}

impl Streamed for ModifyFile {
    /// The filename length field.
    const PREFIX_LEN: usize = 8;

    fn head_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        Ok(24 + read_name_len(&mut Reader::new(prefix), "filename", 1)?)
    }

    fn content_len(&self) -> u64 {
        self.modify_len
    }
}

/// TRUNCATE_FILE (36): filename length 8B + new size 8B + appender logic
/// filename. Empty reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TruncateFile {
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
    /// The size after truncation.
    pub new_size: u64,
}

impl TruncateFile {
    /// Checks the filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_name("filename", &self.filename)
    }
}

impl Encode for TruncateFile {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(len_field(&self.filename));
        buf.put_len64(self.new_size);
        buf.extend_from_slice(self.filename.as_bytes());
    }
}

impl Decode for TruncateFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let name_len = read_name_len(&mut r, "filename", 1)?;
        let new_size = r.len64()?;
        let filename = read_name(&mut r, name_len, "filename")?;
        r.finish()?;
        Ok(Self { filename, new_size })
    }
}

impl Request for TruncateFile {
    const CMD: u8 = cmd::TRUNCATE_FILE;
    type Response = Empty;
}

/// REGENERATE_APPENDER_FILENAME (38): the whole body is the appender's
/// logic filename. The reply names the file as a normal file (same subdir
/// and extension part, new base64 carrying the real size and CRC32).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegenerateAppenderFilename {
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
}

impl RegenerateAppenderFilename {
    /// Checks the filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_name("filename", &self.filename)
    }
}

impl Encode for RegenerateAppenderFilename {
    fn encode(&self, buf: &mut BytesMut) {
        buf.extend_from_slice(self.filename.as_bytes());
    }
}

impl Decode for RegenerateAppenderFilename {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let filename = read_rest_name(&mut r, "filename")?;
        Ok(Self { filename })
    }
}

impl Request for RegenerateAppenderFilename {
    const CMD: u8 = cmd::REGENERATE_APPENDER_FILENAME;
    type Response = FileIdResponse;
}

/// Longest source-file signature CREATE_LINK accepts.
pub const MAX_SIGNATURE_LEN: usize = 63;
/// FastDFS's bound on master + source + signature lengths together.
pub const MAX_LINK_NAMES_LEN: usize = 256;

/// CREATE_LINK (20): master length 8B + source length 8B + signature
/// length 8B + group 16 + prefix 16 + extension 6 + master filename
/// (may be empty) + source filename + signature. Creates a link to an
/// existing file with the same content (deduplication, `check_file_duplicate`).
/// The reply names the link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreateLink {
    /// The group name (16-byte field).
    pub group: String,
    /// Slave prefix when `master_filename` is set.
    pub prefix: String,
    /// Extension without the dot, `[A-Za-z0-9._-]{0,6}`.
    pub ext: String,
    /// Master logic filename for a slave link, or empty.
    pub master_filename: String,
    /// The existing file the link points to.
    pub src_filename: String,
    /// The content signature (1..=63 bytes).
    pub signature: Vec<u8>,
}

/// Fixed part of a CREATE_LINK body.
const CREATE_LINK_FIXED_LEN: usize = 3 * 8 + 16 + FILE_PREFIX_MAX_LEN + FILE_EXT_NAME_MAX_LEN;

impl CreateLink {
    /// Checks every field against the storage's limits.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)?;
        check_prefix(&self.prefix)?;
        check_ext(&self.ext)?;
        check_name_len("master filename", &self.master_filename, 0)?;
        check_name("source filename", &self.src_filename)?;
        bounded_len(self.signature.len() as u64, "signature", 1, MAX_SIGNATURE_LEN)?;
        let total = self.master_filename.len() + self.src_filename.len() + self.signature.len();
        bounded_len(total as u64, "link names", 0, MAX_LINK_NAMES_LEN)?;
        Ok(())
    }
}

impl Encode for CreateLink {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(len_field(&self.master_filename));
        buf.put_len64(len_field(&self.src_filename));
        buf.put_len64(self.signature.len() as u64);
        put_group(buf, &self.group);
        buf.put_fixed_str(&self.prefix, FILE_PREFIX_MAX_LEN);
        buf.put_fixed_str(&self.ext, FILE_EXT_NAME_MAX_LEN);
        buf.extend_from_slice(self.master_filename.as_bytes());
        buf.extend_from_slice(self.src_filename.as_bytes());
        buf.put_slice(&self.signature);
    }
}

impl Decode for CreateLink {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let master_len = read_name_len(&mut r, "master filename", 0)?;
        let src_len = read_name_len(&mut r, "source filename", 1)?;
        let sig_len = bounded_len(r.len64()?, "signature", 1, MAX_SIGNATURE_LEN)?;
        bounded_len((master_len + src_len + sig_len) as u64, "link names", 0, MAX_LINK_NAMES_LEN)?;
        if body.len() != CREATE_LINK_FIXED_LEN + master_len + src_len + sig_len {
            return Err(DecodeError::BadLength { what: "create link", len: body.len() as u64 });
        }
        let group = read_group(&mut r)?;
        let prefix = read_prefix(&mut r)?;
        let ext = read_ext(&mut r)?;
        let master_filename = read_name(&mut r, master_len, "master filename")?;
        let src_filename = read_name(&mut r, src_len, "source filename")?;
        let signature = r.bytes(sig_len)?.to_vec();
        r.finish()?;
        Ok(Self { group, prefix, ext, master_filename, src_filename, signature })
    }
}

impl Request for CreateLink {
    const CMD: u8 = cmd::CREATE_LINK;
    type Response = FileIdResponse;
}

#[cfg(test)]
mod tests {
    use super::{AppendFile, CreateLink, ModifyFile};
    use crate::message::{Decode, Encode, Streamed};

    fn link() -> CreateLink {
        CreateLink {
            group: "group1".into(),
            prefix: String::new(),
            ext: "jpg".into(),
            master_filename: String::new(),
            src_filename: "M00/00/00/fwAAAmsH8mKAFnOWAAABIhqN0Rk449.jpg".into(),
            signature: b"0123456789abcdef".to_vec(),
        }
    }

    #[test]
    fn create_link_round_trip_and_lengths() {
        let l = link();
        l.validate().unwrap();
        let body = l.to_body();
        assert_eq!(body.len(), 62 + 44 + 16);
        assert_eq!(&body[8..16], &44u64.to_be_bytes());
        assert_eq!(&body[16..24], &16u64.to_be_bytes());
        assert_eq!(&body[24..30], b"group1");
        assert_eq!(CreateLink::decode(&body).unwrap(), l);
        let slave =
            CreateLink { master_filename: "M00/00/00/m.jpg".into(), prefix: "_s".into(), ..l };
        assert_eq!(CreateLink::decode(&slave.to_body()).unwrap(), slave);
    }

    #[test]
    fn create_link_limits() {
        let mut body = link().to_body();
        body.extend_from_slice(b"x");
        assert!(CreateLink::decode(&body).is_err());
        assert!(CreateLink { signature: Vec::new(), ..link() }.validate().is_err());
        assert!(CreateLink { signature: vec![b'x'; 64], ..link() }.validate().is_err());
        let long = CreateLink {
            master_filename: "m".repeat(127),
            src_filename: "s".repeat(127),
            signature: vec![b'x'; 3],
            ..link()
        };
        assert!(long.validate().is_err());
        assert!(CreateLink::decode(&long.to_body()).is_err());
    }

    #[test]
    fn head_lengths() {
        let a = AppendFile { filename: "M00/00/00/a.log".into(), append_len: 5 };
        let body = a.to_body();
        assert_eq!(AppendFile::head_len(&body[..8]).unwrap(), body.len());
        assert_eq!(a.content_len(), 5);
        let m = ModifyFile { filename: "M00/00/00/a.log".into(), offset: 1, modify_len: 2 };
        let body = m.to_body();
        assert_eq!(ModifyFile::head_len(&body[..8]).unwrap(), body.len());
        assert!(ModifyFile::head_len(&[0; 7]).is_err());
    }
}
