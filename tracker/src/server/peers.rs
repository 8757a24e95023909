//! Tracker ↔ tracker commands, receiving side (§3.4): followers joining and
//! pinging the leader, the leader announcing itself, and the system-file
//! transfer a fresh tracker bootstraps from.
//!
//! A tracker identifies a peer tracker by the connection's source IP plus the
//! server port it announces (JOIN_LEADER); fdfs binds its outgoing tracker
//! connections to its own listen address so this works for several trackers
//! on one host, where FastDFS's trackers fail.
//!
//! NOTIFY_NEXT_LEADER is refused (EBUSY) while this tracker leads or
//! announces itself, so two racing announcements cannot both complete (see
//! `election`). System files are served in chunks of at most
//! [`SYS_FILE_CHUNK`] bytes; the fetching tracker asks again from the next
//! offset.

use std::net::{IpAddr, SocketAddr};

use fdfs_protocol::message::Empty;
use fdfs_protocol::tracker::{
    CommitNextLeader, GetOneSysFile, GetSysFilesEnd, GetSysFilesStart, JoinLeader,
    NotifyNextLeader, NotifyReselectLeader, PingLeader, ServerAddr, SysFileChunk, TrunkServers,
};
use fdfs_protocol::{Status, cmd};
use tracing::info;

use super::session::{Fault, Reply, Session, decode};
use super::state::TrackerState;
use super::sysfiles;

/// Most bytes of a system file one GET_ONE_SYS_FILE reply carries; the
/// fetching tracker asks again from the next offset until it has the whole
/// file, as FastDFS's trackers do.
pub const SYS_FILE_CHUNK: usize = 64 * 1024;

pub fn handle(
    state: &TrackerState,
    session: &mut Session,
    code: u8,
    body: &[u8],
) -> Result<Reply, Fault> {
    match code {
        cmd::TRACKER_JOIN_LEADER => {
            let req = decode::<JoinLeader>(body)?;
            let addr = SocketAddr::new(session.peer.ip().to_canonical(), req.server_port);
            if !state.trackers.contains(&addr) {
                return Err(Fault::Status(Status::ENOENT));
            }
            if session.tracker_peer == Some(addr) {
                return Err(Fault::Status(Status::EEXIST));
            }
            session.tracker_peer = Some(addr);
            state.note_tracker_seen(addr);
            Ok(Reply::of(&Empty))
        }
        cmd::TRACKER_PING_LEADER => {
            decode::<PingLeader>(body)?;
            if !state.is_leader() {
                return Err(Fault::Status(Status::EOPNOTSUPP));
            }
            let peer = session.tracker_peer.ok_or(Fault::Status(Status::EACCES))?;
            state.note_tracker_seen(peer);
            Ok(Reply::of(&TrunkServers(Vec::new())))
        }
        cmd::TRACKER_NOTIFY_NEXT_LEADER => {
            let req = decode::<NotifyNextLeader>(body)?;
            let next = socket_addr(&req.leader)?;
            if !state.accept_next_leader(next) {
                info!(candidate = %next, "refused a leader announcement: this tracker leads or is announcing itself");
                return Err(Fault::Status(Status::EBUSY));
            }
            Ok(Reply::of(&Empty))
        }
        cmd::TRACKER_COMMIT_NEXT_LEADER => {
            let req = decode::<CommitNextLeader>(body)?;
            let next = socket_addr(&req.leader)?;
            if state.take_pending_leader() != Some(next) {
                return Err(Fault::Status(Status::EINVAL));
            }
            if state.set_leader(Some(next)) {
                info!(leader = %next, "leader committed");
            }
            Ok(Reply::of(&Empty))
        }
        cmd::TRACKER_NOTIFY_RESELECT_LEADER => {
            decode::<NotifyReselectLeader>(body)?;
            if state.set_leader(None) {
                info!("asked to elect a new leader");
            }
            Ok(Reply::of(&Empty))
        }
        cmd::TRACKER_GET_SYS_FILES_START => {
            decode::<GetSysFilesStart>(body)?;
            Ok(Reply::of(&Empty))
        }
        cmd::TRACKER_GET_SYS_FILES_END => {
            decode::<GetSysFilesEnd>(body)?;
            Ok(Reply::of(&Empty))
        }
        cmd::TRACKER_GET_ONE_SYS_FILE => {
            let req = decode::<GetOneSysFile>(body)?;
            let file = sysfiles::export(state, req.index).ok_or(Fault::Status(Status::EINVAL))?;
            let offset = usize::try_from(req.offset).unwrap_or(usize::MAX);
            if offset > file.len() {
                return Err(Fault::Status(Status::EINVAL));
            }
            let end = offset.saturating_add(SYS_FILE_CHUNK).min(file.len());
            let data = file[offset..end].to_vec();
            Ok(Reply::of(&SysFileChunk { file_size: file.len() as u64, data }))
        }
        _ => Err(Fault::Status(Status::EINVAL)),
    }
}

fn socket_addr(addr: &ServerAddr) -> Result<SocketAddr, Fault> {
    let ip: IpAddr = addr.ip.parse().map_err(|_| Fault::Status(Status::EINVAL))?;
    Ok(SocketAddr::new(ip, addr.port))
}
