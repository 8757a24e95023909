//! `fdfs monitor`: the cluster as a tracker sees it, printed the way
//! FastDFS's `fdfs_monitor` prints it (so scripts that grep its output keep
//! working), and the admin action that removes a dead storage.
//!
//! Differences from `fdfs_monitor`: times are UTC, the leader tracker is
//! shown, and there is no HTTP port or domain name (fdfs has neither).

use std::fmt::Write as _;
use std::net::SocketAddr;

use anyhow::{Context, bail};
use fdfs_protocol::Status;
use fdfs_protocol::client::{Pool, PoolConfig, TrackerClient};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::tracker::{GroupStat, StorageStat, StorageStatBuff};

use super::timefmt::datetime_utc;
use crate::cli::{MonitorAction, MonitorArgs};

pub async fn run(args: MonitorArgs) -> anyhow::Result<()> {
    let configured = args.trackers.trackers;
    let pool = Pool::new(PoolConfig::default());
    match args.action.unwrap_or(MonitorAction::List { group: None, storage_id: None }) {
        MonitorAction::List { group, storage_id } => {
            let (client, index) = connect(configured, pool).await?;
            let out = list(&client, index, group.as_deref(), storage_id.as_deref()).await?;
            print!("{out}");
            Ok(())
        }
        MonitorAction::Delete { group, storage_id } => {
            let client = TrackerClient::new(configured, pool)?;
            delete(&client, &group, &storage_id).await
        }
    }
}

/// A client whose first tracker is the first configured one that answers
/// ACTIVE_TEST, and that tracker's index in the configured list.
async fn connect(
    configured: Vec<SocketAddr>,
    pool: Pool,
) -> anyhow::Result<(TrackerClient, usize)> {
    let probe = TrackerClient::new(configured.clone(), pool.clone())?;
    let alive = probe.active_trackers().await;
    let Some(&chosen) = alive.first() else {
        let list: Vec<String> = configured.iter().map(SocketAddr::to_string).collect();
        bail!("cannot reach any tracker ({})", list.join(", "));
    };
    let index = configured.iter().position(|&a| a == chosen).unwrap_or(0);
    let mut ordered = vec![chosen];
    ordered.extend(configured.iter().copied().filter(|&a| a != chosen));
    Ok((TrackerClient::new(ordered, pool)?, index))
}

/// The whole report for `list [GROUP [STORAGE_ID]]`.
async fn list(
    client: &TrackerClient,
    index: usize,
    group: Option<&str>,
    storage_id: Option<&str>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    let trackers = client.trackers();
    // Each storage's `version` below is the FastDFS version the wire
    // protocol reports (clients parse it); this names the build itself.
    let _ = writeln!(
        out,
        "fdfs version {} (FastDFS protocol {})\n",
        env!("CARGO_PKG_VERSION"),
        fdfs_protocol::consts::FDFS_VERSION
    );
    let _ = writeln!(out, "server_count={}, server_index={index}\n", trackers.len());
    let _ = writeln!(out, "tracker server is {}\n", trackers[0]);
    match client.get_leader().await {
        Ok(leader) => _ = writeln!(out, "leader tracker is {leader}\n"),
        Err(e) => _ = writeln!(out, "leader tracker is unknown ({e})\n"),
    }
    let groups = match group {
        Some(name) => {
            vec![client.list_group(name).await.with_context(|| format!("group {name}"))?]
        }
        None => {
            let groups = client.list_groups().await.context("listing the groups")?;
            let _ = writeln!(out, "group count: {}\n", groups.len());
            groups
        }
    };
    for (i, g) in groups.iter().enumerate() {
        let storages = client
            .list_storages(&g.group_name, storage_id)
            .await
            .with_context(|| format!("listing the storages of {}", g.group_name))?;
        out.push_str(&render_group(i + 1, g, &storages));
    }
    Ok(out)
}

/// SERVER_DELETE_STORAGE on every tracker, reporting each answer. A
/// tracker that does not know the storage (ENOENT) is fine as long as one
/// tracker deleted it.
async fn delete(client: &TrackerClient, group: &str, storage_id: &str) -> anyhow::Result<()> {
    let results = client.delete_storage(group, storage_id).await;
    let mut deleted = 0;
    let mut failed = 0;
    for (addr, result) in &results {
        match result {
            Ok(()) => {
                deleted += 1;
                println!("tracker {addr}: deleted storage {group}::{storage_id}");
            }
            Err(ConnError::Status(s)) if *s == Status::ENOENT => {
                println!("tracker {addr}: storage {group}::{storage_id} not found");
            }
            Err(e) => {
                failed += 1;
                println!("tracker {addr}: delete storage {group}::{storage_id} failed: {e}");
            }
        }
    }
    if failed > 0 {
        bail!(
            "delete storage {group}::{storage_id} failed on {failed} of {} trackers",
            results.len()
        );
    }
    if deleted == 0 {
        bail!("no tracker knows storage {storage_id} in group {group}");
    }
    Ok(())
}

/// `12345678` → `12,345,678`, as fdfs_monitor prints sizes.
fn with_commas(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A timestamp, blank when never set (0), as fdfs_monitor shows join and
/// up times.
fn time_or_blank(secs: i64) -> String {
    if secs == 0 { String::new() } else { datetime_utc(secs) }
}

/// One group and its storages.
fn render_group(number: usize, g: &GroupStat, storages: &[StorageStat]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "Group {number}:\n\
         group name = {}\n\
         disk total space = {} MB\n\
         disk free space = {} MB\n\
         disk reserved space = {} MB\n\
         trunk free space = {} MB\n\
         storage server count = {}\n\
         storage server port = {}\n\
         readable server count = {}\n\
         writable server count = {}\n\
         current write server index = {}\n\
         store path count = {}\n\
         subdir count per path = {}\n\
         current trunk file id = {}\n\n",
        g.group_name,
        with_commas(g.total_mb),
        with_commas(g.free_mb),
        with_commas(g.reserved_mb),
        with_commas(g.trunk_free_mb),
        g.storage_count,
        g.storage_port,
        g.readable_server_count,
        g.writable_server_count,
        g.current_write_server,
        g.store_path_count,
        g.subdir_count_per_path,
        g.current_trunk_file_id,
    );
    for (i, s) in storages.iter().enumerate() {
        out.push_str(&render_storage(i + 1, s));
    }
    out
}

/// One storage: identity, space, then every counter of its statistics.
fn render_storage(number: usize, s: &StorageStat) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "\tStorage {number}:\n\
         \t\tid = {}\n\
         \t\tip_addr = {}  {}\n\
         \t\tversion = {}\n\
         \t\tjoin time = {}\n\
         \t\tup time = {}\n\
         \t\ttotal storage = {} MB\n\
         \t\tfree storage = {} MB\n\
         \t\treserved storage = {} MB\n\
         \t\tupload priority = {}\n\
         \t\tstore_path_count = {}\n\
         \t\tsubdir_count_per_path = {}\n\
         \t\tstorage_port = {}\n\
         \t\tcurrent_write_path = {}\n\
         \t\tsource storage id = {}\n\
         \t\tif_trunk_server = {}\n",
        s.id,
        s.ip,
        s.status,
        s.version,
        time_or_blank(s.join_time),
        time_or_blank(s.up_time),
        with_commas(s.total_mb),
        with_commas(s.free_mb),
        with_commas(s.reserved_mb),
        s.upload_priority,
        s.store_path_count,
        s.subdir_count_per_path,
        s.storage_port,
        s.current_write_path,
        s.src_id,
        u8::from(s.if_trunk_server),
    );
    let st = &s.stat;
    let c = st.connection;
    let _ = write!(
        out,
        "\t\tconnection.alloc_count = {}\n\
         \t\tconnection.current_count = {}\n\
         \t\tconnection.max_count = {}\n",
        c.alloc_count, c.current_count, c.max_count
    );
    for (name, value) in counters(st) {
        let _ = writeln!(out, "\t\t{name} = {value}");
    }
    for (name, secs) in [
        ("last_heart_beat_time", st.last_heart_beat_time),
        ("last_source_update", st.last_source_update),
        ("last_sync_update", st.last_sync_update),
        ("last_synced_timestamp", st.last_synced_timestamp),
    ] {
        let _ = writeln!(out, "\t\t{name} = {}", datetime_utc(secs));
    }
    out.push('\n');
    out
}

/// The counters of a storage's statistics, in wire order, by name.
fn counters(st: &StorageStatBuff) -> [(&'static str, i64); 38] {
    [
        ("total_upload_count", st.total_upload_count),
        ("success_upload_count", st.success_upload_count),
        ("total_append_count", st.total_append_count),
        ("success_append_count", st.success_append_count),
        ("total_modify_count", st.total_modify_count),
        ("success_modify_count", st.success_modify_count),
        ("total_truncate_count", st.total_truncate_count),
        ("success_truncate_count", st.success_truncate_count),
        ("total_set_meta_count", st.total_set_meta_count),
        ("success_set_meta_count", st.success_set_meta_count),
        ("total_delete_count", st.total_delete_count),
        ("success_delete_count", st.success_delete_count),
        ("total_download_count", st.total_download_count),
        ("success_download_count", st.success_download_count),
        ("total_get_meta_count", st.total_get_meta_count),
        ("success_get_meta_count", st.success_get_meta_count),
        ("total_create_link_count", st.total_create_link_count),
        ("success_create_link_count", st.success_create_link_count),
        ("total_delete_link_count", st.total_delete_link_count),
        ("success_delete_link_count", st.success_delete_link_count),
        ("total_upload_bytes", st.total_upload_bytes),
        ("success_upload_bytes", st.success_upload_bytes),
        ("total_append_bytes", st.total_append_bytes),
        ("success_append_bytes", st.success_append_bytes),
        ("total_modify_bytes", st.total_modify_bytes),
        ("success_modify_bytes", st.success_modify_bytes),
        ("total_download_bytes", st.total_download_bytes),
        ("success_download_bytes", st.success_download_bytes),
        ("total_sync_in_bytes", st.total_sync_in_bytes),
        ("success_sync_in_bytes", st.success_sync_in_bytes),
        ("total_sync_out_bytes", st.total_sync_out_bytes),
        ("success_sync_out_bytes", st.success_sync_out_bytes),
        ("total_file_open_count", st.total_file_open_count),
        ("success_file_open_count", st.success_file_open_count),
        ("total_file_read_count", st.total_file_read_count),
        ("success_file_read_count", st.success_file_read_count),
        ("total_file_write_count", st.total_file_write_count),
        ("success_file_write_count", st.success_file_write_count),
    ]
}

#[cfg(test)]
mod tests {
    use fdfs_protocol::tracker::StorageStatus;

    use super::*;

    #[test]
    fn commas_like_fdfs_monitor() {
        for (n, want) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (100_000, "100,000"),
            (1_234_567, "1,234,567"),
            (-1_234, "-1,234"),
            (i64::MIN, "-9,223,372,036,854,775,808"),
        ] {
            assert_eq!(with_commas(n), want);
        }
    }

    #[test]
    fn renders_a_group_and_storage() {
        let g = GroupStat {
            group_name: "group1".into(),
            total_mb: 100_000,
            free_mb: 50_000,
            reserved_mb: 20_000,
            storage_count: 1,
            storage_port: 23000,
            readable_server_count: 1,
            writable_server_count: 1,
            store_path_count: 1,
            subdir_count_per_path: 256,
            ..Default::default()
        };
        let s = StorageStat {
            status: StorageStatus::Active,
            rw_mode: 6,
            id: "127.0.0.2".into(),
            ip: "127.0.0.2".into(),
            version: "6.16.1".into(),
            join_time: 1_795_682_911,
            storage_port: 23000,
            stat: StorageStatBuff {
                success_upload_count: 7,
                last_heart_beat_time: 1_795_682_911,
                ..Default::default()
            },
            ..Default::default()
        };
        let out = render_group(1, &g, &[s]);
        for line in [
            "Group 1:\ngroup name = group1\n",
            "disk total space = 100,000 MB\n",
            "disk free space = 50,000 MB\n",
            "disk reserved space = 20,000 MB\n",
            "storage server count = 1\n",
            "\tStorage 1:\n\t\tid = 127.0.0.2\n",
            "\t\tip_addr = 127.0.0.2  ACTIVE\n",
            "\t\tjoin time = 2026-11-26 08:48:31\n",
            "\t\tup time = \n",
            "\t\tsuccess_upload_count = 7\n",
            "\t\tsuccess_file_write_count = 0\n",
            "\t\tlast_heart_beat_time = 2026-11-26 08:48:31\n",
            "\t\tlast_synced_timestamp = 1970-01-01 00:00:00\n",
        ] {
            assert!(out.contains(line), "missing {line:?} in:\n{out}");
        }
    }
}
