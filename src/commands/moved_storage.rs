//! `fdfs server` restarted with another `--storage-listen` IP: the tracker
//! knows its storage by IP, so the embedded storage joins as a new member
//! and its old address stays behind as an OFFLINE ghost that the new one
//! tries to sync to forever. The embedded storage is the same disk under a
//! new address, so the server remembers the address it last ran on
//! (`DATA/storage.listen`) and, when it changed, deletes the old member
//! from the embedded tracker (as `fdfs monitor delete` would) once the
//! tracker answers.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use fdfs_protocol::Status;
use fdfs_protocol::client::{Pool, TrackerClient};
use fdfs_protocol::connection::ConnError;
use tracing::{info, warn};

fn record_path(data: &Path) -> PathBuf {
    data.join("storage.listen")
}

/// The storage IP the previous start recorded, when it differs from
/// `now`; records `now` for the next start (temp file, fsync, rename).
pub(super) fn moved_from(data: &Path, now: SocketAddr) -> std::io::Result<Option<IpAddr>> {
    let path = record_path(data);
    let before = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| text.trim().parse::<SocketAddr>().ok())
        .map(|addr| addr.ip());
    let tmp = path.with_extension("listen.tmp");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        writeln!(f, "{now}")?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(data)?.sync_all()?;
    Ok(before.filter(|ip| *ip != now.ip()))
}

/// Deletes storage `old` of `group` from the tracker at `tracker`, trying
/// until the tracker answers (it is starting beside this task).
pub(super) async fn forget(tracker: SocketAddr, group: &str, old: IpAddr) {
    let Ok(client) = TrackerClient::new(vec![tracker], Pool::default()) else { return };
    let id = old.to_string();
    for _ in 0..40 {
        let answers = client.delete_storage(group, &id).await;
        match answers.into_iter().next().map(|(_, r)| r) {
            Some(Ok(())) => {
                info!(old = %id, "the storage moved to a new address: its old entry is deleted");
                return;
            }
            Some(Err(ConnError::Status(Status::ENOENT | Status::EALREADY))) => return,
            Some(Err(ConnError::Status(status))) => {
                warn!(old = %id, %status, "cannot delete the storage's old address from the tracker");
                return;
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
    warn!(old = %id, "the tracker did not answer; the storage's old address stays listed");
}
