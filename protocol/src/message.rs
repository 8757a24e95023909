//! The traits every typed message implements.
//!
//! A message struct is shared by client and server: the client encodes a
//! request and decodes the response, the server does the reverse. Bodies that
//! carry file content are split into a *head* (the fixed fields, which the
//! struct holds) and the *content* (streamed, never held by the struct).

use bytes::BytesMut;

use crate::error::DecodeError;

/// Encoding of a message body (without the 10-byte header).
pub trait Encode {
    /// Appends the body (or, for streamed messages, the head) to `buf`.
    fn encode(&self, buf: &mut BytesMut);

    /// The encoded body as a fresh buffer.
    fn to_body(&self) -> BytesMut {
        let mut buf = BytesMut::new();
        self.encode(&mut buf);
        buf
    }
}

/// Decoding of a message body (without the header). Never panics and never
/// allocates more than the input's size.
pub trait Decode: Sized {
    fn decode(body: &[u8]) -> Result<Self, DecodeError>;
}

/// A request with its command code and the type of its success response.
pub trait Request: Encode + Decode {
    /// The header `cmd` byte.
    const CMD: u8;
    /// What a success response carries.
    type Response: Encode + Decode;
}

/// A request whose body is a head followed by streamed content (uploads,
/// appends, sync of file bytes).
///
/// A server reads [`Streamed::PREFIX_LEN`] bytes, asks [`Streamed::head_len`]
/// how long the whole head is (it may depend on length fields in the prefix),
/// reads and decodes the head, and then streams [`Streamed::content_len`]
/// bytes. `head_len + content_len` must equal the header's `pkg_len`.
pub trait Streamed: Request {
    /// Bytes needed before the head length is known.
    const PREFIX_LEN: usize;
    /// The longest head this request can have; a server bounds its read of
    /// the head by it.
    const MAX_HEAD_LEN: usize = 1024;
    /// The head length, from the first [`Streamed::PREFIX_LEN`] bytes. Errors
    /// on length fields out of the protocol's limits, so a bad packet never
    /// drives a large allocation.
    fn head_len(prefix: &[u8]) -> Result<usize, DecodeError>;
    /// Bytes of content that follow the head.
    fn content_len(&self) -> u64;
}

/// The empty body, for commands that carry none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Empty;

impl Encode for Empty {
    fn encode(&self, _buf: &mut BytesMut) {}
}

impl Decode for Empty {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        if body.is_empty() {
            Ok(Self)
        } else {
            Err(DecodeError::TrailingBytes { extra: body.len() })
        }
    }
}

/// A body that is plain text (e.g. GET_MY_IP, PARAMETER_REQ, GET_LEADER replies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl Encode for Text {
    fn encode(&self, buf: &mut BytesMut) {
        buf.extend_from_slice(self.0.as_bytes());
    }
}

impl Decode for Text {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        // FastDFS NUL-terminates some text replies; the NUL is not part of it.
        let end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
        String::from_utf8(body[..end].to_vec())
            .map(Self)
            .map_err(|_| DecodeError::invalid("text body", "not UTF-8"))
    }
}

/// Raw bytes (e.g. metadata blobs, system files, binlog text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Raw(pub Vec<u8>);

impl Encode for Raw {
    fn encode(&self, buf: &mut BytesMut) {
        buf.extend_from_slice(&self.0);
    }
}

impl Decode for Raw {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        Ok(Self(body.to_vec()))
    }
}

/// ACTIVE_TEST (111): empty request, empty response, on both ports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActiveTest;

impl Encode for ActiveTest {
    fn encode(&self, _buf: &mut BytesMut) {}
}

impl Decode for ActiveTest {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        Empty::decode(body).map(|_| Self)
    }
}

impl Request for ActiveTest {
    const CMD: u8 = crate::cmd::ACTIVE_TEST;
    type Response = Empty;
}

/// QUIT (82): the server closes the connection without replying.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quit;

impl Encode for Quit {
    fn encode(&self, _buf: &mut BytesMut) {}
}

impl Decode for Quit {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        Empty::decode(body).map(|_| Self)
    }
}

impl Request for Quit {
    const CMD: u8 = crate::cmd::QUIT;
    type Response = Empty;
}
