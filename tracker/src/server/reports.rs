//! Storage → tracker commands (§3.3): start-up queries, JOIN, the sync-role
//! handshake, heartbeats and reports.
//!
//! A storage is identified by the address its connection comes from (FastDFS
//! without `use_storage_id`): its id is that IP. Commands marked † in the
//! protocol reference need a JOIN on the same connection first (EACCES).
//! Only the leader fills change responses; other trackers answer flags 0.

use bytes::BytesMut;
use fdfs_protocol::message::{Empty, Raw, Text};
use fdfs_protocol::tracker::{
    Beat, ChangeResponse, ChangeStatus, ChangelogReq, DiskUsage, FetchStorageIds, FetchTrunkFid,
    GetGroupName, GetMyIp, GetServerId, GetStorageStatus, Join, ParameterReq, Parameters,
    ReplicaChg, ReportIpChanged, ReportStatus, ReportTrunkFid, ReportTrunkFree, StorageBrief,
    StorageIds, StorageStatus, SyncDestQuery, SyncDestReq, SyncNotify, SyncReport, SyncSrcReq,
    TrunkFid,
};
use fdfs_protocol::{Encode, Status, cmd};
use tracing::info;

use super::session::{Fault, Reply, Session, decode};
use super::state::{TrackerState, now};

/// Handles a storage → tracker command; `None` if `code` is not one.
pub fn handle(
    state: &TrackerState,
    session: &mut Session,
    code: u8,
    body: &[u8],
) -> Option<Result<Reply, Fault>> {
    Some(match code {
        cmd::STORAGE_GET_MY_IP => get_my_ip(session, body),
        cmd::STORAGE_PARAMETER_REQ => parameters(state, body),
        cmd::STORAGE_GET_SERVER_ID => get_server_id(state, body),
        cmd::STORAGE_FETCH_STORAGE_IDS => fetch_storage_ids(body),
        cmd::STORAGE_GET_GROUP_NAME => {
            decode::<GetGroupName>(body).and_then(|_| Err(Fault::Status(Status::EOPNOTSUPP)))
        }
        cmd::STORAGE_JOIN => join(state, session, body),
        cmd::STORAGE_SYNC_DEST_REQ => sync_dest_req(state, session, body),
        cmd::STORAGE_SYNC_DEST_QUERY => sync_dest_query(state, session, body),
        cmd::STORAGE_SYNC_NOTIFY => sync_notify(state, session, body),
        cmd::STORAGE_SYNC_SRC_REQ => sync_src_req(state, body),
        cmd::STORAGE_BEAT => beat(state, session, body),
        cmd::STORAGE_REPORT_DISK_USAGE => disk_usage(state, session, body),
        cmd::STORAGE_SYNC_REPORT => sync_report(state, session, body),
        cmd::STORAGE_REPORT_STATUS => report_status(state, body),
        cmd::STORAGE_CHANGE_STATUS => change_status(state, session, body),
        cmd::STORAGE_REPLICA_CHG => replica_chg(state, session, body),
        cmd::STORAGE_CHANGELOG_REQ => changelog(state, body),
        cmd::STORAGE_REPORT_IP_CHANGED => {
            decode::<ReportIpChanged>(body).and_then(|_| Err(Fault::Status(Status::EOPNOTSUPP)))
        }
        cmd::STORAGE_GET_STATUS => storage_status(state, body),
        cmd::STORAGE_FETCH_TRUNK_FID => decode::<FetchTrunkFid>(body)
            .and_then(|_| session.storage().map(|_| Reply::of(&TrunkFid(0)))),
        cmd::STORAGE_REPORT_TRUNK_FID => {
            decode::<ReportTrunkFid>(body).and_then(|_| session.storage().map(|_| Reply::empty()))
        }
        cmd::STORAGE_REPORT_TRUNK_FREE => {
            decode::<ReportTrunkFree>(body).and_then(|_| session.storage().map(|_| Reply::empty()))
        }
        _ => return None,
    })
}

/// The identity of the storage behind this connection: its IP.
fn peer_ip(session: &Session) -> String {
    session.peer.ip().to_canonical().to_string()
}

fn get_my_ip(session: &Session, body: &[u8]) -> Result<Reply, Fault> {
    decode::<GetMyIp>(body)?;
    Ok(Reply::of(&Text(peer_ip(session))))
}

/// The tracker-side parameters that override a storage's own (§3.3).
fn parameters(state: &TrackerState, body: &[u8]) -> Result<Reply, Fault> {
    decode::<ParameterReq>(body)?;
    let p = &state.policy;
    let pairs: Vec<(String, String)> = [
        ("use_storage_id", "0".to_string()),
        ("id_type_in_filename", "ip".to_string()),
        ("trust_storage_server_id", "1".to_string()),
        ("response_ip_addr_size", p.response_ip_addr_size.addr_size().to_string()),
        ("storage_ip_changed_auto_adjust", "0".to_string()),
        ("storage_sync_file_max_delay", p.storage_sync_file_max_delay.to_string()),
        ("store_path", p.store_path.code().to_string()),
        ("reserved_storage_space", p.reserved_storage_space.to_string()),
        ("use_trunk_file", "0".to_string()),
        ("store_slave_file_use_link", "0".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Ok(Reply::of(&Parameters(pairs)))
}

/// Without storage ids a storage's id is its address.
fn get_server_id(_state: &TrackerState, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<GetServerId>(body)?;
    Ok(Reply::of(&Text(req.addr.ip)))
}

/// Without `use_storage_id` there is no id table: an empty one when the
/// caller allows that, else EOPNOTSUPP (as FastDFS answers).
fn fetch_storage_ids(body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<FetchStorageIds>(body)?;
    if !req.allow_empty {
        return Err(Fault::Status(Status::EOPNOTSUPP));
    }
    Ok(Reply::of(&StorageIds { total: 0, entries: Vec::new() }))
}

fn join(state: &TrackerState, session: &mut Session, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<Join>(body)?;
    let ip = peer_ip(session);
    let id = ip.clone();
    let now = now();
    let resp = state.mutate_group(&req.group, |c| c.join(&req, &id, &ip, now))?;
    if session.joined.as_ref() != Some(&(req.group.clone(), id.clone())) {
        info!(group = %req.group, storage = %id, port = req.storage_port, status = %resp.my_status, "storage joined");
    }
    session.joined = Some((req.group, id));
    session.seen_changes = 0;
    session.seen_leader = 0;
    Ok(Reply::of(&resp))
}

fn sync_dest_req(state: &TrackerState, session: &Session, body: &[u8]) -> Result<Reply, Fault> {
    decode::<SyncDestReq>(body)?;
    let (group, id) = session.storage()?;
    let source = state.mutate_group(group, |c| c.sync_dest_req(group, id, now()))?;
    Ok(Reply::of(&source))
}

fn sync_dest_query(state: &TrackerState, session: &Session, body: &[u8]) -> Result<Reply, Fault> {
    decode::<SyncDestQuery>(body)?;
    let (group, id) = session.storage()?;
    let source = state.with_cluster(|c| c.sync_dest_query(group, id))?;
    Ok(Reply::of(&source))
}

fn sync_notify(state: &TrackerState, session: &Session, body: &[u8]) -> Result<Reply, Fault> {
    let SyncNotify(req) = decode::<SyncNotify>(body)?;
    let (group, id) = session.storage()?;
    state.mutate_group(group, |c| c.sync_notify(group, id, &req))?;
    Ok(Reply::empty())
}

fn sync_src_req(state: &TrackerState, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<SyncSrcReq>(body)?;
    let source = state.mutate_group(&req.group, |c| c.sync_src_req(&req.group, &req.dest_id))?;
    Ok(Reply::of(&source))
}

fn beat(state: &TrackerState, session: &mut Session, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<Beat>(body)?;
    let (group, id) = session.storage()?;
    state.mutate_group(group, |c| c.beat(group, id, req.stat.as_ref(), now()))?;
    Ok(change_response(state, session))
}

fn disk_usage(state: &TrackerState, session: &mut Session, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<DiskUsage>(body)?;
    let (group, id) = session.storage()?;
    let store_path = state.policy.store_path;
    state.mutate_group(group, |c| c.disk_usage(group, id, &req.paths, store_path))?;
    Ok(change_response(state, session))
}

fn sync_report(state: &TrackerState, session: &mut Session, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<SyncReport>(body)?;
    let (group, id) = session.storage()?;
    let store_server = state.policy.store_server;
    state.mutate_group(group, |c| c.sync_report(group, id, &req.entries, store_server))?;
    Ok(change_response(state, session))
}

/// The answer to a beat or report: what changed since this connection was
/// last told — the leader (flag 1) and the group's members (flag 4). Only
/// the leader answers with anything but flags 0.
fn change_response(state: &TrackerState, session: &mut Session) -> Reply {
    let mut resp = ChangeResponse::default();
    if !state.is_leader() {
        return Reply::of(&resp);
    }
    let view = state.leader();
    if session.seen_leader != view.generation
        && let Some(leader) = view.leader
    {
        session.seen_leader = view.generation;
        let ip = leader.ip().to_string();
        resp.leader = Some(StorageBrief {
            status: StorageStatus::Init,
            port: leader.port(),
            id: ip.clone(),
            ip,
        });
    }
    if let Some((group, _)) = &session.joined {
        resp.group_storages =
            state.with_cluster(|c| c.group_changes(group, &mut session.seen_changes));
    }
    Reply::of(&resp)
}

fn report_status(state: &TrackerState, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<ReportStatus>(body)?;
    state.mutate_group(&req.group, |c| c.report_status(&req.group, &req.storage))?;
    Ok(Reply::of(&Empty))
}

fn change_status(state: &TrackerState, session: &Session, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<ChangeStatus>(body)?;
    let (group, id) = session.storage()?;
    state.mutate_group(group, |c| c.change_status(group, id, req.status))?;
    Ok(Reply::empty())
}

/// A storage telling its replica list: followers adopt the statuses, the
/// way FastDFS non-leaders do; the list itself is the leader's business.
fn replica_chg(state: &TrackerState, session: &Session, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<ReplicaChg>(body)?;
    let (group, _) = session.storage()?;
    if !state.is_leader() {
        for brief in &req.storages {
            // A peer the leader knows and this tracker does not is skipped.
            let _ = state.mutate_group(group, |c| c.report_status(group, brief));
        }
    }
    Ok(Reply::empty())
}

/// The IP-change log. fdfs keeps none (storages are identified by their
/// address, and `storage_ip_changed_auto_adjust` is off), so the answer is
/// always "nothing new" — or ENOENT, for the pre-join form, when the
/// storage is unknown, which tells a restarted storage it must join anew.
fn changelog(state: &TrackerState, body: &[u8]) -> Result<Reply, Fault> {
    match decode::<ChangelogReq>(body)? {
        ChangelogReq::Joined => Ok(Reply::of(&Raw(Vec::new()))),
        ChangelogReq::BeforeJoin { group, storage_id } => {
            let known = state.with_cluster(|c| c.storage(&group, &storage_id).is_some());
            if known {
                Ok(Reply::Body(BytesMut::new()))
            } else {
                Err(Fault::Status(Status::ENOENT))
            }
        }
    }
}

fn storage_status(state: &TrackerState, body: &[u8]) -> Result<Reply, Fault> {
    let req = decode::<GetStorageStatus>(body)?;
    let brief = state
        .with_cluster(|c| c.storage(&req.group, &req.addr.ip).map(|s| s.brief()))
        .ok_or(Fault::Status(Status::ENOENT))?;
    Ok(Reply::Body(brief.to_body()))
}

/// Called when a storage's reporting connection closes: FastDFS marks it
/// OFFLINE at once rather than waiting for the liveness check.
pub fn disconnected(state: &TrackerState, group: &str, id: &str) {
    let changed = state.with_cluster(|c| c.disconnect(group, id));
    if changed {
        info!(group, storage = id, "storage disconnected; now OFFLINE");
        state.persist_groups([group]);
    }
}
