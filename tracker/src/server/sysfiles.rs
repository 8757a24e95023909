//! The "system files" one tracker hands another (GET_ONE_SYS_FILE, 63), so
//! a tracker starting with an empty data directory learns the cluster from
//! a running one before it takes part in the election.
//!
//! FastDFS ships its own `.dat` files; fdfs ships the same four slots as
//! text exports of its model, one record per line, tab-separated:
//! 0 groups (`name port store_path_count subdir_count`), 1 storages
//! (`group id ip port status join_time up_time store_path_count version`),
//! 2 sync timestamps (`group src dest timestamp`), 3 the IP-change log
//! (always empty: fdfs keeps none).

use std::fmt::Write;

use super::state::TrackerState;

/// The number of system files.
pub const SYS_FILE_COUNT: u8 = 4;

/// The content of system file `index`, or `None` for an unknown index.
pub fn export(state: &TrackerState, index: u8) -> Option<Vec<u8>> {
    let mut out = String::new();
    state.with_cluster(|c| match index {
        0 => {
            for g in c.groups() {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    g.name, g.storage_port, g.store_path_count, g.subdir_count
                );
            }
        }
        1 => {
            for s in c.groups().flat_map(|g| g.storages()) {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    s.group,
                    s.id,
                    s.ip,
                    s.port,
                    u8::from(s.status),
                    s.join_time,
                    s.up_time,
                    s.store_path_count,
                    s.version
                );
            }
        }
        2 => {
            for g in c.groups() {
                for ((src, dest), ts) in g.sync_timestamps() {
                    let _ = writeln!(out, "{}\t{src}\t{dest}\t{ts}", g.name);
                }
            }
        }
        _ => {}
    });
    (index < SYS_FILE_COUNT).then(|| out.into_bytes())
}
