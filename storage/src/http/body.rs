//! Response bodies: nothing, a short text, or a byte range of a file
//! streamed through one bounded buffer.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use hyper::body::{Body, Frame, SizeHint};
use tokio::fs::File;
use tokio::io::{AsyncReadExt, Take};
use tokio_util::io::ReaderStream;

/// Bytes read from a file per chunk (and at most buffered per response).
const CHUNK: usize = 64 * 1024;

/// The body of a response.
#[derive(Debug)]
pub enum ResponseBody {
    /// No body (HEAD, 304, empty files).
    Empty,
    /// A short message, sent once.
    Text(Option<Bytes>),
    /// `remaining` bytes of a file, read as they are sent.
    File {
        /// The file, positioned at the first byte and limited to the range.
        stream: ReaderStream<Take<File>>,
        /// Bytes not yet sent.
        remaining: u64,
    },
}

impl ResponseBody {
    /// The next `len` bytes of `file`.
    pub fn file(file: File, len: u64) -> Self {
        Self::File { stream: ReaderStream::with_capacity(file.take(len), CHUNK), remaining: len }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            Self::Empty => Poll::Ready(None),
            Self::Text(text) => Poll::Ready(text.take().map(|b| Ok(Frame::data(b)))),
            Self::File { stream, remaining } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                match Pin::new(stream).poll_next(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Some(Ok(chunk))) => {
                        *remaining = remaining.saturating_sub(chunk.len() as u64);
                        Poll::Ready(Some(Ok(Frame::data(chunk))))
                    }
                    Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                    // The file shrank under us: fail rather than send a
                    // body shorter than its Content-Length.
                    Poll::Ready(None) => Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("file ended {remaining} bytes early"),
                    )))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Text(text) => text.is_none(),
            Self::File { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Empty => SizeHint::with_exact(0),
            Self::Text(text) => SizeHint::with_exact(text.as_ref().map_or(0, |t| t.len() as u64)),
            Self::File { remaining, .. } => SizeHint::with_exact(*remaining),
        }
    }
}
