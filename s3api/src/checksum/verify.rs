//! A body stream that hashes as it goes and fails on a wrong digest.
//!
//! Why a `Stream<Item = Result<Bytes, _>>` wrapper rather than an
//! `AsyncRead`: `s3s` hands request bodies over as exactly such a stream
//! (`StreamingBlob`), so wrapping it hashes each chunk in place without a
//! copy or an intermediate buffer, and the verdict can be delivered as the
//! stream's last item — before the end-of-stream — so a consumer never
//! sees a clean end for a corrupt body. Code that wants an `AsyncRead`
//! puts `tokio_util::io::StreamReader` on top; [`VerifyError`] converts
//! into `io::Error` and can be downcast back out of it.
//!
//! Only at the end is anything compared: the object is streamed to a
//! storage server meanwhile, and a mismatch makes the gateway abandon that
//! upload (the file is deleted, the index never points at it). The
//! digests of a verified body are left in a [`DigestSlot`] for the caller
//! (ETag, stored checksums).

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use super::algorithm::ChecksumAlgorithm;
use super::error::{BoxError, VerifyError};
use super::hasher::{Digests, MultiHasher};
use super::value::Checksum;

/// Produces the checksums a request's trailer carried; called once, after
/// the body's last byte (when the trailer has been parsed).
pub type TrailerFn = Box<dyn FnOnce() -> Vec<Checksum> + Send + 'static>;

/// Where a [`VerifyingStream`] leaves the digests of a body that verified.
#[derive(Debug, Clone, Default)]
pub struct DigestSlot(Arc<Mutex<Option<Digests>>>);

impl DigestSlot {
    /// Takes the digests; `None` until the stream ended and verified.
    pub fn take(&self) -> Option<Digests> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn set(&self, digests: Digests) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(digests);
    }
}

/// Wraps a body stream: passes chunks through unchanged, hashes them, and
/// at the end compares against the declared digests.
///
/// On a mismatch the stream yields one `Err` instead of ending, then ends.
/// A transport error is passed through as [`VerifyError::Body`] and also
/// ends it. Configure (the `expect_*` / `compute` methods) before the
/// first poll. `S` must be `Unpin`, as `s3s`'s boxed body is; pin other
/// streams with `Box::pin`.
pub struct VerifyingStream<S> {
    inner: S,
    algorithms: Vec<ChecksumAlgorithm>,
    hasher: Option<MultiHasher>,
    md5: Option<[u8; 16]>,
    expected: Vec<Checksum>,
    trailer: Option<(Vec<ChecksumAlgorithm>, TrailerFn)>,
    slot: DigestSlot,
    done: bool,
}

impl<S> VerifyingStream<S> {
    /// Wraps `inner`; with no expectations it only computes the MD5.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            algorithms: Vec::new(),
            hasher: None,
            md5: None,
            expected: Vec::new(),
            trailer: None,
            slot: DigestSlot::default(),
            done: false,
        }
    }

    /// Also computes `algorithm` (e.g. to store a checksum the client did
    /// not send), without checking it.
    pub fn compute(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.algorithms.push(algorithm);
        self
    }

    /// Checks the body's MD5 against a decoded `Content-MD5`.
    pub fn expect_md5(mut self, md5: [u8; 16]) -> Self {
        self.md5 = Some(md5);
        self
    }

    /// Checks the body against a declared `x-amz-checksum-*` value.
    pub fn expect(mut self, checksum: Checksum) -> Self {
        self.algorithms.push(checksum.algorithm());
        self.expected.push(checksum);
        self
    }

    /// Checks the body against checksums that arrive in the trailer:
    /// `announced` are the algorithms named by `x-amz-trailer`, `values` is
    /// called after the last chunk. Each announced algorithm must have a
    /// value, and no other may appear.
    pub fn expect_trailer(
        mut self,
        announced: Vec<ChecksumAlgorithm>,
        values: impl FnOnce() -> Vec<Checksum> + Send + 'static,
    ) -> Self {
        self.algorithms.extend(announced.iter().copied());
        self.trailer = Some((announced, Box::new(values)));
        self
    }

    /// A handle that receives the digests once the body verified.
    pub fn slot(&self) -> DigestSlot {
        self.slot.clone()
    }

    /// Compares the finished digests against every expectation; S3 checks
    /// `Content-MD5` first, so a body wrong in both is `BadDigest`.
    fn verify(&mut self, digests: &Digests) -> Result<(), VerifyError> {
        if self.md5.is_some_and(|md5| md5 != digests.md5) {
            return Err(VerifyError::BadDigest);
        }
        for expected in &self.expected {
            check(digests, expected)?;
        }
        if let Some((announced, values)) = self.trailer.take() {
            let values = values();
            for algorithm in &announced {
                if !values.iter().any(|v| v.algorithm() == *algorithm) {
                    return Err(VerifyError::MissingChecksum { algorithm: *algorithm });
                }
            }
            for value in &values {
                if !announced.contains(&value.algorithm()) {
                    return Err(VerifyError::MissingChecksum { algorithm: value.algorithm() });
                }
                check(digests, value)?;
            }
        }
        Ok(())
    }
}

fn check(digests: &Digests, expected: &Checksum) -> Result<(), VerifyError> {
    let algorithm = expected.algorithm();
    match digests.checksum(algorithm) {
        Some(actual) if actual == expected => Ok(()),
        Some(_) => Err(VerifyError::ChecksumMismatch { algorithm }),
        // Only reachable when configured after the first poll.
        None => Err(VerifyError::MissingChecksum { algorithm }),
    }
}

impl<S, E> Stream for VerifyingStream<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<BoxError>,
{
    type Item = Result<Bytes, VerifyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let hasher = this.hasher.get_or_insert_with(|| MultiHasher::new(&this.algorithms));
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                hasher.update(&chunk);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                Poll::Ready(Some(Err(VerifyError::Body(e.into()))))
            }
            Poll::Ready(None) => {
                this.done = true;
                let digests = this
                    .hasher
                    .take()
                    .unwrap_or_else(|| MultiHasher::new(&this.algorithms))
                    .finish();
                match this.verify(&digests) {
                    Ok(()) => {
                        this.slot.set(digests);
                        Poll::Ready(None)
                    }
                    Err(e) => Poll::Ready(Some(Err(e))),
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            // One more item than the body may come: the verdict.
            let (low, high) = self.inner.size_hint();
            (low, high.and_then(|h| h.checked_add(1)))
        }
    }
}

impl<S> fmt::Debug for VerifyingStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingStream")
            .field("algorithms", &self.algorithms)
            .field("md5", &self.md5.is_some())
            .field("expected", &self.expected)
            .field("trailer", &self.trailer.as_ref().map(|(a, _)| a))
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
