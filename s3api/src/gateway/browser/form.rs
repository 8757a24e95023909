//! A streaming reader of `multipart/form-data` (RFC 7578) for POST object:
//! the fields before the `file` part are read into memory (bounded by
//! [`Limits`]), the file is handed on as a stream of exactly its bytes.
//!
//! The storages need an upload's length before its first byte, and a form
//! does not say how long its file is. So after the file part's headers
//! the reader looks ahead up to [`Limits::read_ahead`]: a file that ends
//! within it has its exact length (fields after it are ignored, as AWS
//! ignores them). A longer one is taken to end where browsers, curl, Go,
//! urllib3/requests all end it — right before the closing
//! `\r\n--BOUNDARY--\r\n` at the end of the body — so its length follows
//! from the request's Content-Length; the stream then checks on the way
//! that no delimiter comes earlier and that the body closes exactly so,
//! and fails otherwise (the upload is then dropped). Memory stays bounded
//! by the read-ahead whatever the file's size.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use futures_core::Stream;
use futures_util::StreamExt;
use memchr::memmem;

/// The body stream a form is read from.
pub(super) type BodyStream =
    Pin<Box<dyn Stream<Item = Result<Bytes, s3s::StdError>> + Send + Sync + 'static>>;

/// Bounds on what is held in memory.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// All field names, values and part headers together.
    pub fields_bytes: usize,
    /// Parts before the file.
    pub parts: usize,
    /// How far past the file's headers to look for its end.
    pub read_ahead: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // AWS caps the form fields at 20 KB; the policy alone may be long.
        Self { fields_bytes: 64 * 1024, parts: 1000, read_ahead: 1024 * 1024 }
    }
}

/// Why a form could not be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum FormError {
    /// Not well-formed multipart/form-data (400 MalformedPOSTRequest).
    #[error("{0}")]
    Malformed(&'static str),
    /// The fields exceed [`Limits`] (400 MaxPostPreDataLengthExceeded).
    #[error("the form fields before the file are too large")]
    TooLarge,
    /// The form has no `file` part (400 InvalidArgument).
    #[error("POST requires exactly one file upload per request.")]
    NoFile,
    /// A long file and no Content-Length to size it by (411).
    #[error("a file longer than the read-ahead needs the request's Content-Length")]
    NoLength,
    /// The body failed (a stall, a reset).
    #[error("reading the form: {0}")]
    Body(String),
}

/// The `file` part's own headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct FilePart {
    /// `filename` of its Content-Disposition (empty when none).
    pub filename: String,
    /// Its Content-Type, when given.
    pub content_type: Option<String>,
}

/// A form read up to its file.
pub(super) struct Form {
    /// The fields before the file, in order (names as sent).
    pub fields: Vec<(String, String)>,
    pub file: FilePart,
    /// The file's length.
    pub file_len: u64,
    /// Exactly the file's bytes.
    pub body: FileBody,
}

/// Reads `body` (whose Content-Length is `content_length`, when known) as
/// a form with `boundary`, up to and including the sizing of its file.
pub(super) async fn read_form(
    body: BodyStream,
    boundary: &str,
    content_length: Option<u64>,
    limits: Limits,
) -> Result<Form, FormError> {
    let mut r = Reader { body, buf: BytesMut::new(), pulled: 0, eof: false };
    let dash = format!("--{boundary}").into_bytes();
    let delim = format!("\r\n--{boundary}").into_bytes();
    let mut budget = limits.fields_bytes;
    // The preamble up to the first boundary.
    let at = r.find(&dash, budget).await?;
    budget = budget.saturating_sub(at + dash.len());
    r.buf.advance(at + dash.len());
    let mut fields = Vec::new();
    loop {
        if r.starts_with(b"--").await? {
            return Err(FormError::NoFile);
        }
        // Transport padding, then the CRLF ending the boundary line.
        let end = r.find(b"\r\n", budget).await?;
        if r.buf[..end].iter().any(|b| !matches!(b, b' ' | b'\t')) {
            return Err(FormError::Malformed("junk after a boundary"));
        }
        budget = budget.saturating_sub(end + 2);
        r.buf.advance(end + 2);
        let head_len = r.find(b"\r\n\r\n", budget).await?;
        let head = r.buf.split_to(head_len + 4);
        budget = budget.saturating_sub(head.len());
        let (name, file) = part_head(&head[..head_len])?;
        if name.eq_ignore_ascii_case("file") {
            let file = file.unwrap_or_default();
            let (file_len, body) = r.size_file(delim, content_length, limits.read_ahead).await?;
            return Ok(Form { fields, file, file_len, body });
        }
        if fields.len() >= limits.parts {
            return Err(FormError::TooLarge);
        }
        let len = r.find(&delim, budget).await?;
        let value = r.buf.split_to(len);
        budget = budget.saturating_sub(len + delim.len());
        r.buf.advance(delim.len());
        let value = String::from_utf8(value.to_vec())
            .map_err(|_| FormError::Malformed("a form field is not UTF-8"))?;
        fields.push((name, value));
    }
}

/// The name and, for a file, the file headers of a part's header block.
fn part_head(head: &[u8]) -> Result<(String, Option<FilePart>), FormError> {
    let text =
        std::str::from_utf8(head).map_err(|_| FormError::Malformed("part headers not UTF-8"))?;
    let mut name = None;
    let mut file = None::<FilePart>;
    let mut content_type = None;
    for line in text.split("\r\n") {
        let Some((h, v)) = line.split_once(':') else {
            return Err(FormError::Malformed("a part header without a colon"));
        };
        if h.trim().eq_ignore_ascii_case("content-disposition") {
            let mut params = v.split(';').map(str::trim);
            if !params.next().is_some_and(|t| t.eq_ignore_ascii_case("form-data")) {
                return Err(FormError::Malformed("a part that is not form-data"));
            }
            for p in params {
                let Some((k, val)) = p.split_once('=') else { continue };
                let val = unquote(val.trim());
                match k.trim().to_ascii_lowercase().as_str() {
                    "name" => name = Some(val),
                    "filename" => file = Some(FilePart { filename: val, content_type: None }),
                    _ => {}
                }
            }
        } else if h.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(v.trim().to_string());
        }
    }
    let name = name.ok_or(FormError::Malformed("a part without a name"))?;
    if name.eq_ignore_ascii_case("file") {
        let mut file = file.unwrap_or_default();
        file.content_type = content_type;
        return Ok((name, Some(file)));
    }
    Ok((name, None))
}

/// A quoted-string's content (`\"` and `\\` unescaped), or `s` as is.
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// The body with what was read of it and not yet used.
struct Reader {
    body: BodyStream,
    buf: BytesMut,
    /// Bytes taken from `body` so far.
    pulled: u64,
    eof: bool,
}

impl Reader {
    /// Reads one more chunk; `false` at the end of the body.
    async fn fill(&mut self) -> Result<bool, FormError> {
        if self.eof {
            return Ok(false);
        }
        match self.body.next().await {
            Some(Ok(chunk)) => {
                self.pulled += chunk.len() as u64;
                self.buf.extend_from_slice(&chunk);
                Ok(true)
            }
            Some(Err(e)) => Err(FormError::Body(e.to_string())),
            None => {
                self.eof = true;
                Ok(false)
            }
        }
    }

    /// Where `needle` starts in the buffer, reading on as needed while the
    /// buffer holds at most `budget` bytes before it.
    async fn find(&mut self, needle: &[u8], budget: usize) -> Result<usize, FormError> {
        let mut from = 0;
        loop {
            if let Some(at) = memmem::find(&self.buf[from..], needle) {
                let at = from + at;
                return if at > budget { Err(FormError::TooLarge) } else { Ok(at) };
            }
            if self.buf.len() > budget + needle.len() {
                return Err(FormError::TooLarge);
            }
            from = self.buf.len().saturating_sub(needle.len() - 1);
            if !self.fill().await? {
                return Err(FormError::Malformed("the form ended early"));
            }
        }
    }

    /// Whether the buffer starts with `prefix`, reading as needed.
    async fn starts_with(&mut self, prefix: &[u8]) -> Result<bool, FormError> {
        while self.buf.len() < prefix.len() {
            if !self.fill().await? {
                return Err(FormError::Malformed("the form ended early"));
            }
        }
        Ok(self.buf.starts_with(prefix))
    }

    /// The file's length and its bytes: exact when its end shows within
    /// `read_ahead`, else from `content_length` (see the module docs).
    async fn size_file(
        mut self,
        delim: Vec<u8>,
        content_length: Option<u64>,
        read_ahead: usize,
    ) -> Result<(u64, FileBody), FormError> {
        let mut from = 0;
        loop {
            if let Some(at) = memmem::find(&self.buf[from..], &delim) {
                let at = from + at;
                let data = self.buf.split_to(at).freeze();
                let body = FileBody::exact(data);
                return Ok((at as u64, body));
            }
            if self.buf.len() >= read_ahead {
                break;
            }
            from = self.buf.len().saturating_sub(delim.len() - 1);
            if !self.fill().await? {
                return Err(FormError::Malformed("the file part is not closed"));
            }
        }
        let total = content_length.ok_or(FormError::NoLength)?;
        let used = self.pulled - self.buf.len() as u64;
        // The closing delimiter, `--` and the final CRLF.
        let tail = delim.len() as u64 + 4;
        let len = total
            .checked_sub(used + tail)
            .ok_or(FormError::Malformed("the body is shorter than its form"))?;
        Ok((len, FileBody::sized(self, delim, len)))
    }
}

/// Exactly a form's file bytes, as a stream; an `io::Error` when the form
/// turns out not to close as its length predicted.
pub(super) struct FileBody {
    state: FileState,
}

enum FileState {
    /// The whole file, already read.
    Exact(Option<Bytes>),
    /// A long file read on from the body.
    Sized {
        reader: Reader,
        delim: Vec<u8>,
        /// File bytes still to hand out.
        left: u64,
        /// The last bytes handed out, to find a delimiter across chunks.
        carry: Vec<u8>,
        done: bool,
    },
}

impl std::fmt::Debug for FileBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileBody")
    }
}

impl FileBody {
    fn exact(data: Bytes) -> Self {
        Self { state: FileState::Exact(Some(data)) }
    }

    fn sized(reader: Reader, delim: Vec<u8>, left: u64) -> Self {
        let state = FileState::Sized { reader, delim, left, carry: Vec::new(), done: false };
        Self { state }
    }
}

fn broken(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl Stream for FileBody {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let (reader, delim, left, carry, done) = match &mut self.get_mut().state {
            FileState::Exact(data) => {
                return Poll::Ready(data.take().filter(|d| !d.is_empty()).map(Ok));
            }
            FileState::Sized { reader, delim, left, carry, done } => {
                (reader, delim, left, carry, done)
            }
        };
        loop {
            if *done {
                return Poll::Ready(None);
            }
            if *left == 0 {
                // The rest must be the closing delimiter and `--`.
                let need = delim.len() + 2;
                if reader.buf.len() >= need || reader.eof {
                    *done = true;
                    let closes = reader.buf.starts_with(delim)
                        && reader.buf[delim.len()..].starts_with(b"--");
                    return if closes {
                        Poll::Ready(None)
                    } else {
                        Poll::Ready(Some(Err(broken("the form does not close after its file"))))
                    };
                }
            } else if !reader.buf.is_empty() {
                let n = reader.buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                let chunk = reader.buf.split_to(n).freeze();
                // A delimiter inside the file: the file is shorter than
                // the Content-Length said, or fields follow it.
                let mut window = std::mem::take(carry);
                window.extend_from_slice(&chunk);
                if memmem::find(&window, delim).is_some() {
                    *done = true;
                    return Poll::Ready(Some(Err(broken("a form boundary inside the file"))));
                }
                let keep = window.len().min(delim.len() - 1);
                *carry = window[window.len() - keep..].to_vec();
                *left -= n as u64;
                return Poll::Ready(Some(Ok(chunk)));
            }
            if reader.eof {
                *done = true;
                return Poll::Ready(Some(Err(broken("the form ended inside its file"))));
            }
            match reader.body.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    reader.pulled += chunk.len() as u64;
                    reader.buf.extend_from_slice(&chunk);
                }
                Poll::Ready(Some(Err(e))) => {
                    *done = true;
                    return Poll::Ready(Some(Err(io::Error::other(e.to_string()))));
                }
                Poll::Ready(None) => reader.eof = true,
            }
        }
    }
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
