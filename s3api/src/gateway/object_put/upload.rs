//! The verified upload path PutObject, UploadPart and UploadPartCopy
//! share: an upload intent is recorded first, the bytes stream through
//! their [`VerifyingStream`] to a storage of the bucket's home group, the
//! stored file is attached to the intent, and only a body that ended
//! exactly at its length and passed every check is handed back. On any
//! failure after the intent, the intent is abandoned, which queues the
//! stored file for deletion.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use fdfs_protocol::Status;
use fdfs_protocol::client::{Content, storage_socket_addr};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::storage::FileIdResponse;
use futures_core::Stream;
use futures_util::StreamExt;
use s3s::dto::StreamingBlob;
use s3s::{S3Error, S3ErrorCode, S3Result};
use tokio::io::AsyncReadExt;
use tokio_util::io::StreamReader;

use super::super::{Inner, error, now_ms};
use super::extension;
use crate::checksum::{Digests, VerifyError, VerifyingStream};
use crate::crypto::segments::{FileKey, cipher_len};
use crate::crypto::stream::Encrypting;
use crate::index::{Bucket, Intent, random_id};
use crate::rebuild::tags::FileTag;

/// The verification failure of the body, kept for the reply: the upload
/// only sees it as an I/O error.
type FailureCell = Arc<Mutex<Option<VerifyError>>>;

/// The bytes on their way to the storage: the body, or its sealed form.
type BodyStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// Where the bytes of an upload come from, which decides how their
/// failures read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::gateway) enum Origin {
    /// The request body (PutObject, UploadPart): a body that fails is the
    /// client's fault.
    Body,
    /// Our own read of a copy source (UploadPartCopy): a "body" that fails
    /// is a server error.
    CopySource,
}

impl Origin {
    /// The reply for bytes that went on past their length.
    fn too_long(self) -> S3Error {
        match self {
            Self::Body => S3Error::with_message(
                S3ErrorCode::IncompleteBody,
                "the body is longer than its Content-Length",
            ),
            Self::CopySource => error::internal("copy source is longer than its index size"),
        }
    }

    /// The reply for bytes that ended without their digests.
    fn no_digests(self) -> S3Error {
        match self {
            Self::Body => error::internal("body ended without digests"),
            Self::CopySource => error::internal("copy source ended without digests"),
        }
    }

    /// `e` as a failure of these bytes: for a copy source, what would be
    /// the client's IncompleteBody is a server error.
    fn failed(self, e: S3Error) -> S3Error {
        if self == Self::CopySource && *e.code() == S3ErrorCode::IncompleteBody {
            let msg = e.message().unwrap_or("reading the copy source failed").to_string();
            return error::internal(format!("reading the copy source failed: {msg}"));
        }
        e
    }
}

/// A body stored on a storage under its upload intent, every check passed.
pub(in crate::gateway) struct Verified {
    /// The upload intent, to finish with the index write that records it.
    pub token: String,
    /// Where the bytes are.
    pub file_id: String,
    /// MD5 and checksums of the body.
    pub digests: Digests,
}

/// Records an upload intent for `tag`'s key, streams `len` bytes of
/// `verifying` (from `origin`) to a storage of `bucket`'s home group (the
/// file tagged with `tag`), then requires the bytes to end exactly there
/// and pass every check. On any failure after the intent, the intent is
/// abandoned (its file queued for deletion) and the S3 error returned.
///
/// With `sealing`, the verified plaintext is encrypted on its way to the
/// storage (see `crate::crypto::stream`): the checks and digests are the
/// plaintext's, the stored file is the sealed one.
#[allow(clippy::too_many_arguments)] // one call shape for three uploads
pub(in crate::gateway) async fn upload_verified(
    inner: &Inner,
    owner: &str,
    bucket: &Bucket,
    tag: &FileTag,
    len: u64,
    verifying: VerifyingStream<StreamingBlob>,
    origin: Origin,
    sealing: Option<FileKey>,
) -> S3Result<Verified> {
    let slot = verifying.slot();
    let failure: FailureCell = Arc::default();
    let cell = Arc::clone(&failure);
    let stream = verifying.map(move |item| {
        item.map_err(|e| {
            let io = io::Error::other(e.to_string());
            *cell.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
            io
        })
    });
    let (stored_len, stream): (u64, BodyStream) = match sealing {
        Some(key) => (cipher_len(len), Box::pin(Encrypting::new(stream, key, len))),
        None => (len, Box::pin(stream)),
    };
    let mut reader = StreamReader::new(stream);

    // Intent first, so a crash between the upload and the row leaves a
    // findable orphan.
    let token = random_id(now_ms());
    let intent = Intent {
        token: token.clone(),
        bucket: bucket.name.clone(),
        key: tag.key.clone(),
        group: bucket.home_group.clone(),
        started_ms: now_ms(),
        file_id: None,
    };
    inner
        .index
        .write(move |ix| ix.begin_intent(&intent))
        .await
        .map_err(|e| error::from_index(e, owner))?;

    let mut watched = EofWatch { inner: &mut reader, ended: false };
    let stored = match store(inner, &bucket.home_group, tag, stored_len, &mut watched).await {
        Ok(stored) => stored,
        Err(e) => {
            let ended = watched.ended;
            reject(inner, token).await;
            return Err(origin.failed(upload_failure(e, &failure, len, ended)));
        }
    };
    let file_id = stored.file_id();
    let (t, f) = (token.clone(), file_id.clone());
    if let Err(e) = inner.index.write(move |ix| ix.attach_intent_file(&t, &f)).await {
        // The file stays an orphan for the sweep to find.
        return Err(error::from_index(e, owner));
    }

    // The storage took exactly `len` bytes; the stream must end there,
    // and reaching its end runs the final verification.
    let mut probe = [0u8; 1];
    let end = reader.read(&mut probe).await;
    let verdict = match (end, slot.take()) {
        (Ok(0), Some(digests)) => Ok(digests),
        (Ok(0), None) => Err(origin.no_digests()),
        (Ok(_), _) => Err(origin.too_long()),
        (Err(_), _) => Err(origin.failed(failure_reply(&failure))),
    };
    let digests = match verdict {
        Ok(d) => d,
        Err(reply) => {
            reject(inner, token).await;
            return Err(reply);
        }
    };
    Ok(Verified { token, file_id, digests })
}

/// Uploads `len` bytes from `reader` to a storage of `group` the tracker
/// picks, with `tag` in the file's metadata (one request where the storage
/// supports it). When the tracker says `group` is at its reserve (ENOSPC),
/// the file goes to the group the tracker picks instead (its file ID names
/// that group), so a bucket is never capped by its home group's disks
/// (design: "The mapping"). A storage that refuses for space after the
/// body streamed cannot be retried: that stays a 503.
pub(in crate::gateway) async fn store<R>(
    inner: &Inner,
    group: &str,
    tag: &FileTag,
    len: u64,
    reader: &mut R,
) -> Result<FileIdResponse, ConnError>
where
    R: tokio::io::AsyncRead + Unpin,
{
    let target = match inner.tracker.query_store(Some(group)).await {
        Err(e) if e.status() == Status::ENOSPC => {
            tracing::info!(group, "home group at its reserve; the tracker picks another");
            inner.tracker.query_store(None).await?
        }
        other => other?,
    };
    let addr = storage_socket_addr(&target.storage)?;
    let content = Content { len, reader };
    let ext = extension(&tag.key);
    let meta = tag.to_metadata();
    inner.storage.upload_with_metadata(addr, target.store_path_index, ext, &meta, content).await
}

/// The reply for a failed upload: the body's verification failure when
/// there was one, IncompleteBody when the body ended before its length,
/// else what the cluster said. Only the body's own failures are the
/// client's: every error of the body stream is recorded in `failure`, and
/// a body that ends early is `ShortContent` (or an unexpected EOF after the
/// client's body ended, `body_ended`). An I/O error without either — the
/// storage closed or reset the connection, even with an EOF — is the
/// cluster's (503, which SDKs retry), never IncompleteBody, which tells
/// the client the fault is its own and is not retried (seen by the fault
/// suite as a 400 IncompleteBody when a storage was SIGKILLed).
fn upload_failure(e: ConnError, failure: &FailureCell, len: u64, body_ended: bool) -> S3Error {
    if failure.lock().unwrap_or_else(PoisonError::into_inner).is_some() {
        return failure_reply(failure);
    }
    match &e {
        ConnError::ShortContent { got, .. } => S3Error::with_message(
            S3ErrorCode::IncompleteBody,
            format!("the body ended after {got} of its Content-Length {len} bytes"),
        ),
        ConnError::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof && body_ended => {
            S3Error::with_message(
                S3ErrorCode::IncompleteBody,
                format!("the body is shorter than its Content-Length {len}"),
            )
        }
        _ => error::from_conn(e),
    }
}

fn failure_reply(failure: &FailureCell) -> S3Error {
    match failure.lock().unwrap_or_else(PoisonError::into_inner).take() {
        Some(e) => error::from_verify(&e),
        None => S3Error::with_message(S3ErrorCode::IncompleteBody, "request body failed"),
    }
}

/// Drops a rejected upload: its intent is abandoned, which queues the
/// stored file for deletion.
pub(in crate::gateway) async fn reject(inner: &Inner, token: String) {
    match inner.index.write(move |ix| ix.abandon_intent(&token, now_ms())).await {
        Ok(Some(_)) => inner.deletes.notify_one(),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot abandon upload intent"),
    }
}

/// The client's body as the storage client reads it, noting whether it
/// ended (a read of 0 bytes into a non-empty buffer).
struct EofWatch<'a, R> {
    inner: &'a mut R,
    ended: bool,
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for EofWatch<'_, R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let before = buf.filled().len();
        let room = buf.remaining() > 0;
        let poll = std::pin::Pin::new(&mut *self.inner).poll_read(cx, buf);
        if matches!(poll, std::task::Poll::Ready(Ok(()))) && room && buf.filled().len() == before {
            self.ended = true;
        }
        poll
    }
}
