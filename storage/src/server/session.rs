//! One connection to the storage: read a request header, hand the
//! connection to the command's handler (which streams the body), answer.
//!
//! Handlers read their own bodies because uploads and sync pushes carry
//! file content that must stream to disk, never sit in memory. A refused
//! request whose content was not read is drained when that is cheap and
//! the connection closed otherwise; a malformed request is answered EINVAL
//! and the connection closed, as its framing can no longer be trusted.

use std::sync::Arc;

use bytes::BytesMut;
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::message::ActiveTest;
use fdfs_protocol::server::{Handler, Shutdown, next_request};
use fdfs_protocol::{DecodeError, Encode, Header, Status, cmd};
use tracing::{Instrument, debug, debug_span, warn};

use super::body::{MAX_DRAIN, read_plain};
use super::state::StorageState;
use super::{appender, files, upload};

/// A successful answer.
#[derive(Debug)]
pub enum Reply {
    /// Send this body.
    Body(BytesMut),
    /// The handler already sent its answer (downloads stream theirs).
    Sent,
    /// Close without answering (QUIT).
    Close,
}

impl Reply {
    pub fn empty() -> Self {
        Self::Body(BytesMut::new())
    }

    pub fn of(message: &impl Encode) -> Self {
        Self::Body(message.to_body())
    }
}

/// A failed request.
#[derive(Debug)]
pub enum Fault {
    /// Answer this status; the body was fully read, the connection is fine.
    Status(Status),
    /// Answer this status, then close (content was left unread).
    StatusThenClose(Status),
    /// Malformed: answer EINVAL and close.
    Malformed(DecodeError),
    /// The connection broke: close without answering.
    Io(ConnError),
}

impl Fault {
    pub fn malformed(reason: String) -> Self {
        Self::Malformed(DecodeError::invalid("request", reason))
    }
}

impl From<Status> for Fault {
    fn from(s: Status) -> Self {
        Self::Status(s)
    }
}

/// Serves storage connections.
#[derive(Debug, Clone)]
pub struct StorageHandler {
    state: Arc<StorageState>,
}

impl StorageHandler {
    pub fn new(state: Arc<StorageState>) -> Self {
        Self { state }
    }
}

impl Handler for StorageHandler {
    async fn handle(&self, mut conn: Connection, mut shutdown: Shutdown) {
        let mut peer = crate::sync::receive::PeerSession::default();
        loop {
            let header = match next_request(&mut conn, &mut shutdown).await {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => {
                    debug!(error = %e, "connection ended");
                    break;
                }
            };
            let span = debug_span!("request", cmd = cmd::name(header.cmd), len = header.pkg_len);
            let keep = async {
                let result = dispatch(&self.state, &mut conn, &mut peer, &header).await;
                answer(&mut conn, result).await
            }
            .instrument(span)
            .await;
            if !keep {
                break;
            }
        }
    }
}

/// Sends the answer; `false` when the connection must close.
async fn answer(conn: &mut Connection, result: Result<Reply, Fault>) -> bool {
    match result {
        Ok(Reply::Body(body)) => conn.write_frame(cmd::RESP, 0, &body).await.is_ok(),
        Ok(Reply::Sent) => true,
        Ok(Reply::Close) => false,
        Err(Fault::Status(status)) => {
            debug!(%status, "request refused");
            conn.respond_status(status).await.is_ok()
        }
        Err(Fault::StatusThenClose(status)) => {
            debug!(%status, "request refused; content left unread, closing");
            let _ = conn.respond_status(status).await;
            false
        }
        Err(Fault::Malformed(e)) => {
            warn!(error = %e, "malformed request; closing");
            let _ = conn.respond_status(Status::EINVAL).await;
            false
        }
        Err(Fault::Io(e)) => {
            debug!(error = %e, "connection failed mid-request");
            false
        }
    }
}

async fn dispatch(
    state: &StorageState,
    conn: &mut Connection,
    peer: &mut crate::sync::receive::PeerSession,
    header: &Header,
) -> Result<Reply, Fault> {
    let len = header.pkg_len;
    match header.cmd {
        cmd::ACTIVE_TEST => read_plain::<ActiveTest>(conn, len).await.map(|_| Reply::empty()),
        cmd::QUIT => Ok(Reply::Close),
        cmd::UPLOAD_FILE => upload::upload::<{ cmd::UPLOAD_FILE }>(state, conn, len).await,
        cmd::UPLOAD_APPENDER_FILE => {
            upload::upload::<{ cmd::UPLOAD_APPENDER_FILE }>(state, conn, len).await
        }
        cmd::UPLOAD_SLAVE_FILE => upload::upload_slave(state, conn, len).await,
        cmd::UPLOAD_FILE_WITH_METADATA => upload::upload_with_metadata(state, conn, len).await,
        cmd::DOWNLOAD_FILE => files::download(state, conn, len).await,
        cmd::QUERY_FILE_INFO => files::file_info(state, conn, header).await,
        cmd::DELETE_FILE => files::delete(state, conn, len).await,
        cmd::SET_METADATA => files::set_metadata(state, conn, len).await,
        cmd::GET_METADATA => files::get_metadata(state, conn, len).await,
        cmd::APPEND_FILE => appender::append(state, conn, len).await,
        cmd::MODIFY_FILE => appender::modify(state, conn, len).await,
        cmd::TRUNCATE_FILE => appender::truncate(state, conn, len).await,
        cmd::REGENERATE_APPENDER_FILENAME => appender::regenerate(state, conn, len).await,
        code if crate::sync::receive::handles(code) => {
            crate::sync::receive::handle(state, conn, peer, header).await
        }
        code => {
            debug!(cmd = code, "unknown command");
            refuse(conn, Status::EINVAL, len).await
        }
    }
}

/// Refuses a request with `left` body bytes unread: drains them when cheap
/// (the connection stays usable), else answers and closes.
pub async fn refuse(conn: &mut Connection, status: Status, left: u64) -> Result<Reply, Fault> {
    if left == 0 {
        return Err(Fault::Status(status));
    }
    if left > MAX_DRAIN {
        return Err(Fault::StatusThenClose(status));
    }
    match conn.discard(left).await {
        Ok(()) => Err(Fault::Status(status)),
        Err(e) => Err(Fault::Io(e)),
    }
}
