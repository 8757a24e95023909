//! Replication inside the group (`fastdfs-protocol.md` §5.2, §9): not built
//! yet — sync commands are refused with EINVAL until it lands.

pub mod receive;

/// Replication state shared with the server.
#[derive(Debug, Default)]
pub struct SyncShared {}

impl SyncShared {
    /// Per source storage, the newest change applied from it (none yet).
    pub fn sync_timestamps(&self) -> Vec<fdfs_protocol::tracker::SyncTimestamp> {
        Vec::new()
    }
}
