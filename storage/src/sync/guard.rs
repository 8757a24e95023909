//! Retention on the receiving side of replication.
//!
//! A group peer replaying its binlog is not checked: the source storage
//! already judged the change against the file's tags (and its lock admin
//! may have lifted them). But the sync commands carry no credential, so a
//! host that is neither a member of the group (as the trackers list it)
//! nor a lock admin could use them to delete or rewrite what a client
//! command may not. Such a sender is held to the file's retention, as a
//! client is: a sync command that would delete or change a locked file, or
//! the tags of one, is refused `EPERM`. Until the first member list arrives
//! every sender is trusted, as FastDFS trusts them.

use fdfs_protocol::connection::Connection;
use fdfs_protocol::file_id::LogicName;

use crate::binlog::META_SUFFIX;
use crate::server::session::Fault;
use crate::server::state::StorageState;
use crate::server::worm::note_refusal;
use crate::store::Worm;

/// How the retention binds a sync command on `conn`.
pub(super) fn worm(state: &StorageState, conn: &Connection) -> Worm {
    let ip = conn.peer_addr().ip();
    if state.sync.member_or_unknown(ip) || state.lock_admins.contains(ip) {
        Worm::Bypass
    } else {
        Worm::enforce_now()
    }
}

/// `EPERM` (logged) when `worm` enforces and the file `name` is, or whose
/// tags `name` holds (`<file>-m`), is locked.
pub(super) async fn check(
    state: &StorageState,
    conn: &Connection,
    name: &LogicName,
    worm: Worm,
    command: &str,
) -> Result<(), Fault> {
    if worm == Worm::Bypass {
        return Ok(());
    }
    let base = match name.as_str().strip_suffix(META_SUFFIX) {
        Some(file) => {
            LogicName::parse(file).map_err(|_| Fault::Status(fdfs_protocol::Status::EINVAL))?
        }
        None => name.clone(),
    };
    state.store.check_unlocked(&base, worm).await.map_err(|e| {
        note_refusal(&e, conn, name, command);
        Fault::Status(e.status())
    })
}
