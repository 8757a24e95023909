//! Listing the files of a cluster from the storages' binlogs.
//!
//! For every group the tracker knows, one ACTIVE storage is asked for the
//! binlog of each store path (FETCH_ONE_PATH_BINLOG) and the lines are
//! replayed into the set of files that exist now: creates (`C`/`c`) and
//! links (`L`/`l`) add a name, deletes (`D`/`d`) remove it, a rename
//! (`R`/`r`) moves it; appends, modifies, truncates and updates change no
//! membership. Metadata files (`<name>-m`) are not files of their own. A
//! storage's binlog holds the files it originated and those it received
//! from its peers, so one fully synced storage per group sees them all.
//!
//! One store path is listed at a time ([`Scan::files`]), so memory is
//! bounded by the files of one store path, not of the whole cluster.

use std::collections::BTreeSet;
use std::io;
use std::net::SocketAddr;

use fdfs_protocol::client::{StorageClient, TrackerClient, storage_socket_addr};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::tracker::StorageStatus;

/// Why a scan failed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The tracker or a storage failed.
    #[error("cluster: {0}")]
    Cluster(#[from] ConnError),
    /// A binlog stream broke or held an unreadable line.
    #[error("binlog of {group} store path {store_path}: {source}")]
    Binlog { group: String, store_path: u8, source: io::Error },
    /// A group has no ACTIVE storage to read from.
    #[error("group {0} has no active storage")]
    NoStorage(String),
}

/// A store path of a group, and the storage it is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePath {
    /// The group.
    pub group: String,
    /// The storage asked.
    pub storage: SocketAddr,
    /// The store path index.
    pub index: u8,
}

/// A file that exists in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFile {
    /// Its group.
    pub group: String,
    /// Its logic filename (`M00/...`).
    pub filename: String,
    /// A storage of the group that has it.
    pub storage: SocketAddr,
}

impl LiveFile {
    /// The file ID, `group/filename`.
    pub fn file_id(&self) -> String {
        format!("{}/{}", self.group, self.filename)
    }
}

/// The store paths of every group, each with the storage to read it from.
pub async fn store_paths(tracker: &TrackerClient) -> Result<Vec<StorePath>, ScanError> {
    let mut out = Vec::new();
    for group in tracker.list_groups().await? {
        let storages = tracker.list_storages(&group.group_name, None).await?;
        let active = storages
            .iter()
            .find(|s| s.status == StorageStatus::Active)
            .ok_or_else(|| ScanError::NoStorage(group.group_name.clone()))?;
        let port = u16::try_from(active.storage_port)
            .map_err(|_| ConnError::Protocol(format!("storage port {}", active.storage_port)))?;
        let addr = storage_socket_addr(&fdfs_protocol::tracker::ServerAddr {
            ip: active.ip.clone(),
            port,
        })?;
        let count = u8::try_from(group.store_path_count.clamp(0, 255)).unwrap_or(0);
        for index in 0..count {
            out.push(StorePath { group: group.group_name.clone(), storage: addr, index });
        }
    }
    Ok(out)
}

/// The files of one store path that exist now, sorted by name.
pub async fn files(storage: &StorageClient, path: &StorePath) -> Result<Vec<LiveFile>, ScanError> {
    let broken =
        |source| ScanError::Binlog { group: path.group.clone(), store_path: path.index, source };
    let mut lines = storage.fetch_one_path_binlog(path.storage, &path.group, path.index).await?;
    let mut live = BTreeSet::new();
    while let Some(line) = lines.next_line().await.map_err(broken)? {
        replay(&mut live, &line);
    }
    Ok(live
        .into_iter()
        .map(|filename| LiveFile { group: path.group.clone(), filename, storage: path.storage })
        .collect())
}

/// Every file of the cluster (for tools; the sweep goes path by path).
pub async fn live_files(
    tracker: &TrackerClient,
    storage: &StorageClient,
) -> Result<Vec<LiveFile>, ScanError> {
    let mut out = Vec::new();
    for path in store_paths(tracker).await? {
        out.extend(files(storage, &path).await?);
    }
    Ok(out)
}

/// Applies one binlog line (`<ts> <op> <name>[ <extra>]`) to `live`.
/// Lines that do not parse are skipped, as the storage's own reader does.
fn replay(live: &mut BTreeSet<String>, line: &str) {
    let mut fields = line.splitn(4, ' ');
    let (Some(_ts), Some(op), Some(name)) = (fields.next(), fields.next(), fields.next()) else {
        return;
    };
    let extra = fields.next();
    if name.ends_with("-m") {
        return;
    }
    match op {
        "C" | "c" | "L" | "l" => {
            live.insert(name.to_string());
        }
        "D" | "d" => {
            live.remove(name);
        }
        "R" | "r" => {
            if let Some(old) = extra {
                live.remove(old);
            }
            live.insert(name.to_string());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::replay;

    #[test]
    fn replay_keeps_what_exists() {
        let mut live = BTreeSet::new();
        let lines = [
            "1 C M00/00/00/a.txt",
            "1 C M00/00/00/a.txt-m",
            "2 c M00/00/00/b.txt",
            "3 C M00/00/00/app",
            "4 A M00/00/00/app 0 5",
            "5 R M00/00/00/renamed M00/00/00/app",
            "6 D M00/00/00/b.txt",
            "7 L M00/00/00/link M00/00/00/a.txt",
            "8 U M00/00/00/a.txt-m",
            "garbage",
        ];
        for line in lines {
            replay(&mut live, line);
        }
        let got: Vec<&str> = live.iter().map(String::as_str).collect();
        assert_eq!(got, ["M00/00/00/a.txt", "M00/00/00/link", "M00/00/00/renamed"]);
    }

    proptest::proptest! {
        /// Binlog lines come from a storage: any text replays without a
        /// panic.
        #[test]
        fn any_line_replays_without_panic(lines in proptest::collection::vec("\\PC{0,80}", 0..20)) {
            let mut live = BTreeSet::new();
            for line in &lines {
                replay(&mut live, line);
            }
        }
    }
}
