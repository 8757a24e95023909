//! Fixed-width field codecs: a bounds-checked [`Reader`] over a body and
//! [`PutExt`] helpers for encoding into a `BytesMut`.
//!
//! Every read checks the remaining length first and returns
//! [`DecodeError::Truncated`] instead of panicking; nothing here allocates
//! more than the bytes actually present.

use bytes::{BufMut, BytesMut};

use crate::error::DecodeError;

/// A cursor over a received body.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated { needed: self.pos + n, available: self.buf.len() });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub fn i8(&mut self) -> Result<i8, DecodeError> {
        Ok(self.u8()? as i8)
    }

    /// A 4-byte big-endian signed integer (`buff2int`).
    pub fn i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    /// An 8-byte big-endian signed integer (`buff2long`).
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// An 8-byte length or size field, which must not be negative.
    pub fn len64(&mut self) -> Result<u64, DecodeError> {
        let v = self.i64()?;
        u64::try_from(v).map_err(|_| DecodeError::NegativeLength(v))
    }

    /// A NUL-padded fixed-width string: the bytes up to the first NUL (later
    /// bytes are ignored, as FastDFS does — they were seen carrying stale data).
    pub fn fixed_str(&mut self, width: usize) -> Result<String, DecodeError> {
        let raw = self.bytes(width)?;
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        String::from_utf8(raw[..end].to_vec())
            .map_err(|_| DecodeError::invalid("fixed-width string", "not UTF-8"))
    }

    /// A variable-length string of `n` bytes (no terminator).
    pub fn str(&mut self, n: usize) -> Result<String, DecodeError> {
        let raw = self.bytes(n)?;
        String::from_utf8(raw.to_vec()).map_err(|_| DecodeError::invalid("string", "not UTF-8"))
    }

    /// Everything not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    /// The rest as a string.
    pub fn rest_str(&mut self) -> Result<String, DecodeError> {
        let n = self.remaining();
        self.str(n)
    }

    /// Fails if bytes are left over.
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(DecodeError::TrailingBytes { extra }),
        }
    }
}

/// Encoding helpers for the protocol's field types.
pub trait PutExt {
    /// A NUL-padded fixed-width string; a longer value is cut to `width`
    /// (validated types never are).
    fn put_fixed_str(&mut self, s: &str, width: usize);
    /// Raw bytes NUL-padded (or cut) to `width`.
    fn put_fixed_bytes(&mut self, b: &[u8], width: usize);
    /// An 8-byte big-endian integer.
    fn put_i64_be(&mut self, v: i64);
    /// A non-negative 8-byte length.
    fn put_len64(&mut self, v: u64);
}

impl PutExt for BytesMut {
    fn put_fixed_str(&mut self, s: &str, width: usize) {
        self.put_fixed_bytes(s.as_bytes(), width);
    }

    fn put_fixed_bytes(&mut self, b: &[u8], width: usize) {
        let n = b.len().min(width);
        self.put_slice(&b[..n]);
        self.put_bytes(0, width - n);
    }

    fn put_i64_be(&mut self, v: i64) {
        self.put_i64(v);
    }

    fn put_len64(&mut self, v: u64) {
        self.put_i64(i64::try_from(v).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_str_stops_at_first_nul() {
        // A group field seen with stale bytes after the NUL (fixtures, errors.txt).
        let raw = b"group1\0\0M00/00/0";
        let mut r = Reader::new(raw);
        assert_eq!(r.fixed_str(16).unwrap(), "group1");
        r.finish().unwrap();
    }

    #[test]
    fn short_reads_fail() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert!(r.i64().is_err());
        assert_eq!(r.u8().unwrap(), 1);
        assert!(Reader::new(&[0xff; 8]).len64().is_err());
    }

    #[test]
    fn put_fixed_pads_and_cuts() {
        let mut b = BytesMut::new();
        b.put_fixed_str("ab", 4);
        b.put_fixed_str("abcdef", 3);
        assert_eq!(&b[..], b"ab\0\0abc");
    }
}
