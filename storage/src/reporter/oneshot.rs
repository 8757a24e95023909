//! Requests a storage sends on their own short connection rather than on
//! its reporter connection: the start-up queries (GET_MY_IP, PARAMETER_REQ,
//! the pre-join CHANGELOG_REQ) and the sync-source side of the new-member
//! handshake (SYNC_SRC_REQ, REPORT_STATUS), as FastDFS does (§3.3, §6).
//!
//! Each opens a connection from the storage's own IP, sends one request,
//! reads the answer and says QUIT (PARAMETER_REQ just closes, as captured).

use std::net::SocketAddr;

use fdfs_protocol::Status;
use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::message::{Quit, Request};
use fdfs_protocol::tracker::{
    ChangelogReq, GetMyIp, ParameterReq, Parameters, ReportStatus, StorageBrief, StorageStatus,
    SyncReqBody, SyncSrcReq,
};
use tracing::{Instrument, debug, debug_span};

use super::config::Dialer;

/// Sends `req` on a fresh connection to `tracker`, then QUIT when `quit`.
pub(crate) async fn call<R: Request + Sync>(
    dialer: &Dialer,
    tracker: SocketAddr,
    req: &R,
    quit: bool,
) -> Result<R::Response, ConnError> {
    let mut conn = dialer.connect(tracker).await?;
    let result = conn.call(req).await;
    if quit && (result.is_ok() || result.as_ref().is_err_and(ConnError::connection_reusable)) {
        send_quit(&mut conn).await;
    }
    result
}

/// Says QUIT (the tracker closes without answering), best effort.
pub(crate) async fn send_quit(conn: &mut Connection) {
    if let Err(e) = conn.send(&Quit).await {
        debug!(error = %e, "QUIT not sent");
    }
    conn.shutdown().await;
}

/// GET_MY_IP (60): the storage's address as `tracker` sees it.
pub async fn get_my_ip(
    dialer: &Dialer,
    tracker: SocketAddr,
    group: &str,
    port: u16,
) -> Result<String, ConnError> {
    let req = GetMyIp { group: group.to_string(), port };
    let span = debug_span!("tracker.get_my_ip", %tracker);
    Ok(call(dialer, tracker, &req, true).instrument(span).await?.0)
}

/// PARAMETER_REQ (75): the tracker's parameters that override the
/// storage's own.
pub async fn fetch_parameters(
    dialer: &Dialer,
    tracker: SocketAddr,
) -> Result<Parameters, ConnError> {
    let span = debug_span!("tracker.parameters", %tracker);
    call(dialer, tracker, &ParameterReq, false).instrument(span).await
}

/// The pre-join CHANGELOG_REQ (77, 32-byte form) of a restarted storage:
/// the tracker's IP-change log since this storage last read it, or `None`
/// when the tracker does not know the storage (ENOENT).
pub async fn changelog_before_join(
    dialer: &Dialer,
    tracker: SocketAddr,
    group: &str,
    storage_id: &str,
) -> Result<Option<Vec<u8>>, ConnError> {
    let req =
        ChangelogReq::BeforeJoin { group: group.to_string(), storage_id: storage_id.to_string() };
    let span = debug_span!("tracker.changelog", %tracker);
    match call(dialer, tracker, &req, true).instrument(span).await {
        Ok(raw) => Ok(Some(raw.0)),
        Err(ConnError::Status(Status::ENOENT)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// SYNC_SRC_REQ (86), asked by a would-be sync source about a new member
/// `dest_id`: dest's source and the time up to which old files must be
/// pushed, or `None` when nothing is to be pushed to it.
pub async fn sync_src_req(
    dialer: &Dialer,
    tracker: SocketAddr,
    group: &str,
    dest_id: &str,
) -> Result<Option<SyncReqBody>, ConnError> {
    let req = SyncSrcReq { group: group.to_string(), dest_id: dest_id.to_string() };
    let span = debug_span!("tracker.sync_src_req", %tracker, dest = dest_id);
    Ok(call(dialer, tracker, &req, true).instrument(span).await?.0)
}

/// [`sync_src_req`] to each tracker in turn until one answers (an answer
/// with an error status stands); the last failure when none could be
/// reached.
pub async fn sync_src_req_any(
    dialer: &Dialer,
    trackers: &[SocketAddr],
    group: &str,
    dest_id: &str,
) -> Result<Option<SyncReqBody>, ConnError> {
    let mut last = ConnError::Protocol("no tracker configured".into());
    for &tracker in trackers {
        match sync_src_req(dialer, tracker, group, dest_id).await {
            Ok(answer) => return Ok(answer),
            Err(e) if e.connection_reusable() => return Err(e),
            Err(e) => {
                debug!(%tracker, error = %e, "tracker unreachable; asking the next one");
                last = e;
            }
        }
    }
    Err(last)
}

/// REPORT_STATUS (76): sets the status of peer `id` (at `ip`) in `group`,
/// as a sync source does for its new member (SYNCING when it starts
/// pushing old files, OFFLINE when done).
pub async fn report_status(
    dialer: &Dialer,
    tracker: SocketAddr,
    group: &str,
    id: &str,
    ip: &str,
    status: StorageStatus,
) -> Result<(), ConnError> {
    let storage = StorageBrief { status, port: 0, id: id.to_string(), ip: ip.to_string() };
    let req = ReportStatus { group: group.to_string(), storage };
    let span = debug_span!("tracker.report_status", %tracker, peer = id, %status);
    call(dialer, tracker, &req, true).instrument(span).await.map(|_| ())
}

/// [`report_status`] to every tracker (each keeps its own view of the
/// group); each tracker's result, in order.
pub async fn report_status_all(
    dialer: &Dialer,
    trackers: &[SocketAddr],
    group: &str,
    id: &str,
    ip: &str,
    status: StorageStatus,
) -> Vec<(SocketAddr, Result<(), ConnError>)> {
    let mut out = Vec::with_capacity(trackers.len());
    for &tracker in trackers {
        out.push((tracker, report_status(dialer, tracker, group, id, ip, status).await));
    }
    out
}
