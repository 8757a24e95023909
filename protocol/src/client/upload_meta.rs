//! Upload with metadata: one request against an fdfs storage
//! (UPLOAD_FILE_WITH_METADATA, an extension), UPLOAD_FILE + SET_METADATA
//! against a FastDFS storage.
//!
//! The content streams from a source that cannot be rewound, so the client
//! must know whether a storage speaks the extension *before* sending a byte
//! of it. It asks once per storage address with the extension's empty-body
//! probe and remembers the answer for the life of the client: an fdfs
//! storage answers success; a FastDFS storage answers EINVAL (22) to an
//! unknown command (fastdfs-protocol.md §1) or closes the connection. The
//! answer is cached; a timeout or a refused connection is not an answer,
//! and is returned as the error it is.
//!
//! If a storage that answered the probe later refuses an extension upload
//! with EINVAL (it was replaced by an older build), the cached answer is
//! dropped so the next upload probes again; that one upload fails.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::AsyncRead;
use tracing::{Instrument, debug, debug_span};

use super::storage::{Content, StorageClient};
use crate::Status;
use crate::cmd;
use crate::connection::ConnError;
use crate::message::Empty;
use crate::metadata::{MetaOp, Metadata};
use crate::storage::{FileIdResponse, UploadWithMetadata};

/// Per storage address: whether it speaks UPLOAD_FILE_WITH_METADATA.
/// Shared by the clones of a [`StorageClient`].
#[derive(Debug, Clone, Default)]
pub(crate) struct ExtensionSupport {
    known: Arc<Mutex<HashMap<SocketAddr, bool>>>,
}

impl ExtensionSupport {
    fn get(&self, addr: SocketAddr) -> Option<bool> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner).get(&addr).copied()
    }

    fn set(&self, addr: SocketAddr, supported: bool) {
        self.known.lock().unwrap_or_else(PoisonError::into_inner).insert(addr, supported);
    }

    fn forget(&self, addr: SocketAddr) {
        self.known.lock().unwrap_or_else(PoisonError::into_inner).remove(&addr);
    }
}

/// What the answer to a probe says about the extension: `Some(true)` for
/// a success, `Some(false)` for any status (FastDFS answers EINVAL to an
/// unknown command) or a connection the peer closed after reading the
/// probe, `None` when the probe got no answer at all (timeout), which
/// decides nothing.
pub fn probe_verdict(answer: &Result<(), ConnError>) -> Option<bool> {
    match answer {
        Ok(()) => Some(true),
        Err(ConnError::Status(_)) => Some(false),
        Err(ConnError::Io(e))
            if matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            ) =>
        {
            Some(false)
        }
        Err(_) => None,
    }
}

impl StorageClient {
    /// Whether the storage at `addr` speaks UPLOAD_FILE_WITH_METADATA:
    /// cached, else probed once on a fresh connection.
    pub async fn supports_upload_with_metadata(&self, addr: SocketAddr) -> Result<bool, ConnError> {
        if let Some(known) = self.extensions.get(addr) {
            return Ok(known);
        }
        let mut conn = self.pool().connect(addr).await?;
        let answer = async {
            conn.conn().write_frame(cmd::UPLOAD_FILE_WITH_METADATA, 0, &[]).await?;
            conn.conn().recv::<Empty>(0).await.map(|_| ())
        }
        .await;
        let verdict = probe_verdict(&answer);
        conn.finish(&answer);
        match verdict {
            Some(supported) => {
                debug!(%addr, supported, "probed the upload-with-metadata extension");
                self.extensions.set(addr, supported);
                Ok(supported)
            }
            None => Err(answer.err().unwrap_or_else(|| {
                ConnError::Protocol("probe decided nothing without an error".into())
            })),
        }
    }

    /// Stores `content` with `metadata` as a new normal file and returns
    /// its file ID: in one request where the storage speaks the extension,
    /// else as UPLOAD_FILE then SET_METADATA (overwrite) on the same
    /// storage. If that second step fails the new file is deleted (best
    /// effort) and the error returned, so no file is left untagged.
    pub async fn upload_with_metadata<C>(
        &self,
        addr: SocketAddr,
        store_path_index: u8,
        ext: &str,
        metadata: &Metadata,
        content: Content<'_, C>,
    ) -> Result<FileIdResponse, ConnError>
    where
        C: AsyncRead + Unpin + ?Sized,
    {
        let req = UploadWithMetadata {
            store_path_index,
            file_size: content.len,
            ext: ext.to_string(),
            metadata: metadata.clone(),
        };
        req.validate()?;
        let span = debug_span!("storage.upload_with_metadata", %addr, size = content.len);
        async {
            if self.supports_upload_with_metadata(addr).await? {
                let result = self.call_streamed(addr, &req, content.reader).await;
                if matches!(result, Err(ConnError::Status(Status::EINVAL))) {
                    self.extensions.forget(addr);
                }
                return result;
            }
            let stored = self.upload(addr, store_path_index, ext, false, content).await?;
            if let Err(e) = self
                .set_metadata(addr, &stored.group, &stored.filename, MetaOp::Overwrite, metadata)
                .await
            {
                if let Err(undo) = self.delete(addr, &stored.group, &stored.filename).await {
                    tracing::warn!(file_id = %stored.file_id(), error = %undo,
                        "cannot delete a file whose metadata could not be set");
                }
                return Err(e);
            }
            Ok(stored)
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::time::Duration;

    use super::probe_verdict;
    use crate::Status;
    use crate::connection::ConnError;

    #[test]
    fn verdicts() {
        assert_eq!(probe_verdict(&Ok(())), Some(true));
        assert_eq!(probe_verdict(&Err(ConnError::Status(Status::EINVAL))), Some(false));
        assert_eq!(probe_verdict(&Err(ConnError::Status(Status::EOPNOTSUPP))), Some(false));
        let closed = ConnError::Io(io::ErrorKind::UnexpectedEof.into());
        assert_eq!(probe_verdict(&Err(closed)), Some(false));
        let reset = ConnError::Io(io::ErrorKind::ConnectionReset.into());
        assert_eq!(probe_verdict(&Err(reset)), Some(false));
        let other = ConnError::Io(io::ErrorKind::PermissionDenied.into());
        assert_eq!(probe_verdict(&Err(other)), None);
        assert_eq!(probe_verdict(&Err(ConnError::Timeout(Duration::from_secs(1)))), None);
    }
}
