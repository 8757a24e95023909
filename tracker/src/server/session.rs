//! One connection to the tracker: read a request, dispatch it by command
//! code, answer, repeat.
//!
//! Requests are small (a tracker never receives file content), so a body is
//! read whole after its length is checked against `TRACKER_MAX_PACKAGE_SIZE`.
//! A request that does not decode is answered EINVAL and the connection is
//! closed, with the reason logged: after a malformed packet the stream's
//! framing cannot be trusted. An unknown command is answered EINVAL and the
//! connection stays open, as FastDFS does.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use fdfs_protocol::connection::Connection;
use fdfs_protocol::consts::TRACKER_MAX_PACKAGE_SIZE;
use fdfs_protocol::server::{Handler, Shutdown, next_request};
use fdfs_protocol::{Decode, DecodeError, Encode, Header, Status, cmd};
use tracing::{Instrument, debug, debug_span, warn};

use super::state::TrackerState;
use super::{monitor, peers, queries, reports};

/// What a connection knows about its peer across requests.
#[derive(Debug)]
pub struct Session {
    /// The peer's address (a storage's identity when it joins).
    pub peer: SocketAddr,
    /// `(group, storage id)` once the peer joined as a storage.
    pub joined: Option<(String, String)>,
    /// The group change count this storage was last sent.
    pub seen_changes: u64,
    /// The leader generation this storage was last told about.
    pub seen_leader: u64,
    /// The tracker behind this connection, once it sent JOIN_LEADER.
    pub tracker_peer: Option<SocketAddr>,
}

impl Session {
    pub fn new(peer: SocketAddr) -> Self {
        Self { peer, joined: None, seen_changes: 0, seen_leader: 0, tracker_peer: None }
    }

    /// The joined storage, or EACCES (`TRACKER_CHECK_LOGINED`).
    pub fn storage(&self) -> Result<(&str, &str), Fault> {
        self.joined
            .as_ref()
            .map(|(g, id)| (g.as_str(), id.as_str()))
            .ok_or(Fault::Status(Status::EACCES))
    }
}

/// A successful answer.
#[derive(Debug)]
pub enum Reply {
    /// A body (possibly empty).
    Body(BytesMut),
    /// Close the connection without answering (QUIT).
    Close,
}

impl Reply {
    /// An empty success.
    pub fn empty() -> Self {
        Self::Body(BytesMut::new())
    }

    /// A typed body.
    pub fn of(message: &impl Encode) -> Self {
        Self::Body(message.to_body())
    }
}

/// A failed request.
#[derive(Debug)]
pub enum Fault {
    /// Answer this status; the connection stays usable.
    Status(Status),
    /// The request was malformed: answer EINVAL and close.
    Malformed(DecodeError),
}

impl From<Status> for Fault {
    fn from(s: Status) -> Self {
        Self::Status(s)
    }
}

impl From<DecodeError> for Fault {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

/// Decodes a request body.
pub fn decode<T: Decode>(body: &[u8]) -> Result<T, Fault> {
    T::decode(body).map_err(Fault::Malformed)
}

/// Serves tracker connections.
#[derive(Debug, Clone)]
pub struct TrackerHandler {
    state: Arc<TrackerState>,
}

impl TrackerHandler {
    pub fn new(state: Arc<TrackerState>) -> Self {
        Self { state }
    }
}

impl Handler for TrackerHandler {
    async fn handle(&self, mut conn: Connection, mut shutdown: Shutdown) {
        let mut session = Session::new(conn.peer_addr());
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
            if !self.serve_one(&mut conn, &mut session, header).instrument(span).await {
                break;
            }
        }
        if let Some((group, id)) = session.joined.take() {
            reports::disconnected(&self.state, &group, &id);
        }
    }
}

impl TrackerHandler {
    /// Serves one request; `false` when the connection must close.
    async fn serve_one(
        &self,
        conn: &mut Connection,
        session: &mut Session,
        header: Header,
    ) -> bool {
        if header.pkg_len > TRACKER_MAX_PACKAGE_SIZE as u64 {
            warn!(len = header.pkg_len, "request larger than the tracker accepts; closing");
            let _ = conn.respond_status(Status::EINVAL).await;
            return false;
        }
        let body = match conn.read_body(header.pkg_len, TRACKER_MAX_PACKAGE_SIZE as u64).await {
            Ok(body) => body,
            Err(e) => {
                debug!(error = %e, "request body not received");
                return false;
            }
        };
        let result = dispatch(&self.state, session, &header, &body);
        let sent = match result {
            Ok(Reply::Body(b)) => conn.write_frame(cmd::RESP, 0, &b).await,
            Ok(Reply::Close) => return false,
            Err(Fault::Status(status)) => {
                debug!(%status, "request refused");
                conn.respond_status(status).await
            }
            Err(Fault::Malformed(e)) => {
                warn!(error = %e, "malformed request; closing");
                let _ = conn.respond_status(Status::EINVAL).await;
                return false;
            }
        };
        sent.is_ok()
    }
}

/// Routes one request to its handler.
pub fn dispatch(
    state: &TrackerState,
    session: &mut Session,
    header: &Header,
    body: &[u8],
) -> Result<Reply, Fault> {
    match header.cmd {
        cmd::ACTIVE_TEST => Ok(Reply::empty()),
        cmd::QUIT => Ok(Reply::Close),
        cmd::QUERY_STORE_WITHOUT_GROUP_ONE
        | cmd::QUERY_STORE_WITH_GROUP_ONE
        | cmd::QUERY_STORE_WITHOUT_GROUP_ALL
        | cmd::QUERY_STORE_WITH_GROUP_ALL
        | cmd::QUERY_FETCH_ONE
        | cmd::QUERY_FETCH_ALL
        | cmd::QUERY_UPDATE => queries::handle(state, header.cmd, body),
        cmd::SERVER_LIST_ONE_GROUP
        | cmd::SERVER_LIST_ALL_GROUPS
        | cmd::SERVER_LIST_STORAGE
        | cmd::SERVER_DELETE_STORAGE
        | cmd::SERVER_DELETE_GROUP
        | cmd::SERVER_SET_TRUNK_SERVER
        | cmd::SERVER_GET_LEADER
        | cmd::SERVER_TRACKER_CLUSTER_STAT
        | cmd::SERVER_STORAGE_CLUSTER_STAT
        | cmd::SERVER_STORAGE_VOLUMN_STAT
        | cmd::TRACKER_GET_STATUS => monitor::handle(state, header.cmd, body),
        cmd::TRACKER_JOIN_LEADER
        | cmd::TRACKER_PING_LEADER
        | cmd::TRACKER_NOTIFY_NEXT_LEADER
        | cmd::TRACKER_COMMIT_NEXT_LEADER
        | cmd::TRACKER_NOTIFY_RESELECT_LEADER
        | cmd::TRACKER_GET_SYS_FILES_START
        | cmd::TRACKER_GET_SYS_FILES_END
        | cmd::TRACKER_GET_ONE_SYS_FILE => peers::handle(state, session, header.cmd, body),
        code => match reports::handle(state, session, code, body) {
            Some(result) => result,
            None => {
                debug!(cmd = code, "unknown command");
                Err(Fault::Status(Status::EINVAL))
            }
        },
    }
}
