//! Streaming adapters over the sealed format of [`super::segments`]: each
//! holds at most one segment (64 KiB plus its tag) of its input, so an
//! encrypted PUT or GET uses bounded memory whatever the object's size.
//!
//! - [`Encrypting`] turns exactly `size` plaintext bytes into the sealed
//!   file. It knows the size up front (the request's length), so it knows
//!   which segment is the final one without reading ahead. Bytes beyond
//!   `size` pass through unchanged after the final segment, so the upload
//!   sees a body that is too long exactly as it would without encryption;
//!   an input that ends early ends the output early (a short body).
//! - [`Decrypting`] turns a fetched [`Window`](super::segments::Window) of
//!   a sealed file back into the plaintext range it stands for: it opens
//!   each segment as it completes, drops the bytes before the range, and
//!   fails on a segment that does not authenticate or bytes that end
//!   early or go on too long.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use futures_core::Stream;

use super::segments::{FileKey, HEADER, SEGMENT, SegmentError, Window, segment_count};

/// Seals a plaintext stream of known size; see the module docs.
#[allow(missing_debug_implementations)] // holds a key and a stream
pub struct Encrypting<S> {
    inner: S,
    key: FileKey,
    /// Plaintext bytes not yet taken from the input.
    remaining: u64,
    /// Plaintext of the segment being filled.
    buf: BytesMut,
    /// Input taken but not yet used.
    pending: Bytes,
    /// The next segment's number.
    index: u64,
    header_sent: bool,
    done: bool,
}

impl<S> Encrypting<S> {
    /// Seals `size` bytes of `inner` with `key`.
    pub fn new(inner: S, key: FileKey, size: u64) -> Self {
        Self {
            inner,
            key,
            remaining: size,
            buf: BytesMut::with_capacity(SEGMENT.min(usize::try_from(size).unwrap_or(SEGMENT))),
            pending: Bytes::new(),
            index: 0,
            header_sent: false,
            done: false,
        }
    }

    /// Seals the buffered segment.
    fn seal(&mut self, last: bool) -> Bytes {
        let sealed = self.key.seal(self.index, last, &self.buf);
        self.index += 1;
        self.buf.clear();
        Bytes::from(sealed)
    }
}

impl<S> Stream for Encrypting<S>
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if !this.header_sent {
            this.header_sent = true;
            return Poll::Ready(Some(Ok(Bytes::copy_from_slice(this.key.header()))));
        }
        loop {
            if this.done {
                if !this.pending.is_empty() {
                    return Poll::Ready(Some(Ok(std::mem::take(&mut this.pending))));
                }
                return Pin::new(&mut this.inner).poll_next(cx);
            }
            if this.remaining == 0 {
                this.done = true;
                return Poll::Ready(Some(Ok(this.seal(true))));
            }
            if this.buf.len() == SEGMENT {
                return Poll::Ready(Some(Ok(this.seal(false))));
            }
            if this.pending.is_empty() {
                match ready!(Pin::new(&mut this.inner).poll_next(cx)) {
                    Some(Ok(chunk)) => this.pending = chunk,
                    Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                    // Short input: end short, the upload reports it.
                    None => return Poll::Ready(None),
                }
                continue;
            }
            let room = (SEGMENT - this.buf.len()) as u64;
            let n = usize::try_from(room.min(this.remaining))
                .unwrap_or(SEGMENT)
                .min(this.pending.len());
            this.buf.extend_from_slice(&this.pending[..n]);
            this.pending.advance(n);
            this.remaining -= n as u64;
        }
    }
}

/// Opens a fetched window of a sealed file; see the module docs.
#[allow(missing_debug_implementations)] // holds a key and a stream
pub struct Decrypting<S> {
    inner: S,
    data_key: [u8; 32],
    part: u32,
    /// The file key, once the header is known.
    key: Option<FileKey>,
    /// Sealed bytes of the segment (or header) being gathered.
    buf: BytesMut,
    /// Input taken but not yet used.
    pending: Bytes,
    /// The next segment's number, the window's last one, the file's last.
    index: u64,
    end: u64,
    last: u64,
    size: u64,
    /// Plaintext still to drop, and still to hand out.
    skip: u64,
    keep: u64,
    failed: bool,
}

impl<S> Decrypting<S> {
    /// Opens `window` of part `part`'s file of `size` plaintext bytes
    /// under `data_key`. `inner` yields the window's bytes, preceded by
    /// the file's header unless `header` is given (a window starting at
    /// segment 0 is fetched with the header in one read).
    pub fn new(
        inner: S,
        data_key: [u8; 32],
        part: u32,
        size: u64,
        window: Window,
        header: Option<&[u8]>,
    ) -> Result<Self, SegmentError> {
        let key = header.map(|h| FileKey::open(&data_key, part, h)).transpose()?;
        let seg = SEGMENT as u64;
        let end = if window.keep == 0 {
            window.first
        } else {
            window.first + (window.skip + window.keep - 1) / seg
        };
        Ok(Self {
            inner,
            data_key,
            part,
            key,
            buf: BytesMut::new(),
            pending: Bytes::new(),
            index: window.first,
            end,
            last: segment_count(size) - 1,
            size,
            skip: window.skip,
            keep: window.keep,
            failed: false,
        })
    }

    /// Bytes the current item needs: the header, or the next segment.
    fn want(&self) -> usize {
        if self.key.is_none() {
            HEADER
        } else {
            super::segments::sealed_segment_len(self.size, self.index)
        }
    }

    /// Whether every segment of the window has been opened.
    fn done(&self) -> bool {
        self.key.is_some() && (self.index > self.end || self.index > self.last)
    }

    /// Opens the gathered header or segment; `None` when nothing of it is
    /// kept.
    fn open(&mut self) -> Result<Option<Bytes>, SegmentError> {
        let Some(key) = &self.key else {
            self.key = Some(FileKey::open(&self.data_key, self.part, &self.buf)?);
            self.buf.clear();
            return Ok(None);
        };
        let plain = key.open_segment(self.index, self.index == self.last, &self.buf)?;
        self.buf.clear();
        self.index += 1;
        let mut plain = Bytes::from(plain);
        let drop = usize::try_from(self.skip).unwrap_or(usize::MAX).min(plain.len());
        plain.advance(drop);
        self.skip -= drop as u64;
        let take = usize::try_from(self.keep).unwrap_or(usize::MAX).min(plain.len());
        plain.truncate(take);
        self.keep -= take as u64;
        Ok((!plain.is_empty()).then_some(plain))
    }

    fn fail(&mut self, e: SegmentError) -> Poll<Option<io::Result<Bytes>>> {
        self.failed = true;
        Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::InvalidData, e))))
    }
}

impl<S> Stream for Decrypting<S>
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.failed {
                return Poll::Ready(None);
            }
            let done = this.done();
            if done && !this.pending.is_empty() {
                return this.fail(SegmentError::Length);
            }
            if !done && this.buf.len() == this.want() {
                match this.open() {
                    Ok(Some(plain)) => return Poll::Ready(Some(Ok(plain))),
                    Ok(None) => continue,
                    Err(e) => return this.fail(e),
                }
            }
            if !this.pending.is_empty() {
                let n = (this.want() - this.buf.len()).min(this.pending.len());
                this.buf.extend_from_slice(&this.pending[..n]);
                this.pending.advance(n);
                continue;
            }
            match ready!(Pin::new(&mut this.inner).poll_next(cx)) {
                Some(Ok(chunk)) => this.pending = chunk,
                Some(Err(e)) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None if done => return Poll::Ready(None),
                None => return this.fail(SegmentError::Length),
            }
        }
    }
}
