//! Receiving side of replication: not built yet.

use fdfs_protocol::Header;
use fdfs_protocol::connection::Connection;

use crate::server::session::{Fault, Reply};
use crate::server::state::StorageState;

/// What a sync connection told about its sender.
#[derive(Debug, Default)]
pub struct PeerSession {}

/// Whether `code` is a sync command handled here (none yet).
pub fn handles(_code: u8) -> bool {
    false
}

/// Handles one sync command.
pub async fn handle(
    _state: &StorageState,
    _conn: &mut Connection,
    _peer: &mut PeerSession,
    _header: &Header,
) -> Result<Reply, Fault> {
    Err(Fault::Status(fdfs_protocol::Status::EINVAL))
}
