//! UPLOAD_FILE_WITH_METADATA (0xF0): an fdfs extension, not a FastDFS
//! command. It stores a normal file and its metadata in one request, so a
//! client that tags every file (the S3 gateway records bucket and key)
//! pays one round trip and one durable step instead of UPLOAD_FILE plus
//! SET_METADATA.
//!
//! Head: store path index 1 + metadata length 8B + file size 8B +
//! extension 6 (no dot, NUL-padded) + the metadata blob (FastDFS encoding,
//! [`Metadata`]); then `file_size` bytes of content, streamed. The reply is
//! UPLOAD_FILE's: group 16 + logic filename.
//!
//! The code sits far above every code FastDFS uses (all below 128), so a
//! FastDFS storage treats it as an unknown command and answers EINVAL (22),
//! or closes the connection when the packet is larger than its buffer. The
//! same command with an **empty body** is a capability probe: an fdfs
//! storage answers an empty success, a FastDFS storage EINVAL. Clients probe
//! once per storage before streaming any content through the extension
//! ([`crate::client::StorageClient::upload_with_metadata`]).

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::error::DecodeError;
use crate::message::{Decode, Encode, Request, Streamed};
use crate::metadata::Metadata;
use crate::storage::fields::{bounded_len, check_ext, read_ext};
use crate::storage::upload::FileIdResponse;
use crate::wire::{PutExt, Reader};

/// Longest metadata blob the extension carries (far above what 64-byte
/// names and 256-byte values need for the tags a client records).
pub const MAX_UPLOAD_META_LEN: usize = 16 * 1024;

/// The fixed fields before the metadata blob.
const FIXED_LEN: usize = 1 + 8 + 8 + 6;

/// Head of UPLOAD_FILE_WITH_METADATA (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UploadWithMetadata {
    /// From the tracker's store reply, or [`super::ANY_STORE_PATH`].
    pub store_path_index: u8,
    /// Bytes of content that follow the head.
    pub file_size: u64,
    /// Extension without the dot: `[A-Za-z0-9._-]{0,6}`.
    pub ext: String,
    /// The metadata stored with the file (as SET_METADATA overwrite would).
    pub metadata: Metadata,
}

impl UploadWithMetadata {
    /// Checks the extension, the metadata limits and the blob size.
    pub fn validate(&self) -> Result<(), DecodeError> {
        check_ext(&self.ext)?;
        self.metadata.validate()?;
        bounded_len(self.metadata.encoded_len() as u64, "metadata", 0, MAX_UPLOAD_META_LEN)?;
        Ok(())
    }
}

impl Encode for UploadWithMetadata {
    fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(FIXED_LEN + self.metadata.encoded_len());
        buf.put_u8(self.store_path_index);
        buf.put_len64(self.metadata.encoded_len() as u64);
        buf.put_len64(self.file_size);
        buf.put_fixed_str(&self.ext, 6);
        self.metadata.encode(buf);
    }
}

impl Decode for UploadWithMetadata {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let store_path_index = r.u8()?;
        let meta_len = bounded_len(r.len64()?, "metadata", 0, MAX_UPLOAD_META_LEN)?;
        let file_size = r.len64()?;
        let ext = read_ext(&mut r)?;
        let metadata = Metadata::from_bytes(r.bytes(meta_len)?);
        r.finish()?;
        Ok(Self { store_path_index, file_size, ext, metadata })
    }
}

impl Request for UploadWithMetadata {
    const CMD: u8 = cmd::UPLOAD_FILE_WITH_METADATA;
    type Response = FileIdResponse;
}

impl Streamed for UploadWithMetadata {
    /// Store path index and the metadata length field.
    const PREFIX_LEN: usize = 1 + 8;
    const MAX_HEAD_LEN: usize = FIXED_LEN + MAX_UPLOAD_META_LEN;

    fn head_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        let mut r = Reader::new(prefix);
        r.u8()?;
        let meta_len = bounded_len(r.len64()?, "metadata", 0, MAX_UPLOAD_META_LEN)?;
        Ok(FIXED_LEN + meta_len)
    }

    fn content_len(&self) -> u64 {
        self.file_size
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_UPLOAD_META_LEN, UploadWithMetadata};
    use crate::message::{Decode, Encode, Request, Streamed};
    use crate::metadata::Metadata;

    fn sample() -> UploadWithMetadata {
        UploadWithMetadata {
            store_path_index: 1,
            file_size: 3,
            ext: "txt".into(),
            metadata: [("s3-bucket", "b"), ("s3-key", "k")].into_iter().collect(),
        }
    }

    #[test]
    fn layout() {
        let up = sample();
        up.validate().unwrap();
        let body = up.to_body();
        assert_eq!(body[0], 1);
        assert_eq!(&body[1..9], &20u64.to_be_bytes());
        assert_eq!(&body[9..17], &3u64.to_be_bytes());
        assert_eq!(&body[17..23], b"txt\0\0\0");
        assert_eq!(&body[23..], b"s3-bucket\x02b\x01s3-key\x02k");
        assert_eq!(UploadWithMetadata::head_len(&body[..9]).unwrap(), body.len());
        assert_eq!(UploadWithMetadata::decode(&body).unwrap(), up);
        assert_eq!(up.content_len(), 3);
        assert_eq!(<UploadWithMetadata as Request>::CMD, 0xF0);
    }

    #[test]
    fn limits() {
        let mut prefix = [0u8; 9];
        prefix[1..].copy_from_slice(&(MAX_UPLOAD_META_LEN as u64 + 1).to_be_bytes());
        assert!(UploadWithMetadata::head_len(&prefix).is_err());
        assert!(UploadWithMetadata::head_len(&[0; 8]).is_err());
        let mut body = sample().to_body();
        body[8] += 1; // meta_len one longer than the blob
        assert!(UploadWithMetadata::decode(&body).is_err());
        let big = UploadWithMetadata {
            metadata: (0..100).map(|i| (format!("n{i}"), "v".repeat(200))).collect(),
            ..sample()
        };
        assert!(big.validate().is_err());
        let bad = UploadWithMetadata { metadata: Metadata::from_bytes(b"a\x02\0"), ..sample() };
        assert!(bad.validate().is_err());
    }
}
