//! Uploads: UPLOAD_FILE (11), UPLOAD_APPENDER_FILE (23), UPLOAD_SLAVE_FILE
//! (21), and the file-id reply they share with REGENERATE_APPENDER_FILENAME
//! and CREATE_LINK.
//!
//! The request structs hold only the head; the file content follows it in
//! the same packet and is streamed ([`Streamed`]).

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::GROUP_NAME_MAX_LEN;
use crate::error::DecodeError;
use crate::message::{Decode, Encode, Request, Streamed};
use crate::storage::fields::{
    check_ext, check_group, check_name, check_prefix, len_field, put_group, read_ext, read_group,
    read_name, read_name_len, read_prefix, read_rest_name,
};
use crate::wire::{PutExt, Reader};

/// `store_path_index` value that lets the storage choose the store path.
pub const ANY_STORE_PATH: u8 = 0xFF;

/// Head of UPLOAD_FILE (11) and UPLOAD_APPENDER_FILE (23): store path
/// index 1 + file size 8B + extension 6 (no dot, NUL-padded) = 15 bytes,
/// followed by `file_size` bytes of content.
///
/// Use the aliases [`UploadFile`] and [`UploadAppenderFile`]; `CMD` is the
/// command code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Upload<const CMD: u8> {
    /// From the tracker's store reply, or [`ANY_STORE_PATH`].
    pub store_path_index: u8,
    /// Bytes of content that follow the head.
    pub file_size: u64,
    /// Extension without the dot: `[A-Za-z0-9._-]{0,6}`.
    pub ext: String,
}

/// UPLOAD_FILE (11): store a normal file.
pub type UploadFile = Upload<{ cmd::UPLOAD_FILE }>;
/// UPLOAD_APPENDER_FILE (23): store a file that can later be appended to,
/// modified and truncated.
pub type UploadAppenderFile = Upload<{ cmd::UPLOAD_APPENDER_FILE }>;

/// Length of the upload head.
pub const UPLOAD_HEAD_LEN: usize = 1 + 8 + 6;

impl<const CMD: u8> Upload<CMD> {
    /// Checks the extension, which a storage would refuse with EINVAL.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_ext(&self.ext)
    }
}

impl<const CMD: u8> Encode for Upload<CMD> {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.store_path_index);
        buf.put_len64(self.file_size);
        buf.put_fixed_str(&self.ext, 6);
    }
}

impl<const CMD: u8> Decode for Upload<CMD> {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let store_path_index = r.u8()?;
        let file_size = r.len64()?;
        let ext = read_ext(&mut r)?;
        r.finish()?;
        Ok(Self { store_path_index, file_size, ext })
    }
}

impl<const CMD: u8> Request for Upload<CMD> {
    const CMD: u8 = CMD;
    type Response = FileIdResponse;
}

impl<const CMD: u8> Streamed for Upload<CMD> {
    const PREFIX_LEN: usize = UPLOAD_HEAD_LEN;

    fn head_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        Reader::new(prefix).bytes(UPLOAD_HEAD_LEN)?;
        Ok(UPLOAD_HEAD_LEN)
    }

    fn content_len(&self) -> u64 {
        self.file_size
    }
}

/// UPLOAD_SLAVE_FILE (21): store a file named after an existing master file
/// (`<master name without ext><prefix>.<ext>`).
///
/// Head: master filename length 8B + file size 8B + prefix 16 + extension 6
/// + master logic filename; then `file_size` bytes of content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UploadSlaveFile {
    /// The master's logic filename (`M00/...`), 1..=127 bytes.
    pub master_filename: String,
    /// Bytes of content that follow the head.
    pub file_size: u64,
    /// Slave prefix, `[A-Za-z0-9._-]{0,16}` (e.g. `_small`).
    pub prefix: String,
    /// Extension without the dot; empty keeps the master's.
    pub ext: String,
}

/// Fixed part of the slave upload head (before the master filename).
const SLAVE_FIXED_LEN: usize = 8 + 8 + 16 + 6;

impl UploadSlaveFile {
    /// Checks the master filename, prefix and extension.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_name("master filename", &self.master_filename)?;
        check_prefix(&self.prefix)?;
        check_ext(&self.ext)
    }
}

impl Encode for UploadSlaveFile {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(len_field(&self.master_filename));
        buf.put_len64(self.file_size);
        buf.put_fixed_str(&self.prefix, 16);
        buf.put_fixed_str(&self.ext, 6);
        buf.extend_from_slice(self.master_filename.as_bytes());
    }
}

impl Decode for UploadSlaveFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let name_len = read_name_len(&mut r, "master filename", 1)?;
        let file_size = r.len64()?;
        let prefix = read_prefix(&mut r)?;
        let ext = read_ext(&mut r)?;
        let master_filename = read_name(&mut r, name_len, "master filename")?;
        r.finish()?;
        Ok(Self { master_filename, file_size, prefix, ext })
    }
}

impl Request for UploadSlaveFile {
    const CMD: u8 = cmd::UPLOAD_SLAVE_FILE;
    type Response = FileIdResponse;
}

impl Streamed for UploadSlaveFile {
    /// The master filename length field.
    const PREFIX_LEN: usize = 8;

    fn head_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        let name_len = read_name_len(&mut Reader::new(prefix), "master filename", 1)?;
        Ok(SLAVE_FIXED_LEN + name_len)
    }

    fn content_len(&self) -> u64 {
        self.file_size
    }
}

/// The reply naming a stored file: group 16 + logic filename. Sent for
/// uploads (11, 21, 23), REGENERATE_APPENDER_FILENAME (38) and CREATE_LINK
/// (20).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileIdResponse {
    /// The storage's group.
    pub group: String,
    /// Logic filename (`M00/00/00/...`), 1..=127 bytes.
    pub filename: String,
}

impl FileIdResponse {
    /// The full file ID, `group/filename`.
    pub fn file_id(&self) -> String {
        format!("{}/{}", self.group, self.filename)
    }

    /// Checks the group and filename.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_group(&self.group)?;
        check_name("filename", &self.filename)
    }
}

impl Encode for FileIdResponse {
    fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(GROUP_NAME_MAX_LEN + self.filename.len());
        put_group(buf, &self.group);
        buf.extend_from_slice(self.filename.as_bytes());
    }
}

impl Decode for FileIdResponse {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let group = read_group(&mut r)?;
        let filename = read_rest_name(&mut r, "filename")?;
        Ok(Self { group, filename })
    }
}

#[cfg(test)]
mod tests {
    use super::{FileIdResponse, UploadFile, UploadSlaveFile};
    use crate::message::{Decode, Encode, Streamed};

    #[test]
    fn upload_matches_the_worked_example() {
        // fastdfs-protocol.md §11: upload "hi\n" with ext txt.
        let up = UploadFile { store_path_index: 0, file_size: 3, ext: "txt".into() };
        assert_eq!(&up.to_body()[..], b"\0\0\0\0\0\0\0\0\x03txt\0\0\0");
        assert_eq!(UploadFile::head_len(&up.to_body()).unwrap(), 15);
        assert_eq!(up.content_len(), 3);
    }

    #[test]
    fn bad_fields_are_rejected() {
        let mut body =
            UploadFile { store_path_index: 0, file_size: 3, ext: "txt".into() }.to_body();
        body[10] = b'/';
        assert!(UploadFile::decode(&body).is_err());
        assert!(UploadFile::head_len(&[0; 14]).is_err());
        let mut neg = [0u8; 15];
        neg[1] = 0x80;
        assert!(UploadFile::decode(&neg).is_err());
        // A master filename length beyond 127 is refused before reading.
        assert!(UploadSlaveFile::head_len(&[0, 0, 0, 0, 0, 0, 0, 128]).is_err());
        assert!(UploadSlaveFile::head_len(&[0, 0, 0, 0, 0, 0, 1, 0]).is_err());
        assert!(FileIdResponse::decode(b"group1").is_err());
        assert!(FileIdResponse::decode(&[0; 16]).is_err());
    }

    #[test]
    fn slave_validate() {
        let ok = UploadSlaveFile {
            master_filename: "M00/00/00/a.txt".into(),
            file_size: 1,
            prefix: "_s".into(),
            ext: "jpg".into(),
        };
        ok.validate().unwrap();
        assert!(UploadSlaveFile { prefix: "x/y".into(), ..ok.clone() }.validate().is_err());
        assert!(UploadSlaveFile { master_filename: String::new(), ..ok }.validate().is_err());
    }
}
