//! The 10-byte header that starts every FastDFS request and response.
//!
//! Layout: `pkg_len` (signed 64-bit big-endian, body length without the
//! header), `cmd` (1 byte), `status` (1 byte). Check and parse are separate so
//! a server can validate a header before it commits to reading the body, and
//! the body itself is never read here: a packet may carry gigabytes.

use crate::error::DecodeError;

/// Size of the header on the wire.
pub const HEADER_LEN: usize = 10;

/// A decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Length of the body that follows the header.
    pub pkg_len: u64,
    /// Command code; every response carries [`crate::cmd::RESP`].
    pub cmd: u8,
    /// 0 in requests (with the documented exceptions); an errno in responses.
    pub status: u8,
}

impl Header {
    /// A request header with status 0.
    pub const fn request(cmd: u8, pkg_len: u64) -> Self {
        Self { pkg_len, cmd, status: 0 }
    }

    /// A success response header.
    pub const fn response(pkg_len: u64) -> Self {
        Self { pkg_len, cmd: crate::cmd::RESP, status: 0 }
    }

    /// An error response header: status set, no body.
    pub const fn error(status: u8) -> Self {
        Self { pkg_len: 0, cmd: crate::cmd::RESP, status }
    }

    /// Encodes the header into its 10 wire bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(&self.pkg_len.to_be_bytes());
        out[8] = self.cmd;
        out[9] = self.status;
        out
    }

    /// Decodes a header. A negative `pkg_len` (bit 63 set) is rejected: FastDFS
    /// treats the field as signed and no valid packet is that large.
    pub fn from_bytes(buf: &[u8; HEADER_LEN]) -> Result<Self, DecodeError> {
        let mut len = [0u8; 8];
        len.copy_from_slice(&buf[..8]);
        let pkg_len = i64::from_be_bytes(len);
        if pkg_len < 0 {
            return Err(DecodeError::NegativeLength(pkg_len));
        }
        Ok(Self { pkg_len: pkg_len as u64, cmd: buf[8], status: buf[9] })
    }

    /// Decodes a header from the front of `buf`, which must hold at least
    /// [`HEADER_LEN`] bytes.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let head: &[u8; HEADER_LEN] = buf
            .get(..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(DecodeError::Truncated { needed: HEADER_LEN, available: buf.len() })?;
        Self::from_bytes(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_worked_example() {
        // Query store in group2 (cmd 104), from fastdfs-protocol.md §11.
        let bytes = [0, 0, 0, 0, 0, 0, 0, 0x10, 0x68, 0];
        let h = Header::decode(&bytes).unwrap();
        assert_eq!(h, Header::request(104, 16));
        assert_eq!(h.to_bytes(), bytes);
    }

    #[test]
    fn rejects_negative_and_short() {
        let neg = [0xff; HEADER_LEN];
        assert!(matches!(Header::decode(&neg), Err(DecodeError::NegativeLength(_))));
        assert!(matches!(Header::decode(&[0; 9]), Err(DecodeError::Truncated { .. })));
    }
}
