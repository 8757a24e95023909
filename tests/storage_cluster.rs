//! A real cluster of processes — one tracker; group1 with two storages,
//! group2 with one — driven by the project's client and the `fastdfs`
//! crate: every storage operation round-trips, uploads replicate inside the
//! group, a storage killed mid-load loses no acknowledged file, and a new
//! member receives everything.

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fdfs_protocol::Status;
use fdfs_protocol::client::{Content, Pool, StorageClient, TrackerClient, storage_socket_addr};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::file_id::FileId;
use fdfs_protocol::filename::{FileKind, Source};
use fdfs_protocol::metadata::{MetaOp, Metadata};
use fdfs_protocol::tracker::StorageStatus;
use support::process::{
    FdfsProcess, TempDir, common_free_port, free_addr, loopback, storage, tracker,
};
use tokio::io::AsyncReadExt;

/// The running cluster.
struct Cluster {
    dir: TempDir,
    tracker: SocketAddr,
    _tracker_proc: FdfsProcess,
    storages: BTreeMap<SocketAddr, (String, FdfsProcess)>,
    /// The port every storage of a group listens on.
    group_ports: BTreeMap<String, u16>,
    /// Extra flags for every storage.
    storage_args: Vec<String>,
    client: TrackerClient,
    storage: StorageClient,
}

impl Cluster {
    async fn start(tag: &str, layout: &[(u8, &str)]) -> Self {
        Self::start_with(tag, layout, &[]).await
    }

    async fn start_with(tag: &str, layout: &[(u8, &str)], storage_args: &[&str]) -> Self {
        let dir = TempDir::new(tag);
        let tracker_addr = free_addr(10);
        let tracker_dir = dir.path().join("tracker");
        let tracker_proc = tracker(tracker_addr, &tracker_dir, &["--check-active-interval", "5"]);
        let pool = Pool::default();
        let mut cluster = Self {
            tracker: tracker_addr,
            _tracker_proc: tracker_proc,
            storages: BTreeMap::new(),
            group_ports: BTreeMap::new(),
            storage_args: storage_args.iter().map(|s| s.to_string()).collect(),
            client: TrackerClient::new(vec![tracker_addr], pool.clone()).unwrap(),
            storage: StorageClient::new(pool),
            dir,
        };
        for &(last, group) in layout {
            cluster.add_storage(last, group).await;
        }
        cluster
    }

    async fn add_storage(&mut self, last: u8, group: &str) -> SocketAddr {
        let port = match self.group_ports.get(group) {
            Some(&port) => port,
            None => {
                // One port free on every address this test may give the group.
                let ips: Vec<_> = (last..last.saturating_add(3)).map(loopback).collect();
                let port = common_free_port(&ips);
                self.group_ports.insert(group.to_string(), port);
                port
            }
        };
        let addr = SocketAddr::new(loopback(last), port);
        let data = self.dir.path().join(format!("storage-{last}"));
        let proc = self.spawn_storage(addr, group, &data);
        self.storages.insert(addr, (group.to_string(), proc));
        self.wait_status(group, addr, StorageStatus::Active, Duration::from_secs(60)).await;
        addr
    }

    fn spawn_storage(&self, addr: SocketAddr, group: &str, data: &std::path::Path) -> FdfsProcess {
        let mut args = vec!["--heart-beat-interval", "1", "--stat-report-interval", "1"];
        args.extend(self.storage_args.iter().map(String::as_str));
        storage(addr, group, &[self.tracker], data, &args)
    }

    async fn wait_status(
        &self,
        group: &str,
        addr: SocketAddr,
        want: StorageStatus,
        within: Duration,
    ) {
        let deadline = Instant::now() + within;
        loop {
            let id = addr.ip().to_string();
            let status = self
                .client
                .list_storages(group, Some(&id))
                .await
                .ok()
                .and_then(|l| l.first().map(|s| s.status));
            if status == Some(want) {
                return;
            }
            assert!(Instant::now() < deadline, "{addr} is {status:?}, not {want:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Uploads through the tracker; returns the file ID.
    async fn upload(&self, group: Option<&str>, data: &[u8], ext: &str) -> FileId {
        let target = self.client.query_store(group).await.unwrap();
        let addr = storage_socket_addr(&target.storage).unwrap();
        let mut reader = data;
        let stored = self
            .storage
            .upload(
                addr,
                target.store_path_index,
                ext,
                false,
                Content { len: data.len() as u64, reader: &mut reader },
            )
            .await
            .unwrap();
        FileId::parse(&stored.file_id()).unwrap()
    }

    /// Downloads `id` from one specific storage.
    async fn download_from(&self, addr: SocketAddr, id: &FileId) -> Result<Vec<u8>, ConnError> {
        let mut body = self.storage.download(addr, id.group(), id.logic().as_str(), 0, 0).await?;
        let mut out = Vec::new();
        body.read_to_end(&mut out).await?;
        Ok(out)
    }

    /// Waits until `addr` serves `id` with exactly `data`.
    async fn wait_replica(&self, addr: SocketAddr, id: &FileId, data: &[u8], within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(got) = self.download_from(addr, id).await
                && got == data
            {
                return;
            }
            assert!(Instant::now() < deadline, "{addr} never served {id}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn group_members(&self, group: &str) -> Vec<SocketAddr> {
        self.storages.iter().filter(|(_, (g, _))| g == group).map(|(a, _)| *a).collect()
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_round_trips_and_replicates() {
    let c = Cluster::start("cluster-ops", &[(21, "group1"), (22, "group1"), (23, "group2")]).await;
    let g1 = c.group_members("group1");

    // Upload through the tracker; the ID decodes to its source, size, CRC32.
    let data = pattern(100_000, 7);
    let id = c.upload(Some("group1"), &data, "bin").await;
    let info = id.logic().info().unwrap();
    assert_eq!(info.kind, FileKind::Normal);
    assert_eq!(info.size(), Some(100_000));
    assert_eq!(info.crc32(), crc32fast::hash(&data));
    let Source::Ip(source_ip) = info.source() else { panic!("source is an IP") };
    let source =
        *g1.iter().find(|a| a.ip() == std::net::IpAddr::V4(source_ip)).expect("a group1 member");
    let peer = *g1.iter().find(|a| **a != source).unwrap();
    assert_eq!(c.download_from(source, &id).await.unwrap(), data);

    // Replication: the peer ends up byte-identical.
    c.wait_replica(peer, &id, &data, Duration::from_secs(20)).await;

    // Ranges.
    let mut part = c.storage.download(source, "group1", id.logic().as_str(), 10, 20).await.unwrap();
    let mut buf = Vec::new();
    part.read_to_end(&mut buf).await.unwrap();
    assert_eq!(buf, &data[10..30]);

    // Metadata, overwrite then merge, replicated too.
    let mut meta = Metadata::new();
    meta.push("author", "fdfs");
    meta.push("width", "100");
    c.storage
        .set_metadata(source, "group1", id.logic().as_str(), MetaOp::Overwrite, &meta)
        .await
        .unwrap();
    let mut more = Metadata::new();
    more.push("width", "200");
    c.storage
        .set_metadata(source, "group1", id.logic().as_str(), MetaOp::Merge, &more)
        .await
        .unwrap();
    let got = c.storage.get_metadata(source, "group1", id.logic().as_str()).await.unwrap();
    assert_eq!(got.get_str("width"), Some("200"));
    assert_eq!(got.get_str("author"), Some("fdfs"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let replica = c.storage.get_metadata(peer, "group1", id.logic().as_str()).await;
        if replica.as_ref().ok().and_then(|m| m.get_str("width")) == Some("200") {
            break;
        }
        assert!(Instant::now() < deadline, "metadata never replicated: {replica:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // File info from the server.
    let fi = c.storage.query_file_info(source, "group1", id.logic().as_str(), 0).await.unwrap();
    assert_eq!((fi.file_size, fi.crc32), (100_000, crc32fast::hash(&data)));

    // Appender: upload, append, modify, truncate, regenerate — replicated.
    let target = c.client.query_store(Some("group1")).await.unwrap();
    let addr = storage_socket_addr(&target.storage).unwrap();
    let mut first: &[u8] = b"hello";
    let app = c
        .storage
        .upload(addr, target.store_path_index, "log", true, Content { len: 5, reader: &mut first })
        .await
        .unwrap();
    let app_id = FileId::parse(&app.file_id()).unwrap();
    let mut more: &[u8] = b" world";
    c.storage
        .append(addr, app_id.logic().as_str(), Content { len: 6, reader: &mut more })
        .await
        .unwrap();
    let mut patch: &[u8] = b"HELLO";
    c.storage
        .modify(addr, app_id.logic().as_str(), 0, Content { len: 5, reader: &mut patch })
        .await
        .unwrap();
    assert_eq!(c.download_from(addr, &app_id).await.unwrap(), b"HELLO world");
    c.storage.truncate(addr, app_id.logic().as_str(), 5).await.unwrap();
    assert_eq!(c.download_from(addr, &app_id).await.unwrap(), b"HELLO");
    let renamed =
        c.storage.regenerate_appender_filename(addr, app_id.logic().as_str()).await.unwrap();
    let renamed_id = FileId::parse(&renamed.file_id()).unwrap();
    assert_eq!(renamed_id.logic().info().unwrap().kind, FileKind::Normal);
    let other = *g1.iter().find(|a| **a != addr).unwrap();
    c.wait_replica(other, &renamed_id, b"HELLO", Duration::from_secs(20)).await;

    // Slave file next to its master.
    let mut thumb: &[u8] = b"thumbnail";
    let slave = c
        .storage
        .upload_slave(
            source,
            id.logic().as_str(),
            "_small",
            "jpg",
            Content { len: 9, reader: &mut thumb },
        )
        .await
        .unwrap();
    assert!(slave.filename.ends_with("_small.jpg"), "{}", slave.filename);

    // The independent fastdfs crate: upload, download, metadata, delete.
    let other_client = fastdfs::ClientOptions::new(vec![c.tracker.to_string()]).build().unwrap();
    let their_id =
        other_client.upload_file_buf(b"from the fastdfs crate", "txt", None, false).await.unwrap();
    let back = other_client.download_file_buf(&their_id, 0, 0).await.unwrap();
    assert_eq!(back.as_ref(), b"from the fastdfs crate");
    let info = other_client.get_file_info(&their_id).await.unwrap();
    assert_eq!(info.file_size, 22);
    let part = other_client.download_file_buf(&their_id, 5, 3).await.unwrap();
    assert_eq!(part.as_ref(), b"the");
    let mut meta = fastdfs::types::Metadata::new();
    meta.insert("owner".into(), "crate".into());
    other_client
        .set_metadata(&their_id, &meta, fastdfs::types::MetadataFlag::Overwrite)
        .await
        .unwrap();
    assert_eq!(other_client.get_metadata(&their_id).await.unwrap(), meta);
    other_client.delete_file(&their_id).await.unwrap();
    assert!(!other_client.file_exists(&their_id).await.unwrap());
    // Its appender calls: append, modify, truncate, regenerate.
    let log = other_client.upload_file_buf(b"abc", "log", None, true).await.unwrap();
    other_client.append_file_buf(&log, b"def").await.unwrap();
    other_client.modify_file_buf(&log, 0, b"ABC").await.unwrap();
    other_client.truncate_file(&log, 4).await.unwrap();
    assert_eq!(other_client.download_file_buf(&log, 0, 0).await.unwrap().as_ref(), b"ABCd");
    let normal = other_client.regenerate_appender_filename(&log).await.unwrap();
    assert_eq!(other_client.download_file_buf(&normal, 0, 0).await.unwrap().as_ref(), b"ABCd");

    // Delete: gone on the source and, after sync, on the peer; twice → ENOENT.
    c.storage.delete(source, "group1", id.logic().as_str()).await.unwrap();
    let again = c.storage.delete(source, "group1", id.logic().as_str()).await;
    assert!(matches!(again, Err(ConnError::Status(Status::ENOENT))), "{again:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.download_from(peer, &id).await.is_ok() {
        assert!(Instant::now() < deadline, "delete never replicated");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // group2 works on its own.
    let g2 = c.upload(Some("group2"), b"group two", "txt").await;
    assert_eq!(g2.group(), "group2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_killed_during_uploads_loses_no_acknowledged_file() {
    let mut c = Cluster::start("cluster-kill", &[(31, "group1"), (32, "group1")]).await;
    let members = c.group_members("group1");
    let (victim, survivor) = (members[0], members[1]);

    // Writers upload straight to the victim until it dies; only files whose
    // upload was acknowledged count.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..4u8 {
        let storage = c.storage.clone();
        let acked = acked.clone();
        writers.spawn(async move {
            for i in 0..10_000u32 {
                let data = pattern(1000 + (i as usize % 7) * 4096, w.wrapping_add(i as u8));
                let mut reader = data.as_slice();
                let content = Content { len: data.len() as u64, reader: &mut reader };
                match storage.upload(victim, 0xFF, "dat", false, content).await {
                    Ok(stored) => acked.lock().unwrap().push((stored.file_id(), data)),
                    Err(_) => return,
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.storages.get_mut(&victim).unwrap().1.kill();
    while writers.join_next().await.is_some() {}
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(acked.len() > 20, "only {} uploads acknowledged before the kill", acked.len());
    eprintln!("{} uploads acknowledged before SIGKILL", acked.len());

    // Restart the victim on the same data: every acknowledged file is there,
    // byte-identical, and the survivor catches up on all of them.
    let data_dir = c.dir.path().join("storage-31");
    let proc = c.spawn_storage(victim, "group1", &data_dir);
    c.storages.get_mut(&victim).unwrap().1 = proc;
    c.wait_status("group1", victim, StorageStatus::Active, Duration::from_secs(60)).await;
    for (id, data) in &acked {
        let id = FileId::parse(id).unwrap();
        assert_eq!(&c.download_from(victim, &id).await.unwrap(), data, "{id} lost on the source");
    }
    for (id, data) in &acked {
        let id = FileId::parse(id).unwrap();
        c.wait_replica(survivor, &id, data, Duration::from_secs(60)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_member_receives_every_file_and_goes_active() {
    let mut c = Cluster::start("cluster-join", &[(41, "group1"), (42, "group1")]).await;
    let members = c.group_members("group1");
    let mut files = Vec::new();
    for i in 0..1000u32 {
        let data = pattern(200 + (i as usize % 13) * 97, i as u8);
        let target = members[i as usize % 2];
        let mut reader = data.as_slice();
        let stored = c
            .storage
            .upload(
                target,
                0xFF,
                "bin",
                false,
                Content { len: data.len() as u64, reader: &mut reader },
            )
            .await
            .unwrap();
        files.push((FileId::parse(&stored.file_id()).unwrap(), data));
    }
    // A few deletes, which the newcomer must not resurrect.
    let mut deleted = Vec::new();
    for (id, _) in files.drain(..10) {
        let owner = members.iter().copied().find(|m| {
            matches!(id.logic().info().unwrap().source(), Source::Ip(ip) if m.ip() == std::net::IpAddr::V4(ip))
        });
        c.storage.delete(owner.unwrap(), id.group(), id.logic().as_str()).await.unwrap();
        deleted.push(id);
    }

    let newcomer = c.add_storage(43, "group1").await;
    for (id, data) in &files {
        c.wait_replica(newcomer, id, data, Duration::from_secs(60)).await;
    }
    for id in &deleted {
        assert!(c.download_from(newcomer, id).await.is_err(), "{id} came back on the newcomer");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_replicas_two_acknowledges_only_once_the_peer_holds_the_file() {
    let c = Cluster::start_with(
        "cluster-replicas",
        &[(61, "group1"), (62, "group1")],
        &["--sync-replicas", "2"],
    )
    .await;
    let members = c.group_members("group1");
    for round in 0..20u8 {
        let data = pattern(50_000 + usize::from(round), round);
        let (source, peer) = (members[usize::from(round) % 2], members[1 - usize::from(round) % 2]);
        let mut reader = data.as_slice();
        let stored = c
            .storage
            .upload(
                source,
                0xFF,
                "bin",
                false,
                Content { len: data.len() as u64, reader: &mut reader },
            )
            .await
            .unwrap();
        // No waiting: the acknowledgement promised two copies.
        let id = FileId::parse(&stored.file_id()).unwrap();
        assert_eq!(
            c.download_from(peer, &id).await.unwrap(),
            data,
            "round {round}: peer lacks {id}"
        );
    }
}
